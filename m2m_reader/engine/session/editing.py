"""A person's edits (directives and captions) and the analysis as the UI shows it.

An edit invalidates what was made from the edited text (the page's generation moves
on, so results of stale work are dropped) and the engine redoes it. Edits another
process makes (`m2m-reader edit` in a terminal while the reader is open) are picked up
within `EDITS_POLL_S` and redone the same way; the store writes one edit at a time, so
neither side overwrites the other's. `Editing` is a part of `Engine` (it uses the
engine's state, see `Engine._reset`).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from typing import Any

from ..analysis.records import Analysis, PageResult, SceneResult

# Generations are unique across books and edits: a result carries the generation its
# page had when the work started, and is dropped if the page has moved on since.
_GENERATIONS = itertools.count(1)

EDITS_POLL_S = 1.0  # how often a running engine looks for edits made elsewhere

log = logging.getLogger(__name__)


class Editing:
    """Edits and the analysis view (a part of `Engine`)."""

    book: Any
    edits: Any
    analyzer: Any
    mixer: Any
    _lock: Any

    def analysis(self) -> Analysis | None:
        """The analysis so far: every scene known, every page analysed (others empty)."""
        book = self.book
        with self._lock:
            scenes, pages = self._scenes, dict(self._pages)
            provisional = self._scenes_upto is not None
        if book is None or scenes is None:
            return None
        n = len(book) if not provisional else min(len(book), self._scenes_upto or len(book))
        out: list[SceneResult] = []
        for i, (a, b) in enumerate(scenes.ranges(n)):
            infos = [pages.get(p) for p in range(a, b + 1)]
            known = next((x for x in infos if x is not None and (x.first, x.last) == (a, b)), None)
            s = SceneResult(index=i, first_page=a, last_page=b, directive=known.directive if known else "",
                            emotions=self._scene_emotions.get((a, b), {}), reason=scenes.reasons.get(a, ""))  # fmt: skip
            s.pages = [
                x.result if x is not None else PageResult(index=p)
                for p, x in zip(range(a, b + 1), infos, strict=True)
            ]
            out.append(s)
        return Analysis(title=book.title, n_pages=len(book), mode="scene", scenes=out, provisional=provisional,
                        backends={"text": self.text.name, "emotions": self.emotions.name, "music": self._music.name if self._music else self.settings.music})  # fmt: skip

    # -- edits ------------------------------------------------------------------------

    def edit_directive(self, first_page: int, last_page: int, text: str | None) -> None:
        """A person's directive for the scene `first_page..last_page` (None clears it);
        that scene's captions and music are redone."""
        assert self.edits is not None and self.analyzer is not None
        self.edits.set_directive(first_page, last_page, text)
        self._after_edit(range(first_page, last_page + 1))

    def edit_caption(self, page: int, text: str | None) -> None:
        """A person's caption for `page` (None clears it); that page's music is redone."""
        assert self.edits is not None and self.analyzer is not None
        self.edits.set_caption(page, text)
        self._after_edit(range(page, page + 1))

    # -- edits made by another process ----------------------------------------------

    def _watch_edits(self) -> None:
        """Start (once per engine) the thread that takes in edits made elsewhere, if the
        edits are kept on disk."""
        if getattr(self, "_edits_watcher", None) is not None:
            return
        if self.edits is None or self.edits.path is None:
            return
        self._edits_watcher = threading.Thread(
            target=self._watch_loop, name="edits-watch", daemon=True
        )
        self._edits_watcher.start()

    def _watch_loop(self) -> None:
        failed = False
        while not self._closed:
            time.sleep(EDITS_POLL_S)
            if self._closed:
                return
            try:
                self.reload_edits()
                failed = False
            except Exception:  # noqa: BLE001 - logged once; the next poll tries again
                if self._closed:
                    return  # the engine closed under the poll: nothing to redo
                if not failed:
                    log.exception("edits made elsewhere could not be taken in")
                failed = True

    def reload_edits(self) -> set[str]:
        """Take in edits another process made to this book and redo what depends on
        them; returns their keys (the engine's own edits are not among them)."""
        edits, analyzer = self.edits, self.analyzer
        if edits is None or analyzer is None or self._closed:
            return set()
        changed = edits.refresh()
        if not changed or edits is not self.edits:
            return changed
        pages: set[int] = set()
        everything = False
        for k in changed:
            kind, _, arg = k.partition(":")
            try:
                if kind == "caption":
                    pages.add(int(arg))
                    continue
                if kind == "directive":
                    first, last = (int(x) for x in arg.split("-"))
                    pages.update(range(first, last + 1))
                    continue
            except ValueError:
                pass
            everything = True  # scene boundaries or emotions: scenes and directives move
        log.info("edits made elsewhere: %s", ", ".join(sorted(changed)))
        if everything:
            self._redo_all()
        else:
            n = len(self.book or ())
            self._after_edit(sorted(p for p in pages if 0 <= p < n))
        return changed

    def _redo_all(self) -> None:
        """Scenes, directives and captions again (the store keeps what stays valid); the
        scenes shown stay until the new ones replace them."""
        assert self.analyzer is not None
        self.analyzer.forget()
        with self._lock:
            self._plan += 1  # scenes made from the old edits are dropped when they come
            self._scene_emotions.clear()
            self._analysis_pool.cancel_where(lambda j: j.page is None, "the edits changed")
            for p in range(len(self.book or ())):
                self._invalidate(p)
        self._submit_final_scenes()
        self._schedule()

    def _after_edit(self, pages: range | list[int]) -> None:
        assert self.analyzer is not None
        self.analyzer.forget()
        with self._lock:
            for p in pages:
                self._invalidate(p)
        self._schedule()

    def _invalidate(self, page: int) -> None:
        """Forget what the engine holds for `page` (the mixer keeps playing the old cue
        until the new one arrives)."""
        self._gen[page] = next(_GENERATIONS)
        self._pages.pop(page, None)
        self._cue_keys.pop(page, None)
        self._ready.discard(page)
        self._cues.pop(page, None)
        if self.mixer is not None and page != self._cursor:
            self.mixer.forget(page)  # the page under the cursor plays on until its new cue
        for pool in (self._analysis_pool, self._music_pool):
            pool.cancel_where(lambda j, p=page: j.page == p, "its inputs changed")
