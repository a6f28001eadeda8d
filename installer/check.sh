#!/usr/bin/env bash
# Everything a reviewer would check, in one command: lint and format, types, then the tests.
#   bash installer/check.sh [pytest args...]
# When Debian's jackd2 is installed and no JACK server runs, a dummy one (paced in real
# time, no sound card) runs for the tests, so live playback is tested on a real stream.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py=.venv/bin/python
[ -x "$py" ] || { echo "check.sh: no .venv; run: bash installer/setup.sh --dev" >&2; exit 2; }
echo "== ruff"
"$py" -m ruff check m2m_reader tests bench
"$py" -m ruff format --check m2m_reader tests bench
echo "== mypy"
"$py" -m mypy

jack_pid=""
if command -v jackd >/dev/null 2>&1 && ! pgrep -x jackd >/dev/null 2>&1; then
  jackd --no-realtime -d dummy -r 48000 -p 1024 >/dev/null 2>&1 &
  jack_pid=$!
  sleep 1
fi
# PortAudio must be done with the server before it goes: stop it only after pytest exits.
stop_jack() { [ -n "$jack_pid" ] && kill "$jack_pid" 2>/dev/null; wait "$jack_pid" 2>/dev/null || true; }
trap stop_jack EXIT

echo "== pytest"
run_tests() { QT_QPA_PLATFORM=offscreen "$py" -m pytest -q -p no:cacheprovider "$@"; }
run_tests "$@"
