"""The analysis records: plain, versioned, JSON-serialisable.

One record per stage and item: the transcript of a page, the scene boundaries of the
book, the emotions of a page, the directive of a scene, the caption of a page. Each
carries the backend that made it and whether a person edited it. `Analysis` gathers
them into the documented `analysis.json` format (see docs/analysis-format.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .emotions import Profile, neutral_profile

FORMAT = "m2m-reader/analysis"
FORMAT_VERSION = 1
MODES = ("scene", "page", "section")


@dataclass
class Line:
    """One line of dialogue: `PAGE n speaker: text` in M2M-Gen's prompts."""

    page: int
    speaker: str
    text: str
    # Read from the pixels (books without annotations): what held the text (balloon,
    # shout, box, sfx, note), where it was and how sure the OCR was.
    kind: str = ""
    box: list[int] | None = None
    confidence: float | None = None

    def prompt_line(self) -> str:
        text = " ".join(self.text.split())
        return f"PAGE {self.page} {self.speaker}: {text}"


@dataclass
class FaceReading:
    """A face on a page with, when read, its emotion profile."""

    box: tuple[int, int, int, int]
    character: str | None = None
    id: str | None = None
    emotions: Profile | None = None


@dataclass
class PageTranscript:
    index: int
    lines: list[Line] = field(default_factory=list)
    faces: list[FaceReading] = field(default_factory=list)
    # What the page's pictures show, when it was read from pixels (see reading.record)
    visual: dict[str, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if self.visual is None:  # annotated pages keep their old form (and cache keys)
            del d["visual"]
        for ln in d["lines"]:
            if not ln["kind"]:
                del ln["kind"], ln["box"], ln["confidence"]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PageTranscript:
        return cls(
            index=int(d["index"]),
            lines=[Line(**ln) for ln in d.get("lines", [])],
            faces=[
                FaceReading(
                    box=tuple(f["box"]),
                    character=f.get("character"),
                    id=f.get("id"),
                    emotions=f.get("emotions"),
                )
                for f in d.get("faces", [])
            ],
            visual=d.get("visual"),
        )


@dataclass
class ScenesResult:
    """Scene boundaries: the first page of every scene (always starting with 0)."""

    starts: list[int]
    reasons: dict[int, str] = field(default_factory=dict)  # why a scene starts there
    provisional: bool = False  # True while only the first pages were analysed

    def ranges(self, n_pages: int) -> list[tuple[int, int]]:
        starts = sorted({s for s in self.starts if 0 <= s < n_pages} | {0})
        ends = starts[1:] + [n_pages]
        return [(a, b - 1) for a, b in zip(starts, ends, strict=True)]


@dataclass
class PageEmotions:
    profile: Profile
    faces: list[Profile] = field(default_factory=list)  # one per face, in page order
    evidence: list[str] = field(default_factory=list)  # what the reading rests on


@dataclass
class SceneInput:
    """What a directive (or a section description) is written from."""

    index: int
    first_page: int
    last_page: int
    lines: list[Line]
    emotions: Profile
    title: str = ""
    seed: str = ""  # stable per book and scene, for deterministic choices
    brightness: float | None = None  # mean page tone, 0 black .. 1 white
    previous_emotions: Profile | None = None  # the scene before, if any
    visual: dict[str, float] | None = None  # mean visual cues of pages read from pixels


@dataclass
class PageInput:
    """What a page caption is written from."""

    index: int
    scene: SceneInput
    lines: list[Line]
    emotions: Profile
    directive: str


@dataclass
class PageResult:
    index: int
    emotions: Profile = field(default_factory=neutral_profile)
    caption: str = ""
    lines: list[Line] = field(default_factory=list)
    backends: dict[str, str] = field(default_factory=dict)  # stage -> backend
    edited: list[str] = field(default_factory=list)  # stages a person edited

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "emotions": {k: round(v, 4) for k, v in self.emotions.items()},
            "caption": self.caption,
            "dialogue": [_dialogue(ln) for ln in self.lines],
            "backends": dict(self.backends),
            "edited": list(self.edited),
        }


def _dialogue(ln: Line) -> dict[str, Any]:
    """A line in analysis.json; lines read from pixels also say what held them."""
    out: dict[str, Any] = {"speaker": ln.speaker, "text": ln.text}
    if ln.kind:
        out["kind"] = ln.kind
        if ln.confidence is not None:
            out["confidence"] = round(ln.confidence, 3)
    return out


@dataclass
class SceneResult:
    index: int
    first_page: int
    last_page: int
    directive: str = ""
    emotions: Profile = field(default_factory=neutral_profile)
    reason: str = ""
    pages: list[PageResult] = field(default_factory=list)
    backends: dict[str, str] = field(default_factory=dict)
    edited: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "first_page": self.first_page,
            "last_page": self.last_page,
            "directive": self.directive,
            "emotions": {k: round(v, 4) for k, v in self.emotions.items()},
            "reason": self.reason,
            "backends": dict(self.backends),
            "edited": list(self.edited),
            "pages": [p.to_dict() for p in self.pages],
        }


@dataclass
class Analysis:
    title: str
    n_pages: int
    mode: str
    scenes: list[SceneResult]
    backends: dict[str, str] = field(default_factory=dict)
    provisional: bool = False

    def page(self, index: int) -> PageResult:
        for s in self.scenes:
            if s.first_page <= index <= s.last_page:
                return s.pages[index - s.first_page]
        raise IndexError(index)

    def scene_of(self, index: int) -> SceneResult:
        for s in self.scenes:
            if s.first_page <= index <= s.last_page:
                return s
        raise IndexError(index)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "title": self.title,
            "pages": self.n_pages,
            "mode": self.mode,
            "backends": dict(self.backends),
            "provisional": self.provisional,
            "scenes": [s.to_dict() for s in self.scenes],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Analysis:
        from ..core.errors import RecordError

        if d.get("format") != FORMAT:
            raise RecordError(f"not an m2m-reader analysis (format {d.get('format')!r})")
        scenes = []
        for s in d["scenes"]:
            pages = [
                PageResult(
                    index=p["index"],
                    emotions=p["emotions"],
                    caption=p.get("caption", ""),
                    lines=[
                        Line(
                            page=p["index"],
                            speaker=ln["speaker"],
                            text=ln["text"],
                            kind=ln.get("kind", ""),
                            confidence=ln.get("confidence"),
                        )
                        for ln in p.get("dialogue", [])
                    ],
                    backends=p.get("backends", {}),
                    edited=p.get("edited", []),
                )
                for p in s["pages"]
            ]
            scenes.append(
                SceneResult(
                    index=s["index"],
                    first_page=s["first_page"],
                    last_page=s["last_page"],
                    directive=s.get("directive", ""),
                    emotions=s["emotions"],
                    reason=s.get("reason", ""),
                    pages=pages,
                    backends=s.get("backends", {}),
                    edited=s.get("edited", []),
                )
            )
        return cls(
            title=d.get("title", ""),
            n_pages=d["pages"],
            mode=d.get("mode", "scene"),
            scenes=scenes,
            backends=d.get("backends", {}),
            provisional=d.get("provisional", False),
        )
