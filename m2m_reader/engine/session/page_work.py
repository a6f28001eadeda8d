"""Analysis for one page: its scene (provisional, then final), directive and caption.

Scene boundaries come first as a provisional answer over the first pages, so music
starts before the whole book is analysed; the final answer follows and the pages whose
scene changed are redone. `PageWork` is a part of `Engine` (it uses the engine's
state, see `Engine._reset`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..analysis.emotions import Profile
from ..analysis.records import PageResult, ScenesResult
from ..core import events as ev
from ..core.cancel import CancelToken
from ..core.errors import Cancelled
from ..cue_recipe import CueRecipe
from .scheduler import IDLE

log = logging.getLogger(__name__)

PROVISIONAL_PAGES = 8  # provisional scene boundaries cover pages in steps of this many


@dataclass
class PageInfo:
    """What the music for one page is made from."""

    page: int
    scene: int
    first: int
    last: int
    directive: str
    result: PageResult
    joins: str
    seed: int
    seconds: float = 16.0  # the cue's length


class PageWork:
    """Scenes and page analysis (a part of `Engine`)."""

    book: Any
    analyzer: Any
    _lock: Any

    def _scenes_for(self, page: int, cancel: CancelToken) -> ScenesResult:
        """The best scene boundaries covering `page`: final, else provisional."""
        with self._scenes_lock:  # one provisional answer at a time, shared by all pages
            with self._lock:
                scenes, upto, plan = self._scenes, self._scenes_upto, self._plan
            if scenes is not None and (upto is None or page < upto):
                return scenes
            assert self.analyzer is not None and self.book is not None
            if self._rank(page)[0] == IDLE:
                # Far from the reader there is no hurry: wait for the final answer
                # rather than make music twice.
                result = self._final_scenes(cancel)
                self._final_scenes_done(result, plan)
                return result
            want = page + 6  # enough context for the first boundaries; more follows
            step = PROVISIONAL_PAGES
            if not self.book.has_annotations:
                # Pages without annotations are read from their pixels (about half a
                # second each): the first answer stops at the cursor's page, read
                # already, so its music starts before the pages ahead are read; the
                # next ones look a little ahead, and the final scenes redo what moved.
                want, step = (page + 1, 1) if scenes is None else (page + 3, PROVISIONAL_PAGES // 2)
            want = min(-(-want // step) * step, len(self.book))
            result, by, _ = self.analyzer.scenes(upto=want, cancel=cancel)
            with self._lock:
                # Not when the analysis was redone meanwhile (another backend, see `replan`).
                if plan == self._plan and (self._scenes is None or self._scenes_upto is not None):
                    final = not result.provisional
                    self._scenes, self._scenes_upto = result, None if final else want
        self._emit(ev.StageDone("scenes", "", by, provisional=result.provisional))
        return result

    def _final_scenes(self, cancel: CancelToken) -> ScenesResult:
        assert self.analyzer is not None
        result, by, _ = self.analyzer.scenes(cancel=cancel)
        with self._lock:
            self.stats.analysis_records = sum(self.analyzer.computed.values())
        self._emit(ev.StageDone("scenes", "", by))
        return result

    def _final_scenes_done(self, result: ScenesResult, plan: int | None = None) -> None:
        """The whole book's scenes are here (`plan`: the analysis plan they were made
        for; none when it has been redone since)."""
        book = self.book
        if book is None:
            return
        with self._lock:
            if plan is not None and plan != self._plan:
                return
            old = self._scenes
            self._scenes, self._scenes_upto = result, None
            n = len(book)
            old_ranges = {} if old is None else _range_by_page(old, n)
            new_ranges = _range_by_page(result, n)
            changed = [
                p for p, info in self._pages.items() if new_ranges[p] != (info.first, info.last)
            ]
            for p in changed:
                self._invalidate(p)
        if changed:
            log.info(
                "final scenes moved %d pages (of %d from provisional)",
                len(changed),
                len(old_ranges),
            )
            self._schedule()

    def _ranges(self, scenes: ScenesResult, page: int) -> tuple[int, int, int]:
        """(scene index, first page, last page) of `page`."""
        assert self.book is not None
        n = len(self.book) if self._scenes_upto is None else min(len(self.book), self._scenes_upto)
        for i, (a, b) in enumerate(scenes.ranges(max(n, page + 1))):
            if a <= page <= b:
                return i, a, b
        raise AssertionError(f"page {page} in no scene")

    def _analyse_page(self, page: int, cancel: CancelToken) -> PageInfo | None:
        analyzer = self.analyzer
        assert analyzer is not None and self.book is not None
        plan = self._plan
        # The page itself first: a book without annotations reads it from its pixels
        # now, and the OCR pool reads the next pages while the scenes are found. The
        # cursor's page before it (joining its reading, never twice), so that the
        # pages ahead do not share the CPU with it.
        with self._lock:
            cursor = self._cursor
        if not self.book.has_annotations and page != cursor:
            try:
                analyzer.transcript(cursor, cancel)
            except Cancelled:
                raise
            except Exception:  # noqa: BLE001 - the cursor's own job reports it
                log.debug("page %d waited for the cursor's page, which failed", page + 1)
        analyzer.transcript(page, cancel)
        scenes = self._scenes_for(page, cancel)
        idx, a, b = self._ranges(scenes, page)
        previous = None
        if idx > 0:
            _, pa, pb = self._ranges(scenes, a - 1)
            previous = self._scene_profile(idx - 1, pa, pb, cancel, plan)
        scene = analyzer.scene_input(idx, a, b, previous, cancel)
        directive, by, _ = analyzer.directive(scene, cancel)
        result = analyzer.page_result(page, scene, directive, cancel)
        result.backends["directive"] = by
        with self._lock:
            if plan == self._plan:
                self._scene_emotions[(a, b)] = scene.emotions
            self.stats.analysis_records = sum(analyzer.computed.values())
        r = CueRecipe.for_page(self.book, page, idx, a, result.caption, directive)
        return PageInfo(page, idx, a, b, directive, result, r.joins, r.seed, r.seconds)

    def _scene_profile(
        self, idx: int, a: int, b: int, cancel: CancelToken, plan: int | None = None
    ) -> Profile:
        with self._lock:
            if (a, b) in self._scene_emotions:
                return self._scene_emotions[(a, b)]
        prev = None
        if idx > 0 and self._scenes is not None:
            _, pa, pb = self._ranges(self._scenes, a - 1)
            prev = self._scene_profile(idx - 1, pa, pb, cancel, plan)
        assert self.analyzer is not None
        profile = self.analyzer.scene_input(idx, a, b, prev, cancel).emotions
        with self._lock:
            if plan is None or plan == self._plan:
                self._scene_emotions[(a, b)] = profile
        return profile

    def _scenes_moved(self, info: PageInfo) -> bool:
        """Whether the final scenes put `info`'s page in another scene than it was
        analysed in (called under the lock)."""
        if self._scenes is None or self._scenes_upto is not None:
            return False  # not final yet: `_final_scenes_done` will compare
        return self._ranges(self._scenes, info.page) != (info.scene, info.first, info.last)

    def _page_done(self, info: PageInfo | None, gen: int) -> None:
        if info is None or self._gen.get(info.page, self._base) != gen:
            return
        k = self._cue_key(info)  # may wait for the music backend to start
        with self._lock:
            if self._gen.get(info.page, self._base) != gen:
                return
            if self._scenes_moved(info):
                # Analysed from provisional scenes that the final ones, landing
                # meanwhile, moved: `_final_scenes_done` could not see it then.
                self._invalidate(info.page)
                redo = True
            else:
                redo = False
                self._pages[info.page] = info
                self._cue_keys[info.page] = k
        if redo:
            self._submit_page(info.page, self._rank(info.page))
            return
        by = info.result.backends.get("caption", "")
        self._emit(ev.StageDone("caption", k, by, page=info.page, scene=info.scene))
        self._find_cue(info, k, gen)


def _range_by_page(scenes: ScenesResult, n: int) -> dict[int, tuple[int, int]]:
    out = {}
    for a, b in scenes.ranges(n):
        for p in range(a, b + 1):
            out[p] = (a, b)
    return out
