"""One reader per person and library: a second `m2m-reader BOOK` opens the book in the
running window (library or reader), a stale socket is cleaned up, and window
geometry comes back on a screen at any scale (offscreen Qt, the real library)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QDir, QRect
from test_library import folder_book
from ui_support import library_app

from m2m_reader.ui import geometry
from m2m_reader.ui.prefs import Prefs
from m2m_reader.ui.single_instance import InstanceServer, server_name

ROOT = Path(__file__).resolve().parents[1]


def make_app(qtbot, tmp_path, prefs=None):
    return library_app(qtbot, prefs or Prefs(tmp_path / "ui.json"), tmp_path / "library.sqlite3")


def second_launch(*args: str) -> subprocess.Popen:
    """`m2m-reader ARGS` in another process, as a person types it in a terminal."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen(
        [sys.executable, "-m", "m2m_reader.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(qtbot, proc: subprocess.Popen, timeout: int = 30_000) -> tuple[int, str]:
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=timeout)
    return proc.returncode, proc.stderr.read()


@pytest.fixture
def running(qtbot, tmp_path):
    """A running reader (its library window showing) listening for later launches."""
    app = make_app(qtbot, tmp_path)
    server = InstanceServer(server_name())
    assert server.listen()
    server.openRequested.connect(app.request)
    app.show_library()
    yield app
    server.close()
    app.shutdown()


def test_a_second_launch_opens_its_book_in_the_running_library_window(qtbot, tmp_path, running):
    book = folder_book(tmp_path, "Second Book", pages=3)
    started = time.monotonic()
    code, err = finished(qtbot, second_launch(str(book)))
    assert code == 0, err
    assert time.monotonic() - started < 20
    assert f"running already: opened {book}" in err  # the terminal is told
    qtbot.waitUntil(lambda: running.reader.book is not None, timeout=10_000)
    assert running.reader.book.title == "Second Book"
    assert running.reader.isVisible() and not running.library.isVisible()
    # and the book joins the library of the running window, not of a second app
    qtbot.waitUntil(lambda: [e.title for e in running.library.entries()] == ["Second Book"])


def test_a_second_launch_while_reading_switches_the_reader_to_its_book(qtbot, tmp_path, running):
    first = folder_book(tmp_path, "First", pages=3)
    other = folder_book(tmp_path, "Other", pages=4)
    running.open_book(str(first))
    qtbot.waitUntil(lambda: running.reader.book is not None, timeout=10_000)
    # a relative path, from another working folder, still names the same book
    proc = subprocess.Popen(
        [sys.executable, "-m", "m2m_reader.cli", "Other"],
        cwd=tmp_path,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT)),
        stderr=subprocess.PIPE,
        text=True,
    )
    code, err = finished(qtbot, proc)
    assert code == 0, err
    qtbot.waitUntil(lambda: running.reader.book.title == "Other", timeout=10_000)
    assert str(running.reader.book.path) == str(other.resolve())


def test_a_bare_second_launch_brings_the_running_window_forward(qtbot, running):
    running.library.hide()
    code, err = finished(qtbot, second_launch())
    assert code == 0, err
    qtbot.waitUntil(running.library.isVisible)
    assert running.reader.book is None


def test_a_stale_socket_left_by_a_killed_reader_is_cleaned_up(qtbot):
    name = server_name()
    path = os.path.join(QDir.tempPath(), name)
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(path)  # a socket file nobody listens on, as after kill -9
    dead.close()
    assert os.path.exists(path)
    server = InstanceServer(name)
    try:
        assert server.listen()
        assert server.server.fullServerName() == path
    finally:
        server.close()


def test_the_name_is_per_data_folder(tmp_path):
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")
    assert server_name(tmp_path / "a") == server_name(tmp_path / "a")
    assert len(server_name(tmp_path)) < 40  # Unix socket paths are short


SCREEN = QRect(0, 0, 1600, 1000)


@pytest.mark.parametrize(
    ("saved", "expected"),
    [
        (QRect(100, 80, 900, 700), QRect(100, 80, 900, 700)),  # on screen: left alone
        (QRect(3000, 200, 900, 700), QRect(700, 200, 900, 700)),  # on a monitor now gone
        (QRect(-50, -40, 3200, 2000), QRect(0, 0, 1600, 1000)),  # saved at 200 % scale
        (QRect(1400, 900, 900, 700), QRect(700, 300, 900, 700)),  # mostly off the corner
    ],
)
def test_a_saved_window_always_comes_back_on_a_screen(saved, expected):
    assert geometry.fit_on_screen(saved, [SCREEN]) == expected


def test_a_window_on_the_second_of_two_screens_stays_there():
    left, right = QRect(0, 0, 1920, 1080), QRect(1920, 0, 2560, 1440)
    rect = QRect(2200, 100, 1200, 900)
    assert geometry.fit_on_screen(rect, [left, right]) == rect


