"""The image as the reader shows it: white borders cropped, brightness, contrast, gamma,
grayscale and invert (on the workers), a spread split into its two pages, and the
pairing shifted by one page mid-book, remembered per book (offscreen Qt)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt
from test_ui_reader import make_window, pixel_page, shown
from ui_support import heard_in_order, make_book, page_colour, ui_dirs  # noqa: F401

from m2m_reader.engine.books.model import Book, Page
from m2m_reader.ui.filters import ImageFilter, content_box
from m2m_reader.ui.prefs import Prefs


def bordered(size=(400, 600), box=(60, 90, 340, 520), colour=(30, 60, 90)) -> Image.Image:
    im = Image.new("RGB", size, (255, 255, 255))
    ImageDraw.Draw(im).rectangle(box, fill=colour)
    return im


def bordered_book(n=4) -> Book:
    pages = [Page(index=i, name=f"{i}.png", width=400, height=600) for i in range(n)]
    return Book(
        path=Path("/tmp/bordered"),
        title="Bordered",
        kind="folder",
        direction="ltr",
        pages=pages,
        open_image=lambda page: bordered(colour=page_colour(page.index)),
        fingerprint="fp-bordered",
        direction_known=True,
    )


# The filters themselves ------------------------------------------------------------------
def test_crop_finds_the_drawing_inside_white_borders():
    im = bordered()
    left, top, right, bottom = content_box(im)
    assert abs(left - 60) <= 5 and abs(top - 90) <= 5
    assert abs(right - 341) <= 5 and abs(bottom - 521) <= 5
    out = ImageFilter(crop=True).apply(im)
    assert out.size == (right - left, bottom - top)


def test_crop_leaves_a_blank_or_full_bleed_page_alone():
    assert content_box(Image.new("RGB", (300, 400), "white")) is None
    assert content_box(Image.new("RGB", (300, 400), (20, 20, 20))) is None
    assert ImageFilter(crop=True).apply(Image.new("RGB", (300, 400), "white")).size == (300, 400)


def test_colour_filters_move_the_pixels_the_right_way():
    grey = Image.new("RGB", (4, 4), (100, 150, 200))
    assert ImageFilter().apply(grey) is grey  # the identity costs nothing
    brighter = ImageFilter(brightness=1.5).apply(grey).getpixel((0, 0))
    assert brighter[0] == 150 and brighter[2] == 255
    lighter = ImageFilter(gamma=2.0).apply(grey).getpixel((0, 0))
    assert lighter[0] > 100 and lighter[1] > 150
    flat = ImageFilter(contrast=0.0 + 0.1).apply(grey).getpixel((0, 0))
    assert abs(flat[0] - flat[2]) < 100 - 20
    assert ImageFilter(invert=True).apply(grey).getpixel((0, 0)) == (155, 105, 55)
    gray = ImageFilter(grayscale=True).apply(grey)
    assert gray.mode == "L"


def test_saved_filters_are_checked():
    f = ImageFilter(crop=True, gamma=1.4, invert=True)
    assert ImageFilter.from_dict(f.to_dict()) == f
    assert ImageFilter.from_dict({"gamma": "x", "crop": 1, "brightness": 99}) == ImageFilter(
        brightness=4.0
    )
    assert ImageFilter.from_dict(None) == ImageFilter()


# In the reader ----------------------------------------------------------------------------
@pytest.fixture
def win(qtbot, tmp_path, ui_dirs):  # noqa: F811
    w = make_window(qtbot, tmp_path, size=(900, 800))
    w.set_layout("single")
    return w


def test_c_crops_the_white_borders_and_the_page_fills_the_view(qtbot, win):
    win.set_book(bordered_book())
    shown(qtbot, win)
    assert win.view.slots()[0].image.size().width() == 400
    qtbot.keyClick(win, Qt.Key.Key_C)
    qtbot.waitUntil(
        lambda: (s := win.view.slots()) and s[0].image is not None and s[0].image.width() < 300
    )
    rect = win.view._layout()[0]
    image = win.view.grab().toImage()
    c = image.pixelColor(int(rect.left()) + 12, int(rect.center().y()))
    assert (c.red(), c.green(), c.blue()) == page_colour(0)  # the drawing, near the edge
    assert win.prefs.get("image_filter")["crop"] is True


def test_invert_and_the_adjust_dialog_change_what_is_painted(qtbot, win):
    win.set_book(make_book(4, "ltr"))
    shown(qtbot, win)
    assert pixel_page(win, 0.5) == 0
    qtbot.keyClick(win, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    dialog = win.image_choices.adjust_dialog
    dialog.invert.setChecked(True)
    r, g, b = page_colour(0)

    def painted():
        image = win.view.grab().toImage()
        c = image.pixelColor(image.width() // 2, image.height() // 2)
        return (c.red(), c.green(), c.blue())

    qtbot.waitUntil(lambda: painted() == (255 - r, 255 - g, 255 - b))
    dialog.reset()
    qtbot.waitUntil(lambda: pixel_page(win, 0.5) == 0)


def test_x_splits_a_spread_into_its_pages_in_reading_order(qtbot, win):
    win.set_book(make_book(4, "rtl", wide=frozenset({1})))
    qtbot.keyClick(win, Qt.Key.Key_X)
    qtbot.keyClick(win, Qt.Key.Key_Left)  # forward in rtl: the spread, its right half
    assert shown(qtbot, win) == [1]
    assert win.view.slots()[0].part == "right"
    rect = win.view._layout()[0]
    assert rect.width() / rect.height() == pytest.approx(300 / 430, rel=0.02)  # one page
    assert "(1/2)" in win.page_label.text()
    qtbot.keyClick(win, Qt.Key.Key_Left)
    assert win.page == 1 and win.view.slots()[0].part == "left"
    qtbot.keyClick(win, Qt.Key.Key_Left)
    assert shown(qtbot, win) == [2]
    qtbot.keyClick(win, Qt.Key.Key_Right)  # back: the spread's second half first
    assert win.page == 1 and win.view.slots()[0].part == "left"
    win.bridge.wait_idle()
    cursor = [c[1] for c in win.bridge.engine.calls if c[0] == "set_cursor"]
    assert heard_in_order(cursor, [1, 2, 1]), cursor  # the engine hears of pages, not halves
    qtbot.keyClick(win, Qt.Key.Key_X)
    assert win.view.slots()[0].part is None


def test_shift_d_moves_the_pairing_from_here_and_is_remembered(qtbot, tmp_path, win):
    win.set_layout("double")
    win.set_book(make_book(9, "ltr"))
    assert win.groups[:3] == [(0,), (1, 2), (3, 4)]
    win.go_to_page(3)
    qtbot.keyClick(win, Qt.Key.Key_D, Qt.KeyboardModifier.ShiftModifier)
    assert win.current_pages() == (3,)
    assert win.groups[:5] == [(0,), (1, 2), (3,), (4, 5), (6, 7)]
    win.close()
    win.runner.wait()
    again = make_window(qtbot, tmp_path, prefs=Prefs(tmp_path / "ui.json"))
    again.set_layout("double")
    again.set_book(make_book(9, "ltr"))
    assert (4, 5) in again.groups
    again.go_to_page(3)
    again.bar.act_shift.trigger()  # undo
    assert again.current_pages() == (3, 4)


def test_a_cropped_page_is_pre_scaled_on_the_workers_to_the_size_it_is_painted(qtbot, win):
    win.set_book(bordered_book())
    shown(qtbot, win)
    win.image_choices.set_crop(True)
    qtbot.waitUntil(lambda: win.images.cached(0) is not None and win.images.cached(0).width() < 300)
    win.go_to_page(1)
    win.go_to_page(0)
    size = win.view._layout()[0].size().toSize()
    qtbot.waitUntil(lambda: (s := win.images.scaled(0)) is not None and s.size() == size)
