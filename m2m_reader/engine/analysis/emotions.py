"""KangaiSet's seven emotion classes and helpers for emotion profiles.

A profile maps each class to a share in [0, 1]; shares sum to 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

EMOTIONS: tuple[str, ...] = (
    "anger",
    "disgust",
    "fear",
    "happiness",
    "neutral",
    "sadness",
    "surprise",
)

Profile = dict[str, float]


def neutral_profile() -> Profile:
    return {e: (1.0 if e == "neutral" else 0.0) for e in EMOTIONS}


def normalise(scores: Mapping[str, float]) -> Profile:
    """Shares over all seven classes summing to 1 (all-neutral if there is no mass)."""
    total = sum(max(0.0, float(scores.get(e, 0.0))) for e in EMOTIONS)
    if total <= 0:
        return neutral_profile()
    return {e: max(0.0, float(scores.get(e, 0.0))) / total for e in EMOTIONS}


def mix(profiles: Iterable[Mapping[str, float]], weights: Iterable[float] | None = None) -> Profile:
    """Weighted average of profiles (equal weights by default)."""
    profiles = list(profiles)
    ws = list(weights) if weights is not None else [1.0] * len(profiles)
    acc = {e: 0.0 for e in EMOTIONS}
    for p, w in zip(profiles, ws, strict=True):
        for e in EMOTIONS:
            acc[e] += w * float(p.get(e, 0.0))
    return normalise(acc)


def top(profile: Mapping[str, float], n: int = 3) -> list[tuple[str, float]]:
    return sorted(((e, float(profile.get(e, 0.0))) for e in EMOTIONS), key=lambda x: -x[1])[:n]


def dominant(profile: Mapping[str, float]) -> str:
    return top(profile, 1)[0][0]


def faces_line(profile: Mapping[str, float], n: int = 3) -> str:
    """M2M-Gen's emotion line, e.g. 'faces have: 57% neutral, 13% surprise, 13% fear'."""
    parts = [f"{round(100 * s)}% {e}" for e, s in top(profile, n) if s > 0]
    return "faces have: " + ", ".join(parts)


# Energy a class lends the music (0 calm .. 1 intense) and its valence (-1 .. 1).
AROUSAL = {
    "anger": 0.9,
    "disgust": 0.55,
    "fear": 0.8,
    "happiness": 0.6,
    "neutral": 0.3,
    "sadness": 0.2,
    "surprise": 0.75,
}
VALENCE = {
    "anger": -0.7,
    "disgust": -0.6,
    "fear": -0.8,
    "happiness": 0.9,
    "neutral": 0.0,
    "sadness": -0.7,
    "surprise": 0.2,
}


def arousal(profile: Mapping[str, float]) -> float:
    return sum(AROUSAL[e] * float(profile.get(e, 0.0)) for e in EMOTIONS)


def valence(profile: Mapping[str, float]) -> float:
    return sum(VALENCE[e] * float(profile.get(e, 0.0)) for e in EMOTIONS)
