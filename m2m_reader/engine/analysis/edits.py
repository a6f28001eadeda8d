"""A person's edits to analysis records, kept in the user data folder (never evicted).

An edit overrides the computed record and survives re-runs: scene boundaries for the
book, a directive for a scene (by its page range), a caption or an emotion profile for
a page. Everything downstream of an edit is recomputed, because the edited text is an
input of the records that depend on it (their cache keys change), and nothing else.

Edits live in `DATA/edits.sqlite3`, one row per edit, each change in its own write
transaction: the reader and any number of `m2m-reader edit` commands may edit the same
book at once and every edit is kept (a change rewrites its own row, never a copy of the
others). A store sees what other processes changed on its next read, and `refresh()`
says which edits those were, so a running engine redoes what depends on them.

The edits files of earlier versions (`DATA/edits/<fingerprint>.json`) are imported on
first use and kept as `<fingerprint>.json.migrated`; a file with bad values is set aside
as `.bad-<time>` with one warning, its good edits imported.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from ..core import database
from ..core.errors import RecordError
from ..core.paths import data_dir
from .edit_values import clean, dump, import_legacy, set_aside, valid

log = logging.getLogger(__name__)

EDITS_VERSION = 1  # of the legacy JSON files
SCHEMA_VERSION = 1
DB_NAME = "edits.sqlite3"
LEGACY_DIR = "edits"


def scene_key(first_page: int, last_page: int) -> str:
    return f"{first_page}-{last_page}"


class EditStore:
    """Edits of one book, in `DATA/edits.sqlite3` (or the database at `path`).

    Args:
        fingerprint: the book's fingerprint (edits follow the book, not its file).
        path: the database (tests); earlier versions' files are looked for in
            `edits/` beside it.
        memory: keep the edits for this run only.
        timeout: how long a change waits for another process's change (seconds;
            default `database.BUSY_TIMEOUT_S`).
    """

    def __init__(
        self,
        fingerprint: str,
        path: Path | None = None,
        *,
        memory: bool = False,
        timeout: float | None = None,
    ) -> None:
        self.fingerprint = fingerprint
        self.path: Path | None = None if memory else Path(path or data_dir() / DB_NAME)
        self.timeout = database.BUSY_TIMEOUT_S if timeout is None else timeout
        self._lock = threading.RLock()
        self._edits: dict[str, dict[str, Any]] = {}
        self._pending: set[str] = set()  # changed by other processes, not yet refreshed
        self._version: int | None = None  # sqlite's data_version when last read
        self._warned: set[str] = set()
        self._db: sqlite3.Connection | None = None
        if self.path is not None:
            try:
                self._open()
                self._import_legacy()
                self._sync()
                self._pending.clear()
            except sqlite3.Error as exc:
                raise self._explain(exc) from None

    @classmethod
    def in_memory(cls) -> EditStore:
        """Edits kept for this run only (tests, one-shot runs)."""
        return cls("", memory=True)

    @property
    def legacy_path(self) -> Path | None:
        """Where an earlier version kept this book's edits (a JSON file)."""
        if self.path is None:
            return None
        return self.path.parent / LEGACY_DIR / f"{self.fingerprint}.json"

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __del__(self) -> None:
        # A sqlite3 connection sits in a reference cycle (its statement cache) and would
        # stay open until a garbage collection; a dropped store closes it at once.
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()

    # -- the database -------------------------------------------------------------

    def _explain(self, exc: sqlite3.Error) -> database.DatabaseError:
        assert self.path is not None
        return database.explain(exc, self.path, "edits database", self.timeout)

    def _open(self) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._prepare()
        except sqlite3.DatabaseError as exc:
            if not database.is_damaged(exc) or not _still_damaged(self.path):
                raise
            try:
                aside = set_aside(self.path, also=("-wal", "-shm"))
            except OSError as err:
                raise database.DatabaseDamaged(
                    f"{self.path}: the edits database is damaged ({exc}) and cannot be set "
                    f"aside ({err.strerror or err})."
                ) from None
            log.warning(
                "%s is damaged (%s); set aside as %s, edits start afresh", self.path, exc, aside
            )
            self._db = self._prepare()

    def _prepare(self) -> sqlite3.Connection:
        assert self.path is not None
        db = database.connect(self.path, self.timeout)
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                database.use_wal(db)
                with database.write(db):
                    db.execute(
                        "CREATE TABLE IF NOT EXISTS edits (book TEXT NOT NULL, key TEXT NOT NULL,"
                        " value TEXT NOT NULL, changed REAL NOT NULL, PRIMARY KEY (book, key))"
                    )
                    db.execute(
                        "CREATE TABLE IF NOT EXISTS imported (book TEXT NOT NULL,"
                        " source TEXT NOT NULL, stamp TEXT NOT NULL, at REAL NOT NULL,"
                        " PRIMARY KEY (book, source, stamp))"
                    )
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            else:
                db.execute("SELECT 1 FROM edits LIMIT 1").fetchall()  # damage shows here
        except BaseException:
            db.close()
            raise
        return db

    def _read_rows(self, db: sqlite3.Connection) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for row in db.execute("SELECT key, value FROM edits WHERE book = ?", (self.fingerprint,)):
            try:
                out[row["key"]] = valid(row["key"], json.loads(row["value"]))
            except (ValueError, TypeError, RecordError) as exc:
                if row["key"] not in self._warned:
                    self._warned.add(row["key"])
                    log.warning("%s: the edit %r is unreadable (%s); skipped", self.path, row["key"], exc)  # fmt: skip
        return out

    def _sync(self) -> None:
        """Take in what other processes changed since the last read (cheap when nothing
        did: sqlite's data_version says so without reading the table)."""
        db = self._db
        if db is None:
            return
        version = db.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return
        rows = self._read_rows(db)  # read after the version: at worst one reload too many
        self._absorb(rows, own=None)
        self._version = version

    def _absorb(self, rows: dict[str, dict[str, Any]], own: str | None) -> None:
        changed = {k for k in set(rows) | set(self._edits) if rows.get(k) != self._edits.get(k)}
        if own is not None:
            changed.discard(own)
        self._pending |= changed
        self._edits = rows

    def _get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            try:
                self._sync()
            except sqlite3.Error as exc:  # a reader goes on with what it last read
                log.debug("edits not re-read: %s", exc)
            value = self._edits.get(key)
            return json.loads(json.dumps(value)) if value is not None else None

    def _set(self, key: str, value: dict[str, Any] | None) -> None:
        self._change(key, value)

    def _change(self, key: str | None, value: dict[str, Any] | None) -> None:
        """Set or remove one edit (`key` None: remove every edit of the book)."""
        with self._lock:
            db = self._db
            if db is None:
                if key is None:
                    self._edits = {}
                elif value is None:
                    self._edits.pop(key, None)
                else:
                    self._edits[key] = value
                return
            try:
                with database.write(db):
                    if key is None:
                        db.execute("DELETE FROM edits WHERE book = ?", (self.fingerprint,))
                    elif value is None:
                        db.execute(
                            "DELETE FROM edits WHERE book = ? AND key = ?", (self.fingerprint, key)
                        )
                    else:
                        db.execute(
                            "INSERT INTO edits (book, key, value, changed) VALUES (?, ?, ?, ?)"
                            " ON CONFLICT(book, key) DO UPDATE SET value = excluded.value,"
                            " changed = excluded.changed",
                            (self.fingerprint, key, dump(value), time.time()),
                        )
                    # No other writer can commit inside this transaction: what is read
                    # here is every edit of the book, as of this change.
                    version = db.execute("PRAGMA data_version").fetchone()[0]
                    rows = self._read_rows(db)
            except sqlite3.Error as exc:
                raise self._explain(exc) from None
            if key is None:
                self._edits = rows  # every edit is gone, by this store's own hand
            else:
                self._absorb(rows, own=key)
            self._version = version

    def refresh(self) -> set[str]:
        """The keys of edits other processes made or removed since the last call."""
        with self._lock:
            try:
                self._sync()
            except sqlite3.Error as exc:
                log.debug("edits not re-read: %s", exc)
            changed, self._pending = self._pending, set()
            return changed

    # -- edits files of earlier versions ------------------------------------------

    def _import_legacy(self) -> None:
        if self.legacy_path is not None and self._db is not None:
            import_legacy(self._db, self.fingerprint, self.legacy_path)

    # -- typed accessors -----------------------------------------------------------

    def scenes(self) -> list[int] | None:
        v = self._get("scenes")
        return list(v["starts"]) if v else None

    def set_scenes(self, starts: list[int] | None) -> None:
        if starts is not None:
            if any(not isinstance(s, int) or isinstance(s, bool) or s < 0 for s in starts):
                raise RecordError("scene starts must be page numbers from 0")
            starts = sorted(set(starts) | {0})
        self._set("scenes", None if starts is None else {"starts": starts})

    def directive(self, first_page: int, last_page: int) -> str | None:
        v = self._get(f"directive:{scene_key(first_page, last_page)}")
        return v["text"] if v else None

    def set_directive(self, first_page: int, last_page: int, text: str | None) -> None:
        key = f"directive:{scene_key(first_page, last_page)}"
        self._set(key, None if text is None else {"text": clean(text)})

    def caption(self, page: int) -> str | None:
        v = self._get(f"caption:{page}")
        return v["text"] if v else None

    def set_caption(self, page: int, text: str | None) -> None:
        self._set(f"caption:{page}", None if text is None else {"text": clean(text)})

    def emotions(self, page: int) -> dict[str, float] | None:
        v = self._get(f"emotions:{page}")
        return dict(v["profile"]) if v else None

    def set_emotions(self, page: int, profile: dict[str, float] | None) -> None:
        if profile is not None:
            profile = valid("emotions:0", {"profile": profile})["profile"]
        self._set(f"emotions:{page}", None if profile is None else {"profile": profile})

    def all(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            try:
                self._sync()
            except sqlite3.Error as exc:
                log.debug("edits not re-read: %s", exc)
            return json.loads(json.dumps(self._edits))

    def clear(self) -> None:
        self._change(None, None)


def _still_damaged(path: Path) -> bool:
    """Checked again on a fresh connection, just before the file is set aside (another
    process may have set it aside and started afresh meanwhile)."""
    try:
        db = sqlite3.connect(path, timeout=1)
        try:
            answer = db.execute("PRAGMA quick_check").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return database.is_damaged(exc)
    return answer is not None and answer[0] != "ok"
