"""Work off the UI thread, with the result (or the error) handed back on it.

`Runner.run(fn, *args, on_done=..., on_error=...)` runs `fn` in a thread pool; the
callbacks run later on the UI thread. No exception crosses a thread: an `M2MError`
arrives as its sentence, anything else as a short description (and a log line). A
callback that is a method of a widget deleted meanwhile is not called.

The window's worker threads run below the UI thread's CPU priority (`yield_to_ui`):
with two cores and four workers decoding pages and thumbnails at once, the UI thread
otherwise waits its turn for a core, 40-50 ms at a time.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Hashable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, Signal

from ..engine.core.errors import M2MError

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[str], None]

DECODE_NICE = 5  # page decoding and the runner's calls: above the engine's workers (10)
BACKGROUND_NICE = 10  # thumbnails: as the engine's workers
_niced = threading.local()


def yield_to_ui(nice: int = DECODE_NICE) -> None:
    """Run the calling worker thread `nice` steps below the process's main thread (the
    UI's), once per thread. Linux sets a niceness per thread; elsewhere, or where it is
    refused, nothing changes."""
    if getattr(_niced, "nice", None) == nice:
        return
    _niced.nice = nice
    try:
        base = os.getpriority(os.PRIO_PROCESS, os.getpid())  # the main thread's
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), base + nice)
    except (AttributeError, OSError):
        pass


class _Relay(QObject):
    finished = Signal(object, object)  # callback, value


class _Job:
    """One call for the pool. A plain callable, not a QRunnable subclass: PySide6 gives
    the pool a reference to a Python QRunnable after `start()` returns, and a job that
    already ran and was deleted by then stays alive for good, with all it holds (the
    soak saw about one in a few hundred). A callable is wrapped by Qt and let go."""

    __slots__ = ("_relay", "_fn", "_args", "_on_done", "_on_error")

    def __init__(
        self,
        relay: _Relay,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        on_done: Done | None,
        on_error: Failed | None,
    ) -> None:
        self._relay, self._fn, self._args = relay, fn, args
        self._on_done, self._on_error = on_done, on_error

    def __call__(self) -> None:
        yield_to_ui()
        try:
            result = self._fn(*self._args)
        except M2MError as exc:
            self._relay.finished.emit(self._on_error, str(exc))
        except Exception as exc:  # noqa: BLE001 - report, never let it cross the thread
            log.exception("background call %s failed", getattr(self._fn, "__name__", self._fn))
            self._relay.finished.emit(self._on_error, f"{type(exc).__name__}: {exc}")
        else:
            self._relay.finished.emit(self._on_done, result)


class Runner(QObject):
    """A thread pool whose results come back to the UI thread.

    Args:
        threads: worker count; 1 makes calls run one at a time, in order.
        on_error: where errors go when a call gives no `on_error`.
    """

    def __init__(
        self, threads: int = 1, on_error: Failed | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._default_error = on_error
        self._relay = _Relay(self)
        self._relay.finished.connect(self._deliver)
        self._latest_lock = threading.Lock()
        self._latest: dict[Hashable, tuple[Any, ...]] = {}

    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Done | None = None,
        on_error: Failed | None = None,
    ) -> None:
        self.pool.start(_Job(self._relay, fn, args, on_done, on_error or self._default_error))

    def run_latest(
        self,
        key: Hashable,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Done | None = None,
        on_error: Failed | None = None,
        merge: Callable[[tuple[Any, ...], tuple[Any, ...]], tuple[Any, ...]] | None = None,
    ) -> None:
        """Like `run`, but a call still waiting under the same `key` takes these `args`
        instead of queueing another: only the newest counts (the reader's cursor, a
        book's reading progress). Calls turn by turn would otherwise pile up behind a
        busy engine, and the engine would hear of the page the reader is on late.
        `merge(waiting, newest)` gives the arguments when a waiting call is replaced."""
        with self._latest_lock:
            waiting = key in self._latest
            if waiting and merge is not None:
                args = merge(self._latest[key], args)
            self._latest[key] = args
        if not waiting:
            self.run(self._newest, key, fn, on_done=on_done, on_error=on_error)

    def _newest(self, key: Hashable, fn: Callable[..., Any]) -> Any:
        with self._latest_lock:
            args = self._latest.pop(key)
        return fn(*args)

    @staticmethod
    def _deliver(callback: Callable[[Any], None] | None, value: Any) -> None:
        if callback is None:
            return
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            return  # a window closed and deleted while its call ran: nobody to tell
        callback(value)

    def wait(self, msecs: int = 5000) -> bool:
        """Block until every call ran (shutdown, tests and benchmarks only)."""
        return self.pool.waitForDone(msecs)