def test_window_geometry_is_remembered_across_starts(qtbot, tmp_path):
    app = make_app(qtbot, tmp_path)
    app.show_library()
    qtbot.waitExposed(app.library)
    app.library.setGeometry(40, 30, 620, 450)  # within the offscreen 800 x 600 screen
    qtbot.waitUntil(lambda: app.library.geometry().size().width() == 620)
    app.shutdown()
    assert app.prefs.path.exists()
    again = make_app(qtbot, tmp_path, prefs=Prefs(tmp_path / "ui.json"))
    assert again.library.geometry().size() == app.library.geometry().size()
    assert again.prefs.get("window.library")["w"] == 620
    again.shutdown()


def test_a_damaged_geometry_is_ignored(qtbot, tmp_path):
    prefs = Prefs(tmp_path / "ui.json")
    prefs.set("window.library", {"x": "left", "w": None})
    prefs.set("window.reader", [1, 2, 3])
    app = make_app(qtbot, tmp_path, prefs=prefs)
    (tmp_path / "fresh").mkdir()
    fresh = make_app(qtbot, tmp_path / "fresh")
    assert app.library.geometry() == fresh.library.geometry()  # as with nothing saved
    assert app.reader.geometry() == fresh.reader.geometry()
    fresh.shutdown()
    app.shutdown()


def test_a_busy_reader_that_is_slow_to_answer_still_gets_the_book(monkeypatch):
    """Listening but not answering in time (its event loop busy): the second launch
    hands over anyway instead of starting a second app."""
    from PySide6.QtNetwork import QLocalServer

    from m2m_reader.ui import single_instance

    monkeypatch.setattr(single_instance, "REPLY_MS", 200)
    busy = QLocalServer()
    assert busy.listen(server_name())
    try:  # this thread never returns to an event loop, so nothing answers
        assert single_instance.send_to_running(server_name(), "/some/book.cbz")
    finally:
        busy.close()
    assert not single_instance.send_to_running(server_name(), None)  # none listens now


def test_a_first_start_fits_the_default_window_on_a_small_screen(qtbot, tmp_path):
    """No saved place: the default size (1180 x 780 for the library) shrinks to the
    screen (offscreen: 800 x 600, as a laptop at 200 % scale) and is centred."""
    from PySide6.QtGui import QGuiApplication

    app = make_app(qtbot, tmp_path)
    area = QGuiApplication.primaryScreen().availableGeometry()
    for window in (app.library, app.reader):
        rect = window.geometry()
        assert area.contains(rect), (rect, area)
        assert rect.width() <= area.width() * 0.9 + 1
        assert abs(rect.center().x() - area.center().x()) <= 1
    app.shutdown()


def test_a_window_hidden_before_quitting_keeps_where_it_was(qtbot, tmp_path):
    """Opening a book hides the library; its place is kept from that moment (a quit
    by Ctrl-C closes every window before the app's shutdown runs)."""
    app = make_app(qtbot, tmp_path)
    app.library.setGeometry(30, 40, 610, 430)  # placed before it shows: no move while shown
    app.show_library()
    qtbot.waitExposed(app.library)
    app.library.hide()
    app.reader.close()
    app.shutdown()
    saved = Prefs(tmp_path / "ui.json").get("window.library")
    assert (saved["w"], saved["h"]) == (610, 430)


def test_the_next_volume_opened_at_the_end_joins_the_library(qtbot, tmp_path):
    """A turn past the last page opens the next chapter through the app, which adds it
    to the library as a book opened from the library or a terminal is."""
    from PIL import Image
    from PySide6.QtCore import Qt

    from m2m_reader.ui.page_view import EDGE_STOP_S

    series = tmp_path / "series"
    for name, colour in (("Chapter 1", (200, 40, 40)), ("Chapter 2", (40, 200, 40))):
        (series / name).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB", (300, 430), colour).save(series / name / f"{i:03d}.png")
    app = make_app(qtbot, tmp_path)
    app.open_book(str(series / "Chapter 1"))
    win = app.reader
    qtbot.waitUntil(lambda: win.book is not None and win.finder.next_book is not None, timeout=5000)
    qtbot.waitUntil(lambda: len(app.library.entries()) == 1, timeout=5000)
    qtbot.keyClick(win, Qt.Key.Key_End)
    time.sleep(EDGE_STOP_S + 0.05)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: win.book.path.name == "Chapter 2", timeout=5000)
    second = str((series / "Chapter 2").resolve())
    qtbot.waitUntil(lambda: any(e.path == second for e in app.library.entries()), timeout=5000)
    assert len(app.library.entries()) == 2
    app.shutdown()
