"""Cues: found in the store, else made by the music backend, then handed to the mixer.

What a page's cue is made from, and the key it is kept under, is the cue recipe's
(`cue_recipe`: the same for live playback, prepare-for-offline and export). When
nothing plays yet, a short cue comes first so the music starts sooner. A backend
slower than real time (MusicGen on a CPU) never leaves the reader waiting in silence:
until its cue for a page is ready, the composer's cue for the same caption stands in
(made on a pool of its own, so a long generation does not hold it up), and the mixer
lets the real cue take over on a bar line. `CueWork` is a part of `Engine` (it uses the engine's state, see
`Engine._reset`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from ...runtime import release_memory
from ..core import events as ev
from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable, Cancelled, M2MError
from ..cue_recipe import CUE_BUCKETS, CUE_VERSION, CueRecipe, load_cue, save_cue
from ..music.base import Cue
from .page_work import PageInfo
from .scheduler import AHEAD, IDLE, NOW

log = logging.getLogger(__name__)

QUICK_START_S = 8.0  # the first cue of a session, when nothing plays yet
STANDIN_FOR = frozenset({"musicgen"})  # backends whose cues wait for a composer stand-in


class CueWork:
    """Cues for pages (a part of `Engine`)."""

    book: Any
    store: Any
    stats: Any
    mixer: Any
    _lock: Any
    _cues: Any
    _deliver_lock: Any
    _standin_pool: Any

    def _find_cue(self, info: PageInfo, k: str, gen: int) -> None:
        """On a worker: the cue from the store, else a music job for it."""
        cue = self._load_cue(info, k)  # a cached cue never waits behind a generation
        if cue is not None:
            self._cue_done(cue, gen, cached=True)
            return
        rank = self._rank(info.page)
        if rank[0] != IDLE:
            self._preempt_music(rank)
        if self._wants_standin():
            if rank[0] != IDLE:
                self._submit_standin(info, gen, rank)
        elif rank[0] == NOW and not self._cues and info.seconds > QUICK_START_S:
            # Nothing plays yet: a short cue first, so the music starts sooner; the
            # full one follows after the pages ahead.
            quick = replace(info, seconds=QUICK_START_S)
            qk = self._cue_key(quick)
            self._music_pool.submit(
                f"quick:{info.page}", lambda tok: self._make_cue(quick, qk, tok), rank, page=info.page,
                on_done=lambda c: self._cue_done(c, gen, final=False), on_error=self._error,
            )  # fmt: skip
            rank = (AHEAD, len(self._window()) + 1)
        self._music_pool.submit(
            f"cue:{info.page}", lambda tok: self._make_cue(info, k, tok), rank,
            page=info.page, on_done=lambda c: self._cue_done(c, gen), on_error=self._error,
        )  # fmt: skip

    def _wants_standin(self) -> bool:
        return self.music.name in STANDIN_FOR

    def _submit_standin(self, info: PageInfo, gen: int, rank: Any) -> None:
        """The composer's cue for the page (from the store, else made) until the real
        one is ready; the stand-in is cached under the composer's own key."""
        self._standin_pool.submit(
            f"standin:{info.page}", lambda tok: self._standin_cue(info, tok), rank,
            page=info.page, on_done=lambda c: self._cue_done(c, gen, final=False),
            on_error=self._standin_error,
        )  # fmt: skip

    def _standin_cue(self, info: PageInfo, cancel: CancelToken) -> Cue:
        """On the stand-in pool: the composer's cue, from the store or made."""
        composer = self._standin_backend()
        if composer is None:
            raise BackendUnavailable("The composer could not start to stand in.")
        return self._make_cue(info, self._cue_key(info, composer), cancel, composer)

    def _standins_near(self) -> None:
        """Stand-ins for the pages near the cursor that have no cue in memory (called
        when the cursor moves: their real cues may be queued far behind)."""
        if self.book is None or not self._wants_standin():
            return
        with self._lock:
            todo = [p for p in self._ram_pages() if p in self._pages and p not in self._cues
                    and p not in self._ready]  # fmt: skip
        for p in todo:
            self._submit_standin(self._pages[p], self._gen.get(p, self._base), self._rank(p))

    def _standin_error(self, exc: BaseException) -> None:
        if not isinstance(exc, Cancelled):
            log.warning("the composer's stand-in cue failed: %s", exc)

    def _cue_key(self, info: PageInfo, backend: Any = None) -> str:
        return recipe_of(info).key(backend or self.music)

    def _load_cue(self, info: PageInfo, k: str) -> Cue | None:
        return load_cue(self.store, recipe_of(info), k)

    def _make_cue(self, info: PageInfo, k: str, cancel: CancelToken, backend: Any = None) -> Cue:
        cached = self._load_cue(info, k)
        if cached is not None:
            return cached
        backend = backend or self.music
        request = recipe_of(info).request(self._cues.get(info.page - 1), backend)
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
        if backend is self.music:  # stand-ins are not counted
            with self._lock:
                self.stats.music_jobs += 1
        cancel.check()
        save_cue(self.store, k, cue)
        return cue

    def _cue_done(self, cue: Cue, gen: int, cached: bool = False, final: bool = True) -> None:
        """A page's cue is here; `final=False` for a quick first cue or a composer
        stand-in (the page's music is not yet complete)."""
        with self._deliver_lock:  # a stand-in never lands after the real cue
            if self._gen.get(cue.page, self._base) != gen:
                return
            near = cue.page in self._ram_pages()
            if not final and cue.page in self._ready:
                return  # the full cue came first
            if near and self.mixer is not None:
                # The mixer first: once `cue(page)` answers, the music is on its way.
                self.mixer.set_cue(cue.page, cue)
            with self._lock:
                if self._gen.get(cue.page, self._base) != gen:
                    return
                if final:
                    self._ready.add(cue.page)
                if near:
                    self._cues[cue.page] = cue
                    self._evict()
                if cached:
                    self.stats.cues_from_cache += 1
        self._emit(ev.CueReady(cue.page, cue.backend, cached))
        self._delivered += 1
        if self._delivered % 8 == 0:
            release_memory()
        self._emit(ev.Progress(len(self._ready), len(self.book or ()), "soundtrack"))


def recipe_of(info: PageInfo) -> CueRecipe:
    """The cue recipe of a page the engine has analysed."""
    return CueRecipe(page=info.page, scene=info.scene, first=info.first,
                     caption=info.result.caption, directive=info.directive,
                     seconds=info.seconds, seed=info.seed)  # fmt: skip


__all__ = ["CUE_BUCKETS", "CUE_VERSION", "QUICK_START_S", "STANDIN_FOR", "CueWork", "recipe_of"]
