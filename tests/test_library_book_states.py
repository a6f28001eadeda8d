"""The reader's per-book choices live in the library: written back as they change, and
an earlier version's `reader_books.json` moved in once with nothing lost."""

from __future__ import annotations

import json

from m2m_reader.engine.core.paths import data_dir
from m2m_reader.engine.library import Library
from m2m_reader.ui.book_state import BookStates


def loaded(states: BookStates) -> BookStates:
    assert states.wait_loaded()
    return states


def test_choices_are_kept_in_the_library_and_come_back():
    states = loaded(BookStates())
    entry = states.entry("fp-1")
    entry.update(direction="ltr", bookmarks=[5, 2], mode="vertical")
    states.write(states.snapshot())
    assert Library().book_state("fp-1") == {
        "direction": "ltr",
        "mode": "vertical",
        "bookmarks": [2, 5],
    }
    again = loaded(BookStates())
    assert again.entry("fp-1") == {"direction": "ltr", "mode": "vertical", "bookmarks": [2, 5]}
    assert again.entry("fp-unknown") == {}  # no choice: the settings decide


def test_only_changed_books_are_handed_to_the_write():
    states = loaded(BookStates())
    states.entry("fp-a")["direction"] = "rtl"
    states.entry("fp-b")["bookmarks"] = [1]
    assert sorted(json.loads(states.snapshot())) == ["fp-a", "fp-b"]
    assert json.loads(states.snapshot()) == {}  # nothing new
    states.entry("fp-b")["bookmarks"] = []  # the last bookmark went
    assert json.loads(states.snapshot()) == {"fp-b": {"bookmarks": []}}


def test_an_earlier_reader_books_file_moves_into_the_library_once():
    old = data_dir() / "reader_books.json"
    old.parent.mkdir(parents=True, exist_ok=True)
    Library().set_book_states({"fp-kept": {"direction": "rtl"}})  # the library's is newer
    old.write_text(
        json.dumps(
            {
                "fp-old": {"direction": "ltr", "shifts": [3], "bookmarks": [7, 9], "zoom": 2},
                "fp-kept": {"direction": "ltr"},
                "junk": 4,
            }
        )
    )
    states = loaded(BookStates())
    assert states.entry("fp-old") == {"direction": "ltr", "shifts": [3], "bookmarks": [7, 9]}
    assert states.entry("fp-kept") == {"direction": "rtl"}
    assert not old.exists()
    kept = old.with_name("reader_books.json.migrated")
    assert json.loads(kept.read_text())["fp-old"]["bookmarks"] == [7, 9]  # nothing lost
    assert Library().book_state("fp-old") == {
        "direction": "ltr",
        "shifts": [3],
        "bookmarks": [7, 9],
    }
    # A second start reads the library, not the moved file.
    kept.write_text(json.dumps({"fp-old": {"direction": "rtl"}}))
    assert loaded(BookStates()).entry("fp-old")["direction"] == "ltr"


def test_a_damaged_earlier_file_is_set_aside_and_reading_goes_on(caplog):
    old = data_dir() / "reader_books.json"
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_text("{not json")
    states = loaded(BookStates())
    assert states.entry("fp-1") == {}
    assert list(old.parent.glob("reader_books.json.bad-*"))
    assert any("set aside" in r.getMessage() for r in caplog.records)


def test_a_library_that_cannot_be_opened_costs_the_choices_not_the_reading(tmp_path, caplog):
    bad = tmp_path / "library.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    states = loaded(BookStates(library=lambda: Library(bad)))
    states.entry("fp-1")["direction"] = "ltr"  # the book still reads with its choice
    states.write(states.snapshot())
    assert any("not saved" in r.getMessage() for r in caplog.records)
    assert json.loads(states.snapshot()) == {"fp-1": {"direction": "ltr"}}  # offered again
