"""Test doubles for the engine: a quick, countable, cancellable music backend and a
mixer that records what it is told."""

from __future__ import annotations

import threading
import time

import numpy as np

from m2m_reader.engine.core.cache import DiskCache
from m2m_reader.engine.core.errors import BackendUnavailable
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.music.base import Clip, Cue, CueRequest, MusicPlan
from m2m_reader.engine.session.engine import Engine
from m2m_reader.engine.session.reading_speed import ReadingSpeed

RATE = 8000


class FakeMusic:
    """Makes a quiet sine per page (pitch by scene); `delay` seconds per cue."""

    name = "fake"

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.calls: list[int] = []
        self.requests: list[CueRequest] = []
        self.delay = delay
        self.fail = fail
        self.interrupted: list[int] = []
        self._lock = threading.Lock()

    def settings_key(self) -> str:
        return "fake-1"

    def make_cue(self, request, cancel) -> Cue:
        cancel.check()
        if self.fail:
            raise BackendUnavailable("The fake backend cannot start.")
        with self._lock:
            self.calls.append(request.page)
            self.requests.append(request)
        end = time.monotonic() + self.delay
        while time.monotonic() < end:
            if cancel.cancelled:
                self.interrupted.append(request.page)
            cancel.check()
            time.sleep(0.002)
        n = int(request.seconds * RATE)
        t = np.arange(n) / RATE
        audio = (0.2 * np.sin(2 * np.pi * (220 + 20 * request.scene) * t)).astype(np.float32)
        return Cue(
            request.page,
            request.scene,
            Clip(audio, RATE, bar_samples=RATE),
            MusicPlan(),
            request.joins,
            self.name,
        )


class RecordingMixer:
    def __init__(self) -> None:
        self.cues: dict[int, Cue] = {}
        self.turns: list[tuple[int, str]] = []
        self.forgotten: list[int] = []

    def set_cue(self, page, cue) -> None:
        self.cues[page] = cue

    def forget(self, page) -> None:
        self.forgotten.append(page)
        self.cues.pop(page, None)

    def turn(self, page, kind="turn", at=None) -> None:
        self.turns.append((page, kind))


def wait_for(pred, timeout: float = 30.0) -> bool:
    """Poll `pred` until it is true; False after `timeout` s (generous: only a failing
    test waits that long, and a loaded machine is slow)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.005)
    return False


def make_engine(music=None, store=None, events=None, settings=None, on_event=None, **kw) -> Engine:
    """A headless engine for tests: no audio, a disk store without a size limit, fake
    music, a reading speed that is not saved and edits kept in memory. Events go to
    the list `events` or to `on_event` (a bridge's, say)."""
    return Engine(
        settings or Settings(),
        audio=False,
        store=store or DiskCache(limit_mb=0),
        music=music or FakeMusic(),
        on_event=on_event or (events.append if events is not None else None),
        speed=ReadingSpeed(persist=False),
        edits_in_memory=True,
        **kw,
    )
