"""What the engine works on next: the cursor, the look-ahead window and the ranking.

The page under the cursor first, then the next pages in reading order up to
`LOOKAHEAD_S` seconds of reading, then the rest of the book. A jump re-ranks the
queues and interrupts a generation far from the new cursor. `Lookahead` is a part of
`Engine` (it uses the engine's state, see `Engine._reset`).
"""

from __future__ import annotations

import time
from typing import Any

from ..core import events as ev
from .scheduler import AHEAD, IDLE, NOW, Job, Priority

LOOKAHEAD_S = 90.0  # seconds of reading the engine keeps ready ahead of the cursor
# Cues in memory: the pages from one behind the cursor to `RAM_AHEAD` ahead (6 MB
# each); the rest of the look-ahead waits in the store, a fraction of a second away.
RAM_AHEAD = 3
RAM_CUES = 6  # at most this many cues in memory, the pages near the cursor first


class Lookahead:
    """The cursor and the work queues' order (a part of `Engine`)."""

    book: Any
    _cursor: int
    _lock: Any
    _cues: Any

    def set_cursor(self, page: int, kind: str = "turn") -> None:
        """The reader moved to `page`: by a page turn ("turn") or elsewhere ("jump")."""
        book = self.book
        if book is None:
            return
        page = max(0, min(page, len(book) - 1))
        now = time.monotonic()
        with self._lock:
            old, self._cursor = self._cursor, page
            spent, self._turned_at = now - self._turned_at, now
        if kind == "turn" and abs(page - old) == 1:
            self.speed.learn(book.pages[old], spent)
        if self.mixer is not None:
            self.mixer.turn(page, "jump" if kind == "jump" else "turn")
        info = self._pages.get(page)
        self._emit(ev.Playing(page, info.scene if info else -1))
        self._schedule()
        if kind == "jump" or page not in self._cues:
            # Work far from the reader must not hold up the page they are on.
            self._preempt_music((AHEAD, 0))

    def _window(self) -> range:
        """Pages ahead of the cursor within `LOOKAHEAD_S` seconds of reading (at least 2)."""
        book, c = self.book, self._cursor
        assert book is not None
        total, end = 0.0, c + 1
        while end < len(book) and (total < LOOKAHEAD_S or end - c <= 2):
            total += self.speed.seconds(book.pages[end])
            end += 1
        return range(c + 1, end)

    def _ram_pages(self) -> range:
        """The pages whose cues stay in memory (and in the mixer)."""
        return range(max(0, self._cursor - 1), self._cursor + RAM_AHEAD + 1)

    def _evict(self) -> None:
        """Cues far from the cursor leave memory, oldest first; the store keeps them."""
        keep = self._ram_pages()
        with self._lock:
            for p in [p for p in self._cues if p not in keep]:
                if len(self._cues) <= RAM_CUES:
                    break
                del self._cues[p]
                if self.mixer is not None:
                    self.mixer.forget(p)

    def _rank(self, page: int, window: range | None = None) -> Priority:
        c = self._cursor
        window = window or self._window()
        if page == c:
            return (NOW, 0)
        if page in window:
            return (AHEAD, page - c)
        if page == c - 1:
            return (AHEAD, len(window) + 1)
        n = len(self.book or ())
        return (IDLE, page - c if page > c else n + c - page)

    def _schedule(self) -> None:
        """Queue what is missing, best first, and re-rank what is queued."""
        book = self.book
        if book is None or self._closed:
            return
        window = self._window()
        keep = set(self._ram_pages())
        with self._lock:
            self._evict()
            todo = [
                p
                for p in range(len(book))
                if p not in self._ready or (p in keep and p not in self._cues)
            ]
        rank = lambda j: self._rank(j.page, window) if j.page is not None else j.priority  # noqa: E731
        self._analysis_pool.reprioritise(rank)
        self._music_pool.reprioritise(rank)
        for p in sorted(todo, key=lambda p: self._rank(p, window)):
            info, k = self._pages.get(p), self._cue_keys.get(p)
            if info is None or k is None:
                self._submit_page(p, self._rank(p, window))
            elif not self._music_pool.has(f"cue:{p}"):
                gen = self._gen.get(p, self._base)
                self._analysis_pool.submit(
                    f"find:{p}", lambda tok, i=info, k=k, g=gen: self._find_cue(i, k, g),
                    self._rank(p, window), page=p, on_error=self._error,
                )  # fmt: skip

    def _submit_page(self, page: int, priority: Priority) -> None:
        gen = self._gen.get(page, self._base)
        self._analysis_pool.submit(
            f"page:{page}", lambda tok: self._analyse_page(page, tok), priority, page=page,
            on_done=lambda info: self._page_done(info, gen), on_error=self._error,
        )  # fmt: skip

    def _preempt_music(self, rank: Priority) -> None:
        """Interrupt a generation less urgent than `rank`'s class (it is redone later):
        the page under the cursor first, then the pages ahead, then the rest."""
        window = self._window()

        def less_urgent(j: Job) -> bool:
            return (
                j.state == "running"
                and j.page is not None
                and self._rank(j.page, window)[0] > rank[0]
            )

        # The interrupted page goes straight back in the music queue, in its place:
        # not through the analysis queue, where it could wait behind pages' analysis.
        self._music_pool.preempt(
            less_urgent,
            lambda j: self._rank(j.page, window) if j.page is not None else j.priority,
            "the reader needs another page first",
        )
