"""A scene's form and harmony: phrases of four bars, arranged A A' B A over the scene's pages.

A scene gets one form, drawn from its harmony seed: an opening phrase that ends on the
dominant (a half cadence), a closing one that ends dominant-tonic (an authentic cadence),
a varied close for A' (a borrowed chord or a secondary dominant), and a contrasting B that
starts away from the tonic. Eight phrases, 32 bars: A A' B A. Each page plays the next
stretch of the form, starting at a phrase, so a long scene develops instead of looping
four chords; the page's last bar leads back to its first chord, so its own loop closes.

Phrases are written in roman numerals (see `theory.parse_roman`), bars split by `|`; two
chords in a bar split it in halves (three: 2 + 1 + 1 beats in 4/4), which varies the
harmonic rhythm. Minor phrases use the harmonic minor's major V and never the
i-bVI-bIII-bVII loop, whose relative major a listener hears as the key.
"""

from __future__ import annotations

from dataclasses import dataclass

from .theory import Chord, parse_roman

# (family, mode) -> role -> phrases
PHRASES: dict[tuple[str, str], dict[str, list[str]]] = {
    ("pop", "major"): {
        "open": ["I | IV | I/3 ii | V", "I | vi | IV ii | V", "I V/3 | vi | IV | V", "I | ii | IV | V"],
        "close": ["I | IV | V7 | I", "I/3 | IV | ii V7 | I", "vi | ii | V7 | I", "IV | I/5 | V7 | I"],
        "vary": ["I | iv | V7 | I", "I | V7>IV IV | ii V7 | I", "vi | V7>V | V7 | I", "I | bVI | bVII | I"],
        "contrast": ["vi | iii | IV | V", "IV | V7>vi vi | ii | V", "ii | V7>iii iii | IV | V7", "vi | IV | V7>V | V"],
    },
    ("pop", "minor"): {
        "open": ["i | iv | i/3 iv/3 | iv V", "i | i/3 | iv | i/5 V", "i | iv/3 | i/5 | iv V", "i | bVI | iv | i/5 V"],
        "close": ["i | iv/3 | V7 | i", "i | iv iiø7 | i/5 V7 | i", "iv | i/3 | V7 | i", "i | bVI | iv V7 | i"],
        "vary": ["i | V7>iv iv | i/5 V7 | i", "i | iv | bII/3 V7 | i", "i/3 | iv | V7 | i", "bVI | iv/3 | V7 | i"],
        "contrast": ["iv | i/3 | bVI | iv V", "iv | iv/3 | i/5 | i V", "bVI | iv | i/5 | iv V", "iv | V7>iv iv | i/3 | i V"],
    },
    ("jazz", "major"): {
        "open": ["Imaj7 | vi7 | ii7 | V7", "Imaj7 | VI7 | ii7 | V7", "Imaj7 IVmaj7 | iii7 vi7 | ii7 | V7"],
        "close": ["iii7 | VI7 | ii7 V7 | Imaj7", "Imaj7 | IVmaj7 | ii7 V7 | I6", "ii7 | V7 | iii7 VI7 | Imaj7"],
        "vary": ["Imaj7 | iv7 | ii7 V7 | I6", "Imaj7 | V7>ii ii7 | V7>V V7 | Imaj7"],
        "contrast": ["IVmaj7 | iv7 | iii7 VI7 | ii7 V7", "ii7 | V7>ii | ii7 | V7"],
    },
    ("jazz", "minor"): {
        "open": ["i7 | iv7 | iiø7 | V7", "i7 | bVImaj7 | iiø7 | V7"],
        "close": ["i7 | iv7 | iiø7 V7 | i7", "iv7 | i7 | iiø7 V7 | i7"],
        "vary": ["i7 | V7>iv iv7 | iiø7 V7 | i7", "bVImaj7 | iv7 | V7 | i7"],
        "contrast": ["iv7 | bVII7 | bIIImaj7 | V7", "bVImaj7 | iiø7 | V7>V | V7"],
    },
    ("rock", "major"): {
        "open": ["I | bVII | IV | V", "I | IV | I | V", "I | V/3 | IV | V"],
        "close": ["I | IV | V | I", "IV | I | V | I", "I | bVII | V | I"],
        "vary": ["I | bVI | bVII | I", "I | IV iv | V | I"],
        "contrast": ["vi | IV | I | V", "IV | V | vi | V"],
    },
    ("rock", "minor"): {
        "open": ["i | i/3 | bVI | i V", "i | bVI | i | i V", "i | i | bVI | bVI V"],
        "close": ["i | bVI | V | i", "i | i | bVI V | i", "bVI | i | V | i"],
        "vary": ["i | bII | V | i", "i | bVI bVII | V | i"],
        "contrast": ["bVI | bVI | i | i V", "bVI | iv | i | i V"],
    },
}  # fmt: skip
# Lofi borrows the jazz phrases; folk, ambient, orchestral and electronic the pop ones.
FAMILY = {"jazz": "jazz", "lofi": "jazz", "rock": "rock"}
# A A' B A: which phrase each of the eight plays.
FORM = ("open", "close", "open", "vary", "contrast", "contrast2", "open", "close")
SECTIONS = ("A", "A", "A'", "A'", "B", "B", "A", "A")


