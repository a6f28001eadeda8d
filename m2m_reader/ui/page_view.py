"""The reading surface: one spread on a dark background, fitted, zoomed and panned.

The view paints what it is given and reports what the person does (click zones,
wheel at an edge, zoom); which pages to show is the reader window's business. A page
still decoding shows a quiet placeholder; a damaged page shows a card with the reason.
Workers pre-scale each page to the size it is painted at, so a repaint only copies
pixels; until that copy lands the painter scales what is in sight on the fly (the UI
thread never scales a whole page).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from . import theme
from .layouts import Fit, fit_scale
from .page_slots import DEFAULT_ASPECT as DEFAULT_ASPECT
from .page_slots import Slot, paint_damaged, paint_loading
from .page_slots import card_title as card_title

ZOOM_MIN, ZOOM_MAX = 0.25, 8.0
STEP = 0.85  # a key scroll moves this share of the view, so a line stays in sight
EDGE_STOP_S = 0.45  # after a scroll reaches the edge, the next push waits this long to turn
FAR = 1e9  # a pan past any edge; clamping puts the page's far side in view


class PageView(QWidget):
    """Paints a spread (pages left to right as given) and turns gestures into signals."""

    zoneClicked = Signal(str)  # "left", "right" or "middle"
    wheelTurn = Signal(int)  # +1: next, -1: previous (wheel at the end of the page)
    zoomChanged = Signal(float)
    painted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMouseTracking(True)
        self._slots: list[Slot] = []
        self._fit: Fit = "page"
        self._zoom = 1.0
        self._pan = QPointF(0, 0)
        self._press: QPointF | None = None
        self._dragged = False
        self.direction = "ltr"  # where a page starts: top-left, or top-right in "rtl"
        self._edge_at = 0.0  # when a scroll last came to rest at an edge
        self._overlay = ""

    # What to show ---------------------------------------------------------------------
    def set_slots(self, slots: list[Slot], *, keep_pan: bool = False, at_end: bool = False) -> None:
        """Show these slots; a new spread opens at its reading start (top-right in a
        right-to-left book), or at its reading end (`at_end`, when scrolling back)."""
        self._slots = slots
        if not keep_pan:
            self._reset_pan(at_end)
            self._edge_at = 0.0
        self.update()

    def slots(self) -> list[Slot]:
        return list(self._slots)

    @property
    def fit(self) -> Fit:
        return self._fit

    def set_fit(self, fit: Fit) -> None:
        self._fit = fit
        self._reset_pan(False)
        self.update()

    @property
    def zoom(self) -> float:
        return self._zoom

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the point of the page under `anchor` (the pointer) where it is;
        without an anchor, the point at the centre of the view."""
        zoom = min(ZOOM_MAX, max(ZOOM_MIN, zoom))
        if abs(zoom - self._zoom) <= 1e-6:
            return
        at = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        rects = self._layout()
        if rects:
            left, top = rects[0].left(), rects[0].top()
            width, height = rects[-1].right() - left, rects[0].height()
            fx = (at.x() - left) / width if width else 0.5
            fy = (at.y() - top) / height if height else 0.5
            ratio = zoom / self._zoom
            self._zoom = zoom
            self._pan = QPointF(at.x() - fx * width * ratio, at.y() - fy * height * ratio)
            self._layout()  # clamps
        else:
            self._zoom = zoom
        self.update()
        self.zoomChanged.emit(zoom)

    def set_direction(self, direction: str) -> None:
        self.direction = direction

    def set_overlay(self, text: str) -> None:
        """A small page number painted in a corner (shown in fullscreen); "" for none."""
        if text != self._overlay:
            self._overlay = text
            self.update()

    # Geometry ---------------------------------------------------------------------------
    def _content(self, slots: list[Slot] | None = None) -> tuple[list[tuple[float, float]], float]:
        """Per slot its (width, height) at a common height, and the common height."""
        slots = self._slots if slots is None else slots
        if not slots:
            return [], 0.0
        height = float(max((s.natural_height() for s in slots), default=0) or 1200)
        return [(height * s.natural_aspect(), height) for s in slots], height

    def target_sizes(self, slots: list[Slot]) -> list[QSize]:
        """The pixel size each of these slots would be painted at (for pre-scaling)."""
        sizes, height = self._content(slots)
        total_w = sum(w for w, _ in sizes)
        scale = fit_scale(total_w, height, self.width(), self.height(), self._fit) * self._zoom
        return [QRectF(0, 0, w * scale, h * scale).size().toSize() for w, h in sizes]

    def _layout(self) -> list[QRectF]:
        sizes, height = self._content()
        if not sizes:
            return []
        total_w = sum(w for w, _ in sizes)
        scale = fit_scale(total_w, height, self.width(), self.height(), self._fit) * self._zoom
        w, h = total_w * scale, height * scale
        self._clamp_pan(w, h)
        x = (self.width() - w) / 2 + self._pan.x() if w <= self.width() else self._pan.x()
        y = (self.height() - h) / 2 + self._pan.y() if h <= self.height() else self._pan.y()
        rects = []
        for sw, sh in sizes:
            rects.append(QRectF(x, y, sw * scale, sh * scale))
            x += sw * scale
        return rects

    def _overflow(self) -> tuple[float, float]:
        sizes, height = self._content()
        total_w = sum(w for w, _ in sizes)
        scale = fit_scale(total_w, height, self.width(), self.height(), self._fit) * self._zoom
        return max(0.0, total_w * scale - self.width()), max(0.0, height * scale - self.height())

    def _clamp_pan(self, w: float, h: float) -> None:
        px = 0.0 if w <= self.width() else min(0.0, max(self.width() - w, self._pan.x()))
        py = 0.0 if h <= self.height() else min(0.0, max(self.height() - h, self._pan.y()))
        self._pan = QPointF(px, py)

    def scroll_to_start(self) -> None:
        self._reset_pan(False)
        self.update()

    def _reset_pan(self, at_end: bool) -> None:
        start_x = -FAR if self.direction == "rtl" else 0.0
        end_x = 0.0 if self.direction == "rtl" else -FAR
        self._pan = QPointF(end_x if at_end else start_x, -FAR if at_end else 0.0)

    def pan(self) -> QPointF:
        """The pan after clamping: (0, 0) is the top-left corner of the spread."""
        self._layout()
        return QPointF(self._pan)

    def pan_by(self, dx: float, dy: float) -> bool:
        """Move the spread by this much (clamped). True when it moved."""
        before = self.pan()
        self._pan = QPointF(before.x() + dx, before.y() + dy)
        after = self.pan()
        moved = abs(after.x() - before.x()) > 0.5 or abs(after.y() - before.y()) > 0.5
        if moved:
            self.update()
            if self._at_edge(dy > 0 or dx > 0, dy != 0):
                self._edge_at = time.monotonic()
        return moved

    def _at_edge(self, toward_start: bool, vertical: bool) -> bool:
        over_w, over_h = self._overflow()
        pan = self._pan
        if vertical:
            return pan.y() >= -0.5 if toward_start else pan.y() <= -over_h + 0.5
        return pan.x() >= -0.5 if toward_start else pan.x() <= -over_w + 0.5

    def advance(self, forward: bool, step: float | None = None) -> str:
        """Read on (or back) within the spread, as the keys and the wheel do.

        Down first; at the bottom, the next column in reading order from its top (a
        zoomed spread is read right to left in a right-to-left book). Returns "scrolled",
        "hold" (the edge was reached a moment ago: a short stop so that a scroll never
        turns the page by accident) or "turn" (nothing left: turn the page)."""
        over_w, over_h = self._overflow()
        dy = (step if step is not None else self.height() * STEP) * (-1 if forward else 1)
        if over_h > 0 and self.pan_by(0, dy):
            return "scrolled"
        if over_w > 0 and step is None:
            toward_left = (self.direction == "rtl") == forward
            dx = self.width() * STEP * (1 if toward_left else -1)
            before = self.pan()
            if self.pan_by(dx, 0):
                self._pan = QPointF(self._pan.x(), 0.0 if forward else -FAR)
                self._layout()
                self.update()
                return "scrolled"
            self._pan = before
        return self._turn_or_hold()

    def sideways(self, toward_left: bool) -> str:
        """Left or Right: pan a spread wider than the view first, then turn."""
        if self._overflow()[0] > 0 and self.pan_by(
            self.width() * STEP * (1 if toward_left else -1), 0
        ):
            return "scrolled"
        return self._turn_or_hold()

    def _turn_or_hold(self) -> str:
        if time.monotonic() - self._edge_at < EDGE_STOP_S:
            return "hold"
        return "turn"

    # Painting ---------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(self.rect(), theme.READING_BG)
        rects = self._layout()
        for slot, rect in zip(self._slots, rects, strict=False):
            size = rect.size().toSize()
            if slot.scaled is not None and slot.scaled.size() == size and not slot.part:
                p.drawImage(rect.topLeft(), slot.scaled)
            elif slot.image is not None and not slot.image.isNull():
                # Until the worker's copy at this size lands (or, past the page's own
                # size, always): the painter scales only what is in sight, on the fly.
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                p.drawImage(rect, slot.image, QRectF(slot.source()))
            elif slot.error is not None:
                paint_damaged(p, rect, slot, self.font())
            else:
                paint_loading(p, rect)
        if len(rects) == 2:  # a soft gutter shadow where the two pages meet
            x = rects[0].right()
            for i, alpha in enumerate((60, 35, 15)):
                p.fillRect(
                    QRectF(x - 3 + i * 2, rects[0].top(), 2, rects[0].height()),
                    QColor(0, 0, 0, alpha),
                )
        if self._overlay:
            self._paint_overlay(p)
        p.end()
        self.painted.emit()

    def _paint_overlay(self, p: QPainter) -> None:
        metrics = p.fontMetrics()
        w = metrics.horizontalAdvance(self._overlay) + 20
        h = metrics.height() + 10
        box = QRectF(self.width() - w - 12, self.height() - h - 12, w, h)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(box, 8, 8)
        p.setPen(QColor(theme.TEXT))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, self._overlay)

    # Gestures ---------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        dy = event.angleDelta().y()
        if dy == 0:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.set_zoom(self._zoom * (1.1 if dy > 0 else 1 / 1.1), event.position())
            return
        if self.advance(dy < 0, step=abs(dy)) == "turn":
            self.wheelTurn.emit(-1 if dy > 0 else 1)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
            self._dragged = False

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press is None:
            return
        delta = event.position() - self._press
        if self._dragged or abs(delta.x()) + abs(delta.y()) > 6:
            self._dragged = True
            self._pan += delta
            self._press = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press is None:
            return
        self._press = None
        self.unsetCursor()
        if self._dragged:
            return
        x = event.position().x() / max(1, self.width())
        self.zoneClicked.emit("left" if x < 0.35 else "right" if x > 0.65 else "middle")
