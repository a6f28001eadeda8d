"""Page thumbnails: a strip along the bottom of the reader or a grid beside it.

Thumbnails are decoded on their own small thread pool (never the UI thread, never
in the way of the page decoder), the cursor's neighbourhood first, and kept twice: in
memory for this session and as small JPEGs in the cache folder (`thumbs/<book
fingerprint>/`), so a book opened again shows its thumbnails at once. Results reach the
list in batches a few times a second, so hundreds of pages landing never stall it.
Bookmarked pages carry a ★.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from ..engine.books.model import Book
from ..engine.core import paths
from ..engine.core.atomic import atomic_writer
from ..engine.core.errors import M2MError
from .image_loader import to_qimage
from .tasks import BACKGROUND_NICE, yield_to_ui

log = logging.getLogger(__name__)

THUMB = QSize(120, 170)  # the largest a thumbnail is kept (and drawn, in the grid)
STRIP_ICON = QSize(92, 92)  # drawn in the strip along the bottom
Index = QModelIndex | QPersistentModelIndex


def thumbs_dir(book: Book) -> Path:
    return paths.cache_dir(create=False) / "thumbs" / book.fingerprint


class _Relay(QObject):
    done = Signal(int, int, QImage)  # generation, page, thumbnail (null: unreadable)


class _Thumb:  # a callable for the pool (see tasks._Job: not a QRunnable)
    """Read a thumbnail from the cache folder, or decode the page and store one."""

    def __init__(self, relay: _Relay, book: Book, page: int, generation: int) -> None:
        self._relay, self._book, self._page, self._gen = relay, book, page, generation

    def __call__(self) -> None:
        yield_to_ui(BACKGROUND_NICE)
        path = thumbs_dir(self._book) / f"{self._page}.jpg"
        image = QImage()
        try:
            if path.is_file():
                image = QImage(str(path))
            if image.isNull():
                im = self._book.image(self._page, draft=(THUMB.width(), THUMB.height()))
                im = im.convert("RGB") if im.mode not in ("RGB", "L") else im
                im.thumbnail((THUMB.width(), THUMB.height()), Image.Resampling.BILINEAR)
                image = to_qimage(im)
                self._store(path, im)
        except M2MError:
            image = QImage()  # a damaged page: the list shows a blank tile
        except Exception as exc:  # noqa: BLE001 - a worker hands back every failure
            log.debug("thumbnail of page %d failed: %s", self._page + 1, exc)
            image = QImage()
        self._relay.done.emit(self._gen, self._page, image)

    @staticmethod
    def _store(path: Path, im: Image.Image) -> None:
        try:
            blob = io.BytesIO()
            im.save(blob, "JPEG", quality=80)
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_writer(path) as fh:
                fh.write(blob.getvalue())
        except (OSError, M2MError) as exc:  # a full or read-only cache: memory only
            log.debug("thumbnail not cached (%s)", exc)


class ThumbnailModel(QAbstractListModel):
    """One row per page: its number (★ when bookmarked) and its thumbnail."""

    allShown = Signal()  # every page has its thumbnail (or is known unreadable)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._relay = _Relay(self)
        self._relay.done.connect(self._landed)
        self._book: Book | None = None
        self._gen = 0
        self._pixmaps: dict[int, QPixmap] = {}
        self._icons: dict[int, QIcon] = {}  # scaled by the view to its icon size
        self._failed: set[int] = set()
        self._queued = False
        self._arrived: list[int] = []
        self._flush = QTimer(self, singleShot=True, interval=120)
        self._flush.timeout.connect(self._show_arrived)
        self.bookmarks: set[int] = set()
        self._blank = QPixmap(THUMB)
        self._blank.fill(QColor("#23262b"))

    def set_book(self, book: Book | None) -> None:
        self.beginResetModel()
        self._gen += 1
        self._book = book
        self._pixmaps.clear()
        self._icons.clear()
        self._failed.clear()
        self._arrived.clear()
        self._queued = False
        self._pool.clear()
        self.endResetModel()

    def load(self, around: int = 0) -> None:
        """Start decoding every thumbnail, nearest to page `around` first (once a book)."""
        if self._book is None or self._queued:
            return
        self._queued = True
        n = len(self._book)
        order = sorted(range(n), key=lambda i: (abs(i - around), i))
        for rank, page in enumerate(order):
            priority = 0 if rank > 40 else 1
            self._pool.start(_Thumb(self._relay, self._book, page, self._gen), priority)

    def shown_count(self) -> int:
        return len(self._pixmaps) + len(self._failed)

    def wait_idle(self, msecs: int = 10000) -> bool:
        """Tests and benchmarks only."""
        return self._pool.waitForDone(msecs)

    def set_bookmarks(self, pages: set[int]) -> None:
        changed = self.bookmarks ^ pages
        self.bookmarks = set(pages)
        for page in changed:
            if 0 <= page < self.rowCount():
                i = self.index(page)
                self.dataChanged.emit(i, i, [Qt.ItemDataRole.DisplayRole])

    # The model ---------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's
        return 0 if parent.isValid() or self._book is None else len(self._book)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        page = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return f"★ {page + 1}" if page in self.bookmarks else str(page + 1)
        if role == Qt.ItemDataRole.DecorationRole:
            icon = self._icons.get(page)
            if icon is None:
                icon = QIcon(self._pixmaps.get(page, self._blank))
                if page in self._pixmaps:
                    self._icons[page] = icon
            return icon
        if role == Qt.ItemDataRole.ToolTipRole:
            return QCoreApplication.translate("Thumbnails", "Page %1").replace("%1", str(page + 1))
        if role == Qt.ItemDataRole.UserRole:
            return page
        return None

    def _landed(self, generation: int, page: int, image: QImage) -> None:
        if generation != self._gen:
            return
        if image.isNull():
            self._failed.add(page)
        else:
            self._pixmaps[page] = QPixmap.fromImage(image)
        self._arrived.append(page)
        if not self._flush.isActive():
            self._flush.start()

    def _show_arrived(self) -> None:
        pages, self._arrived = sorted(self._arrived), []
        if not pages:
            return
        # One signal per run of neighbouring pages, not one per thumbnail.
        start = prev = pages[0]
        for page in [*pages[1:], -2]:
            if page != prev + 1:
                self.dataChanged.emit(
                    self.index(start), self.index(prev), [Qt.ItemDataRole.DecorationRole]
                )
                start = page
            prev = page
        if self._book is not None and self.shown_count() >= len(self._book):
            self.allShown.emit()


class ThumbnailView(QListView):
    """The list of thumbnails: one row (strip) or wrapping (grid); a click jumps."""

    pageChosen = Signal(int)

    def __init__(self, model: ThumbnailModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setUniformItemSizes(True)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.clicked.connect(lambda i: self.pageChosen.emit(i.row()))
        self.activated.connect(lambda i: self.pageChosen.emit(i.row()))
        self.set_grid(False)

    def set_grid(self, grid: bool) -> None:
        """A wrapping grid, or a single row along the bottom."""
        self.grid = grid
        icon = THUMB if grid else STRIP_ICON
        self.setIconSize(icon)
        self.setGridSize(QSize(icon.width() + 14, icon.height() + 26))
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(grid)
        if grid:
            self.setMinimumHeight(0)
            self.setMaximumHeight(16777215)
        else:
            self.setFixedHeight(
                icon.height() + 26 + self.horizontalScrollBar().sizeHint().height() + 6
            )

    def set_direction(self, direction: str) -> None:
        """A right-to-left book runs its strip from the right."""
        rtl = Qt.LayoutDirection.RightToLeft
        self.setLayoutDirection(rtl if direction == "rtl" else Qt.LayoutDirection.LeftToRight)

    def show_page(self, page: int) -> None:
        model = self.model()
        if 0 <= page < model.rowCount():
            index = model.index(page, 0)
            self.setCurrentIndex(index)
            self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
