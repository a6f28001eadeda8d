"""A library another process holds locked is "in use", never "damaged", and is never
replaced; a short lock is waited out."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time

import pytest
from test_engine_doubles import make_engine
from test_library import folder_book

from m2m_reader.cli import main
from m2m_reader.engine.core import database
from m2m_reader.engine.core.paths import data_dir
from m2m_reader.engine.library import FILE_NAME, Library, LibraryError


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Holder:
    """Another process in the middle of a write transaction on the library."""

    def __init__(self, path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("UPDATE books SET title = title")

    def release(self) -> None:
        self.db.execute("ROLLBACK")
        self.db.close()


def test_a_locked_library_is_in_use_not_damaged(tmp_path):
    lib = Library()
    entry = lib.add(folder_book(tmp_path, pages=5))
    lib.set_progress(entry.id, 3)
    path = data_dir() / FILE_NAME
    holder = Holder(path)
    try:
        busy = Library(timeout=0.2)  # opens and reads while the other one writes
        assert busy.get(entry.id).page == 3
        started = time.monotonic()
        with pytest.raises(LibraryError, match="in use by another program") as caught:
            busy.set_progress(entry.id, 4)
        assert time.monotonic() - started >= 0.15  # it waited before giving up
        assert "damaged" not in str(caught.value) and str(caught.value).count(".") >= 1
        before = _digest(path)
    finally:
        holder.release()
    assert _digest(path) == before  # nothing replaced, nothing set aside
    assert sorted(p.name for p in path.parent.iterdir() if "bad" in p.name) == []
    assert Library().get(entry.id).page == 3
    busy.set_progress(entry.id, 4)
    assert Library().get(entry.id).page == 4


def test_a_short_lock_is_waited_out(tmp_path):
    lib = Library()
    entry = lib.add(folder_book(tmp_path, pages=5))
    holder = Holder(data_dir() / FILE_NAME)
    threading.Timer(0.3, holder.release).start()
    Library(timeout=10).set_progress(entry.id, 2)  # waits for the other write to end
    assert Library().get(entry.id).page == 2


def test_the_command_line_says_in_use_in_one_line(tmp_path, capsys, monkeypatch):
    book = folder_book(tmp_path, "Locked Out", pages=3)
    assert main(["library", "add", str(book)]) == 0
    capsys.readouterr()
    monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 0.2)
    path = data_dir() / FILE_NAME
    holder = Holder(path)
    try:
        assert main(["library", "ls"]) == 0  # reading still works
        assert "Locked Out" in capsys.readouterr().out
        assert main(["library", "add", str(folder_book(tmp_path, "Another", pages=2))]) == 1
        err = capsys.readouterr().err
    finally:
        holder.release()
    assert err.count("\n") == 1 and "in use by another program" in err
    assert "damaged" not in err
    assert [b.title for b in Library().books()] == ["Locked Out"]


def test_a_library_file_that_is_not_a_database_is_damaged_and_left_alone(tmp_path):
    bad = tmp_path / "library.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    before = _digest(bad)
    with pytest.raises(LibraryError, match="library database is damaged"):
        Library(bad)
    assert _digest(bad) == before


def test_prepare_goes_on_while_another_process_holds_the_library(tmp_path, caplog):
    lib = Library(timeout=0.05)
    entry = lib.add(folder_book(tmp_path, pages=8))
    holder = Holder(data_dir() / FILE_NAME)
    seen = []

    def progress(done, total):
        seen.append(done)
        if done == total and holder.db is not None:
            holder.release()  # the other process finishes just before the last count
            holder.db = None

    engine = make_engine()
    try:
        with caplog.at_level(logging.INFO, logger="m2m_reader.engine.library"):
            assert lib.prepare(entry.id, engine, progress=progress) == 8
    finally:
        engine.close()
        if holder.db is not None:
            holder.release()
    assert seen[-1] == 8 and Library().get(entry.id).music_pages == 8
    assert any("in use by another program" in r.getMessage() for r in caplog.records)
