"""The reader: pages, the soundtrack panel, the mood timeline and the music controls.

The window owns the reading position (the first page of the spread on screen) and
the layout choices; `PageView` paints, `PageImages` decodes off the UI thread and keeps
the neighbours ready, and the engine hears about every move through the bridge. Its
parts: `ReaderBar` (actions and toolbar), `Navigator` (turns and keys), `Wayfinder`
(thumbnails, bookmarks, the next volume), `ImageChoices` (crop, filters, split,
pairing, zoom) and `SoundtrackStatus` (what the reader says about the music).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QImage, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from .. import runtime
from ..engine.books.model import Book
from ..engine.core.settings import Settings
from .banner import Banner
from .book_state import BookStates
from .bridge import EngineBridge
from .controls import PlayerControls
from .image_loader import PageImages
from .layouts import FITS, LAYOUTS, Fit, Layout, effective_layout, screen_order, spread_of, spreads
from .mood_timeline import MoodTimeline
from .page_view import PageView, Slot
from .prefs import Prefs
from .reader_bar import ReaderBar
from .reader_finding import Wayfinder
from .reader_image import ImageChoices
from .reader_navigation import Navigator
from .reader_opening import BookOpener
from .reader_panels import enter_fullscreen, leave_fullscreen, soundtrack_dock, thumbnail_dock
from .reader_sound import SoundtrackStatus
from .strip_view import StripView
from .tasks import Runner

log = logging.getLogger(__name__)

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
        self.record_open = True  # False when the saved page could not be read
        layout = settings.reader_layout
        self.layout_mode: Layout = layout if layout in LAYOUTS else "auto"
        self.cover_offset: bool = settings.reader_cover_offset
        self.wide: list[bool] = []  # per page: a two-page scan, shown alone
        self.groups: list[tuple[int, ...]] = []  # the spreads, in reading order
        self.shifts: set[int] = set()  # pages shown alone to move the pairing (per book)
        self.split = bool(prefs.get("split_spreads", False))  # wide pages half by half
        self.half = 0  # of a split spread: 0 the half read first, 1 the other
        self.setWindowTitle("m2m-reader")
        self.setAcceptDrops(True)
        self.resize(1280, 860)

        self.images = PageImages(capacity=12, parent=self)
        self.view = PageView()
        self.view.set_fit(settings.reader_fit if settings.reader_fit in FITS else "page")
        self.view.set_zoom(settings.reader_zoom)
        self.strip = StripView(self.images)
        self.vertical = False  # the continuous vertical strip instead of spreads
        self.strip_kind = "turn"  # how the engine hears of the strip's next page
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
        self.dock, self.panel, self.panel_scroll = soundtrack_dock(self, self.controls)
        self.act_panel = self.dock.toggleViewAction()  # S or the button: never lost
        self.act_panel.setText(self.tr("Soundtrack panel"))
        self.act_panel.setShortcut(QKeySequence("S"))
        self.act_panel.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.act_panel.setToolTip(self.tr("Show or hide the soundtrack panel (S)"))
        self.addAction(self.act_panel)

        self.thumbs_dock, self.thumbs_model, self.thumbs = thumbnail_dock(self)
        self.dock_was_open = True  # the soundtrack panel, when fullscreen began
        # How the next volume opens; the app sets this to its own opener (which also
        # adds the book to the library).
        self.open_hook: Callable[[str], None] | None = None
        # How "prepare for offline" runs; the app sets this to its one preparer (which
        # uses this window's engine for its book). None: the bridge prepares it.
        self.prepare_hook: Callable[[str], None] | None = None

        self.page_label = QLabel("")
        self.status_progress = QLabel("")
        self.statusBar().addPermanentWidget(self.status_progress)
        self.statusBar().addPermanentWidget(self.page_label)
        self._save_timer = QTimer(self, singleShot=True, interval=800)
        self._save_timer.timeout.connect(self._save_prefs)
        # After a zoom or a resize settles, the workers pre-scale to the new size.
        self._sizes_timer = QTimer(self, singleShot=True, interval=150)
        self._sizes_timer.timeout.connect(self._plan_sizes)
        bridge.attached.connect(runtime.settle_heap)  # the engine's modules are in

        self.nav = Navigator(self)
        self.opener = BookOpener(self)
        self.finder = Wayfinder(self)
        self.image_choices = ImageChoices(self)
        self.image_choices.apply_filter_now()
        self.sound = SoundtrackStatus(self)
        self.bar = ReaderBar(self)
        self.toolbar = self.bar.toolbar

        self.images.ready.connect(self._image_ready)
        self.images.failed.connect(self._image_failed)
        self.view.zoneClicked.connect(self.nav.zone)
        self.view.wheelTurn.connect(
            lambda step: self.next_spread() if step > 0 else self.prev_spread()
        )
        self.view.zoomChanged.connect(self._zoom_changed)
        self.strip.pageChanged.connect(self.opener.strip_page)
        self.strip.zoomStep.connect(self.image_choices.zoom_step)
        self.strip.set_spacing(
            int(prefs.get("strip_gap", 0)), float(prefs.get("strip_padding", 0.0))
        )
        self.timeline.pageClicked.connect(lambda p: self.go_to_page(p))

    # The parts' public faces ------------------------------------------------------------
    def next_spread(self) -> None:
        self.nav.next_spread()

    def prev_spread(self, at_end: bool = False) -> None:
        self.nav.prev_spread(at_end)

    def go_to_page(self, page: int, kind: str = "jump") -> None:
        self.nav.go_to_page(page, kind)

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.bridge, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.settings_dialog = dialog

    # Layout -----------------------------------------------------------------------------
    @property
    def spread_index(self) -> int:
        return spread_of(self.groups, self.page)

    def current_pages(self) -> tuple[int, ...]:
        return self.groups[self.spread_index] if self.groups else ()

    def split_here(self) -> bool:
        group = self.current_pages()
        return self.split and len(group) == 1 and self.wide[group[0]]

    def relayout(self) -> None:
        mode = effective_layout(self.layout_mode, self.view.width(), self.view.height())
        self.groups = spreads(self.wide, mode, self.cover_offset, self.shifts)
        self.bar.show_direction(self.direction, mode == "double")

    def set_layout(self, mode: Layout) -> None:
        self.layout_mode = mode
        self.bar.show_layout(mode)
        self.bridge.set_setting("reader_layout", mode)
        self.relayout()
        self.show_spread(kind="none")

    def toggle_double(self) -> None:
        mode = effective_layout(self.layout_mode, self.view.width(), self.view.height())
        self.set_layout("single" if mode == "double" else "double")

    def set_cover_offset(self, on: bool) -> None:
        self.cover_offset = on
        self.bridge.set_setting("reader_cover_offset", on)
        self.relayout()
        self.show_spread(kind="none")

    def set_direction(self, direction: str) -> None:
        self.direction = direction
        if self.book is not None:
            self.book_entry(self.book)["direction"] = direction
            self.save_soon()
        self.timeline.set_direction(direction)
        self.view.set_direction(direction)
        self.thumbs.set_direction(direction)
        self.relayout()
        self.show_spread(kind="none")

    def toggle_direction(self) -> None:
        self.set_direction("ltr" if self.direction == "rtl" else "rtl")

    def set_fit(self, fit: Fit) -> None:
        self.view.set_fit(fit)
        self.bar.show_fit(fit)
        self.bridge.set_setting("reader_fit", fit)

    def _zoom_changed(self, zoom: float) -> None:
        self.bridge.set_setting("reader_zoom", round(zoom, 4))
        self._sizes_timer.start()

    def toggle_fullscreen(self) -> None:
        leave_fullscreen(self) if self.isFullScreen() else enter_fullscreen(self)

    def leave_fullscreen(self) -> None:
        leave_fullscreen(self)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._sizes_timer.start()
        if self.book is not None and self.layout_mode == "auto":
            before = self.groups
            self.relayout()
            if before != self.groups:
                self.show_spread(kind="none")

    # Showing ----------------------------------------------------------------------------
    def _slot(self, index: int) -> Slot:
        page = self.book.pages[index] if self.book else None
        aspect = page.aspect if page else None
        image = self.images.request(index)
        return Slot(index, image, self.images.error(index), aspect, self.images.scaled(index))

    def _plan_sizes(self) -> None:
        if self.book is None or not self.groups or self.vertical:
            return
        k = self.spread_index
        near = self.groups[max(0, k - PRELOAD_BEHIND) : k + 1 + PRELOAD_AHEAD]
        self.images.set_sizes(self._planned_sizes(near))

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

    def show_spread(self, kind: str, at_end: bool = False) -> None:
        if self.book is None or not self.groups or self.vertical:
            return
        group = self.current_pages()
        slots = [self._slot(i) for i in screen_order(group, self.direction)]
        if self.split_here():
            first, second = ("right", "left") if self.direction == "rtl" else ("left", "right")
            slots[0].part = second if self.half else first
        shown = [(s.index, s.part) for s in self.view.slots()]
        same = kind == "none" and shown == [(s.index, s.part) for s in slots]
        self.view.set_slots(slots, keep_pan=same, at_end=at_end)
        self._plan_sizes()
        k = self.spread_index
        ahead = [i for g in self.groups[k + 1 : k + 1 + PRELOAD_AHEAD] for i in g]
        behind = [i for g in self.groups[max(0, k - PRELOAD_BEHIND) : k] for i in g]
        self.images.preload(ahead + behind)
        self.announce(group, kind)

    def announce(self, group: tuple[int, ...], kind: str) -> None:
        """The page label, timeline, panel, engine and library hear of the cursor."""
        n = len(self.wide)
        pages = "–".join(str(i + 1) for i in group)
        if not self.vertical and self.split_here():
            pages += f" ({self.half + 1}/2)"
        if any(i in self.finder.bookmarks for i in group):
            pages = "★ " + pages
        self.page_label.setText(f"  {pages} / {n}  ")
        self.view.set_overlay(f"{pages} / {n}" if self.isFullScreen() else "")
        self.strip.set_overlay(f"{pages} / {n}" if self.isFullScreen() else "")
        self.timeline.set_cursor(group)
        self.panel.set_page(group[0])
        if self.thumbs_dock.isVisible():
            self.thumbs.show_page(group[0])
        if group[-1] == n - 1 and kind not in ("none", "half"):
            self.finder.at_last_page()
        if kind not in ("none", "open", "half"):  # the other half: still the same page
            self.bridge.set_cursor(group[0], kind)
        self.pageChanged.emit(group[0])
        if self.book is not None:
            if kind not in ("open", "none", "half"):
                self.record_open = True  # the person chose this page
            if self.record_open:
                self.progressChanged.emit(self.book, group[0])

    def _image_ready(self, index: int, image: QImage) -> None:
        if self.book is None:
            return
        wide = image.width() / max(1, image.height()) > 1.2
        if (
            index < len(self.wide)
            and wide != self.wide[index]
            and self.book.pages[index].width is None
        ):
            self.wide[index] = wide
            self.relayout()
        if index in self.current_pages():
            self.show_spread(kind="none")

    def _image_failed(self, index: int, reason: str) -> None:
        if index in self.current_pages():
            self.show_spread(kind="none")
            self.banner.show_message(reason, "error")

    # Opening ----------------------------------------------------------------------------
    def open_path(self, path: str | Path, start_page: int | None = None) -> None:
        """Open a book file or folder in the background at `start_page` (default: where
        the library says the person left off); errors show in the banner."""
        self.opener.open_path(path, start_page)

    def set_book(self, book: Book, start_page: int | None = None, record_open: bool = True) -> None:
        """Show `book` at `start_page` (the first page by default). `record_open` False:
        where the person left off is unknown, so the library hears of no position until
        they turn a page."""
        self.opener.set_book(book, start_page, record_open)

    def set_vertical(self, on: bool) -> None:
        """V: this book in the vertical strip (or back to spreads), remembered per book."""
        self.opener.set_vertical(on)

    def book_entry(self, book: Book) -> dict[str, Any]:
        """The person's choices for this book (direction, mode, shifts, bookmarks)."""
        earlier = self.prefs.get("books", {}).get(book.fingerprint)
        return self.book_states.entry(
            book.fingerprint, earlier if isinstance(earlier, dict) else None
        )

    @property
    def position_known(self) -> bool:
        """False while the book shows its first page only because the library could
        not say where the person left off (nothing is recorded until they turn)."""
        return self.record_open

    # Files ------------------------------------------------------------------------------
    def save_soon(self) -> None:
        """Write the preferences and the per-book choices a moment after the last change."""
        self._save_timer.start()

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
