"""The reader: pages, the soundtrack panel, the mood timeline and the music controls.

The window owns the reading position (the first page of the spread on screen) and
the layout choices; `PageView` paints, `PageImages` decodes off the UI thread and keeps
the neighbours ready, and the engine hears about every move through the bridge.
Keys follow the book's direction: in a right-to-left book, Left is the next page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..engine.books.images import is_double
from ..engine.books.model import Book, Direction
from ..engine.core.settings import Settings
from .banner import Banner
from .book_state import BookStates
from .bridge import AudioState, EngineBridge
from .controls import PlayerControls
from .filters import ImageFilter
from .image_loader import PageImages
from .layouts import (
    FIT_NAMES,
    FITS,
    LAYOUTS,
    Fit,
    Layout,
    effective_layout,
    is_long_strip,
    screen_order,
    spread_of,
    spreads,
)
from .mood_timeline import MoodTimeline
from .next_volume import next_volume
from .page_view import EDGE_STOP_S, PageView, Slot
from .prefs import Prefs
from .soundtrack_panel import SoundtrackPanel
from .strip_view import StripView
from .tasks import Runner
from .thumbnails import ThumbnailModel, ThumbnailView

log = logging.getLogger(__name__)

# Names of the layouts and fits, translated where shown (lupdate finds them here).
LAYOUT_NAMES = {
    "single": QT_TRANSLATE_NOOP("ReaderWindow", "Single page"),
    "double": QT_TRANSLATE_NOOP("ReaderWindow", "Two pages"),
    "auto": QT_TRANSLATE_NOOP("ReaderWindow", "Auto pages"),
}
_FIT_TEXTS = (
    QT_TRANSLATE_NOOP("ReaderWindow", "Fit page"),
    QT_TRANSLATE_NOOP("ReaderWindow", "Fit width"),
    QT_TRANSLATE_NOOP("ReaderWindow", "Fit height"),
    QT_TRANSLATE_NOOP("ReaderWindow", "Original"),
)
PRELOAD_AHEAD = 2  # spreads decoded ahead of the cursor
PRELOAD_BEHIND = 1


class ReaderWindow(QMainWindow):
    libraryRequested = Signal()
    pageChanged = Signal(int)  # first page of the spread now on screen
    progressChanged = Signal(object, int)  # book, page (for the library)

    def __init__(
        self,
        settings: Settings,
        bridge: EngineBridge,
        prefs: Prefs,
        runner: Runner | None = None,
        parent: QWidget | None = None,
        book_states: BookStates | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings, self.bridge, self.prefs = settings, bridge, prefs
        self.book_states = book_states or BookStates()
        self.runner = runner or Runner(threads=2, parent=self)
        self.book: Book | None = None
        self.page = 0
        self.direction = "ltr"
        # Where the person left off in a book: asked of the library on a worker (the
        # App sets it); the UI state file keeps window state only.
        self.saved_page: Callable[[Book], int | None] | None = None
        self._record_open = True  # False when the saved page could not be read
        layout = settings.reader_layout
        self.layout_mode: Layout = layout if layout in LAYOUTS else "auto"  # type: ignore[assignment]
        self.cover_offset: bool = settings.reader_cover_offset
        self._wide: list[bool] = []
        self._groups: list[tuple[int, ...]] = []
        self._shifts: set[int] = set()  # pages shown alone to move the pairing (per book)
        self.split = bool(prefs.get("split_spreads", False))  # wide pages half by half
        self._half = 0  # of a split spread: 0 the half read first, 1 the other
        self.image_filter = ImageFilter.from_dict(prefs.get("image_filter"))
        self._cue_backend: dict[int, str] = {}
        self.setWindowTitle("m2m-reader")
        self.setAcceptDrops(True)
        self.resize(1280, 860)

        self.images = PageImages(capacity=12, parent=self)
        self._apply_filter_now()
        self._filter_timer = QTimer(self, singleShot=True, interval=150)
        self._filter_timer.timeout.connect(self._apply_filter_now)
        self.view = PageView()
        self.view.set_fit(settings.reader_fit if settings.reader_fit in FITS else "page")  # type: ignore[arg-type]
        self.view.set_zoom(settings.reader_zoom)
        self.strip = StripView(self.images)
        self.vertical = False  # the continuous vertical strip instead of spreads
        self._strip_kind = "turn"  # how the engine hears of the strip's next page
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.strip)
        self.banner = Banner()
        self.timeline = MoodTimeline()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(self.stack, 1)
        column.addWidget(self.timeline)
        self.setCentralWidget(central)

        self.controls = PlayerControls(settings, bridge)
        self.panel = SoundtrackPanel(self.controls)
        scroll = QScrollArea()
        self.panel_scroll = scroll  # only a window smaller than the default scrolls it
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.dock = QDockWidget(self.tr("SOUNDTRACK"), self)
        self.dock.setObjectName("soundtrack")
        self.dock.setWidget(scroll)
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.dock.setMinimumWidth(320)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.resizeDocks([self.dock], [360], Qt.Orientation.Horizontal)

        self.act_panel = self.dock.toggleViewAction()  # S or the button: never lost
        self.act_panel.setText(self.tr("Soundtrack panel"))
        self.act_panel.setShortcut(QKeySequence("S"))
        self.act_panel.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.act_panel.setToolTip(self.tr("Show or hide the soundtrack panel (S)"))
        self.addAction(self.act_panel)
        self._audio: AudioState | None = None  # what the player last said it can do
        self._regenerating: set[int] = set()  # pages whose music a person asked to redo
        self._fresh: set[int] = set()  # ... and whose new music has arrived

        self.thumbs_model = ThumbnailModel(self)
        self.thumbs = ThumbnailView(self.thumbs_model)
        self.thumbs_dock = QDockWidget(self.tr("PAGES"), self)
        self.thumbs_dock.setObjectName("pages")
        self.thumbs_dock.setWidget(self.thumbs)
        self.thumbs_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.thumbs_dock)
        # The soundtrack panel keeps the full height; the strip runs under the page only.
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.thumbs_dock.hide()
        self.thumbs_dock.visibilityChanged.connect(self._thumbs_visible)
        self.thumbs.pageChosen.connect(lambda p: self.go_to_page(p))
        self.bookmarks: set[int] = set()
        self._next_book: Path | None = None
        self._end_noticed = 0.0  # when the reader was told the next volume follows
        # How the next volume opens; the app sets this to its own opener (which also
        # adds the book to the library).
        self.open_hook: Callable[[str], None] | None = None

        self.page_label = QLabel("")
        self.status_progress = QLabel("")
        self.statusBar().addPermanentWidget(self.status_progress)
        self.statusBar().addPermanentWidget(self.page_label)
        self._build_actions()
        self._build_toolbar()

        self._save_timer = QTimer(self, singleShot=True, interval=800)
        self._save_timer.timeout.connect(self._save_prefs)

        self.images.ready.connect(self._image_ready)
        self.images.failed.connect(self._image_failed)
        self.view.zoneClicked.connect(self._zone)
        self.view.wheelTurn.connect(
            lambda step: self.next_spread() if step > 0 else self.prev_spread()
        )
        self.view.zoomChanged.connect(self._zoom_changed)
        self.strip.pageChanged.connect(self._strip_page)
        self.strip.zoomStep.connect(self.zoom_step)
        self.strip.set_spacing(
            int(prefs.get("strip_gap", 0)), float(prefs.get("strip_padding", 0.0))
        )
        self.timeline.pageClicked.connect(lambda p: self.go_to_page(p))
        self.panel.directiveEdited.connect(self._edit_directive)
        self.panel.captionEdited.connect(self._edit_caption)
        self.panel.prepareRequested.connect(self._prepare)
        bridge.analysisChanged.connect(self._analysis)
        bridge.cueReady.connect(self._cue_ready)
        bridge.playing.connect(self._playing)
        bridge.progress.connect(self._progress_later)
        self._progress_value: tuple[int, int, str] | None = None
        self._progress_timer = QTimer(self, singleShot=True, interval=250)
        self._progress_timer.timeout.connect(self._progress_now)
        bridge.fallback.connect(lambda stage, msg: self.banner.show_message(msg))
        bridge.error.connect(lambda msg: self.banner.show_message(msg, "error"))
        bridge.pageError.connect(lambda page, msg: self.banner.show_message(msg, "error"))
        if bridge.engine is None:
            self.panel.set_playing(self.tr("Starting the music engine…"))
        bridge.attached.connect(lambda: self.panel.set_playing(self.tr("Music engine ready.")))
        bridge.audioState.connect(self._audio_state)
        self._music_off_shown = False

    # Building ---------------------------------------------------------------------------
    def _action(
        self, text: str, keys: list[str] | str, slot: Any, checkable: bool = False
    ) -> QAction:
        action = QAction(text, self)
        seqs = [keys] if isinstance(keys, str) else keys
        action.setShortcuts([QKeySequence(k) for k in seqs])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self._action(self.tr("Left"), "Left", lambda: self._arrow("left"))
        self._action(self.tr("Right"), "Right", lambda: self._arrow("right"))
        self._action(self.tr("Read on"), ["Space", "Down"], lambda: self.read_on(True))
        self._action(self.tr("Read back"), ["Shift+Space", "Up"], lambda: self.read_on(False))
        self._action(self.tr("Next page"), "PgDown", lambda: self.next_spread())
        self._action(self.tr("Previous page"), ["PgUp", "Backspace"], lambda: self.prev_spread())
        self._action(self.tr("First page"), "Home", lambda: self.go_to_page(0))
        self._action(self.tr("Last page"), "End", lambda: self.go_to_page(len(self._wide) - 1))
        self._action(self.tr("Go to page…"), "Ctrl+G", self.ask_page)
        self.act_fullscreen = self._action(
            self.tr("Fullscreen"), ["F", "F11"], self.toggle_fullscreen
        )
        self._action(self.tr("Leave fullscreen"), "Esc", self.leave_fullscreen)
        self.act_double = self._action(self.tr("Double pages"), "D", self.toggle_double)
        self.act_vertical = self._action(
            self.tr("Vertical strip"), "V", self.set_vertical, checkable=True
        )
        self.act_crop = self._action(
            self.tr("Crop white borders"), "C", self.set_crop, checkable=True
        )
        self.act_crop.setChecked(self.image_filter.crop)
        self.act_split = self._action(self.tr("Split spreads"), "X", self.set_split, checkable=True)
        self.act_split.setChecked(self.split)
        self.act_shift = self._action(self.tr("Shift pairing here"), "Shift+D", self.toggle_shift)
        self.act_adjust = self._action(self.tr("Adjust image…"), "Ctrl+I", self.open_adjust)
        self.act_thumbs = self._action(self.tr("Page thumbnails"), "T", self.show_thumbnails, True)
        self.act_grid = self._action(self.tr("Thumbnail grid"), "Shift+T", self.show_grid, True)
        self.act_bookmark = self._action(
            self.tr("Bookmark this page"), "Ctrl+B", self.toggle_bookmark
        )
        self._action(self.tr("Next bookmark"), "B", lambda: self.jump_bookmark(True))
        self._action(self.tr("Previous bookmark"), "Shift+B", lambda: self.jump_bookmark(False))
        self.act_direction = self._action(
            self.tr("Manga direction (right to left)"), "M", self.toggle_direction
        )
        # Keys zoom about the centre of the view, the wheel about the pointer; in the
        # vertical strip they widen or narrow the column instead.
        self._action(self.tr("Zoom in"), ["Ctrl++", "Ctrl+=", "+"], lambda: self.zoom_step(1))
        self._action(self.tr("Zoom out"), ["Ctrl+-", "-"], lambda: self.zoom_step(-1))
        self._action(self.tr("Actual zoom"), "Ctrl+0", lambda: self.zoom_step(0))
        self._action(self.tr("Play/pause"), "P", lambda: self.controls.play.toggle())

    def _build_toolbar(self) -> None:
        bar = QToolBar(self.tr("Reader"))
        bar.setObjectName("readerbar")
        bar.setMovable(False)
        self.addToolBar(bar)
        library = QToolButton(text=self.tr("☰  Library"))
        library.clicked.connect(self.libraryRequested.emit)
        bar.addWidget(library)
        bar.addSeparator()
        # One menu for the spread layout, so the bar fits the default window.
        self.layout_group = QActionGroup(self)
        layout_menu = QMenu(self)
        for mode in ("single", "double", "auto"):
            act = QAction(self.tr(LAYOUT_NAMES[mode]), self, checkable=True)
            act.setData(mode)
            act.setChecked(mode == self.layout_mode)
            act.triggered.connect(lambda _c=False, m=mode: self.set_layout(m))  # type: ignore[misc]
            self.layout_group.addAction(act)
            layout_menu.addAction(act)
        layout_menu.addSeparator()
        self.act_cover = QAction(
            self.tr("Cover alone"), self, checkable=True, checked=self.cover_offset
        )
        self.act_cover.setToolTip(self.tr("In double layout, show the first page alone"))
        self.act_cover.toggled.connect(self.set_cover_offset)
        layout_menu.addAction(self.act_cover)
        layout_menu.addAction(self.act_shift)
        self.layout_button = QToolButton(toolTip=self.tr("Pages side by side (D)"))
        self.layout_button.setMenu(layout_menu)
        self.layout_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._show_layout_name()
        bar.addWidget(self.layout_button)
        bar.addWidget(self._strip_button())
        image_menu = QMenu(self)
        for act in (self.act_crop, self.act_split, self.act_adjust):
            image_menu.addAction(act)
        self.image_button = QToolButton(
            text=self.tr("Image  ▾"), toolTip=self.tr("Crop, split, pairing, colours")
        )
        self.image_button.setMenu(image_menu)
        self.image_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(self.image_button)
        bar.addSeparator()
        self.dir_button = QToolButton(toolTip=self.tr("Reading direction (M)"))
        self.dir_button.clicked.connect(self.toggle_direction)
        bar.addWidget(self.dir_button)
        self.fit_group = QActionGroup(self)
        fit_menu = QMenu(self)
        for fit in FITS:
            act = QAction(self.tr(FIT_NAMES[fit]), self, checkable=True)
            act.setChecked(fit == self.view.fit)
            act.triggered.connect(lambda _c=False, f=fit: self.set_fit(f))  # type: ignore[misc]
            self.fit_group.addAction(act)
            fit_menu.addAction(act)
        self.fit_button = QToolButton(
            text=self.tr(FIT_NAMES[self.view.fit]) + "  ▾", toolTip=self.tr("Fit")
        )
        self.fit_button.setMenu(fit_menu)
        self.fit_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(self.fit_button)
        bar.addAction(self.act_fullscreen)
        bar.addSeparator()
        pages = QToolButton()
        self.act_thumbs.setIconText(self.tr("Thumbnails"))
        self.act_thumbs.setToolTip(self.tr("Page thumbnails (T); Shift+T for a grid"))
        pages.setDefaultAction(self.act_thumbs)
        bar.addWidget(pages)
        self.bookmark_menu = QMenu(self)
        self.bookmark_menu.aboutToShow.connect(self._fill_bookmarks)
        self.bookmark_button = QToolButton(
            text=self.tr("☆  ▾"), toolTip=self.tr("Bookmarks (Ctrl+B, B)")
        )
        self.bookmark_button.setMenu(self.bookmark_menu)
        self.bookmark_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(self.bookmark_button)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        panel = QToolButton()
        self.act_panel.setIconText(self.tr("♪  Soundtrack"))
        panel.setDefaultAction(self.act_panel)
        bar.addWidget(panel)
        self.panel_button = panel
        gear = QToolButton(text=self.tr("⚙  Settings"))
        gear.clicked.connect(self.open_settings)
        bar.addWidget(gear)
        self.toolbar = bar

    def _strip_button(self) -> QToolButton:
        """ "Vertical" toggles the strip for this book; its menu sets gaps and padding."""
        menu = QMenu(self)
        gap = QAction(self.tr("Gap between pages"), self, checkable=True)
        gap.setChecked(int(self.prefs.get("strip_gap", 0)) > 0)
        gap.toggled.connect(lambda on: self.set_strip_spacing(gap=16 if on else 0))
        menu.addAction(gap)
        pad_menu = menu.addMenu(self.tr("Side padding"))
        pads = QActionGroup(self)
        for share in (0.0, 0.1, 0.2, 0.3):
            act = QAction(f"{round(share * 100)} %", self, checkable=True)
            act.setChecked(abs(float(self.prefs.get("strip_padding", 0.0)) - share) < 1e-3)
            act.triggered.connect(lambda _c=False, v=share: self.set_strip_spacing(padding=v))  # type: ignore[misc]
            pads.addAction(act)
            pad_menu.addAction(act)
        button = QToolButton()
        self.act_vertical.setIconText(self.tr("Vertical"))
        self.act_vertical.setToolTip(self.tr("Continuous vertical strip for this book (V)"))
        button.setDefaultAction(self.act_vertical)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.strip_button = button
        return button

    # Finding the way ---------------------------------------------------------------------
    def _found_next(self, path: Path | None) -> None:
        self._next_book = path
        self._end_noticed = 0.0

    def _at_last_page(self) -> None:
        """Arriving at the end: say which book follows, so the next turn is expected."""
        if self._next_book is not None:
            self._end_noticed = time.monotonic()
            self.statusBar().showMessage(
                self.tr("Last page. Turn once more for %1.").replace("%1", self._next_book.name),
                8000,
            )

    def _past_the_end(self) -> None:
        """A turn past the last page opens the next volume, once the reader was told
        (and not in the same breath as the scroll that reached the end)."""
        if self._next_book is None:
            return
        if not self._end_noticed:
            self._at_last_page()
            return
        if time.monotonic() - self._end_noticed < EDGE_STOP_S:
            return
        if self.vertical and self.strip.since_edge() < EDGE_STOP_S:
            return  # the scroll that reached the bottom does not also open the next book
        path, self._next_book = self._next_book, None
        self.statusBar().showMessage(self.tr("Opening %1…").replace("%1", path.name))
        if self.open_hook is not None:
            self.open_hook(str(path))
        else:
            self.open_path(path)

    def show_thumbnails(self, on: bool) -> None:
        """T: the strip of page thumbnails along the bottom."""
        if not on and self.act_grid.isChecked():
            self.act_grid.setChecked(False)
        self.thumbs_dock.setVisible(on)

    def show_grid(self, on: bool) -> None:
        """Shift+T: the thumbnails as a grid beside the page."""
        self.thumbs.set_grid(on)
        area = (
            Qt.DockWidgetArea.LeftDockWidgetArea if on else Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.addDockWidget(area, self.thumbs_dock)
        if on:
            self.resizeDocks([self.thumbs_dock], [460], Qt.Orientation.Horizontal)
        self.act_thumbs.setChecked(True)
        self.thumbs_dock.show()

    def _thumbs_visible(self, visible: bool) -> None:
        self.act_thumbs.blockSignals(True)
        self.act_thumbs.setChecked(visible)
        self.act_thumbs.blockSignals(False)
        if visible:
            self.thumbs_model.load(around=self.page)
            self.thumbs.show_page(self.page)

    def toggle_bookmark(self) -> None:
        """Ctrl+B: bookmark this page, or take its bookmark away (kept per book)."""
        if self.book is None:
            return
        page = self.current_pages()[0] if not self.vertical else self.page
        self.bookmarks ^= {page}
        self._entry(self.book)["bookmarks"] = sorted(self.bookmarks)
        self._save_timer.start()
        self.thumbs_model.set_bookmarks(self.bookmarks)
        marked = page in self.bookmarks
        self.statusBar().showMessage(
            (
                self.tr("Page %1 bookmarked.")
                if marked
                else self.tr("Page %1 no longer bookmarked.")
            ).replace("%1", str(page + 1)),
            3000,
        )
        self._announce(self.current_pages() if not self.vertical else (page,), "none")

    def jump_bookmark(self, forward: bool) -> None:
        """B / Shift+B: the next (previous) bookmark in reading order."""
        here = self.page
        marks = sorted(self.bookmarks)
        ahead = [m for m in marks if m > here] if forward else [m for m in marks if m < here]
        if ahead:
            self.go_to_page(ahead[0] if forward else ahead[-1])

    def _fill_bookmarks(self) -> None:
        menu = self.bookmark_menu
        menu.clear()
        menu.addAction(self.act_bookmark)
        menu.addSeparator()
        if not self.bookmarks:
            empty = menu.addAction(self.tr("No bookmarks in this book"))
            empty.setEnabled(False)
        for page in sorted(self.bookmarks):
            act = menu.addAction(self.tr("Page %1").replace("%1", str(page + 1)))
            act.triggered.connect(lambda _c=False, p=page: self.go_to_page(p))  # type: ignore[misc]

    # The image ---------------------------------------------------------------------------
    def set_filter(self, image_filter: ImageFilter) -> None:
        """Crop and colour filters for every book; pages are re-decoded a moment later."""
        self.image_filter = image_filter
        self.prefs.set("image_filter", image_filter.to_dict())
        self._save_timer.start()
        self._filter_timer.start()

    def _apply_filter_now(self) -> None:
        f = self.image_filter
        self.images.set_transform(None if f.identity else f.apply)
        if self.book is not None:
            if self.vertical:
                self.strip.set_active(True)
            else:
                self._show(kind="none")

    def set_crop(self, on: bool) -> None:
        """C: crop the white borders around every page."""
        from dataclasses import replace

        self.set_filter(replace(self.image_filter, crop=on))

    def open_adjust(self) -> None:
        from .adjust_dialog import AdjustDialog

        dialog = AdjustDialog(self.image_filter, self)
        dialog.changed.connect(lambda f: self.set_filter(replace_crop(f, self.image_filter.crop)))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.adjust_dialog = dialog

    def set_split(self, on: bool) -> None:
        """X: show a two-page scan one half at a time, in reading order."""
        self.split = on
        self._half = 0
        self.prefs.set("split_spreads", on)
        self._save_timer.start()
        self._show(kind="none")

    def toggle_shift(self) -> None:
        """Shift+D: the pairs from this spread on move by one page (again: undo). Kept
        per book, for books whose printed pairs go out of step mid-way."""
        group = self.current_pages()
        if self.book is None or not group:
            return
        first = group[0]
        if len(group) == 1 and first in self._shifts:
            self._shifts.discard(first)
        else:
            self._shifts.add(first)
        self._entry(self.book)["shifts"] = sorted(self._shifts)
        self._save_timer.start()
        self._relayout()
        self._show(kind="none")

    def zoom_step(self, step: int) -> None:
        """+1 / -1 zoom in / out, 0 back to the fit; in the strip, the column's padding."""
        if self.vertical:
            padding = float(self.prefs.get("strip_padding", 0.0))
            padding = 0.0 if step == 0 else round(min(0.4, max(0.0, padding - step * 0.05)), 2)
            self.set_strip_spacing(padding=padding)
        elif step == 0:
            self.view.set_zoom(1.0)
        else:
            self.view.set_zoom(self.view.zoom * (1.15 if step > 0 else 1 / 1.15))

    def set_strip_spacing(self, gap: int | None = None, padding: float | None = None) -> None:
        gap = int(self.prefs.get("strip_gap", 0)) if gap is None else gap
        padding = float(self.prefs.get("strip_padding", 0.0)) if padding is None else padding
        self.prefs.set("strip_gap", gap)
        self.prefs.set("strip_padding", padding)
        self.strip.set_spacing(gap, padding)
        self._save_timer.start()

    # Opening ----------------------------------------------------------------------------
    def open_path(self, path: str | Path, start_page: int | None = None) -> None:
        """Open a book file or folder in the background at `start_page` (default: where
        the library says the person left off); errors show in the banner."""
        self.statusBar().showMessage(self.tr("Opening %1…").replace("%1", Path(path).name))
        self.runner.run(
            _open_at,
            Path(path),
            start_page,
            self.saved_page,
            on_done=lambda opened: self.set_book(*opened),
            on_error=lambda msg: self.banner.show_message(msg, "error", 20),
        )

    def set_book(self, book: Book, start_page: int | None = None, record_open: bool = True) -> None:
        """Show `book` at `start_page` (the first page by default). `record_open` False:
        where the person left off is unknown, so the library hears of no position until
        they turn a page."""
        if self.book is not None and self.book is not book:
            old = self.book
            self.runner.run(old.close)
        self.book = book
        self._record_open = record_open
        entry = self._entry(book)
        if not book.direction_known:  # the book does not say: the setting decides
            book.direction = self._default_direction()
        self.direction = entry.get("direction", book.direction)
        self.view.set_direction(self.direction)
        self._wide = [p.double or is_double(p.width, p.height) for p in book.pages]
        self._shifts = {int(i) for i in entry.get("shifts", []) if isinstance(i, int)}
        self._half = 0
        self.bookmarks = {int(i) for i in entry.get("bookmarks", []) if isinstance(i, int)}
        self.thumbs_model.set_book(book)
        self.thumbs_model.set_bookmarks(self.bookmarks)
        self.thumbs.set_direction(self.direction)
        self._next_book = None
        self._end_noticed = 0.0
        self.runner.run(next_volume, book.path, on_done=self._found_next)
        self.images.set_book(book)
        self.timeline.set_book(len(book), self.direction)
        self.timeline.set_ready(self.bridge.ready_pages)
        self._cue_backend.clear()
        self.setWindowTitle(f"{book.title} — m2m-reader")
        self.statusBar().showMessage(
            self.tr("Opened %1 (%2 pages)").replace("%1", book.title).replace("%2", str(len(book))),
            4000,
        )
        page = start_page if start_page is not None else 0
        self.page = min(max(0, page), max(0, len(book) - 1))
        self.bridge.open(book, self.page)
        self._relayout()
        mode = entry.get("mode")
        if mode not in ("vertical", "paged"):  # the person has not chosen for this book
            sizes = [(p.width, p.height) for p in book.pages]
            long = self.settings.reader_layout == "scroll" or is_long_strip(sizes)
            mode = "vertical" if long else "paged"
        self._enter_mode(mode == "vertical", kind="open")
        if self.thumbs_dock.isVisible():
            self.thumbs_model.load(around=self.page)

    def _enter_mode(self, vertical: bool, kind: str) -> None:
        self.vertical = vertical
        self.act_vertical.blockSignals(True)
        self.act_vertical.setChecked(vertical)
        self.act_vertical.blockSignals(False)
        self.strip.set_active(vertical)
        self.stack.setCurrentWidget(self.strip if vertical else self.view)
        if self.book is None:
            return
        if vertical:
            ratios = [
                (p.height / p.width) if p.width and p.height else 0.0 for p in self.book.pages
            ]
            self._strip_kind = "none"
            self.strip.set_pages(ratios, self.page)
            self._strip_kind = "turn"
            self._announce((self.page,), kind)
        else:
            self._show(kind=kind)

    def set_vertical(self, on: bool) -> None:
        """V: this book in the vertical strip (or back to spreads), remembered per book."""
        if self.book is not None:
            self._entry(self.book)["mode"] = "vertical" if on else "paged"
            self._save_timer.start()
        self._enter_mode(on, kind="none")

    def _strip_page(self, page: int) -> None:
        """The strip scrolled another page under the reading line: it is the cursor."""
        if self.vertical and self.book is not None:
            self.page = page
            kind, self._strip_kind = self._strip_kind, "turn"
            self._announce((page,), kind)

    def _entry(self, book: Book) -> dict[str, Any]:
        """The person's choices for this book (direction, mode, shifts, bookmarks)."""
        earlier = self.prefs.get("books", {}).get(book.fingerprint)
        return self.book_states.entry(
            book.fingerprint, earlier if isinstance(earlier, dict) else None
        )

    def _default_direction(self) -> Direction:
        """The direction for a book that does not say: the `default_direction` setting."""
        return "ltr" if self.settings.default_direction == "ltr" else "rtl"

    @property
    def position_known(self) -> bool:
        """False while the book shows its first page only because the library could
        not say where the person left off (nothing is recorded until they turn)."""
        return self._record_open

    # Navigation -------------------------------------------------------------------------
    @property
    def spread_index(self) -> int:
        return spread_of(self._groups, self.page)

    def current_pages(self) -> tuple[int, ...]:
        return self._groups[self.spread_index] if self._groups else ()

    def _split_here(self) -> bool:
        group = self.current_pages()
        return self.split and len(group) == 1 and self._wide[group[0]]

    def next_spread(self) -> None:
        if self.vertical:
            self.strip.step_page(True)
            return
        if self._split_here() and self._half == 0:
            self._half = 1
            self._show(kind="half")
            return
        k = self.spread_index
        if k + 1 < len(self._groups):
            self.page = self._groups[k + 1][0]
            self._half = 0
            self._show(kind="turn")
        else:
            self._past_the_end()

    def prev_spread(self, at_end: bool = False) -> None:
        """The previous spread, at its start; at its end (`at_end`) when scrolling back."""
        if self.vertical:
            self.strip.step_page(False)
            return
        if self._split_here() and self._half == 1:
            self._half = 0
            self._show(kind="half", at_end=at_end)
            return
        k = self.spread_index
        if k > 0:
            self.page = self._groups[k - 1][0]
            self._half = 1 if self._split_here() else 0
            self._show(kind="turn", at_end=at_end)

    def read_on(self, forward: bool) -> None:
        """Space / Down (Up): scroll within the spread first, turn at its edge."""
        if self.vertical:
            if not self.strip.advance(forward) and forward:
                self._past_the_end()
        elif self.view.advance(forward) == "turn":
            self.next_spread() if forward else self.prev_spread(at_end=True)

    def go_to_page(self, page: int, kind: str = "jump") -> None:
        if not self._groups:
            return
        page = min(max(0, page), len(self._wide) - 1)
        if self.vertical:
            self._strip_kind = kind
            self.strip.go_to_page(page, animate=False)
            self._strip_kind = "turn"
            return
        self.page = self._groups[spread_of(self._groups, page)][0]
        self._half = 0
        self._show(kind=kind)

    def _arrow(self, side: str) -> None:
        if not self.vertical and self.view.sideways(side == "left") != "turn":
            return
        forward = (side == "left") == (self.direction == "rtl")
        self.next_spread() if forward else self.prev_spread()

    def _turn_side(self, side: str) -> None:
        forward = (side == "left") == (self.direction == "rtl")
        self.next_spread() if forward else self.prev_spread()

    def _zone(self, zone: str) -> None:
        if zone in ("left", "right"):
            self._turn_side(zone)

    def ask_page(self) -> None:
        if not self._wide:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle(self.tr("Go to page"))
        dialog.setLabelText(self.tr("Page (1–%1):").replace("%1", str(len(self._wide))))
        dialog.setInputMode(QInputDialog.InputMode.IntInput)
        dialog.setIntRange(1, len(self._wide))
        dialog.setIntValue(self.page + 1)
        dialog.intValueSelected.connect(lambda v: self.go_to_page(v - 1))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.goto_dialog = dialog

    # Layout -----------------------------------------------------------------------------
    def _relayout(self) -> None:
        mode = effective_layout(self.layout_mode, self.view.width(), self.view.height())
        self._groups = spreads(self._wide, mode, self.cover_offset, self._shifts)
        self.act_double.blockSignals(True)
        self.act_double.setChecked(mode == "double")
        self.act_double.blockSignals(False)
        self.act_direction.blockSignals(True)
        self.act_direction.setChecked(self.direction == "rtl")
        self.act_direction.blockSignals(False)
        self.dir_button.setText(
            self.tr("⇠  Right to left") if self.direction == "rtl" else self.tr("⇢  Left to right")
        )

    def set_layout(self, mode: Layout) -> None:
        self.layout_mode = mode
        for act in self.layout_group.actions():
            act.setChecked(act.data() == mode)
        self._show_layout_name()
        self.bridge.set_setting("reader_layout", mode)
        self._relayout()
        self._show(kind="none")

    def _show_layout_name(self) -> None:
        self.layout_button.setText(self.tr(LAYOUT_NAMES[self.layout_mode]) + "  ▾")

    def toggle_double(self) -> None:
        mode = effective_layout(self.layout_mode, self.view.width(), self.view.height())
        self.set_layout("single" if mode == "double" else "double")

    def set_cover_offset(self, on: bool) -> None:
        self.cover_offset = on
        self.bridge.set_setting("reader_cover_offset", on)
        self._relayout()
        self._show(kind="none")

    def set_direction(self, direction: str) -> None:
        self.direction = direction
        if self.book is not None:
            self._entry(self.book)["direction"] = direction
            self._save_timer.start()
        self.timeline.set_direction(direction)
        self.view.set_direction(direction)
        self.thumbs.set_direction(direction)
        self._relayout()
        self._show(kind="none")

    def toggle_direction(self) -> None:
        self.set_direction("ltr" if self.direction == "rtl" else "rtl")

    def set_fit(self, fit: Fit) -> None:
        self.view.set_fit(fit)
        for act in self.fit_group.actions():
            act.setChecked(act.text() == self.tr(FIT_NAMES[fit]))
        self.fit_button.setText(self.tr(FIT_NAMES[fit]) + "  ▾")
        self.bridge.set_setting("reader_fit", fit)

    def _zoom_changed(self, zoom: float) -> None:
        self.bridge.set_setting("reader_zoom", round(zoom, 4))

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.leave_fullscreen()
        else:
            self._dock_was_open = self.dock.isVisible()
            for w in (self.toolbar, self.dock, self.timeline, self.statusBar()):
                w.hide()
            self.showFullScreen()
            self.view.set_overlay(self.page_label.text().strip())
            self.strip.set_overlay(self.page_label.text().strip())

    def leave_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
            for w in (self.toolbar, self.timeline, self.statusBar()):
                w.show()
            if getattr(self, "_dock_was_open", True):
                self.dock.show()
            self.view.set_overlay("")
            self.strip.set_overlay("")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.book is not None and self.layout_mode == "auto":
            before = self._groups
            self._relayout()
            if before != self._groups:
                self._show(kind="none")

    # Showing ----------------------------------------------------------------------------
    def _slot(self, index: int) -> Slot:
        page = self.book.pages[index] if self.book else None
        aspect = page.aspect if page else None
        image = self.images.request(index)
        return Slot(index, image, self.images.error(index), aspect, self.images.scaled(index))

    def _planned_sizes(self, groups: list[tuple[int, ...]]) -> dict[int, QSize]:
        """Sizes these spreads will be painted at, from the page sizes the book knows."""
        assert self.book is not None
        out: dict[int, QSize] = {}
        for group in groups:
            order = screen_order(group, self.direction)
            # A decoded page's own shape first: a cropped page is not the shape the
            # book says, and the workers must pre-scale it to the size really painted.
            slots = [
                Slot(i, image=self.images.cached(i), aspect=self.book.pages[i].aspect)
                for i in order
            ]
            if any(s.aspect is None for s in slots):
                continue
            for i, size in zip(order, self.view.target_sizes(slots), strict=True):
                out[i] = size
        return out

    def _show(self, kind: str, at_end: bool = False) -> None:
        if self.book is None or not self._groups or self.vertical:
            return
        group = self.current_pages()
        slots = [self._slot(i) for i in screen_order(group, self.direction)]
        if self._split_here():
            first, second = ("right", "left") if self.direction == "rtl" else ("left", "right")
            slots[0].part = second if self._half else first
        shown = [(s.index, s.part) for s in self.view.slots()]
        same = kind == "none" and shown == [(s.index, s.part) for s in slots]
        self.view.set_slots(slots, keep_pan=same, at_end=at_end)
        k = self.spread_index
        near = self._groups[max(0, k - PRELOAD_BEHIND) : k + 1 + PRELOAD_AHEAD]
        self.images.set_sizes(self._planned_sizes(near))
        ahead = [i for g in self._groups[k + 1 : k + 1 + PRELOAD_AHEAD] for i in g]
        behind = [i for g in self._groups[max(0, k - PRELOAD_BEHIND) : k] for i in g]
        self.images.preload(ahead + behind)
        self._announce(group, kind)

    def _announce(self, group: tuple[int, ...], kind: str) -> None:
        """The page label, timeline, panel, engine and library hear of the cursor."""
        n = len(self._wide)
        pages = "–".join(str(i + 1) for i in group)
        if not self.vertical and self._split_here():
            pages += f" ({self._half + 1}/2)"
        if any(i in self.bookmarks for i in group):
            pages = "★ " + pages
        self.page_label.setText(f"  {pages} / {n}  ")
        self.view.set_overlay(f"{pages} / {n}" if self.isFullScreen() else "")
        self.strip.set_overlay(f"{pages} / {n}" if self.isFullScreen() else "")
        self.timeline.set_cursor(group)
        self.panel.set_page(group[0])
        if self.thumbs_dock.isVisible():
            self.thumbs.show_page(group[0])
        if group[-1] == n - 1 and kind not in ("none", "half"):
            self._at_last_page()
        if kind not in ("none", "open", "half"):  # the other half: still the same page
            self.bridge.set_cursor(group[0], kind)
        self.pageChanged.emit(group[0])
        if self.book is not None:
            if kind not in ("open", "none", "half"):
                self._record_open = True  # the person chose this page
            if self._record_open:
                self.progressChanged.emit(self.book, group[0])

    def _image_ready(self, index: int, image: QImage) -> None:
        if self.book is None:
            return
        wide = image.width() / max(1, image.height()) > 1.2
        if (
            index < len(self._wide)
            and wide != self._wide[index]
            and self.book.pages[index].width is None
        ):
            self._wide[index] = wide
            self._relayout()
        if index in self.current_pages():
            self._show(kind="none")

    def _image_failed(self, index: int, reason: str) -> None:
        if index in self.current_pages():
            self._show(kind="none")
            self.banner.show_message(reason, "error")

    # Soundtrack -------------------------------------------------------------------------
    def _analysis(self, analysis: object | None) -> None:
        self.panel.set_analysis(analysis)
        self.timeline.set_analysis(analysis)

    def _cue_ready(self, page: int, backend: str, cached: bool) -> None:
        self._cue_backend[page] = backend
        if page in self._regenerating:
            self._regenerating.discard(page)
            self._fresh.add(page)
            fresh = self.tr("New music ready for page %1.").replace("%1", str(page + 1))
            self.statusBar().showMessage(fresh, 6000)
            if page in self.current_pages():
                self.panel.set_playing(fresh)
            return
        if page in self.current_pages() and not self.panel.now_playing.text().startswith("♪"):
            off = self.tr(" Music is off (no sound device).") if self._music_off_shown else ""
            ready = self.tr("Music for page %1 is ready (%2).").replace("%1", str(page + 1))
            self.panel.set_playing(ready.replace("%2", backend or self.tr("cached")) + off)
        self.timeline.set_ready(self.bridge.ready_pages)

    def _playing(self, page: int, scene: int) -> None:
        """The engine moved the music to this page: a ♪ only when it can be heard."""
        backend = self._cue_backend.get(page, "")
        by = f" · {backend}" if backend else ""
        if page in self._fresh:
            self._fresh.discard(page)
            by += self.tr(" · new music ready")
        where = self.tr("Page %1").replace("%1", str(page + 1))
        if scene >= 0:
            where += self.tr(" · scene %1").replace("%1", str(scene + 1))
        audio = self._audio
        if audio is not None and audio.sound and audio.playing and not self.settings.muted:
            self.panel.set_playing(f"♪  {where}{by}")
        elif audio is not None and not audio.sound:
            self.panel.set_playing(
                f"{where}{by}" + self.tr(": music ready. Music is off (no sound device).")
            )
        elif audio is not None and audio.sound and self.settings.muted:
            self.panel.set_playing(f"{where}{by}" + self.tr(": muted."))
        else:
            self.panel.set_playing(f"{where}{by}" + self.tr(": music ready, not playing."))

    def _audio_state(self, state: AudioState) -> None:
        """No sound device: say so once, without stopping anything; reading goes on."""
        before, self._audio = self._audio, state
        if before is not None and before.sound and not state.sound:
            self._music_off_shown = True
            self.panel.set_playing(self.tr("Music is off (the sound device went away)."))
            self.banner.show_message(
                self.tr(
                    "The sound device went away: %1 Reading goes on; the music "
                    "comes back when the device does."
                ).replace("%1", state.message),
                "warning",
                15,
            )
            return
        if state.sound:
            self._music_off_shown = False
            if not state.playing:
                self.panel.set_playing(self.tr("Music paused."))
            return
        self.panel.set_playing(self.tr("Music is off (no sound device)."))
        if not self._music_off_shown:
            self._music_off_shown = True
            self.banner.show_message(
                self.tr(
                    "Music is off: %1 Reading goes on; the soundtrack is still "
                    "prepared and plays when sound is available."
                ).replace("%1", state.message),
                "warning",
                15,
            )

    def _progress_later(self, done: int, total: int, what: str) -> None:
        """Progress comes in bursts; show it at most four times a second."""
        self._progress_value = (done, total, what)
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _progress_now(self) -> None:
        if self._progress_value is not None:
            self._progress(*self._progress_value)

    def _progress(self, done: int, total: int, what: str) -> None:
        self.panel.set_progress(done, total, what)
        self.status_progress.setText("" if done >= total else f"{what} {done}/{total}   ")

    def _edit_directive(self, first: int, last: int, text: str) -> None:
        self.bridge.edit_directive(first, last, text)
        self._regenerating |= set(range(first, last + 1))
        self.statusBar().showMessage(
            self.tr("Regenerating scene (pages %1–%2)…")
            .replace("%1", str(first + 1))
            .replace("%2", str(last + 1)),
            4000,
        )

    def _edit_caption(self, page: int, text: str) -> None:
        self.bridge.edit_caption(page, text)
        self._regenerating.add(page)
        self.statusBar().showMessage(
            self.tr("Regenerating page %1…").replace("%1", str(page + 1)), 4000
        )

    def _prepare(self) -> None:
        self.bridge.prepare_all()
        self.statusBar().showMessage(
            self.tr("Preparing the whole soundtrack in the background…"), 4000
        )

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.bridge, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.settings_dialog = dialog

    # Files ------------------------------------------------------------------------------
    def _save_prefs(self) -> None:
        self.runner.run(self.prefs.write, self.prefs.snapshot())
        self.runner.run(self.book_states.write, self.book_states.snapshot())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(urls[0])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self._save_timer.isActive():
            self._save_timer.stop()
            self._save_prefs()
        super().closeEvent(event)


def _open_at(
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


def replace_crop(image_filter: ImageFilter, crop: bool) -> ImageFilter:
    """The adjustments dialog's filter with the window's crop choice."""
    from dataclasses import replace

    return replace(image_filter, crop=crop)
