"""The reader's panels and fullscreen.

The soundtrack panel docks on the right at full height, closable (S or the toolbar
button bring it back), scrolling only in a window smaller than the default one; the
page thumbnails dock under the page (or beside it as a grid). Fullscreen hides the
bars and panels and brings back the ones that were open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QVBoxLayout, QWidget

from .controls import PlayerControls
from .soundtrack_panel import SoundtrackPanel
from .thumbnails import ThumbnailModel, ThumbnailView

if TYPE_CHECKING:
    from .reader_window import ReaderWindow

PANEL_WIDTH = 360
# Around the thumbnails, as around the soundtrack panel's own parts (SoundtrackPanel):
# the same room under the dock's heading and the same inset as the heading's text.
CONTENT_MARGINS = (14, 6, 14, 8)


def soundtrack_dock(
    window: QMainWindow, controls: PlayerControls
) -> tuple[QDockWidget, SoundtrackPanel, QScrollArea]:
    """The dock, the panel in it and the scroll area around the panel."""
    panel = SoundtrackPanel(controls)
    scroll = QScrollArea()
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    dock = QDockWidget(QCoreApplication.translate("ReaderWindow", "SOUNDTRACK"), window)
    dock.setObjectName("soundtrack")
    dock.setWidget(scroll)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
    )
    dock.setMinimumWidth(320)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.resizeDocks([dock], [PANEL_WIDTH], Qt.Orientation.Horizontal)
    return dock, panel, scroll


def thumbnail_dock(window: QMainWindow) -> tuple[QDockWidget, ThumbnailModel, ThumbnailView]:
    """The dock of page thumbnails under the page (hidden until asked for)."""
    model = ThumbnailModel(window)
    view = ThumbnailView(model)
    dock = QDockWidget(QCoreApplication.translate("ReaderWindow", "PAGES"), window)
    dock.setObjectName("pages")
    holder = QWidget()
    box = QVBoxLayout(holder)
    box.setContentsMargins(*CONTENT_MARGINS)
    box.addWidget(view)
    dock.setWidget(holder)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    # The soundtrack panel keeps the full height; the strip runs under the page only.
    window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
    dock.hide()
    return dock, model, view


def enter_fullscreen(w: ReaderWindow) -> None:
    """Only the page (and its number in a corner); the panel comes back if it was open."""
    w.dock_was_open = w.dock.isVisible()
    for part in (w.toolbar, w.dock, w.timeline, w.statusBar()):
        part.hide()
    w.showFullScreen()
    w.view.set_overlay(w.page_label.text().strip())
    w.strip.set_overlay(w.page_label.text().strip())


def leave_fullscreen(w: ReaderWindow) -> None:
    if w.isFullScreen():
        w.showNormal()
        for part in (w.toolbar, w.timeline, w.statusBar()):
            part.show()
        if w.dock_was_open:
            w.dock.show()
        w.view.set_overlay("")
        w.strip.set_overlay("")
