"""What the engine needs of a cache, and an in-memory one for tests and one-shot runs.

Keys are content hashes made by `key()`: the hash of the stage, its version, the
backend and its settings, the prompt template and the inputs. The on-disk cache
(`core/cache.py`) implements the same `Store` protocol.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any, Protocol

import numpy as np


def key(*parts: Any) -> str:
    """A stable content hash of JSON-serialisable parts."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Store(Protocol):
    def get_json(self, key: str) -> Any | None: ...

    def put_json(self, key: str, value: Any) -> None: ...

    def get_audio(self, key: str) -> tuple[np.ndarray, int, dict[str, Any]] | None: ...

    def put_audio(self, key: str, audio: np.ndarray, rate: int, meta: dict[str, Any]) -> None: ...


class MemoryStore:
    """A dict-backed store; counts hits and misses so tests can assert reuse."""

    def __init__(self) -> None:
        self._json: dict[str, str] = {}
        self._audio: dict[str, tuple[np.ndarray, int, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_json(self, key: str) -> Any | None:
        with self._lock:
            blob = self._json.get(key)
            if blob is None:
                self.misses += 1
                return None
            self.hits += 1
            return json.loads(blob)

    def put_json(self, key: str, value: Any) -> None:
        with self._lock:
            self._json[key] = json.dumps(value)

    def get_audio(self, key: str) -> tuple[np.ndarray, int, dict[str, Any]] | None:
        with self._lock:
            hit = self._audio.get(key)
            if hit is None:
                self.misses += 1
                return None
            self.hits += 1
            return hit[0].copy(), hit[1], dict(hit[2])

    def put_audio(self, key: str, audio: np.ndarray, rate: int, meta: dict[str, Any]) -> None:
        with self._lock:
            self._audio[key] = (np.array(audio, copy=True), rate, dict(meta))
