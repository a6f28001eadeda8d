"""A sudden shock on a page: what asks the composer for a stinger.

Game engines play a short stinger over the music when something happens on screen; here
a page's analysis says when: a surprise spike (surprise is the page's strongest reading,
neutral aside, and strong) or a large sound effect (lettering the page reading found
at least 1.6 times the size of the dialogue's, or slanted — its kind is "sfx" — that
is a bang, not a drip or a hum). The caption can also ask for one in words ("a sudden
flourish", "a sharp accent", "stinger"; an edited caption included).

The rule reads only what a page's analysis record keeps (its emotions and its lines),
so live playback and export, which both build their cue requests through
`cue_recipe`, decide alike. The mixer keeps stingers at least 20 s apart in both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

SURPRISE_SPIKE = 0.3  # the page's surprise at least this, and above every other emotion
LOUD_SFX = 0.5  # a large sound effect's excitement (visual_cues.sfx_arousal) at least this
# A shock in the caption's words (the built-in writer's "a sudden ... flourish marks the
# surprise", "a sharp accent hits with the BOOM").
SHOCK_WORDS = re.compile(r"\b(?:sudden|sharp accent|stinger|shock)", re.IGNORECASE)


class _Line(Protocol):
    kind: str
    text: str


def surprise_spike(emotions: Mapping[str, float]) -> bool:
    """Surprise is the page's strongest emotion (neutral aside) and at least `SURPRISE_SPIKE`."""
    surprise = float(emotions.get("surprise", 0.0))
    others = [float(v) for k, v in emotions.items() if k not in ("surprise", "neutral")]
    return surprise >= SURPRISE_SPIKE and all(surprise > v for v in others)


def large_sfx(lines: Sequence[_Line]) -> bool:
    """A sound effect in large or slanted lettering (kind "sfx") that is a bang."""
    from ..analysis.visual_cues import sfx_arousal

    for ln in lines:
        if ln.kind != "sfx":
            continue
        quiet, excitement = sfx_arousal(ln.text, 1.0)  # large lettering: loud
        if quiet is None and excitement >= LOUD_SFX:
            return True
    return False


def page_shock(emotions: Mapping[str, float], lines: Sequence[_Line]) -> bool:
    """Whether a page's analysis asks for a stinger (see the module docstring)."""
    return surprise_spike(emotions) or large_sfx(lines)


__all__ = ["LOUD_SFX", "SHOCK_WORDS", "SURPRISE_SPIKE", "large_sfx", "page_shock", "surprise_spike"]
