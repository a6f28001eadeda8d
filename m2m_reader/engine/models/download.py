"""Fetch model weights into the Hugging Face cache, and list what is there.

Downloading is the only place m2m-reader asks the Hub for anything, and only when a
person runs `m2m-reader models download NAME`; it refuses in offline mode. Loading
elsewhere uses local files only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import BackendUnavailable, M2MError
from .musicgen import CHECKPOINTS

CLIP_DEFAULT = ("ViT-B-32", "openai")
MUSICGEN_FILES = ["*.json", "*.safetensors", "*.model", "*.txt"]
CLIP_FILES = ["open_clip_*", "*.json"]


def offline_requested() -> bool:
    """True when the environment asks for no network (HF_HUB_OFFLINE or M2M_READER_OFFLINE)."""
    for var in ("HF_HUB_OFFLINE", "M2M_READER_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in {"1", "true", "yes", "on"}:
            return True
    return False


def resolve_download(name: str) -> tuple[str, list[str]]:
    """(Hub repo, file patterns) for small, medium, large, melody, clip or a Hub id."""
    if name in CHECKPOINTS:
        return CHECKPOINTS[name], MUSICGEN_FILES
    if name == "clip":
        from open_clip.pretrained import get_pretrained_cfg

        from .clip_emotions import hub_files

        repo, _ = hub_files(get_pretrained_cfg(*CLIP_DEFAULT))
        return repo, CLIP_FILES
    if name.count("/") == 1 and not Path(name).exists():
        return name, MUSICGEN_FILES if "musicgen" in name else ["*"]
    names = ", ".join([*CHECKPOINTS, "clip"])
    raise M2MError(f"unknown model {name!r}; use one of {names}, or a Hub id like owner/name.")


def download(
    name: str, offline: bool = False, announce: Callable[[str], None] | None = None
) -> Path:
    """Download `name` into the Hugging Face cache; returns the snapshot folder.

    `announce(repo)` is called once the name is known good, just before fetching.
    """
    if offline or offline_requested():
        raise M2MError(
            "offline mode is on, so nothing can be downloaded; "
            "turn it off (or unset HF_HUB_OFFLINE) to fetch model weights."
        )
    try:
        from huggingface_hub import snapshot_download
    except ImportError as exc:
        raise BackendUnavailable(
            "huggingface_hub is not installed; run `pip install 'm2m-reader[models]'`."
        ) from exc
    repo, patterns = resolve_download(name)
    if announce is not None:
        announce(repo)
    try:
        return Path(snapshot_download(repo_id=repo, allow_patterns=patterns))
    except Exception as exc:  # noqa: BLE001 - network, auth, missing repo: one sentence
        raise M2MError(f"could not download {repo}: {type(exc).__name__}: {exc}") from exc


@dataclass
class LocalModel:
    name: str  # Hub id or file/folder
    kind: str  # musicgen, clip, emotion-checkpoint, other
    size_mb: float
    path: str


def _kind(repo: str) -> str:
    if repo in CHECKPOINTS.values() or "musicgen" in repo.lower():
        return "musicgen"
    if "clip" in repo.lower():
        return "clip"
    return "other"


def local_models(extra_dirs: list[Path] | None = None) -> list[LocalModel]:
    """Models in the Hugging Face cache and emotion checkpoints in the given folders."""
    found: list[LocalModel] = []
    try:
        from huggingface_hub import scan_cache_dir

        info = scan_cache_dir()
        for repo in sorted(info.repos, key=lambda r: r.repo_id):
            if repo.repo_type == "model":
                found.append(
                    LocalModel(
                        repo.repo_id,
                        _kind(repo.repo_id),
                        repo.size_on_disk / 1e6,
                        str(repo.repo_path),
                    )
                )
    except Exception:  # noqa: BLE001 - no cache folder yet, or no huggingface_hub
        pass
    for folder in extra_dirs or []:
        if not folder.is_dir():
            continue
        for p in sorted(folder.iterdir()):
            if p.suffix == ".pt":
                found.append(
                    LocalModel(p.name, "emotion-checkpoint", p.stat().st_size / 1e6, str(p))
                )
            elif (p / "config.json").is_file():
                size = sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) / 1e6
                found.append(LocalModel(p.name, "folder", size, str(p)))
    return found
