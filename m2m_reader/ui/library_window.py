"""The library: a grid of covers with title, reading progress and soundtrack readiness.

Books are added by the file or folder dialog or by dropping them on the window, and
removed from the grid (the files stay). The side list shows all books, the ones read
lately, and each series (see `shelves`); a search field and a sort order narrow and
arrange the grid; a card's context menu opens, prepares, removes or shows a book in
its folder. "Prepare for offline" computes a book's whole soundtrack in the
background; the badge shows how much is ready and turns green only when every cue is
in the cache. A book added from a terminal (`m2m-reader library add`) shows up within
seconds: the window watches the database. Listing, adding, cover decoding, preparing
and the watch run off the UI thread.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QImage,
    QKeySequence,
    QPainter,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..engine.core.cancel import CancelToken
from . import shelves, theme
from .banner import Banner
from .library_source import LibraryEntry, LibrarySource
from .tasks import Runner

ENTRY = Qt.ItemDataRole.UserRole + 1
COVER = Qt.ItemDataRole.UserRole + 2
CARD_W, CARD_H, COVER_H = 176, 300, 240
WATCH_MS = 1500  # how often the window looks whether another process changed the library
SHELF_ALL, SHELF_RECENT = "\x00all", "\x00recent"  # side-list keys that are no series


ON_DARK = "#f2f3f5"  # text on the dark pills over a cover, in either scheme


def shelves_style() -> str:
    """The side list's look, in the scheme applied (read when the window is made)."""
    return f"""
QListWidget#shelves {{ background: {theme.PANEL_BG}; border: none;
    border-right: 1px solid {theme.BORDER}; padding: 10px 6px; outline: none; }}
QListWidget#shelves::item {{ padding: 6px 10px; border-radius: 6px; }}
QListWidget#shelves::item:hover {{ background: {theme.SURFACE}; }}
QListWidget#shelves::item:selected {{ background: {theme.colour("#24344f")}; color: {theme.TEXT}; }}
"""


translate = QCoreApplication.translate  # pyside6-lupdate finds translate("Context", "text")


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
            p.setBrush(QColor(theme.SURFACE if not selected else theme.colour("#22324a")))
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
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, translate("LibraryWindow", "No cover"))
        if entry.cached > 0:
            ready = entry.offline_ready
            text = (
                translate("LibraryWindow", "♪ offline")
                if ready
                else f"♪ {round(entry.cached * 100)}%"
            )
            badge = QRect(box.right() - 78, box.top() + 6, 72, 20)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(theme.READY if ready else QColor(0, 0, 0, 170))
            p.drawRoundedRect(badge, 10, 10)
            p.setPen(QColor("#0b1a12" if ready else ON_DARK))
            p.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        if entry.number:
            pill = QRect(box.left() + 6, box.top() + 6, 44, 20)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0, 0, 0, 170))
            p.drawRoundedRect(pill, 10, 10)
            p.setPen(QColor(ON_DARK))
            p.drawText(pill, Qt.AlignmentFlag.AlignCenter, f"#{entry.number[:5]}")
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
            info = (
                translate("LibraryWindow", "Page %1 of %2")
                .replace("%1", str(entry.page + 1))
                .replace("%2", str(entry.pages))
            )
        else:
            info = translate("LibraryWindow", "%1 pages · new").replace("%1", str(entry.pages))
        p.drawText(
            QRect(r.left(), r.top() + COVER_H + 20, r.width(), 18), Qt.AlignmentFlag.AlignLeft, info
        )
        p.restore()


