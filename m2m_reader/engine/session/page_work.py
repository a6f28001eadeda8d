"""Analysis for one page: its scene, directive and caption, and its cue recipe.

`OpenBook` is what the engine works on for one open book (the book, its analysis, a
person's edits and its scenes); it is replaced whole when another book opens, so work
for the old book finishes on the old parts. `analyse_page` is one page's analysis job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..analysis.edits import EditStore
from ..analysis.pipeline import Analyzer
from ..books.model import Book
from ..core.cancel import CancelToken
from ..core.errors import Cancelled
from ..cue_recipe import page_recipe
from .page_table import PageInfo
from .scenes import Scenes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenBook:
    """The parts of one open book."""

    book: Book
    analyzer: Analyzer
    edits: EditStore
    scenes: Scenes


def analyse_page(
    work: OpenBook, page: int, cursor: int, far: bool, cancel: CancelToken
) -> PageInfo:
    """`page`'s scene, directive, caption and cue recipe (on an analysis worker).
    `cursor`: the reader's page; `far`: `page` is far from it (see `Scenes.for_page`)."""
    analyzer, book, scenes = work.analyzer, work.book, work.scenes
    plan = scenes.plan
    # The page itself first: a book without annotations reads it from its pixels
    # now, and the OCR pool reads the next pages while the scenes are found. The
    # cursor's page before it (joining its reading, never twice), so that the
    # pages ahead do not share the CPU with it.
    if not book.has_annotations and page != cursor:
        try:
            analyzer.transcript(cursor, cancel)
        except Cancelled:
            raise
        except Exception:  # noqa: BLE001 - the cursor's own job reports it
            log.debug("page %d waited for the cursor's page, which failed", page + 1)
    analyzer.transcript(page, cancel)
    found = scenes.for_page(page, cancel, far)
    idx, a, b = scenes.locate(found, page)
    previous = None
    if idx > 0:
        _, pa, pb = scenes.locate(found, a - 1)
        previous = scenes.profile(idx - 1, pa, pb, cancel, plan)
    scene = analyzer.scene_input(idx, a, b, previous, cancel)
    directive, by, _ = analyzer.directive(scene, cancel)
    result = analyzer.page_result(page, scene, directive, cancel)
    result.backends["directive"] = by
    scenes.remember(a, b, scene.emotions, plan)
    return PageInfo(
        page, idx, a, b, directive, result, page_recipe(book, idx, a, result, directive)
    )


__all__ = ["OpenBook", "PageInfo", "analyse_page"]
