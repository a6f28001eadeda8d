"""Ctrl-C in the terminal closes the reader window cleanly: exit code 130, no traceback,
and its composer process gone with it; also when the sound server died under the music."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from process_helpers import alive, wait_gone

pytest.importorskip("PySide6")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "annotations" / "HaruNoMelody.xml"


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids += [int(k) for k in fh.read().split()]
    except OSError:
        pass
    return kids


def _composer(pid: int) -> int | None:
    """The reader's composer process (a multiprocessing worker among its children)."""
    for kid in _children(pid):
        try:
            with open(f"/proc/{kid}/cmdline", "rb") as fh:
                if b"spawn_main" in fh.read():
                    return kid
        except OSError:
            continue
    return None


@pytest.mark.skipif(not SAMPLE.exists(), reason="the sample book is not generated")
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_ctrl_c_closes_the_reader_with_exit_code_130_and_no_traceback(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    reader = subprocess.Popen(
        [sys.executable, "-m", "m2m_reader.cli", str(SAMPLE), "--offline"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    composer = None
    try:
        deadline = time.monotonic() + 90
        while composer is None and time.monotonic() < deadline and reader.poll() is None:
            time.sleep(0.2)
            composer = _composer(reader.pid)
        assert composer is not None, "the reader's engine did not start its composer"
        time.sleep(1.0)  # the window up, the engine at work
        os.killpg(reader.pid, signal.SIGINT)  # what Ctrl-C sends: the whole group
        out, err = reader.communicate(timeout=30)
        assert reader.returncode == 130, err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        wait_gone(composer)
        assert not alive(composer), "the composer outlived the reader"
    finally:
        if reader.poll() is None:
            os.killpg(reader.pid, signal.SIGKILL)
            reader.wait(10)
        if composer and alive(composer):
            os.kill(composer, signal.SIGKILL)


def _jack_ports(server: str) -> str:
    found = subprocess.run(["jack_lsp", "-s", server], capture_output=True, text=True, timeout=10)
    return found.stdout


@pytest.mark.audio
@pytest.mark.skipif(not SAMPLE.exists(), reason="the sample book is not generated")
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_the_reader_closes_in_seconds_after_the_sound_server_died(tmp_path):
    from test_live_dead_server import SERVER, _jack_server, _reclaim

    from m2m_reader.engine.core import settings as settings_file

    name = SERVER
    server = _jack_server(name)
    settings_file.save(settings_file.Settings(audio_device="JACK", offline=True))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", JACK_DEFAULT_SERVER=name)
    reader = subprocess.Popen(
        [sys.executable, "-m", "m2m_reader.cli", str(SAMPLE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while "PortAudio" not in _jack_ports(name) and time.monotonic() < deadline:
            assert reader.poll() is None, reader.communicate()[1]
            time.sleep(0.3)
        assert "PortAudio" in _jack_ports(name), "the reader did not play on the JACK server"
        time.sleep(1.0)
        server.send_signal(signal.SIGKILL)  # the sound server dies under the music
        server.wait(10)
        time.sleep(0.5)
        t0 = time.monotonic()
        os.killpg(reader.pid, signal.SIGINT)
        out, err = reader.communicate(timeout=40)
        assert reader.returncode == 130, err
        assert time.monotonic() - t0 < 15  # the stream's stop is given 2 s, then left
        assert "Traceback" not in err, err
    finally:
        if reader.poll() is None:
            os.killpg(reader.pid, signal.SIGKILL)
            reader.wait(10)
        if server.poll() is None:
            server.kill()
            server.wait(10)
        _reclaim(name)
