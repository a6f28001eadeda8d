"""The app's one "prepare for offline": what the library window and the reader both ask.

A book the reader has open is prepared on the reader's own engine (it is not opened
again and no second engine is built for it); any other book is queued on the
library's prepare service, which makes an engine for it off the reader's way. The
two hand over: a book being prepared in the background that the reader then opens
moves to the reader's engine, and a book the reader leaves while it prepares goes
on in the background. Progress and the result are signals, so both windows see
them, and either may stop it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from ..engine.core.cancel import CancelToken
from ..engine.library import PrepareEngine
from .library_source import LibrarySource
from .tasks import Runner

log = logging.getLogger(__name__)


class Live(Protocol):
    """Where the reader's engine is found (the bridge): None before it has started."""

    @property
    def engine(self) -> object: ...


def _book_of(engine: object) -> tuple[str, str] | None:
    """The resolved path and the fingerprint of the book `engine` has open (None: none)."""
    book = getattr(engine, "book", None)
    path = getattr(book, "path", None)
    if path is None:
        return None
    return str(Path(path).resolve()), str(getattr(book, "fingerprint", ""))


class _Job(CancelToken):
    """One book's preparing. Stops when the person stops it; a job on the reader's
    engine also stops when that engine opens another book, and one in the background
    when the reader's engine opens this book (`switched` says which). A book is the
    same by its path or its fingerprint (a Manga109 book added by its images opens as
    its XML)."""

    __slots__ = ("_live", "fingerprint", "on_live", "path", "switched")

    def __init__(self, path: str, live: Live | None) -> None:
        super().__init__()
        self.path, self._live = path, live
        self.fingerprint = ""  # learned on the worker, from the library
        self.on_live = False
        self.switched = ""  # "moved" or "handed over", as the preparing thread saw it

    def reader_engine(self) -> PrepareEngine | None:
        """The reader's engine if it has this book open."""
        engine = self._live.engine if self._live is not None else None
        opened = _book_of(engine)
        if opened is None or not isinstance(engine, PrepareEngine):
            return None
        same = opened[0] == self.path or (self.fingerprint and opened[1] == self.fingerprint)
        return engine if same else None

    @property
    def cancelled(self) -> bool:
        if self._event.is_set():
            return True
        if not self.switched and self.on_live != (self.reader_engine() is not None):
            self.switched = "moved" if self.on_live else "handed over"
        return bool(self.switched)


class Preparer(QObject):
    """Prepares books for offline reading, one queue for the whole app.

    Args:
        source: the library the books are in.
        live: the bridge to the reader's engine (None: a library window alone).
    """

    # From the preparing thread; Qt queues them to the UI thread.
    progress = Signal(str, int, int)  # path, pages with music, pages
    finished = Signal(str, object)  # path, pages with music or the error's sentence
    _ended = Signal(str, object, object)  # path, job, result (internal)

    def __init__(
        self, source: LibrarySource, live: Live | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.source, self.live = source, live
        self.jobs: dict[str, _Job] = {}  # path -> the job preparing it (resolved paths)
        self.runner = Runner(threads=1, parent=self)  # queuing asks the library (disk)
        self._ended.connect(self._end)

    def is_preparing(self, path: str) -> bool:
        return str(Path(path).resolve()) in self.jobs

    def prepare(self, path: str) -> None:
        """Prepare the book at `path` (nothing new if it is being prepared already)."""
        resolved = str(Path(path).resolve())
        if resolved in self.jobs:
            return
        job = self.jobs[resolved] = _Job(resolved, self.live)

        def progress(done: int, total: int) -> None:  # the preparing thread
            self.progress.emit(path, done, total)

        def done(result: int | BaseException) -> None:  # the preparing thread
            self._ended.emit(path, job, result)

        def start() -> None:  # a worker: which book it is, and on which engine
            job.fingerprint = self.source.fingerprint_of(path) or ""
            engine = job.reader_engine()
            job.on_live = engine is not None
            self.source.prepare(path, progress, done, engine, job)

        self.runner.run(start, on_error=lambda message: self._ended.emit(path, job, message))

    def cancel(self, path: str) -> None:
        job = self.jobs.pop(str(Path(path).resolve()), None)
        if job is not None:
            job.cancel("stopped by the person")

    def _end(self, path: str, job: _Job, result: object) -> None:
        resolved = str(Path(path).resolve())
        if self.jobs.get(resolved) is job:
            del self.jobs[resolved]
            if job.switched and not job.reason:
                # The reader opened this book, or left it: go on with the other engine.
                log.info("preparing %s: %s", path, job.switched)
                self.prepare(path)
                return
        self.finished.emit(path, str(result) if isinstance(result, BaseException) else result)