@dataclass(frozen=True)
class Slot:
    beat: float  # where in the bar the chord starts
    beats: float  # how long it lasts
    chord: Chord


@dataclass(frozen=True)
class Bar:
    slots: tuple[Slot, ...]
    phrase_bar: int  # 0..3: where in its phrase the bar is
    section: str  # "A", "A'" or "B"
    cadence: str  # "" or, on a phrase's last bar, "half" (ends on V) or "full"

    @property
    def chord(self) -> Chord:
        """The bar's main chord (its first)."""
        return self.slots[0].chord

    def chord_at(self, beat: float) -> Chord:
        for s in reversed(self.slots):
            if beat >= s.beat - 1e-6:
                return s.chord
        return self.slots[0].chord


def _split(n: int, meter: int) -> list[tuple[float, float]]:
    if n == 1:
        return [(0.0, float(meter))]
    if n == 2:
        first = 2.0 if meter == 4 else 2.0
        return [(0.0, first), (first, meter - first)]
    return [(0.0, 2.0), (2.0, 1.0), (3.0, float(meter) - 3.0)][:n]


def parse_phrase(text: str, tonic: int, meter: int) -> list[tuple[Slot, ...]]:
    bars = []
    for bar in text.split("|"):
        tokens = bar.split()
        if meter == 3:
            tokens = tokens[:2]
        bars.append(
            tuple(
                Slot(b, n, parse_roman(t, tonic))
                for t, (b, n) in zip(tokens, _split(len(tokens), meter), strict=False)
            )
        )
    return bars


def scene_phrases(style: str, mode: str, seed: int) -> dict[str, str]:
    """The scene's phrase for each role of the form, chosen by its harmony seed."""
    bank = PHRASES[(FAMILY.get(style, "pop"), mode)]
    out = {}
    for i, role in enumerate(("open", "close", "vary", "contrast")):
        options = bank[role]
        out[role] = options[(seed >> (8 * i)) % len(options)]
    contrast = bank["contrast"]
    # The B section's second phrase: another contrasting phrase, else the close.
    others = [c for c in contrast if c != out["contrast"]]
    out["contrast2"] = others[(seed >> 40) % len(others)] if others else out["close"]
    return out


def page_bars(
    style: str, mode: str, tonic: int, meter: int, seed: int, start_phrase: int, bars: int
) -> list[Bar]:
    """`bars` bars of the scene's form from phrase `start_phrase` on (wrapping round)."""
    phrases = scene_phrases(style, mode, seed)
    out: list[Bar] = []
    k = start_phrase % len(FORM)
    while len(out) < bars:
        role = FORM[k]
        parsed = parse_phrase(phrases[role], tonic, meter)
        last = parsed[-1][-1].chord
        kind = "full" if last.root == tonic else "half"
        for j, slots in enumerate(parsed):
            out.append(Bar(slots, j, SECTIONS[k], kind if j == len(parsed) - 1 else ""))
        k = (k + 1) % len(FORM)
    out = out[:bars]
    return _close_loop(out, tonic, mode, meter)


def _close_loop(bars: list[Bar], tonic: int, mode: str, meter: int) -> list[Bar]:
    """End the page on a chord that leads back to its first: the dominant of the first
    chord (a secondary dominant when that is not the tonic), unless it already does."""
    if len(bars) < 2:
        return bars
    first = bars[0].chord
    last = bars[-1]
    target_root = (first.root + 7) % 12
    if last.slots[-1].chord.root == target_root and last.slots[-1].chord.quality in (
        "maj",
        "dom7",
    ):
        return bars
    dominant = Chord(target_root, "dom7")
    if last.cadence == "full" or len(last.slots) == 1:
        # Keep the cadence's arrival (or the bar's chord) for the first half, then turn.
        half = 2.0 if meter == 4 else 2.0
        slots: tuple[Slot, ...] = (
            Slot(0.0, half, last.slots[0].chord),
            Slot(half, meter - half, dominant),
        )
    else:
        slots = last.slots[:-1] + (Slot(last.slots[-1].beat, last.slots[-1].beats, dominant),)
    bars[-1] = Bar(slots, last.phrase_bar, last.section, "half")
    return bars
