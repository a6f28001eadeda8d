"""The library: a grid of covers with title, reading progress and soundtrack readiness.

Books are added by the file or folder dialog or by dropping them on the window, and
removed from the grid (the files stay). The side list shows all books, the ones read
lately, and each series; a search field and a sort order narrow and arrange the grid
(`library_filter`); a card's context menu opens, prepares, removes or shows a book in
its folder (`library_menu`). "Prepare for offline" computes a book's whole soundtrack
through the app's one `Preparer` (on the reader's engine when the reader has that
book open); the badge shows how much is ready and turns green only when every cue is
in the cache. A book added from a terminal (`m2m-reader library add`) shows up within
seconds: the window watches the database. Listing, adding, cover decoding, preparing
and the watch run off the UI thread.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QMainWindow,
    QMenu,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from . import library_menu
from .banner import Banner
from .library_cards import COVER, ENTRY, CoverDelegate
from .library_filter import SHELF_ALL, SHELF_RECENT, ShelfFilter
from .library_model import CardModel
from .library_prepare import Preparer
from .library_source import LibraryEntry, LibrarySource
from .tasks import Runner

__all__ = ["COVER", "ENTRY", "SHELF_ALL", "SHELF_RECENT", "LibraryWindow"]
WATCH_MS = 1500  # how often the window looks whether another process changed the library


def _button(text: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    return button


class LibraryWindow(QMainWindow):
    openRequested = Signal(str, int)  # path, page to resume at
    settingsRequested = Signal()
    bookAdded = Signal(object)  # LibraryEntry
    # The preparer's, for whoever watches this window.
    prepareProgress = Signal(str, int, int)  # path, pages with music, pages
    prepareFinished = Signal(str, object)  # path, pages with music or the error's sentence

    def __init__(
        self,
        source: LibrarySource,
        runner: Runner | None = None,
        parent: QWidget | None = None,
        preparer: Preparer | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Library — m2m-reader"))
        self.resize(1180, 780)
        self.setAcceptDrops(True)
        self.source = source
        self.runner = runner or Runner(threads=2, parent=self)
        # Writes run one at a time, in order: the last page read is the one kept.
        self.writer = Runner(threads=1, parent=self)
        self.model = CardModel(self.runner, self)

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

        self.filter = ShelfFilter(self.model, self.grid, self._apply_filter, self)
        self.shelves, self.search, self.sort_box = self.filter.widgets()
        self._empty_text = self.tr(
            "Your library is empty.\nAdd a book, or drop a book file or folder here."
        )
        self.empty = QLabel(self._empty_text)
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

        self.preparer = preparer or Preparer(source, parent=self)
        self.preparer.progress.connect(self.prepareProgress)
        self.preparer.finished.connect(self.prepareFinished)
        self.prepareProgress.connect(self._prepare_progress)
        self.prepareFinished.connect(self._prepare_finished)
        self.statusBar().showMessage("")
        self.count_label = QLabel("")
        self.count_label.setProperty("role", "muted")
        self.statusBar().addPermanentWidget(self.count_label)
        self.filter.fill_shelves()
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
        bar.addWidget(self.search)
        find = QAction(self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: self.search.setFocus())
        self.addAction(find)
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
            button = _button(text)
            button.clicked.connect(slot)
            bar.addWidget(button)
        self.prepare_button = _button(self.tr("♪  Prepare for offline"))
        self.prepare_button.setToolTip(
            self.tr("Compute the whole soundtrack of the selected books, to read them offline")
        )
        self.prepare_button.clicked.connect(self.prepare_selected)
        bar.addWidget(self.prepare_button)
        settings_button = _button(self.tr("⚙  Settings"))
        settings_button.clicked.connect(self.settingsRequested.emit)
        bar.addWidget(settings_button)

    # Loading ----------------------------------------------------------------------------
    def reload(self) -> None:
        self.runner.run(self.source.entries, on_done=self._show_entries, on_error=self._error)

    def _show_entries(self, entries: list[LibraryEntry]) -> None:
        """Bring the grid in line with `entries`, keeping the cards (and their decoded
        covers and the selection) of the books that did not change."""
        self.model.sync(entries, self.preparer.is_preparing)
        self._apply_filter()

    def entries(self) -> list[LibraryEntry]:
        return self.model.entries()

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
        self.model.put(entry, self.preparer.is_preparing(entry.path))
        self._apply_filter()
        self.statusBar().showMessage(self.tr("Added %1").replace("%1", entry.title), 4000)
        self.bookAdded.emit(entry)

    def _error(self, message: str) -> None:
        self.banner.show_message(message, "error", 15)
        self.statusBar().clearMessage()

    def add_file_dialog(self) -> None:
        library_menu.add_file_dialog(self, self.add_paths)

    def add_folder_dialog(self) -> None:
        library_menu.add_folder_dialog(self, self.add_paths)

    def remove_selected(self) -> None:
        self.remove(self.selected_entries())

    def remove(self, entries: list[LibraryEntry]) -> None:
        """Forget these books (their files, cache and edits stay)."""
        for entry in entries:
            row = self.model.row_of(entry.path)
            if row is not None:
                self.model.removeRow(row)
            self.writer.run(self.source.remove, entry.path, on_error=self._error)
        self._apply_filter()

    # What the reader reports ------------------------------------------------------------
    def record_cues(self, path: str, keys: dict[int, str]) -> None:
        """The cache keys of the cues the reader's engine made for the book at `path`."""
        record = getattr(self.source, "record_cues", None)
        if callable(record) and keys:
            self.writer.run(record, str(Path(path).resolve()), keys, on_error=lambda _m: None)

    def record_music(self, path: str, ready: int, total: int) -> None:
        """The reader's engine has music for `ready` pages of the book at `path`."""
        resolved = str(Path(path).resolve())
        entry = self.model.update(resolved)
        if entry is None or total <= 0 or ready <= round(entry.cached * total):
            return  # prepared before: the cache already holds more
        self.model.update(resolved, cached=min(1.0, ready / total), verified=False)
        self.writer.run(self.source.set_music_pages, resolved, ready, on_error=lambda _m: None)

    def record_progress(self, path: str, page: int) -> None:
        """The reader moved: update the card now, the library file in the background."""
        resolved = str(Path(path).resolve())
        self.model.update(resolved, page=page, last_read=time.time())
        self.writer.run_latest(
            ("progress", resolved), self.source.set_progress, resolved, page,
            on_done=self._wrote_own, on_error=lambda _m: None,
        )  # fmt: skip

    def _wrote_own(self, _result: object) -> None:
        # The card already shows this write: the next look at the database takes its
        # stamp as the new baseline instead of reloading the whole library at each turn.
        self._stamp = None

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
        return library_menu.context_menu(self, entries)

    def show_in_folder(self, entry: LibraryEntry) -> None:
        library_menu.show_in_folder(self, entry)

    # Prepare for offline ----------------------------------------------------------------
    def selected_entries(self) -> list[LibraryEntry]:
        rows = sorted({i.row() for i in self.grid.selectedIndexes()})
        return [self.model.entry_at(r) for r in rows if not self.grid.isRowHidden(r)]

    def prepare_selected(self) -> None:
        self.prepare_entries(self.selected_entries())

    def prepare_entries(self, entries: list[LibraryEntry]) -> None:
        """Prepare these books; asked again while they prepare, it stops them."""
        if not entries:
            self.statusBar().showMessage(
                self.tr("Select a book to prepare for offline reading."), 4000
            )
            return
        if all(self.preparer.is_preparing(e.path) for e in entries):
            for e in entries:
                self.preparer.cancel(e.path)
            self.statusBar().showMessage(self.tr("Stopped preparing."), 4000)
            return
        for e in entries:
            if not self.preparer.is_preparing(e.path) and not e.offline_ready:
                self.prepare(e.path)

    def prepare(self, path: str) -> None:
        """Compute a book's whole soundtrack in the background, with progress."""
        self.statusBar().showMessage(
            self.tr("Preparing %1 for offline reading…").replace("%1", Path(path).name)
        )
        self.preparer.prepare(path)

    def _prepare_progress(self, path: str, done: int, total: int) -> None:
        share = 0.0 if total <= 0 else min(1.0, done / total)
        entry = self.model.update(str(Path(path).resolve()), cached=share, verified=False)
        if entry is not None:
            self.statusBar().showMessage(
                self.tr("Preparing %1: music for %2 of %3 pages")
                .replace("%1", entry.title)
                .replace("%2", str(done))
                .replace("%3", str(total))
            )

    def _prepare_finished(self, path: str, result: object) -> None:
        resolved = str(Path(path).resolve())
        entry = self.model.update(resolved)
        title = entry.title if entry is not None else Path(path).name
        if isinstance(result, int):
            pages = entry.pages if entry is not None else 0
            self.model.update(resolved, cached=min(1.0, result / pages) if pages else 0.0)
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

    # Shelves, search and sort (see `library_filter`) ------------------------------------
    shelf = property(lambda self: self.filter.shelf)
    sort = property(lambda self: self.filter.sort)
    query = property(lambda self: self.filter.query)
    recent_only = property(lambda self: self.filter.recent_only)

    def set_recent_only(self, on: bool) -> None:
        self.set_shelf(SHELF_RECENT if on else SHELF_ALL)

    def set_shelf(self, shelf: str) -> None:
        self.filter.set_shelf(shelf)

    def set_query(self, text: str) -> None:
        self.filter.set_query(text)

    def set_sort(self, sort: str) -> None:
        self.filter.set_sort(sort)

    def _apply_filter(self) -> None:
        self.count_label.setText(self.tr("Books: %1").replace("%1", str(self.model.rowCount())))
        self.filter.arrange()
        self._update_empty()

    def visible_titles(self) -> list[str]:
        return self.filter.visible_titles()

    def _update_empty(self) -> None:
        nothing, shown = self.model.rowCount() == 0, bool(self.visible_titles())
        self.empty.setText(self.tr("No book matches.") if not nothing else self._empty_text)
        self.empty.setVisible(not shown)
        self.grid.setVisible(shown)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        # The colour scheme changed (the system's, or the settings'): the side list's
        # own style follows; everything else reads the theme when it paints.
        changed = event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange)
        if changed and "filter" in self.__dict__:  # not while the window is being made
            self.filter.restyle()
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
