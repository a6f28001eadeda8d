"""`export_soundtrack`: the two passes in order, then the set of files landing together
(the audio last), and what the export did (`ExportResult`). See the package's docstring."""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.records import Analysis
from ..audio.timeline import Timeline, chapters_dict, cue_sheet
from ..audio.writer import (
    AudioWriter,
    Held,
    OutputError,
    check_output,
    note_export,
    sweep_noted,
    sweep_stale,
    temp_dir,
    temp_file,
)
from ..books.model import Book
from ..core.atomic import publish_mode, replace_all
from ..core.cancel import NEVER, CancelToken
from ..core.errors import M2MError
from ..core.store import Store
from ..cue_recipe import book_recipes, scene_seed
from ..music.base import MusicBackend, MusicPlan
from ..music.midi import PageScore, write_midi
from ..reading_time import seconds_per_page
from .compose import compose_and_mix
from .encode import ENCODE_BLOCK, normalise_and_encode
from .files import hold, space_needed, stage, write_error
from .progress import PROGRESS_UNITS, Progress, share

LOUDNESS_TOLERANCE_LU = 0.5  # re-run pass 2 with a corrected gain beyond this


@dataclass
class ExportResult:
    path: Path
    chapters_path: Path
    cue_path: Path
    stems_dir: Path | None
    sample_rate: int
    duration_s: float
    page_starts_s: list[float]
    page_seconds: list[float]
    plans: list[MusicPlan]
    integrated_lufs: float
    true_peak_dbtp: float
    gain_db: float
    encoder: str
    events: list[tuple[float, str, int]] = field(default_factory=list)  # crossfades, loop seams
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    midi_path: Path | None = None  # the score, when asked for and the backend has one
    cue_keys: list[str] = field(default_factory=list)  # each page's cue in the store
    composed: int = 0  # cues the backend made (the others came from the store)


def _check_settings(seconds: str | float, target_lufs: float, true_peak: float) -> None:
    if seconds != "auto":
        try:
            value = float(seconds)
        except (TypeError, ValueError):
            raise M2MError(
                f"seconds per page must be 'auto' or a number, not {seconds!r}"
            ) from None
        if not 1.0 <= value <= 600.0:
            raise M2MError(f"seconds per page must be between 1 and 600, not {value:g}")
    if not -70.0 <= target_lufs <= -5.0:
        raise M2MError(f"target loudness must be between -70 and -5 LUFS, not {target_lufs:g}")
    if not -20.0 <= true_peak <= 0.0:
        raise M2MError(f"true-peak ceiling must be between -20 and 0 dBTP, not {true_peak:g}")


