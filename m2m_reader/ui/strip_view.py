"""Continuous vertical reading: the pages of a book one under another, for webtoons and
long strips.

The strip is a column fitted to the view's width less the side padding, with an
optional gap between pages. Only the pages in sight are painted, from images that
`PageImages` decodes and pre-scales to the column width on its workers, so a frame
while scrolling is a few blits. Keys and the wheel scroll smoothly (a short eased
animation towards a target that further presses push on). The page under the reading
line, a third of the way down the view, is the reader's page: `pageChanged` says when
it changes, so the soundtrack follows the strip as it scrolls past.
"""

from __future__ import annotations

import bisect
import time

from PySide6.QtCore import (
    QEasingCurve,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QVariantAnimation,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from . import theme
from .image_loader import PageImages
from .page_slots import paint_loading

READING_LINE = 1 / 3  # where in the view the page being read is taken from
STEP = 0.85  # a key scroll moves this share of the view
WHEEL_PX = 150.0  # pixels per wheel notch
SCROLL_MS = 170
PRELOAD = 2  # pages decoded past the last one in sight
DEFAULT_RATIO = 1.43  # height / width of a page whose size is not known yet


class StripView(QWidget):
    """Paints a book's pages as one vertical strip and scrolls it."""

    pageChanged = Signal(int)  # the page under the reading line
    zoomStep = Signal(int)  # Ctrl+wheel: +1 a wider column, -1 a narrower one
    painted = Signal()

    def __init__(self, images: PageImages, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._images = images
        self._ratios: list[float] = []  # height / width per page
        self._tops: list[float] = []
        self._laid_width = 1.0  # the column width `_tops` were laid out for
        self._total = 0.0
        self._y = 0.0
        self._page = 0
        self._gap = 0
        self._padding = 0.0  # share of the width left empty on each side
        self._overlay = ""
        self._visible: tuple[int, int] = (0, -1)
        self._press: QPointF | None = None
        self._active = False  # only the strip on screen asks for images and sizes
        self._edge_at = 0.0  # when a scroll comes to rest at the top or the bottom
        self._anim = QVariantAnimation(self)
        self._anim.setDuration(SCROLL_MS)
        self._anim.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._anim.valueChanged.connect(lambda v: self._set_y(float(v)))
        images.ready.connect(self._image_ready)
        images.failed.connect(lambda i, _r: self._repaint_if_visible(i))

    # What to show -----------------------------------------------------------------------
    def set_pages(self, ratios: list[float], page: int = 0) -> None:
        """The pages' height / width ratios (a guess where unknown), opened at `page`."""
        self._ratios = [r if r > 0 else DEFAULT_RATIO for r in ratios]
        self._visible = (0, -1)
        self._relayout(keep=False)
        self.go_to_page(page, animate=False)

    def set_ratio(self, index: int, ratio: float) -> None:
        """A page's real shape, once decoded; the strip keeps the reading position."""
        if 0 <= index < len(self._ratios) and abs(self._ratios[index] - ratio) > 1e-3:
            self._ratios[index] = ratio
            self._relayout(keep=True)

    def set_spacing(self, gap: int, padding: float) -> None:
        """`gap` pixels between pages; `padding` (0–0.4) of the width empty each side."""
        self._gap, self._padding = max(0, gap), min(0.4, max(0.0, padding))
        self._relayout(keep=True)

    def set_active(self, on: bool) -> None:
        """On screen (True) or hidden behind the paged view."""
        self._active = on
        self._visible = (0, -1)
        if on and self._tops:
            self._relayout(keep=True)

    def set_overlay(self, text: str) -> None:
        if text != self._overlay:
            self._overlay = text
            self.update()

    @property
    def page(self) -> int:
        return self._page

    # Geometry ---------------------------------------------------------------------------
    def column(self) -> tuple[float, float]:
        """The strip's left edge and width in the view."""
        pad = self.width() * self._padding
        return pad, max(1.0, self.width() - 2 * pad)

    def page_rect(self, index: int) -> QRectF:
        """Where page `index` is, in view coordinates."""
        left, width = self.column()
        return QRectF(left, self._tops[index] - self._y, width, width * self._ratios[index])

    def _relayout(self, keep: bool, line: float | None = None) -> None:
        """Lay the pages out for the column's width; `keep`: the same page at the reading
        line, as far down it as before (`line`: where the line was before a resize), or
        the strip's top still at the top when it was there."""
        at_top = self._y <= 0.5
        anchor = self._position(line) if keep and self._tops and not at_top else None
        _, width = self.column()
        tops, y = [], 0.0
        for ratio in self._ratios:
            tops.append(y)
            y += width * ratio + self._gap
        self._tops, self._total, self._laid_width = tops, max(0.0, y - self._gap), width
        if anchor is not None:
            page, frac = anchor
            self._anim.stop()
            self._set_y(self._tops[page] + frac * width * self._ratios[page] - self._line())
        else:
            self._set_y(self._y)
        if self._active:
            self._images.set_sizes({i: self._size(i) for i in self._in_sight()})
        self.update()

    def _size(self, index: int) -> QSize:
        _, width = self.column()
        return QSize(round(width), max(1, round(width * self._ratios[index])))

    def _line(self) -> float:
        return self.height() * READING_LINE

    def _position(self, line: float | None = None) -> tuple[int, float]:
        """The page at the reading line and how far down it the line is (0–1), in the
        layout as it stands (the old one while a resize or a spacing change relays out:
        the view's new width and height must not be mixed with the old page tops)."""
        y = self._y + (self._line() if line is None else line)
        page = self.page_at(y)
        height = self._laid_width * self._ratios[page] or 1.0
        return page, min(1.0, max(0.0, (y - self._tops[page]) / height))

    def page_at(self, y: float) -> int:
        """The page covering strip coordinate `y` (a gap belongs to the page above)."""
        if not self._tops:
            return 0
        return max(0, bisect.bisect_right(self._tops, y) - 1)

    def max_y(self) -> float:
        return max(0.0, self._total - self.height())

    def scroll_y(self) -> float:
        return self._y

    def _in_sight(self) -> range:
        if not self._tops:
            return range(0)
        first = self.page_at(self._y)
        last = self.page_at(self._y + self.height())
        return range(first, last + 1)

    # Scrolling --------------------------------------------------------------------------
    def _set_y(self, y: float) -> None:
        y = min(self.max_y(), max(0.0, y))
        if abs(y - self._y) < 0.01 and self._tops:
            self._after_move()
            return
        self._y = y
        self._after_move()
        self.update()

    def _after_move(self) -> None:
        if not self._tops:
            return
        sight = self._in_sight()
        key = (sight.start, sight.stop - 1)
        if key != self._visible and self._active:
            self._visible = key
            ahead = range(sight.stop, min(len(self._tops), sight.stop + PRELOAD))
            # Pages coming into sight are pre-scaled by the workers too, so that
            # scrolling onto them only blits.
            self._images.set_sizes({i: self._size(i) for i in [*sight, *ahead]})
            for i in sight:
                self._images.request(i)
            self._images.preload(ahead)
        page = self.page_at(self._y + self._line())
        if self._y >= self.max_y() - 0.5 and self._total > self.height():
            page = len(self._tops) - 1  # the end in sight: the last page is being read
        if page != self._page:
            self._page = page
            self.pageChanged.emit(page)

    def scroll_to(self, y: float, animate: bool = True) -> None:
        y = min(self.max_y(), max(0.0, y))
        if not animate or not self.isVisible():
            self._anim.stop()
            self._set_y(y)
            return
        self._anim.stop()
        # Setting the values of a stopped animation emits them: not a scroll.
        self._anim.blockSignals(True)
        self._anim.setStartValue(self._y)
        self._anim.setEndValue(y)
        self._anim.blockSignals(False)
        self._anim.start()

    def _target(self) -> float:
        running = self._anim.state() == QVariantAnimation.State.Running
        return float(self._anim.endValue()) if running else self._y

    def scroll_by(self, dy: float, animate: bool = True) -> bool:
        """Scroll on from where the running scroll is heading. False at an end."""
        target = self._target()
        goal = min(self.max_y(), max(0.0, target + dy))
        if abs(goal - target) < 0.5:
            return False
        self.scroll_to(goal, animate)
        if goal <= 0.5 or goal >= self.max_y() - 0.5:
            self._edge_at = time.monotonic() + (SCROLL_MS / 1000 if animate else 0.0)
        return True

    def since_edge(self) -> float:
        """Seconds since a scroll came to rest at an end of the strip (for the short
        stop before a push past the end opens the next book)."""
        return time.monotonic() - self._edge_at

    def advance(self, forward: bool) -> bool:
        """Space / Down (Up): most of a view on (back). False at the end (start)."""
        return self.scroll_by(self.height() * STEP * (1 if forward else -1))

    def go_to_page(self, index: int, animate: bool = True) -> None:
        """Bring page `index`'s top to the top of the view."""
        if not self._tops:
            return
        index = min(max(0, index), len(self._tops) - 1)
        self.scroll_to(self._tops[index], animate)
        if not animate or not self.isVisible():
            if self._page != index and self._y < self.max_y() - 0.5:
                self._page = index
                self.pageChanged.emit(index)

    def step_page(self, forward: bool) -> None:
        """PgDown / PgUp: to the top of the next (previous) page."""
        if not self._tops:
            return
        here = self.page_at(self._target() + 1)
        if not forward and self._target() > self._tops[here] + 1:
            self.go_to_page(here)  # back to this page's top first
        else:
            self.go_to_page(here + (1 if forward else -1))

    # Painting ---------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.fillRect(event.rect(), theme.READING_BG)
        view = QRectF(event.rect())
        for i in self._in_sight():
            rect = self.page_rect(i)
            if not rect.intersects(view):
                continue
            scaled = self._images.scaled(i)
            if scaled is not None and scaled.size() == rect.size().toSize():
                self._blit(p, rect, scaled, view)
                continue
            image = self._images.cached(i)
            if image is not None and not image.isNull():
                p.drawImage(rect, image)  # until the worker's pre-scaled copy lands
            elif self._images.error(i) is not None:
                p.fillRect(rect, QColor("#1d1517"))
                p.setPen(QColor("#e5534b"))
                damaged = self.tr("⚠  Page %1 cannot be shown").replace("%1", str(i + 1))
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, damaged)
            else:
                paint_loading(p, rect)
        if self._overlay:
            metrics = p.fontMetrics()
            w, h = metrics.horizontalAdvance(self._overlay) + 20, metrics.height() + 10
            box = QRectF(self.width() - w - 12, self.height() - h - 12, w, h)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0, 0, 0, 150))
            p.drawRoundedRect(box, 8, 8)
            p.setPen(QColor(theme.TEXT))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, self._overlay)
        p.end()
        self.painted.emit()

    @staticmethod
    def _blit(p: QPainter, rect: QRectF, image: QImage, view: QRectF) -> None:
        """Copy only the part of a (possibly very tall) page that is in sight."""
        part = rect.intersected(view)
        source = part.translated(-rect.left(), -rect.top())
        p.drawImage(part.topLeft(), image, source)

    def _image_ready(self, index: int, image: QImage) -> None:
        if image.width() and self._ratios:
            self.set_ratio(index, image.height() / image.width())
        self._repaint_if_visible(index)

    def _repaint_if_visible(self, index: int) -> None:
        if index in self._in_sight():
            self.update()

    # Gestures ---------------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if event.angleDelta().y():
                self.zoomStep.emit(1 if event.angleDelta().y() > 0 else -1)
            return
        pixels = event.pixelDelta().y()
        if pixels:
            self.scroll_by(-pixels, animate=False)
        elif event.angleDelta().y():
            self.scroll_by(-event.angleDelta().y() / 120 * WHEEL_PX)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._press is not None:
            dy = event.position().y() - self._press.y()
            self._press = event.position()
            self.scroll_by(-dy, animate=False)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._press = None

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._ratios:
            old = event.oldSize().height()
            self._relayout(keep=True, line=old * READING_LINE if old > 0 else None)
