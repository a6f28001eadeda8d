"""Turn a plan's instrument list into tracks with roles, channels, registers and pans.

Roles: `melody`, `harmony` (a patterned accompaniment: arpeggio, comping, strum), `sustained`
(held chords), `counter` (a slow second voice), `bass`, `drums`, `perc` (pitched drums such
as taiko and timpani, on a melodic channel). The instrument the plan names as its lead
sings the melody, whatever it usually does (a "mournful cello" is not the bass). Every arrangement has a
melody, some harmony and a bass line: when the plan names no instrument for one of them, an
instrument it does name doubles up (the piano's left hand plays the bass).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import MusicPlan
from .theory import (
    BASS,
    DRUM_KITS,
    GM_PROGRAMS,
    MELODY,
    PATTERNED,
    PERCUSSION,
    PITCHED_PERCUSSION,
    SUSTAINED,
)

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


_PAN = {
    "melody": 0.1,
    "harmony": -0.3,
    "sustained": 0.3,
    "counter": 0.4,
    "bass": 0.0,
    "drums": 0.0,
    "perc": -0.15,
}
_GAIN = {
    "melody": 0.85,
    "harmony": 0.62,
    "sustained": 0.42,
    "counter": 0.45,
    "bass": 0.8,
    "drums": 0.7,
    "perc": 0.3,  # unpitched in effect: loud, it blurs the key a listener hears
}
# Bowed basses sustain at full level through a whole-bar note while a piano's or a guitar's
# notes die away: at the same track level they would cover the chords above them.
_BOWED_BASS = {"cello", "contrabass"}
_HIGH_MELODY = {
    "flute", "music box", "celesta", "glockenspiel", "violin", "synth lead", "oboe", "piccolo",
    "recorder", "whistle", "ocarina", "tinkle bell", "fiddle", "xylophone", "pan flute",
}  # fmt: skip
# Melody registers of the instruments that sing low.
_LOW_MELODY = {
    "cello": (48, 67), "bassoon": (46, 65), "trombone": (48, 67), "tuba": (38, 55),
    "baritone saxophone": (45, 64), "viola": (55, 74), "tenor saxophone": (50, 70),
    "horn": (53, 72), "english horn": (57, 76), "clarinet": (55, 77), "contrabass": (40, 57),
    "upright bass": (40, 57), "bass": (40, 57), "fretless bass": (40, 57),
    "shakuhachi": (62, 81), "voice": (57, 76), "synth voice": (57, 76),
}  # fmt: skip
_PERC_REGISTER = {"taiko": (36, 48), "timpani": (40, 55), "melodic tom": (40, 55)}


def _register(instrument: str, role: str) -> tuple[int, int]:
    if role == "perc":
        return _PERC_REGISTER.get(instrument, (48, 64))
    if role == "bass":
        return (36, 52) if instrument != "cello" else (38, 55)
    if role == "melody":
        if instrument in _LOW_MELODY:
            return _LOW_MELODY[instrument]
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
    lead = plan.lead if plan.lead in names and plan.lead not in PERCUSSION else ""
    if lead and lead not in PITCHED_PERCUSSION:
        roles.append((lead, "melody"))
        have.add("melody")
    for name in names:
        if name == lead and "melody" in have and (name, "melody") in roles:
            continue
        if name in PITCHED_PERCUSSION:
            role = "perc"
        elif name in PERCUSSION:
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
        if role in ("drums", "perc") and role in have:
            continue
        roles.append((name, role))
        have.add(role)
    if lead and names == [lead] and lead in MELODY:
        return [_track(lead, "melody", 0, plan)]  # a solo wind or voice sings alone
    tonal = [n for n in names if n not in PERCUSSION and n not in PITCHED_PERCUSSION]
    tonal = tonal or ["piano"]
    chordal = [n for n, r in roles if r in ("harmony", "sustained")]
    singers = [n for n, r in roles if r == "melody"]
    if "melody" not in have:
        roles.append((chordal[0] if chordal else tonal[0], "melody"))
    if not chordal:
        roles.append((singers[0] if singers else tonal[0], "harmony"))
    if "bass" not in have:
        source = next((n for n, r in roles if r == "harmony"), None) or tonal[0]
        if source in MELODY or source in PERCUSSION or source in PITCHED_PERCUSSION:
            source = "piano" if plan.style != "orchestral" else "cello"
        if source in ("cello",) and lead == "cello":
            source = "contrabass"
        roles.append((source, "bass"))

    tracks: list[Track] = []
    channel = 0
    for name, role in roles:
        if role == "drums":
            ch = DRUM_CHANNEL
        else:
            ch = channel
            channel += 1 + (channel + 1 == DRUM_CHANNEL)
        tracks.append(_track(name, role, ch, plan))
    return tracks


def _track(name: str, role: str, channel: int, plan: MusicPlan) -> Track:
    low, high = _register(name, role)
    program = DRUM_KITS.get(name, 0) if role == "drums" else GM_PROGRAMS.get(name, 0)
    if "tremolo" in plan.articulations and name in ("strings", "slow strings", "violin"):
        program = GM_PROGRAMS["tremolo strings"]
    if "pizzicato" in plan.articulations and name == "strings" and role == "harmony":
        program = GM_PROGRAMS["pizzicato strings"]
    return Track(
        instrument=name,
        program=program,
        role=role,
        channel=channel,
        pan=_PAN[role],
        gain=_GAIN[role] * (0.7 if role == "bass" and name in _BOWED_BASS else 1.0),
        low=low,
        high=high,
    )
