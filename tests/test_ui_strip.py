"""The continuous vertical strip: chosen per book and on its own for long strips,
smooth scrolling, gaps and side padding, and the soundtrack following the page at the
reading line (offscreen Qt)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from test_ui_reader import make_window
from ui_support import heard_in_order, make_book, page_colour, ui_dirs  # noqa: F401

from m2m_reader.engine.core.settings import Settings
from m2m_reader.ui.prefs import Prefs

STRIP = (300, 1200)  # a webtoon page: four times taller than wide


def cursor_calls(win):
    win.bridge.wait_idle()
    return [c[1:] for c in win.bridge.engine.calls if c[0] == "set_cursor"]


def colour_at(win, x, y):
    image = win.strip.grab().toImage()
    c = image.pixelColor(int(x), int(y))
    return (c.red(), c.green(), c.blue())


def near(a, b):
    return all(abs(x - y) <= 3 for x, y in zip(a, b, strict=True))


@pytest.fixture
def win(qtbot, tmp_path, ui_dirs):  # noqa: F811
    w = make_window(qtbot, tmp_path, size=(900, 800))
    w.set_layout("single")
    return w


def test_a_long_strip_opens_in_the_vertical_mode_and_a_manga_does_not(qtbot, win):
    win.set_book(make_book(6, "ltr", size=STRIP))
    assert win.vertical and win.stack.currentWidget() is win.strip
    assert win.bar.strip_button.isChecked()
    win.set_book(make_book(6, "rtl"))
    assert not win.vertical and win.stack.currentWidget() is win.view


def test_the_scroll_layout_setting_makes_every_book_vertical(qtbot, tmp_path, ui_dirs):  # noqa: F811
    w = make_window(qtbot, tmp_path, settings=Settings(reader_layout="scroll"))
    w.set_book(make_book(6, "rtl"))
    assert w.vertical


def test_v_switches_modes_and_the_choice_is_remembered_per_book(qtbot, tmp_path, win):
    book = make_book(6, "rtl")
    win.set_book(book)
    qtbot.keyClick(win, Qt.Key.Key_V)
    assert win.vertical
    win.go_to_page(3)
    qtbot.keyClick(win, Qt.Key.Key_V)
    assert not win.vertical and win.current_pages() == (3,)
    qtbot.keyClick(win, Qt.Key.Key_V)
    win.close()
    win.runner.wait()
    fresh = make_window(qtbot, tmp_path, prefs=Prefs(tmp_path / "ui.json"))
    fresh.set_book(make_book(6, "rtl"))
    assert fresh.vertical
    fresh.set_book(make_book(7, "rtl"))  # another book: its own default
    assert not fresh.vertical


def test_pages_stack_down_the_column_and_paint(qtbot, win):
    win.set_book(make_book(6, "ltr", size=STRIP))
    strip = win.strip
    qtbot.waitUntil(lambda: win.images.cached(0) is not None)
    r0, r1 = strip.page_rect(0), strip.page_rect(1)
    assert r0.width() == pytest.approx(strip.width(), abs=1)
    assert r0.height() == pytest.approx(strip.width() * 4, abs=2)
    assert r1.top() == pytest.approx(r0.bottom(), abs=1)
    qtbot.waitUntil(lambda: near(colour_at(win, strip.width() / 2, 100), page_colour(0)))


def test_down_scrolls_smoothly_and_the_engine_follows_the_reading_line(qtbot, win):
    win.set_book(make_book(6, "ltr", size=STRIP))
    strip = win.strip
    page_h = strip.page_rect(0).height()
    qtbot.keyClick(win, Qt.Key.Key_Down)
    assert strip.scroll_y() < strip.height() * 0.85 - 1  # animated, not a jump
    qtbot.waitUntil(lambda: strip.scroll_y() == pytest.approx(strip.height() * 0.85, abs=1))
    assert win.page == 0 and cursor_calls(win) == []
    while strip.scroll_y() + strip.height() / 3 < page_h:
        qtbot.keyClick(win, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: strip._anim.state() != strip._anim.State.Running)
    assert win.page == 1
    assert cursor_calls(win) == [(1, "turn")]
    assert win.page_label.text().strip() == "2 / 6"
    assert win.panel.page == 1


def test_wheel_scrolls_the_strip_and_end_jumps_to_the_last_page(qtbot, win):
    win.set_book(make_book(6, "ltr", size=STRIP))
    strip = win.strip
    event = QWheelEvent(QPointF(50, 50), QPointF(50, 50), QPoint(0, 0), QPoint(0, -240),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(strip, event)
    qtbot.waitUntil(lambda: strip.scroll_y() == pytest.approx(300, abs=1))
    qtbot.keyClick(win, Qt.Key.Key_End)
    assert win.page == 5 and strip.scroll_y() == pytest.approx(strip._tops[5], abs=1)
    assert cursor_calls(win)[-1] == (5, "jump")
    qtbot.keyClick(win, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: strip.scroll_y() > strip._tops[5] + 10)
    qtbot.keyClick(win, Qt.Key.Key_PageUp)  # back to the top of the last page first
    qtbot.waitUntil(lambda: strip.scroll_y() == pytest.approx(strip._tops[5], abs=1))
    assert win.page == 5


def test_gaps_and_side_padding(qtbot, win):
    win.set_book(make_book(6, "ltr", size=STRIP))
    strip = win.strip
    win.image_choices.set_strip_spacing(gap=16, padding=0.2)
    r0, r1 = strip.page_rect(0), strip.page_rect(1)
    assert r0.left() == pytest.approx(strip.width() * 0.2, abs=1)
    assert r0.width() == pytest.approx(strip.width() * 0.6, abs=1)
    assert r1.top() - r0.bottom() == pytest.approx(16, abs=1)
    qtbot.waitUntil(lambda: near(colour_at(win, strip.width() / 2, 100), page_colour(0)))
    assert not near(colour_at(win, strip.width() * 0.1, 100), page_colour(0))  # padding
    assert win.prefs.get("strip_gap") == 16 and win.prefs.get("strip_padding") == 0.2


def test_page_turn_keys_go_page_by_page(qtbot, win):
    win.set_book(make_book(6, "rtl", size=STRIP))
    qtbot.keyClick(win, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: win.page == 1)
    qtbot.keyClick(win, Qt.Key.Key_Left)  # forward in a right-to-left book
    qtbot.waitUntil(lambda: win.page == 2)
    assert heard_in_order([c[0] for c in cursor_calls(win)], [1, 2])


def test_zoom_keys_widen_and_narrow_the_strip(qtbot, win):
    win.set_book(make_book(6, "ltr", size=STRIP))
    strip = win.strip
    full = strip.page_rect(0).width()
    qtbot.keyClick(win, Qt.Key.Key_Minus)
    qtbot.keyClick(win, Qt.Key.Key_Minus)
    assert strip.page_rect(0).width() == pytest.approx(full * 0.8, abs=2)
    assert win.page == 0
    event = QWheelEvent(QPointF(50, 50), QPointF(50, 50), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(strip, event)
    assert strip.page_rect(0).width() == pytest.approx(full * 0.9, abs=2)
    qtbot.keyClick(win, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert strip.page_rect(0).width() == pytest.approx(full, abs=1)
    assert strip.scroll_y() == pytest.approx(0, abs=1)  # the wheel with Ctrl did not scroll
