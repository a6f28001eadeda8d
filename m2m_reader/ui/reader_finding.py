"""Finding one's way in a book: the thumbnails (a strip under the page or a grid
beside it), bookmarks kept per book, and the next volume at the end.

The next volume is looked up off the UI thread when a book opens; arriving at the
last page says which book follows, and one more turn (not the same scroll that
reached the end) opens it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt

from ..engine.books.model import Book
from .next_volume import next_volume
from .page_view import EDGE_STOP_S

if TYPE_CHECKING:
    from .reader_window import ReaderWindow


class Wayfinder(QObject):
    def __init__(self, window: ReaderWindow) -> None:
        super().__init__(window)
        self.w = window
        self.bookmarks: set[int] = set()
        self.next_book: Path | None = None
        self._end_noticed = 0.0  # when the reader was told the next volume follows
        window.thumbs_dock.visibilityChanged.connect(self._thumbs_visible)
        window.thumbs.pageChosen.connect(lambda p: window.go_to_page(p))

    def set_book(self, book: Book, entry: dict[str, object]) -> None:
        marks = entry.get("bookmarks", [])
        self.bookmarks = (
            {int(i) for i in marks if isinstance(i, int)} if isinstance(marks, list) else set()
        )
        self.w.thumbs_model.set_book(book)
        self.w.thumbs_model.set_bookmarks(self.bookmarks)
        self.next_book = None
        self._end_noticed = 0.0
        self.w.runner.run(next_volume, book.path, on_done=self._found_next)

    def _found_next(self, path: Path | None) -> None:
        self.next_book = path
        self._end_noticed = 0.0

    def at_last_page(self) -> None:
        """Arriving at the end: say which book follows, so the next turn is expected."""
        if self.next_book is not None:
            self._end_noticed = time.monotonic()
            self.w.statusBar().showMessage(
                self.tr("Last page. Turn once more for %1.").replace("%1", self.next_book.name),
                8000,
            )

    def past_the_end(self) -> None:
        """A turn past the last page opens the next volume, once the reader was told
        (and not in the same breath as the scroll that reached the end)."""
        w = self.w
        if self.next_book is None:
            return
        if not self._end_noticed:
            self.at_last_page()
            return
        if time.monotonic() - self._end_noticed < EDGE_STOP_S:
            return
        if w.vertical and w.strip.since_edge() < EDGE_STOP_S:
            return  # the scroll that reached the bottom does not also open the next book
        path, self.next_book = self.next_book, None
        w.statusBar().showMessage(self.tr("Opening %1…").replace("%1", path.name))
        if w.open_hook is not None:
            w.open_hook(str(path))
        else:
            w.open_path(path)

    # Thumbnails -------------------------------------------------------------------------
    def show_thumbnails(self, on: bool) -> None:
        """T: the strip of page thumbnails along the bottom."""
        if not on and self.w.bar.act_grid.isChecked():
            self.w.bar.act_grid.setChecked(False)
        self.w.thumbs_dock.setVisible(on)

    def show_grid(self, on: bool) -> None:
        """Shift+T: the thumbnails as a grid beside the page."""
        w = self.w
        w.thumbs.set_grid(on)
        area = (
            Qt.DockWidgetArea.LeftDockWidgetArea if on else Qt.DockWidgetArea.BottomDockWidgetArea
        )
        w.addDockWidget(area, w.thumbs_dock)
        if on:
            w.resizeDocks([w.thumbs_dock], [460], Qt.Orientation.Horizontal)
        w.bar.act_thumbs.setChecked(True)
        w.thumbs_dock.show()

    def _thumbs_visible(self, visible: bool) -> None:
        w = self.w
        act = w.bar.act_thumbs
        act.blockSignals(True)
        act.setChecked(visible)
        act.blockSignals(False)
        if visible:
            w.thumbs_model.load(around=w.page)
            w.thumbs.show_page(w.page)

    # Bookmarks --------------------------------------------------------------------------
    def toggle_bookmark(self) -> None:
        """Ctrl+B: bookmark this page, or take its bookmark away (kept per book)."""
        w = self.w
        if w.book is None:
            return
        page = w.current_pages()[0] if not w.vertical else w.page
        self.bookmarks ^= {page}
        w.book_entry(w.book)["bookmarks"] = sorted(self.bookmarks)
        w.save_soon()
        w.thumbs_model.set_bookmarks(self.bookmarks)
        marked = page in self.bookmarks
        w.statusBar().showMessage(
            (
                self.tr("Page %1 bookmarked.")
                if marked
                else self.tr("Page %1 no longer bookmarked.")
            ).replace("%1", str(page + 1)),
            3000,
        )
        w.announce(w.current_pages() if not w.vertical else (page,), "none")

    def jump_bookmark(self, forward: bool) -> None:
        """B / Shift+B: the next (previous) bookmark in reading order."""
        here = self.w.page
        marks = sorted(self.bookmarks)
        ahead = [m for m in marks if m > here] if forward else [m for m in marks if m < here]
        if ahead:
            self.w.go_to_page(ahead[0] if forward else ahead[-1])

    def fill_bookmarks(self) -> None:
        menu = self.w.bar.bookmark_menu
        menu.clear()
        menu.addAction(self.w.bar.act_bookmark)
        menu.addSeparator()
        if not self.bookmarks:
            empty = menu.addAction(self.tr("No bookmarks in this book"))
            empty.setEnabled(False)
        for page in sorted(self.bookmarks):
            act = menu.addAction(self.tr("Page %1").replace("%1", str(page + 1)))
            act.triggered.connect(lambda _c=False, p=page: self.w.go_to_page(p))
