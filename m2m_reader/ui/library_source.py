"""Where the library window gets its books: the engine's library when there is one.

`LibrarySource` is what the window needs: list, add, remove, record progress. Every
method may touch disk and is called off the UI thread. `JsonLibrary` is a small
stand-in kept in the data folder (title, pages, progress, a cover thumbnail) for when
`m2m_reader.engine.library` is not available; `open_source()` picks one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from ..engine import paths
from ..engine.atomic import write_text
from ..engine.books import open_book

log = logging.getLogger(__name__)
COVER_HEIGHT = 360


@dataclass
class LibraryEntry:
    path: str
    title: str
    pages: int
    page: int = 0  # where the person left off
    last_read: float = 0.0  # epoch seconds; 0: never opened
    cached: float = 0.0  # share of the soundtrack ready offline, 0..1
    cover: str = ""  # a PNG thumbnail of the first page
    fingerprint: str = ""

    @property
    def progress(self) -> float:
        return 0.0 if self.pages <= 1 else min(1.0, self.page / (self.pages - 1))


class LibrarySource(Protocol):
    def entries(self) -> list[LibraryEntry]: ...

    def add(self, path: str) -> LibraryEntry: ...

    def remove(self, path: str) -> None: ...

    def set_progress(self, path: str, page: int) -> None: ...


def make_cover(book_path: str, out_dir: Path) -> tuple[LibraryEntry, Path]:
    """Open a book, thumbnail its first page into `out_dir`, and describe it."""
    with open_book(book_path) as book:
        cover = out_dir / f"{book.fingerprint}.png"
        if not cover.exists() and len(book):
            try:
                im = book.image(0)
                if im.width > im.height * 1.2:  # a spread: the cover is its right half
                    im = im.crop((im.width // 2, 0, im.width, im.height))
                im.thumbnail((COVER_HEIGHT, COVER_HEIGHT))
                im.save(cover, "PNG")
            except Exception as exc:  # noqa: BLE001 - a book without a cover still reads
                log.info("no cover for %s: %s", book_path, exc)
        entry = LibraryEntry(
            path=str(Path(book_path).resolve()),
            title=book.title,
            pages=len(book),
            cover=str(cover) if cover.exists() else "",
            fingerprint=book.fingerprint,
        )
    return entry, cover


class JsonLibrary:
    """The library as a JSON file in the data folder, covers beside it."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or paths.data_dir()
        self.file = self.folder / "library-ui.json"
        self.covers = self.folder / "covers"
        self._lock = threading.Lock()

    def _read(self) -> dict[str, LibraryEntry]:
        try:
            raw = json.loads(self.file.read_text("utf-8"))
            return {d["path"]: LibraryEntry(**d) for d in raw}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning("library file %s is unreadable (%s); starting empty", self.file, exc)
            return {}

    def _write(self, items: dict[str, LibraryEntry]) -> None:
        write_text(self.file, json.dumps([asdict(e) for e in items.values()], indent=1))

    def entries(self) -> list[LibraryEntry]:
        with self._lock:
            return list(self._read().values())

    def add(self, path: str) -> LibraryEntry:
        self.covers.mkdir(parents=True, exist_ok=True)
        entry, _ = make_cover(path, self.covers)
        with self._lock:
            items = self._read()
            old = items.get(entry.path)
            if old is not None:
                entry.page, entry.last_read, entry.cached = old.page, old.last_read, old.cached
            items[entry.path] = entry
            self._write(items)
        return entry

    def remove(self, path: str) -> None:
        with self._lock:
            items = self._read()
            items.pop(str(Path(path).resolve()), None)
            self._write(items)

    def set_progress(self, path: str, page: int) -> None:
        with self._lock:
            items = self._read()
            entry = items.get(str(Path(path).resolve()))
            if entry is None:
                return
            entry.page, entry.last_read = page, time.time()
            self._write(items)


def open_source() -> LibrarySource:
    """The engine's library if it is installed, else the JSON stand-in."""
    try:
        from . import engine_library  # an adapter over m2m_reader.engine.library

        return engine_library.EngineLibrary()
    except ImportError:
        return JsonLibrary()
