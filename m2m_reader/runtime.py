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
  while offline mode is on (it does nothing while online);
- heap settling, when the program asks for it (the window does): see `settle_heap`.

`program` applies that and, for a command started offline, holds offline mode from the
first line to the last: no connection, and the Hub variables set before any Hugging
Face library loads (they read them once, on import). Afterwards the environment is as
it was (what matters when a command runs inside another program, as in the tests).

The engine's own call, `release_memory` (after it drops cues, the freed heap goes back
to the system), lives on the ground floor, `engine.core.heap`, since the engine imports
nothing from the programs; it is re-exported here for callers written before.
"""

from __future__ import annotations

import gc
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


_settling = False


def apply(*, switch_interval: float | None = None, settle_heap: bool = False) -> None:
    """Tune the process for a program (idempotent). `switch_interval`: seconds, or None
    to keep the interpreter's. `settle_heap`: let `settle_heap` freeze the heap (the
    window asks for it; elsewhere that call does nothing)."""
    global _settling
    if switch_interval is not None:
        sys.setswitchinterval(switch_interval)
    _settling = _settling or settle_heap
    tune_malloc()
    os.environ.setdefault(TELEMETRY_VAR, "1")
    offline_mode.install_guard()


def settling() -> bool:
    """True when this process asked for heap settling (`apply(settle_heap=True)`)."""
    return _settling


def settle_heap() -> bool:
    """Collect the cyclic garbage once, then freeze what is left (`gc.freeze`): the
    collector's later full passes skip it. Returns False (and does nothing) unless the
    program asked for it.

    Why: CPython's full collections walk every tracked object while holding the
    interpreter lock, whichever thread runs them. In the window, with Qt, the engine and
    their modules loaded, that is some 60,000 objects and 50-100 ms on this kind of
    machine, and an engine or thumbnail thread that allocates sets one off every few
    seconds: the UI thread then waits that long for the lock (measured with `py-spy
    record --gil`: two thirds of the lock's time during the thumbnail bench). Frozen,
    the startup heap (modules, classes, widgets: what lives as long as the process) is
    not walked again, and a full pass covers only what came after.

    The window calls this when the engine is attached and as each book opens, before
    its first page shows, where one pause goes unnoticed. It unfreezes first, so
    garbage that arose among frozen objects since the last call (a closed book's
    cycles) is collected then: nothing is held for good.
    """
    if not _settling:
        return False
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return True


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


__all__ = [
    "WINDOW_SWITCH_INTERVAL_S", "apply", "program", "release_memory", "settle_heap", "settling",
    "tune_malloc",
]  # fmt: skip
