"""Turn a plan's instrument list into tracks with roles, channels, registers and pans.

Roles: `melody`, `harmony` (a patterned accompaniment: arpeggio, comping, strum), `sustained`
(held chords), `counter` (a slow second voice), `bass`, `drums`. Every arrangement has a
melody, some harmony and a bass line: when the plan names no instrument for one of them, an
instrument it does name doubles up (the piano's left hand plays the bass).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import MusicPlan
from .theory import BASS, GM_PROGRAMS, MELODY, PATTERNED, PERCUSSION, SUSTAINED

DRUM_CHANNEL = 9


@dataclass(frozen=True)
class Track:
    instrument: str
    program: int  # General MIDI, 0-based
    role: str
    channel: int
    pan: float  # -1 left .. 1 right
    gain: float  # channel volume 0..1
    low: int  # register, MIDI pitches
    high: int

    @property
    def is_drums(self) -> bool:
        return self.role == "drums"


_PAN = {"melody": 0.1, "harmony": -0.3, "sustained": 0.3, "counter": 0.4, "bass": 0.0, "drums": 0.0}
_GAIN = {
    "melody": 0.85,
    "harmony": 0.62,
    "sustained": 0.42,
    "counter": 0.45,
    "bass": 0.8,
    "drums": 0.7,
}
# Bowed basses sustain at full level through a whole-bar note while a piano's or a guitar's
# notes die away: at the same track level they would cover the chords above them.
_BOWED_BASS = {"cello", "contrabass"}
_HIGH_MELODY = {"flute", "music box", "celesta", "glockenspiel", "violin", "synth lead", "oboe"}


def _register(instrument: str, role: str) -> tuple[int, int]:
    if role == "bass":
        return (36, 52) if instrument != "cello" else (38, 55)
    if role == "melody":
        return (69, 88) if instrument in _HIGH_MELODY else (62, 81)
    if role == "counter":
        return (55, 70)
    if role == "sustained":
        return (55, 74)
    return (50, 72)


def arrange(plan: MusicPlan) -> list[Track]:
    names = [n for n in plan.instruments if n in GM_PROGRAMS or n in PERCUSSION] or ["piano"]
    roles: list[tuple[str, str]] = []
    have: set[str] = set()
    for name in names:
        if name in PERCUSSION:
            role = "drums"
        elif name in BASS and "bass" not in have:
            role = "bass"
        elif name in MELODY:
            role = "melody" if "melody" not in have else "counter"
        elif name in SUSTAINED:
            role = "sustained"
        elif name in PATTERNED:
            role = "harmony" if "harmony" not in have else "sustained"
        else:
            role = "counter"
        if role == "drums" and "drums" in have:
            continue
        roles.append((name, role))
        have.add(role)
    chordal = [n for n, r in roles if r in ("harmony", "sustained")]
    lead = [n for n, r in roles if r == "melody"]
    if "melody" not in have:
        roles.append((chordal[0] if chordal else names[0], "melody"))
    if not chordal:
        roles.append((lead[0] if lead else names[0], "harmony"))
    if "bass" not in have:
        source = next((n for n, r in roles if r == "harmony"), None) or roles[0][0]
        if source in MELODY or source in PERCUSSION:
            source = "piano" if plan.style != "orchestral" else "cello"
        roles.append((source, "bass"))

    tracks: list[Track] = []
    channel = 0
    for name, role in roles:
        if role == "drums":
            ch = DRUM_CHANNEL
        else:
            ch = channel
            channel += 1 + (channel + 1 == DRUM_CHANNEL)
        low, high = _register(name, role)
        tracks.append(
            Track(
                instrument=name,
                program=GM_PROGRAMS.get(name, 0),
                role=role,
                channel=ch,
                pan=_PAN[role],
                gain=_GAIN[role] * (0.7 if role == "bass" and name in _BOWED_BASS else 1.0),
                low=low,
                high=high,
            )
        )
    return tracks
