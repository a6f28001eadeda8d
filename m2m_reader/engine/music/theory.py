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
    tonic, mode, _ = key_and_strength(chroma)
    return tonic, mode


def key_and_strength(chroma: Any) -> tuple[int, str, float]:
    """`key_from_chroma` with the correlation it found (how clearly that key is heard)."""
    import numpy as np

    c = np.asarray(chroma, dtype=float)
    strength, tonic, mode = max(
        (float(np.corrcoef(c, np.roll(profile, k))[0, 1]), k, mode)
        for mode, profile in KEY_PROFILES.items()
        for k in range(12)
    )
    return tonic, mode, strength


@dataclass(frozen=True)
class Chord:
    root: int  # pitch class 0..11
    quality: str  # a key of CHORD_INTERVALS
    inversion: int = 0  # 0 root position, 1 third in the bass, 2 fifth in the bass

    @property
    def tones(self) -> tuple[int, ...]:
        """Pitch classes of the chord, root first."""
        return tuple((self.root + i) % 12 for i in CHORD_INTERVALS[self.quality])

    @property
    def fifth(self) -> int:
        return self.tones[2]

    @property
    def bass(self) -> int:
        """The pitch class the bass plays: the root, or the third or fifth of an inversion."""
        return self.tones[min(self.inversion, len(self.tones) - 1)]


_NUMERALS = {"i": 0, "ii": 1, "iii": 2, "iv": 3, "v": 4, "vi": 5, "vii": 6}
_MAJOR_STEPS = SCALES["major"]
_ROMAN = re.compile(r"^(b|#)?(iii|ii|iv|vii|vi|v|i)(o|maj7|7|ø7|6)?$", re.I)


def parse_roman(token: str, tonic: int) -> Chord:
    """One roman numeral (accidentals relative to the major scale) -> a Chord.

    Two extensions: `>x` makes a secondary chord of the numeral `x` ("V7>ii" is the
    dominant seventh of ii), and `/3` or `/5` an inversion ("I/3" has its third in the bass).
    """
    inversion = 0
    if "/" in token:
        token, figure = token.split("/", 1)
        inversion = {"3": 1, "5": 2, "7": 3}.get(figure, 0)
    if ">" in token:
        token, target = token.split(">", 1)
        base = parse_roman(target, tonic)
        chord = parse_roman(token, base.root)
        return Chord(chord.root, chord.quality, inversion)
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
    return Chord((tonic + offset) % 12, quality, inversion)


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


def scale_pitches(
    tonic: int, mode: str, low: int, high: int, chord: Chord | None = None
) -> list[int]:
    """MIDI pitches of the scale between low and high inclusive.

    In minor, unless the chord holds the flat seventh (bVII, i7), the scale takes the
    raised seventh (the harmonic minor): over V it must, and elsewhere the leading tone
    keeps the tonic heard, where the flat seventh leans towards the relative major.
    """
    pcs = {(tonic + s) % 12 for s in SCALES[mode]}
    if mode == "minor" and chord is not None and (tonic + 10) % 12 not in chord.tones:
        pcs = (pcs - {(tonic + 10) % 12}) | {(tonic + 11) % 12}
    return [p for p in range(low, high + 1) if p % 12 in pcs]


def nearest(pitches: list[int], target: float) -> int:
    return min(pitches, key=lambda p: (abs(p - target), p))


