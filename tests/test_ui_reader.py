"""The reader window: page turns in the book's direction, layouts, fit and zoom,
fullscreen, go to page, resume, preloading and damaged pages (offscreen Qt)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from ui_support import FakeEngine, make_book, page_colour, ui_dirs  # noqa: F401

from m2m_reader.engine.core.settings import Settings
from m2m_reader.ui.bridge import EngineBridge
from m2m_reader.ui.prefs import Prefs
from m2m_reader.ui.reader_window import ReaderWindow


def make_window(qtbot, tmp_path, settings=None, prefs=None, size=(900, 800)):
    settings = settings or Settings()
    bridge = EngineBridge(None, settings)
    bridge.save_settings = False
    bridge.engine = FakeEngine(settings, bridge.on_event)
    win = ReaderWindow(settings, bridge, prefs or Prefs(tmp_path / "ui.json"))
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    return win


def loaded(win):
    return all(s.image is not None or s.error is not None for s in win.view.slots())


def shown(qtbot, win):
    qtbot.waitUntil(lambda: loaded(win) and bool(win.view.slots()), timeout=5000)
    return [s.index for s in win.view.slots()]


def pixel_page(win, x_frac):
    """Which test page's colour is painted at this fraction of the view's width."""
    image = win.view.grab().toImage()
    c = image.pixelColor(int(image.width() * x_frac), image.height() // 2)
    rgb = (c.red(), c.green(), c.blue())
    for i in range(len(win.book)):
        if all(abs(a - b) <= 2 for a, b in zip(page_colour(i), rgb, strict=True)):
            return i
    return None


@pytest.fixture
def reader(qtbot, tmp_path, ui_dirs):  # noqa: F811
    win = make_window(qtbot, tmp_path)
    win.set_layout("single")
    return win


def test_arrow_keys_follow_a_right_to_left_book(qtbot, reader):
    reader.set_book(make_book(8, "rtl"))
    assert shown(qtbot, reader) == [0]
    qtbot.keyClick(reader, Qt.Key.Key_Left)
    assert shown(qtbot, reader) == [1]
    assert pixel_page(reader, 0.5) == 1
    qtbot.keyClick(reader, Qt.Key.Key_Left)
    qtbot.keyClick(reader, Qt.Key.Key_Right)
    assert shown(qtbot, reader) == [1]


def test_arrow_keys_follow_a_left_to_right_book(qtbot, reader):
    reader.set_book(make_book(8, "ltr"))
    qtbot.keyClick(reader, Qt.Key.Key_Right)
    assert shown(qtbot, reader) == [1]
    qtbot.keyClick(reader, Qt.Key.Key_Left)
    assert shown(qtbot, reader) == [0]


def test_m_flips_the_direction_and_the_arrows_with_it(qtbot, reader):
    reader.set_book(make_book(8, "rtl"))
    qtbot.keyClick(reader, Qt.Key.Key_M)
    assert reader.direction == "ltr"
    qtbot.keyClick(reader, Qt.Key.Key_Right)
    assert shown(qtbot, reader) == [1]


def test_page_keys_space_home_end(qtbot, reader):
    reader.set_book(make_book(8))
    qtbot.keyClick(reader, Qt.Key.Key_PageDown)
    qtbot.keyClick(reader, Qt.Key.Key_Space)
    assert shown(qtbot, reader) == [2]
    qtbot.keyClick(reader, Qt.Key.Key_PageUp)
    assert shown(qtbot, reader) == [1]
    qtbot.keyClick(reader, Qt.Key.Key_End)
    assert shown(qtbot, reader) == [7]
    qtbot.keyClick(reader, Qt.Key.Key_Space)  # past the end: stays
    assert shown(qtbot, reader) == [7]
    qtbot.keyClick(reader, Qt.Key.Key_Home)
    assert shown(qtbot, reader) == [0]


def test_engine_hears_turns_and_jumps(qtbot, reader):
    reader.set_book(make_book(8))
    qtbot.keyClick(reader, Qt.Key.Key_Space)
    qtbot.keyClick(reader, Qt.Key.Key_End)
    reader.bridge.wait_idle()
    calls = [c for c in reader.bridge.engine.calls if c[0] == "set_cursor"]
    # A turn the engine had not taken yet when the jump came is merged into the jump.
    assert calls in (
        [("set_cursor", 1, "turn"), ("set_cursor", 7, "jump")],
        [("set_cursor", 7, "jump")],
    )


def test_double_layout_pairs_pages_right_to_left_with_cover_alone(qtbot, reader):
    reader.set_book(make_book(8, "rtl"))
    qtbot.keyClick(reader, Qt.Key.Key_D)
    assert shown(qtbot, reader) == [0]  # the cover stands alone
    qtbot.keyClick(reader, Qt.Key.Key_Left)
    assert shown(qtbot, reader) == [2, 1]  # screen order: page 2 on the left in rtl
    assert pixel_page(reader, 0.3) == 2
    assert pixel_page(reader, 0.7) == 1
    reader.set_cover_offset(False)
    assert reader.current_pages() == (0, 1)


def test_wide_pages_stand_alone_in_double_layout(qtbot, reader):
    reader.set_book(make_book(8, "ltr", wide=frozenset({3})))
    reader.set_layout("double")
    reader.set_cover_offset(False)
    groups = reader.groups
    assert (3,) in groups
    assert groups[:2] == [(0, 1), (2,)]


def test_auto_layout_follows_the_window_shape(qtbot, tmp_path, ui_dirs):  # noqa: F811
    win = make_window(qtbot, tmp_path, size=(1500, 700))
    win.set_layout("auto")
    win.set_book(make_book(8, "ltr"))
    win.go_to_page(1)
    assert len(win.current_pages()) == 2
    win.resize(600, 900)
    qtbot.waitUntil(lambda: len(win.current_pages()) == 1)


@pytest.mark.parametrize("fit", ["width", "height", "page", "none"])
def test_fit_modes_size_the_page(qtbot, reader, fit):
    reader.set_book(make_book(4, size=(300, 430)))
    shown(qtbot, reader)
    reader.set_fit(fit)
    rect = reader.view._layout()[0]
    vw, vh = reader.view.width(), reader.view.height()
    expected = {
        "width": (vw, vw * 430 / 300),
        "height": (vh * 300 / 430, vh),
        "page": (min(vw, vh * 300 / 430), min(vh, vw * 430 / 300)),
        "none": (300, 430),
    }[fit]
    assert rect.width() == pytest.approx(expected[0], abs=1)
    assert rect.height() == pytest.approx(expected[1], abs=1)


def test_zoom_persists_in_the_settings(qtbot, tmp_path, ui_dirs):  # noqa: F811
    settings = Settings()
    win = make_window(qtbot, tmp_path, settings=settings)
    win.set_book(make_book(4))
    shown(qtbot, win)
    before = win.view._layout()[0].width()
    event = QWheelEvent(QPointF(100, 100), QPointF(100, 100), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(win.view, event)
    assert win.view._layout()[0].width() == pytest.approx(before * 1.1, rel=0.01)
    win.bridge.wait_idle()
    assert settings.reader_zoom == pytest.approx(1.1, rel=0.01)
    again = make_window(qtbot, tmp_path, settings=settings)
    assert again.view.zoom == pytest.approx(1.1, rel=0.01)


def test_fullscreen_with_f_and_escape(qtbot, reader):
    reader.set_book(make_book(4))
    qtbot.keyClick(reader, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: reader.isFullScreen())
    assert not reader.dock.isVisible()
    qtbot.keyClick(reader, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not reader.isFullScreen())
    assert reader.dock.isVisible()


def test_go_to_page_dialog(qtbot, reader):
    reader.set_book(make_book(20))
    qtbot.keyClick(reader, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    dialog = reader.nav.goto_dialog
    assert dialog.isVisible()
    dialog.setIntValue(12)
    dialog.accept()
    assert shown(qtbot, reader) == [11]


def test_resume_where_the_reader_left_off(qtbot, tmp_path, ui_dirs):  # noqa: F811
    # The reader reports the page; the library keeps it (test_library_resume.py) and
    # the reader opens there, with or without its UI state file.
    book = make_book(10)
    win = make_window(qtbot, tmp_path)
    pages = []
    win.progressChanged.connect(lambda _book, page: pages.append(page))
    win.set_book(book)
    win.go_to_page(6)
    assert pages[-1] == 6
    win.close()
    win.runner.wait()
    (tmp_path / "ui.json").unlink(missing_ok=True)
    fresh = make_window(qtbot, tmp_path, prefs=Prefs(tmp_path / "ui.json"))
    fresh.set_layout("single")
    fresh.set_book(make_book(10), pages[-1])
    assert shown(qtbot, fresh) == [6]


def test_mouse_click_zones_and_wheel_turn_pages(qtbot, reader):
    reader.set_book(make_book(8, "rtl"))
    shown(qtbot, reader)
    view = reader.view
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(10, view.height() // 2))
    assert shown(qtbot, reader) == [1]  # left side is forward in a right-to-left book
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(view.width() - 10, 100))
    assert shown(qtbot, reader) == [0]
    event = QWheelEvent(QPointF(50, 50), QPointF(50, 50), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(view, event)
    assert shown(qtbot, reader) == [1]


def test_neighbours_are_preloaded_so_a_turn_paints_at_once(qtbot, reader):
    reader.set_book(make_book(8))
    shown(qtbot, reader)
    qtbot.waitUntil(
        lambda: reader.images.cached(1) is not None and reader.images.cached(2) is not None
    )
    qtbot.keyClick(reader, Qt.Key.Key_Space)
    slot = reader.view.slots()[0]
    assert slot.index == 1 and slot.image is not None  # no waiting for a decode


def test_damaged_page_shows_a_placeholder_and_reading_continues(qtbot, reader):
    reader.set_book(make_book(6, "ltr", damaged=frozenset({1})))
    qtbot.keyClick(reader, Qt.Key.Key_Right)
    shown(qtbot, reader)
    slot = reader.view.slots()[0]
    assert slot.image is None and "damaged" in slot.error
    assert reader.banner.isVisible() and "damaged" in reader.banner.text()
    assert pixel_page(reader, 0.5) is None  # a placeholder, not a page
    qtbot.keyClick(reader, Qt.Key.Key_Right)
    assert shown(qtbot, reader) == [2]
    assert pixel_page(reader, 0.5) == 2
