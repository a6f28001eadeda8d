"""The library's schema steps: a file an older m2m-reader made opens with every book,
position and offline badge kept; a file from a newer one is refused and left alone."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from m2m_reader.engine.library import SCHEMA_VERSION, Library, LibraryError

# The books table as versions 1 and 2 made it (2 added series and number).
V1_BOOKS = """
CREATE TABLE books (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    pages INTEGER NOT NULL,
    cover BLOB,
    page INTEGER NOT NULL DEFAULT 0,
    added REAL NOT NULL,
    last_opened REAL NOT NULL DEFAULT 0,
    music_pages INTEGER NOT NULL DEFAULT 0
);
"""
V2_COLUMNS = (
    "ALTER TABLE books ADD COLUMN series TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE books ADD COLUMN number TEXT NOT NULL DEFAULT ''",
)
BOOKS = [  # path, title, pages, page (where the person left off), music pages
    ("/books/Alpha", "Alpha", 20, 7, 20),
    ("/books/Beta.cbz", "Beta", 12, 0, 5),
    ("/books/Gamma.pdf", "Gamma", 30, 29, 0),
]


def old_library(path, version: int) -> None:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(V1_BOOKS)
    if version >= 2:
        for sql in V2_COLUMNS:
            db.execute(sql)
    for i, (book, title, pages, page, music) in enumerate(BOOKS):
        db.execute(
            "INSERT INTO books (path, title, kind, fingerprint, pages, cover, page, added,"
            " last_opened, music_pages) VALUES (?, ?, 'folder', ?, ?, ?, ?, ?, ?, ?)",
            (book, title, f"fp-{title}", pages, b"\x89PNG", page, 100.0 + i, 200.0 - i, music),
        )
    if version >= 2:
        db.execute("UPDATE books SET series = 'Saga', number = '2' WHERE title = 'Beta'")
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_library_keeps_every_book_position_and_badge(tmp_path, version):
    path = tmp_path / "library.sqlite3"
    old_library(path, version)
    lib = Library(path)
    books = {b.title: b for b in lib.books()}
    assert sorted(books) == ["Alpha", "Beta", "Gamma"]
    for book, title, pages, page, music in BOOKS:
        kept = books[title]
        assert (kept.path, kept.pages, kept.page, kept.music_pages) == (book, pages, page, music)
        assert kept.cover == b"\x89PNG" and kept.fingerprint == f"fp-{title}"
    assert books["Alpha"].offline_ready and not books["Beta"].offline_ready
    assert (books["Beta"].series, books["Beta"].number) == (
        ("Saga", "2") if version == 2 else ("", "")
    )
    assert [b.title for b in lib.books()] == ["Alpha", "Beta", "Gamma"]  # recent order kept
    # the new step's table works, and the file now says it is current
    lib.set_book_states({"fp-Alpha": {"direction": "ltr", "bookmarks": [3, 1]}})
    assert Library(path).book_state("fp-Alpha") == {"direction": "ltr", "bookmarks": [1, 3]}
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_opening_a_current_library_again_changes_nothing(tmp_path):
    path = tmp_path / "library.sqlite3"
    Library(path)
    db = sqlite3.connect(path)
    tables = sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'"))
    db.close()
    assert tables == ["book_states", "books"]
    Library(path)  # no step runs twice (a second CREATE or ALTER would fail or duplicate)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_a_library_from_a_newer_version_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "library.sqlite3"
    old_library(path, 2)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 4}")
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(LibraryError) as err:
        Library(path)
    message = str(err.value)
    assert "newer m2m-reader" in message and "left as it is" in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_book_states_keep_only_what_the_person_chose(tmp_path):
    lib = Library(tmp_path / "library.sqlite3")
    lib.set_book_states(
        {
            "fp-a": {"direction": "rtl", "mode": "vertical", "shifts": [4], "bookmarks": []},
            "fp-b": {"direction": "sideways", "bookmarks": [2, "x", 2]},  # bad values dropped
        }
    )
    assert lib.book_states() == {
        "fp-a": {"direction": "rtl", "mode": "vertical", "shifts": [4]},
        "fp-b": {"bookmarks": [2]},
    }
    lib.set_book_states({"fp-b": {"bookmarks": []}})  # the last bookmark went
    assert lib.book_states() == {"fp-a": {"direction": "rtl", "mode": "vertical", "shifts": [4]}}
