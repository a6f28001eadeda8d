"""The Qt binding keeps `None`, `True` and `False` alive: Qt calls that return nothing
(or a bool) leave their reference counts where they were.

PySide6-Essentials 6.12.0 on CPython 3.11 drops one reference to `None` on every call
of a Qt method that returns nothing (1000 `QPainterPath.lineTo` calls move
`sys.getrefcount(None)` by -1000) and one to `True` on every `Signal.emit`; the mood
timeline drains `None` within seconds and the process dies with "none_dealloc" (or
"bool_dealloc"). pyproject.toml excludes that binding; this test fails on any binding
with the fault. From CPython 3.12 these objects are immortal and their counts never
move, so the test passes there whatever the binding does (and the fault is harmless).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QObject, QPointF, QRectF, Signal  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen  # noqa: E402
from PySide6.QtWidgets import QCheckBox, QLabel, QSlider, QWidget  # noqa: E402

CALLS = 2000
BOOL_CALLS = 200  # True has only a few hundred references: a faulty binding would free it
ALLOWED_DRIFT = 20  # other threads may hold or release a few references meanwhile
WARM_UP = 20  # the first calls of a method fill the binding's caches, which hold references


def _moved(call: Callable[[int], object], singleton: object, calls: int) -> int:
    """How far `singleton`'s reference count moves over `calls` calls after a warm-up.
    Whatever a faulty binding took (warm-up included) is given back before returning."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = sys.getrefcount(singleton)
        for i in range(WARM_UP):
            call(i)
        before = sys.getrefcount(singleton)
        for i in range(calls):
            call(i)
        after = sys.getrefcount(singleton)
    finally:
        if enabled:
            gc.enable()
    if after < start:
        _give_back(singleton, start - after)
    return after - before


def test_qt_calls_keep_the_reference_counts_of_none_true_and_false(qapp):
    image = QImage(64, 64, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    path = QPainterPath()
    label, slider, widget, box = QLabel(), QSlider(), QWidget(), QCheckBox()
    pen, colour, point = QPen(QColor(10, 20, 30)), QColor(200, 100, 50), QPointF(3.0, 4.0)
    rect = QRectF(1, 1, 20, 20)
    sender = _Sender()
    sender.changed.connect(lambda value: None)

    def save_restore(i: int) -> None:
        painter.save()
        painter.restore()

    void_calls: dict[str, Callable[[int], object]] = {
        "QPainterPath.lineTo": lambda i: path.lineTo(i % 64, i % 32),
        "QPainterPath.moveTo": lambda i: path.moveTo(point),
        "QPainter.setPen": lambda i: painter.setPen(pen),
        "QPainter.drawLine": lambda i: painter.drawLine(0, 0, i % 64, 10),
        "QPainter.fillRect": lambda i: painter.fillRect(rect, colour),
        "QPainter.save/restore": save_restore,
        "QLabel.setText": lambda i: label.setText("page"),
        "QSlider.setValue": lambda i: slider.setValue(i % 100),
        "QWidget.setToolTip": lambda i: widget.setToolTip("mood"),
        "QWidget.resize": lambda i: widget.resize(100 + i % 7, 80),
        "QCheckBox.setChecked": lambda i: box.setChecked(i % 2 == 0),
    }
    bool_calls: dict[str, Callable[[int], object]] = {
        "Signal.emit": lambda i: sender.changed.emit(i),
        "QRectF.contains": lambda i: rect.contains(point),
        "QWidget.isVisible": lambda i: widget.isVisible(),
        "QCheckBox.isChecked": lambda i: box.isChecked(),
    }
    drained: dict[str, int] = {}
    try:
        for name, call in void_calls.items():
            moved = _moved(call, None, CALLS)
            if moved < -ALLOWED_DRIFT:
                drained[f"{name} (None)"] = moved
        for name, call in bool_calls.items():
            for singleton in (True, False):
                moved = _moved(call, singleton, BOOL_CALLS)
                if moved < -ALLOWED_DRIFT:
                    drained[f"{name} ({singleton})"] = moved
    finally:
        painter.end()
    assert not drained, (
        f"the Qt binding (PySide6 {_version()}) drops references to None, True or False: "
        f"{drained} (over {CALLS} void calls or {BOOL_CALLS} bool calls each); "
        "see pyproject.toml's ui extra"
    )


class _Sender(QObject):
    changed = Signal(int)


def _give_back(singleton: object, references: int) -> None:
    """Return the references a faulty binding took (else the interpreter aborts with
    "none_dealloc" or "bool_dealloc" before the failure is reported)."""
    import ctypes

    for _ in range(references):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(singleton))


def _version() -> str:
    import PySide6

    return PySide6.__version__


def test_cues_landing_on_the_mood_timeline_leave_none_where_it_was(qtbot):
    """Every cue that lands redraws the mood timeline's strip. PySide6 6.10 and 6.11 keep
    six references to None for each QPainter opened on a new paint device, so a strip
    drawn into a fresh pixmap each time grew None's count by six per cue (the 30-minute
    soak: +50,000); the timeline reuses its pixmap while its size stays."""
    from m2m_reader.ui.mood_timeline import MoodTimeline

    painted: list[int] = []

    class Counted(MoodTimeline):
        def paintEvent(self, event):  # noqa: N802 - Qt's name
            painted.append(1)
            super().paintEvent(event)

    timeline = Counted()
    timeline.resize(600, 40)
    timeline.set_book(300, "rtl")
    qtbot.addWidget(timeline)
    timeline.show()
    qtbot.waitExposed(timeline)
    qtbot.wait(50)
    for page in range(WARM_UP):
        timeline.set_ready(range(page))
        timeline.repaint()
    gc.collect()
    before = sys.getrefcount(None)
    for page in range(300):
        timeline.set_ready(range(page))
        timeline.set_cursor((page,))
        timeline.repaint()
    gc.collect()
    grown = sys.getrefcount(None) - before
    assert len(painted) >= 300, "the timeline was not painted"
    assert abs(grown) <= ALLOWED_DRIFT * 5, f"None's count moved by {grown} over 300 cues"
