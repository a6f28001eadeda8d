"""A person's edits (directives and captions), and the analysis as the UI shows it.

An edit invalidates what was made from the edited text (the page's generation moves
on, so results of stale work are dropped) and the engine redoes it. Edits another
process makes (`m2m-reader edit` in a terminal while the reader is open) are picked up
within `EDITS_POLL_S` and redone the same way; the store writes one edit at a time, so
neither side overwrites the other's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..analysis.records import Analysis, PageResult, SceneResult
from .page_table import PageInfo
from .planner import Planner
from .scenes import SceneView

EDITS_POLL_S = 1.0  # how often a running engine looks for edits made elsewhere

log = logging.getLogger(__name__)


def edited_pages(changed: set[str], pages: int) -> list[int] | None:
    """The pages whose captions and music the edits `changed` (their keys) redo; None
    when they move scenes or emotions (everything is redone)."""
    out: set[int] = set()
    for k in changed:
        kind, _, arg = k.partition(":")
        try:
            if kind == "caption":
                out.add(int(arg))
                continue
            if kind == "directive":
                first, last = (int(x) for x in arg.split("-"))
                out.update(range(first, last + 1))
                continue
        except ValueError:
            pass
        return None  # scene boundaries or emotions: scenes and directives move
    return sorted(p for p in out if 0 <= p < pages)


class Edits:
    """A person's edits to the open book, made here or elsewhere."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        self._watcher: threading.Thread | None = None
        self._lock = threading.Lock()

    def directive(self, first_page: int, last_page: int, text: str | None) -> None:
        """A person's directive for the scene `first_page..last_page` (None clears it);
        that scene's captions and music are redone."""
        work = self.planner.work
        assert work is not None, "no book is open"
        work.edits.set_directive(first_page, last_page, text)
        self.planner.redo_pages(range(first_page, last_page + 1))

    def caption(self, page: int, text: str | None) -> None:
        """A person's caption for `page` (None clears it); that page's music is redone."""
        work = self.planner.work
        assert work is not None, "no book is open"
        work.edits.set_caption(page, text)
        self.planner.redo_pages(range(page, page + 1))

    def reload(self) -> set[str]:
        """Take in edits another process made to this book and redo what depends on
        them; returns their keys (the engine's own edits are not among them)."""
        work = self.planner.work
        if work is None or self.planner.closed:
            return set()
        changed = work.edits.refresh()
        if not changed or work is not self.planner.work:
            return changed
        log.info("edits made elsewhere: %s", ", ".join(sorted(changed)))
        pages = edited_pages(changed, len(work.book))
        if pages is None:
            # The scenes shown stay until the new ones replace them.
            work.analyzer.forget()
            self.planner.redo_analysis(keep_scenes=True, reason="the edits changed")
        else:
            self.planner.redo_pages(pages)
        return changed

    def watch(self, closed: Callable[[], bool]) -> None:
        """Start (once) the thread that takes in edits made elsewhere, if the edits are
        kept on disk; it stops once `closed()`."""
        work = self.planner.work
        if work is None or work.edits.path is None:
            return
        with self._lock:
            if self._watcher is not None:
                return
            self._watcher = threading.Thread(
                target=self._watch, args=(closed,), name="edits-watch", daemon=True
            )
        self._watcher.start()

    def _watch(self, closed: Callable[[], bool]) -> None:
        failed = False
        while not closed():
            time.sleep(EDITS_POLL_S)
            if closed():
                return
            try:
                self.reload()
                failed = False
            except Exception:  # noqa: BLE001 - logged once; the next poll tries again
                if closed():
                    return  # the engine closed under the poll: nothing to redo
                if not failed:
                    log.exception("edits made elsewhere could not be taken in")
                failed = True


def analysis_view(
    title: str,
    pages: int,
    view: SceneView,
    infos: dict[int, PageInfo],
    backends: dict[str, str],
) -> Analysis | None:
    """The analysis so far: every scene known, every page analysed (others empty)."""
    if view.scenes is None:
        return None
    provisional = view.upto is not None
    n = pages if view.upto is None else min(pages, view.upto)
    out: list[SceneResult] = []
    for i, (a, b) in enumerate(view.scenes.ranges(n)):
        known = [infos.get(p) for p in range(a, b + 1)]
        info = next((x for x in known if x is not None and (x.first, x.last) == (a, b)), None)
        s = SceneResult(index=i, first_page=a, last_page=b, directive=info.directive if info else "",
                        emotions=view.emotions.get((a, b), {}), reason=view.scenes.reasons.get(a, ""))  # fmt: skip
        s.pages = [
            x.result if x is not None else PageResult(index=p)
            for p, x in zip(range(a, b + 1), known, strict=True)
        ]
        out.append(s)
    return Analysis(title=title, n_pages=pages, mode="scene", scenes=out,
                    provisional=provisional, backends=backends)  # fmt: skip


__all__ = ["EDITS_POLL_S", "Edits", "analysis_view", "edited_pages"]
