"""The reader's own small memory of its windows: layout, cover offset, direction
overrides.

Kept as JSON next to the settings (`ui.json` in the config folder). Read once at
start; every change is saved by a background write (atomic), never on the UI thread.
Per-book entries are keyed by the book's fingerprint, so a moved file keeps them.

Where a person left off in a book is *not* here: it is the library's (the book's row,
see `engine.library`), so a missing or damaged UI state file costs only window state,
never reading progress. A damaged file is set aside as `ui.json.bad-<time>` with one
warning and the reader starts from its defaults.
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
FILE_NAME = "ui.json"
NOT_STATE = ("page",)  # per-book keys earlier versions kept here; the library has them


class Prefs:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / FILE_NAME
        self._lock = threading.Lock()
        self.data: dict[str, Any] = {}
        try:
            loaded = json.loads(self.path.read_text("utf-8"))
            if not isinstance(loaded, dict):
                raise ValueError("not a JSON object")
            books = loaded.get("books")
            if books is not None and not isinstance(books, dict):
                raise ValueError("its books are not a JSON object")
            books = books if books is not None else {}
            for fingerprint, entry in list(books.items()):
                if not isinstance(entry, dict):
                    del books[fingerprint]
                    continue
                for key in NOT_STATE:
                    entry.pop(key, None)
            self.data = loaded
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            aside = self._set_aside()
            log.warning(
                "reader window state %s is unreadable (%s); %sstarting from the defaults",
                self.path,
                exc,
                f"set aside as {aside.name}, " if aside is not None else "",
            )

    def _set_aside(self) -> Path | None:
        aside = self.path.with_name(f"{self.path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(self.path, aside)
        except OSError:
            return None
        return aside

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def set(self, name: str, value: Any) -> None:
        self.data[name] = value

    def book(self, fingerprint: str) -> dict[str, Any]:
        """The mutable per-book entry (direction override, zoom)."""
        books = self.data.setdefault("books", {})
        return books.setdefault(fingerprint, {})

    def snapshot(self) -> str:
        return json.dumps(self.data, indent=1, sort_keys=True)

    def write(self, blob: str) -> None:
        """Write a snapshot taken on the UI thread; run this on a worker."""
        with self._lock, atomic_writer(self.path, "w") as fh:
            fh.write(blob)
