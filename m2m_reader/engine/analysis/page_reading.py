"""The page-reading stage: one cached `PageReading` per page of a book without annotations.

Keyed like every stage: (stage, version, the reader's settings — OCR engine and its
version, languages, face detector — the book's content fingerprint, the page, the
reading direction and language). Reopening a book reads nothing again. A page that
cannot be decoded reads as damaged (no text); a reader that cannot start (Tesseract
missing) is said once and the pages read as empty, as they did before this stage.

Transcripts are made from readings here too: balloons are dialogue (speaker
unknown, the cast is not known from pixels), caption boxes are narration, and sound
effects are kept as lines of their own so the emotion cues can hear them.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import threading
import weakref
from concurrent.futures import Future

from ..books.model import Book
from ..core.errors import M2MError, PageError
from ..core.store import Store, key
from ..reading import PageReader, PageReading
from .records import FaceReading, Line, PageTranscript

log = logging.getLogger(__name__)
STAGE = "reading"
VERSION = 1
SPEAKERS = {"balloon": "unknown", "shout": "unknown", "box": "narration", "note": "narration"}


def book_language(book: Book) -> str | None:
    """'en', 'ja' or None (detect from the script) from the book's metadata."""
    lang = (getattr(book, "language", None) or "").lower()[:2]
    return lang if lang in ("en", "ja") else None


READ_AHEAD = 2  # pages after the one asked for that the OCR pool reads meanwhile
NICE = 10  # the OCR pool's threads yield the CPU to the rest of the engine


class _ReadPool:
    """The OCR pool: daemon threads reading pages ahead of the ones asked for, so a
    reader moving forward finds its next pages read (and the cores both busy). Its
    own threads: analysis, music and page turns never queue behind it. At exit it
    stops taking pages and lets the one being read finish (Tesseract must not be torn
    down under a running recognition)."""

    def __init__(self, workers: int = 1) -> None:
        self._queue: queue.SimpleQueue[tuple[PageReadings, int, Future] | None] = (
            queue.SimpleQueue()
        )
        self._workers = workers
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._lock = threading.Lock()

    def submit(self, readings: PageReadings, page: int, future: Future) -> None:
        with self._lock:
            if self._stopping:
                future.cancel()
                readings._forget(page)
                return
            if not self._threads:
                for n in range(self._workers):
                    t = threading.Thread(target=self._run, name=f"m2m-ocr-{n}", daemon=True)
                    t.start()
                    self._threads.append(t)
                atexit.register(self.stop)
        self._queue.put((readings, page, future))

    def _run(self) -> None:
        # Reading ahead is background work: it gives the CPU to the page the reader is
        # on, its music and the composer (a nice level, per thread on Linux).
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        while True:
            item = self._queue.get()
            if item is None:
                return
            readings, page, future = item
            if self._stopping:
                future.cancel()
                readings._forget(page)
            else:
                readings._fulfil(page, future)
            # an idle thread must not hold the last book it read (and its engines)
            del item, readings, future

    def stop(self, timeout: float = 20.0) -> None:
        with self._lock:
            self._stopping = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        for t in threads:
            t.join(timeout)


_POOL = _ReadPool()
# Each open book's readings, so that any built-in text backend (the CLI and the engine
# make their own) reads a book's pages through the one cache and pool. The readings are
# held by their analysis, not by this table: when the analysis goes, the readings, the
# book and its Tesseract engines go too (a value holding its own weak key would keep
# both for ever). Keyed by the book's id; the readings hold the book, so while an entry
# lives its id is that book's.
_BY_BOOK: weakref.WeakValueDictionary[int, PageReadings] = weakref.WeakValueDictionary()


def readings_for(book: Book) -> PageReadings | None:
    """The readings of an open book, when an analysis of it made them."""
    readings = _BY_BOOK.get(id(book))
    return readings if readings is not None and readings.book is book else None


