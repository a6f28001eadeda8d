"""Scene boundaries without a model: where the cast, the tone, the mood and the
narration all say a new scene begins.

For each gap between page i-1 and page i the rules score four kinds of evidence,
each in [0, 1], over a window of `WINDOW` pages on either side:

- cast: who is present or speaking before and after (1 - Jaccard overlap);
- tone: how different the pages look (brightness, darkness, grey histogram);
- cue: a narration box or a time or place marker at the top of page i
  ("That evening...", "Meanwhile", "The next day", 翌日, その夜, 一方);
- mood: how far the emotion profile moves (half the L1 distance);
- look: for pages read from pixels, how far the drawing's visual cues move
  (screentone, night, busy backgrounds, black panels).

The score is a weighted mean over the kinds the book has (a book with no annotations
has only tone). Boundaries are the gaps scoring above `THRESHOLD`, taken best first
with scenes at least `MIN_SCENE` pages long. Nothing here knows any particular book.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .emotions import EMOTIONS, Profile
from .page_stats import PageStats, tone_distance
from .records import PageTranscript, ScenesResult

WINDOW = 2
MIN_SCENE = 2
THRESHOLD = 0.42
WEIGHTS = {"cast": 0.35, "tone": 0.3, "cue": 0.25, "mood": 0.2, "look": 0.3}
TONE_SCALE = 0.15  # tone distance giving evidence 0.63 (1 - 1/e)
LOOK_SCALE = 0.4  # the same for the distance between pages' visual cues
# Visual cues of pages read from pixels that stay steady within a scene (its drawing
# style: screentone, night, busy backgrounds, black panels), unlike shouts and sound
# effects, which come and go from panel to panel.
LOOK_KEYS = ("screentone", "dark", "edges", "speed_lines", "black_panels")

_MARKERS = re.compile(
    r"\b(?:that (?:morning|afternoon|evening|night)|the next (?:day|morning|week)|"
    r"(?:the )?next day|meanwhile|later(?: that)?|years? later|days? later|hours? later|"
    r"weeks? later|elsewhere|at (?:the|school|home)|back at|the following|"
    r"one (?:day|morning|evening|night)|some time later|afterwards|after school|"
    r"flashback|earlier)\b|翌日|その夜|その日|一方|数日後|翌朝|次の日|夕方|放課後",
    re.IGNORECASE,
)
NARRATOR = {"", "unknown", "narration", "narrator", "none", "sfx"}


@dataclass
class GapEvidence:
    page: int  # the page a scene would start on
    cast: float | None
    tone: float | None
    cue: float | None
    mood: float | None
    look: float | None = None  # pages read from pixels: how far their pictures move

    @property
    def score(self) -> float:
        parts = [(WEIGHTS[k], v) for k, v in self._kinds() if v is not None]
        if not parts:
            return 0.0
        return sum(w * v for w, v in parts) / sum(w for w, _ in parts)

    def _kinds(self) -> list[tuple[str, float | None]]:
        return [
            ("cast", self.cast),
            ("tone", self.tone),
            ("cue", self.cue),
            ("mood", self.mood),
            ("look", self.look),
        ]

    def reason(self) -> str:
        named = [f"{k} {v:.2f}" for k, v in self._kinds() if v is not None and v >= 0.3]
        return f"score {self.score:.2f}" + (f" ({', '.join(named)})" if named else "")


def cast_of(t: PageTranscript) -> set[str]:
    cast = {f.character for f in t.faces if f.character}
    cast |= {ln.speaker for ln in t.lines if ln.speaker.lower() not in NARRATOR}
    return cast


def has_marker(t: PageTranscript, first_lines: int = 3) -> bool:
    for ln in t.lines[:first_lines]:
        if _MARKERS.search(ln.text):
            return True
    return False


def _jaccard_distance(a: set[str], b: set[str]) -> float | None:
    if not a and not b:
        return None
    return 1.0 - len(a & b) / len(a | b)


def _mean_profile(profiles: list[Profile]) -> np.ndarray:
    return np.mean([[p.get(e, 0.0) for e in EMOTIONS] for p in profiles], axis=0)


def _mean_visual(visuals: list) -> np.ndarray:
    return np.mean([[v.get(k, 0.0) for k in LOOK_KEYS] for v in visuals], axis=0)


def gap_evidence(
    transcripts: list[PageTranscript],
    stats: list[PageStats],
    profiles: list[Profile] | None,
    annotated: bool,
) -> list[GapEvidence]:
    n = len(transcripts)
    casts = [cast_of(t) for t in transcripts]
    gaps = []
    for i in range(1, n):
        before = range(max(0, i - WINDOW), i)
        after = range(i, min(n, i + WINDOW))
        cast = None
        if annotated:
            cast = _jaccard_distance(
                set().union(*(casts[j] for j in before)), set().union(*(casts[j] for j in after))
            )
        pairs = [tone_distance(stats[a], stats[b]) for a in before for b in after]
        # The change between the two facing pages counts most; the windows confirm it.
        d = 0.6 * tone_distance(stats[i - 1], stats[i]) + 0.4 * float(np.mean(pairs))
        tone = float(1.0 - np.exp(-d / TONE_SCALE))
        cue = (1.0 if has_marker(transcripts[i]) else 0.0) if annotated else None
        mood = None
        if profiles is not None and annotated:
            pb = _mean_profile([profiles[j] for j in before])
            pa = _mean_profile([profiles[j] for j in after])
            mood = float(0.5 * np.abs(pb - pa).sum())
        look = None
        if all(transcripts[j].visual for j in (*before, *after)):
            vb = _mean_visual([transcripts[j].visual for j in before])
            va = _mean_visual([transcripts[j].visual for j in after])
            look = float(1.0 - np.exp(-float(np.abs(vb - va).sum()) / LOOK_SCALE))
        gaps.append(GapEvidence(page=i, cast=cast, tone=tone, cue=cue, mood=mood, look=look))
    return gaps


def choose_boundaries(
    gaps: list[GapEvidence], n_pages: int, upto: int | None = None
) -> ScenesResult:
    """Best-first selection of gaps above the threshold, keeping scenes >= MIN_SCENE."""
    limit = n_pages if upto is None else min(n_pages, upto)
    starts = [0]
    reasons = {0: "the book begins"}
    candidates = sorted(
        (g for g in gaps if g.score >= THRESHOLD and g.page <= limit - 1),
        key=lambda g: -g.score,
    )
    for g in candidates:
        if upto is not None and g.page > limit - WINDOW:
            continue  # not enough pages after it yet to judge
        if upto is None and n_pages - g.page < MIN_SCENE:
            continue  # a last scene too short to be one
        if all(abs(g.page - s) >= MIN_SCENE for s in starts):
            starts.append(g.page)
            reasons[g.page] = g.reason()
    return ScenesResult(starts=sorted(starts), reasons=reasons, provisional=upto is not None)
