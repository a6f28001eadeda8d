"""A dismissable message strip above the page: errors and warnings that never block.

A backend falling back, a damaged page or a missing audio device shows here for a
while and goes away by itself; reading goes on underneath. Repeats of the same
message are counted instead of stacked.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget


class Banner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel("")
        self.label.setWordWrap(True)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip(self.tr("Dismiss"))
        close.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 6, 6)
        row.addWidget(self.label, 1)
        row.addWidget(close)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self.hide)
        self._last = ""
        self._count = 0
        self.hide()

    def show_message(self, message: str, level: str = "warning", seconds: float = 10.0) -> None:
        if message == self._last and self.isVisible():
            self._count += 1
        else:
            self._last, self._count = message, 1
        suffix = f"  (×{self._count})" if self._count > 1 else ""
        self.label.setText(message + suffix)
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.show()
        self._timer.start(int(seconds * 1000))

    def text(self) -> str:
        return self.label.text()
