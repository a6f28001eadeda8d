"""The library's series, search, sort and context menu, and a book added from a
terminal appearing in the open window (offscreen Qt, the real library)."""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from test_ui_library import folder_book, source
from ui_support import ui_dirs  # noqa: F401

from m2m_reader.engine.library import Library
from m2m_reader.ui.library_window import LibraryWindow

ROOT = Path(__file__).resolve().parents[1]


def cbz(folder: Path, name: str, series: str = "", number: str = "", title: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.cbz"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(2):
            buf = io.BytesIO()
            Image.new("RGB", (120, 170), (30 + 90 * i, 80, 120)).save(buf, "PNG")
            z.writestr(f"{i + 1:02d}.png", buf.getvalue())
        info = f"<Title>{title or name}</Title>"
        info += f"<Series>{series}</Series>" if series else ""
        info += f"<Number>{number}</Number>" if number else ""
        z.writestr("ComicInfo.xml", f"<ComicInfo>{info}</ComicInfo>")
    return path


@pytest.fixture
def win(qtbot, tmp_path, ui_dirs):  # noqa: F811
    w = LibraryWindow(source(tmp_path))
    qtbot.addWidget(w)
    w.show()
    return w


def add(qtbot, win, *paths) -> None:
    count = len(win.entries()) + len(paths)
    win.add_paths([str(p) for p in paths])
    qtbot.waitUntil(lambda: len(win.entries()) == count, timeout=10_000)


def shelf_names(win) -> list[str]:
    return [win.shelves.item(r).text() for r in range(win.shelves.count())]


def test_series_from_comicinfo_and_from_folders_in_number_order(qtbot, tmp_path, win):
    # ComicInfo names the series; volumes added out of order, numbered as text would not sort
    add(
        qtbot,
        win,
        *(cbz(tmp_path / "dl", f"v{n}", "Haru", n, f"Haru {n}") for n in ("10", "2", "1")),
    )
    # a folder holding two books is a series too; a lone book is in none
    (tmp_path / "solo").mkdir()
    add(qtbot, win, folder_book(tmp_path / "solo", "Lone"))
    shelf = tmp_path / "Tsuki"
    shelf.mkdir()
    add(qtbot, win, folder_book(shelf, "Tsuki 01"), folder_book(shelf, "Tsuki 02"))
    assert "Haru  ·  3" in shelf_names(win) and "Tsuki  ·  2" in shelf_names(win)
    assert not any(name.startswith(("Lone", "solo")) for name in shelf_names(win))
    win.set_shelf("Haru")
    assert win.visible_titles() == ["Haru 1", "Haru 2", "Haru 10"]
    win.set_shelf("Tsuki")
    assert win.visible_titles() == ["Tsuki 01", "Tsuki 02"]
    win.set_shelf("\x00all")
    assert len(win.visible_titles()) == 6
    kept = source(tmp_path).entries()  # the series is in the library, not worked out again
    assert sorted((e.series, e.number) for e in kept if e.series) == [
        ("Haru", "1"), ("Haru", "10"), ("Haru", "2")
    ]  # fmt: skip


def test_clicking_a_series_in_the_side_list_shows_its_books(qtbot, tmp_path, win):
    add(qtbot, win, cbz(tmp_path, "a", "Umi", "1"), cbz(tmp_path, "b", "Umi", "2"),
        cbz(tmp_path, "c"))  # fmt: skip
    row = next(r for r, t in enumerate(shelf_names(win)) if t.startswith("Umi"))
    rect = win.shelves.visualItemRect(win.shelves.item(row))
    qtbot.mouseClick(win.shelves.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert win.shelf == "Umi" and win.visible_titles() == ["a", "b"]


def test_search_narrows_by_title_series_and_file_name(qtbot, tmp_path, win):
    add(qtbot, win, cbz(tmp_path, "first", "Moon River", "1", "Departure"),
        cbz(tmp_path, "second", "", "", "Arrival"), folder_book(tmp_path, "Sunrise"))  # fmt: skip
    qtbot.keyClicks(win.search, "moon")
    assert win.visible_titles() == ["Departure"]
    win.search.clear()
    qtbot.keyClicks(win.search, "SECOND")
    assert win.visible_titles() == ["Arrival"]
    win.search.setText("nothing like it")
    assert win.visible_titles() == [] and win.empty.isVisible()
    assert "No book matches" in win.empty.text()
    win.search.clear()
    assert len(win.visible_titles()) == 3 and win.grid.isVisible()


def test_sort_orders(qtbot, tmp_path, win):
    add(qtbot, win, folder_book(tmp_path, "Beta"))
    add(qtbot, win, folder_book(tmp_path, "alpha", pages=4))
    add(qtbot, win, folder_book(tmp_path, "Gamma"))
    by = {e.title: e for e in win.entries()}
    win.record_progress(by["Gamma"].path, 1)
    win.record_progress(by["alpha"].path, 3)
    win.set_sort("title")
    assert win.visible_titles() == ["alpha", "Beta", "Gamma"]
    win.set_sort("added")
    assert win.visible_titles() == ["Gamma", "alpha", "Beta"]
    win.set_sort("progress")
    assert win.visible_titles() == ["alpha", "Gamma", "Beta"]
    win.set_sort("recent")
    assert win.visible_titles() == ["alpha", "Gamma", "Beta"]
    win.sort_box.setCurrentIndex(win.sort_box.findData("title"))  # what the combo box does
    assert win.sort == "title" and win.visible_titles()[0] == "alpha"


class Opened(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def show(self, url: QUrl) -> None:
        self.urls.append(url)


def test_context_menu_opens_prepares_shows_in_folder_and_removes(qtbot, tmp_path, win):
    add(qtbot, win, folder_book(tmp_path, "Alpha", 4), folder_book(tmp_path, "Beta"))
    alpha = next(e for e in win.entries() if e.title == "Alpha")
    menu = win.context_menu([alpha])
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert list(actions) == ["Open", "Prepare for offline", "Show in folder", "Remove from library"]
    with qtbot.waitSignal(win.openRequested) as opened:
        actions["Open"].trigger()
    assert opened.args == [alpha.path, 0]
    handler = Opened()
    QDesktopServices.setUrlHandler("file", handler, "show")
    try:
        actions["Show in folder"].trigger()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [u.toLocalFile() for u in handler.urls] == [str(tmp_path)]
    with qtbot.waitSignal(win.prepareFinished, timeout=10_000):
        actions["Prepare for offline"].trigger()
    qtbot.waitUntil(lambda: next(e for e in win.entries() if e.title == "Alpha").offline_ready)
    both = win.entries()
    menu = win.context_menu(both)  # several cards: no Open, no Show in folder
    names = [a.text() for a in menu.actions() if a.text()]
    assert names == ["Prepare for offline", "Remove from library"]
    next(a for a in menu.actions() if a.text() == "Remove from library").trigger()
    assert win.entries() == []
    win.writer.wait()
    assert source(tmp_path).entries() == []


def test_a_right_click_on_a_card_selects_it_and_pops_the_menu(qtbot, tmp_path, win):
    add(qtbot, win, folder_book(tmp_path, "Alpha"))
    qtbot.waitUntil(lambda: win.grid.visualRect(win.model.index(0, 0)).isValid())
    point = win.grid.visualRect(win.model.index(0, 0)).center()
    win.grid.customContextMenuRequested.emit(point)
    assert [e.title for e in win.selected_entries()] == ["Alpha"]
    menu = next(w for w in win.findChildren(type(win.context_menu([]))) if w.isVisible())
    assert "Open" in [a.text() for a in menu.actions()]
    menu.close()


def test_a_book_added_from_a_terminal_appears_in_the_open_window(qtbot, tmp_path, ui_dirs):  # noqa: F811
    db = Path(os.environ["M2M_READER_DATA_DIR"]) / "library.sqlite3"
    win = LibraryWindow(source(tmp_path).__class__(Library(db)))
    qtbot.addWidget(win)
    win.show()
    win.reload()
    qtbot.waitUntil(lambda: win._stamp is not None, timeout=5000)
    book = folder_book(tmp_path, "From The Terminal")
    out = subprocess.run(
        [sys.executable, "-m", "m2m_reader.cli", "library", "add", str(book)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    qtbot.waitUntil(lambda: win.visible_titles() == ["From The Terminal"], timeout=8000)
    qtbot.waitUntil(lambda: win.model.item(0).data(Qt.ItemDataRole.UserRole + 2) is not None)


def test_a_library_made_before_series_opens_and_gains_them(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE books (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,"
        " title TEXT NOT NULL, kind TEXT NOT NULL DEFAULT '', fingerprint TEXT NOT NULL"
        " DEFAULT '', pages INTEGER NOT NULL, cover BLOB, page INTEGER NOT NULL DEFAULT 0,"
        " added REAL NOT NULL, last_opened REAL NOT NULL DEFAULT 0, music_pages INTEGER"
        " NOT NULL DEFAULT 0);"
        "INSERT INTO books (path, title, pages, page, added) VALUES ('/x/old.cbz', 'Old', 9, 4, 1);"
        "PRAGMA user_version = 1;"
    )
    db.close()
    library = Library(path)
    (old,) = library.books()
    assert (old.title, old.page, old.series, old.number) == ("Old", 4, "", "")
    added = library.add(cbz(tmp_path, "new", "Umi", "3"))
    assert (added.series, added.number) == ("Umi", "3")


def test_a_folder_of_unrelated_books_is_no_series():
    from m2m_reader.ui.library_source import LibraryEntry
    from m2m_reader.ui.shelves import series_of

    def entry(path, title, series=""):
        return LibraryEntry(path=path, title=title, pages=3, series=series)

    books = [
        entry("/d/Downloads/summer.cbz", "Summer Rain"),
        entry("/d/Downloads/tsuki.cbz", "月夜の約束"),
        entry("/d/Haru/vol1.cbz", "はじまり"),  # titles differ, file names begin alike
        entry("/d/Haru/vol2.cbz", "つづき"),
        entry("/d/Mix/a.cbz", "Umi 1", series="Umi"),  # names its own series
        entry("/d/Mix/b.cbz", "Other"),  # alone without one
    ]
    assert series_of(books) == {
        "/d/Downloads/summer.cbz": "",
        "/d/Downloads/tsuki.cbz": "",
        "/d/Haru/vol1.cbz": "Haru",
        "/d/Haru/vol2.cbz": "Haru",
        "/d/Mix/a.cbz": "Umi",
        "/d/Mix/b.cbz": "",
    }


SHOW_ITEMS_CHILD = """
import json, sys
from PySide6.QtCore import ClassInfo, QObject, QTimer, QUrl, Slot
from PySide6.QtDBus import QDBusConnection
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication
from m2m_reader.ui.library_menu import show_items as _show_items

app = QApplication(sys.argv[:1])


@ClassInfo({"D-Bus Interface": "org.freedesktop.FileManager1"})
class FileManager(QObject):  # what Nautilus, Dolphin, Nemo and Caja offer
    seen = []

    @Slot("QStringList", str)
    def ShowItems(self, uris, startup_id):
        self.seen.append(list(uris))


class Opened(QObject):
    urls = []

    @Slot(QUrl)
    def show(self, url):
        self.urls.append(url.toLocalFile())


bus = QDBusConnection.sessionBus()
fm, opened = FileManager(), Opened()
QDesktopServices.setUrlHandler("file", opened, "show")
bus.registerService("org.freedesktop.FileManager1")
bus.registerObject("/org/freedesktop/FileManager1", fm, QDBusConnection.RegisterOption.ExportAllSlots)
_show_items(app, "file:///books/Haru/vol1.cbz", QUrl.fromLocalFile("/books/Haru"))


def without_file_manager():
    bus.unregisterObject("/org/freedesktop/FileManager1")
    bus.unregisterService("org.freedesktop.FileManager1")
    _show_items(app, "file:///books/Umi/a.cbz", QUrl.fromLocalFile("/books/Umi"))
    QTimer.singleShot(1500, done)


def done():
    print(json.dumps({"selected": fm.seen, "opened": opened.urls}), flush=True)
    app.quit()


QTimer.singleShot(1000, without_file_manager)
app.exec()
"""


@pytest.mark.skipif(shutil.which("dbus-run-session") is None, reason="no dbus-run-session")
def test_show_in_folder_selects_the_book_in_the_file_manager_or_opens_its_folder():
    out = subprocess.run(
        ["dbus-run-session", "--", sys.executable, "-c", SHOW_ITEMS_CHILD],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )  # fmt: skip
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["selected"] == [["file:///books/Haru/vol1.cbz"]]  # asked to select the book
    assert seen["opened"] == ["/books/Umi"]  # no file manager on the bus: the folder opens
