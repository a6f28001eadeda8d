"""Temporary files of an export, locked while their writer lives, and the sweep of the
ones a killed export left.

Temporary files (`.NAME.m2m-XXXXXXXX.part`, `.mix`, `.enc`, `.stems`) are locked
(`flock`) by the process that writes them for as long as it lives. A process killed
with -9 cannot remove its own, so every export first sweeps the folder it writes to:
a temporary of ours that is not locked and is older than `STALE_S` is removed, in
that folder and in the folders of other exports that were killed (each export leaves a
locked note of its folder in the cache folder while it runs, see `note_export`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; stale temporaries go by age alone
    fcntl = None  # type: ignore[assignment]

TAG = ".m2m-"  # in every temporary's name, so the sweep touches ours alone
STALE_S = 2.0  # an unlocked temporary older than this has no live writer
UNLOCKED_STALE_S = 24 * 3600.0  # without flock (Windows): only a day-old one is stale
OLD_STALE_S = 3600.0  # temporaries named as before the lock (never locked)
_OURS = re.compile(r"^\..+\.m2m-[a-z0-9_]{8}\.(mix|part|enc|probe|stems)$")
_OLD = re.compile(r"^\..+\.(wav|flac|ogg|mp3)\.[a-z0-9_]{8}\.(mix|part|probe|mp3\.part)$")
_OLD_STEMS = re.compile(r"^\..+_stems\.[a-z0-9_]{8}$")


class Held:
    """A temporary file or folder of ours, locked for as long as it is held.

    `path` is where it is; `fd` (files only) is open for writing. `release()` drops the
    lock (and closes `fd`), `remove()` deletes it too.
    """

    def __init__(self, path: Path, fd: int | None, lock_fd: int | None) -> None:
        self.path = path
        self.fd = fd
        self._lock_fd = lock_fd

    def take_fd(self) -> int:
        """The open fd, handed over to the caller (who closes it); the lock stays."""
        assert self.fd is not None
        fd, self.fd = self.fd, None
        return fd

    def release(self) -> None:
        for fd in (self.fd, self._lock_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.fd = self._lock_fd = None

    def remove(self) -> None:
        if self.path.is_dir() and not self.path.is_symlink():
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            self.path.unlink(missing_ok=True)
        self.release()


def _lock(path: Path, wait: bool = False) -> int | None:
    """An fd holding an exclusive flock on `path` (None where there is no flock).

    Without `wait`, raises `OSError` when another process holds it. The owner of a new
    temporary waits: a sweep may hold it for a moment, to look at it."""
    if fcntl is None:
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


def temp_file(final: Path, suffix: str) -> Held:
    """A new, locked temporary file beside `final` (`.NAME.m2m-XXXXXXXX.SUFFIX`)."""
    fd, name = tempfile.mkstemp(prefix=f".{final.name}{TAG}", suffix=suffix, dir=final.parent)
    path = Path(name)
    try:
        lock_fd = _lock(path, wait=True)
    except OSError:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    return Held(path, fd, lock_fd)


def temp_dir(final: Path, suffix: str) -> Held:
    """A new, locked temporary folder beside `final` (`.NAME.m2m-XXXXXXXX.SUFFIX`)."""
    path = Path(tempfile.mkdtemp(prefix=f".{final.name}{TAG}", suffix=suffix, dir=final.parent))
    try:
        lock_fd = _lock(path, wait=True)
    except OSError:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return Held(path, None, lock_fd)


def sweep_stale(folder: Path) -> list[Path]:
    """Remove the temporaries that killed exports left in `folder`: ours, not locked by
    a live process, and older than `STALE_S`. Returns what was removed."""
    return _sweep(folder)[0]


def _sweep(folder: Path) -> tuple[list[Path], int]:
    """(what was removed, how many unlocked temporaries of ours were too young)."""
    removed: list[Path] = []
    young = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return removed, young
    now = time.time()
    for name in names:
        ours = bool(_OURS.match(name))
        if not ours and not (_OLD.match(name) or _OLD_STEMS.match(name)):
            continue
        path = folder / name
        try:
            age = now - path.lstat().st_mtime
        except OSError:
            continue
        try:
            lock_fd = _lock(path)
        except OSError:
            continue  # a live process holds it (or it is gone)
        try:
            if age < (
                STALE_S if ours and fcntl is not None else UNLOCKED_STALE_S if ours else OLD_STALE_S
            ):
                young += ours
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            if not path.exists():
                removed.append(path)
        finally:
            if lock_fd is not None:
                os.close(lock_fd)
    return removed, young


# Each export also leaves a locked note in the cache folder naming the folder it writes
# to, so that the temporaries of one killed there are found by the next export wherever
# it writes, not only by one into the same folder.


def _journal() -> Path:
    from ..core.paths import cache_dir

    return cache_dir(create=False) / "exports"


def note_export(folder: Path) -> Held | None:
    """A locked note that an export writes into `folder` (None when the cache folder
    cannot be written: the export goes on, only the sweep by folder is left)."""
    journal = _journal()
    try:
        journal.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="export-", suffix=".folder", dir=journal)
    except OSError:
        return None
    path = Path(name)
    try:
        os.write(fd, os.fsencode(folder))
        lock_fd = _lock(path, wait=True)
    except OSError:
        os.close(fd)
        path.unlink(missing_ok=True)
        return None
    return Held(path, fd, lock_fd)


def sweep_noted() -> list[Path]:
    """Sweep the folders of exports that were killed (their notes unlocked), wherever
    they wrote; a note goes once its folder holds no temporary of ours."""
    removed: list[Path] = []
    try:
        notes = [p for p in _journal().iterdir() if p.name.endswith(".folder")]
    except OSError:
        return removed
    now = time.time()
    for note in notes:
        try:
            if now - note.stat().st_mtime < STALE_S:
                continue  # being written
            lock_fd = _lock(note)
        except OSError:
            continue  # that export is still running
        try:
            folder = Path(os.fsdecode(note.read_bytes()))
            gone, young = _sweep(folder) if folder.is_absolute() else ([], 0)
            removed += gone
            if not young:
                note.unlink(missing_ok=True)
        except OSError:
            pass
        finally:
            if lock_fd is not None:
                os.close(lock_fd)
    return removed


__all__ = [
    "STALE_S", "TAG", "Held", "note_export", "sweep_noted", "sweep_stale", "temp_dir",
    "temp_file",
]  # fmt: skip
