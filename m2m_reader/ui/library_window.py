"""The library: a grid of covers with title, reading progress and soundtrack readiness.

Books are added by the file or folder dialog or by dropping them on the window, and
removed from the grid (the files stay). "Recent" shows the books read lately, newest
first. "Prepare for offline" computes a book's whole soundtrack in the background; the
card's badge shows how much is ready and turns green when all of it is. Listing,
adding, cover decoding and preparing run off the UI thread.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QImage,
    QPainter,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListView,
    QMainWindow,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..engine.cancel import CancelToken
from . import theme
from .banner import Banner
from .library_source import LibraryEntry, LibrarySource
from .tasks import Runner

ENTRY = Qt.ItemDataRole.UserRole + 1
COVER = Qt.ItemDataRole.UserRole + 2
CARD_W, CARD_H, COVER_H = 176, 300, 240


class CoverDelegate(QStyledItemDelegate):
    """Paints one book card: cover, title, progress line and a soundtrack badge."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return QSize(CARD_W, CARD_H)

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        entry: LibraryEntry = index.data(ENTRY)
        cover: QImage | None = index.data(COVER)
        r = option.rect.adjusted(8, 8, -8, -8)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hover:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(theme.SURFACE if not selected else "#22324a"))
            p.drawRoundedRect(option.rect.adjusted(2, 2, -2, -2), 10, 10)
        box = QRect(r.left(), r.top(), r.width(), COVER_H - 16)
        if cover is not None and not cover.isNull():
            scaled = cover.scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)  # fmt: skip
            x = box.left() + (box.width() - scaled.width()) // 2
            y = box.bottom() - scaled.height()
            p.drawImage(x, y, scaled)
            box = QRect(x, y, scaled.width(), scaled.height())
        else:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(theme.SURFACE))
            p.drawRoundedRect(box, 6, 6)
            p.setPen(QColor(theme.MUTED))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, "No cover")
        if entry.cached > 0:
            ready = entry.offline_ready
            text = "♪ offline" if ready else f"♪ {round(entry.cached * 100)}%"
            badge = QRect(box.right() - 78, box.top() + 6, 72, 20)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(theme.READY if ready else QColor(0, 0, 0, 170))
            p.drawRoundedRect(badge, 10, 10)
            p.setPen(QColor("#0b1a12" if ready else theme.TEXT))
            p.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        bar = QRect(r.left(), r.top() + COVER_H - 10, r.width(), 3)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.BORDER))
        p.drawRoundedRect(bar, 1.5, 1.5)
        if entry.progress > 0:
            p.setBrush(QColor(theme.ACCENT))
            p.drawRoundedRect(
                QRect(bar.left(), bar.top(), int(bar.width() * entry.progress), 3), 1.5, 1.5
            )
        font = QFont(option.font)
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(theme.TEXT))
        title_rect = QRect(r.left(), r.top() + COVER_H, r.width(), 20)
        p.drawText(title_rect, Qt.AlignmentFlag.AlignLeft,
                   p.fontMetrics().elidedText(entry.title, Qt.TextElideMode.ElideRight, r.width()))  # fmt: skip
        p.setFont(option.font)
        p.setPen(QColor(theme.MUTED))
        if entry.last_read:
            info = f"Page {entry.page + 1} of {entry.pages}"
        else:
            info = f"{entry.pages} pages · new"
        p.drawText(
            QRect(r.left(), r.top() + COVER_H + 20, r.width(), 18), Qt.AlignmentFlag.AlignLeft, info
        )
        p.restore()


def _decode(png: bytes) -> QImage:
    """A cover thumbnail from PNG bytes (on a worker: QImage is not a widget)."""
    return QImage.fromData(png, "PNG")