# General MIDI programs (0-based) for the instrument names plans use: every family of the
# General MIDI set, by the names a caption gives them.
GM_PROGRAMS: dict[str, int] = {
    "piano": 0, "bright piano": 1, "honky-tonk piano": 3, "electric piano": 4,
    "harpsichord": 6, "clavinet": 7, "celesta": 8, "glockenspiel": 9, "music box": 10,
    "vibraphone": 11, "marimba": 12, "xylophone": 13, "tubular bells": 14, "dulcimer": 15,
    "rock organ": 18, "organ": 19, "reed organ": 20, "accordion": 21, "harmonica": 22,
    "bandoneon": 23, "acoustic guitar": 24, "steel guitar": 25, "jazz guitar": 26,
    "electric guitar": 27, "muted guitar": 28, "overdriven guitar": 29,
    "distorted guitar": 30, "upright bass": 32, "bass": 33, "picked bass": 34,
    "fretless bass": 35, "slap bass": 36, "synth bass": 38, "violin": 40, "viola": 41,
    "cello": 42, "contrabass": 43, "tremolo strings": 44, "pizzicato strings": 45,
    "harp": 46, "timpani": 47, "strings": 48, "slow strings": 49, "synth strings": 50,
    "choir": 52, "voice": 53, "synth voice": 54, "trumpet": 56, "trombone": 57,
    "tuba": 58, "muted trumpet": 59, "horn": 60, "brass": 61, "synth brass": 62,
    "soprano saxophone": 64, "saxophone": 65, "tenor saxophone": 66,
    "baritone saxophone": 67, "oboe": 68, "english horn": 69, "bassoon": 70,
    "clarinet": 71, "piccolo": 72, "flute": 73, "recorder": 74, "pan flute": 75,
    "blown bottle": 76, "shakuhachi": 77, "whistle": 78, "ocarina": 79, "square lead": 80,
    "synth lead": 81, "synth pad": 89, "warm pad": 89, "halo pad": 94, "sitar": 104,
    "banjo": 105, "shamisen": 106, "koto": 107, "kalimba": 108, "bagpipe": 109,
    "fiddle": 110, "shanai": 111, "tinkle bell": 112, "agogo": 113, "steel drums": 114,
    "woodblock": 115, "taiko": 116, "melodic tom": 117, "synth drum": 118,
    "reverse cymbal": 119,
}  # fmt: skip

# What each instrument does in an arrangement.
MELODY = {
    "violin", "flute", "clarinet", "oboe", "trumpet", "saxophone", "horn", "music box",
    "celesta", "glockenspiel", "vibraphone", "synth lead", "electric guitar", "viola",
    "bassoon", "trombone", "xylophone", "tubular bells", "harmonica", "muted trumpet",
    "soprano saxophone", "tenor saxophone", "baritone saxophone", "english horn", "piccolo",
    "recorder", "pan flute", "blown bottle", "shakuhachi", "whistle", "ocarina",
    "square lead", "sitar", "bagpipe", "fiddle", "shanai", "steel drums", "tinkle bell",
    "voice", "synth voice", "jazz guitar", "overdriven guitar", "steel guitar",
}  # fmt: skip
BASS = {
    "bass", "upright bass", "synth bass", "contrabass", "cello", "picked bass",
    "fretless bass", "slap bass", "tuba",
}  # fmt: skip
SUSTAINED = {
    "strings", "synth pad", "choir", "organ", "accordion", "brass", "tremolo strings",
    "slow strings", "synth strings", "synth brass", "warm pad", "halo pad", "rock organ",
    "reed organ", "bandoneon",
}  # fmt: skip
PATTERNED = {
    "piano", "electric piano", "acoustic guitar", "harp", "marimba", "harpsichord",
    "distorted guitar", "pizzicato strings", "bright piano", "honky-tonk piano", "clavinet",
    "dulcimer", "muted guitar", "banjo", "shamisen", "koto", "kalimba",
}  # fmt: skip
PERCUSSION = {"drums", "percussion", "brush kit"}
# Pitched drums on a melodic channel: they play the rhythm on the tonic and the fifth.
PITCHED_PERCUSSION = {"taiko", "timpani", "woodblock", "melodic tom", "synth drum", "agogo"}
# Drum kits on the drum channel (General MIDI 2 kit numbers; a font without one plays its
# standard kit).
DRUM_KITS = {"drums": 0, "percussion": 0, "brush kit": 40}
# Instruments that hold a note at full level (bowed, blown, sung): their notes overlap a
# little into the next one, so held music never drops out between notes.
HELD = SUSTAINED | {
    "violin", "viola", "cello", "contrabass", "flute", "clarinet", "oboe", "trumpet",
    "trombone", "horn", "saxophone", "bassoon", "muted trumpet", "english horn", "piccolo",
    "recorder", "pan flute", "shakuhachi", "ocarina", "bagpipe", "fiddle", "shanai",
    "harmonica", "voice", "synth voice", "synth lead", "square lead", "tuba", "whistle",
    "soprano saxophone", "tenor saxophone", "baritone saxophone", "blown bottle",
}  # fmt: skip
