"""Opening a book in the reader: off the UI thread, at the page where the person
left off (the library knows), in the direction and mode chosen for that book.

A book that does not say its direction gets the `default_direction` setting; a book
of long strips opens in the vertical strip unless the person chose otherwise for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from .. import runtime
from ..engine.books.images import is_double
from ..engine.books.model import Book, Direction
from .layouts import is_long_strip
from .reader_bar import quietly_check

if TYPE_CHECKING:
    from .reader_window import ReaderWindow

log = logging.getLogger(__name__)


class BookOpener(QObject):
    def __init__(self, window: ReaderWindow) -> None:
        super().__init__(window)
        self.w = window

    def open_path(self, path: str | Path, start_page: int | None = None) -> None:
        w = self.w
        w.statusBar().showMessage(self.tr("Opening %1…").replace("%1", Path(path).name))
        w.runner.run(
            open_at,
            Path(path),
            start_page,
            w.saved_page,
            on_done=lambda opened: self.set_book(*opened),
            on_error=lambda msg: w.banner.show_message(msg, "error", 20),
        )

    def set_book(self, book: Book, start_page: int | None = None, record_open: bool = True) -> None:
        w = self.w
        if w.book is not None and w.book is not book:
            w.runner.run(w.book.close)
        w.book = book
        runtime.settle_heap()  # one pause now, before the page shows, not many while reading
        w.record_open = record_open
        entry = w.book_entry(book)
        if not book.direction_known:  # the book does not say: the setting decides
            book.direction = self._default_direction()
        w.direction = entry.get("direction", book.direction)
        w.view.set_direction(w.direction)
        w.wide = [p.double or is_double(p.width, p.height) for p in book.pages]
        w.shifts = {int(i) for i in entry.get("shifts", []) if isinstance(i, int)}
        w.half = 0
        w.finder.set_book(book, entry)
        w.thumbs.set_direction(w.direction)
        w.images.set_book(book)
        w.timeline.set_book(len(book), w.direction)
        w.timeline.set_ready(w.bridge.ready_pages)
        w.sound.new_book()
        w.setWindowTitle(f"{book.title} — m2m-reader")
        w.statusBar().showMessage(
            self.tr("Opened %1 (%2 pages)").replace("%1", book.title).replace("%2", str(len(book))),
            4000,
        )
        page = start_page if start_page is not None else 0
        w.page = min(max(0, page), max(0, len(book) - 1))
        w.bridge.open(book, w.page)
        w.relayout()
        mode = entry.get("mode")
        if mode not in ("vertical", "paged"):  # the person has not chosen for this book
            sizes = [(p.width, p.height) for p in book.pages]
            long = w.settings.reader_layout == "scroll" or is_long_strip(sizes)
            mode = "vertical" if long else "paged"
        self.enter_mode(mode == "vertical", kind="open")
        if w.thumbs_dock.isVisible():
            w.thumbs_model.load(around=w.page)

    def enter_mode(self, vertical: bool, kind: str) -> None:
        w = self.w
        w.vertical = vertical
        quietly_check(w.bar.act_vertical, vertical)
        w.strip.set_active(vertical)
        w.stack.setCurrentWidget(w.strip if vertical else w.view)
        if w.book is None:
            return
        if vertical:
            pages = w.book.pages
            ratios = [(p.height / p.width) if p.width and p.height else 0.0 for p in pages]
            w.strip_kind = "none"
            w.strip.set_pages(ratios, w.page)
            w.strip_kind = "turn"
            w.announce((w.page,), kind)
        else:
            w.show_spread(kind=kind)

    def set_vertical(self, on: bool) -> None:
        w = self.w
        if w.book is not None:
            w.book_entry(w.book)["mode"] = "vertical" if on else "paged"
            w.save_soon()
        self.enter_mode(on, kind="none")

    def strip_page(self, page: int) -> None:
        """The strip scrolled another page under the reading line: it is the cursor."""
        w = self.w
        if w.vertical and w.book is not None:
            w.page = page
            kind, w.strip_kind = w.strip_kind, "turn"
            w.announce((page,), kind)

    def _default_direction(self) -> Direction:
        """The direction for a book that does not say: the `default_direction` setting."""
        return "ltr" if self.w.settings.default_direction == "ltr" else "rtl"


def open_at(
    path: Path, start_page: int | None, saved_page: Callable[[Book], int | None] | None
) -> tuple[Book, int | None, bool]:
    """(On a worker.) The book, the page to show and whether that page is known: the
    library's saved page when no page is asked for."""
    from ..engine.books import open_book

    book = open_book(path)
    if start_page is not None or saved_page is None:
        return book, start_page, True
    try:
        return book, saved_page(book), True
    except Exception as exc:  # noqa: BLE001 - the book still opens, at its first page
        log.warning("where %s was left off is unknown (%s)", book.title, exc)
        return book, None, False