def export_soundtrack(
    book: Book,
    analysis: Analysis,
    backend: MusicBackend,
    out_path: Path | str,
    *,
    seconds_per_page: str | float = "auto",
    target_lufs: float = -16.0,
    true_peak_db: float = -1.0,
    stems: bool = False,
    sample_rate: int = 44100,
    crossfade_scene_s: float = 3.0,
    crossfade_page_s: float = 0.8,
    fade_out_s: float = 3.0,
    progress: Progress | None = None,
    cancel: CancelToken = NEVER,
    unreadable: list[dict] | None = None,
    midi_path: Path | str | None = None,
    store: Store | None = None,
) -> ExportResult:
    """Write the soundtrack of `book` to `out_path` (.wav, .flac, .ogg or .mp3).

    Each page's cue comes from `store` when it is there (the reader prepared the book:
    with "auto" seconds per page, every cue), else it is made and kept in `store`;
    with no store every cue is made.

    `unreadable` lists the pages that could not be decoded ({index, name, reason}); the
    chapters file carries it as `unreadable_pages`.

    Raises `OutputError` before any work when the path cannot be written,
    `M2MError` for bad settings or an analysis that does not fit the book, and
    `Cancelled` when `cancel` fires (nothing is left under the final names).
    """
    path = check_output(out_path)
    _check_settings(seconds_per_page, target_lufs, true_peak_db)
    if analysis.provisional or analysis.n_pages != len(book.pages):
        raise M2MError(
            f"the analysis of {book.path} covers {analysis.n_pages} of {len(book.pages)} pages"
            + (" (provisional)" if analysis.provisional else "")
        )
    if not book.pages:
        raise M2MError(f"{book.path} has no pages to make music for")
    report = progress or (lambda done, total, what: None)
    seconds = _seconds(book, seconds_per_page)
    timeline = Timeline.from_seconds(seconds, sample_rate, fade_out_s)
    encode_blocks = -(-timeline.total // ENCODE_BLOCK)
    # progress in permille: composing and mixing take most of the time
    total_work = PROGRESS_UNITS
    stems_dir = path.with_name(path.stem + "_stems") if stems else None
    chapters_path = path.with_name(path.stem + ".chapters.json")
    cue_path = path.with_suffix(".cue")
    timings: dict[str, float] = {}
    sweep_stale(path.parent)  # what exports killed here before left behind
    sweep_noted()  # ... and wherever else they wrote
    check_output(path, space_needed(timeline.total, sample_rate, path.suffix, stems))
    held: list[Held] = []  # every temporary of this run, removed at the end
    note = note_export(path.parent)
    if note is not None:
        held.append(note)
    scores: list[PageScore] | None = [] if midi_path is not None else None  # for the score (--midi)
    writer: AudioWriter | None = None
    try:
        try:
            mix = hold(held, temp_file(path, ".mix"))
            stems_tmp = hold(held, temp_dir(stems_dir, ".stems")).path if stems_dir else None
        except OSError as exc:
            raise write_error(path, exc) from None
        t0 = time.perf_counter()
        recipes = book_recipes(book, analysis, seconds_per_page)
        keys = [r.key(backend) for r in recipes]
        with os.fdopen(mix.take_fd(), "wb") as raw:
            chapters, mixer, loud_raw, composed = compose_and_mix(
                recipes, keys, backend, store, timeline, seconds, raw, path, stems_tmp,
                (target_lufs, true_peak_db), crossfade_scene_s, crossfade_page_s, report, cancel,
                scores,
            )  # fmt: skip
        timings["compose_mix_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        gain_db = 0.0 if not math.isfinite(loud_raw) else target_lufs - loud_raw
        for _attempt in range(3):
            writer = AudioWriter(path, sample_rate)
            with writer:
                lufs, peak = normalise_and_encode(
                    mix.path, timeline.total, sample_rate, gain_db, true_peak_db, writer,
                    lambda i: report(share(1, i + 1, encode_blocks), PROGRESS_UNITS, "normalising and writing"), cancel,
                )  # fmt: skip
                off = target_lufs - lufs if math.isfinite(lufs) else 0.0
                if abs(off) <= LOUDNESS_TOLERANCE_LU or _attempt == 2:
                    audio_tmp = writer.finish()
                    encoder = writer.encoder
                    break
            gain_db += off
        timings["normalise_encode_s"] = time.perf_counter() - t0
        doc = chapters_dict(
            timeline, analysis, chapters, path.name,
            {"loudness": {"integrated_lufs": round(lufs, 2), "true_peak_dbtp": round(peak, 2),
                          "target_lufs": target_lufs, "gain_db": round(gain_db, 2)},
             "unreadable_pages": list(unreadable or [])},
        )  # fmt: skip
        # The set lands together: audio, chapters and CUE (and stems) are all written
        # under temporary names first, then renamed, the audio last; if anything fails,
        # the new files are removed and what was there before stays.
        chapters_json = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
        moves = [
            (stage(held, chapters_path, chapters_json), chapters_path),
            (stage(held, cue_path, cue_sheet(doc, path)), cue_path),
        ]
        if stems_dir is not None and stems_tmp is not None:
            publish_mode(stems_tmp, folder=True)
            moves.append((stems_tmp, stems_dir))
        moves.append((audio_tmp, path))
        try:
            replace_all(moves)
        except OSError as exc:
            raise write_error(path, exc) from None
        if midi_path is not None and scores:
            midi_path = write_midi(midi_path, scores)
        else:
            midi_path = None
        report(total_work, total_work, "done")
    finally:
        if writer is not None:
            writer.abort()  # the temporaries, if they were not renamed into place
        for h in held:
            h.remove()
    sr = sample_rate
    return ExportResult(
        path=path,
        chapters_path=chapters_path,
        cue_path=cue_path,
        stems_dir=stems_dir,
        sample_rate=sr,
        duration_s=timeline.total / sr,
        page_starts_s=[s / sr for s in timeline.starts],
        page_seconds=seconds,
        plans=[c.plan for c in chapters],
        integrated_lufs=lufs,
        true_peak_dbtp=peak,
        gain_db=gain_db,
        encoder=encoder,
        events=[(at / sr, kind, page) for at, kind, page in mixer.events],
        warnings=[f"page {c.index + 1}: {w}" for c in chapters for w in c.warnings],
        timings=timings,
        midi_path=Path(midi_path) if midi_path is not None else None,
        cue_keys=keys,
        composed=composed,
    )


def _seconds(book: Book, setting: str | float) -> list[float]:
    return seconds_per_page(book.pages, setting)


__all__ = ["ExportResult", "OutputError", "export_soundtrack", "scene_seed"]
