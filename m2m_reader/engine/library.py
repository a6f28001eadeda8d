"""The library: the books a person added, in sqlite in the user data folder.

Each book has its path, title, page count, a small cover thumbnail (PNG bytes), where
the person left off, when they last opened it, and how much of its soundtrack is
cached. `prepare()` computes a whole book's soundtrack (for reading offline) with
progress, in the caller's thread or, through `prepare_in_background()`, on its own.

The database lives in the data folder, never in the cache: it is never evicted. Every
call opens its own short connection, so the library may be used from any thread.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .books import open_book
from .books.model import Book
from .core import database, paths
from .core.cancel import CancelToken
from .core.errors import M2MError
from .core.events import EngineError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: series and number (ComicInfo)
COVER_PX = 256  # the thumbnail's longer side
FILE_NAME = "library.sqlite3"

_SCHEMA = """
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
    music_pages INTEGER NOT NULL DEFAULT 0,
    series TEXT NOT NULL DEFAULT '',
    number TEXT NOT NULL DEFAULT ''
);
"""
_ADDED_COLUMNS = {  # columns later versions added, for a library made by an earlier one
    "series": "TEXT NOT NULL DEFAULT ''",
    "number": "TEXT NOT NULL DEFAULT ''",
}


class LibraryError(M2MError):
    """A library operation on a book that is not there, or a database that is in use,
    damaged or cannot be written."""


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
            fresh = db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION
            if not fresh:
                db.execute("SELECT id FROM books LIMIT 1").fetchall()  # damage shows here
            else:
                database.use_wal(db)  # readers never wait for a writer
        if fresh:
            with self._db(write=True) as db:
                db.execute(_SCHEMA)
                have = {row["name"] for row in db.execute("PRAGMA table_info(books)")}
                for column, kind in _ADDED_COLUMNS.items():
                    if column not in have:
                        db.execute(f"ALTER TABLE books ADD COLUMN {column} {kind}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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

    def remove(self, book_id: int) -> None:
        """Forget a book (its file, cache and edits are left alone)."""
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

    # -- prepare for offline ------------------------------------------------------

    def prepare(
        self,
        book_id: int,
        engine: Any,
        progress: Callable[[int, int], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> int:
        """Compute the whole soundtrack of a book with `engine` (an `Engine`), keeping the
        cached count up to date. Returns how many pages have music."""
        entry = self.get(book_id)
        book = open_book(entry.path)
        engine.open(book, entry.page)
        store = getattr(engine, "store", None)
        skipped_before = getattr(store, "skipped_audio", 0)
        stop = _StopToken(cancel)
        lock = threading.Lock()
        state = {"best": 0, "errors": 0, "last": ""}
        limit = 3 * entry.pages + 10  # errors with no new page: failing again and again
        listener = getattr(engine, "on_event", None)

        def on_event(event: Any) -> None:
            if isinstance(event, EngineError):
                with lock:
                    state["errors"] += 1
                    state["last"] = event.message
                    if state["errors"] > limit:
                        stop.cancel("the same work failed again and again")
            if listener is not None:
                listener(event)

        def report(done: int, total: int) -> None:
            with lock:
                if done > state["best"]:
                    state["best"], state["errors"] = done, 0
                # A page redone from the final scenes leaves the ready count a moment:
                # the bar a person watches never goes back.
                done = state["best"]
            if done and (done == total or done % 4 == 0):
                try:
                    self.set_music_pages(book_id, done)
                except LibraryError as exc:  # in use a while: the count catches up later
                    log.info("%s", exc)
            if progress is not None:
                progress(done, total)

        engine.on_event = on_event
        try:
            done = engine.prepare_all(report, stop)
        finally:
            engine.on_event = listener
        if getattr(store, "write_error", None) is not None:
            # Made, but not kept: a full or read-only cache skipped these writes.
            done = max(0, done - (getattr(store, "skipped_audio", 0) - skipped_before))
        self.set_music_pages(book_id, done)
        if stop.reason and not (cancel is not None and cancel.cancelled):
            raise LibraryError(
                f"preparing {entry.title} stopped after {done} of {entry.pages} pages: "
                f"{str(state['last']).rstrip('.')}, again and again"
            )
        return done

    def prepare_in_background(
        self,
        book_id: int,
        make_engine: Callable[[], Any],
        progress: Callable[[int, int], None] | None = None,
        on_done: Callable[[int | BaseException], None] | None = None,
    ) -> CancelToken:
        """`prepare()` on a thread of its own; returns the token that stops it."""
        token = CancelToken()

        def run() -> None:
            result: int | BaseException
            engine = make_engine()
            try:
                result = self.prepare(book_id, engine, progress, token)
            except Exception as exc:  # noqa: BLE001 - handed to on_done, never raised
                result = exc
            finally:
                engine.close()
            if on_done is not None:
                on_done(result)

        threading.Thread(target=run, name=f"prepare-{book_id}", daemon=True).start()
        return token


class _StopToken(CancelToken):
    """A token `prepare` cancels itself, which also fires when the caller's does."""

    __slots__ = ("_outer",)

    def __init__(self, outer: CancelToken | None) -> None:
        super().__init__()
        self._outer = outer

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or (self._outer is not None and self._outer.cancelled)


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
