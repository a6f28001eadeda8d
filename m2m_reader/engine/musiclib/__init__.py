"""The person's own music as a backend: index a folder, pick a track per scene, loop it.

See docs/music-library.md. `make_library` builds the backend the settings name.
"""

from __future__ import annotations

from pathlib import Path

from ..core.errors import BackendUnavailable
from .backend import LibraryBackend, LibraryCue
from .index import MusicIndex, index_path

__all__ = ["LibraryBackend", "LibraryCue", "MusicIndex", "index_path", "make_library"]


def make_library(
    music_dir: str, ranker: str = "features", clap_model: str = "", sample_rate: int = 48000,
    device: str = "cpu", progress=None,  # type: ignore[no-untyped-def]
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
