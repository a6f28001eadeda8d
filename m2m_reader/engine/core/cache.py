"""The on-disk, content-addressed cache: the `Store` the engine uses between runs.

Each entry is one file `objects/<2 hex>/<key>.<kind>`, laid out as

    MAGIC | sha256 of the rest (32 bytes) | header length (4 bytes, big-endian) | header | payload

where the header is JSON (kind, payload length, sample rate and meta for audio) and
the payload is the JSON record, or the audio as FLAC. Files are written through
`atomic.atomic_writer` (temp file, fsync, rename), so a kill -9 leaves at most a stray
temp file; and every read verifies the digest and lengths, so a torn or corrupt entry
is a miss and is removed, never used.

Least-recently-used eviction uses the file's modification time as its access time:
a read touches the file, and eviction deletes the oldest files until the cache fits
its limit. There is no index to damage, which is what makes it robust to kill -9.

A cache that cannot be written (a full or read-only disk, no permission) is not an
error: reads go on, writes are skipped, and one warning says so, once. Writing is
tried again after `RETRY_WRITE_S`, silently, in case space was freed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from . import paths
from .atomic import atomic_writer
from .errors import M2MError

log = logging.getLogger(__name__)

MAGIC = b"M2MC\x01"
_DIGEST = 32
_PREFIX = len(MAGIC) + _DIGEST + 4
_SAFE_KEY = re.compile(r"^[0-9A-Za-z_-]{1,128}$")
_KINDS = ("json", "audio")
STALE_TMP_S = 600  # a temp file older than this is a leftover of a killed writer
RETRY_WRITE_S = 60.0  # after a failed write, skip writes this long before trying again


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str  # "json" or "audio"
    size: int  # bytes on disk
    accessed: float  # seconds since the epoch
    path: Path


@dataclass(frozen=True)
class CacheStats:
    entries: int
    bytes: int
    json_entries: int
    audio_entries: int
    limit_bytes: int
    hits: int
    misses: int


class DiskCache:
    """A `Store` on disk with a size limit.

    Args:
        root: the cache folder; default `paths.cache_dir()`.
        limit_mb: evict least-recently-used entries beyond this size (0: no limit).
    """

    def __init__(self, root: Path | None = None, limit_mb: float = 2048) -> None:
        self.root = Path(root) if root is not None else paths.cache_dir(create=False)
        self.objects = self.root / "objects"
        self.limit_bytes = int(limit_mb * 1024 * 1024)
        self.hits = 0
        self.misses = 0
        self.write_error: str | None = None  # why writes failed, once they have
        self.skipped_writes = 0  # entries not kept because the cache could not be written
        self.skipped_audio = 0  # of which music cues
        self._retry_at = 0.0  # monotonic time before which writes are skipped
        self._lock = threading.Lock()
        self._size: int | None = None  # bytes on disk, counted on first need
        # No folder is made here: the first write makes it (or finds it cannot).

    # -- the Store protocol ---------------------------------------------------------

    def get_json(self, key: str) -> Any | None:
        found = self._read(key, "json")
        if found is None:
            return None
        _header, payload = found
        return json.loads(bytes(payload))

    def put_json(self, key: str, value: Any) -> None:
        payload = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self._write(key, "json", {}, payload)

    def get_audio(self, key: str) -> tuple[np.ndarray, int, dict[str, Any]] | None:
        found = self._read(key, "audio")
        if found is None:
            return None
        header, payload = found
        try:
            audio, rate = sf.read(io.BytesIO(payload), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
            self._discard(self._path(key, "audio"), f"undecodable audio ({exc})")
            self.hits -= 1
            self.misses += 1
            return None
        return audio, int(rate), dict(header.get("meta", {}))

    def put_audio(self, key: str, audio: np.ndarray, rate: int, meta: dict[str, Any]) -> None:
        data = np.asarray(audio, dtype=np.float32)
        buf = io.BytesIO()
        # FLAC stores integers: 24 bits keeps the quantisation far below audibility.
        sf.write(buf, np.clip(data, -1.0, 1.0), int(rate), format="FLAC", subtype="PCM_24")
        header = {"rate": int(rate), "meta": meta}
        self._write(key, "audio", header, buf.getbuffer())

    # -- maintenance ----------------------------------------------------------------

    def entries(self) -> list[Entry]:
        """Every entry, least recently used first (stray temp files are removed)."""
        out: list[Entry] = []
        now = time.time()
        for sub in _listing(self.objects):
            if not sub.is_dir():
                continue
            for path in _listing(sub):
                try:
                    st = path.stat()
                except FileNotFoundError:
                    continue
                if path.name.startswith(".tmp-"):
                    if now - st.st_mtime > STALE_TMP_S:
                        with contextlib.suppress(OSError):
                            path.unlink()
                    continue
                stem, _, kind = path.name.rpartition(".")
                if kind in _KINDS:
                    out.append(Entry(stem, kind, st.st_size, st.st_mtime, path))
        out.sort(key=lambda e: e.accessed)
        return out

    def size(self) -> int:
        """Bytes the entries take on disk."""
        with self._lock:
            if self._size is None:
                self._size = sum(e.size for e in self.entries())
            return self._size

    def stats(self) -> CacheStats:
        items = self.entries()
        total = sum(e.size for e in items)
        with self._lock:
            self._size = total
        return CacheStats(
            entries=len(items),
            bytes=total,
            json_entries=sum(e.kind == "json" for e in items),
            audio_entries=sum(e.kind == "audio" for e in items),
            limit_bytes=self.limit_bytes,
            hits=self.hits,
            misses=self.misses,
        )

    def prune(self, limit_bytes: int | None = None) -> int:
        """Delete least-recently-used entries until the cache fits; returns bytes freed."""
        limit = self.limit_bytes if limit_bytes is None else int(limit_bytes)
        items = self.entries()
        total = sum(e.size for e in items)
        freed = 0
        for entry in items:
            if total - freed <= limit:
                break
            try:
                entry.path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:  # a read-only cache: nothing can be freed
                raise CacheError(f"cannot prune the cache at {self.root}: {_reason(exc)}") from None
            freed += entry.size
        with self._lock:
            self._size = total - freed
        return freed

    def clear(self) -> None:
        """Remove every entry."""
        shutil.rmtree(self.objects, ignore_errors=True)
        left = self.entries()
        with self._lock:
            self._size = sum(e.size for e in left)
        if left:
            raise CacheError(
                f"cannot clear the cache at {self.root}: {len(left)} entries could not be deleted"
            )
        with contextlib.suppress(OSError):
            self.objects.mkdir(parents=True, exist_ok=True)

    # -- files ----------------------------------------------------------------------

    def _path(self, key: str, kind: str) -> Path:
        if not _SAFE_KEY.match(key):  # keys are hashes; anything else is hashed again
            key = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self.objects / key[:2] / f"{key}.{kind}"

    def _write(
        self, key: str, kind: str, header: dict[str, Any], payload: bytes | memoryview
    ) -> None:
        # The entry is written in pieces and hashed as it goes: joining megabytes of
        # audio into one blob would copy them while holding the interpreter lock, which
        # the audio callback needs every block.
        if self.write_error is not None and time.monotonic() < self._retry_at:
            with self._lock:
                self.skipped_writes += 1
                self.skipped_audio += kind == "audio"
            return
        path = self._path(key, kind)
        head = json.dumps({"kind": kind, "length": len(payload), **header}).encode("utf-8")
        lead = len(head).to_bytes(4, "big") + head
        digest = hashlib.sha256(lead)
        digest.update(payload)
        size = len(MAGIC) + _DIGEST + len(lead) + len(payload)
        try:
            try:
                old = path.stat().st_size
            except FileNotFoundError:
                old = 0
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_writer(path, "wb") as fh:
                for part in (MAGIC, digest.digest(), lead, payload):
                    fh.write(part)
        except OSError as exc:
            self._write_failed(exc, kind)
            return
        with self._lock:
            if self._size is not None:
                self._size += size - old
        if self.limit_bytes and self.size() > self.limit_bytes:
            # Leave some room so that every write does not trigger a scan.
            try:
                self.prune(int(self.limit_bytes * 0.9))
            except CacheError as exc:
                # Entries that cannot be deleted: say so once, and stop pruning this run.
                log.warning("%s", exc)
                self.limit_bytes = 0

    def _write_failed(self, exc: OSError, kind: str) -> None:
        """A write failed: skip writes for a while, and say so the first time only."""
        with self._lock:
            first = self.write_error is None
            if first:
                self.write_error = _reason(exc)
            self.skipped_writes += 1
            self.skipped_audio += kind == "audio"
            self._retry_at = time.monotonic() + RETRY_WRITE_S
        if first:
            log.warning(
                "the cache at %s cannot be written (%s); going on without caching",
                self.root,
                self.write_error,
            )

    def _read(self, key: str, kind: str) -> tuple[dict[str, Any], memoryview] | None:
        path = self._path(key, kind)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError as exc:
            log.warning("cache entry %s is unreadable: %s", path.name, exc)
            self.misses += 1
            return None
        parsed = _parse(blob, kind)
        if parsed is None:
            self._discard(path, "torn or corrupt")
            self.misses += 1
            return None
        self.hits += 1
        with contextlib.suppress(OSError):
            os.utime(path)  # the access time the eviction goes by
        return parsed

    def _discard(self, path: Path, why: str) -> None:
        log.info("cache entry %s is %s; removed", path.name, why)
        try:
            size = path.stat().st_size
            path.unlink()
        except OSError:
            return
        with self._lock:
            if self._size is not None:
                self._size -= size


class CacheError(M2MError):
    """A maintenance command (prune, clear) cannot change the cache."""


def _reason(exc: OSError) -> str:
    """ "no space left on device", "read-only file system", ...: the cause, in words."""
    return (exc.strerror or str(exc)).lower()


def _listing(folder: Path) -> list[Path]:
    """The folder's entries; none when it is missing or unreadable."""
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _parse(blob: bytes, kind: str) -> tuple[dict[str, Any], memoryview] | None:
    """Header and payload (a view into `blob`, not a copy) of a whole, intact entry,
    else None."""
    if len(blob) < _PREFIX or not blob.startswith(MAGIC):
        return None
    view = memoryview(blob)
    digest = view[len(MAGIC) : len(MAGIC) + _DIGEST]
    rest = view[len(MAGIC) + _DIGEST :]
    if hashlib.sha256(rest).digest() != digest:
        return None
    n = int.from_bytes(rest[:4], "big")
    try:
        header = json.loads(bytes(rest[4 : 4 + n]))
    except ValueError:
        return None
    payload = rest[4 + n :]
    if not isinstance(header, dict) or header.get("kind") != kind:
        return None
    if header.get("length") != len(payload):
        return None
    return header, payload