def _show_items(parent: QObject, uri: str, folder: QUrl) -> bool:
    """Ask the session's file manager to show `uri` selected; False when there is no
    session bus (the caller opens `folder` instead, as it does if the call fails)."""
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusPendingCallWatcher
    except ImportError:
        return False
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return False
    message = QDBusMessage.createMethodCall(
        "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
        "org.freedesktop.FileManager1", "ShowItems",
    )  # fmt: skip
    message.setArguments([[uri], ""])
    watcher = QDBusPendingCallWatcher(bus.asyncCall(message, 5000), parent)

    def answered(call: QDBusPendingCallWatcher) -> None:
        if call.isError():  # no file manager offers it: open the folder instead
            QDesktopServices.openUrl(folder)
        call.deleteLater()

    watcher.finished.connect(answered)
    return True


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
        self.setWindowTitle(self.tr("Library — m2m-reader"))
        self.resize(1180, 780)
        self.setAcceptDrops(True)
        self.source = source
        self.runner = runner or Runner(threads=2, parent=self)
        # Writes run one at a time, in order: the last page read is the one kept.
        self.writer = Runner(threads=1, parent=self)
        self.model = QStandardItemModel(self)
        self.shelf = SHELF_ALL
        self.sort = "recent"
        self.query = ""
        self._series: dict[str, str] = {}  # path -> series name ("" for none)

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
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.customContextMenuRequested.connect(self._context_menu)

        self.shelves = QListWidget()
        self.shelves.setObjectName("shelves")
        self.shelves.setFixedWidth(210)
        self.shelves.setStyleSheet(shelves_style())
        self.shelves.currentItemChanged.connect(self._shelf_chosen)

        self.empty = QLabel(
            self.tr("Your library is empty.\nAdd a book, or drop a book file or folder here.")
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setProperty("role", "muted")
        self.banner = Banner()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.shelves)
        row.addWidget(self.empty, 1)
        row.addWidget(self.grid, 1)
        column.addLayout(row, 1)
        self.setCentralWidget(central)
        self._build_toolbar()

        self.preparing: dict[str, CancelToken | None] = {}  # path -> token (None: starting)
        self.prepareProgress.connect(self._prepare_progress)
        self.prepareFinished.connect(self._prepare_finished)
        self.statusBar().showMessage("")
        self.count_label = QLabel("")
        self.count_label.setProperty("role", "muted")
        self.statusBar().addPermanentWidget(self.count_label)
        self._fill_shelves()
        self._update_empty()
        # Another process (`m2m-reader library add`, `library prepare`) may change the
        # database: its stamp is read on a worker now and then, and a change reloads.
        self._stamp: object = None
        self._watching = False
        self.watch_timer = QTimer(self, interval=WATCH_MS)
        self.watch_timer.timeout.connect(self._look_for_changes)
        if callable(getattr(source, "change_stamp", None)):
            self.watch_timer.start()

    def _build_toolbar(self) -> None:
        bar = QToolBar(self.tr("Library"))
        bar.setMovable(False)
        self.addToolBar(bar)
        title = QLabel(self.tr("  Library  "))
        title.setObjectName("heading")
        bar.addWidget(title)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search titles and series"))
        self.search.setClearButtonEnabled(True)
        self.search.setFixedWidth(240)
        self.search.textChanged.connect(self.set_query)
        bar.addWidget(self.search)
        find = QAction(self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: self.search.setFocus())
        self.addAction(find)
        self.sort_box = QComboBox()
        for key, text in (
            ("recent", self.tr("Recently read")),
            ("title", self.tr("Title")),
            ("series", self.tr("Series and number")),
            ("added", self.tr("Date added")),
            ("progress", self.tr("Progress")),
        ):
            self.sort_box.addItem(text, key)
        self.sort_box.setToolTip(self.tr("Sort the books"))
        self.sort_box.currentIndexChanged.connect(
            lambda i: self.set_sort(self.sort_box.itemData(i))
        )
        bar.addWidget(self.sort_box)
        spacer = QWidget()
        spacer.setSizePolicy(
            spacer.sizePolicy().Policy.Expanding, spacer.sizePolicy().Policy.Preferred
        )
        bar.addWidget(spacer)
        for text, slot in (
            (self.tr("+  Add book…"), self.add_file_dialog),
            (self.tr("+  Add folder…"), self.add_folder_dialog),
            (self.tr("Remove"), self.remove_selected),
        ):
            button = QToolButton(text=text)
            button.clicked.connect(slot)
            bar.addWidget(button)
        self.prepare_button = QToolButton(text=self.tr("♪  Prepare for offline"))
        self.prepare_button.setToolTip(
            self.tr("Compute the whole soundtrack of the selected books, to read them offline")
        )
        self.prepare_button.clicked.connect(self.prepare_selected)
        bar.addWidget(self.prepare_button)
        settings_button = QToolButton(text=self.tr("⚙  Settings"))
        settings_button.clicked.connect(self.settingsRequested.emit)
        bar.addWidget(settings_button)

    # Loading ----------------------------------------------------------------------------
    def reload(self) -> None:
        self.runner.run(self.source.entries, on_done=self._show_entries, on_error=self._error)

    def _show_entries(self, entries: list[LibraryEntry]) -> None:
        """Bring the grid in line with `entries`, keeping the cards (and their decoded
        covers and the selection) of the books that did not change."""
        wanted = {e.path: e for e in entries}
        for row in reversed(range(self.model.rowCount())):
            if self.model.item(row).data(ENTRY).path not in wanted:
                self.model.removeRow(row)
        for entry in entries:
            self._add_item(entry)
        self._apply_filter()

    def _row_of(self, path: str) -> int | None:
        for row in range(self.model.rowCount()):
            if self.model.item(row).data(ENTRY).path == path:
                return row
        return None

    def _add_item(self, entry: LibraryEntry) -> None:
        row = self._row_of(entry.path)
        if row is not None:
            item = self.model.item(row)
            old: LibraryEntry = item.data(ENTRY)
            if entry.path in self.preparing:  # the preparing thread's count is newer
                entry.cached, entry.verified = max(entry.cached, old.cached), old.verified
            item.setData(entry, ENTRY)
            item.setText(entry.title)
            if entry.cover != old.cover:
                self._decode_cover(item, entry)
            return
        item = QStandardItem(entry.title)
        item.setEditable(False)
        item.setData(entry, ENTRY)
        item.setToolTip(f"{entry.title}\n{entry.path}")
        self.model.appendRow(item)
        self._decode_cover(item, entry)

    def _decode_cover(self, item: QStandardItem, entry: LibraryEntry) -> None:
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

    def _look_for_changes(self) -> None:
        if self._watching:
            return
        self._watching = True
        self.runner.run(
            self.source.change_stamp,  # type: ignore[attr-defined]
            on_done=self._stamp_read,
            on_error=lambda _m: setattr(self, "_watching", False),
        )

    def _stamp_read(self, stamp: object) -> None:
        self._watching = False
        changed = self._stamp is not None and stamp != self._stamp
        self._stamp = stamp
        if changed:
            self.reload()

    # Adding and removing ----------------------------------------------------------------
    def add_paths(self, paths: list[str]) -> None:
        for path in paths:
            self.statusBar().showMessage(self.tr("Adding %1…").replace("%1", Path(path).name))
            self.runner.run(self.source.add, path, on_done=self._added, on_error=self._error)

    def _added(self, entry: LibraryEntry) -> None:
        self._add_item(entry)
        self._apply_filter()
        self.statusBar().showMessage(self.tr("Added %1").replace("%1", entry.title), 4000)
        self.bookAdded.emit(entry)

    def _error(self, message: str) -> None:
        self.banner.show_message(message, "error", 15)
        self.statusBar().clearMessage()

    def add_file_dialog(self) -> None:
        dialog = QFileDialog(
            self,
            self.tr("Add books"),
            filter=self.tr("Books")
            + " (*.cbz *.zip *.cbr *.rar *.cb7 *.7z *.cbt *.tar *.pdf *.xml);;"
            + self.tr("All files")
            + " (*)",
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(self.add_paths)
        dialog.open()

    def add_folder_dialog(self) -> None:
        dialog = QFileDialog(self, self.tr("Add a folder of images"))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(lambda path: self.add_paths([path]))
        dialog.open()

    def remove_selected(self) -> None:
        self.remove(self.selected_entries())

    def remove(self, entries: list[LibraryEntry]) -> None:
        """Forget these books (their files, cache and edits stay)."""
        for entry in entries:
            row = self._row_of(entry.path)
            if row is not None:
                self.model.removeRow(row)
            self.writer.run(self.source.remove, entry.path, on_error=self._error)
        self._apply_filter()

    def _update_entry(self, path: str, **changes: object) -> LibraryEntry | None:
        row = self._row_of(path)
        if row is None:
            return None
        entry: LibraryEntry = self.model.item(row).data(ENTRY)
        for name, value in changes.items():
            setattr(entry, name, value)
        self.model.item(row).setData(entry, ENTRY)
        return entry

    def record_cues(self, path: str, keys: dict[int, str]) -> None:
        """The cache keys of the cues the reader's engine made for the book at `path`."""
        record = getattr(self.source, "record_cues", None)
        if callable(record) and keys:
            self.writer.run(record, str(Path(path).resolve()), keys, on_error=lambda _m: None)

    def record_music(self, path: str, ready: int, total: int) -> None:
        """The reader's engine has music for `ready` pages of the book at `path`."""
        resolved = str(Path(path).resolve())
        entry = self._update_entry(resolved)
        if entry is None or total <= 0 or ready <= round(entry.cached * total):
            return  # prepared before: the cache already holds more
        self._update_entry(resolved, cached=min(1.0, ready / total), verified=False)
        self.writer.run(self.source.set_music_pages, resolved, ready, on_error=lambda _m: None)

    # The context menu -------------------------------------------------------------------
    def _context_menu(self, pos: QPoint) -> None:
        index = self.grid.indexAt(pos)
        if not index.isValid():
            return
        if not self.grid.selectionModel().isSelected(index):
            self.grid.setCurrentIndex(index)
        self.context_menu(self.selected_entries()).popup(self.grid.viewport().mapToGlobal(pos))

    def context_menu(self, entries: list[LibraryEntry]) -> QMenu:
        """What a right click on these cards offers."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if len(entries) == 1:
            entry = entries[0]
            menu.addAction(self.tr("Open"), lambda: self.openRequested.emit(entry.path, entry.page))
        if entries and all(e.path in self.preparing for e in entries):
            menu.addAction(self.tr("Stop preparing"), lambda: self.prepare_entries(entries))
        elif not all(e.offline_ready for e in entries):
            menu.addAction(self.tr("Prepare for offline"), lambda: self.prepare_entries(entries))
        if len(entries) == 1:
            menu.addAction(self.tr("Show in folder"), lambda: self.show_in_folder(entries[0]))
        menu.addSeparator()
        menu.addAction(self.tr("Remove from library"), lambda: self.remove(entries))
        return menu

    def show_in_folder(self, entry: LibraryEntry) -> None:
        """The file manager on the book's folder, the book selected where the file
        manager offers that (freedesktop `FileManager1.ShowItems` on the session bus,
        asked without waiting); else the folder opened as any folder is."""
        folder = QUrl.fromLocalFile(str(Path(entry.path).parent))
        if not _show_items(self, QUrl.fromLocalFile(entry.path).toString(), folder):
            QDesktopServices.openUrl(folder)

    # Prepare for offline ----------------------------------------------------------------
    def selected_entries(self) -> list[LibraryEntry]:
        rows = sorted({i.row() for i in self.grid.selectedIndexes()})
        return [self.model.item(r).data(ENTRY) for r in rows if not self.grid.isRowHidden(r)]

    def prepare_selected(self) -> None:
        self.prepare_entries(self.selected_entries())

    def prepare_entries(self, entries: list[LibraryEntry]) -> None:
        """Prepare these books; asked again while they prepare, it stops them."""
        if not entries:
            self.statusBar().showMessage(
                self.tr("Select a book to prepare for offline reading."), 4000
            )
            return
        if all(e.path in self.preparing for e in entries):
            for e in entries:
                token = self.preparing.pop(e.path, None)
                if token is not None:
                    token.cancel("stopped by the person")
            self.statusBar().showMessage(self.tr("Stopped preparing."), 4000)
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

        self.statusBar().showMessage(
            self.tr("Preparing %1 for offline reading…").replace("%1", Path(path).name)
        )
        self.runner.run(
            self.source.prepare, path, progress, finished, on_done=started,
            on_error=lambda m: self.prepareFinished.emit(path, m),
        )  # fmt: skip

    def _prepare_progress(self, path: str, done: int, total: int) -> None:
        share = 0.0 if total <= 0 else min(1.0, done / total)
        entry = self._update_entry(path, cached=share, verified=False)
        if entry is not None:
            self.statusBar().showMessage(
                self.tr("Preparing %1: music for %2 of %3 pages")
                .replace("%1", entry.title)
                .replace("%2", str(done))
                .replace("%3", str(total))
            )

    def _prepare_finished(self, path: str, result: object) -> None:
        self.preparing.pop(path, None)
        entry = self._update_entry(path)
        title = entry.title if entry is not None else Path(path).name
        if isinstance(result, int):
            pages = entry.pages if entry is not None else 0
            self._update_entry(path, cached=min(1.0, result / pages) if pages else 0.0)
            done = (
                self.tr("ready to read offline")
                if pages and result >= pages
                else self.tr("music for %1 of %2 pages")
                .replace("%1", str(result))
                .replace("%2", str(pages))
            )
            self.statusBar().showMessage(f"{title}: {done}", 8000)
            self.reload()  # the badge turns green once the cache is seen to hold it all
        else:
            self._error(
                self.tr("Preparing %1 failed: %2").replace("%1", title).replace("%2", str(result))
            )

    def record_progress(self, path: str, page: int) -> None:
        """The reader moved: update the card now, the library file in the background."""
        resolved = str(Path(path).resolve())
        row = self._row_of(resolved)
        if row is not None:
            entry: LibraryEntry = self.model.item(row).data(ENTRY)
            entry.page, entry.last_read = page, time.time()
            self.model.item(row).setData(entry, ENTRY)
        self.writer.run_latest(
            ("progress", resolved), self.source.set_progress, resolved, page,
            on_done=self._wrote_own, on_error=lambda _m: None,
        )  # fmt: skip

    def _wrote_own(self, _result: object) -> None:
        # The card already shows this write: the next look at the database takes its
        # stamp as the new baseline instead of reloading the whole library at each turn.
        self._stamp = None

    # Shelves, search and sort -----------------------------------------------------------
    @property
    def recent_only(self) -> bool:
        return self.shelf == SHELF_RECENT

    def set_recent_only(self, on: bool) -> None:
        self.set_shelf(SHELF_RECENT if on else SHELF_ALL)

    def set_shelf(self, shelf: str) -> None:
        """Show all books (SHELF_ALL), the ones read lately (SHELF_RECENT, newest first)
        or one series (its name, in the order of its numbers)."""
        self.shelf = shelf
        for row in range(self.shelves.count()):
            item = self.shelves.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == shelf:
                self.shelves.blockSignals(True)
                self.shelves.setCurrentItem(item)
                self.shelves.blockSignals(False)
        self._apply_filter()

    def _shelf_chosen(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is not None and item.data(Qt.ItemDataRole.UserRole) is not None:
            self.set_shelf(item.data(Qt.ItemDataRole.UserRole))

    def set_query(self, text: str) -> None:
        self.query = text
        if self.search.text() != text:
            self.search.setText(text)
        self._apply_filter()

    def set_sort(self, sort: str) -> None:
        self.sort = sort if sort in shelves.SORTS else "recent"
        index = self.sort_box.findData(self.sort)
        if index != self.sort_box.currentIndex():
            self.sort_box.setCurrentIndex(index)
        self._apply_filter()

    def _fill_shelves(self) -> None:
        self.shelves.blockSignals(True)
        self.shelves.clear()
        for key, text in (
            (SHELF_ALL, self.tr("All books")),
            (SHELF_RECENT, self.tr("Recently read")),
        ):
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.shelves.addItem(item)
        found = shelves.groups(self.entries())
        if found:
            heading = QListWidgetItem(self.tr("SERIES"))
            heading.setFlags(Qt.ItemFlag.NoItemFlags)
            heading.setForeground(QColor(theme.MUTED))
            small = QFont(self.shelves.font())
            small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
            small.setBold(True)
            heading.setFont(small)
            self.shelves.addItem(heading)
        for name, count in found:
            item = QListWidgetItem(f"{name}  ·  {count}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(name)
            self.shelves.addItem(item)
        if self.shelf not in (SHELF_ALL, SHELF_RECENT) and self.shelf not in dict(found):
            self.shelf = SHELF_ALL  # its last book went
        for row in range(self.shelves.count()):
            if self.shelves.item(row).data(Qt.ItemDataRole.UserRole) == self.shelf:
                self.shelves.setCurrentRow(row)
        self.shelves.blockSignals(False)

    def _apply_filter(self) -> None:
        entries = self.entries()
        self.count_label.setText(self.tr("Books: %1").replace("%1", str(len(entries))))
        self._series = shelves.series_of(entries)
        self._fill_shelves()
        in_series = self.shelf not in (SHELF_ALL, SHELF_RECENT)
        if in_series:
            order = sorted(entries, key=shelves.number_key)
        else:
            order = shelves.ordered(
                entries, "recent" if self.recent_only else self.sort, self._series
            )
        rank = {e.path: i for i, e in enumerate(order)}
        if [e.path for e in entries] != [e.path for e in order]:
            items = [self.model.takeRow(0)[0] for _ in range(self.model.rowCount())]
            items.sort(key=lambda it: rank[it.data(ENTRY).path])
            for item in items:
                self.model.appendRow(item)
        for row in range(self.model.rowCount()):
            entry: LibraryEntry = self.model.item(row).data(ENTRY)
            series = self._series.get(entry.path, "")
            hidden = (
                (self.recent_only and not entry.last_read)
                or (in_series and series != self.shelf)
                or not shelves.matches(entry, series, self.query)
            )
            self.grid.setRowHidden(row, hidden)
        self._update_empty()

    def visible_titles(self) -> list[str]:
        return [
            self.model.item(r).data(ENTRY).title
            for r in range(self.model.rowCount())
            if not self.grid.isRowHidden(r)
        ]

    def _update_empty(self) -> None:
        empty = self.model.rowCount() == 0
        if not empty and not self.visible_titles():
            self.empty.setText(self.tr("No book matches."))
        else:
            self.empty.setText(
                self.tr("Your library is empty.\nAdd a book, or drop a book file or folder here.")
            )
        empty = empty or not self.visible_titles()
        self.empty.setVisible(empty)
        self.grid.setVisible(not empty)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        # The colour scheme changed (the system's, or the settings'): the side list's
        # own style follows; everything else reads the theme when it paints.
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            style = shelves_style()
            if self.shelves.styleSheet() != style:
                self.shelves.setStyleSheet(style)
        super().changeEvent(event)

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
