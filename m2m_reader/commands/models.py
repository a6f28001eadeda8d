"""`m2m-reader models download NAME` and `m2m-reader models ls`: model weights on disk."""

from __future__ import annotations

import argparse
from typing import Any

from ..engine.core.paths import data_dir


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "models",
        help="download or list model weights (MusicGen, CLIP, manga-ocr, Magi)",
        description="Model weights live in the Hugging Face cache, the page readers' in "
        "the models folder (or a folder you choose); m2m-reader never downloads them by itself.",
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    dl = sub.add_parser(
        "download",
        help="fetch weights (needs the internet)",
        description="Fetch weights into the Hugging Face cache: small, medium, large or "
        "melody (MusicGen), clip (CLIP ViT-B-32 from OpenAI, for face emotions), or any Hub "
        "id such as facebook/musicgen-stereo-small; manga-ocr (Japanese OCR) and magi "
        "(Magi v2, non-commercial use only) go to the models folder, for --transcript. "
        "Refused in offline mode.",
    )
    dl.add_argument(
        "name",
        metavar="NAME",
        help="small, medium, large, melody, clip, manga-ocr, magi or a Hub id",
    )
    dl.add_argument("--offline", action="store_true", help=argparse.SUPPRESS)
    dl.set_defaults(func=run_download)
    ls = sub.add_parser("ls", help="list weights on this computer")
    ls.set_defaults(func=run_ls)


def _offline(args: argparse.Namespace) -> bool:
    if getattr(args, "offline", False):
        return True
    try:
        from ..engine.core import settings as settings_mod

        return bool(settings_mod.load().offline)
    except Exception:  # noqa: BLE001 - unreadable settings: the environment still decides
        return False


def run_download(args: argparse.Namespace) -> int:
    from ..engine.models.download import download, reader_folder

    folder = reader_folder(args.name)

    told: list[str] = []

    def announce(repo: str) -> None:
        # A page reader's weights go to its folder; what its code loads by name (Magi's
        # OCR processor) to the Hugging Face cache.
        where = folder if folder is not None and not told else "the Hugging Face cache"
        print(f"downloading {repo} into {where} ...", flush=True)
        told.append(repo)
        if args.name == "magi" and len(told) == 1:
            print(
                "note: Magi's weights are for personal, research and non-commercial use only.",
                flush=True,
            )

    path = download(args.name, offline=_offline(args), announce=announce)
    print(f"ready: {path}")
    return 0


def run_ls(args: argparse.Namespace) -> int:
    from ..engine.models.download import local_models

    models = local_models([data_dir() / "models"])
    if not models:
        print("no model weights on this computer; run `m2m-reader models download small`")
        return 0
    width = max(len(m.name) for m in models)
    for m in models:
        print(f"{m.name:<{width}}  {m.kind:<18} {m.size_mb:>9.1f} MB  {m.path}")
    return 0
