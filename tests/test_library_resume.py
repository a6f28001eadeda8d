"""Where a person left off is the library's: a missing or damaged UI state file never
resets it, and the book reopens at its page (offscreen Qt, the real library)."""

from __future__ import annotations

import json
import logging

import pytest
from test_library import folder_book
from ui_support import library_app

from m2m_reader.engine.library import Library
from m2m_reader.ui.library_source import EngineLibrary
from m2m_reader.ui.prefs import Prefs


@pytest.fixture
def setup(tmp_path):
    book = folder_book(tmp_path, "Long Read", pages=12)
    lib_path = tmp_path / "library.sqlite3"
    entry = Library(lib_path).add(book)
    return book, lib_path, entry, tmp_path / "ui.json"


def open_app(qtbot, lib_path, ui_json):
    return library_app(qtbot, Prefs(ui_json), lib_path)


def read_to(qtbot, app, book, page):
    app.open_book(str(book))
    qtbot.waitUntil(lambda: app.reader.book is not None, timeout=10_000)
    app.reader.set_layout("single")
    app.reader.go_to_page(page)
    app.reader.set_direction(app.reader.direction)  # some window state to keep
    app.reader.close()  # writes the UI state file
    app.runner.wait(5000)
    assert ui_json_of(app).exists()
    app.library.writer.wait(5000)
    app.shutdown()


def ui_json_of(app):
    return app.prefs.path


def reopen(qtbot, lib_path, ui_json, book, page=-1):
    app = open_app(qtbot, lib_path, ui_json)
    app.open_book(str(book), page)
    qtbot.waitUntil(lambda: app.reader.book is not None, timeout=10_000)
    return app


def saved(lib_path, entry) -> int:
    return Library(lib_path).get(entry.id).page


def test_the_book_reopens_at_its_page_with_the_ui_state_file_deleted(qtbot, setup):
    book, lib_path, entry, ui_json = setup
    read_to(qtbot, open_app(qtbot, lib_path, ui_json), book, 7)
    assert saved(lib_path, entry) == 7
    ui_json.unlink()
    app = reopen(qtbot, lib_path, ui_json, book)
    assert app.reader.page == 7
    app.library.writer.wait(5000)
    assert saved(lib_path, entry) == 7
    app.shutdown()


@pytest.mark.parametrize("damage", ["{not json", "[1, 2]", '{"books": 3}', "\x00\xff" * 40])
def test_a_damaged_ui_state_file_costs_no_progress(qtbot, setup, damage, caplog):
    book, lib_path, entry, ui_json = setup
    read_to(qtbot, open_app(qtbot, lib_path, ui_json), book, 9)
    ui_json.write_text(damage, "utf-8", errors="surrogateescape")
    with caplog.at_level(logging.WARNING):
        app = reopen(qtbot, lib_path, ui_json, book)
    assert app.reader.page == 9
    app.library.writer.wait(5000)
    assert saved(lib_path, entry) == 9
    warnings = [r.getMessage() for r in caplog.records if "window state" in r.getMessage()]
    assert len(warnings) == 1 and "set aside" in warnings[0]
    assert list(ui_json.parent.glob("ui.json.bad-*"))
    app.shutdown()


def test_a_card_opens_at_the_librarys_page_not_the_ui_state_files(qtbot, setup):
    book, lib_path, entry, ui_json = setup
    # an earlier version kept a page in the UI state file; the library's row wins
    fingerprint = EngineLibrary(Library(lib_path)).library.get(entry.id).fingerprint
    ui_json.write_text(json.dumps({"books": {fingerprint: {"page": 2, "direction": "ltr"}}}))
    Library(lib_path).set_progress(entry.id, 5)
    app = reopen(qtbot, lib_path, ui_json, book, page=5)  # as the library window asks
    assert app.reader.page == 5
    assert app.reader.direction == "ltr"  # window state is still read from the file
    app.reader.next_spread()
    app.library.writer.wait(5000)
    assert saved(lib_path, entry) == 6
    assert Prefs(ui_json).book(fingerprint) == {"direction": "ltr"}  # no page kept there
    app.shutdown()


def test_a_library_that_cannot_say_keeps_its_page(qtbot, setup, monkeypatch):
    book, lib_path, entry, ui_json = setup
    Library(lib_path).set_progress(entry.id, 4)

    def in_use(self, path):
        raise RuntimeError("the library database is in use by another program")

    monkeypatch.setattr(EngineLibrary, "page_of", in_use)
    app = reopen(qtbot, lib_path, ui_json, book)
    assert app.reader.page == 0 and not app.reader.position_known
    app.reader.set_layout("double")  # a relayout is not the person choosing a page
    app.library.writer.wait(5000)
    assert saved(lib_path, entry) == 4  # the first page shown is not recorded
    app.shutdown()


def test_a_book_opened_from_the_command_line_keeps_its_page_and_direction(qtbot, tmp_path):
    book = folder_book(tmp_path, "Not Added", pages=10)  # `m2m-reader BOOK`, never added
    lib_path, ui_json = tmp_path / "library.sqlite3", tmp_path / "ui.json"
    app = open_app(qtbot, lib_path, ui_json)
    app.open_book(str(book))
    qtbot.waitUntil(lambda: app.reader.book is not None, timeout=10_000)
    qtbot.waitUntil(lambda: len(app.library.entries()) == 1, timeout=10_000)  # it joined
    app.reader.set_layout("single")
    other = "ltr" if app.reader.direction == "rtl" else "rtl"
    app.reader.set_direction(other)
    app.reader.go_to_page(6)
    app.reader.close()
    app.runner.wait(5000)
    app.library.writer.wait(5000)
    app.shutdown()
    fingerprint = app.reader.book.fingerprint
    assert Library(lib_path).book_state(fingerprint) == {"direction": other}  # in the library
    again = reopen(qtbot, lib_path, ui_json, book)
    assert (again.reader.page, again.reader.direction) == (6, other)
    again.shutdown()
