"""The index of a person's music folder: features per track, cached, re-scanned cheaply.

The index lives in the data folder (`music-library/<hash of the folder>.json`), one
entry per file keyed by its path relative to the folder, its size and its mtime: a
re-scan stats the files and analyses only new or changed ones (and forgets deleted
ones), so an unchanged folder of a thousand tracks re-scans in a fraction of a second.
Files no decoder reads are recorded too (with the reason), so they are reported once
and not tried again until they change. New tracks are analysed in worker processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from pathlib import Path

from ..core import paths
from ..core.atomic import write_text
from ..core.cancel import NEVER, CancelToken
from ..core.errors import M2MError
from . import dsp
from .features import FEATURES_VERSION, TrackFeatures, UnreadableTrack, analyse, warm

log = logging.getLogger(__name__)

AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac"})
INDEX_FORMAT = "m2m-reader/music-index"
Progress = Callable[[int, int, str], None]


@dataclass
class ScanResult:
    tracks: list[TrackFeatures]
    analysed: int = 0  # tracks analysed in this scan
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why), new ones
    removed: int = 0


def index_path(music_dir: Path) -> Path:
    digest = hashlib.sha256(str(music_dir.resolve()).encode()).hexdigest()[:16]
    return paths.data_dir() / "music-library" / f"{digest}.json"


def _walk(root: Path) -> dict[str, tuple[int, int]]:
    """rel path -> (size, mtime_ns) of every audio file under `root` (dotfiles skipped)."""
    found: dict[str, tuple[int, int]] = {}
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            log.warning("music library: cannot read %s (%s)", folder, exc.strerror or exc)
            continue
        for e in entries:
            if e.name.startswith("."):
                continue
            try:
                if e.is_dir(follow_symlinks=False):
                    stack.append(Path(e.path))
                elif os.path.splitext(e.name)[1].lower() in AUDIO_EXTENSIONS:
                    st = e.stat()
                    rel = Path(e.path).relative_to(root).as_posix()
                    found[rel] = (st.st_size, st.st_mtime_ns)
            except OSError:
                continue
    return found


def _one_blas_thread() -> None:
    """A worker's BLAS on one thread for good: its products are small, and two workers
    each running OpenBLAS's threads on two cores cost several times the CPU."""
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")


def _analyse_one(args: tuple[str, str]) -> tuple[str, dict | None, str]:
    root, rel = args
    try:
        return rel, analyse(Path(root) / rel, rel).to_dict(), ""
    except UnreadableTrack as exc:
        return rel, None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a bad file never stops the scan
        return rel, None, f"{type(exc).__name__}: {exc}"[:200]


def _context() -> BaseContext:
    """Fork from the main thread (after warming the analysis once, which the
    workers then share); spawn from any other (the reader's engine threads), where a
    fork could copy a lock another thread holds."""
    import multiprocessing
    import threading

    if threading.current_thread() is threading.main_thread() and os.name == "posix":
        warm()
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class MusicIndex:
    """The features of every track under `music_dir`, kept in `path` (JSON)."""

    def __init__(self, music_dir: Path | str, path: Path | None = None) -> None:
        self.music_dir = Path(music_dir).expanduser()
        if not self.music_dir.is_dir():
            raise M2MError(f"the music folder {self.music_dir} does not exist")
        self.path = path or index_path(self.music_dir)
        self._entries: dict[str, dict] = self._load()

    def _load(self) -> dict[str, dict]:
        try:
            doc = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        if doc.get("format") != INDEX_FORMAT or doc.get("version") != FEATURES_VERSION:
            return {}
        return dict(doc.get("entries", {}))

    def _save(self) -> None:
        doc = {"format": INDEX_FORMAT, "version": FEATURES_VERSION,
               "music_dir": str(self.music_dir), "entries": self._entries}  # fmt: skip
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_text(self.path, json.dumps(doc, separators=(",", ":")))

    @property
    def tracks(self) -> list[TrackFeatures]:
        return [
            TrackFeatures.from_dict(e["features"])
            for _, e in sorted(self._entries.items())
            if e.get("features")
        ]

    def digest(self) -> str:
        """Changes whenever a track is added, changed or removed (for cue keys)."""
        h = hashlib.sha256()
        for rel, e in sorted(self._entries.items()):
            h.update(f"{rel}\x1f{e['size']}\x1f{e['mtime_ns']}\x1f{FEATURES_VERSION}\x1e".encode())
        return h.hexdigest()[:16]

    def scan(
        self, progress: Progress | None = None, workers: int = 2, cancel: CancelToken = NEVER
    ) -> ScanResult:
        """Bring the index up to date with the folder; analyse only what changed."""
        report = progress or (lambda done, total, what: None)
        on_disk = _walk(self.music_dir)
        removed = [rel for rel in self._entries if rel not in on_disk]
        for rel in removed:
            del self._entries[rel]
        todo = [
            rel for rel, (size, mtime) in sorted(on_disk.items())
            if (e := self._entries.get(rel)) is None or e["size"] != size or e["mtime_ns"] != mtime
        ]  # fmt: skip
        result = ScanResult([], removed=len(removed))
        if todo:
            report(0, len(todo), "indexing music")
            jobs = [(str(self.music_dir), rel) for rel in todo]
            if workers > 1 and len(todo) > 1:
                with ProcessPoolExecutor(
                    max_workers=workers, mp_context=_context(), initializer=_one_blas_thread
                ) as pool:
                    done_iter = pool.map(_analyse_one, jobs, chunksize=1)
                    self._collect(done_iter, on_disk, result, report, len(todo), cancel)
            else:
                with dsp.one_blas_thread():
                    self._collect(
                        map(_analyse_one, jobs), on_disk, result, report, len(todo), cancel
                    )
        if todo or removed or not self.path.exists():
            self._save()
        result.tracks = self.tracks
        return result

    def _collect(
        self,
        done_iter: Iterable[tuple[str, dict | None, str]],
        on_disk: dict[str, tuple[int, int]],
        result: ScanResult,
        report: Progress,
        total: int,
        cancel: CancelToken,
    ) -> None:
        for n, (rel, features, why) in enumerate(done_iter, start=1):
            size, mtime = on_disk[rel]
            self._entries[rel] = {"size": size, "mtime_ns": mtime, "features": features,
                                  "skipped": why or None}  # fmt: skip
            if features is None:
                result.skipped.append((rel, why))
                log.warning("music library: skipped %s (%s)", rel, why)
            else:
                result.analysed += 1
            report(n, total, f"indexing music: {rel}")
            if n % 50 == 0:
                self._save()  # a long first scan keeps what it did if stopped
            cancel.check()

    def skipped(self) -> list[tuple[str, str]]:
        return [(rel, e["skipped"]) for rel, e in sorted(self._entries.items()) if e.get("skipped")]
