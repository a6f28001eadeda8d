"""What the engine works on next: the cursor, the look-ahead window and the ranking.

The page under the cursor first, then the next pages in reading order up to
`LOOKAHEAD_S` seconds of reading, then the rest of the book. Everything here but the
`Cursor` is a pure function of the cursor, the book and the reading speed: a
`Ranking` is one snapshot of them that ranks every page the same way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..books.model import Book, Page
from .scheduler import AHEAD, IDLE, NOW, Priority

LOOKAHEAD_S = 90.0  # seconds of reading the engine keeps ready ahead of the cursor
# Cues in memory: the pages from one behind the cursor to `RAM_AHEAD` ahead (6 MB
# each); the rest of the look-ahead waits in the store, a fraction of a second away.
RAM_AHEAD = 3
RAM_CUES = 6  # at most this many cues in memory, the pages near the cursor first

Seconds = Callable[[Page], float]  # a reader's seconds on a page (`ReadingSpeed.seconds`)


def window(book: Book, cursor: int, seconds: Seconds) -> range:
    """Pages ahead of `cursor` within `LOOKAHEAD_S` seconds of reading (at least 2)."""
    total, end = 0.0, cursor + 1
    while end < len(book) and (total < LOOKAHEAD_S or end - cursor <= 2):
        total += seconds(book.pages[end])
        end += 1
    return range(cursor + 1, end)


def ram_pages(cursor: int) -> range:
    """The pages whose cues stay in memory (and in the mixer)."""
    return range(max(0, cursor - 1), cursor + RAM_AHEAD + 1)


def evictable(in_memory: Iterable[int], cursor: int, limit: int = RAM_CUES) -> list[int]:
    """The pages of `in_memory` (oldest first) whose cues leave memory: those far from
    `cursor`, until at most `limit` are left."""
    pages = list(in_memory)
    keep = ram_pages(cursor)
    out: list[int] = []
    for p in pages:
        if len(pages) - len(out) <= limit:
            break
        if p not in keep:
            out.append(p)
    return out


@dataclass(frozen=True)
class Ranking:
    """How urgent each page is, for one cursor position (see the module docstring)."""

    cursor: int
    ahead: range  # the look-ahead window
    pages: int  # the book's length

    @classmethod
    def at(cls, book: Book, cursor: int, seconds: Seconds) -> Ranking:
        return cls(cursor, window(book, cursor, seconds), len(book))

    def of(self, page: int) -> Priority:
        c = self.cursor
        if page == c:
            return (NOW, 0)
        if page in self.ahead:
            return (AHEAD, page - c)
        if page == c - 1:
            return (AHEAD, len(self.ahead) + 1)
        return (IDLE, page - c if page > c else self.pages + c - page)

    def behind_window(self) -> Priority:
        """The rank of work that waits until the look-ahead is done."""
        return (AHEAD, len(self.ahead) + 1)

    def far(self, page: int) -> bool:
        """Whether `page` is neither under the cursor nor ahead of it."""
        return self.of(page)[0] == IDLE


class Cursor:
    """The reader's page, and when they came to it (for the reading speed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._page = 0
        self._since = time.monotonic()

    @property
    def page(self) -> int:
        with self._lock:
            return self._page

    def place(self, page: int) -> None:
        """Put the cursor on `page` (a book opened) without counting a turn."""
        with self._lock:
            self._page, self._since = page, time.monotonic()

    def move(self, page: int) -> tuple[int, float]:
        """Move to `page`; returns the page left and the seconds spent on it."""
        now = time.monotonic()
        with self._lock:
            old, self._page = self._page, page
            spent, self._since = now - self._since, now
        return old, spent
