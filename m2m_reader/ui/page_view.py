"""The reading surface: one spread on a dark background, fitted, zoomed and panned.

The view paints what it is given and reports what the person does (click zones,
wheel at an edge, zoom); which pages to show is the reader window's business. A page
still decoding shows a quiet placeholder; a damaged page shows a card with the reason.
Scaled pixmaps are cached per page and size, so a repaint does not rescale.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from . import theme
from .layouts import Fit, fit_scale

DEFAULT_ASPECT = 0.7  # width / height of a page whose size is not known yet
ZOOM_MIN, ZOOM_MAX = 0.25, 8.0


def card_title(reason: str) -> str:
    """The heading of the card shown instead of a page that cannot be decoded."""
    low = reason.lower()
    if "encrypted" in low or "password" in low:
        return "Password-protected page"
    if "damaged" in low or "truncated" in low:
        return "Damaged page"
    return "Unreadable page"


@dataclass
class Slot:
    """One page on screen: its image, or why there is none yet."""

    index: int
    image: QImage | None = None
    error: str | None = None  # set for a damaged page
    aspect: float | None = None  # known width / height, for placeholders
    scaled: QImage | None = None  # the image pre-scaled by a worker, if any

    def natural_aspect(self) -> float:
        if self.image is not None and not self.image.isNull() and self.image.height():
            return self.image.width() / self.image.height()
        return self.aspect or DEFAULT_ASPECT

    def natural_height(self) -> int:
        if self.image is not None and not self.image.isNull():
            return self.image.height()
        return 0


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
        self._scaled: dict[tuple[int, int, int], QPixmap] = {}

    # What to show ---------------------------------------------------------------------
    def set_slots(self, slots: list[Slot], *, keep_pan: bool = False) -> None:
        self._slots = slots
        if not keep_pan:
            self._pan = QPointF(0, 0)
        live = {s.image.cacheKey() for s in slots if s.image is not None}
        self._scaled = {k: v for k, v in self._scaled.items() if k[0] in live}
        self.update()

    def slots(self) -> list[Slot]:
        return list(self._slots)

    @property
    def fit(self) -> Fit:
        return self._fit

    def set_fit(self, fit: Fit) -> None:
        self._fit = fit
        self._pan = QPointF(0, 0)
        self.update()

    @property
    def zoom(self) -> float:
        return self._zoom

    def set_zoom(self, zoom: float) -> None:
        zoom = min(ZOOM_MAX, max(ZOOM_MIN, zoom))
        if abs(zoom - self._zoom) > 1e-6:
            self._zoom = zoom
            self.update()
            self.zoomChanged.emit(zoom)

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
        self._pan = QPointF(0, 0)
        self.update()

    # Painting ---------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(self.rect(), theme.READING_BG)
        rects = self._layout()
        for slot, rect in zip(self._slots, rects, strict=False):
            size = rect.size().toSize()
            if slot.scaled is not None and slot.scaled.size() == size:
                p.drawImage(rect.topLeft(), slot.scaled)
            elif slot.image is not None and not slot.image.isNull():
                p.drawPixmap(rect.topLeft(), self._pixmap(slot.image, size))
            elif slot.error is not None:
                self._paint_damaged(p, rect, slot)
            else:
                p.fillRect(rect, QColor("#1a1c20"))
                p.setPen(QColor(theme.MUTED))
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Loading…")
        if len(rects) == 2:  # a soft gutter shadow where the two pages meet
            x = rects[0].right()
            for i, alpha in enumerate((60, 35, 15)):
                p.fillRect(
                    QRectF(x - 3 + i * 2, rects[0].top(), 2, rects[0].height()),
                    QColor(0, 0, 0, alpha),
                )
        p.end()
        self.painted.emit()

    def _pixmap(self, image: QImage, size: QSize) -> QPixmap:
        key = (image.cacheKey(), size.width(), size.height())
        pix = self._scaled.get(key)
        if pix is None:
            if size == image.size():
                pix = QPixmap.fromImage(image)
            else:
                mode = Qt.TransformationMode.SmoothTransformation
                pix = QPixmap.fromImage(
                    image.scaled(size, Qt.AspectRatioMode.IgnoreAspectRatio, mode)
                )
            self._scaled[key] = pix
        return pix

    def _paint_damaged(self, p: QPainter, rect: QRectF, slot: Slot) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = rect.adjusted(6, 6, -6, -6)
        p.setPen(QColor("#5a2a2a"))
        p.setBrush(QColor("#1d1517"))
        p.drawRoundedRect(card, 12, 12)
        p.setPen(QColor("#e5534b"))
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 2.6)
        p.setFont(font)
        top = card.adjusted(0, card.height() * 0.28, 0, 0)
        p.drawText(top, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "⚠")
        font.setPointSizeF(self.font().pointSizeF() * 1.4)
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(theme.TEXT))
        title = card.adjusted(0, card.height() * 0.28 + font.pointSizeF() * 4, 0, 0)
        heading = card_title(slot.error or "")
        p.drawText(title, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, heading)
        p.setFont(self.font())
        p.setPen(QColor(theme.MUTED))
        body = title.adjusted(card.width() * 0.1, font.pointSizeF() * 3, -card.width() * 0.1, 0)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        p.drawText(body, int(flags), f"{slot.error}\n\nReading continues with the next page.")

    # Gestures ---------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        dy = event.angleDelta().y()
        if dy == 0:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.set_zoom(self._zoom * (1.1 if dy > 0 else 1 / 1.1))
            return
        _, over_h = self._overflow()
        if over_h > 0:
            before = self._pan.y()
            self._pan = QPointF(self._pan.x(), before + dy)
            self._layout()
            if abs(self._pan.y() - before) > 0.5:
                self.update()
                return
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

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self._scaled.clear()
        super().resizeEvent(event)
