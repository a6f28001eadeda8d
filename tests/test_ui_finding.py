"""Finding the way: page thumbnails (strip and grid, decoded off the UI thread and
cached), bookmarks per book, and the next volume in the folder after the last page."""

from __future__ import annotations

import json
import shutil
import time

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from test_ui_reader import make_window, shown
from ui_support import make_book, page_colour, ui_dirs  # noqa: F401

from m2m_reader.engine.books import open_book
from m2m_reader.engine.library import Library
from m2m_reader.ui.next_volume import natural_key, next_volume
from m2m_reader.ui.page_view import EDGE_STOP_S
from m2m_reader.ui.prefs import Prefs
from m2m_reader.ui.thumbnails import thumbs_dir


@pytest.fixture
def win(qtbot, tmp_path, ui_dirs):  # noqa: F811
    w = make_window(qtbot, tmp_path, size=(1100, 800))
    w.set_layout("single")
    return w


def test_t_shows_every_thumbnail_and_a_click_jumps_there(qtbot, win):
    book = make_book(30, "ltr")
    win.set_book(book)
    qtbot.keyClick(win, Qt.Key.Key_T)
    assert win.thumbs_dock.isVisible()
    model = win.thumbs_model
    qtbot.waitUntil(lambda: model.shown_count() == 30, timeout=10000)
    pix = model.data(model.index(17), Qt.ItemDataRole.DecorationRole).pixmap(win.thumbs.iconSize())
    c = pix.toImage().pixelColor(pix.width() // 2, pix.height() // 2)
    assert (c.red(), c.green(), c.blue()) == page_colour(17)
    rect = win.thumbs.visualRect(model.index(2))
    qtbot.mouseClick(win.thumbs.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert shown(qtbot, win) == [2]
    qtbot.keyClick(win, Qt.Key.Key_T)
    assert not win.thumbs_dock.isVisible()


def test_thumbnails_are_cached_for_the_next_opening(qtbot, win):
    book = make_book(5, "ltr")
    win.set_book(book)
    win.finder.show_thumbnails(True)
    qtbot.waitUntil(lambda: win.thumbs_model.shown_count() == 5, timeout=10000)
    win.thumbs_model.wait_idle()
    assert sorted(p.name for p in thumbs_dir(book).iterdir()) == [f"{i}.jpg" for i in range(5)]
    opened = []
    again = make_book(5, "ltr")
    again.open_image = lambda page: opened.append(page.index) or Image.new("RGB", (3, 3))
    win.set_book(again)
    qtbot.waitUntil(lambda: win.thumbs_model.shown_count() == 5, timeout=10000)
    win.thumbs_model.wait_idle()
    assert not [i for i in opened if i not in win.current_pages()]  # none decoded again


def test_a_right_to_left_strip_runs_from_the_right_and_the_grid_wraps(qtbot, win):
    win.set_book(make_book(12, "rtl"))
    win.finder.show_thumbnails(True)
    assert win.thumbs.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert not win.thumbs.isWrapping()
    qtbot.keyClick(win, Qt.Key.Key_T, Qt.KeyboardModifier.ShiftModifier)
    assert win.thumbs.isWrapping()
    assert win.dockWidgetArea(win.thumbs_dock) == Qt.DockWidgetArea.LeftDockWidgetArea


def test_bookmarks_mark_pages_jump_and_are_kept_per_book(qtbot, tmp_path, win):
    win.set_book(make_book(10, "ltr"))
    win.go_to_page(3)
    qtbot.keyClick(win, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert "★" in win.page_label.text()
    win.go_to_page(7)
    qtbot.keyClick(win, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    win.go_to_page(0)
    assert "★" not in win.page_label.text()
    qtbot.keyClick(win, Qt.Key.Key_B)
    assert win.page == 3
    qtbot.keyClick(win, Qt.Key.Key_B)
    assert win.page == 7
    qtbot.keyClick(win, Qt.Key.Key_B, Qt.KeyboardModifier.ShiftModifier)
    assert win.page == 3
    win.finder.fill_bookmarks()
    names = [a.text() for a in win.bar.bookmark_menu.actions()]
    assert "Page 4" in names and "Page 8" in names
    model = win.thumbs_model
    assert model.data(model.index(7), Qt.ItemDataRole.DisplayRole) == "★ 8"
    win.close()
    win.runner.wait()
    again = make_window(qtbot, tmp_path, prefs=Prefs(tmp_path / "ui.json"))
    again.set_book(make_book(10, "ltr"))
    assert again.finder.bookmarks == {3, 7}
    again.set_book(make_book(11, "ltr"))
    assert again.finder.bookmarks == set()


def test_volumes_follow_in_the_order_a_person_numbers_them(tmp_path):
    (tmp_path / "Vol 3").mkdir()
    Image.new("RGB", (30, 43), (90, 90, 90)).save(tmp_path / "Vol 3" / "001.png")
    for name in ("Vol 10.cbz", "Vol 2.cbz", "Vol 1.cbz", ".hidden.cbz"):  # books that open
        shutil.make_archive(str(tmp_path / name), "zip", tmp_path / "Vol 3")
        (tmp_path / f"{name}.zip").rename(tmp_path / name)
    (tmp_path / "notes.txt").write_bytes(b"x")
    (tmp_path / "empty").mkdir()
    assert next_volume(tmp_path / "Vol 1.cbz") == tmp_path / "Vol 2.cbz"
    assert next_volume(tmp_path / "Vol 2.cbz") == tmp_path / "Vol 3"
    assert next_volume(tmp_path / "Vol 3") == tmp_path / "Vol 10.cbz"
    assert next_volume(tmp_path / "Vol 10.cbz") is None
    assert natural_key("ch 9") < natural_key("Ch 10")


def chapter(folder, colour, pages=3):
    folder.mkdir(parents=True)
    for i in range(pages):
        Image.new("RGB", (300, 430), colour).save(folder / f"{i:03d}.png")
    return folder


def test_a_turn_past_the_last_page_opens_the_next_chapter(qtbot, tmp_path, win):
    series = tmp_path / "series"
    first = chapter(series / "Chapter 1", (200, 40, 40))
    chapter(series / "Chapter 2", (40, 200, 40))
    win.set_book(open_book(first))
    qtbot.waitUntil(lambda: win.finder.next_book is not None)
    qtbot.keyClick(win, Qt.Key.Key_End)
    assert "Chapter 2" in win.statusBar().currentMessage()
    qtbot.keyClick(win, Qt.Key.Key_Space)  # straight after arriving: a stop
    win.runner.wait()
    assert win.book.path == first
    time.sleep(EDGE_STOP_S + 0.05)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: win.book.path.name == "Chapter 2", timeout=5000)
    assert win.page == 0


def test_the_last_chapter_stays_at_its_last_page(qtbot, tmp_path, win):
    only = chapter(tmp_path / "alone" / "Chapter 1", (200, 40, 40))
    win.set_book(open_book(only))
    win.runner.wait()
    qtbot.keyClick(win, Qt.Key.Key_End)
    time.sleep(EDGE_STOP_S + 0.05)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    win.runner.wait()
    assert win.book.path == only and win.page == 2


def test_choices_per_book_live_in_the_data_folder_and_outlast_the_window_state(
    qtbot,
    tmp_path,
    win,
):
    win.set_book(make_book(10, "rtl"))
    win.go_to_page(4)
    win.finder.toggle_bookmark()
    win.set_direction("ltr")
    win.close()
    win.runner.wait()
    stored = Library().book_state(win.book.fingerprint)  # kept in the library
    assert stored == {"bookmarks": [4], "direction": "ltr"}
    (tmp_path / "ui.json").unlink()  # the window state lost: the choices are not
    again = make_window(qtbot, tmp_path, prefs=Prefs(tmp_path / "ui.json"))
    again.set_book(make_book(10, "rtl"))
    assert again.finder.bookmarks == {4} and again.direction == "ltr"


def test_a_direction_kept_by_an_earlier_version_is_carried_over(qtbot, tmp_path, ui_dirs):  # noqa: F811
    book = make_book(6, "rtl")
    earlier = {"books": {book.fingerprint: {"direction": "ltr"}}}
    (tmp_path / "ui.json").write_text(json.dumps(earlier))
    w = make_window(qtbot, tmp_path, prefs=Prefs(tmp_path / "ui.json"))
    w.set_book(book)
    assert w.direction == "ltr"


def test_in_the_strip_a_push_past_the_bottom_opens_the_next_chapter_after_a_stop(
    qtbot,
    tmp_path,
    win,
):
    series = tmp_path / "webtoon"
    first = chapter(series / "Episode 1", (200, 40, 40), pages=2)
    chapter(series / "Episode 2", (40, 200, 40), pages=2)
    for f in first.iterdir():  # tall strips: the book opens in the vertical mode
        Image.new("RGB", (300, 1200), (200, 40, 40)).save(f)
    win.set_book(open_book(first))
    assert win.vertical
    qtbot.waitUntil(lambda: win.finder.next_book is not None)
    strip = win.strip
    while strip.scroll_y() < strip.max_y() - 1:
        qtbot.keyClick(win, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: strip._anim.state() != strip._anim.State.Running)
    qtbot.keyClick(win, Qt.Key.Key_Space)  # the bottom was only just reached: a stop
    win.runner.wait()
    assert win.book.path == first
    time.sleep(EDGE_STOP_S + 0.05)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: win.book.path.name == "Episode 2", timeout=5000)
