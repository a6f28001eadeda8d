"""The planner: which page's analysis and cue are made when, and what is redone.

It queues what is missing, best first (`lookahead`), and re-ranks the queues when the
cursor moves; a page's analysis (`page_work`) is followed by its cue (found in the
store, else made: `cue_maker`, with the composer's stand-in for a slow backend:
`standins`). What changed inputs make stale is invalidated in the page table
(`page_table`) and queued again. A jump interrupts a generation far from the new
cursor; nothing plays yet, a short cue comes first so the music starts sooner.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace

from ..analysis.records import ScenesResult
from ..backends.choice import LiveMusic, explain
from ..core import events as ev
from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable, M2MError
from .cue_maker import CueMaker, EngineStats, Outlet
from .lookahead import Cursor, Ranking, ram_pages
from .page_table import PageInfo, PageTable
from .page_work import OpenBook, analyse_page
from .reading_speed import ReadingSpeed
from .scheduler import AHEAD, IDLE, NOW, Job, Pools, Priority
from .standins import Standins

log = logging.getLogger(__name__)

QUICK_START_S = 8.0  # the first cue of a session, when nothing plays yet

Emit = Callable[[ev.Event], None]


class Planner:
    """Queues, re-ranks and redoes the work for the open book (see the module
    docstring). `work` is the open book's parts (None before the first `open`)."""

    def __init__(
        self,
        table: PageTable,
        cursor: Cursor,
        speed: ReadingSpeed,
        pools: Pools,
        maker: CueMaker,
        standins: Standins,
        music: LiveMusic,
        outlet: Outlet,
        stats: EngineStats,
        emit: Emit,
    ) -> None:
        self.table, self.cursor, self.speed, self.pools = table, cursor, speed, pools
        self.maker, self.standins, self.music, self.outlet = maker, standins, music, outlet
        self.stats, self._emit = stats, emit
        self._lock = threading.Lock()
        self._work: OpenBook | None = None
        self.closed = False

    @property
    def work(self) -> OpenBook | None:
        with self._lock:
            return self._work

    def begin(self, work: OpenBook | None) -> None:
        """Work on `work` from now on (another book, or none)."""
        with self._lock:
            self._work = work

    def ranking(self) -> Ranking | None:
        work = self.work
        if work is None:
            return None
        return Ranking.at(work.book, self.cursor.page, self.speed.seconds)

    # -- the cursor -----------------------------------------------------------------

    def turn(self, page: int, kind: str) -> None:
        """The reader moved to `page`: by a page turn ("turn") or elsewhere ("jump")."""
        work = self.work
        if work is None:
            return
        page = max(0, min(page, len(work.book) - 1))
        old, spent = self.cursor.move(page)
        if kind == "turn" and abs(page - old) == 1:
            self.speed.learn(work.book.pages[old], spent)
        self.outlet.turn(page, "jump" if kind == "jump" else "turn")
        info = self.table.info(page)
        self._emit(ev.Playing(page, info.scene if info else -1))
        self.schedule()
        if kind == "jump" or self.table.cue(page) is None:
            # Work far from the reader must not hold up the page they are on.
            self.preempt((AHEAD, 0))
        ranking = self.ranking()
        if ranking is not None:
            near = ram_pages(page)
            self.standins.near(near, {p: ranking.of(p) for p in near})

    # -- queues ---------------------------------------------------------------------

    def schedule(self) -> None:
        """Queue what is missing, best first, and re-rank what is queued."""
        work = self.work
        if work is None or self.closed:
            return
        ranking = Ranking.at(work.book, self.cursor.page, self.speed.seconds)
        self.maker.evict(ranking.cursor)
        todo = self.table.todo(len(work.book), ram_pages(ranking.cursor))

        def rank(j: Job) -> Priority:
            return ranking.of(j.page) if j.page is not None else j.priority

        self.pools.analysis.reprioritise(rank)
        self.pools.music.reprioritise(rank)
        for t in sorted(todo, key=lambda t: ranking.of(t.page)):
            if t.info is None or t.key is None:
                self.submit_page(work, t.page, ranking.of(t.page), t.generation)
            elif not self.pools.music.has(f"cue:{t.page}"):
                self._submit_find(t.info, t.key, t.generation, ranking.of(t.page))

    def _submit_find(self, info: PageInfo, k: str, gen: int, priority: Priority) -> None:
        self.pools.analysis.submit(
            f"find:{info.page}", lambda tok: self.find_cue(info, k, gen), priority,
            page=info.page, on_error=self.error,
        )  # fmt: skip

    def submit_page(self, work: OpenBook, page: int, priority: Priority, gen: int) -> None:
        self.pools.analysis.submit(
            f"page:{page}", lambda tok: self._analyse(work, page, tok), priority, page=page,
            on_done=lambda info: self.page_done(info, gen), on_error=self.error,
        )  # fmt: skip

    def _analyse(self, work: OpenBook, page: int, cancel: CancelToken) -> PageInfo:
        cursor = self.cursor.page
        ranking = Ranking.at(work.book, cursor, self.speed.seconds)
        try:
            return analyse_page(work, page, cursor, ranking.far(page), cancel)
        finally:
            self.stats.records(sum(work.analyzer.computed.values()))

    def preempt(self, rank: Priority) -> None:
        """Interrupt a generation less urgent than `rank`'s class (it is redone later):
        the page under the cursor first, then the pages ahead, then the rest."""
        ranking = self.ranking()
        if ranking is None:
            return

        def less_urgent(j: Job) -> bool:
            return j.state == "running" and j.page is not None and ranking.of(j.page)[0] > rank[0]

        # The interrupted page goes straight back in the music queue, in its place:
        # not through the analysis queue, where it could wait behind pages' analysis.
        self.pools.music.preempt(
            less_urgent,
            lambda j: ranking.of(j.page) if j.page is not None else j.priority,
            "the reader needs another page first",
        )

    # -- results --------------------------------------------------------------------

    def page_done(self, info: PageInfo, gen: int) -> None:
        try:
            self._page_done(info, gen)
        except RuntimeError:
            if not self.closed:
                raise
            # The engine closed between the check and a submit: the pool refused it.

    def _page_done(self, info: PageInfo, gen: int) -> None:
        work = self.work
        if work is None or self.closed or self.table.generation(info.page) != gen:
            return  # (closed: an analysis that finished while the engine closed)
        k = self.maker.key(info)  # may wait for the music backend to start
        # Analysed from provisional scenes that the final ones, landing meanwhile,
        # moved: `final_done` could not see it then.
        taken = self.table.accept(info, k, gen, lambda i: not work.scenes.moved(i))
        if taken is None:
            return
        if not taken:
            self.invalidate([info.page])
            ranking = self.ranking()
            if ranking is not None:
                self.submit_page(
                    work, info.page, ranking.of(info.page), self.table.generation(info.page)
                )
            return
        by = info.result.backends.get("caption", "")
        self._emit(ev.StageDone("caption", k, by, page=info.page, scene=info.scene))
        self.find_cue(info, k, gen)

    def find_cue(self, info: PageInfo, k: str, gen: int) -> None:
        """On a worker: the cue from the store, else a music job for it."""
        if self.closed:
            return
        cue = self.maker.load(info, k)  # a cached cue never waits behind a generation
        if cue is not None:
            self.maker.deliver(cue, gen, cached=True)
            return
        ranking = self.ranking()
        if ranking is None:
            return
        rank = ranking.of(info.page)
        if rank[0] != IDLE:
            self.preempt(rank)
        if self.standins.wanted():
            if rank[0] != IDLE:
                self.standins.submit(info, gen, rank)
        elif rank[0] == NOW and not self.table.has_cues() and info.seconds > QUICK_START_S:
            # Nothing plays yet: a short cue first, so the music starts sooner; the
            # full one follows after the pages ahead.
            quick = replace(info, recipe=replace(info.recipe, seconds=QUICK_START_S))
            qk = self.maker.key(quick)
            self.pools.music.submit(
                f"quick:{info.page}", lambda tok: self.maker.make(quick, qk, tok), rank,
                page=info.page, on_done=lambda c: self.maker.deliver(c, gen, final=False),
                on_error=self.error,
            )  # fmt: skip
            rank = ranking.behind_window()
        self.pools.music.submit(
            f"cue:{info.page}", lambda tok: self.maker.make(info, k, tok), rank,
            page=info.page, on_done=lambda c: self.maker.deliver(c, gen), on_error=self.error,
        )  # fmt: skip

    # -- the whole book's scenes ----------------------------------------------------

    def submit_final_scenes(self) -> None:
        """The whole book's scenes, after the pages near the cursor."""
        work = self.work
        if work is None:
            return
        plan = work.scenes.plan
        self.pools.analysis.submit(
            "scenes:final", work.scenes.final, (AHEAD, 10_000),
            on_done=lambda r: self.final_done(work, r, plan), on_error=self.error,
        )  # fmt: skip

    def final_done(self, work: OpenBook, result: ScenesResult, plan: int) -> None:
        """The whole book's scenes are here (made for the analysis plan `plan`): the
        pages they put in another scene are redone."""
        if work is not self.work or not work.scenes.land_final(result, plan):
            return
        ranges = work.scenes.ranges_by_page()
        changed = [
            p for p, info in self.table.infos().items() if ranges.get(p) != (info.first, info.last)
        ]
        if changed:
            log.info("final scenes moved %d pages", len(changed))
            self.invalidate(changed)
            self.schedule()

    # -- redoing --------------------------------------------------------------------

    def invalidate(self, pages: Iterable[int]) -> None:
        """Forget what the engine holds for `pages` and stop the work on them (the mixer
        keeps playing the cursor's old cue until the new one arrives)."""
        pages = list(pages)
        self.table.invalidate(pages)
        self.outlet.forget(pages, playing=self.cursor.page)
        for page in pages:
            self.pools.cancel_page(page, "its inputs changed")

    def redo_analysis(self, keep_scenes: bool, reason: str) -> None:
        """Every page's analysis and music again (another text or emotion backend, edits
        made elsewhere); the page under the cursor plays on until its new cue comes."""
        work = self.work
        if work is None:
            return
        work.scenes.redo(keep_scenes)
        self.pools.analysis.cancel_where(lambda j: j.page is None, reason)
        self.invalidate(range(len(work.book)))
        self.submit_final_scenes()
        self._emit(ev.Progress(self.table.ready_count(), len(work.book), "soundtrack"))
        self.schedule()

    def redo_pages(self, pages: Iterable[int]) -> None:
        """`pages`' captions and music again (a person's edit)."""
        work = self.work
        if work is None:
            return
        work.analyzer.forget()
        self.invalidate(pages)
        self.schedule()

    def redo_cues(self) -> None:
        """Every page keeps its analysis and gets a new cue for the new music backend;
        work on the old cues is dropped."""
        work = self.work
        if work is None:
            return
        dropped = self.table.renew_cues(self.maker.key)
        self.outlet.forget(dropped, playing=self.cursor.page)
        reason = "the music backend changed"
        self.pools.music.cancel_where(lambda j: True, reason)
        self.pools.standin.cancel_where(lambda j: True, reason)
        self.pools.analysis.cancel_where(lambda j: j.page is not None, reason)
        self._emit(ev.Progress(0, len(work.book), "soundtrack"))
        self.schedule()

    # -- errors ---------------------------------------------------------------------

    def error(self, exc: BaseException) -> None:
        """A job failed: a music backend that failed for good gives way to the composer
        (see `LiveMusic.fall_back`), anything else is one EngineError."""
        if self.closed:
            return  # work that was under way when the engine closed
        if isinstance(exc, BackendUnavailable) and self.music.fall_back(exc):
            self.invalidate(self.table.unready())
            self.schedule()
            return
        if not isinstance(exc, M2MError):
            log.error("engine job failed", exc_info=exc)
        self._emit(ev.EngineError(explain(exc)))


__all__ = ["QUICK_START_S", "Planner"]
