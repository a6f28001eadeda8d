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


def _book_path(engine: object) -> str | None:
    """The resolved path of the book `engine` has open (None: none)."""
    book = getattr(engine, "book", None)
    path = getattr(book, "path", None)
    return str(Path(path).resolve()) if path is not None else None


class _Job(CancelToken):
    """One book's preparing. Stops when the person stops it; a job on the reader's
    engine also stops when that engine opens another book, and one in the background
    when the reader's engine opens this book (`switched` says which)."""

    __slots__ = ("_live", "on_live", "path", "switched")

    def __init__(self, path: str, live: Live | None, on_live: bool) -> None:
        super().__init__()
        self.path, self._live, self.on_live = path, live, on_live
        self.switched = ""  # "moved" or "handed over", as the preparing thread saw it

    def _reader_has_it(self) -> bool:
        engine = self._live.engine if self._live is not None else None
        return engine is not None and _book_path(engine) == self.path

    @property
    def cancelled(self) -> bool:
        if self._event.is_set():
            return True
        if not self.switched and self.on_live != self._reader_has_it():
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

    def _reader_engine(self, path: str) -> PrepareEngine | None:
        engine = self.live.engine if self.live is not None else None
        if engine is not None and _book_path(engine) == path:
            return engine  # type: ignore[return-value]  # the Engine, or a double of it
        return None

    def is_preparing(self, path: str) -> bool:
        return str(Path(path).resolve()) in self.jobs

    def prepare(self, path: str) -> None:
        """Prepare the book at `path` (nothing new if it is being prepared already)."""
        resolved = str(Path(path).resolve())
        if resolved in self.jobs:
            return
        engine = self._reader_engine(resolved)
        job = self.jobs[resolved] = _Job(resolved, self.live, on_live=engine is not None)

        def progress(done: int, total: int) -> None:  # the preparing thread
            self.progress.emit(path, done, total)

        def done(result: int | BaseException) -> None:  # the preparing thread
            self._ended.emit(path, job, result)

        self.runner.run(
            self.source.prepare, path, progress, done, engine, job,
            on_error=lambda message: self._ended.emit(path, job, message),
        )  # fmt: skip

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
