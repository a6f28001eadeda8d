"""A run's record: `OUT/manifest.jsonl`, which books are finished, and what was composed.

The manifest has one JSON line per book (its name and path, status, error, pages,
scenes, cues and how many were composed, the backends, the timings, the outputs). The
driver appends a line as each book finishes, flushed and fsynced, so a run killed
midway keeps the books it finished; at the end of a run it is rewritten (atomically)
with the newest line of each book, in the run's order. A torn last line (kill -9
during a write) is ignored.

A book is finished, and a rerun skips it, when its newest line says "ok" with the same
job key (the settings that shape its soundtrack) and source (the book's size and
modification time), and its outputs are complete and valid: the audio opens and lasts
what the chapters file says, the chapters file lists every page, and the CUE sheet
names the audio.

`OUT/.m2m-batch/composed.jsonl` is the journal of the cues the music workers made (one
line each, written after the cue is in the cache): across a killed run and its rerun,
no cue key appears twice.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import soundfile as sf

from ..core.atomic import write_text
from ..core.settings import Settings
from ..core.store import key
from .inputs import BookJob

MANIFEST = "manifest.jsonl"
STATE_DIR = ".m2m-batch"
JOURNAL = "composed.jsonl"
BATCH_VERSION = 1
DURATION_TOLERANCE_S = 0.05

# The settings that shape a book's soundtrack: a change of any makes the book redo
# (its cached stages are found again by their own keys).
SHAPING = (
    "text", "llm_model", "llm_base_url", "emotions", "transcript", "music",
    "musicgen_model", "soundfont", "music_dir", "music_ranker", "clap_model",
)  # fmt: skip


def job_key(settings: Settings, options: dict[str, Any]) -> str:
    """The key of a run's settings for one book: the backends and the export options
    (mode, seconds per page, loudness, format). The API key is not part of it."""
    chosen = {name: getattr(settings, name, None) for name in SHAPING}
    return key("batch", BATCH_VERSION, chosen, sorted(options.items()))


def outputs(out: Path, job: BookJob, fmt: str) -> dict[str, Path]:
    """Where a book's audio, chapters JSON and CUE sheet go (export's own naming)."""
    audio = out / f"{job.name}.{fmt}"
    return {
        "audio": audio,
        "chapters": audio.with_name(audio.stem + ".chapters.json"),
        "cue": audio.with_suffix(".cue"),
    }


def outputs_valid(paths: dict[str, Path], pages: int | None = None) -> str | None:
    """None when a book's outputs are complete and agree with each other, else why not."""
    try:
        doc = json.loads(paths["chapters"].read_text(encoding="utf-8"))
        info = sf.info(str(paths["audio"]))
        sheet = paths["cue"].read_text(encoding="utf-8")
    except (OSError, ValueError, RuntimeError, sf.SoundFileError) as exc:
        return f"an output is missing or unreadable ({type(exc).__name__}: {exc})"
    if not isinstance(doc, dict) or doc.get("format") != "m2m-reader/chapters":
        return f"{paths['chapters'].name} is not a chapters file"
    listed = doc.get("pages")
    if not isinstance(listed, list) or not listed or (pages is not None and len(listed) != pages):
        return f"{paths['chapters'].name} does not list every page"
    if doc.get("audio") != paths["audio"].name:
        return f"{paths['chapters'].name} names another audio file"
    duration = info.frames / info.samplerate if info.samplerate else 0.0
    if abs(duration - float(doc.get("duration_s", -1))) > DURATION_TOLERANCE_S:
        return f"{paths['audio'].name} is shorter or longer than its chapters say"
    if paths["audio"].name not in sheet or "TRACK 01" not in sheet:
        return f"{paths['cue'].name} is not the CUE sheet of {paths['audio'].name}"
    return None


class Manifest:
    """The manifest of the run into `out` (see the module docstring)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = out / MANIFEST
        self.records: dict[str, dict[str, Any]] = {}  # book name → its newest record
        for line in _lines(self.path):
            if isinstance(line.get("book"), str):
                self.records[line["book"]] = line

    def finished(self, job: BookJob, jkey: str, fmt: str) -> bool:
        """Whether `job` is done with these settings and its outputs are valid."""
        rec = self.records.get(job.name)
        if not rec or rec.get("status") != "ok" or rec.get("key") != jkey:
            return False
        try:
            if rec.get("source") != list(job.source()) or rec.get("path") != job.path:
                return False
        except OSError:
            return False
        return outputs_valid(outputs(self.out, job, fmt), rec.get("pages")) is None

    def add(self, record: dict[str, Any]) -> None:
        """Append one book's record, on disk at once (flushed and fsynced)."""
        self.records[record["book"]] = record
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def compact(self, order: Iterable[str]) -> None:
        """Rewrite the manifest with one line per book: `order` first, then the others."""
        names = list(dict.fromkeys([*order, *self.records]))
        lines = [json.dumps(self.records[n], ensure_ascii=False, sort_keys=True)
                 for n in names if n in self.records]  # fmt: skip
        write_text(self.path, "".join(f"{ln}\n" for ln in lines), public=True)


def journal_path(out: Path) -> Path:
    return out / STATE_DIR / JOURNAL


def note_composed(out: Path, book: str, page: int, cue_key: str) -> None:
    """Add a cue just composed (and cached) to the run's journal: one short append."""
    line = json.dumps({"book": book, "page": page, "key": cue_key, "at": round(time.time(), 3)})
    fd = os.open(journal_path(out), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def composed_keys(out: Path) -> list[str]:
    """Every cue key the journal lists, once per time it was composed."""
    return [str(r.get("key")) for r in _lines(journal_path(out))]


def _lines(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    for raw in text.splitlines():
        try:
            value = json.loads(raw)
        except ValueError:
            continue  # a line torn by a kill
        if isinstance(value, dict):
            out.append(value)
    return out


__all__ = [
    "MANIFEST", "Manifest", "composed_keys", "job_key", "journal_path", "note_composed",
    "outputs", "outputs_valid",
]  # fmt: skip
