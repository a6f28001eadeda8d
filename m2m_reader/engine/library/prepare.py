"""Prepare for offline: a book's whole soundtrack computed into the cache, with progress.

`prepare_book` runs one book on an engine, in the caller's thread: the engine of
`m2m-reader library prepare`, one made for the purpose, or the reader's own engine
when it has that very book open (`opened=True`: it is not opened again, so the
reader's cursor and music are left alone). The library's count of pages with music
follows as it goes; a page that fails again and again stops it with one sentence.

`PrepareService` is the one place a program prepares books in the background: one
worker thread takes the books in the order asked, one at a time (each on an engine
made for it and closed after, or on the engine the caller hands over), so asking for
ten books never builds ten engines. Each job has a cancel token, checked before it
starts and while it runs.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..books import default_direction, open_book
from ..books.model import Book
from ..core.cancel import CancelToken
from ..core.events import EngineError, Event
from ..core.settings import Settings
from .store import Library, LibraryError

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Listener = Callable[[Event], None]


@runtime_checkable
class PrepareEngine(Protocol):
    """What preparing needs of an engine (the live `Engine` and the test doubles)."""

    def open(self, book: Book, page: int = 0) -> None: ...

    def prepare_all(
        self, progress: Progress | None = None, cancel: CancelToken | None = None
    ) -> int: ...

    def close(self) -> None: ...


@runtime_checkable
class _Listened(Protocol):
    """An engine that tells of its errors (the live `Engine`)."""

    on_event: Listener | None


def prepare_book(
    library: Library,
    book_id: int,
    engine: PrepareEngine,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
    opened: bool = False,
) -> int:
    """Compute the whole soundtrack of a book with `engine`, keeping the library's count
    of pages with music up to date. Returns how many pages have music.

    Args:
        opened: the engine has this book open already (the reader's): it is not opened
            again and its event listener is left as it is.
    """
    entry = library.get(book_id)
    if not opened:
        settings = getattr(engine, "settings", None)  # the live engine's; else the defaults
        direction = default_direction(settings if isinstance(settings, Settings) else Settings())
        engine.open(open_book(entry.path, direction=direction), entry.page)
    store = getattr(engine, "store", None)
    skipped_before = getattr(store, "skipped_audio", 0)
    stop = _StopToken(cancel)
    lock = threading.Lock()
    best, errors, last = 0, 0, ""
    limit = 3 * entry.pages + 10  # errors with no new page: failing again and again
    listened = engine if not opened and isinstance(engine, _Listened) else None
    listener = listened.on_event if listened is not None else None

    def on_event(event: Event) -> None:
        nonlocal errors, last
        if isinstance(event, EngineError):
            with lock:
                errors += 1
                last = event.message
                if errors > limit:
                    stop.cancel("the same work failed again and again")
        if listener is not None:
            listener(event)

    def report(done: int, total: int) -> None:
        nonlocal best, errors
        with lock:
            if done > best:
                best, errors = done, 0
            # A page redone from the final scenes leaves the ready count a moment:
            # the bar a person watches never goes back.
            done = best
        if done and (done == total or done % 4 == 0):
            try:
                library.set_music_pages(book_id, done)
            except LibraryError as exc:  # in use a while: the count catches up later
                log.info("%s", exc)
        if progress is not None:
            progress(done, total)

    if listened is not None:
        listened.on_event = on_event
    try:
        done = engine.prepare_all(report, stop)
    finally:
        if listened is not None:
            listened.on_event = listener
    if getattr(store, "write_error", None) is not None:
        # Made, but not kept: a full or read-only cache skipped these writes.
        done = max(0, done - (getattr(store, "skipped_audio", 0) - skipped_before))
    library.set_music_pages(book_id, done)
    if stop.reason and not (cancel is not None and cancel.cancelled):
        raise LibraryError(
            f"preparing {entry.title} stopped after {done} of {entry.pages} pages: "
            f"{last.rstrip('.')}, again and again"
        )
    return done


class _StopToken(CancelToken):
    """A token `prepare_book` cancels itself, which also fires when the caller's does."""

    __slots__ = ("_outer",)

    def __init__(self, outer: CancelToken | None) -> None:
        super().__init__()
        self._outer = outer

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or (self._outer is not None and self._outer.cancelled)


Finished = Callable[[int | BaseException], None]


@dataclass
class _Job:
    book_id: int
    progress: Progress | None
    on_done: Finished | None
    token: CancelToken
    engine: PrepareEngine | None  # None: one is made for the job and closed after
    after: Callable[[PrepareEngine], None] | None  # on the worker, before the close


class PrepareService:
    """Books prepared in the background, one at a time, on one worker thread.

    Args:
        library: the library whose counts follow.
        make_engine: builds an engine for a job that brings none (on the worker).
    """

    def __init__(self, library: Library, make_engine: Callable[[], PrepareEngine]) -> None:
        self.library = library
        self.make_engine = make_engine
        self._jobs: deque[_Job] = deque()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def submit(
        self,
        book_id: int,
        progress: Progress | None = None,
        on_done: Finished | None = None,
        engine: PrepareEngine | None = None,
        after: Callable[[PrepareEngine], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> CancelToken:
        """Queue a book; returns the token that stops it (queued or running). `on_done`
        gets the pages with music, or the error, on the worker thread. `engine`: an
        engine that has the book open already (the reader's); it is not closed."""
        token = cancel if cancel is not None else CancelToken()
        with self._lock:
            self._jobs.append(_Job(book_id, progress, on_done, token, engine, after))
            self._idle.clear()
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="prepare", daemon=True)
                self._worker.start()
        return token

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every queued book is done (tests, the command line)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._jobs:
                    self._worker = None
                    self._idle.set()
                    return
                job = self._jobs.popleft()
            self._do(job)

    def _do(self, job: _Job) -> None:
        result: int | BaseException
        engine = job.engine
        try:
            if job.token.cancelled:  # stopped while it waited: nothing made, nothing lost
                result = self.library.get(job.book_id).music_pages
            else:
                if engine is None:
                    engine = self.make_engine()
                result = prepare_book(
                    self.library, job.book_id, engine, job.progress, job.token,
                    opened=job.engine is not None,
                )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - handed to on_done, never raised
            result = exc
        if engine is not None:
            if job.after is not None:
                try:
                    job.after(engine)
                except Exception:  # noqa: BLE001 - the result still reaches the caller
                    log.exception("after preparing book %s", job.book_id)
            if job.engine is None:
                engine.close()
        if job.on_done is not None:
            job.on_done(result)
