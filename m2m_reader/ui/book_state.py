"""What the reader remembers about each book: the person's choices for it.

Direction, reading mode (pages or the vertical strip), pairing shifts and bookmarks
live in the library (`book_states`, keyed by the book's fingerprint, so a moved file
keeps them and a book opened from the command line has them too), beside the book's
row that holds where the person left off: one owner per fact. The global settings
stand behind every entry: a book with no choice of its own reads as its own
ComicInfo, `default_direction` and `reader_layout` say. The UI state file keeps
window state only.

Earlier versions kept these choices in `reader_books.json` in the data folder: it is
moved into the library once, on the first start that finds it, and kept beside as
`reader_books.json.migrated` (a choice the library already holds is not overwritten).

The library is opened and read on a thread of its own as the reader starts; every
change is written by a background write (`snapshot` on the UI thread, `write` on a
worker), only the books that changed.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..engine.core import paths
from ..engine.core.errors import M2MError
from ..engine.library import STATE_KEYS, Library

log = logging.getLogger(__name__)
FILE_NAME = "reader_books.json"  # where earlier versions kept the choices
MIGRATED = ".migrated"
KEYS = STATE_KEYS  # what an entry may hold
LOAD_WAIT_S = 10.0  # how long a book's opening waits for the library's first read

State = dict[str, Any]


class BookStates:
    """The per-book choices, read from the library once and written back as they change.

    Args:
        path: the JSON file an earlier version kept (default: `DATA/reader_books.json`),
            moved into the library once.
        library: the library (or what opens it, on the loading thread); default the one
            in the user data folder.
    """

    def __init__(
        self, path: Path | None = None, library: Library | Callable[[], Library] | None = None
    ) -> None:
        self.path = path or paths.data_dir() / FILE_NAME
        self.data: dict[str, State] = {}
        self.library: Library | None = None
        self._open = library if library is not None else Library
        self._saved: dict[str, str] = {}  # fingerprint -> the entry as last handed to write
        self._lock = threading.Lock()
        self._loaded = threading.Event()
        threading.Thread(target=self._load, name="book-states", daemon=True).start()

    def _load(self) -> None:
        try:
            library = self._open if isinstance(self._open, Library) else self._open()
            stored = library.book_states()
            earlier = self._earlier_file()
            if earlier:
                fresh = {fp: s for fp, s in earlier.items() if fp not in stored}
                library.set_book_states(fresh)
                stored.update({fp: library.book_state(fp) for fp in fresh})
                self._set_aside(MIGRATED)
                log.info("moved the choices of %d books from %s into the library", len(fresh),
                         self.path)  # fmt: skip
            self.data = {fp: dict(s) for fp, s in stored.items()}
            self._saved = {fp: _key(s) for fp, s in self.data.items()}
            self.library = library
        except (M2MError, OSError) as exc:
            log.warning("the per-book reader choices cannot be read (%s); reading without them",
                        exc)  # fmt: skip
        finally:
            self._loaded.set()

    def _earlier_file(self) -> dict[str, State]:
        """The choices an earlier version kept in `reader_books.json` ({} when none)."""
        try:
            loaded = json.loads(self.path.read_text("utf-8"))
            if not isinstance(loaded, dict):
                raise ValueError("not a JSON object")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            aside = self._set_aside(f".bad-{time.strftime('%Y%m%d-%H%M%S')}")
            log.warning(
                "per-book reader choices %s are unreadable (%s)%s; starting without them",
                self.path,
                exc,
                f", set aside as {aside.name}" if aside is not None else "",
            )
            return {}
        return {
            str(fp): {k: v for k, v in entry.items() if k in KEYS}
            for fp, entry in loaded.items()
            if isinstance(entry, dict)
        }

    def _set_aside(self, suffix: str) -> Path | None:
        aside = self.path.with_name(f"{self.path.name}{suffix}")
        try:
            os.replace(self.path, aside)
        except OSError:
            return None
        return aside

    def wait_loaded(self, timeout: float = LOAD_WAIT_S) -> bool:
        return self._loaded.wait(timeout)

    def entry(self, fingerprint: str, earlier: State | None = None) -> State:
        """The mutable entry of a book; `earlier` (what an older version kept in the
        window state) seeds a book seen for the first time."""
        if not self._loaded.wait(LOAD_WAIT_S):
            log.warning("the library is slow to say the choices for this book")
        found = self.data.get(fingerprint)
        if found is None:
            found = {k: v for k, v in (earlier or {}).items() if k in KEYS}
            self.data[fingerprint] = found
        return found

    def snapshot(self) -> str:
        """The books whose choices changed since the last snapshot (on the UI thread)."""
        changed: dict[str, State] = {}
        with self._lock:
            for fp, entry in self.data.items():
                key = _key(entry)
                if self._saved.get(fp, _key({})) != key:
                    changed[fp] = entry
                    self._saved[fp] = key
        return json.dumps(changed, sort_keys=True)

    def write(self, blob: str) -> None:
        """Write a snapshot taken on the UI thread; run this on a worker."""
        states: dict[str, State] = json.loads(blob)
        if not states:
            return
        self._loaded.wait(LOAD_WAIT_S)
        try:
            if self.library is None:
                raise M2MError("the library could not be opened")
            self.library.set_book_states(states)
        except M2MError as exc:
            with self._lock:  # the next snapshot hands these over again
                for fp in states:
                    self._saved.pop(fp, None)
            log.warning("the per-book reader choices are not saved (%s)", exc)


def _key(state: State) -> str:
    """An entry as compared for changes: what the library would keep of it."""
    return json.dumps({k: v for k, v in state.items() if k in KEYS and v}, sort_keys=True)
