"""A person's edits to analysis records, kept in the user data folder (never evicted).

An edit overrides the computed record and survives re-runs: scene boundaries for the
book, a directive for a scene (by its page range), a caption or an emotion profile for
a page. Everything downstream of an edit is recomputed, because the edited text is an
input of the records that depend on it (their cache keys change), and nothing else.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from ..atomic import write_text
from ..emotions import EMOTIONS
from ..errors import RecordError
from ..paths import data_dir

EDITS_VERSION = 1


def scene_key(first_page: int, last_page: int) -> str:
    return f"{first_page}-{last_page}"


class EditStore:
    """Edits of one book, in `DATA/edits/<fingerprint>.json` (or `path`)."""

    def __init__(self, fingerprint: str, path: Path | None = None, *, memory: bool = False) -> None:
        self.path: Path | None = (
            None if memory else path or data_dir() / "edits" / f"{fingerprint}.json"
        )
        self._lock = threading.Lock()
        self._edits: dict[str, dict[str, Any]] = {}
        if self.path is not None and self.path.exists():
            try:
                blob = json.loads(self.path.read_text("utf-8"))
                self._edits = dict(blob.get("edits", {}))
            except (OSError, ValueError, AttributeError) as exc:
                raise RecordError(f"{self.path}: the edits file is damaged ({exc})") from exc

    @classmethod
    def in_memory(cls) -> EditStore:
        """Edits kept for this run only (tests, one-shot runs)."""
        return cls("", memory=True)

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        blob = {"version": EDITS_VERSION, "edits": self._edits}
        write_text(self.path, json.dumps(blob, ensure_ascii=False, indent=1, sort_keys=True))

    def _get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            value = self._edits.get(key)
            return dict(value) if value is not None else None

    def _set(self, key: str, value: dict[str, Any] | None) -> None:
        with self._lock:
            if value is None:
                self._edits.pop(key, None)
            else:
                self._edits[key] = value
            self._save()

    # -- typed accessors -----------------------------------------------------------

    def scenes(self) -> list[int] | None:
        v = self._get("scenes")
        return list(v["starts"]) if v else None

    def set_scenes(self, starts: list[int] | None) -> None:
        if starts is not None:
            if any(not isinstance(s, int) or s < 0 for s in starts):
                raise RecordError("scene starts must be page numbers from 0")
            starts = sorted(set(starts) | {0})
        self._set("scenes", None if starts is None else {"starts": starts})

    def directive(self, first_page: int, last_page: int) -> str | None:
        v = self._get(f"directive:{scene_key(first_page, last_page)}")
        return v["text"] if v else None

    def set_directive(self, first_page: int, last_page: int, text: str | None) -> None:
        key = f"directive:{scene_key(first_page, last_page)}"
        self._set(key, None if text is None else {"text": _clean(text)})

    def caption(self, page: int) -> str | None:
        v = self._get(f"caption:{page}")
        return v["text"] if v else None

    def set_caption(self, page: int, text: str | None) -> None:
        self._set(f"caption:{page}", None if text is None else {"text": _clean(text)})

    def emotions(self, page: int) -> dict[str, float] | None:
        v = self._get(f"emotions:{page}")
        return dict(v["profile"]) if v else None

    def set_emotions(self, page: int, profile: dict[str, float] | None) -> None:
        if profile is not None:
            unknown = set(profile) - set(EMOTIONS)
            if unknown:
                raise RecordError(f"unknown emotion classes: {', '.join(sorted(unknown))}")
        self._set(f"emotions:{page}", None if profile is None else {"profile": profile})

    def all(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return json.loads(json.dumps(self._edits))

    def clear(self) -> None:
        with self._lock:
            self._edits = {}
            self._save()


def _clean(text: str) -> str:
    text = " ".join(str(text).split())
    if not text:
        raise RecordError("an edit cannot be empty (clear it instead)")
    return text