class PageReadings:
    """Reads and caches the pages of one book; safe to call from several threads.

    A page asked for is read at once on the asking thread (the cursor's page never
    waits behind others); the next `READ_AHEAD` pages go to the OCR pool. A page being
    read is never read twice: a second asker waits for the first reading.
    """

    def __init__(self, book: Book, store: Store, reader: PageReader | None = None) -> None:
        self.book = book
        self.store = store
        self._reader = reader
        self._failed: str | None = None
        self._lock = threading.Lock()
        self._inflight: dict[int, Future] = {}
        self._asked: set[int] = set()  # pages read or queued in this session
        self.computed = 0  # pages read (cache misses)
        if reader is None:  # the built-in reading of the book (not a model's)
            _BY_BOOK[id(book)] = self
            if not book.has_annotations:  # Tesseract loads while the book opens
                threading.Thread(target=self._warm, name="m2m-ocr-warm", daemon=True).start()

    def _warm(self) -> None:
        reader = self.reader()
        warm = getattr(reader, "warm", None)
        if callable(warm):
            try:
                warm(book_language(self.book))
            except Exception as exc:  # noqa: BLE001 - the first reading says what fails
                log.debug("warming the page reader: %s", exc)

    def reader(self) -> PageReader | None:
        with self._lock:
            if self._reader is None and self._failed is None:
                self._reader = self._start()
            return self._reader

    def _start(self) -> PageReader | None:
        """The built-in page reader (Tesseract), or None when it cannot start."""
        try:
            return PageReader()
        except M2MError as exc:
            self._failed = str(exc)
            log.warning("pages cannot be read: %s", exc)
            return None

    def settings_key(self) -> str:
        reader = self.reader()
        return reader.settings_key() if reader else f"unavailable:{self._failed}"

    def get(self, page: int) -> PageReading | None:
        """The page's reading (from the cache when it was read before); None when no
        reader can start."""
        if self.reader() is None:
            return None
        with self._lock:
            future = self._inflight.get(page)
            mine = future is None
            if future is None:
                future = self._inflight[page] = Future()
                self._asked.add(page)
        if mine:
            self._fulfil(page, future)
            self._read_ahead(page)
        return future.result()

    def _read_ahead(self, page: int) -> None:
        for q in range(page + 1, min(len(self.book), page + 1 + READ_AHEAD)):
            with self._lock:
                if q in self._asked:
                    continue
                self._asked.add(q)
                future = self._inflight[q] = Future()
            _POOL.submit(self, q, future)

    def _forget(self, page: int) -> None:
        """A page queued but never read (the pool stopped): asking again reads it."""
        with self._lock:
            self._inflight.pop(page, None)
            self._asked.discard(page)

    def _fulfil(self, page: int, future: Future) -> None:
        try:
            future.set_result(self._read(page))
        except BaseException as exc:  # handed to whoever waits for the page
            future.set_exception(exc)
        finally:
            with self._lock:
                self._inflight.pop(page, None)

    def _read(self, page: int) -> PageReading:
        reader = self.reader()
        assert reader is not None
        language = book_language(self.book)
        k = key(
            STAGE,
            VERSION,
            reader.settings_key(),
            self.book.fingerprint,
            {"page": page, "direction": self.book.direction, "language": language},
        )
        hit = self.store.get_json(k)
        if isinstance(hit, dict) and hit.get("stage") == STAGE and "data" in hit:
            return PageReading.from_dict(hit["data"])
        try:
            image = self.book.image(page)
            reading = reader.read(image, self.book.direction, language)
        except PageError as exc:
            log.warning("page %d: %s", page + 1, exc)
            reading = PageReading(damaged=True)
        with self._lock:
            self.computed += 1
        self.store.put_json(
            k, {"stage": STAGE, "version": VERSION, "backend": "builtin", "data": reading.to_dict()}
        )
        return reading


def transcript_from_reading(page: int, reading: PageReading) -> PageTranscript:
    """The page's transcript: its texts in reading order, its faces, its visual cues."""
    lines = []
    for t in reading.texts:
        kind = "shout" if t.kind == "balloon" and t.shape == "spiky" else t.kind
        joiner = "" if t.language == "ja" else " "
        text = joiner.join(part.strip() for part in t.text.splitlines() if part.strip())
        lines.append(
            Line(
                page=page,
                speaker=SPEAKERS.get(kind, "sfx"),
                text=text,
                kind=kind,
                box=list(t.box),
                confidence=t.confidence,
            )
        )
    faces = [FaceReading(box=f.box, id=f"read-{page}-{i}") for i, f in enumerate(reading.faces)]
    visual = {k: round(v, 4) for k, v in reading.visual().items()}
    return PageTranscript(index=page, lines=lines, faces=faces, visual=visual)


def scene_visual(visuals: list[dict[str, float] | None]) -> dict[str, float] | None:
    """The mean visual cues of a scene's read pages (None when none was read)."""
    read = [v for v in visuals if v]
    if not read:
        return None
    return {k: round(sum(v.get(k, 0.0) for v in read) / len(read), 4) for k in read[0]}
