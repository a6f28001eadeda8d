"""Where the library window gets its books: the engine's sqlite library.

`LibrarySource` is what the window needs: list, add, remove, record progress and the
soundtrack's readiness, prepare a book for offline reading. `EngineLibrary` adapts
`m2m_reader.engine.library.Library` to it. Every method may touch disk and is called
off the UI thread; `prepare` runs on a thread of its own and reports through callbacks
(which the window turns into signals).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..engine.cancel import CancelToken
from ..engine.library import Library, LibraryBook
from ..engine.settings import Settings


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

    @property
    def progress(self) -> float:
        return 0.0 if self.pages <= 1 else min(1.0, self.page / (self.pages - 1))

    @property
    def offline_ready(self) -> bool:
        return self.pages > 0 and self.cached >= 0.999


Progress = Callable[[int, int], None]
Finished = Callable[[int | BaseException], None]


class LibrarySource(Protocol):
    def entries(self) -> list[LibraryEntry]: ...

    def add(self, path: str) -> LibraryEntry: ...

    def remove(self, path: str) -> None: ...

    def set_progress(self, path: str, page: int) -> None: ...

    def set_music_pages(self, path: str, pages: int) -> None: ...

    def prepare(self, path: str, progress: Progress, on_done: Finished) -> CancelToken: ...


def entry_of(book: LibraryBook) -> LibraryEntry:
    return LibraryEntry(
        path=book.path,
        title=book.title,
        pages=book.pages,
        page=book.page,
        last_read=book.last_opened,
        cached=book.cached_fraction,
        cover=book.cover,
        id=book.id,
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
        make_engine: Callable[[], Any] | None = None,
    ) -> None:
        self._library = library
        self.settings = settings or Settings()
        self.make_engine = make_engine or self._engine

    @property
    def library(self) -> Library:
        # Opened on first use, which is on a worker: the window never waits for sqlite.
        if self._library is None:
            self._library = Library()
        return self._library

    def _engine(self) -> Any:
        from ..engine.engine import Engine

        # No sound for a book being prepared, and the composer in a child process so
        # that its work does not compete with the reader for the interpreter.
        return Engine(self.settings, audio=False, music_process=True)

    def _id(self, path: str) -> int | None:
        found = self.library.find(_resolved(path))
        return found.id if found is not None else None

    def entries(self) -> list[LibraryEntry]:
        return [entry_of(b) for b in self.library.books()]

    def add(self, path: str) -> LibraryEntry:
        return entry_of(self.library.add(path))

    def remove(self, path: str) -> None:
        book_id = self._id(path)
        if book_id is not None:
            self.library.remove(book_id)

    def page_of(self, path: str) -> int | None:
        """Where the person left off in the book at `path` (None: not in the library)."""
        found = self.library.find(_resolved(path))
        return found.page if found is not None else None

    def set_progress(self, path: str, page: int) -> None:
        book_id = self._id(path)
        if book_id is not None:
            self.library.set_progress(book_id, page)

    def set_music_pages(self, path: str, pages: int) -> None:
        """How many pages have music, as the reader's engine reports it."""
        book_id = self._id(path)
        if book_id is not None:
            self.library.set_music_pages(book_id, pages)

    def prepare(self, path: str, progress: Progress, on_done: Finished) -> CancelToken:
        """Compute the book's whole soundtrack on a thread of its own."""
        book_id = self._id(path)
        if book_id is None:
            from ..engine.library import LibraryError

            raise LibraryError(f"{path} is not in the library.")
        return self.library.prepare_in_background(book_id, self.make_engine, progress, on_done)


def open_source(settings: Settings | None = None) -> LibrarySource:
    """The library in the user data folder (opened lazily, off the UI thread)."""
    return EngineLibrary(settings=settings)
