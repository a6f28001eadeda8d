"""`m2m-reader play`: a terminal reading session driven through a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "annotations" / "HaruNoMelody.xml"


def _read(fd: int, seconds: float, until: bytes | None = None) -> bytes:
    out = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if select.select([fd], [], [], 0.05)[0]:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
            if until is not None and until in out:
                break
    return out


@pytest.mark.skipif(not SAMPLE.exists(), reason="the sample book is not generated")
def test_keys_turn_pages_and_q_quits():
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "m2m_reader.cli", "play", str(SAMPLE), "--offline"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
        cwd=ROOT,
    )
    os.close(slave)
    try:
        screen = _read(master, 60, b"page 1 of 24")
        assert b"page 1 of 24" in screen
        os.write(master, b"\x1b[C")  # right arrow: the next page
        assert b"page 2 of 24" in _read(master, 20, b"page 2 of 24")
        os.write(master, b" ")
        assert b"page 3 of 24" in _read(master, 20, b"page 3 of 24")
        os.write(master, b"\x1b[D")  # left arrow: back
        assert b"page 2 of 24" in _read(master, 20, b"page 2 of 24")
        os.write(master, b"20\r")  # jump
        screen = _read(master, 20, b"page 20 of 24")
        assert b"page 20 of 24" in screen
        screen = _read(master, 30, b"caption:  The")
        assert b"scene:" in screen or b"caption:  The" in screen
        os.write(master, b"q")
        _read(master, 10)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def test_without_a_terminal_it_says_so():
    proc = subprocess.run(
        [sys.executable, "-m", "m2m_reader.cli", "play", str(SAMPLE)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "m2m-reader: error: play needs an interactive terminal to read keys from; "
        "to write the soundtrack to a file use `m2m-reader export`."
    )
