"""The library store: the books a person added, in sqlite in the user data folder.

Each book has its path, title, page count, a small cover thumbnail (PNG bytes), where
the person left off, when they last opened it, and how much of its soundtrack is
cached. Beside the books, `book_states` keeps what the person chose per book (reading
direction, paged or vertical, spread-pairing shifts, bookmarks), keyed by the book's
fingerprint so that a moved file, or a book opened from the command line, keeps them.

The database lives in the data folder, never in the cache: it is never evicted. Every
call opens its own short connection, so the library may be used from any thread. The
schema is versioned (`PRAGMA user_version`, see `migrations`): an older file is brought
up to date on opening, one numbered step per transaction; a newer one is refused.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..books import open_book
from ..books.model import Book
from ..core import database, paths
from ..core.cancel import CancelToken
from ..core.errors import M2MError
from . import migrations

if TYPE_CHECKING:
    from .prepare import PrepareEngine

COVER_PX = 256  # the thumbnail's longer side
FILE_NAME = "library.sqlite3"
SCHEMA_VERSION = migrations.SCHEMA_VERSION
STATE_KEYS = ("direction", "mode", "shifts", "bookmarks")  # what a book's state holds


class LibraryError(M2MError):
    """A library operation on a book that is not there, or a database that is in use,
    damaged, made by a newer version, or cannot be written."""


@dataclass(frozen=True)
class LibraryBook:
    id: int
    path: str
    title: str
    kind: str
    fingerprint: str
    pages: int
    cover: bytes | None  # PNG
    page: int  # where the person left off
    added: float
    last_opened: float
    music_pages: int  # pages whose music is cached
    series: str = ""  # the book's series when it says (ComicInfo), else ""
    number: str = ""  # its number in the series, as the book writes it

    @property
    def progress(self) -> float:
        return 0.0 if self.pages <= 1 else min(1.0, self.page / (self.pages - 1))

    @property
    def cached_fraction(self) -> float:
        return 0.0 if self.pages == 0 else min(1.0, self.music_pages / self.pages)

    @property
    def offline_ready(self) -> bool:
        return self.pages > 0 and self.music_pages >= self.pages


def cover_png(book: Book) -> bytes | None:
    """A small PNG of the first page (its right half for a right-to-left spread)."""
    if not len(book):
        return None
    try:
        im = book.image(0)
    except M2MError:
        return None  # a damaged cover; the book still reads
    if im.width > im.height * 1.2:
        half = (
            (im.width // 2, 0, im.width, im.height)
            if book.direction == "rtl"
            else (0, 0, im.width // 2, im.height)
        )
        im = im.crop(half)
    im = im.convert("RGB")
    im.thumbnail((COVER_PX, COVER_PX))
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    return buf.getvalue()


class Library:
    """The library database. `path` defaults to `DATA/library.sqlite3`.

    Several processes may use it at once (the reader, `library prepare`, a second
    window): writes are `BEGIN IMMEDIATE` transactions that wait up to `timeout`
    seconds for another's; one that is still locked then is "in use" (a
    `LibraryError`), never "damaged", and the file is never replaced.
    """

    def __init__(self, path: Path | None = None, timeout: float | None = None) -> None:
        self.path = Path(path) if path is not None else paths.data_dir() / FILE_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.timeout = database.BUSY_TIMEOUT_S if timeout is None else timeout
        self._write_lock = threading.Lock()
        with self._db() as db:
            # Reading needs no lock: a library another process is writing still opens.
            version = migrations.version_of(db)
            migrations.refuse_newer(version, self.path, LibraryError)
            if version == SCHEMA_VERSION:
                db.execute("SELECT id FROM books LIMIT 1").fetchall()  # damage shows here
                return
            database.use_wal(db)  # readers never wait for a writer
        with self._write_lock, self._db() as db:
            migrations.upgrade(db, LibraryError, self.path)

    @contextlib.contextmanager
    def _db(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A short connection: one write transaction (`write`), else plain reads. A
        sqlite failure comes out as one `LibraryError` sentence (in use, damaged, disk
        full, read-only)."""
        try:
            db = database.connect(self.path, self.timeout)
            try:
                if write:
                    with database.write(db):
                        yield db
                else:
                    yield db
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise LibraryError(
                str(database.explain(exc, self.path, "library database", self.timeout))
            ) from None

    # -- books --------------------------------------------------------------------

    def add(self, path: str | Path) -> LibraryBook:
        """Add the book at `path` (or refresh it if it is there); opens it to read its
        title, pages and cover. Raises `BookError` for a book that cannot be opened."""
        resolved = str(Path(path).expanduser().resolve())
        with open_book(resolved) as book:
            cover = cover_png(book)
            values = (book.title, book.kind, book.fingerprint, len(book), cover,
                      book.series or "", book.number or "")  # fmt: skip
        with self._db() as db:  # the same book by another path (a Manga109 XML or its images)
            same = db.execute(
                "SELECT path FROM books WHERE fingerprint = ? AND title = ? AND path != ?",
                (book.fingerprint, book.title, resolved),
            ).fetchone()
        if same is not None and Path(same[0]).exists():
            found = self.find(same[0])
            assert found is not None
            return found
        with self._write_lock, self._db(write=True) as db:
            db.execute(
                "INSERT INTO books (path, title, kind, fingerprint, pages, cover, series, number,"
                " added) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(path) DO UPDATE SET title=excluded.title, kind=excluded.kind,"
                " fingerprint=excluded.fingerprint, pages=excluded.pages, cover=excluded.cover,"
                " series=excluded.series, number=excluded.number",
                (resolved, *values, time.time()),
            )
        found = self.find(resolved)
        assert found is not None
        return found

    def books(self) -> list[LibraryBook]:
        """Every book, the most recently opened first, then the most recently added."""
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM books ORDER BY last_opened DESC, added DESC, id DESC"
            ).fetchall()
        return [_book(r) for r in rows]

    def get(self, book_id: int) -> LibraryBook:
        with self._db() as db:
            row = db.execute("SELECT * FROM books WHERE id = ?", (book_id,)).fetchone()
        if row is None:
            raise LibraryError(
                f"there is no book {book_id} in the library (see `m2m-reader library ls`)."
            )
        return _book(row)

    def find(self, path: str | Path) -> LibraryBook | None:
        resolved = str(Path(path).expanduser().resolve())
        with self._db() as db:
            row = db.execute("SELECT * FROM books WHERE path = ?", (resolved,)).fetchone()
        return _book(row) if row is not None else None

    def find_same(self, book: Book) -> LibraryBook | None:
        """The row of `book` by what it is (fingerprint and title), whatever its path."""
        with self._db() as db:
            row = db.execute(
                "SELECT * FROM books WHERE fingerprint = ? AND title = ? ORDER BY id LIMIT 1",
                (book.fingerprint, book.title),
            ).fetchone()
        return _book(row) if row is not None else None

    def remove(self, book_id: int) -> None:
        """Forget a book (its file, cache, edits and reading choices are left alone)."""
        self._update(book_id, "DELETE FROM books WHERE id = ?", ())

    def set_progress(self, book_id: int, page: int) -> None:
        """Where the person is; also marks the book as just opened."""
        self._update(
            book_id,
            "UPDATE books SET page = ?, last_opened = ? WHERE id = ?",
            (max(0, page), time.time()),
        )

    def set_music_pages(self, book_id: int, pages: int) -> None:
        self._update(book_id, "UPDATE books SET music_pages = ? WHERE id = ?", (max(0, pages),))

    def _update(self, book_id: int, sql: str, values: tuple[Any, ...]) -> None:
        with self._write_lock, self._db(write=True) as db:
            if db.execute(sql, (*values, book_id)).rowcount == 0:
                raise LibraryError(f"there is no book {book_id} in the library.")

    # -- what the person chose per book (by fingerprint) --------------------------

    def book_states(self) -> dict[str, dict[str, Any]]:
        """Every book's own choices, by fingerprint: only the keys the person set (a
        missing direction or mode means the settings' default decides)."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM book_states").fetchall()
        return {row["fingerprint"]: _state(row) for row in rows}

    def book_state(self, fingerprint: str) -> dict[str, Any]:
        with self._db() as db:
            row = db.execute(
                "SELECT * FROM book_states WHERE fingerprint = ?", (fingerprint,)
            ).fetchone()
        return _state(row) if row is not None else {}

    def set_book_states(self, states: dict[str, dict[str, Any]]) -> None:
        """Keep these books' choices, all in one transaction; an empty one is forgotten."""
        now = time.time()
        with self._write_lock, self._db(write=True) as db:
            for fingerprint, state in states.items():
                values = _state_values(state)
                if not any(v is not None for v in values):
                    db.execute("DELETE FROM book_states WHERE fingerprint = ?", (fingerprint,))
                    continue
                db.execute(
                    "INSERT INTO book_states (fingerprint, direction, mode, shifts, bookmarks,"
                    " changed) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(fingerprint) DO UPDATE SET"
                    " direction=excluded.direction, mode=excluded.mode, shifts=excluded.shifts,"
                    " bookmarks=excluded.bookmarks, changed=excluded.changed",
                    (fingerprint, *values, now),
                )

    # -- prepare for offline (the service is in `prepare`) ------------------------

    def prepare(
        self,
        book_id: int,
        engine: PrepareEngine,
        progress: Callable[[int, int], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> int:
        """`prepare.prepare_book` on this library: the book's whole soundtrack."""
        from .prepare import prepare_book

        return prepare_book(self, book_id, engine, progress, cancel)


def _pages(value: object) -> list[int]:
    return sorted({int(i) for i in value if isinstance(i, int)}) if isinstance(value, list) else []


def _state_values(state: dict[str, Any]) -> tuple[str | None, str | None, str | None, str | None]:
    """A state's columns: None for each the person has not set."""
    direction = state.get("direction")
    mode = state.get("mode")
    shifts, bookmarks = _pages(state.get("shifts")), _pages(state.get("bookmarks"))
    return (
        direction if direction in ("ltr", "rtl") else None,
        mode if mode in ("paged", "vertical") else None,
        json.dumps(shifts) if shifts else None,
        json.dumps(bookmarks) if bookmarks else None,
    )


def _state(row: sqlite3.Row) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for key in ("direction", "mode"):
        if row[key] is not None:
            state[key] = row[key]
    for key in ("shifts", "bookmarks"):
        if row[key] is not None:
            try:
                state[key] = _pages(json.loads(row[key]))
            except ValueError:
                continue  # a hand-edited value that is not JSON: as if not set
    return state


def _book(row: sqlite3.Row) -> LibraryBook:
    return LibraryBook(
        id=row["id"],
        path=row["path"],
        title=row["title"],
        kind=row["kind"],
        fingerprint=row["fingerprint"],
        pages=row["pages"],
        cover=row["cover"],
        page=row["page"],
        added=row["added"],
        last_opened=row["last_opened"],
        music_pages=row["music_pages"],
        series=row["series"],
        number=row["number"],
    )
