"""sqlite databases in the data folder: one writer at a time across processes.

The library and a person's edits live in sqlite (WAL journal, a busy timeout, writes in
`BEGIN IMMEDIATE` transactions), so that several m2m-reader processes — the reader and
a terminal, or ten `edit` commands at once — never lose each other's changes. A
database another program holds locked past the busy timeout is *in use*, never
*damaged*: only sqlite's own "not a database" or "malformed" answers mean damage.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from .errors import M2MError

BUSY_TIMEOUT_S = 10.0  # how long a write waits for another process's transaction

# sqlite's primary result codes (the low byte of an extended code)
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


class DatabaseError(M2MError):
    """A database could not be used; `str()` says why in one sentence."""


class DatabaseInUse(DatabaseError):
    """Another process held the database locked for longer than the busy timeout."""


class DatabaseDamaged(DatabaseError):
    """sqlite says the file is not a database, or a malformed one."""


def connect(path: Path, timeout: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit, see `write`) that
    may be used from any thread under the caller's lock."""
    db = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    db.row_factory = sqlite3.Row
    return db


def use_wal(db: sqlite3.Connection) -> None:
    """Readers never wait for a writer; a file system without WAL keeps its journal."""
    row = db.execute("PRAGMA journal_mode").fetchone()
    if row is not None and str(row[0]).lower() != "wal":
        db.execute("PRAGMA journal_mode=WAL")


@contextlib.contextmanager
def write(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (`BEGIN IMMEDIATE`: waits up to the busy
    timeout for another writer, and never fails half-way on a stale read)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def is_damaged(exc: BaseException) -> bool:
    code = _code(exc)
    if code is not None:
        return code in (_CORRUPT, _NOTADB)
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


def is_locked(exc: BaseException) -> bool:
    code = _code(exc)
    if code is not None:
        return code in (_BUSY, _LOCKED)
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


def explain(exc: sqlite3.Error, path: Path, what: str, timeout: float) -> DatabaseError:
    """One sentence for a person: in use, damaged, disk full, read-only or unreadable."""
    code = _code(exc)
    if is_locked(exc):
        return DatabaseInUse(
            f"{path}: the {what} is in use by another program (still locked after "
            f"{timeout:g} s); try again when it has finished."
        )
    if is_damaged(exc):
        return DatabaseDamaged(f"{path}: the {what} is damaged ({exc}).")
    if code == _FULL:
        return DatabaseError(f"{path}: the disk is full, so the {what} cannot be saved.")
    if code == _READONLY:
        return DatabaseError(f"{path}: the {what} is read-only, so changes cannot be saved.")
    if code == _CANTOPEN:
        return DatabaseError(f"{path}: the {what} cannot be opened (check the folder exists).")
    if code == _IOERR:
        return DatabaseError(f"{path}: the disk failed while using the {what} ({exc}).")
    return DatabaseError(f"{path}: the {what} could not be used ({exc}).")


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF
