"""The library's cards: one book painted as cover, title, progress line and badges.

The grid's model holds a `LibraryEntry` (role `ENTRY`) and the decoded cover
(`COVER`, decoded on a worker by `decode_cover`) per card; `CoverDelegate` paints them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from . import theme
from .library_source import LibraryEntry

ENTRY = Qt.ItemDataRole.UserRole + 1
COVER = Qt.ItemDataRole.UserRole + 2
CARD_W, CARD_H, COVER_H = 176, 300, 240
ON_DARK = "#f2f3f5"  # text on the dark pills over a cover, in either scheme

translate = QCoreApplication.translate  # pyside6-lupdate finds translate("Context", "text")
Index = QModelIndex | QPersistentModelIndex


class CoverDelegate(QStyledItemDelegate):
    """Paints one book card: cover, title, progress line and a soundtrack badge."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        return QSize(CARD_W, CARD_H)

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        entry: LibraryEntry = index.data(ENTRY)
        cover: QImage | None = index.data(COVER)
        r = option.rect.adjusted(8, 8, -8, -8)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hover:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(theme.SURFACE if not selected else theme.colour("#22324a")))
            p.drawRoundedRect(option.rect.adjusted(2, 2, -2, -2), 10, 10)
        box = QRect(r.left(), r.top(), r.width(), COVER_H - 16)
        if cover is not None and not cover.isNull():
            scaled = cover.scaled(box.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation)  # fmt: skip
            x = box.left() + (box.width() - scaled.width()) // 2
            y = box.bottom() - scaled.height()
            p.drawImage(x, y, scaled)
            box = QRect(x, y, scaled.width(), scaled.height())
        else:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(theme.SURFACE))
            p.drawRoundedRect(box, 6, 6)
            p.setPen(QColor(theme.MUTED))
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, translate("LibraryWindow", "No cover"))
        if entry.cached > 0:
            ready = entry.offline_ready
            text = (
                translate("LibraryWindow", "♪ offline")
                if ready
                else f"♪ {round(entry.cached * 100)}%"
            )
            badge = QRect(box.right() - 78, box.top() + 6, 72, 20)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(theme.READY if ready else QColor(0, 0, 0, 170))
            p.drawRoundedRect(badge, 10, 10)
            p.setPen(QColor("#0b1a12" if ready else ON_DARK))
            p.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        if entry.number:
            pill = QRect(box.left() + 6, box.top() + 6, 44, 20)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0, 0, 0, 170))
            p.drawRoundedRect(pill, 10, 10)
            p.setPen(QColor(ON_DARK))
            p.drawText(pill, Qt.AlignmentFlag.AlignCenter, f"#{entry.number[:5]}")
        bar = QRect(r.left(), r.top() + COVER_H - 10, r.width(), 3)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(theme.BORDER))
        p.drawRoundedRect(bar, 1.5, 1.5)
        if entry.progress > 0:
            p.setBrush(QColor(theme.ACCENT))
            p.drawRoundedRect(
                QRect(bar.left(), bar.top(), int(bar.width() * entry.progress), 3), 1.5, 1.5
            )
        font = QFont(option.font)
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor(theme.TEXT))
        title_rect = QRect(r.left(), r.top() + COVER_H, r.width(), 20)
        p.drawText(title_rect, Qt.AlignmentFlag.AlignLeft,
                   p.fontMetrics().elidedText(entry.title, Qt.TextElideMode.ElideRight, r.width()))  # fmt: skip
        p.setFont(option.font)
        p.setPen(QColor(theme.MUTED))
        if entry.last_read:
            info = (
                translate("LibraryWindow", "Page %1 of %2")
                .replace("%1", str(entry.page + 1))
                .replace("%2", str(entry.pages))
            )
        else:
            info = translate("LibraryWindow", "%1 pages · new").replace("%1", str(entry.pages))
        p.drawText(
            QRect(r.left(), r.top() + COVER_H + 20, r.width(), 18), Qt.AlignmentFlag.AlignLeft, info
        )
        p.restore()


def decode_cover(png: bytes) -> QImage:
    """A cover thumbnail from PNG bytes (on a worker: QImage is not a widget)."""
    return QImage.fromData(png)  # the format is read from the bytes
