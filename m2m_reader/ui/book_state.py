"""What the reader remembers about each book: the person's choices for it.

Direction, reading mode (pages or the vertical strip), pairing shifts and bookmarks,
keyed by the book's fingerprint (a moved file keeps them), in `reader_books.json` in
the data folder: it is the person's data, kept apart from window state, so a lost UI
state file costs no bookmark. The global settings stand behind every entry: a book
with no choice of its own reads as `default_direction` and `reader_layout` say.
Read once at start; every change is written by a background write (atomic).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from ..engine.core import paths
from ..engine.core.atomic import atomic_writer

log = logging.getLogger(__name__)
FILE_NAME = "reader_books.json"
KEYS = ("direction", "mode", "shifts", "bookmarks")  # what an entry may hold


class BookStates:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.data_dir() / FILE_NAME
        self._lock = threading.Lock()
        self.data: dict[str, dict[str, Any]] = {}
        try:
            loaded = json.loads(self.path.read_text("utf-8"))
            if not isinstance(loaded, dict):
                raise ValueError("not a JSON object")
            self.data = {k: v for k, v in loaded.items() if isinstance(v, dict)}
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            aside = self.path.with_name(f"{self.path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                os.replace(self.path, aside)
            except OSError:
                aside = None  # type: ignore[assignment]
            log.warning(
                "per-book reader choices %s are unreadable (%s)%s; starting without them",
                self.path,
                exc,
                f", set aside as {aside.name}" if aside is not None else "",
            )

    def entry(self, fingerprint: str, earlier: dict[str, Any] | None = None) -> dict[str, Any]:
        """The mutable entry of a book; `earlier` (what an older version kept in the
        window state) seeds a book seen for the first time."""
        found = self.data.get(fingerprint)
        if found is None:
            found = {k: v for k, v in (earlier or {}).items() if k in KEYS}
            self.data[fingerprint] = found
        return found

    def snapshot(self) -> str:
        return json.dumps({k: v for k, v in self.data.items() if v}, indent=1, sort_keys=True)

    def write(self, blob: str) -> None:
        """Write a snapshot taken on the UI thread; run this on a worker."""
        with self._lock, atomic_writer(self.path, "w") as fh:
            fh.write(blob)
