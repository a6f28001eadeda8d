"""Keep a model loaded while it is used and free it when idle.

manga2music loads and frees MusicGen on every call; a reader turns pages every few
seconds, so here the model is loaded once, shared, and dropped only after
`idle_seconds` without use (or on `free()`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from .device import free_device_memory

T = TypeVar("T")


class ModelHolder(Generic[T]):
    """Loads a value on first use, counts users, frees it after an idle delay.

    Args:
        load: makes the value (may raise; nothing is kept then).
        idle_seconds: free this long after the last user leaves; 0 or less keeps it.
    """

    def __init__(self, load: Callable[[], T], idle_seconds: float = 300.0) -> None:
        self._load = load
        self.idle_seconds = idle_seconds
        self._value: T | None = None
        self._users = 0
        self._lock = threading.RLock()
        self._timer: threading.Timer | None = None
        self.loads = 0  # how many times the value was loaded (one per reading session)

    @property
    def loaded(self) -> bool:
        return self._value is not None

    @contextmanager
    def use(self) -> Iterator[T]:
        """Borrow the value, loading it if needed; the idle timer starts when all return."""
        with self._lock:
            self._cancel_timer()
            if self._value is None:
                self._value = self._load()
                self.loads += 1
            self._users += 1
            value = self._value
        try:
            yield value
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self.idle_seconds > 0:
                    self._timer = threading.Timer(self.idle_seconds, self._idle)
                    self._timer.daemon = True
                    self._timer.start()

    def free(self) -> None:
        """Drop the value now (users still holding it keep their reference)."""
        with self._lock:
            self._cancel_timer()
            dropped = self._value is not None
            self._value = None
        if dropped:
            free_device_memory()

    def replace_loader(self, load: Callable[[], T]) -> None:
        """Load differently from now on (after an out-of-memory fallback); frees the value."""
        with self._lock:
            self._load = load
        self.free()

    def _idle(self) -> None:
        with self._lock:
            if self._users:
                return
        self.free()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
