"""The reader's actions (every key it answers to) and its toolbar.

The actions live on the window, so their keys work wherever the focus is inside it;
each calls the window or the part of it that owns the choice. The bar shows the
current layout, fit and direction on its buttons; `show_*` keep them in step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QSizePolicy, QToolBar, QToolButton, QWidget

from .layouts import FIT_NAMES, FITS, Fit, Layout

if TYPE_CHECKING:
    from .reader_window import ReaderWindow

# Names of the layouts and fits, translated where shown (lupdate finds them here).
LAYOUT_NAMES = {"single": "Single page", "double": "Two pages", "auto": "Auto pages"}
_NAMES = (
    QT_TRANSLATE_NOOP("ReaderBar", "Single page"),
    QT_TRANSLATE_NOOP("ReaderBar", "Two pages"),
    QT_TRANSLATE_NOOP("ReaderBar", "Auto pages"),
    QT_TRANSLATE_NOOP("ReaderBar", "Fit page"),
    QT_TRANSLATE_NOOP("ReaderBar", "Fit width"),
    QT_TRANSLATE_NOOP("ReaderBar", "Fit height"),
    QT_TRANSLATE_NOOP("ReaderBar", "Original"),
)


def tool_button(text: str = "", tip: str = "") -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    return button


def quietly_check(action: QAction, on: bool) -> None:
    """Show `on` without calling the action's slot."""
    action.blockSignals(True)
    action.setChecked(on)
    action.blockSignals(False)


