"""Where the library window gets its books: the engine's sqlite library.

`LibrarySource` is what the window needs: list, add, remove, record progress and the
soundtrack's readiness, prepare a book for offline reading. `EngineLibrary` adapts
`m2m_reader.engine.library.Library` to it. Every method may touch disk and is called
off the UI thread; `prepare` queues the book on the library's one prepare service
(`engine.library.prepare`) and reports through callbacks (which `library_prepare`
turns into signals).

"Ready offline" is checked, not remembered: a prepared book's cue keys are kept in
`DATA/offline/`, and each listing counts how many of them the cache still holds (a
pruned or cleared cache, or its size limit, takes the badge away again).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..engine.books import open_book
from ..engine.core import paths
from ..engine.core.atomic import atomic_writer
from ..engine.core.cache import DiskCache
from ..engine.core.cancel import CancelToken
from ..engine.core.errors import M2MError
from ..engine.core.settings import Settings
from ..engine.library import Library, LibraryBook, PrepareEngine, PrepareService

log = logging.getLogger(__name__)


@dataclass
class LibraryEntry:
    """One card of the grid: a plain copy of a library row, safe to hand across threads."""

    path: str
    title: str
    pages: int
    page: int = 0  # where the person left off
    last_read: float = 0.0  # epoch seconds; 0: never opened
    cached: float = 0.0  # share of the soundtrack ready offline, 0..1
    cover: bytes | None = None  # a PNG thumbnail of the first page
    id: int = 0
    series: str = ""  # from the book (ComicInfo Series); "" when it does not say
    number: str = ""  # its number in the series
    added: float = 0.0  # epoch seconds
    verified: bool = False  # `cached` was counted in the cache, not just reported

    @property
    def progress(self) -> float:
        return 0.0 if self.pages <= 1 else min(1.0, self.page / (self.pages - 1))

    @property
    def offline_ready(self) -> bool:
        """Every page's music is in the cache (counted there, not just reported)."""
        return self.verified and self.pages > 0 and self.cached >= 0.999


Progress = Callable[[int, int], None]
Finished = Callable[[int | BaseException], None]


class LibrarySource(Protocol):
    def entries(self) -> list[LibraryEntry]: ...

    def add(self, path: str) -> LibraryEntry: ...

    def remove(self, path: str) -> None: ...

    def set_progress(self, path: str, page: int) -> None: ...

    def fingerprint_of(self, path: str) -> str | None: ...

    def set_music_pages(self, path: str, pages: int) -> None: ...

    def prepare(
        self,
        path: str,
        progress: Progress,
        on_done: Finished,
        engine: PrepareEngine | None = None,
        cancel: CancelToken | None = None,
    ) -> CancelToken: ...


def entry_of(book: LibraryBook, cached: float | None = None) -> LibraryEntry:
    """The card for `book`; `cached` is the share of its cues found in the cache (None:
    not checked, the count the reader or `prepare` reported)."""
    return LibraryEntry(
        path=book.path,
        title=book.title,
        pages=book.pages,
        page=book.page,
        last_read=book.last_opened,
        cached=book.cached_fraction if cached is None else cached,
        cover=book.cover,
        id=book.id,
        series=book.series,
        number=book.number,
        added=book.added,
        verified=cached is not None,
    )


def _resolved(path: str) -> str:
    return str(Path(path).expanduser().resolve())


