"""Image adjustments: brightness, contrast and gamma sliders, grayscale and invert.

Non-modal: the page follows the sliders as they move (the window re-decodes on its
workers a moment after the last change), and Reset goes back to the scan as it is.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSlider,
    QWidget,
)

from .filters import ImageFilter

SLIDERS = (
    ("brightness", QT_TRANSLATE_NOOP("AdjustDialog", "Brightness")),
    ("contrast", QT_TRANSLATE_NOOP("AdjustDialog", "Contrast")),
    ("gamma", QT_TRANSLATE_NOOP("AdjustDialog", "Gamma")),
)


class AdjustDialog(QDialog):
    changed = Signal(object)  # the new ImageFilter

    def __init__(self, current: ImageFilter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Image adjustments"))
        self._filter = current
        form = QFormLayout(self)
        self.sliders: dict[str, QSlider] = {}
        self._values: dict[str, QLabel] = {}
        for name, label in SLIDERS:
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(30, 250)  # percent
            slider.setValue(round(getattr(current, name) * 100))
            slider.setMinimumWidth(220)
            value = QLabel(f"{slider.value()} %")
            slider.valueChanged.connect(lambda v, n=name: self._slide(n, v))
            self.sliders[name], self._values[name] = slider, value
            form.addRow(self.tr(str(label)), slider)
            form.addRow("", value)
        self.grayscale = QCheckBox(self.tr("Grayscale"))
        self.grayscale.setChecked(current.grayscale)
        self.invert = QCheckBox(self.tr("Invert (white on black)"))
        self.invert.setChecked(current.invert)
        self.grayscale.toggled.connect(lambda on: self._set(grayscale=on))
        self.invert.toggled.connect(lambda on: self._set(invert=on))
        form.addRow(self.grayscale)
        form.addRow(self.invert)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Reset | QDialogButtonBox.StandardButton.Close
        )
        buttons.rejected.connect(self.close)
        reset = buttons.button(QDialogButtonBox.StandardButton.Reset)
        reset.clicked.connect(self.reset)
        form.addRow(buttons)

    def _slide(self, name: str, value: int) -> None:
        self._values[name].setText(f"{value} %")
        self._set(**{name: value / 100})

    def _set(self, **change: object) -> None:
        self._filter = replace(self._filter, **change)  # type: ignore[arg-type]
        self.changed.emit(self._filter)

    def reset(self) -> None:
        """Back to the scan as it is (the crop stays as it was)."""
        crop = self._filter.crop
        for slider in self.sliders.values():
            slider.blockSignals(True)
            slider.setValue(100)
            slider.blockSignals(False)
        for name, _ in SLIDERS:
            self._values[name].setText("100 %")
        for box in (self.grayscale, self.invert):
            box.blockSignals(True)
            box.setChecked(False)
            box.blockSignals(False)
        self._filter = ImageFilter(crop=crop)
        self.changed.emit(self._filter)
