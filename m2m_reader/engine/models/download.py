"""Fetch model weights into the Hugging Face cache, and list what is there.

Downloading is the only place m2m-reader asks the Hub for anything, and only when a
person runs `m2m-reader models download NAME`; it refuses in offline mode. Loading
elsewhere uses local files only.

The page readers' weights (manga-ocr, Magi) go to a folder of their own under the models
folder (`data_dir()/models/manga-ocr`, `.../magi`), where their loaders look first; the
rest go to the Hugging Face cache.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import BackendUnavailable, M2MError
from .musicgen import CHECKPOINTS

CLIP_DEFAULT = ("ViT-B-32", "openai")
MUSICGEN_FILES = ["*.json", "*.safetensors", "*.model", "*.txt"]
CLIP_FILES = ["open_clip_*", "*.json"]
# The page readers: (Hub repo, files, folder under the models folder). Magi's own code
# (*.py) comes with its weights: it is run with trust_remote_code from that folder.
READERS = {
    "manga-ocr": ("kha-white/manga-ocr-base", ["*.json", "*.txt", "*.safetensors", "*.bin"],
                  "manga-ocr"),
    "magi": ("ragavsachdeva/magiv2", ["*.json", "*.py", "*.txt", "*.safetensors", "*.bin"],
             "magi"),
}  # fmt: skip


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
    if name in READERS:
        return READERS[name][0], READERS[name][1]
    if name == "clip":
        from open_clip.pretrained import get_pretrained_cfg

        from .clip_emotions import hub_files

        repo, _ = hub_files(get_pretrained_cfg(*CLIP_DEFAULT))
        return repo, CLIP_FILES
    if name.count("/") == 1 and not Path(name).exists():
        return name, MUSICGEN_FILES if "musicgen" in name else ["*"]
    names = ", ".join([*CHECKPOINTS, "clip", *READERS])
    raise M2MError(f"unknown model {name!r}; use one of {names}, or a Hub id like owner/name.")


def download(
    name: str, offline: bool = False, announce: Callable[[str], None] | None = None
) -> Path:
    """Download `name` into the Hugging Face cache, or a page reader's weights into its
    folder under the models folder; returns the folder.

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
    local_dir = reader_folder(name)
    try:
        if local_dir is not None:
            got = Path(
                snapshot_download(repo_id=repo, allow_patterns=patterns, local_dir=local_dir)
            )
            for extra in _needed_by(got):  # Magi's OCR processor, into the HF cache
                if announce is not None:
                    announce(extra)
                snapshot_download(repo_id=extra, allow_patterns=["*.json", "*.txt", "*.model"])
            return got
        return Path(snapshot_download(repo_id=repo, allow_patterns=patterns))
    except Exception as exc:  # noqa: BLE001 - network, auth, missing repo: one sentence
        if _unreachable(exc):
            raise M2MError(
                f"could not reach the Hugging Face Hub to download {repo}; "
                "check the internet connection and try again."
            ) from exc
        raise M2MError(f"could not download {repo}: {type(exc).__name__}: {exc}") from exc


def _needed_by(folder: Path) -> list[str]:
    """Hub ids a downloaded model's own code loads by name (Magi's OCR processor)."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    name = config.get("ocr_pretrained_processor_path") if isinstance(config, dict) else None
    if isinstance(name, str) and name.count("/") == 1 and not Path(name).exists():
        return [name]
    return []


def reader_folder(name: str) -> Path | None:
    """Where a page reader's weights go (and its loader looks first); None for others."""
    if name not in READERS:
        return None
    from .manga_ocr import models_dir

    return models_dir() / READERS[name][2]


def _unreachable(exc: BaseException) -> bool:
    """True when the download failed for want of a network (not a missing repo)."""
    seen: BaseException | None = exc
    while seen is not None:
        kind = type(seen).__name__
        if kind in {"ConnectionError", "ConnectTimeout", "LocalEntryNotFoundError",
                    "OfflineModeIsEnabled", "gaierror", "NewConnectionError",
                    "MaxRetryError", "ConnectError", "TimeoutException"}:  # fmt: skip
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass
class LocalModel:
    name: str  # Hub id or file/folder
    kind: str  # musicgen, clip, emotion-checkpoint, other
    size_mb: float
    path: str


def _kind(repo: str) -> str:
    for name, (hub, _, folder) in READERS.items():
        if repo in (hub, folder):
            return name
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
                kind = p.name if p.name in READERS else "folder"
                found.append(LocalModel(p.name, kind, size, str(p)))
    return found
