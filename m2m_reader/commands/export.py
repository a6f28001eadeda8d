"""`m2m-reader export BOOK -o soundtrack.{wav,flac,ogg,mp3}`: a book's soundtrack as a file.

Analyses the book (with a person's edits), makes every page's music, mixes it along
the reading timeline with the reader's own mixer, normalises the loudness and writes
the audio with its chapters sidecars (`NAME.chapters.json`, `NAME.cue`).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from ..engine.analysis.records import MODES
from ..engine.audio.writer import check_output
from ..engine.core.errors import M2MError
from . import _options
from ._progress import TerminalProgress


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write a book's soundtrack to an audio file",
        description="Make the music for every page and write the soundtrack, as a reader "
        "at the automatic (or a fixed) reading speed would hear it, with chapters.",
    )
    _options.add_book(p)
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="the audio file: .wav, .flac, .ogg or .mp3")  # fmt: skip
    p.add_argument("--mode", choices=MODES, default="scene",
                   help="scene: M2M-Gen; page: each page alone; section: groups of pages")  # fmt: skip
    p.add_argument("--seconds-per-page", default="auto", metavar="auto|N",
                   help="reading time per page: auto (from text and panels) or seconds")  # fmt: skip
    p.add_argument("--lufs", type=float, default=-16.0, help="target loudness (default -16)")
    p.add_argument("--true-peak", type=float, default=-1.0, help="true-peak ceiling in dBTP")
    p.add_argument(
        "--stems", action="store_true", help="also write each page's music to NAME_stems/"
    )
    p.add_argument("--sample-rate", type=int, help="output rate (default: the music backend's)")
    p.add_argument("--midi", type=Path, metavar="FILE.mid",
                   help="also write the score (one track per part, tempo map, page and scene markers)")  # fmt: skip
    _options.add_backends(p, music=True)
    p.set_defaults(func=run)


def parse_seconds(value: str) -> str | float:
    if value == "auto":
        return "auto"
    try:
        seconds = float(value)
    except ValueError:
        raise M2MError(f"--seconds-per-page must be 'auto' or a number, not {value!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise M2MError(f"--seconds-per-page must be a positive number, not {value!r}")
    return seconds


def make_music_backend(name: str | None, args: argparse.Namespace) -> Any:
    """The music backend `name` ("composer", "musicgen"; None: the saved setting),
    configured from the command line (--musicgen-model, --soundfont, --offline).

    A backend that cannot start prints one line and the composer plays instead.
    """
    from ..engine.backends.choice import make_music

    settings = _options.settings_from(args)
    if name:
        settings.update({"music": name})
    if settings.music == "library":  # index the folder with a progress bar first
        from ..engine.musiclib import index_folder

        bar = TerminalProgress("indexing music")
        try:
            index_folder(settings.music_dir, bar)
        finally:
            bar.close()
    return make_music(settings, _options.on_fallback)


def grouped_warnings(warnings: list[str]) -> list[str]:
    """ "page N: message" lines grouped by message, so a notice every page repeats
    (no SoundFont, say) prints once."""
    pages: dict[str, list[str]] = {}
    for w in warnings:
        where, _, message = w.partition(": ")
        pages.setdefault(message, []).append(where.removeprefix("page "))
    lines = []
    for message, places in pages.items():
        more = f" and {len(places) - 6} more" if len(places) > 6 else ""
        shown = ", ".join(places[:6]) + more
        lines.append(f"{message.rstrip('.')} (page{'s' if len(places) > 1 else ''} {shown})")
    return lines


def run(args: argparse.Namespace) -> int:
    from ..engine.analysis.edits import EditStore
    from ..engine.analysis.pipeline import Analyzer
    from ..engine.backends.choice import make_emotions, make_text
    from ..engine.books import check_book_path
    from ..engine.books.readable import (
        require_readable_page,
        unreadable_lines,
        unreadable_records,
    )
    from ..engine.export import export_soundtrack

    out = check_output(args.output)  # before any work
    check_book_path(args.book)
    seconds = parse_seconds(args.seconds_per_page)
    settings = _options.settings_from(args)
    backend = make_music_backend(args.music, args)
    text = make_text(settings, _options.on_fallback)
    emotions = make_emotions(settings, _options.on_fallback)
    book = _options.book_from(args, settings)
    store = _options.store_from(args, settings)  # the cues a reader prepared are in it
    with book:
        require_readable_page(book)  # no soundtrack for a book with nothing to read
        analyzer = Analyzer(
            book,
            text=text,
            emotions=emotions,
            store=store,
            edits=EditStore(book.fingerprint),
            on_fallback=_options.record_fallback,
        )
        bar = TerminalProgress("analysing")
        try:
            analysis = analyzer.run(args.mode, progress=bar)
        finally:
            bar.close()
        damaged = [i for i in range(len(book)) if analyzer.stats(i).damaged]
        unreadable = book.unreadable(check=damaged)
        for line in unreadable_lines(unreadable):
            _options.warn(f"unreadable: {line}")
        rate = args.sample_rate or int(getattr(backend, "sample_rate", 0) or 44100)
        bar = TerminalProgress("exporting")
        try:
            result = export_soundtrack(
                book,
                analysis,
                backend,
                out,
                seconds_per_page=seconds,
                target_lufs=args.lufs,
                true_peak_db=args.true_peak,
                stems=args.stems,
                sample_rate=rate,
                progress=bar,
                unreadable=unreadable_records(book, unreadable),
                midi_path=args.midi,
                store=store,
            )
        finally:
            bar.close()
    for line in grouped_warnings(result.warnings)[:5]:
        _options.warn(line)
    minutes, secs = divmod(round(result.duration_s), 60)
    scenes = len(analysis.scenes)
    print(
        f"wrote {result.path} ({minutes}:{secs:02d}, {scenes} scene{'' if scenes == 1 else 's'}, "
        f"{result.integrated_lufs:.1f} LUFS, true peak {result.true_peak_dbtp:.1f} dBTP, "
        f"music by {getattr(backend, 'name', '?')})"
    )
    print(f"wrote {result.chapters_path} and {result.cue_path}")
    reused = len(result.cue_keys) - result.composed
    if reused:
        print(f"music for {reused} of {len(result.cue_keys)} pages came from the cache")
    if args.midi is not None:
        if result.midi_path is not None:
            print(f"wrote the score to {result.midi_path}")
        else:
            _options.warn(f"no score written to {args.midi}: the music backend makes audio only")
    if result.stems_dir is not None:
        print(f"wrote page stems to {result.stems_dir}/")
    return 0
