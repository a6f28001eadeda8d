"""A book's scenes: a provisional answer over its first pages, then the final one.

Scene boundaries come first as a provisional answer over the first pages, so music
starts before the whole book is analysed; the final answer follows and the pages whose
scene changed are redone (see `planner`). `Scenes` also keeps each scene's emotion
profile (the next scene's directive is written from it). Its `plan` number moves on
when the analysis is redone (another backend, edits made elsewhere): scenes made for
an older plan are dropped when they land.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..analysis.emotions import Profile
from ..analysis.pipeline import Analyzer
from ..analysis.records import ScenesResult
from ..books.model import Book
from ..core.cancel import CancelToken
from .page_table import PageInfo

PROVISIONAL_PAGES = 8  # provisional scene boundaries cover pages in steps of this many

OnScenes = Callable[[str, bool], None]  # (backend, provisional): a scenes answer came
OnFinal = Callable[[ScenesResult, int], None]  # the final scenes, for the plan they are of


@dataclass(frozen=True)
class SceneView:
    """One consistent look at the scenes (for the analysis the UI shows)."""

    scenes: ScenesResult | None
    upto: int | None  # the pages the provisional answer covers; None once final
    emotions: dict[tuple[int, int], Profile]


class Scenes:
    """The scenes of one book (see the module docstring).

    Args:
        book, analyzer: the book and its analysis.
        on_scenes: told of each answer computed (on the worker that computed it).
        on_final: given the final scenes a page waited for (to put them in place and
            redo the pages they moved).
    """

    def __init__(
        self, book: Book, analyzer: Analyzer, on_scenes: OnScenes, on_final: OnFinal
    ) -> None:
        self.book = book
        self.analyzer = analyzer
        self._on_scenes = on_scenes
        self._on_final = on_final
        self._lock = threading.Lock()  # the state below
        self._provisional = threading.Lock()  # one provisional answer at a time
        self._scenes: ScenesResult | None = None
        self._upto: int | None = None
        self._plan = 0
        self._emotions: dict[tuple[int, int], Profile] = {}

    @property
    def plan(self) -> int:
        with self._lock:
            return self._plan

    def view(self) -> SceneView:
        with self._lock:
            return SceneView(self._scenes, self._upto, dict(self._emotions))

    def redo(self, keep_scenes: bool) -> None:
        """The analysis is redone: older answers are dropped when they come. With
        `keep_scenes` the scenes shown stay until the new ones replace them."""
        with self._lock:
            self._plan += 1
            self._emotions.clear()
            if not keep_scenes:
                self._scenes, self._upto = None, None

    # -- answers --------------------------------------------------------------------

    def for_page(self, page: int, cancel: CancelToken, far: bool) -> ScenesResult:
        """The best scene boundaries covering `page`: final, else provisional (`far`:
        the page is far from the reader, so it waits for the final answer rather than
        have its music made twice)."""
        with self._provisional:
            with self._lock:
                scenes, upto, plan = self._scenes, self._upto, self._plan
            if scenes is not None and (upto is None or page < upto):
                return scenes
            if far:
                result = self.final(cancel)
                self._on_final(result, plan)
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
                if plan == self._plan and (self._scenes is None or self._upto is not None):
                    self._scenes, self._upto = result, None if not result.provisional else want
        self._on_scenes(by, result.provisional)
        return result

    def final(self, cancel: CancelToken) -> ScenesResult:
        """The whole book's scenes (computed, not yet put in place: see `land_final`)."""
        result, by, _ = self.analyzer.scenes(cancel=cancel)
        self._on_scenes(by, False)
        return result

    def land_final(self, result: ScenesResult, plan: int) -> bool:
        """Put the final scenes in place, unless the analysis was redone since `plan`."""
        with self._lock:
            if plan != self._plan:
                return False
            self._scenes, self._upto = result, None
            return True

    # -- where a page is ------------------------------------------------------------

    def _locate(self, scenes: ScenesResult, upto: int | None, page: int) -> tuple[int, int, int]:
        n = len(self.book) if upto is None else min(len(self.book), upto)
        for i, (a, b) in enumerate(scenes.ranges(max(n, page + 1))):
            if a <= page <= b:
                return i, a, b
        raise AssertionError(f"page {page} in no scene")

    def locate(self, scenes: ScenesResult, page: int) -> tuple[int, int, int]:
        """(scene index, first page, last page) of `page` in `scenes`."""
        with self._lock:
            upto = self._upto if scenes is self._scenes else None
        return self._locate(scenes, upto, page)

    def moved(self, info: PageInfo) -> bool:
        """Whether the final scenes put `info`'s page in another scene than it was
        analysed in (False while the scenes are provisional: `planner` compares when
        the final ones land)."""
        with self._lock:
            scenes, upto = self._scenes, self._upto
        if scenes is None or upto is not None:
            return False
        return self._locate(scenes, None, info.page) != (info.scene, info.first, info.last)

    def ranges_by_page(self) -> dict[int, tuple[int, int]]:
        """(first, last) of each page's scene, in the scenes in place."""
        with self._lock:
            scenes = self._scenes
        out: dict[int, tuple[int, int]] = {}
        if scenes is not None:
            for a, b in scenes.ranges(len(self.book)):
                for p in range(a, b + 1):
                    out[p] = (a, b)
        return out

    # -- scene emotions -------------------------------------------------------------

    def profile(self, idx: int, a: int, b: int, cancel: CancelToken, plan: int) -> Profile:
        """The emotion profile of scene `idx` (pages `a`..`b`), made from the scenes
        before it."""
        with self._lock:
            known = self._emotions.get((a, b))
            scenes = self._scenes
        if known is not None:
            return known
        prev = None
        if idx > 0 and scenes is not None:
            _, pa, pb = self.locate(scenes, a - 1)
            prev = self.profile(idx - 1, pa, pb, cancel, plan)
        profile = self.analyzer.scene_input(idx, a, b, prev, cancel).emotions
        self.remember(a, b, profile, plan)
        return profile

    def remember(self, a: int, b: int, profile: Profile, plan: int) -> None:
        with self._lock:
            if plan == self._plan:
                self._emotions[(a, b)] = profile
