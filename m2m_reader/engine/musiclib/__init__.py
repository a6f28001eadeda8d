"""The person's own music as a backend: index a folder, pick a track per scene, loop it.

See docs/music-library.md. `make_library` builds the backend the settings name.
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import BackendUnavailable, M2MError
from .backend import LibraryBackend, LibraryCue
from .index import MusicIndex, Progress, ScanResult, index_path

__all__ = [
    "LibraryBackend", "LibraryCue", "MusicIndex", "index_folder", "index_path", "make_library",
]  # fmt: skip


def index_folder(music_dir: str, progress: Progress | None = None) -> ScanResult | None:
    """Bring the index of `music_dir` up to date, telling `progress` (done, total, what)
    as tracks are analysed: a command calls this with its terminal progress bar before
    it makes the backend, whose own scan then finds nothing to do. None when there is no
    such folder (making the backend then says so, and the composer plays)."""
    folder = Path(music_dir).expanduser() if music_dir else None
    if folder is None or not folder.is_dir():
        return None
    try:
        return MusicIndex(folder).scan(progress)
    except (OSError, M2MError):  # the backend's own start says what went wrong
        return None


def make_library(
    music_dir: str, ranker: str = "features", clap_model: str = "", sample_rate: int = 48000,
    device: str = "cpu", progress: Progress | None = None,
) -> LibraryBackend:  # fmt: skip
    """The library backend over `music_dir` with the named ranker ("features" or
    "clap"). Raises `BackendUnavailable` with one sentence when it cannot start."""
    if not music_dir:
        raise BackendUnavailable("no music folder is set (--music-dir or the music_dir setting)")
    folder = Path(music_dir).expanduser()
    if not folder.is_dir():
        raise BackendUnavailable(f"the music folder {folder} does not exist")
    index = MusicIndex(folder)
    chosen = None
    if ranker == "clap":
        from .clap import DEFAULT_MODEL, ClapRanker

        cache = index.path.with_suffix(".clap.npz")
        chosen = ClapRanker(clap_model or DEFAULT_MODEL, folder, cache, device)
    return LibraryBackend(folder, chosen, sample_rate, index=index, progress=progress)
