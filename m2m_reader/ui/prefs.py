"""The reader's own small memory: layout, cover offset, direction overrides, progress.

Kept as JSON next to the settings (`ui.json` in the config folder). Read once at
start; every change is saved by a background write (atomic), never on the UI thread.
Per-book entries are keyed by the book's fingerprint, so a moved file keeps them.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from ..engine import paths
from ..engine.atomic import atomic_writer

log = logging.getLogger(__name__)
FILE_NAME = "ui.json"


class Prefs:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.config_dir() / FILE_NAME
        self._lock = threading.Lock()
        self.data: dict[str, Any] = {}
        try:
            loaded = json.loads(self.path.read_text("utf-8"))
            if isinstance(loaded, dict):
                self.data = loaded
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            log.warning("reader preferences %s are unreadable (%s); starting fresh", self.path, exc)

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def set(self, name: str, value: Any) -> None:
        self.data[name] = value

    def book(self, fingerprint: str) -> dict[str, Any]:
        """The mutable per-book entry (direction override, last page, zoom)."""
        books = self.data.setdefault("books", {})
        return books.setdefault(fingerprint, {})

    def snapshot(self) -> str:
        return json.dumps(self.data, indent=1, sort_keys=True)

    def write(self, blob: str) -> None:
        """Write a snapshot taken on the UI thread; run this on a worker."""
        with self._lock, atomic_writer(self.path, "w") as fh:
            fh.write(blob)
