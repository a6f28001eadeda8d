"""Window geometry that is remembered, and always comes back on a screen.

Kept in the UI state file as plain numbers in device-independent pixels
(`{"x", "y", "w", "h", "maximized", "fullscreen"}`) rather than Qt's opaque
`saveGeometry()` blob, so a person can read it and a change of screen or scale factor
can be handled here: a window saved on a monitor that is gone, or bigger than the
screen it now opens on (a laptop after a 4K monitor, 200 % scaling after 100 %), is
shrunk to fit and moved onto the nearest screen's free area.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

MIN_VISIBLE = 0.5  # at least half of a restored window must be on a screen


def saved(window: QWidget) -> dict[str, Any]:
    """The window's normal (not maximised) geometry and state."""
    special = window.isMaximized() or window.isFullScreen()
    rect = window.normalGeometry() if special else window.geometry()
    return {
        "x": rect.x(),
        "y": rect.y(),
        "w": rect.width(),
        "h": rect.height(),
        "maximized": window.isMaximized(),
        "fullscreen": window.isFullScreen(),
    }


def fit_on_screen(rect: QRect, screens: list[QRect]) -> QRect:
    """`rect` moved (and shrunk if need be) so that it lies on one of `screens` (their
    available areas). A rect mostly on a screen already is left alone."""
    if not screens or rect.isEmpty():
        return rect
    area = rect.width() * rect.height()
    for screen in screens:
        inter = screen.intersected(rect)
        if not inter.isEmpty() and inter.width() * inter.height() >= MIN_VISIBLE * area:
            if rect.width() <= screen.width() and rect.height() <= screen.height():
                return rect
            target = screen
            break
    else:  # off every screen: the one whose centre is nearest
        centre = rect.center()
        target = min(screens, key=lambda s: (s.center() - centre).manhattanLength())
    w = min(rect.width(), target.width())
    h = min(rect.height(), target.height())
    x = min(max(rect.x(), target.left()), target.left() + target.width() - w)
    y = min(max(rect.y(), target.top()), target.top() + target.height() - h)
    return QRect(x, y, w, h)


def fit_default(window: QWidget, share: float = 0.9) -> None:
    """A window with no saved place: its default size, shrunk to `share` of the
    primary screen's free area when that is smaller (a laptop at 200 % scale has only
    960 x 540 device-independent pixels), and centred there."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return
    area = screen.availableGeometry()
    w = min(window.width(), int(area.width() * share))
    h = min(window.height(), int(area.height() * share))
    window.setGeometry(QRect(area.center().x() - w // 2, area.center().y() - h // 2, w, h))


def restore(window: QWidget, state: Any) -> bool:
    """Put `window` where `state` (from `saved`) says, kept on a screen. False (and
    the window left as it was) when `state` is missing or not a geometry."""
    if not isinstance(state, dict):
        return False
    try:
        rect = QRect(int(state["x"]), int(state["y"]), int(state["w"]), int(state["h"]))
    except (KeyError, TypeError, ValueError):
        return False
    if rect.width() < 200 or rect.height() < 150:
        return False
    screens = [s.availableGeometry() for s in QGuiApplication.screens()]
    rect = fit_on_screen(rect, screens)
    window.setGeometry(rect)
    if state.get("maximized"):  # full screen is a reading mode, chosen each time
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
    return True
