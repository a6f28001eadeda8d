"""Which track fits a scene: what the scene asks for, scored against each track.

A scene asks through its directive (and its first page's caption), read with the
composer's own lexicon (`music.plan`): an energy (arousal) and a valence from its mood
words, a mode and a tempo. A `Ranker` scores every track for that; the built-in one
compares the track's arousal (half its own reading, half its rank within the library,
so a library of quiet tracks still spans calm to intense) and valence, its mode and its
tempo. The CLAP ranker (`clap.py`) scores the directive's text against the track's
audio instead. `choose` takes the best-scoring track not heard in the last few scenes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..music.plan import plan_for, read_text
from .features import TrackFeatures

RECENT_SCENES = 2  # a track heard in this many previous scenes is passed over
REPEAT_PENALTY = 10.0


@dataclass(frozen=True)
class SceneWant:
    """What a scene's music should be."""

    text: str  # the directive (and caption) the ranker reads
    arousal: float  # 0 calm .. 1 intense
    valence: float  # 0 dark .. 1 bright
    mode: str
    tempo: float
    tempo_stated: bool  # the text names a tempo (then it weighs more)


def want_for(directive: str, caption: str = "") -> SceneWant:
    plan, _ = plan_for(caption, directive)
    d, c = read_text(directive or ""), read_text(caption or "")
    energy = next((x.energy for x in (d, c) if x.energy is not None), plan.energy)
    valence = next((x.valence for x in (d, c) if x.valence is not None), None)
    if valence is None:
        valence = 0.3 if plan.mode == "major" else -0.3
    text = " ".join(f"{directive} {caption}".split())
    stated = d.tempo is not None or c.tempo is not None
    return SceneWant(text, float(energy), (float(valence) + 1) / 2, plan.mode, plan.tempo, stated)


class Ranker(Protocol):
    name: str

    def scores(self, want: SceneWant, tracks: list[TrackFeatures]) -> list[float]:
        """Higher is a better fit, one score per track."""
        ...


def _ranks(values: list[float]) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return np.full(len(v), 0.5)
    return np.argsort(np.argsort(v)) / (len(v) - 1)


def tempo_distance(found: float, wanted: float) -> float:
    """Octaves between two tempi, where half or double counts as a quarter octave off:
    beat trackers often read slow music at double speed."""
    r = abs(math.log2(max(found, 1.0) / max(wanted, 1.0)))
    return min(r, abs(r - 1) + 0.25)


class FeatureRanker:
    """Scores tracks by their measured features (no model)."""

    name = "features"

    def settings_key(self) -> str:
        return "features-2"

    def scores(self, want: SceneWant, tracks: list[TrackFeatures]) -> list[float]:
        if not tracks:
            return []
        # the library's ranks spread over the range directives ask for (calm ~0.2 to
        # furious ~0.9), so the quietest track still reads as calm, not as below calm
        ranks = 0.15 + 0.75 * _ranks([t.arousal for t in tracks])
        ar = 0.5 * np.array([t.arousal for t in tracks]) + 0.5 * ranks
        va = np.array([t.valence for t in tracks])  # mode carries it: no ranks needed
        out = []
        for t, a, v in zip(tracks, ar, va, strict=True):
            s = -2.0 * abs(a - want.arousal) - 2.0 * abs(v - want.valence)
            s += 0.4 if t.mode == want.mode else 0.0
            tempo_w = 0.8 if want.tempo_stated else 0.1
            s -= tempo_w * tempo_distance(t.tempo, want.tempo)
            s += 0.1 * t.loop_score  # a track that loops well, all else equal
            out.append(float(s))
        return out


def choose(
    want: SceneWant, tracks: list[TrackFeatures], ranker: Ranker, recent: list[str]
) -> tuple[TrackFeatures, float]:
    """The best track for `want` not in `recent` (paths of the last scenes' tracks)."""
    if not tracks:
        raise ValueError("no tracks to choose from")
    scores = ranker.scores(want, tracks)
    avoid = set(recent[-RECENT_SCENES:])
    adjusted = [
        s - (REPEAT_PENALTY if t.path in avoid else 0.0)
        for t, s in zip(tracks, scores, strict=True)
    ]
    best = int(np.argmax(adjusted))
    return tracks[best], float(scores[best])
