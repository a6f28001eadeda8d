"""The page-reading record: what the pixels of one page say, plain and JSON-ready.

{"texts": [{"text", "box", "kind": balloon|box|sfx|note, "shape", "confidence",
            "language", "glyph", "speaker"}, ...in reading order],
 "panels": [{"box", "area", "brightness", "contrast", "dark", "screentone",
             "edges", "speed_lines", "black"}, ...in reading order],
 "faces": [{"box", "score", "panel"}],
 "page": {... the same evidence for the whole page},
 "language": "en" | "ja" | null, "damaged": bool}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Box = tuple[int, int, int, int]


@dataclass
class ReadText:
    text: str
    box: Box
    kind: str  # "balloon", "box" (caption), "sfx" or "note" (small loose text)
    confidence: float  # 0..1
    shape: str = ""  # "round", "spiky", "box" for balloons
    language: str = "en"
    glyph: float = 0.0  # letter height in page pixels (loudness of a sound effect)
    speaker: str = ""  # who says it, when the reader knows (Magi with a character bank)


@dataclass
class PanelEvidence:
    box: Box
    area: float = 0.0  # share of the page
    brightness: float = 1.0
    contrast: float = 0.0
    dark: float = 0.0  # share of near-black pixels
    screentone: float = 0.0  # fine periodic texture
    edges: float = 0.0  # edge density (busy, action)
    speed_lines: int = 0  # long slanted straight lines
    black: bool = False  # a full black panel
    colour: float = 0.0  # share of clearly coloured pixels (0 for black and white)


@dataclass
class FoundFace:
    box: Box
    score: float = 1.0
    panel: int | None = None  # index into the reading's panels


@dataclass
class PageReading:
    texts: list[ReadText] = field(default_factory=list)
    panels: list[PanelEvidence] = field(default_factory=list)
    faces: list[FoundFace] = field(default_factory=list)
    page: PanelEvidence = field(default_factory=lambda: PanelEvidence(box=(0, 0, 0, 0)))
    language: str | None = None
    damaged: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PageReading:
        def box(v: Any) -> Box:
            return tuple(int(x) for x in v)  # type: ignore[return-value]

        return cls(
            texts=[ReadText(**{**t, "box": box(t["box"])}) for t in d.get("texts", [])],
            panels=[PanelEvidence(**{**p, "box": box(p["box"])}) for p in d.get("panels", [])],
            faces=[FoundFace(**{**f, "box": box(f["box"])}) for f in d.get("faces", [])],
            page=PanelEvidence(**{**d["page"], "box": box(d["page"]["box"])}),
            language=d.get("language"),
            damaged=bool(d.get("damaged", False)),
        )

    def visual(self) -> dict[str, float]:
        """A page summary for emotion and scene rules, every value in [0, 1]."""
        p = self.page
        n = len(self.panels)
        small = sum(1 for q in self.panels if q.area < 0.08)
        sfx = [t for t in self.texts if t.kind == "sfx"]
        glyphs = [t.glyph for t in self.texts if t.kind != "sfx" and t.glyph]
        base = sorted(glyphs)[len(glyphs) // 2] if glyphs else 0.0
        loud = max((t.glyph / base if base else 2.0 for t in sfx), default=0.0)
        faces_big = max(
            (
                _area(f.box) / max(1, _area(self.panels[f.panel].box))
                for f in self.faces
                if f.panel is not None and f.panel < n
            ),
            default=0.0,
        )
        return {
            "brightness": p.brightness,
            "colour": p.colour,
            "dark": p.dark,
            "contrast": p.contrast,
            "screentone": p.screentone,
            "edges": min(1.0, p.edges * 5),
            "speed_lines": min(1.0, sum(q.speed_lines for q in self.panels) / 10.0),
            "pace": min(1.0, max(0, n - 3) / 5.0 + 0.1 * small),
            "black_panels": min(1.0, sum(q.black for q in self.panels) / max(1, n) * 2),
            "sfx": min(1.0, len(sfx) / 2.0),
            "sfx_loudness": min(1.0, loud / 4.0),
            "shouts": min(1.0, sum(t.shape == "spiky" for t in self.texts) / 2.0),
            "close_up": min(1.0, faces_big / 0.25),
            "texts": min(1.0, len(self.texts) / 8.0),
        }


def _area(b: Box) -> int:
    return max(0, b[2] - b[0]) * max(0, b[3] - b[1])