class LibraryWindow(QMainWindow):
    openRequested = Signal(str, int)  # path, page to resume at
    settingsRequested = Signal()
    bookAdded = Signal(object)  # LibraryEntry
    # From the preparing thread; Qt queues them to the UI thread.
    prepareProgress = Signal(str, int, int)  # path, pages with music, pages
    prepareFinished = Signal(str, object)  # path, pages with music or the error's sentence

    def __init__(
        self, source: LibrarySource, runner: Runner | None = None, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("Library — m2m-reader")
        self.resize(1180, 780)
        self.setAcceptDrops(True)
        self.source = source
        self.runner = runner or Runner(threads=2, parent=self)
        # Writes run one at a time, in order: the last page read is the one kept.
        self.writer = Runner(threads=1, parent=self)
        self.model = QStandardItemModel(self)
        self.recent_only = False

        self.grid = QListView()
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setSpacing(6)
        self.grid.setMouseTracking(True)
        self.grid.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.grid.setItemDelegate(CoverDelegate(self.grid))
        self.grid.setModel(self.model)
        self.grid.activated.connect(self._open_index)
        self.grid.doubleClicked.connect(self._open_index)

        self.empty = QLabel(
            "Your library is empty.\nAdd a book, or drop a book file or folder here."
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setProperty("role", "muted")
        self.banner = Banner()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.empty, 1)
        column.addWidget(self.grid, 1)
        self.setCentralWidget(central)

        bar = QToolBar("Library")
        bar.setMovable(False)
        self.addToolBar(bar)
        title = QLabel("  Library  ")
        title.setObjectName("heading")
        bar.addWidget(title)
        self.all_button = QToolButton(text="All books", checkable=True, checked=True)
        self.recent_button = QToolButton(text="Recently read", checkable=True)
        self.all_button.clicked.connect(lambda: self.set_recent_only(False))
        self.recent_button.clicked.connect(lambda: self.set_recent_only(True))
        bar.addWidget(self.all_button)
        bar.addWidget(self.recent_button)
        spacer = QWidget()
        spacer.setSizePolicy(
            spacer.sizePolicy().Policy.Expanding, spacer.sizePolicy().Policy.Preferred
        )
        bar.addWidget(spacer)
        for text, slot in (("+  Add book…", self.add_file_dialog), ("+  Add folder…", self.add_folder_dialog),
                           ("Remove", self.remove_selected)):  # fmt: skip
            button = QToolButton(text=text)
            button.clicked.connect(slot)
            bar.addWidget(button)
        self.prepare_button = QToolButton(text="♪  Prepare for offline")
        self.prepare_button.setToolTip(
            "Compute the whole soundtrack of the selected books, to read them offline"
        )
        self.prepare_button.clicked.connect(self.prepare_selected)
        bar.addWidget(self.prepare_button)
        settings_button = QToolButton(text="⚙  Settings")
        settings_button.clicked.connect(self.settingsRequested.emit)
        bar.addWidget(settings_button)
        self.preparing: dict[str, CancelToken | None] = {}  # path -> token (None: starting)
        self.prepareProgress.connect(self._prepare_progress)
        self.prepareFinished.connect(self._prepare_finished)
        self.statusBar().showMessage("")
        self._update_empty()

    # Loading ----------------------------------------------------------------------------
    def reload(self) -> None:
        self.runner.run(self.source.entries, on_done=self._show_entries, on_error=self._error)

    def _show_entries(self, entries: list[LibraryEntry]) -> None:
        self.model.clear()
        for entry in entries:
            self._add_item(entry)
        self._apply_filter()
        self.statusBar().showMessage(f"{len(entries)} books")

    def _add_item(self, entry: LibraryEntry) -> None:
        for row in range(self.model.rowCount()):
            if self.model.item(row).data(ENTRY).path == entry.path:
                self.model.item(row).setData(entry, ENTRY)
                return
        item = QStandardItem(entry.title)
        item.setEditable(False)
        item.setData(entry, ENTRY)
        item.setToolTip(f"{entry.title}\n{entry.path}")
        self.model.appendRow(item)
        if entry.cover:
            persistent = QPersistentModelIndex(item.index())
            self.runner.run(
                _decode, entry.cover, on_done=lambda img, i=persistent: self._cover(i, img)
            )

    def _cover(self, index: QPersistentModelIndex, image: QImage) -> None:
        if index.isValid():
            self.model.setData(QModelIndex(index), image, COVER)

    def entries(self) -> list[LibraryEntry]:
        return [self.model.item(r).data(ENTRY) for r in range(self.model.rowCount())]

    # Adding and removing ----------------------------------------------------------------
    def add_paths(self, paths: list[str]) -> None:
        for path in paths:
            self.statusBar().showMessage(f"Adding {Path(path).name}…")
            self.runner.run(self.source.add, path, on_done=self._added, on_error=self._error)

    def _added(self, entry: LibraryEntry) -> None:
        self._add_item(entry)
        self._apply_filter()
        self.statusBar().showMessage(f"Added {entry.title}", 4000)
        self.bookAdded.emit(entry)

    def _error(self, message: str) -> None:
        self.banner.show_message(message, "error", 15)
        self.statusBar().clearMessage()

    def add_file_dialog(self) -> None:
        dialog = QFileDialog(
            self,
            "Add books",
            filter="Books (*.cbz *.zip *.cbr *.rar *.cb7 *.7z *.cbt *.tar *.pdf *.xml);;"
            "All files (*)",
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(self.add_paths)
        dialog.open()

    def add_folder_dialog(self) -> None:
        dialog = QFileDialog(self, "Add a folder of images")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(lambda path: self.add_paths([path]))
        dialog.open()

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.grid.selectedIndexes()}, reverse=True)
        for row in rows:
            entry: LibraryEntry = self.model.item(row).data(ENTRY)
            self.model.removeRow(row)
            self.writer.run(self.source.remove, entry.path, on_error=self._error)
        self._update_empty()

    def _update_entry(self, path: str, **changes: object) -> LibraryEntry | None:
        for row in range(self.model.rowCount()):
            entry: LibraryEntry = self.model.item(row).data(ENTRY)
            if entry.path == path:
                for name, value in changes.items():
                    setattr(entry, name, value)
                self.model.item(row).setData(entry, ENTRY)
                return entry
        return None

    def record_music(self, path: str, ready: int, total: int) -> None:
        """The reader's engine has music for `ready` pages of the book at `path`."""
        resolved = str(Path(path).resolve())
        entry = self._update_entry(resolved)
        if entry is None or total <= 0 or ready <= round(entry.cached * total):
            return  # prepared before: the cache already holds more
        self._update_entry(resolved, cached=min(1.0, ready / total))
        self.writer.run(self.source.set_music_pages, resolved, ready, on_error=lambda _m: None)

    # Prepare for offline ----------------------------------------------------------------
    def selected_entries(self) -> list[LibraryEntry]:
        rows = sorted({i.row() for i in self.grid.selectedIndexes()})
        return [self.model.item(r).data(ENTRY) for r in rows]

    def prepare_selected(self) -> None:
        """Prepare the selected books; pressed again while they prepare, it stops them."""
        entries = self.selected_entries()
        if not entries:
            self.statusBar().showMessage("Select a book to prepare for offline reading.", 4000)
            return
        if all(e.path in self.preparing for e in entries):
            for e in entries:
                token = self.preparing.pop(e.path, None)
                if token is not None:
                    token.cancel("stopped by the person")
            self.statusBar().showMessage("Stopped preparing.", 4000)
            return
        for e in entries:
            if e.path not in self.preparing and not e.offline_ready:
                self.prepare(e.path)

    def prepare(self, path: str) -> None:
        """Compute a book's whole soundtrack in the background, with progress."""
        self.preparing[path] = None

        def progress(done: int, total: int) -> None:  # the preparing thread
            self.prepareProgress.emit(path, done, total)

        def finished(result: int | BaseException) -> None:  # the preparing thread
            message = str(result) if isinstance(result, BaseException) else result
            self.prepareFinished.emit(path, message)

        def started(token: CancelToken) -> None:
            if path in self.preparing:
                self.preparing[path] = token
            else:
                token.cancel("stopped by the person")

        self.statusBar().showMessage(f"Preparing {Path(path).name} for offline reading…")
        self.runner.run(
            self.source.prepare, path, progress, finished, on_done=started,
            on_error=lambda m: self.prepareFinished.emit(path, m),
        )  # fmt: skip

    def _prepare_progress(self, path: str, done: int, total: int) -> None:
        entry = self._update_entry(path, cached=0.0 if total <= 0 else min(1.0, done / total))
        if entry is not None:
            self.statusBar().showMessage(
                f"Preparing {entry.title}: music for {done} of {total} pages"
            )

    def _prepare_finished(self, path: str, result: object) -> None:
        self.preparing.pop(path, None)
        entry = self._update_entry(path)
        title = entry.title if entry is not None else Path(path).name
        if isinstance(result, int):
            pages = entry.pages if entry is not None else 0
            self._update_entry(path, cached=min(1.0, result / pages) if pages else 0.0)
            done = (
                "ready to read offline"
                if pages and result >= pages
                else f"music for {result} pages"
            )
            self.statusBar().showMessage(f"{title}: {done}", 8000)
        else:
            self._error(f"Preparing {title} failed: {result}")

    def record_progress(self, path: str, page: int) -> None:
        """The reader moved: update the card now, the library file in the background."""
        resolved = str(Path(path).resolve())
        for row in range(self.model.rowCount()):
            entry: LibraryEntry = self.model.item(row).data(ENTRY)
            if entry.path == resolved:
                entry.page, entry.last_read = page, time.time()
                self.model.item(row).setData(entry, ENTRY)
        self.writer.run(self.source.set_progress, resolved, page, on_error=lambda _m: None)

    # Recent -----------------------------------------------------------------------------
    def set_recent_only(self, on: bool) -> None:
        self.recent_only = on
        self.all_button.setChecked(not on)
        self.recent_button.setChecked(on)
        self._apply_filter()

    def _apply_filter(self) -> None:
        if self.recent_only:  # newest first
            items = [self.model.takeRow(0)[0] for _ in range(self.model.rowCount())]
            items.sort(key=lambda it: -it.data(ENTRY).last_read)
            for item in items:
                self.model.appendRow(item)
        for row in range(self.model.rowCount()):
            entry: LibraryEntry = self.model.item(row).data(ENTRY)
            self.grid.setRowHidden(row, self.recent_only and not entry.last_read)
        self._update_empty()

    def visible_titles(self) -> list[str]:
        return [
            self.model.item(r).data(ENTRY).title
            for r in range(self.model.rowCount())
            if not self.grid.isRowHidden(r)
        ]

    def _update_empty(self) -> None:
        empty = self.model.rowCount() == 0
        self.empty.setVisible(empty)
        self.grid.setVisible(not empty)

    # Opening ----------------------------------------------------------------------------
    def _open_index(self, index: QModelIndex) -> None:
        entry: LibraryEntry = index.data(ENTRY)
        self.openRequested.emit(entry.path, entry.page)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)
