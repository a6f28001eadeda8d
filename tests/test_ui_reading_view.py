"""The reading view as a reader checks it: the direction setting for books that do not
say, where an overflowing page opens, scrolling before turning with a stop at the edge,
zoom about the pointer, the page number in fullscreen (offscreen Qt)."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from test_ui_reader import make_window, shown
from ui_support import make_book, ui_dirs  # noqa: F401

from m2m_reader.engine.core.settings import Settings
from m2m_reader.ui.page_view import EDGE_STOP_S


def unsaid(book):
    """The same book, as a loader that found no direction in it leaves it."""
    book.direction_known = False
    book.direction = "ltr"
    return book


@pytest.mark.parametrize("default", ["rtl", "ltr"])
def test_a_book_that_does_not_say_reads_in_the_default_direction(
    qtbot,
    tmp_path,
    ui_dirs,  # noqa: F811
    default,
):
    settings = Settings(default_direction=default)
    win = make_window(qtbot, tmp_path, settings=settings)
    win.set_layout("single")
    win.set_book(unsaid(make_book(6)))
    assert win.direction == default
    assert win.bar.dir_button.text().endswith(
        "Right to left" if default == "rtl" else "Left to right"
    )
    assert shown(qtbot, win) == [0]
    qtbot.keyClick(win, Qt.Key.Key_Left)
    assert shown(qtbot, win) == ([1] if default == "rtl" else [0])


def test_a_book_that_says_keeps_its_direction(qtbot, tmp_path, ui_dirs):  # noqa: F811
    win = make_window(qtbot, tmp_path, settings=Settings(default_direction="rtl"))
    win.set_book(make_book(6, "ltr"))
    assert win.direction == "ltr"


@pytest.fixture
def zoomed(qtbot, tmp_path, ui_dirs):  # noqa: F811
    """A reader whose pages are taller and wider than the view (fit width, zoomed in)."""
    win = make_window(qtbot, tmp_path, size=(900, 800))
    win.set_layout("single")
    return win


def test_an_overflowing_page_in_a_right_to_left_book_opens_at_its_top_right(qtbot, zoomed):
    zoomed.set_book(make_book(6, "rtl"))
    shown(qtbot, zoomed)
    zoomed.set_fit("width")
    zoomed.view.set_zoom(1.6)
    zoomed.go_to_page(1)
    shown(qtbot, zoomed)
    rect = zoomed.view._layout()[0]
    assert rect.width() > zoomed.view.width() and rect.height() > zoomed.view.height()
    assert rect.right() == pytest.approx(zoomed.view.width(), abs=1)  # right edge in view
    assert rect.top() == pytest.approx(0, abs=1)


def test_a_left_to_right_page_opens_at_its_top_left(qtbot, zoomed):
    zoomed.set_book(make_book(6, "ltr"))
    shown(qtbot, zoomed)
    zoomed.set_fit("width")
    zoomed.view.set_zoom(1.6)
    zoomed.go_to_page(2)
    rect = zoomed.view._layout()[0]
    assert rect.left() == pytest.approx(0, abs=1) and rect.top() == pytest.approx(0, abs=1)


def test_down_scrolls_the_page_first_and_turns_only_after_a_stop_at_the_edge(qtbot, zoomed):
    zoomed.set_book(make_book(6, "ltr"))
    shown(qtbot, zoomed)
    zoomed.set_fit("width")  # 300x430 at 900 wide: 1290 high in a shorter view
    view = zoomed.view
    assert view._overflow()[1] > 0
    tops = []
    for _ in range(5):
        qtbot.keyClick(zoomed, Qt.Key.Key_Down)
        tops.append(view._layout()[0].top())
        if zoomed.page != 0:
            break
    assert zoomed.page == 0, "a scroll turned the page"
    assert tops[0] < 0  # the first press scrolled
    bottom = view._layout()[0].bottom()
    assert bottom == pytest.approx(view.height(), abs=1)  # scrolled to the bottom
    qtbot.keyClick(zoomed, Qt.Key.Key_Space)  # right after reaching the edge: a stop
    assert zoomed.page == 0
    time.sleep(EDGE_STOP_S + 0.05)
    qtbot.keyClick(zoomed, Qt.Key.Key_Space)
    assert shown(qtbot, zoomed) == [1]
    assert view._layout()[0].top() == pytest.approx(0, abs=1)  # the new page at its top


def test_up_at_the_top_goes_back_to_the_end_of_the_previous_page(qtbot, zoomed):
    zoomed.set_book(make_book(6, "ltr"))
    shown(qtbot, zoomed)
    zoomed.set_fit("width")
    zoomed.go_to_page(2)
    qtbot.keyClick(zoomed, Qt.Key.Key_Up)
    assert shown(qtbot, zoomed) == [1]
    view = zoomed.view
    assert view._layout()[0].bottom() == pytest.approx(view.height(), abs=1)


def test_left_pans_a_wide_spread_before_turning_in_a_right_to_left_book(qtbot, zoomed):
    zoomed.set_book(make_book(6, "rtl", wide=frozenset({1})))
    zoomed.set_fit("height")
    zoomed.view.set_zoom(1.3)
    zoomed.go_to_page(1)
    shown(qtbot, zoomed)
    view = zoomed.view
    assert view._layout()[0].right() == pytest.approx(view.width(), abs=1)
    qtbot.keyClick(zoomed, Qt.Key.Key_Left)  # forward in rtl: pan left within the spread
    assert zoomed.page == 1
    assert view._layout()[0].right() > view.width() + 10
    for _ in range(6):
        qtbot.keyClick(zoomed, Qt.Key.Key_Left)
        if zoomed.page != 1:
            break
        time.sleep(EDGE_STOP_S / 3)
    assert zoomed.page == 2


def test_ctrl_wheel_zooms_about_the_pointer(qtbot, zoomed):
    zoomed.set_book(make_book(4, "ltr"))
    shown(qtbot, zoomed)
    zoomed.set_fit("width")
    view = zoomed.view
    at = QPointF(200, 300)
    before = view._layout()[0]
    fx = (at.x() - before.left()) / before.width()
    fy = (at.y() - before.top()) / before.height()
    event = QWheelEvent(at, view.mapToGlobal(at), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(view, event)
    after = view._layout()[0]
    assert after.width() == pytest.approx(before.width() * 1.1, rel=0.01)
    assert after.left() + fx * after.width() == pytest.approx(at.x(), abs=1.5)
    assert after.top() + fy * after.height() == pytest.approx(at.y(), abs=1.5)


def test_key_zoom_keeps_the_centre(qtbot, zoomed):
    zoomed.set_book(make_book(4, "ltr"))
    shown(qtbot, zoomed)
    zoomed.set_fit("width")
    view = zoomed.view
    view.pan_by(0, -200)
    centre = QPointF(view.width() / 2, view.height() / 2)
    before = view._layout()[0]
    fy = (centre.y() - before.top()) / before.height()
    qtbot.keyClick(zoomed, Qt.Key.Key_Plus)
    after = view._layout()[0]
    assert after.top() + fy * after.height() == pytest.approx(centre.y(), abs=1.5)


def test_the_page_number_shows_in_fullscreen(qtbot, zoomed):
    zoomed.set_book(make_book(4))
    shown(qtbot, zoomed)
    qtbot.keyClick(zoomed, Qt.Key.Key_F)
    qtbot.waitUntil(zoomed.isFullScreen)
    assert zoomed.view._overlay == "1 / 4"
    qtbot.keyClick(zoomed, Qt.Key.Key_PageDown)
    assert zoomed.view._overlay == "2 / 4"
    qtbot.keyClick(zoomed, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not zoomed.isFullScreen())
    assert zoomed.view._overlay == ""


def test_a_fast_mix_of_keys_and_modes_never_breaks_the_reader(qtbot, zoomed):
    """Turning, scrolling, zooming and switching modes as fast as keys go: every step
    leaves a page on screen and the engine's cursor within the book."""
    import random

    from m2m_reader.ui.filters import ImageFilter

    zoomed.set_book(make_book(40, "rtl", wide=frozenset({5, 6, 17})))
    rng = random.Random(7)
    keys = [Qt.Key.Key_Space, Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_Left, Qt.Key.Key_Right,
            Qt.Key.Key_PageDown, Qt.Key.Key_PageUp, Qt.Key.Key_Home, Qt.Key.Key_End,
            Qt.Key.Key_V, Qt.Key.Key_X, Qt.Key.Key_D, Qt.Key.Key_Plus, Qt.Key.Key_Minus,
            Qt.Key.Key_T]  # fmt: skip
    for step in range(160):
        qtbot.keyClick(zoomed, rng.choice(keys))
        if step % 40 == 39:
            zoomed.image_choices.set_filter(
                ImageFilter(crop=step % 80 == 39, invert=step % 80 == 79)
            )
        if step % 25 == 0:
            zoomed.image_choices.toggle_shift()
        assert 0 <= zoomed.page < 40
    qtbot.wait(300)
    zoomed.set_vertical(False)
    assert shown(qtbot, zoomed)
    zoomed.bridge.wait_idle()
    pages = [c[1] for c in zoomed.bridge.engine.calls if c[0] == "set_cursor"]
    assert pages and all(0 <= p < 40 for p in pages)
