"""Music theory the composer needs: pitch names, scales, chords, progressions, GM programs.

Progressions are written in roman numerals relative to the tonic ("i bVI bIII bVII"):
upper case is a major triad, lower case minor, `o` diminished, `7` a seventh (dominant
on upper case, minor seventh on lower case), `maj7` a major seventh, `6` an added sixth
(the swing-era tonic). Every progression starts on the tonic, so the harmony itself says
which key the music is in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

PITCH_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]
_FLATS = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#", "Cb": "B", "Fb": "E"}
_SHARPS_OUT = {"E#": "F", "B#": "C"}

SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}

CHORD_INTERVALS = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "sus4": (0, 5, 7),
    "dom7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "maj6": (0, 4, 7, 9),
    "min7": (0, 3, 7, 10),
    "m7b5": (0, 3, 6, 10),
}


def normalise_key(name: str) -> str:
    """'Bb' / 'B-flat' / 'a#' -> a name from PITCH_NAMES ('A#'). Raises ValueError."""
    s = name.strip().replace("♭", "b").replace("♯", "#")
    s = re.sub(r"[\s-]*flat$", "b", s, flags=re.I)
    s = re.sub(r"[\s-]*sharp$", "#", s, flags=re.I)
    if not s:
        raise ValueError(f"not a key: {name!r}")
    s = s[0].upper() + s[1:]
    s = _FLATS.get(s, _SHARPS_OUT.get(s, s))
    if s not in PITCH_NAMES:
        raise ValueError(f"not a key: {name!r}")
    return s


def pitch_class(name: str) -> int:
    return PITCH_NAMES.index(normalise_key(name))


# Krumhansl-Kessler key profiles (tonic first): how strongly each pitch class belongs.
KEY_PROFILES = {
    "major": (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88),
    "minor": (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17),
}


def key_from_chroma(chroma: Any) -> tuple[int, str]:
    """The key (tonic pitch class, mode) whose profile best correlates with a 12-bin
    chroma vector (C first), as audio key finders judge what a listener hears."""
    import numpy as np

    c = np.asarray(chroma, dtype=float)
    _, tonic, mode = max(
        (float(np.corrcoef(c, np.roll(profile, k))[0, 1]), k, mode)
        for mode, profile in KEY_PROFILES.items()
        for k in range(12)
    )
    return tonic, mode


@dataclass(frozen=True)
class Chord:
    root: int  # pitch class 0..11
    quality: str  # a key of CHORD_INTERVALS

    @property
    def tones(self) -> tuple[int, ...]:
        """Pitch classes of the chord, root first."""
        return tuple((self.root + i) % 12 for i in CHORD_INTERVALS[self.quality])

    @property
    def fifth(self) -> int:
        return self.tones[2]


_NUMERALS = {"i": 0, "ii": 1, "iii": 2, "iv": 3, "v": 4, "vi": 5, "vii": 6}
_MAJOR_STEPS = SCALES["major"]
_ROMAN = re.compile(r"^(b|#)?(iii|ii|iv|vii|vi|v|i)(o|maj7|7|ø7|6)?$", re.I)


def parse_roman(token: str, tonic: int) -> Chord:
    """One roman numeral (accidentals relative to the major scale) -> a Chord."""
    m = _ROMAN.match(token)
    if not m:
        raise ValueError(f"not a roman numeral: {token!r}")
    acc, numeral, suffix = m.groups()
    offset = _MAJOR_STEPS[_NUMERALS[numeral.lower()]] + {"b": -1, "#": 1, None: 0}[acc]
    upper = numeral.isupper()
    if suffix == "o":
        quality = "dim"
    elif suffix == "ø7":
        quality = "m7b5"
    elif suffix == "maj7":
        quality = "maj7"
    elif suffix == "6":
        quality = "maj6"
    elif suffix == "7":
        quality = "dom7" if upper else "min7"
    else:
        quality = "maj" if upper else "min"
    return Chord((tonic + offset) % 12, quality)


# Progressions by (style family, mode). One chord per bar, four or eight (a whole period,
# e.g. the canon or the minor circle of fifths); all start on the tonic.
PROGRESSIONS: dict[tuple[str, str], list[str]] = {
    ("pop", "major"): ["I V vi IV", "I vi IV V", "I IV vi V", "I iii IV V", "I IV I V"],
    ("pop", "minor"): ["i bVI bIII bVII", "i iv v i", "i bVI iv V", "i bVII bVI V", "i iv bVII i"],
    ("jazz", "major"): ["Imaj7 vi7 ii7 V7", "Imaj7 IVmaj7 ii7 V7", "I6 vi7 ii7 V7"],
    ("jazz", "minor"): [
        "i7 iv7 iiø7 V7",
        "i7 bVImaj7 iiø7 V7",
        "i7 iv7 bVII7 bIIImaj7 bVImaj7 iiø7 V7 i7",
    ],
    ("lofi", "major"): ["Imaj7 vi7 ii7 V7", "Imaj7 IVmaj7 iii7 vi7", "Imaj7 ii7 iii7 IVmaj7"],
    ("lofi", "minor"): [
        "i7 iv7 bVIImaj7 bIIImaj7 bVImaj7 iiø7 V7 i7",
        "i7 bVImaj7 iv7 v7",
        "i7 iv7 i7 V7",
    ],
    ("orchestral", "major"): ["I IV I V", "I vi IV V", "I V vi iii IV I IV V", "I ii IV V"],
    ("orchestral", "minor"): ["i iv V i", "i bVI bIII bVII", "i bVI iv V", "i bVII bVI V"],
    ("rock", "major"): ["I IV I V", "I bVII IV I", "I I IV V"],
    ("rock", "minor"): ["i i bVI bVII", "i bVI bVII i", "i iv i bVII"],
}

STYLE_FAMILY = {
    "jazz": "jazz",
    "lofi": "lofi",
    "orchestral": "orchestral",
    "cinematic": "orchestral",
    "rock": "rock",
}


def progression(style: str, mode: str, tonic: int, choice: int) -> list[Chord]:
    family = STYLE_FAMILY.get(style, "pop")
    options = PROGRESSIONS[(family, mode)]
    return [parse_roman(t, tonic) for t in options[choice % len(options)].split()]


def scale_pitches(tonic: int, mode: str, low: int, high: int) -> list[int]:
    """MIDI pitches of the scale between low and high inclusive."""
    pcs = {(tonic + s) % 12 for s in SCALES[mode]}
    return [p for p in range(low, high + 1) if p % 12 in pcs]


def nearest(pitches: list[int], target: float) -> int:
    return min(pitches, key=lambda p: (abs(p - target), p))


# General MIDI programs (0-based) for the instrument names plans use.
GM_PROGRAMS: dict[str, int] = {
    "piano": 0,
    "electric piano": 4,
    "harpsichord": 6,
    "celesta": 8,
    "glockenspiel": 9,
    "music box": 10,
    "vibraphone": 11,
    "marimba": 12,
    "organ": 19,
    "accordion": 21,
    "acoustic guitar": 24,
    "electric guitar": 27,
    "distorted guitar": 30,
    "upright bass": 32,
    "bass": 33,
    "synth bass": 38,
    "violin": 40,
    "viola": 41,
    "cello": 42,
    "contrabass": 43,
    "pizzicato strings": 45,
    "harp": 46,
    "timpani": 47,
    "strings": 48,
    "choir": 52,
    "trumpet": 56,
    "trombone": 57,
    "horn": 60,
    "brass": 61,
    "saxophone": 65,
    "oboe": 68,
    "bassoon": 70,
    "clarinet": 71,
    "flute": 73,
    "synth lead": 81,
    "synth pad": 89,
}

# What each instrument does in an arrangement.
MELODY = {
    "violin", "flute", "clarinet", "oboe", "trumpet", "saxophone", "horn", "music box",
    "celesta", "glockenspiel", "vibraphone", "synth lead", "electric guitar", "viola",
    "bassoon", "trombone",
}  # fmt: skip
BASS = {"bass", "upright bass", "synth bass", "contrabass", "cello"}
SUSTAINED = {"strings", "synth pad", "choir", "organ", "accordion", "brass"}
PATTERNED = {
    "piano", "electric piano", "acoustic guitar", "harp", "marimba", "harpsichord",
    "distorted guitar", "pizzicato strings",
}  # fmt: skip
PERCUSSION = {"drums", "percussion"}
