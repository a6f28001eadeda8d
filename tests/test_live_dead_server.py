"""The sound server dies while the music plays: closing the player, and the process's
exit after it, take seconds, not for ever.

PortAudio's stop and close wait for a JACK server that is gone; `LiveOutput.stop`
gives them `native.STOP_TIMEOUT_S` and then leaves the stream behind, and sounddevice's
exit handler (which would stop it again and terminate PortAudio) is taken off.

Each test runs its own JACK dummy server under a name of its own (so a server the rest
of the suite uses is never touched) and the player in a child process, whose PortAudio
finds that server through JACK_DEFAULT_SERVER. The killed server's registry entry is
given back afterwards (`_reclaim`).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from m2m_reader.engine.audio import native as native_mixer

ROOT = Path(__file__).resolve().parents[1]

PLAYER = """
import sys, time
from m2m_reader.engine.audio.devices import output_devices
from m2m_reader.engine.audio.live import LivePlayer
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.doubles import FakeEngine

device = next((d for d in output_devices() if "JACK" in d.host_api), None)
if device is None:
    print("no-jack", flush=True)
    sys.exit(3)
player = LivePlayer(FakeEngine(), Settings(), device=device.index, native=sys.argv[1] == "native")
assert player.start(), player.message
assert player.output.native is (sys.argv[1] == "native")
end = time.monotonic() + 10
while player.output.callbacks < 20 and time.monotonic() < end:
    time.sleep(0.02)
print("playing", player.output.callbacks, flush=True)
sys.stdin.readline()  # the server is killed meanwhile
t0 = time.monotonic()
player.close()
print("closed", round(time.monotonic() - t0, 2), flush=True)
"""


# One name for every test that kills its server. JACK keeps at most 8 servers in its
# registry and reclaims the entry of a killed one only when a server of the same name
# starts again: a new name per run would fill the registry until no server can start.
SERVER = "m2m-test-dead-server"


def _start_jack(name: str) -> subprocess.Popen | None:
    server = subprocess.Popen(
        ["jackd", "-n", name, "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "1024"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ready = subprocess.run(
        ["jack_wait", "-s", name, "-w", "-t", "10"], capture_output=True, timeout=20
    )
    if ready.returncode != 0 or server.poll() is not None:
        server.kill()
        server.wait(10)
        return None
    return server


def _jack_server(name: str = SERVER) -> subprocess.Popen:
    """A JACK dummy server named `name` (skips the test when it cannot start)."""
    if not shutil.which("jackd") or not shutil.which("jack_wait"):
        pytest.skip("needs jackd and jack_wait (installer/setup.sh --dev)")
    server = _start_jack(name)
    if server is None:
        pytest.skip(f"the JACK dummy server {name} did not start (one of that name running?)")
    return server


def _reclaim(name: str = SERVER) -> None:
    """Give back the registry entry a killed server left: start one of the same name
    and stop it the proper way."""
    server = _start_jack(name)
    if server is not None:
        server.terminate()
        server.wait(10)


@pytest.mark.audio
@pytest.mark.parametrize("mix", ["python", "native"])
def test_closing_after_the_sound_server_died_takes_seconds(mix):
    if mix == "native" and native_mixer.available():
        pytest.skip(native_mixer.available())
    server = _jack_server()
    env = dict(os.environ, JACK_DEFAULT_SERVER=SERVER)
    player = subprocess.Popen(
        [sys.executable, "-c", PLAYER, mix],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    try:
        line = player.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("playing"), player.communicate(timeout=10)
        assert int(line.split()[1]) >= 20  # the stream really ran on the server
        server.send_signal(signal.SIGKILL)  # the sound server dies mid-play
        server.wait(10)
        time.sleep(0.5)
        t0 = time.monotonic()
        out, err = player.communicate("close\n", timeout=30)
        took = time.monotonic() - t0
        assert player.returncode == 0, err
        closed = [ln for ln in out.splitlines() if ln.startswith("closed")]
        assert closed and float(closed[0].split()[1]) < native_mixer.STOP_TIMEOUT_S + 2
        assert took < native_mixer.STOP_TIMEOUT_S + 8  # close, then the exit handlers
        assert "did not stop" in err  # the person is told why, in one line
    finally:
        if player.poll() is None:
            player.kill()
            player.wait(10)
        if server.poll() is None:
            server.kill()
            server.wait(10)
        _reclaim()
