"""Cancel tokens: every queued job carries one, checked when it starts and before its
result lands (and, for long work, at each step)."""

from __future__ import annotations

import threading

from .errors import Cancelled


class CancelToken:
    __slots__ = ("_event", "reason")

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def cancel(self, reason: str = "") -> None:
        self.reason = reason
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise `Cancelled` if the token fired."""
        if self._event.is_set():
            raise Cancelled(self.reason)


NEVER = CancelToken()  # a token nobody cancels, for one-shot calls
