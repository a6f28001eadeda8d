"""Export a book's soundtrack: the same mixer a reader hears, pulled into a file.

Two passes, so a long book never sits in memory:

1. Compose and mix. Each page's cue is asked for by the cue recipe (`cue_recipe`,
   the same as live playback's): found in the store when the reader prepared the
   book (or an earlier export made it), else made and kept there. It is handed to
   the `Mixer`, and the page is turned at its start time on the timeline; every
   block is pulled into a raw float32 file beside the target and measured (BS.1770).
2. Normalise and encode. The raw mix is read back with the gain that brings it to
   the target loudness, limited so the true peak stays under the ceiling, measured
   again, and written in blocks to a temporary file renamed at the end.

The chapters sidecars (`NAME.chapters.json`, `NAME.cue`) and optional per-page stems
(`NAME_stems/page_0001.wav`, each normalised on its own) are written under temporary
names too, and the set is renamed together at the end, the audio last: never new
audio with old or missing chapters. Cancel, Ctrl-C or a full disk leaves nothing
under the final names (an earlier export there stays as it was), and a kill -9 leaves
locked temporaries that the next export in that folder removes (`writer.sweep_stale`).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from .analysis.records import Analysis
from .audio.loudness import PEAK_MARGIN_DB, LoudnessMeter, limit, limiter_margin, normalize
from .audio.mixer import Mixer
from .audio.timeline import PageChapter, Timeline, chapters_dict, cue_sheet
from .audio.writer import (
    AudioWriter,
    Held,
    OutputError,
    check_output,
    disk_reason,
    mp3_encoder,
    note_export,
    sweep_noted,
    sweep_stale,
    temp_dir,
    temp_file,
)
from .books.model import Book
from .core.atomic import publish_mode, replace_all
from .core.cancel import NEVER, CancelToken
from .core.errors import M2MError
from .core.store import Store
from .cue_recipe import CueRecipe, book_recipes, load_cue, save_cue, scene_seed
from .music.base import Cue, MusicBackend, MusicPlan
from .reading_time import seconds_per_page

Progress = Callable[[int, int, str], None]  # (done, total, what is happening)
MIX_BLOCK = 32768  # frames per pull: the mix pass costs per block as well as per sample
ENCODE_BLOCK = 65536
LOUDNESS_TOLERANCE_LU = 0.5
PROGRESS_UNITS = 1000
MIX_SHARE = 0.8  # of the progress bar: pass 1 (compose and mix); the rest is pass 2  # re-run pass 2 with a corrected gain beyond this


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


def _share(phase: int, done: int, total: int) -> int:
    """Progress units for `done` of `total` steps of pass `phase` (0 or 1)."""
    lo, hi = (0.0, MIX_SHARE) if phase == 0 else (MIX_SHARE, 1.0)
    return round(PROGRESS_UNITS * (lo + (hi - lo) * done / max(total, 1)))


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
    scores: list | None = [] if midi_path is not None else None  # for the score (--midi)
    writer: AudioWriter | None = None
    try:
        try:
            mix = _hold(held, temp_file(path, ".mix"))
            stems_tmp = _hold(held, temp_dir(stems_dir, ".stems")).path if stems_dir else None
        except OSError as exc:
            raise write_error(path, exc) from None
        t0 = time.perf_counter()
        recipes = book_recipes(book, analysis, seconds_per_page)
        keys = [r.key(backend) for r in recipes]
        with os.fdopen(mix.take_fd(), "wb") as raw:
            chapters, mixer, loud_raw, composed = _compose_and_mix(
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
                lufs, peak = _normalise_and_encode(
                    mix.path, timeline.total, sample_rate, gain_db, true_peak_db, writer,
                    lambda i: report(_share(1, i + 1, encode_blocks), PROGRESS_UNITS, "normalising and writing"), cancel,
                )  # fmt: skip
                off = target_lufs - lufs if math.isfinite(lufs) else 0.0
                if abs(off) <= LOUDNESS_TOLERANCE_LU or _attempt == 2:
                    audio_tmp = writer.finish()
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
            (_stage(held, chapters_path, chapters_json), chapters_path),
            (_stage(held, cue_path, cue_sheet(doc, path)), cue_path),
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
            from .music.midi import write_midi

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
        encoder=writer.encoder,
        events=[(at / sr, kind, page) for at, kind, page in mixer.events],
        warnings=[f"page {c.index + 1}: {w}" for c in chapters for w in c.warnings],
        timings=timings,
        midi_path=Path(midi_path) if midi_path is not None else None,
        cue_keys=keys,
        composed=composed,
    )


def _seconds(book: Book, setting: str | float) -> list[float]:
    return seconds_per_page(book.pages, setting)


def _compose_and_mix(
    recipes: list[CueRecipe],
    keys: list[str],
    backend: MusicBackend,
    store: Store | None,
    timeline: Timeline,
    seconds: list[float],
    raw,
    out_path: Path,
    stems_tmp: Path | None,
    loudness: tuple[float, float],
    crossfade_scene_s: float,
    crossfade_page_s: float,
    report: Progress,
    cancel: CancelToken,
    scores: list | None = None,
) -> tuple[list[PageChapter], Mixer, float, int]:
    """Pass 1: every page's cue (from the store, else made), the mixer driven along
    the timeline, raw float32 written. Returns the chapters, the mixer, the loudness
    and how many cues were made."""
    sr = timeline.sample_rate
    mixer = Mixer(
        sr, 2, crossfade_scene_s, crossfade_page_s, record_events=True, max_block=MIX_BLOCK
    )
    meter = LoudnessMeter(sr, 2)
    block = np.zeros((MIX_BLOCK, 2), np.float32)

    def pull_until(stop: int) -> None:
        while mixer.clock < stop:
            cancel.check()
            out = block[: min(MIX_BLOCK, stop - mixer.clock)]
            mixer.pull(out)
            try:
                out.tofile(raw)
            except OSError as exc:
                raise write_error(out_path, exc) from None
            meter.add(out)

    chapters: list[PageChapter] = []
    previous: Cue | None = None
    composed = 0
    n = len(recipes)
    stored = _read_ahead(store, recipes, keys)
    for i, recipe in enumerate(recipes):
        cancel.check()
        report(_share(0, i, n), PROGRESS_UNITS, f"music for page {i + 1} of {n}")
        cue = next(stored)
        if cue is None:
            cue = backend.make_cue(recipe.request(previous, backend), cancel)
            composed += 1
            cancel.check()
            if store is not None:
                save_cue(store, keys[i], cue)
        if scores is not None:
            score = cue.score
            if score is None and callable(getattr(backend, "score_for", None)):
                _, score, _ = backend.score_for(recipe.request())  # type: ignore[attr-defined]
            if score is not None:
                from .music.midi import PageScore

                title = recipe.directive if recipe.joins == "change" else ""
                scores.append(
                    PageScore(i, recipe.scene, timeline.starts[i] / sr, seconds[i], cue.plan, score, title)
                )  # fmt: skip
        chapters.append(
            PageChapter(i, recipe.scene, seconds[i], recipe.caption, cue.plan, cue.backend, recipe.joins, list(cue.warnings))
        )  # fmt: skip
        locate = getattr(backend, "locate", None)  # the music library: which track, where
        if callable(locate):
            track, _, offset = locate(recipe.request(None, backend))
            chapters[-1].track, chapters[-1].track_offset_s = track.path, round(offset, 3)
        if stems_tmp is not None:
            stem, _ = normalize(cue.clip.audio, cue.clip.sample_rate, *loudness)
            try:
                sf.write(
                    stems_tmp / f"page_{i + 1:04d}.wav",
                    stem,
                    cue.clip.sample_rate,
                    subtype="PCM_16",
                )
            except (sf.SoundFileError, OSError) as exc:
                raise write_error(out_path, exc) from None
        mixer.set_cue(i, cue)
        mixer.turn(i, "turn", at=timeline.starts[i])
        if i:
            mixer.forget(i - 1)
        previous = cue
        pull_until(timeline.page_end(i))
    mixer.fade_out(timeline.tail / sr, at=timeline.end)
    pull_until(timeline.total)
    return chapters, mixer, meter.integrated(), composed


def _read_ahead(
    store: Store | None, recipes: list[CueRecipe], keys: list[str]
) -> Iterator[Cue | None]:
    """Each page's cue from `store` (None where it is not there), the next page's read
    and decoded on a thread while the caller mixes this one."""
    if store is None:
        yield from (None for _ in recipes)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="m2m-export-read") as pool:
        ahead = pool.submit(load_cue, store, recipes[0], keys[0]) if recipes else None
        for i in range(len(recipes)):
            assert ahead is not None
            cue = ahead.result()
            if i + 1 < len(recipes):
                ahead = pool.submit(load_cue, store, recipes[i + 1], keys[i + 1])
            yield cue


LOSSY = (".ogg", ".mp3", ".opus")
LOSSY_HEADROOM_DB = 0.6


def _normalise_and_encode(
    raw_path: Path,
    frames: int,
    sample_rate: int,
    gain_db: float,
    true_peak_db: float,
    writer: AudioWriter,
    step: Callable[[int], None],
    cancel: CancelToken,
) -> tuple[float, float]:
    """Pass 2: gain, true-peak limit, measure and write. Returns (LUFS, dBTP)."""
    mix = np.memmap(raw_path, dtype=np.float32, mode="r", shape=(frames, 2))
    gain = 10 ** (gain_db / 20)
    margin = limiter_margin(sample_rate)
    # Lossy encoders overshoot the peaks they are given (Vorbis and MP3 by up to ~0.5 dB).
    ceiling = (
        true_peak_db
        - PEAK_MARGIN_DB
        - (LOSSY_HEADROOM_DB if writer.path.suffix.lower() in LOSSY else 0.0)
    )
    meter, peak = LoudnessMeter(sample_rate, 2), 0.0
    for n, a in enumerate(range(0, frames, ENCODE_BLOCK)):
        cancel.check()
        b = min(frames, a + ENCODE_BLOCK)
        lo, hi = max(0, a - margin), min(frames, b + margin)
        ext = np.zeros((b - a + 2 * margin, 2), np.float32)
        ext[lo - (a - margin) : hi - (a - margin)] = mix[lo:hi]
        ext *= gain
        out, block_peak = limit(ext, sample_rate, ceiling, peak)
        writer.write(out)
        meter.add(out)
        peak = max(peak, block_peak)
        step(n)
    del mix
    return meter.integrated(), 20 * math.log10(peak) if peak > 0 else -math.inf


def write_error(path: Path, exc: BaseException) -> OutputError:
    """One sentence for a write beside `path` that failed (full disk, read-only...)."""
    return OutputError(f"cannot write {path}: {disk_reason(path, exc)}")


def space_needed(frames: int, sample_rate: int, ext: str, stems: bool) -> int:
    """About how many bytes an export of `frames` takes on its disk at its peak: the
    raw float mix, the encoded file beside it, the stems and a margin."""
    raw = frames * 2 * 4
    pcm16 = frames * 2 * 2
    ext = ext.lower()
    if ext == ".wav":
        encoded = pcm16
    elif ext == ".flac":
        encoded = pcm16 * 7 // 10
    else:  # Vorbis, MP3: a few hundred kbit/s at most
        encoded = int(frames / sample_rate * 320_000 / 8)
        if ext == ".mp3" and mp3_encoder() == "ffmpeg":
            encoded += frames * 2 * 4  # the ffmpeg route writes a float WAV first
    return raw + encoded + (pcm16 if stems else 0) + 1_000_000


def _hold(held: list[Held], h: Held) -> Held:
    held.append(h)
    return h


def _stage(held: list[Held], final: Path, text: str) -> Path:
    """`text` written (fsynced, usual permissions) to a locked temporary beside
    `final`; returns the temporary's path, for `replace_all`."""
    try:
        h = _hold(held, temp_file(final, ".part"))
        with os.fdopen(h.take_fd(), "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        publish_mode(h.path)
    except OSError as exc:
        raise write_error(final, exc) from None
    return h.path


__all__ = ["ExportResult", "OutputError", "export_soundtrack", "scene_seed"]
