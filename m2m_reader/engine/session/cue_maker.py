"""Cues: found in the store, else made by the music backend, then delivered.

What a page's cue is made from, and the key it is kept under, is the cue recipe's
(`cue_recipe`: the same for live playback, prepare-for-offline and export). A cue is
delivered to the mixer first (once `Engine.cue(page)` answers, the music is on its
way), then to the page table; cues far from the cursor leave memory, the store keeps
them. Which cue is made when is the planner's (`planner`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ..api import CueSink
from ..backends.choice import LiveMusic
from ..core import events as ev
from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable, Cancelled, M2MError
from ..core.heap import release_memory
from ..core.store import Store
from ..cue_recipe import CueRecipe, load_cue, save_cue
from ..music.base import Cue, MusicBackend
from .lookahead import Cursor, evictable, ram_pages
from .page_table import PageInfo, PageTable

log = logging.getLogger(__name__)

RELEASE_EVERY = 8  # cues delivered between two releases of freed memory to the system

Emit = Callable[[ev.Event], None]


@dataclass
class EngineStats:
    """What the engine really computed (cache misses) and the fallbacks it made."""

    analysis_records: int = 0  # analysis records computed
    music_jobs: int = 0  # cues made by the music backend
    cues_from_cache: int = 0
    fallbacks: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def reset(self) -> None:
        """Count from zero (another book)."""
        with self._lock:
            self.analysis_records = self.music_jobs = self.cues_from_cache = 0
            self.fallbacks = []

    def count(self, *, music_jobs: int = 0, cues_from_cache: int = 0) -> None:
        with self._lock:
            self.music_jobs += music_jobs
            self.cues_from_cache += cues_from_cache

    def records(self, n: int) -> None:
        with self._lock:
            self.analysis_records = n

    def fallback(self, what: str) -> None:
        with self._lock:
            self.fallbacks.append(what)


class Outlet:
    """The mixer the cues and turns go to (none in a headless session)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mixer: CueSink | None = None

    @property
    def mixer(self) -> CueSink | None:
        with self._lock:
            return self._mixer

    def attach(self, mixer: CueSink, cues: list[tuple[int, Cue]], cursor: int) -> None:
        with self._lock:
            self._mixer = mixer
        for page, cue in cues:
            mixer.set_cue(page, cue)
        mixer.turn(cursor, "jump")

    def set_cue(self, page: int, cue: Cue) -> None:
        mixer = self.mixer
        if mixer is not None:
            mixer.set_cue(page, cue)

    def forget(self, pages: list[int], playing: int | None = None) -> None:
        """The mixer lets go of `pages`' cues, but for `playing` (the page under the
        cursor plays on until its new cue comes)."""
        mixer = self.mixer
        if mixer is not None:
            for page in pages:
                if page != playing:
                    mixer.forget(page)

    def turn(self, page: int, kind: str) -> None:
        mixer = self.mixer
        if mixer is not None:
            mixer.turn(page, kind)


def recipe_of(info: PageInfo) -> CueRecipe:
    """The cue recipe of a page the engine has analysed (`cue_recipe.page_recipe`)."""
    return info.recipe


class CueMaker:
    """Finds, makes and delivers cues (see the module docstring).

    Args:
        store: where cues are kept.
        music: the session's music backend.
        table, cursor, outlet: the page table, the reader's cursor, the mixer.
        stats: counts the cues made and found.
        emit: told of each cue delivered and of the soundtrack's progress.
        pages: the open book's length.
    """

    def __init__(
        self,
        store: Store,
        music: LiveMusic,
        table: PageTable,
        cursor: Cursor,
        outlet: Outlet,
        stats: EngineStats,
        emit: Emit,
        pages: Callable[[], int],
    ) -> None:
        self.store, self.music, self.table = store, music, table
        self.cursor, self.outlet, self.stats = cursor, outlet, stats
        self._emit, self._pages = emit, pages
        self._deliver = threading.Lock()  # a stand-in never lands after the real cue
        self._delivered = 0

    def key(self, info: PageInfo, backend: MusicBackend | None = None) -> str:
        """The store key of `info`'s cue made by `backend` (default: the session's,
        waiting for it to start)."""
        return recipe_of(info).key(backend or self.music.get())

    def load(self, info: PageInfo, k: str) -> Cue | None:
        return load_cue(self.store, recipe_of(info), k)

    def make(
        self, info: PageInfo, k: str, cancel: CancelToken, backend: MusicBackend | None = None
    ) -> Cue:
        """The cue from the store, else made by `backend` (default: the session's) and
        kept under `k`."""
        cached = self.load(info, k)
        if cached is not None:
            return cached
        music = self.music.get()
        backend = backend or music
        request = recipe_of(info).request(self.table.cue(info.page - 1), backend)
        try:
            cue = backend.make_cue(request, cancel)
        except Cancelled:
            raise
        except Exception as exc:
            # A backend retired under its job (settings changed, see `replan`) fails
            # as it closes: the job was cancelled, not the backend broken.
            cancel.check()
            if isinstance(exc, M2MError) and not isinstance(exc, BackendUnavailable):
                raise BackendUnavailable(str(exc)) from exc
            raise
        if backend is music:  # stand-ins are not counted
            self.stats.count(music_jobs=1)
        cancel.check()
        save_cue(self.store, k, cue)
        return cue

    def deliver(self, cue: Cue, gen: int, cached: bool = False, final: bool = True) -> None:
        """A page's cue made at generation `gen` is here; `final=False` for a quick first
        cue or a composer stand-in (the page's music is not yet complete)."""
        with self._deliver:
            if not self.table.current(cue.page, gen, final):
                return  # stale, or the full cue came first
            cursor = self.cursor.page
            near = cue.page in ram_pages(cursor)
            if near:
                self.outlet.set_cue(cue.page, cue)
            if not self.table.deliver(cue, gen, final, keep=near):
                return
            if cached:
                self.stats.count(cues_from_cache=1)
            if near:
                self.evict(cursor)
            self._delivered += 1
            release = self._delivered % RELEASE_EVERY == 0
        self._emit(ev.CueReady(cue.page, cue.backend, cached))
        if release:
            release_memory()
        self._emit(ev.Progress(self.table.ready_count(), self._pages(), "soundtrack"))

    def evict(self, cursor: int) -> None:
        """Cues far from `cursor` leave memory, oldest first; the store keeps them."""
        gone = self.table.evict(evictable(self.table.in_memory(), cursor))
        self.outlet.forget(gone)


__all__ = ["CueMaker", "EngineStats", "Outlet", "recipe_of"]