class EngineLibrary:
    """The engine's library behind the window's interface.

    Args:
        library: the library (default: the one in the user data folder).
        settings: what an engine made for "prepare for offline" uses.
        make_engine: builds that engine (tests pass a double); it runs on the
            preparing thread, never on the UI thread.
    """

    def __init__(
        self,
        library: Library | None = None,
        settings: Settings | None = None,
        make_engine: Callable[[], PrepareEngine] | None = None,
    ) -> None:
        self._library = library
        self.settings = settings or Settings()
        self.make_engine: Callable[[], PrepareEngine] = make_engine or self._engine
        self._service: PrepareService | None = None
        self._aliases: dict[str, int] = {}  # another path of a book -> its id

    @property
    def library(self) -> Library:
        # Opened on first use, which is on a worker: the window never waits for sqlite.
        if self._library is None:
            self._library = Library()
        return self._library

    def open_library(self) -> Library:
        """The library, opened now if it was not (call it off the UI thread)."""
        return self.library

    def _engine(self) -> PrepareEngine:
        from ..engine.session.engine import Engine

        # No sound for a book being prepared, and the composer in a child process so
        # that its work does not compete with the reader for the interpreter.
        return Engine(self.settings, audio=False, music_process=True)

    def _id(self, path: str) -> int | None:
        """The library's id of the book at `path`, also when the library has it under
        another path (a Manga109 book added by its images opens as its XML)."""
        resolved = _resolved(path)
        found = self.library.find(resolved)
        if found is not None:
            return found.id
        if resolved not in self._aliases:
            try:
                with open_book(resolved) as book:
                    same = self.library.find_same(book)
            except M2MError:
                return None
            if same is None:
                return None
            self._aliases[resolved] = same.id
        return self._aliases[resolved]

    def entries(self) -> list[LibraryEntry]:
        books = self.library.books()
        present: set[str] | None = None
        out = []
        for b in books:
            keys = self._cue_keys(b.path) if b.music_pages > 0 else None
            if keys is None:
                out.append(entry_of(b))
                continue
            if present is None:  # one listing of the cache for the whole library
                present = {e.key for e in DiskCache().entries() if e.kind == "audio"}
            found = sum(1 for k in keys.values() if k in present)
            out.append(entry_of(b, min(1.0, found / b.pages) if b.pages else 0.0))
        return out

    # -- cue keys of prepared books (DATA/offline/<hash of the path>.json) -------------
    @staticmethod
    def _keys_path(path: str) -> Path:
        digest = hashlib.sha256(_resolved(path).encode("utf-8")).hexdigest()[:24]
        return paths.data_dir() / "offline" / f"{digest}.json"

    def _cue_keys(self, path: str) -> dict[str, str] | None:
        try:
            data = json.loads(self._keys_path(path).read_text("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("the prepared cues of %s are unreadable (%s)", path, exc)
            return None
        keys = data.get("cues") if isinstance(data, dict) else None
        if not isinstance(keys, dict):
            return None
        return {str(p): str(k) for p, k in keys.items()}

    def _row_path(self, path: str) -> str:
        """The path the library has the book under (the cues are kept by it)."""
        book_id = self._id(path)
        return self.library.get(book_id).path if book_id is not None else _resolved(path)

    def record_cues(self, path: str, keys: dict[int, str]) -> None:
        """Remember the cache keys of the book's cues (after a prepare or a read)."""
        if not keys:
            return
        path = self._row_path(path)
        known = self._cue_keys(path) or {}
        known.update({str(p): k for p, k in keys.items()})
        target = self._keys_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(target, "w") as fh:
            json.dump({"path": _resolved(path), "cues": known}, fh, indent=0, sort_keys=True)

    def change_stamp(self) -> tuple[int, ...]:
        """Changes whenever the library database is written, by any process."""
        stamp: list[int] = []
        for suffix in ("", "-wal"):
            try:
                st = Path(f"{self.library.path}{suffix}").stat()
            except OSError:
                stamp += [0, 0]
            else:
                stamp += [st.st_mtime_ns, st.st_size]
        return tuple(stamp)

    def add(self, path: str) -> LibraryEntry:
        return entry_of(self.library.add(path))

    def remove(self, path: str) -> None:
        book_id = self._id(path)
        if book_id is not None:
            self.library.remove(book_id)
        self._keys_path(path).unlink(missing_ok=True)

    def fingerprint_of(self, path: str) -> str | None:
        """The fingerprint of the book at `path` as the library has it (None: not there)."""
        book_id = self._id(path)
        return self.library.get(book_id).fingerprint if book_id is not None else None

    def page_of(self, path: str) -> int | None:
        """Where the person left off in the book at `path` (None: not in the library)."""
        book_id = self._id(path)
        return self.library.get(book_id).page if book_id is not None else None

    def set_progress(self, path: str, page: int) -> None:
        book_id = self._id(path)
        if book_id is not None:
            self.library.set_progress(book_id, page)

    def set_music_pages(self, path: str, pages: int) -> None:
        """How many pages have music, as the reader's engine reports it."""
        book_id = self._id(path)
        if book_id is not None:
            self.library.set_music_pages(book_id, pages)

    @property
    def service(self) -> PrepareService:
        """The one queue of books being prepared (made on first use, on a worker)."""
        if self._service is None:
            self._service = PrepareService(self.library, self.make_engine)
        return self._service

    def prepare(
        self,
        path: str,
        progress: Progress,
        on_done: Finished,
        engine: PrepareEngine | None = None,
        cancel: CancelToken | None = None,
    ) -> CancelToken:
        """Queue the book's whole soundtrack (adding the book to the library if it is
        not there): on `engine` when it has the book open already (the reader's), else
        on one made for it; progress and the result come on the preparing thread."""
        book_id = self._id(path)
        if book_id is None:  # opened from the command line before it was added
            book_id = self.library.add(path).id

        def keep_cues(used: PrepareEngine) -> None:  # the preparing thread
            cue_keys = getattr(used, "cue_keys", None)
            if callable(cue_keys):
                try:
                    self.record_cues(path, cue_keys())
                except OSError as exc:
                    log.warning("cannot keep the prepared cues of %s (%s)", path, exc)

        return self.service.submit(book_id, progress, on_done, engine, keep_cues, cancel)


def open_source(settings: Settings | None = None) -> LibrarySource:
    """The library in the user data folder (opened lazily, off the UI thread)."""
    return EngineLibrary(settings=settings)