class ReaderBar(QObject):
    """The window's actions and toolbar; `ReaderBar(window)` adds both to it."""

    def __init__(self, window: ReaderWindow) -> None:
        super().__init__(window)
        self.w = window
        self._build_actions()
        self._build_toolbar()

    def _action(
        self, text: str, keys: list[str] | str, slot: Callable[..., object], checkable: bool = False
    ) -> QAction:
        action = QAction(text, self.w)
        seqs = [keys] if isinstance(keys, str) else keys
        action.setShortcuts([QKeySequence(k) for k in seqs])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        (action.toggled if checkable else action.triggered).connect(slot)
        self.w.addAction(action)
        return action

    def _build_actions(self) -> None:
        w, nav, finder, image = self.w, self.w.nav, self.w.finder, self.w.image_choices
        self._action(self.tr("Left"), "Left", lambda: nav.arrow("left"))
        self._action(self.tr("Right"), "Right", lambda: nav.arrow("right"))
        self._action(self.tr("Read on"), ["Space", "Down"], lambda: nav.read_on(True))
        self._action(self.tr("Read back"), ["Shift+Space", "Up"], lambda: nav.read_on(False))
        self._action(self.tr("Next page"), "PgDown", lambda: nav.next_spread())
        self._action(self.tr("Previous page"), ["PgUp", "Backspace"], lambda: nav.prev_spread())
        self._action(self.tr("First page"), "Home", lambda: nav.go_to_page(0))
        self._action(self.tr("Last page"), "End", lambda: nav.go_to_page(len(w.wide) - 1))
        self._action(self.tr("Go to page…"), "Ctrl+G", nav.ask_page)
        self.act_fullscreen = self._action(self.tr("Fullscreen"), ["F", "F11"], w.toggle_fullscreen)
        self._action(self.tr("Leave fullscreen"), "Esc", w.leave_fullscreen)
        self.act_double = self._action(self.tr("Double pages"), "D", w.toggle_double)
        self.act_vertical = self._action(
            self.tr("Vertical strip"), "V", w.set_vertical, checkable=True
        )
        self.act_crop = self._action(
            self.tr("Crop white borders"), "C", image.set_crop, checkable=True
        )
        self.act_crop.setChecked(image.image_filter.crop)
        self.act_split = self._action(
            self.tr("Split spreads"), "X", image.set_split, checkable=True
        )
        self.act_split.setChecked(w.split)
        self.act_shift = self._action(self.tr("Shift pairing here"), "Shift+D", image.toggle_shift)
        self.act_adjust = self._action(self.tr("Adjust image…"), "Ctrl+I", image.open_adjust)
        self.act_thumbs = self._action(
            self.tr("Page thumbnails"), "T", finder.show_thumbnails, True
        )
        self.act_grid = self._action(self.tr("Thumbnail grid"), "Shift+T", finder.show_grid, True)
        self.act_bookmark = self._action(
            self.tr("Bookmark this page"), "Ctrl+B", finder.toggle_bookmark
        )
        self._action(self.tr("Next bookmark"), "B", lambda: finder.jump_bookmark(True))
        self._action(self.tr("Previous bookmark"), "Shift+B", lambda: finder.jump_bookmark(False))
        self.act_direction = self._action(
            self.tr("Manga direction (right to left)"), "M", w.toggle_direction
        )
        # Keys zoom about the centre of the view, the wheel about the pointer; in the
        # vertical strip they widen or narrow the column instead.
        self._action(self.tr("Zoom in"), ["Ctrl++", "Ctrl+=", "+"], lambda: image.zoom_step(1))
        self._action(self.tr("Zoom out"), ["Ctrl+-", "-"], lambda: image.zoom_step(-1))
        self._action(self.tr("Actual zoom"), "Ctrl+0", lambda: image.zoom_step(0))
        self._action(self.tr("Play/pause"), "P", lambda: w.controls.play.toggle())

    def _menu_button(self, menu: QMenu, tip: str, text: str = "") -> QToolButton:
        button = tool_button(text, tip)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        return button

    def _build_toolbar(self) -> None:
        w = self.w
        bar = QToolBar(self.tr("Reader"))
        bar.setObjectName("readerbar")
        bar.setMovable(False)
        w.addToolBar(bar)
        library = tool_button(self.tr("☰  Library"))
        library.clicked.connect(w.libraryRequested.emit)
        bar.addWidget(library)
        bar.addSeparator()
        # One menu for the spread layout, so the bar fits the default window.
        self.layout_group = QActionGroup(self)
        layout_menu = QMenu(w)
        for mode in ("single", "double", "auto"):
            act = QAction(self.tr(LAYOUT_NAMES[mode]), w, checkable=True)
            act.setData(mode)
            act.setChecked(mode == w.layout_mode)
            act.triggered.connect(lambda _c=False, m=mode: w.set_layout(m))
            self.layout_group.addAction(act)
            layout_menu.addAction(act)
        layout_menu.addSeparator()
        self.act_cover = QAction(self.tr("Cover alone"), w, checkable=True, checked=w.cover_offset)
        self.act_cover.setToolTip(self.tr("In double layout, show the first page alone"))
        self.act_cover.toggled.connect(w.set_cover_offset)
        layout_menu.addAction(self.act_cover)
        layout_menu.addAction(self.act_shift)
        self.layout_button = self._menu_button(layout_menu, self.tr("Pages side by side (D)"))
        self.show_layout(w.layout_mode)
        bar.addWidget(self.layout_button)
        bar.addWidget(self._strip_button())
        image_menu = QMenu(w)
        for act in (self.act_crop, self.act_split, self.act_adjust):
            image_menu.addAction(act)
        self.image_button = self._menu_button(
            image_menu, self.tr("Crop, split, pairing, colours"), self.tr("Image  ▾")
        )
        bar.addWidget(self.image_button)
        bar.addSeparator()
        self.dir_button = tool_button(tip=self.tr("Reading direction (M)"))
        self.dir_button.clicked.connect(w.toggle_direction)
        bar.addWidget(self.dir_button)
        self.fit_group = QActionGroup(self)
        fit_menu = QMenu(w)
        for fit in FITS:
            act = QAction(self.tr(FIT_NAMES[fit]), w, checkable=True)
            act.setData(fit)
            act.setChecked(fit == w.view.fit)
            act.triggered.connect(lambda _c=False, f=fit: w.set_fit(f))
            self.fit_group.addAction(act)
            fit_menu.addAction(act)
        self.fit_button = self._menu_button(fit_menu, self.tr("Fit"))
        self.show_fit(w.view.fit)
        bar.addWidget(self.fit_button)
        bar.addAction(self.act_fullscreen)
        bar.addSeparator()
        pages = QToolButton()
        self.act_thumbs.setIconText(self.tr("Thumbnails"))
        self.act_thumbs.setToolTip(self.tr("Page thumbnails (T); Shift+T for a grid"))
        pages.setDefaultAction(self.act_thumbs)
        bar.addWidget(pages)
        self.bookmark_menu = QMenu(w)
        self.bookmark_menu.aboutToShow.connect(w.finder.fill_bookmarks)
        self.bookmark_button = self._menu_button(
            self.bookmark_menu, self.tr("Bookmarks (Ctrl+B, B)"), self.tr("☆  ▾")
        )
        bar.addWidget(self.bookmark_button)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        panel = QToolButton()
        w.act_panel.setIconText(self.tr("♪  Soundtrack"))
        panel.setDefaultAction(w.act_panel)
        bar.addWidget(panel)
        self.panel_button = panel
        gear = tool_button(self.tr("⚙  Settings"))
        gear.clicked.connect(w.open_settings)
        bar.addWidget(gear)
        self.toolbar = bar

    def _strip_button(self) -> QToolButton:
        """ "Vertical" toggles the strip for this book; its menu sets gaps and padding."""
        w, prefs = self.w, self.w.prefs
        menu = QMenu(w)
        gap = QAction(self.tr("Gap between pages"), w, checkable=True)
        gap.setChecked(int(prefs.get("strip_gap", 0)) > 0)
        gap.toggled.connect(lambda on: w.image_choices.set_strip_spacing(gap=16 if on else 0))
        menu.addAction(gap)
        pad_menu = menu.addMenu(self.tr("Side padding"))
        pads = QActionGroup(self)
        for share in (0.0, 0.1, 0.2, 0.3):
            act = QAction(f"{round(share * 100)} %", w, checkable=True)
            act.setChecked(abs(float(prefs.get("strip_padding", 0.0)) - share) < 1e-3)
            act.triggered.connect(
                lambda _c=False, v=share: w.image_choices.set_strip_spacing(padding=v)
            )
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

    # Keeping the buttons in step -------------------------------------------------------
    def show_layout(self, mode: Layout) -> None:
        for act in self.layout_group.actions():
            act.setChecked(act.data() == mode)
        self.layout_button.setText(self.tr(LAYOUT_NAMES[mode]) + "  ▾")

    def show_fit(self, fit: Fit) -> None:
        for act in self.fit_group.actions():
            act.setChecked(act.data() == fit)
        self.fit_button.setText(self.tr(FIT_NAMES[fit]) + "  ▾")

    def show_direction(self, direction: str, double: bool) -> None:
        quietly_check(self.act_double, double)
        quietly_check(self.act_direction, direction == "rtl")
        self.dir_button.setText(
            self.tr("⇠  Right to left") if direction == "rtl" else self.tr("⇢  Left to right")
        )
