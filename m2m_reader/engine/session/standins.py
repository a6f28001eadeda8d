"""The composer's stand-ins for a backend slower than real time.

A backend slower than real time (MusicGen on a CPU) never leaves the reader waiting in
silence: until its cue for a page is ready, the composer's cue for the same caption
stands in (made on a pool of its own, so a long generation does not hold it up, and
cached under the composer's own key), and the mixer lets the real cue take over on a
bar line. A stand-in is never the page's final cue: it does not make the page ready,
and it never lands after the real one (`PageTable.current`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from ..backends.choice import LiveMusic
from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable, Cancelled
from ..music.base import Cue
from .cue_maker import CueMaker
from .page_table import PageInfo, PageTable
from .scheduler import Pool, Priority

log = logging.getLogger(__name__)


class Standins:
    """Stand-in cues on their own pool (see the module docstring)."""

    def __init__(self, music: LiveMusic, pool: Pool, maker: CueMaker, table: PageTable) -> None:
        self.music, self.pool, self.maker, self.table = music, pool, maker, table

    def wanted(self) -> bool:
        """Whether the session's backend gets stand-ins."""
        return self.music.wants_standin()

    def submit(self, info: PageInfo, gen: int, rank: Priority) -> None:
        """The composer's cue for `info`'s page until the real one is ready."""
        self.pool.submit(
            f"standin:{info.page}", lambda tok: self._cue(info, tok), rank, page=info.page,
            on_done=lambda c: self.maker.deliver(c, gen, final=False), on_error=_failed,
        )  # fmt: skip

    def near(self, pages: Iterable[int], rank: dict[int, Priority]) -> None:
        """Stand-ins for `pages` (near the cursor) that have no cue yet: called when the
        cursor moves, as their real cues may be queued far behind."""
        if not self.wanted():
            return
        for info, gen in self.table.without_cue(pages):
            self.submit(info, gen, rank[info.page])

    def _cue(self, info: PageInfo, cancel: CancelToken) -> Cue:
        composer = self.music.standin()
        if composer is None:
            raise BackendUnavailable("The composer could not start to stand in.")
        return self.maker.make(info, self.maker.key(info, composer), cancel, composer)


def _failed(exc: BaseException) -> None:
    if not isinstance(exc, Cancelled):
        log.warning("the composer's stand-in cue failed: %s", exc)


__all__ = ["Standins"]
