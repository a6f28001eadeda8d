"""A killed reader takes its composer process with it, and the composer lives as long as
the reader, not as long as the thread that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from process_helpers import alive, wait_gone

ROOT = Path(__file__).resolve().parents[1]

# What the app does: the engine (and so the composer's process) is built on a worker
# thread that ends soon after. The composer must still make music after that thread has
# gone, and die with the process when it is killed.
READER = """
import sys, threading
from m2m_reader.engine.backends.choice import ProcessComposer
from m2m_reader.engine.core.cancel import CancelToken
from m2m_reader.engine.music.base import CueRequest
from m2m_reader.engine.core.settings import Settings

made = {}
worker = threading.Thread(target=lambda: made.update(pc=ProcessComposer(Settings())))
worker.start()
worker.join()
pc = made["pc"]
cue = pc.make_cue(CueRequest(0, 0, "a calm piano", "soft piano", 2.0, seed=1), CancelToken())
print(pc.child_pids()[0], round(cue.clip.seconds, 1), flush=True)
sys.stdin.read()  # wait to be killed
"""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_killing_the_reader_ends_its_composer_process():
    reader = subprocess.Popen(
        [sys.executable, "-c", READER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    composer = 0
    try:
        line = reader.stdout.readline()  # type: ignore[union-attr]
        assert line, "the reader did not start its composer"
        composer, seconds = int(line.split()[0]), float(line.split()[1])
        assert seconds >= 2.0  # it made music after the thread that started it ended
        time.sleep(1.5)  # a few of the watchdog's checks: a live parent is left alone
        assert alive(composer)
        os.kill(reader.pid, signal.SIGKILL)
        reader.wait(10)
        wait_gone(composer)
        assert not alive(composer), "the composer outlived the reader killed with SIGKILL"
    finally:
        if reader.poll() is None:
            reader.kill()
        if composer and alive(composer):
            os.kill(composer, signal.SIGKILL)
