"""The page table: what the engine holds for each page, behind one lock.

Per page: its analysis (`PageInfo`), its cue's store key, whether its cue is in the
store ("ready"), and its cue in memory (the pages near the cursor). Staleness is
handled one way: every page has a generation, and work on a page carries the
generation the page had when the work started. `invalidate()` moves a page's
generation on and forgets what the table holds for it; `accept()` and `deliver()`
take a result only while its generation is the page's, so results of stale work
(inputs edited, scenes moved, another backend, another book) are dropped under the
same lock that changed the generation.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..analysis.records import PageResult
from ..cue_recipe import CueRecipe
from ..music.base import Cue

# Generations are unique across books and edits: a result carries the generation its
# page had when the work started, and is dropped if the page has moved on since.
_GENERATIONS = itertools.count(1)


@dataclass(frozen=True)
class PageInfo:
    """What the music for one page is made from: its analysis and its cue recipe."""

    page: int
    scene: int
    first: int
    last: int
    directive: str
    result: PageResult
    recipe: CueRecipe

    @property
    def seconds(self) -> float:
        """The cue's length."""
        return self.recipe.seconds


@dataclass(frozen=True)
class Todo:
    """A page whose cue is missing: its analysis and key when they are known."""

    page: int
    info: PageInfo | None
    key: str | None
    generation: int


class PageTable:
    """Per-page state (see the module docstring). Every method takes the one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._base = next(_GENERATIONS)
        self._gen: dict[int, int] = {}
        self._pages: dict[int, PageInfo] = {}
        self._keys: dict[int, str] = {}
        self._ready: set[int] = set()  # pages whose cue is in the store
        self._cues: OrderedDict[int, Cue] = OrderedDict()

    def reset(self) -> list[int]:
        """Forget everything (another book): every page's generation moves on. Returns
        the pages whose cues were in memory."""
        with self._lock:
            dropped = list(self._cues)
            self._base = next(_GENERATIONS)
            self._gen.clear()
            self._pages.clear()
            self._keys.clear()
            self._ready.clear()
            self._cues.clear()
        return dropped

    # -- generations ----------------------------------------------------------------

    def generation(self, page: int) -> int:
        with self._lock:
            return self._gen.get(page, self._base)

    def invalidate(self, pages: Iterable[int]) -> None:
        """Forget what the table holds for `pages`; work on them under way is stale."""
        with self._lock:
            for page in pages:
                self._gen[page] = next(_GENERATIONS)
                self._pages.pop(page, None)
                self._keys.pop(page, None)
                self._ready.discard(page)
                self._cues.pop(page, None)

    def unready(self) -> list[int]:
        """The analysed pages whose cue is not ready."""
        with self._lock:
            return [p for p in self._pages if p not in self._ready]

    def renew_cues(self, key_of: Callable[[PageInfo], str]) -> list[int]:
        """Every page keeps its analysis and gets a new cue key (another music backend);
        work on the old cues is stale. Returns the pages whose cues were in memory."""
        with self._lock:
            self._base = next(_GENERATIONS)
            self._gen.clear()
            for p, info in self._pages.items():
                self._keys[p] = key_of(info)
            self._ready.clear()
            dropped = list(self._cues)
            self._cues.clear()
        return dropped

    # -- results --------------------------------------------------------------------

    def accept(
        self, info: PageInfo, key: str, generation: int, valid: Callable[[PageInfo], bool]
    ) -> bool | None:
        """Take a page's analysis made at `generation`: True when taken; False when
        `valid(info)` says it must be redone (the page is invalidated); None when it
        is stale (dropped)."""
        with self._lock:
            if self._gen.get(info.page, self._base) != generation:
                return None
            if not valid(info):
                self._gen[info.page] = next(_GENERATIONS)
                return False
            self._pages[info.page] = info
            self._keys[info.page] = key
            return True

    def current(self, page: int, generation: int, final: bool) -> bool:
        """Whether a cue made at `generation` is still wanted (a quick first cue or a
        stand-in, `final=False`, is not once the full cue is ready)."""
        with self._lock:
            if self._gen.get(page, self._base) != generation:
                return False
            return final or page not in self._ready

    def deliver(self, cue: Cue, generation: int, final: bool, keep: bool) -> bool:
        """Take a page's cue made at `generation`: the page is ready when `final`, and
        the cue stays in memory when `keep`. False when it is stale."""
        with self._lock:
            if self._gen.get(cue.page, self._base) != generation:
                return False
            if final:
                self._ready.add(cue.page)
            if keep:
                self._cues[cue.page] = cue
            return True

    def evict(self, pages: Iterable[int]) -> list[int]:
        """Cues of `pages` leave memory (the store keeps them); returns those that did."""
        with self._lock:
            out = [p for p in pages if self._cues.pop(p, None) is not None]
        return out

    # -- reads ----------------------------------------------------------------------

    def info(self, page: int) -> PageInfo | None:
        with self._lock:
            return self._pages.get(page)

    def infos(self) -> dict[int, PageInfo]:
        with self._lock:
            return dict(self._pages)

    def cue(self, page: int) -> Cue | None:
        with self._lock:
            return self._cues.get(page)

    def cues(self) -> list[tuple[int, Cue]]:
        """The cues in memory, oldest first."""
        with self._lock:
            return list(self._cues.items())

    def in_memory(self) -> list[int]:
        with self._lock:
            return list(self._cues)

    def has_cues(self) -> bool:
        with self._lock:
            return bool(self._cues)

    def ready(self) -> set[int]:
        with self._lock:
            return set(self._ready)

    def ready_count(self) -> int:
        with self._lock:
            return len(self._ready)

    def keys(self) -> dict[int, str]:
        with self._lock:
            return dict(self._keys)

    def todo(self, pages: int, keep: range) -> list[Todo]:
        """The pages whose cue is not ready, or not in memory though in `keep`."""
        with self._lock:
            return [
                Todo(p, self._pages.get(p), self._keys.get(p), self._gen.get(p, self._base))
                for p in range(pages)
                if p not in self._ready or (p in keep and p not in self._cues)
            ]

    def without_cue(self, pages: Iterable[int]) -> list[tuple[PageInfo, int]]:
        """The analysed pages among `pages` with no cue yet (in memory or ready), with
        their generations."""
        with self._lock:
            return [
                (self._pages[p], self._gen.get(p, self._base))
                for p in pages
                if p in self._pages and p not in self._cues and p not in self._ready
            ]


__all__ = ["PageInfo", "PageTable", "Todo"]
