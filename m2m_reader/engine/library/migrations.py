"""The library's schema, step by step: `PRAGMA user_version` says which steps a file has.

A file made by an older m2m-reader is brought up to date when it is opened: each
missing step runs in a transaction of its own that also records its number, so a
step is either wholly there or not at all, and two processes opening the same old
file at once apply it once. A file from a newer m2m-reader is refused in one sentence
and left exactly as it is.

Add a step by appending to `STEPS`; never change one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from ..core import database

_BOOKS_V1 = """
CREATE TABLE IF NOT EXISTS books (
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
)
"""

_BOOK_STATES = """
CREATE TABLE IF NOT EXISTS book_states (
    fingerprint TEXT PRIMARY KEY,
    direction TEXT,   -- 'ltr' | 'rtl'; NULL: the book's own, else the setting's default
    mode TEXT,        -- 'paged' | 'vertical'; NULL: chosen from the pages and the setting
    shifts TEXT,      -- JSON list of the pages shown alone to move the spread pairing
    bookmarks TEXT,   -- JSON list of page indices
    changed REAL NOT NULL DEFAULT 0
)
"""


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")}


def _v1_books(db: sqlite3.Connection) -> None:
    db.execute(_BOOKS_V1)


def _v2_series(db: sqlite3.Connection) -> None:
    # Version 1 files made before the columns were named in the table itself may
    # already have them: only the missing ones are added.
    have = _columns(db, "books")
    for column in ("series", "number"):
        if column not in have:
            db.execute(f"ALTER TABLE books ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")


def _v3_book_states(db: sqlite3.Connection) -> None:
    db.execute(_BOOK_STATES)


# STEPS[n - 1] brings a file from version n - 1 to n.
STEPS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1_books, _v2_series, _v3_book_states)
SCHEMA_VERSION = len(STEPS)


def version_of(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def refuse_newer(version: int, path: Path, error: type[Exception]) -> None:
    if version > SCHEMA_VERSION:
        raise error(
            f"{path} was made by a newer m2m-reader (library version {version}; this one "
            f"reads up to {SCHEMA_VERSION}): update m2m-reader to use it; the file is left "
            "as it is."
        )


def upgrade(db: sqlite3.Connection, error: type[Exception], path: Path) -> int:
    """Apply every missing step in order, one transaction each; returns the version."""
    while True:
        with database.write(db):
            version = version_of(db)  # read again under the write lock: another may have run
            refuse_newer(version, path, error)
            if version >= SCHEMA_VERSION:
                return version
            STEPS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
