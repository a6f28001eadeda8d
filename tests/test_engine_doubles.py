"""Helpers for the engine tests: the package's doubles (a quick, countable, cancellable
music backend and a mixer that records what it is told: `m2m_reader.engine.doubles`),
a headless engine built on them, and polling."""

from __future__ import annotations

import time

from m2m_reader.engine.core.cache import DiskCache
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.doubles import RATE, FakeMusic, RecordingMixer
from m2m_reader.engine.session.engine import Engine
from m2m_reader.engine.session.reading_speed import ReadingSpeed


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


__all__ = ["RATE", "FakeMusic", "RecordingMixer", "make_engine", "wait_for"]
