"""Process-wide tuning, in one place: what a program sets once for the whole process.

Called by the programs only, at their start: the command line (`m2m_reader.cli.main`,
through `program`) and the window (`m2m_reader.ui.app.run`, through `apply`). Libraries
and tests never call it, and importing any `m2m_reader` module changes nothing in the
process.

What `apply` sets:
- the interpreter's switch interval (how often Python threads hand over the lock), when
  the program asks for one (the window does);
- glibc's allocator: large blocks served by mmap so that a freed cue goes back to the
  system, and few arenas for the worker threads;
- the Hugging Face variables: no telemetry (unless the person set the variable);
- the offline guard: the audit hook of `engine.core.offline` that refuses connections
  while offline mode is on (it does nothing while online).

`program` applies that and, for a command started offline, holds offline mode from the
first line to the last: no connection, and the Hub variables set before any Hugging
Face library loads (they read them once, on import). Afterwards the environment is as
it was (what matters when a command runs inside another program, as in the tests).

The engine's own call, `release_memory` (after it drops cues, the freed heap goes back
to the system), lives on the ground floor, `engine.core.heap`, since the engine imports
nothing from the programs; it is re-exported here for callers written before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from .engine.core import heap
from .engine.core import offline as offline_mode
from .engine.core.heap import release_memory

# How often Python threads hand over the interpreter lock in the window (CPython's
# default is 5 ms). The UI thread re-takes the lock after every call into Qt; with
# engine workers busy in Python, a shorter interval keeps each of those waits short, so
# paints and key presses stay fast.
WINDOW_SWITCH_INTERVAL_S = 0.001

TELEMETRY_VAR = "HF_HUB_DISABLE_TELEMETRY"

_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8


def tune_malloc() -> None:
    """glibc: serve large blocks (cues are megabytes) by mmap, always, so that freeing
    one gives the memory back; by default the threshold grows after the first frees
    and long sessions keep freed cues in the heap. Few arenas for the worker threads."""
    libc = heap.glibc.get()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)  # 1 MB, fixed
        libc.mallopt(_M_ARENA_MAX, 2)


def apply(*, switch_interval: float | None = None) -> None:
    """Tune the process for a program (idempotent). `switch_interval`: seconds, or None
    to keep the interpreter's."""
    if switch_interval is not None:
        sys.setswitchinterval(switch_interval)
    tune_malloc()
    os.environ.setdefault(TELEMETRY_VAR, "1")
    offline_mode.install_guard()


@contextmanager
def program(*, offline: bool = False, switch_interval: float | None = None) -> Iterator[None]:
    """`with program(offline=...):` runs a command tuned, in offline mode if asked; the
    environment is as it was afterwards (for a command run inside another program)."""
    telemetry = os.environ.get(TELEMETRY_VAR)
    apply(switch_interval=switch_interval)
    if offline:
        offline_mode.enable()
    try:
        yield
    finally:
        if offline:
            offline_mode.disable()
        if telemetry is None:
            os.environ.pop(TELEMETRY_VAR, None)


__all__ = ["WINDOW_SWITCH_INTERVAL_S", "apply", "program", "release_memory", "tune_malloc"]
