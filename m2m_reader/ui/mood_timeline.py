"""The mood timeline: the whole book in one strip.

Scenes are blocks coloured by their dominant emotion, an energy curve (the arousal of
each page's emotions) runs over them, a thin band underneath marks the pages whose
music is ready, and a line marks the cursor. For a right-to-left book the strip runs
right to left too, like the pages. A click jumps to the page under the pointer.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ..engine.analysis.emotions import arousal, dominant
from . import theme


def mood_of(profile: dict[str, float]) -> str:
    """The emotion a scene is coloured by: its strongest non-neutral one when that is
    clearly present (most manga pages are mostly neutral), else neutral; "" if unknown."""
    if not profile or sum(profile.values()) <= 0:
        return ""
    feeling = max((e for e in profile if e != "neutral"), key=lambda e: profile[e], default="")
    if feeling and profile[feeling] >= MOOD_THRESHOLD:
        return feeling
    return dominant(profile)


MOOD_THRESHOLD = 0.12


def runs(pages: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive pages merged into (first, last) runs: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    out: list[tuple[int, int]] = []
    for page in sorted(set(pages)):
        if out and page == out[-1][1] + 1:
            out[-1] = (out[-1][0], page)
        else:
            out.append((page, page))
    return out


class MoodTimeline(QWidget):
    pageClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(46)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.n_pages = 0
        self.direction = "ltr"
        self.cursor_pages: tuple[int, ...] = ()
        self.scenes: list[tuple[int, int, str]] = []  # first, last, dominant emotion
        self.energy: list[float | None] = []
        self.ready: set[int] = set()
        self._strip: QPixmap | None = None
        self._stale = True

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(600, 46)

    def set_book(self, n_pages: int, direction: str) -> None:
        self.n_pages = n_pages
        self.direction = direction
        self.scenes, self.energy, self.ready = [], [None] * n_pages, set()
        self.update()

    def set_direction(self, direction: str) -> None:
        self.direction = direction
        self.update()

    def set_analysis(self, analysis: object | None) -> None:
        """Take scenes and page emotions from an `Analysis` (None clears them)."""
        self.scenes = []
        self.energy = [None] * self.n_pages
        for scene in getattr(analysis, "scenes", None) or []:
            mood = mood_of(scene.emotions)
            self.scenes.append((scene.first_page, scene.last_page, mood))
            for page in scene.pages:
                # Pages the engine has not analysed yet carry no backends: no energy yet.
                if page.backends and 0 <= page.index < self.n_pages:
                    self.energy[page.index] = arousal(page.emotions)
        self.update()

    def set_ready(self, pages: Iterable[int]) -> None:
        self.ready = set(pages)
        self.update()

    def set_cursor(self, pages: tuple[int, ...]) -> None:
        self.cursor_pages = pages
        super().update()  # the strip stays: a turn repaints the blit and the cursor only

    # Geometry: page <-> x, mirrored for right-to-left books.
    def _x(self, page: float) -> float:
        w = self.width() - 2
        frac = page / max(1, self.n_pages)
        return 1 + (w * (1 - frac) if self.direction == "rtl" else w * frac)

    def page_at(self, x: float) -> int:
        frac = (x - 1) / max(1, self.width() - 2)
        if self.direction == "rtl":
            frac = 1 - frac
        return min(max(0, self.n_pages - 1), max(0, int(frac * self.n_pages)))

    def _span(self, first: int, last: int, top: float, height: float) -> QRectF:
        a, b = self._x(first), self._x(last + 1)
        return QRectF(min(a, b), top, abs(b - a), height)

    def update(self) -> None:  # type: ignore[override]
        self._stale = True  # the data changed: redraw the strip on the next paint
        super().update()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self._stale = True
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        # The strip is drawn once per change into a pixmap; a paint is then one blit,
        # which keeps the UI thread's Python time small while workers hold the GIL.
        # The pixmap is made again only when the size changes: PySide6 6.10 and 6.11
        # keep six references to None for every QPainter opened on a new paint device
        # (tests/test_qt_binding.py), so one made per change would grow None's count
        # with every cue that lands.
        if self._strip is None or self._strip.size() != self.size():
            self._strip = QPixmap(self.size())
            self._stale = True
        if self._stale:
            strip = QPainter(self._strip)
            self._paint_strip(strip)
            strip.end()
            self._stale = False
        p = QPainter(self)
        p.drawPixmap(0, 0, self._strip)
        self._paint_cursor(p)
        p.end()

    def _paint_strip(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(theme.PANEL_BG))
        if self.n_pages <= 0:
            return
        band_top, band_h = 6.0, self.height() - 18.0
        p.fillRect(QRectF(1, band_top, self.width() - 2, band_h), QColor(theme.SURFACE))
        for first, last, emotion in self.scenes:
            colour = QColor(theme.emotion_colour(emotion) if emotion else QColor(theme.BORDER))
            colour.setAlpha(150)
            p.fillRect(self._span(first, last, band_top, band_h).adjusted(0.5, 0, -0.5, 0), colour)
        self._paint_energy(p, band_top, band_h)
        ready_y = self.height() - 8.0
        p.fillRect(QRectF(1, ready_y, self.width() - 2, 3), QColor(theme.BORDER))
        for first, last in runs(p for p in self.ready if 0 <= p < self.n_pages):
            p.fillRect(self._span(first, last, ready_y, 3), theme.READY)  # one call per run

    def _paint_cursor(self, p: QPainter) -> None:
        if self.cursor_pages and self.n_pages > 0:
            span = self._span(min(self.cursor_pages), max(self.cursor_pages), 2, self.height() - 4)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(255, 255, 255, 60))
            p.drawRect(span)
            p.setPen(QPen(QColor("#ffffff"), 2))
            x = span.left() if self.direction == "ltr" else span.right()
            p.drawLine(QPointF(x, 2), QPointF(x, self.height() - 2))

    def _paint_energy(self, p: QPainter, top: float, height: float) -> None:
        path = QPainterPath()
        started = False
        for page, value in enumerate(self.energy):
            if value is None:
                started = False
                continue
            pt = QPointF(self._x(page + 0.5), top + height * (1 - 0.1 - 0.8 * value))
            if started:
                path.lineTo(pt)
            else:
                path.moveTo(pt)
                started = True
        p.setPen(QPen(QColor(255, 255, 255, 210), 1.6))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.n_pages:
            self.pageClicked.emit(self.page_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.n_pages:
            return
        page = self.page_at(event.position().x())
        translate = QCoreApplication.translate
        text = translate("MoodTimeline", "Page %1").replace("%1", str(page + 1))
        for first, last, emotion in self.scenes:
            if first <= page <= last:
                mood = (
                    translate("EmotionBars", emotion)
                    if emotion
                    else translate("MoodTimeline", "reading…")
                )
                scene = translate("MoodTimeline", " · scene pages %1–%2 · %3")
                text += scene.replace("%1", str(first + 1)).replace("%2", str(last + 1))
                text = text.replace("%3", mood)
        text += translate("MoodTimeline", " · music ready") if page in self.ready else ""
        QToolTip.showText(event.globalPosition().toPoint(), text, self)
