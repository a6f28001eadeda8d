"""A reading timeline — when each page starts — and the chapters it becomes.

Export reads the book at the automatic (or fixed) seconds per page: page i starts at
the sum of the earlier pages' seconds, rounded to a sample; after the last page the
music fades out. The same timeline gives the chapters sidecars: `NAME.chapters.json`
(pages and scenes with start times, captions, music plans, directives) and `NAME.cue`
(a CUE sheet, one TRACK per scene, or per page in page mode). See docs/export.md.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..analysis.records import Analysis
from ..music.base import MusicPlan

CHAPTERS_FORMAT = "m2m-reader/chapters"
CHAPTERS_VERSION = 1
CUE_MAX_TRACKS = 99  # the CUE sheet format allows 99 tracks
CUE_FPS = 75  # CUE frames per second


@dataclass(frozen=True)
class Timeline:
    """Page start samples, the end of the last page, and the fade-out after it."""

    sample_rate: int
    starts: tuple[int, ...]
    end: int
    tail: int

    @classmethod
    def from_seconds(cls, seconds: list[float], sample_rate: int, tail_s: float = 3.0) -> Timeline:
        starts, t = [], 0.0
        for s in seconds:
            starts.append(round(t * sample_rate))
            t += s
        return cls(sample_rate, tuple(starts), round(t * sample_rate), round(tail_s * sample_rate))

    @property
    def total(self) -> int:
        return self.end + self.tail

    def page_end(self, page: int) -> int:
        return self.starts[page + 1] if page + 1 < len(self.starts) else self.end

    def page_at(self, sample: int) -> int:
        """The page being read at `sample`."""
        return max(0, bisect.bisect_right(self.starts, sample) - 1)

    def seconds(self, sample: int) -> float:
        return sample / self.sample_rate


@dataclass
class PageChapter:
    index: int
    scene: int
    seconds: float
    caption: str
    plan: MusicPlan
    backend: str
    joins: str
    warnings: list[str] = field(default_factory=list)
    track: str | None = None  # the music library's track (relative to its folder)
    track_offset_s: float | None = None  # where in the track the page's music starts


def chapters_dict(
    timeline: Timeline,
    analysis: Analysis,
    pages: list[PageChapter],
    audio_name: str,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """The chapters JSON document (times in seconds, rounded to milliseconds)."""

    def t(sample: int) -> float:
        return round(timeline.seconds(sample), 3)

    scenes = [
        {
            "index": s.index,
            "first_page": s.first_page,
            "last_page": s.last_page,
            "start_s": t(timeline.starts[s.first_page]),
            "end_s": t(timeline.page_end(s.last_page)),
            "directive": s.directive,
        }
        for s in analysis.scenes
        if s.first_page < len(timeline.starts)
    ]
    return {
        "format": CHAPTERS_FORMAT,
        "version": CHAPTERS_VERSION,
        "title": analysis.title,
        "audio": audio_name,
        "mode": analysis.mode,
        "sample_rate": timeline.sample_rate,
        "duration_s": t(timeline.total),
        "fade_out_s": t(timeline.tail),
        **extra,
        "scenes": scenes,
        "pages": [
            {
                "index": p.index,
                "scene": p.scene,
                "start_s": t(timeline.starts[p.index]),
                "end_s": t(timeline.page_end(p.index)),
                "seconds": round(p.seconds, 3),
                "caption": p.caption,
                "joins": p.joins,
                "plan": {
                    k: v
                    for k, v in p.plan.to_dict().items()
                    if k in ("tempo", "key", "mode", "instruments", "energy", "style", "meter")
                },
                "backend": p.backend,
                "warnings": list(p.warnings),
                **({"track": p.track, "track_offset_s": p.track_offset_s} if p.track else {}),
            }
            for p in pages
        ],
    }


def cue_time(seconds: float) -> str:
    """mm:ss:ff with 75 frames a second (minutes may exceed 99)."""
    frames = round(seconds * CUE_FPS)
    return f"{frames // (60 * CUE_FPS):02d}:{frames // CUE_FPS % 60:02d}:{frames % CUE_FPS:02d}"


def _quote(text: str) -> str:
    return '"' + " ".join(text.replace('"', "'").split())[:200] + '"'


def cue_file_name(name: str) -> str:
    """The audio's file name as a CUE FILE argument that names exactly that file.

    CUE strings have no escapes. A name without `"` is double-quoted, as every player
    reads; one with `"` but no space is written bare, and one with `"` and spaces in
    single quotes (libcue, used by most Linux players, reads both; mpv reads only
    double-quoted names). A name with `"`, `'` and a space (or a line break) cannot be
    named: it is double-quoted as it is (docs/export.md says so).
    """
    if '"' not in name:
        return f'"{name}"'
    if not any(c.isspace() for c in name):
        return name
    if "'" not in name:
        return f"'{name}'"
    return f'"{name}"'


def cue_sheet(chapters: dict[str, Any], audio_path: Path) -> str:
    """A CUE sheet for the chapters: a track per scene (per page in page mode).

    Past 99 tracks the rest are listed as REM lines inside the 99th.
    """
    per_page = chapters["mode"] == "page"
    items = chapters["pages"] if per_page else chapters["scenes"]
    kind = "MP3" if audio_path.suffix.lower() == ".mp3" else "WAVE"
    lines = [f"TITLE {_quote(chapters['title'] or audio_path.stem)}", 'PERFORMER "m2m-reader"']
    lines.append(f"FILE {cue_file_name(audio_path.name)} {kind}")  # beside the sheet
    for n, item in enumerate(items, start=1):
        if per_page:
            title = f"Page {item['index'] + 1}"
            text = item["caption"]
        else:
            title = f"Scene {item['index'] + 1} (pages {item['first_page'] + 1}-{item['last_page'] + 1})"
            text = item["directive"]
        if n > CUE_MAX_TRACKS:
            lines.append(f"    REM {title} {cue_time(item['start_s'])} {_quote(text)}")
            continue
        lines += [
            f"  TRACK {n:02d} AUDIO",
            f"    TITLE {_quote(title)}",
            f"    REM COMMENT {_quote(text)}",
            f"    INDEX 01 {cue_time(item['start_s'])}",
        ]
    return "\n".join(lines) + "\n"
