"""What the reading surface paints in a page's place: the page itself (a `Slot`: its
image, or why there is none yet), the placeholder while it decodes, and the card of a
page that cannot be decoded. Shared by the paged view and the vertical strip."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from . import theme

DEFAULT_ASPECT = 0.7  # width / height of a page whose size is not known yet


def card_title(reason: str) -> str:
    """The heading of the card shown instead of a page that cannot be decoded."""
    low = reason.lower()
    if "encrypted" in low or "password" in low:
        return QCoreApplication.translate("PageView", "Password-protected page")
    if "damaged" in low or "truncated" in low:
        return QCoreApplication.translate("PageView", "Damaged page")
    return QCoreApplication.translate("PageView", "Unreadable page")


def paint_loading(p: QPainter, rect: QRectF) -> None:
    """The placeholder a page shows until its image has loaded."""
    p.fillRect(rect, QColor("#1a1c20"))
    p.setPen(QColor(theme.MUTED))
    p.drawText(
        rect,
        Qt.AlignmentFlag.AlignCenter,
        QCoreApplication.translate("PageView", "Loading…"),
    )


@dataclass
class Slot:
    """One page on screen: its image, or why there is none yet."""

    index: int
    image: QImage | None = None
    error: str | None = None  # set for a damaged page
    aspect: float | None = None  # known width / height, for placeholders
    scaled: QImage | None = None  # the image pre-scaled by a worker, if any
    part: str | None = None  # "left" or "right": one half of a split spread

    def natural_aspect(self) -> float:
        if self.image is not None and not self.image.isNull() and self.image.height():
            aspect = self.image.width() / self.image.height()
        else:
            aspect = self.aspect or DEFAULT_ASPECT
        return aspect / 2 if self.part else aspect

    def source(self) -> QRect:
        """The part of the image shown: all of it, or one half of a split spread."""
        assert self.image is not None
        w, h = self.image.width(), self.image.height()
        if self.part == "left":
            return QRect(0, 0, w // 2, h)
        if self.part == "right":
            return QRect(w // 2, 0, w - w // 2, h)
        return QRect(0, 0, w, h)

    def natural_height(self) -> int:
        if self.image is not None and not self.image.isNull():
            return self.image.height()
        return 0


def paint_damaged(p: QPainter, rect: QRectF, slot: Slot, base: QFont) -> None:
    """The card shown instead of a page that cannot be decoded, with the reason."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    card = rect.adjusted(6, 6, -6, -6)
    p.setPen(QColor("#5a2a2a"))
    p.setBrush(QColor("#1d1517"))
    p.drawRoundedRect(card, 12, 12)
    p.setPen(QColor("#e5534b"))
    font = QFont(base)
    font.setPointSizeF(font.pointSizeF() * 2.6)
    p.setFont(font)
    top = card.adjusted(0, card.height() * 0.28, 0, 0)
    p.drawText(top, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "⚠")
    font.setPointSizeF(base.pointSizeF() * 1.4)
    font.setBold(True)
    p.setFont(font)
    p.setPen(QColor(theme.TEXT))
    title = card.adjusted(0, card.height() * 0.28 + font.pointSizeF() * 4, 0, 0)
    heading = card_title(slot.error or "")
    p.drawText(title, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, heading)
    p.setFont(base)
    p.setPen(QColor(theme.MUTED))
    body = title.adjusted(card.width() * 0.1, font.pointSizeF() * 3, -card.width() * 0.1, 0)
    flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
    p.drawText(
        body,
        int(flags),
        f"{slot.error}\n\n"
        + QCoreApplication.translate("PageView", "Reading continues with the next page."),
    )
