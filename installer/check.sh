#!/usr/bin/env bash
# Everything a reviewer would check, in one command: lint, then the tests.
#   bash installer/check.sh [pytest args...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py=.venv/bin/python
[ -x "$py" ] || { echo "check.sh: no .venv; run: bash installer/setup.sh --dev" >&2; exit 2; }
echo "== ruff"
"$py" -m ruff check m2m_reader tests bench
echo "== pytest"
QT_QPA_PLATFORM=offscreen "$py" -m pytest -q -p no:cacheprovider "$@"
