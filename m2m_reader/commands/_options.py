"""Options shared by the commands that read a book: backends, offline, direction."""

from __future__ import annotations

import argparse
import math
import sys

from ..engine.books import default_direction, open_book
from ..engine.books.model import Book
from ..engine.core import settings as settings_mod
from ..engine.core.settings import Settings
from ..engine.core.store import Store


def add_book(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("book", help="a folder of images, CBZ/ZIP, CBR/RAR, PDF or Manga109 book")
    parser.add_argument(
        "--direction", choices=("rtl", "ltr"), help="reading direction when the book does not say"
    )


def add_backends(parser: argparse.ArgumentParser, music: bool = False) -> None:
    g = parser.add_argument_group("backends")
    g.add_argument(
        "--llm",
        choices=settings_mod.CHOICES["text"],
        help="text stages: built-in rules or an "
        "OpenAI-compatible endpoint (OPENAI_API_KEY, OPENAI_BASE_URL)",
    )
    g.add_argument("--llm-model", metavar="NAME", help="the chat model, e.g. gpt-4o-mini, llama3.1")
    g.add_argument("--llm-base-url", metavar="URL", help="an OpenAI-compatible endpoint")
    g.add_argument(
        "--llm-timeout",
        metavar="SECONDS",
        type=seconds,
        help="the most one LLM request may take, its retries included (default 60); "
        "an endpoint that keeps failing is left for the built-in stage",
    )
    g.add_argument("--emotions", choices=settings_mod.CHOICES["emotions"], help="emotion reader")
    g.add_argument(
        "--transcript",
        choices=settings_mod.CHOICES["transcript"],
        help="who reads pages without annotations: the built-in reader (Tesseract), "
        "manga-ocr, Magi v2 or the vision LLM (auto: the --llm backend's own)",
    )
    if music:
        g.add_argument("--music", choices=settings_mod.CHOICES["music"], help="music backend")
        g.add_argument(
            "--musicgen-model",
            metavar="NAME_OR_FOLDER",
            help="small, medium, large, melody, a checkpoint name or a local folder",
        )
        g.add_argument(
            "--soundfont", metavar="SF2", help="a General MIDI SoundFont for the composer"
        )
        g.add_argument("--music-dir", metavar="DIR", help="your own music, for --music library")
        g.add_argument(
            "--music-ranker",
            choices=settings_mod.CHOICES["music_ranker"],
            help="how --music library picks a track: measured features, or a CLAP model",
        )
    g.add_argument(
        "--offline",
        action="store_true",
        help="open no network connection: cache and local backends only",
    )
    g.add_argument(
        "--no-cache", action="store_true", help="compute everything afresh, store nothing"
    )


def seconds(text: str) -> float:
    """A number of seconds above 0 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def settings_from(args: argparse.Namespace) -> Settings:
    """The saved settings with this run's command-line choices on top (not saved)."""
    s = settings_mod.load()
    overrides = {
        "text": getattr(args, "llm", None),
        "llm_model": getattr(args, "llm_model", None),
        "llm_base_url": getattr(args, "llm_base_url", None),
        "llm_timeout": getattr(args, "llm_timeout", None),
        "emotions": getattr(args, "emotions", None),
        "transcript": getattr(args, "transcript", None),
        "music": getattr(args, "music", None),
        "musicgen_model": getattr(args, "musicgen_model", None),
        "soundfont": getattr(args, "soundfont", None),
        "music_dir": getattr(args, "music_dir", None),
        "music_ranker": getattr(args, "music_ranker", None),
    }
    s.update({k: v for k, v in overrides.items() if v is not None})
    if getattr(args, "offline", False):
        s.offline = True
    return s


def store_from(args: argparse.Namespace, s: Settings) -> Store:
    from ..engine.core.store import MemoryStore

    if getattr(args, "no_cache", False):
        return MemoryStore()
    from ..engine.core.cache import DiskCache

    return DiskCache(limit_mb=s.cache_limit_mb)


def book_from(args: argparse.Namespace, s: Settings) -> Book:
    """The book, in the direction the reader would give it when it does not say its own:
    `--direction`, else the `default_direction` setting (so export, analysis and the
    window read a book's pages in the same order)."""
    return open_book(args.book, direction=args.direction or default_direction(s))


def warn(message: str) -> None:
    print(f"m2m-reader: {message}", file=sys.stderr)


def record_fallback(stage: str, backend: str, message: str) -> None:
    """Print a record's fallback to the built-in stage in one line. A message that says
    already what happens next (an endpoint's breaker opening for the rest of the book)
    is printed as it is."""
    if "built-in stage takes over" in message:
        warn(f"{stage}: {message}")
    else:
        warn(f"{stage}: {backend} failed ({message}); the built-in stage made that record")


def on_fallback(stage: str, backend: str, fallback: str, message: str) -> None:
    """Print a backend's failure to start in one line (for backend_choice)."""
    warn(f"{stage}: the {backend} backend cannot start: {message.rstrip('.')}; using {fallback}")
