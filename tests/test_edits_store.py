"""A person's edits are never lost: concurrent `edit` commands, the reader and a
terminal at once, edits files of earlier versions, damaged and locked databases."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bookfactory import three_scene_book
from test_engine_doubles import FakeMusic, wait_for
from test_library import folder_book

from m2m_reader.cli import main
from m2m_reader.engine.analysis.edits import DB_NAME, EditStore
from m2m_reader.engine.books import open_book
from m2m_reader.engine.core.cache import DiskCache
from m2m_reader.engine.core.database import DatabaseInUse
from m2m_reader.engine.core.paths import data_dir
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.session.engine import Engine
from m2m_reader.engine.session.reading_speed import ReadingSpeed

ROOT = Path(__file__).resolve().parents[1]

# Each child imports the command line first, then waits for the go file, so that the
# ten edits really start together (not one after another as each process starts up).
CHILD = """
import os, sys, time
from m2m_reader.cli import main
go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.002)
sys.exit(main(sys.argv[2:]))
"""


def test_ten_edit_commands_at_once_keep_ten_edits(tmp_path):
    book = folder_book(tmp_path, "Ten Hands", pages=10)
    with open_book(book) as b:  # an earlier version's edits, imported by one of the ten
        legacy = _legacy(b.fingerprint, {"version": 1, "edits": {"scenes": {"starts": [0, 5]}}})
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                str(go),
                "edit",
                str(book),
                "caption",
                str(page),
                f"caption number {page}",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for page in range(1, 11)
    ]
    time.sleep(1.5)  # let them import and wait
    go.write_text("")
    results = [c.communicate(timeout=60) for c in children]
    assert [c.returncode for c in children] == [0] * 10, results
    with open_book(book) as b:
        edits = EditStore(b.fingerprint)
        assert [edits.caption(p) for p in range(10)] == [
            f"caption number {p + 1}" for p in range(10)
        ]
        assert edits.scenes() == [0, 5] and len(edits.all()) == 11
    assert not legacy.exists() and legacy.with_name(legacy.name + ".migrated").exists()
    assert main(["edit", str(book), "show"]) == 0


def test_two_processes_editing_keep_each_others_edits():
    # Two stores on one database behave as two processes do (two connections).
    reader, terminal = EditStore("book"), EditStore("book")
    reader.set_caption(1, "the reader's caption")
    terminal.set_directive(0, 3, "a harp in the rain")
    assert reader.directive(0, 3) == "a harp in the rain"  # seen on the next read
    assert reader.refresh() == {"directive:0-3"}  # and named for the engine to redo
    assert reader.refresh() == set()
    reader.set_caption(2, "another")  # written with a stale view: nothing is lost
    terminal.set_caption(1, "the terminal's caption")
    reader.set_caption(3, "a third")
    assert reader.refresh() == {"caption:1"}
    assert EditStore("book").all() == {
        "caption:1": {"text": "the terminal's caption"},
        "caption:2": {"text": "another"},
        "caption:3": {"text": "a third"},
        "directive:0-3": {"text": "a harp in the rain"},
    }
    terminal.clear()
    assert reader.caption(2) is None and reader.refresh() == {
        "caption:1",
        "caption:2",
        "caption:3",
        "directive:0-3",
    }
    assert EditStore("another book").all() == {}


def _engine(music: FakeMusic) -> Engine:
    return Engine(
        Settings(), audio=False, store=DiskCache(limit_mb=0), music=music,
        speed=ReadingSpeed(persist=False),
    )  # fmt: skip


def test_the_running_reader_takes_in_an_edit_made_in_a_terminal():
    music = FakeMusic()
    engine = _engine(music)
    try:
        book = three_scene_book()
        engine.open(book)
        engine.prepare_all()
        assert engine.wait_idle(10)
        engine.edit_caption(1, "the reader's own caption")
        terminal = EditStore(book.fingerprint)
        terminal.set_caption(6, "a kazoo from the terminal")
        before = len(music.calls)
        # the engine's watcher picks it up within a second or so
        assert wait_for(lambda: engine.analysis().page(6).caption == "a kazoo from the terminal")
        assert wait_for(lambda: 6 in music.calls[before:])
        assert engine.wait_idle(10)
        assert music.requests[-1].caption == "a kazoo from the terminal"
        # the reader's copy did not overwrite the terminal's edit, nor the other way
        engine.edit_caption(2, "another one from the reader")
        assert EditStore(book.fingerprint).caption(6) == "a kazoo from the terminal"
        assert EditStore(book.fingerprint).caption(1) == "the reader's own caption"
        terminal.set_scenes([0, 6])  # scenes move: every scene is made again
        assert wait_for(lambda: [s.first_page for s in engine.analysis().scenes] == [0, 6])
    finally:
        engine.close()


def test_a_terminal_edit_command_reaches_the_open_reader(tmp_path):
    path = folder_book(tmp_path, "Open Book", pages=6)
    music = FakeMusic()
    engine = _engine(music)
    try:
        engine.open(open_book(path))
        engine.prepare_all()
        assert engine.wait_idle(10)
        engine.edit_caption(0, "the reader's caption")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "m2m_reader.cli", "edit", str(path), "caption", "4", "a kazoo"]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert wait_for(lambda: engine.analysis().page(3).caption == "a kazoo")
        assert engine.analysis().page(0).caption == "the reader's caption"
        engine.edit_caption(5, "the reader again")  # its copy of the edits is not stale
        shown = subprocess.run([*cmd[:5], "show"], env=env, capture_output=True, text=True)
        assert json.loads(shown.stdout) == {
            "caption:0": {"text": "the reader's caption"},
            "caption:3": {"text": "a kazoo"},
            "caption:5": {"text": "the reader again"},
        }
    finally:
        engine.close()


def _legacy(fingerprint: str, blob: object) -> Path:
    path = data_dir() / "edits" / f"{fingerprint}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(blob if isinstance(blob, str) else json.dumps(blob), "utf-8")
    return path


def test_an_earlier_versions_edits_file_is_imported_without_loss():
    edits = {
        "scenes": {"starts": [0, 4, 8]},
        "directive:4-7": {"text": "Taiko drums at 140 BPM"},
        "caption:2": {"text": "soft rain"},
        "emotions:3": {"profile": {"happiness": 0.7, "sadness": 0.3}},
    }
    path = _legacy("fp", {"version": 1, "edits": edits})
    store = EditStore("fp")
    assert store.all() == edits
    assert not path.exists() and path.with_name("fp.json.migrated").exists()
    store.set_caption(2, "heavy rain")
    assert EditStore("fp").caption(2) == "heavy rain"  # imported once, not again


def test_an_edits_file_with_bad_values_is_set_aside_keeping_the_good_ones(caplog):
    path = _legacy(
        "fp",
        {
            "version": 1,
            "edits": {
                "caption:2": {"text": "soft rain"},
                "caption:x": {"text": "no page"},
                "emotions:1": {"profile": {"happiness": "lots"}},
                "directive:0-3": {"text": "Ethereal strings"},
            },
        },
    )
    with caplog.at_level(logging.WARNING):
        store = EditStore("fp")
    assert store.all() == {
        "caption:2": {"text": "soft rain"},
        "directive:0-3": {"text": "Ethereal strings"},
    }
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "kept 2 good edits" in warnings[0]
    assert not path.exists() and len(list(path.parent.glob("fp.json.bad-*"))) == 1


def test_an_unreadable_edits_file_is_one_warning_line_not_a_traceback(tmp_path):
    book = folder_book(tmp_path, "Broken Edits", pages=3)
    with open_book(book) as b:
        path = _legacy(b.fingerprint, "{broken")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "m2m_reader.cli", "edit", str(book), "caption", "1", "a new start"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "page 1: caption set" in done.stdout
    assert done.stderr.count("\n") == 1 and "none kept, set the file aside" in done.stderr
    assert not path.exists() and list(path.parent.glob(f"{path.name}.bad-*"))
    with open_book(book) as b:
        assert EditStore(b.fingerprint).caption(0) == "a new start"


def test_a_damaged_edits_database_is_set_aside(caplog):
    path = data_dir() / DB_NAME
    path.write_bytes(b"this is not sqlite at all" * 100)
    with caplog.at_level(logging.WARNING):
        store = EditStore("fp")
    store.set_caption(0, "fresh")
    assert EditStore("fp").caption(0) == "fresh"
    assert any("damaged" in r.getMessage() for r in caplog.records)
    assert list(path.parent.glob(f"{DB_NAME}.bad-*"))


def test_a_locked_edits_database_is_in_use_not_damaged():
    EditStore("fp").set_caption(0, "kept")
    path = data_dir() / DB_NAME
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a change
    try:
        store = EditStore("fp", timeout=0.2)
        assert store.caption(0) == "kept"  # reading goes on meanwhile
        with pytest.raises(DatabaseInUse, match="in use by another program"):
            store.set_caption(1, "waits, then gives up")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not list(path.parent.glob("*.bad-*"))
    store.set_caption(1, "now it goes in")
    assert EditStore("fp").all() == {
        "caption:0": {"text": "kept"},
        "caption:1": {"text": "now it goes in"},
    }
