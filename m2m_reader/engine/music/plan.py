"""Read a caption (and its scene directive) into a `MusicPlan`.

The directive sets what a scene shares — key, mode, tempo, instruments, style, feel, metre —
so every page of a scene sounds like one piece; the page caption sets what changes from page
to page: energy and texture. Explicit statements win over mood words ("140 BPM", "in B-flat
major"). Choices the text leaves open (which key, where in a tempo range) come from a stable
hash of the text and the seed, so the same words always give the same plan.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .base import MusicPlan
from .lexicon import (
    ARTICULATIONS,
    BUILDING,
    COLOURS,
    INSTRUMENT_PATTERNS,
    LEAD_AFTER,
    LEAD_BEFORE,
    MOODS,
    STYLE_PATTERNS,
    STYLE_TEMPLATES,
    STYLE_TEMPO,
    TEMPO_WORDS,
    TEXTURES,
)
from .theory import (
    BASS,
    MELODY,
    PATTERNED,
    PERCUSSION,
    PITCH_NAMES,
    PITCHED_PERCUSSION,
    SUSTAINED,
    normalise_key,
)

_BPM = re.compile(
    r"(\d{2,3}(?:\.\d+)?)\s*(?:bpm|beats per minute|beats a minute)|tempo\s*(?:of|:|=)?\s*(\d{2,3})",
    re.I,
)
# "in D minor", "key of Bb", "F# minor", "B-flat major key". The letter must be upper case so
# "in a minor key" reads as a mode, not as A minor.
_ACC = r"(?:\s*-?\s*(?:flat|sharp)|b|#|♭|♯)"
_KEY = re.compile(
    rf"(?:\b(?:[Ii]n|key of|key:)\s+([A-G]{_ACC}?)(?:\s+(major|minor|maj|min)\b)?)"
    rf"|(?:\b([A-G]{_ACC}?)\s+(major|minor)\b)"
)
_METER = re.compile(r"\b([2-7])/(4|8)\b")
_NEGATION = re.compile(r"\b(?:no|without|minus|never)\s+((?:[a-z-]+\s+){0,2}[a-z-]+)")


def stable_hash(*parts: object) -> int:
    """A hash that is the same in every process (Python's `hash` is salted)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _find(patterns: list[tuple[str, str]], text: str) -> list[tuple[int, str]]:
    """(position, name) of every pattern that matches, each name once, in text order."""
    found: dict[str, int] = {}
    taken: list[tuple[int, int]] = []
    for pat, name in patterns:
        for m in re.finditer(rf"\b(?:{pat})", text):
            if any(a <= m.start() < b for a, b in taken):
                continue  # words already claimed by an earlier, more specific pattern
            taken.append((m.start(), m.end()))
            found.setdefault(name, m.start())
    return sorted((pos, name) for name, pos in found.items())


@dataclass
class Reading:
    """What one text says about music; None where it says nothing."""

    tempo: float | None = None
    tempo_range: tuple[int, int] | None = None
    key: str | None = None
    mode: str | None = None
    meter: int | None = None
    style: str | None = None
    instruments: list[str] = field(default_factory=list)
    unwanted: set[str] = field(default_factory=set)  # "without drums"
    energy: float | None = None
    valence: float | None = None
    texture: str | None = None
    feel_words: set[str] = field(default_factory=set)
    lead: str | None = None  # the named instrument that sings the melody
    lead_rank: int = 9  # how surely: 0 "X sings", 1 "a mournful X", 2 "solo X"
    solo: bool = False  # one instrument named "solo" and nothing else: it plays alone
    accompanies: set[str] = field(default_factory=set)  # "piano chords": the piano comps
    articulations: list[str] = field(default_factory=list)
    colour: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return (
            self.tempo is None
            and self.tempo_range is None
            and self.key is None
            and self.mode is None
            and self.style is None
            and not self.instruments
            and self.energy is None
        )


def read_text(text: str) -> Reading:
    """Everything musical a piece of free text states or implies."""
    r = Reading()
    low = " ".join(text.lower().split())
    if m := _BPM.search(text):
        r.tempo = float(m.group(1) or m.group(2))
    else:
        hits = [
            (m.start(), lo, hi)
            for pat, lo, hi in TEMPO_WORDS
            for m in re.finditer(rf"\b(?:{pat})", low)
        ]
        if hits:
            _, lo, hi = min(hits)
            r.tempo_range = (lo, hi)
    if m := _KEY.search(text):
        letter, quality = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        try:
            r.key = normalise_key(letter)
        except ValueError:
            r.key = None
        if quality:
            r.mode = "minor" if quality.startswith("min") else "major"
    if r.mode is None:
        if re.search(r"\bminor\b", low):
            r.mode = "minor"
        elif re.search(r"\bmajor (key|mode|tonality)", low):
            r.mode = "major"
    if m := _METER.search(low):
        r.meter = 3 if m.group(1) in "36" else 4
    elif re.search(r"\bwaltz|\blilting|\bminuet", low):
        r.meter = 3
    # Genre words outrank mood-like style words: "ethereal orchestral" is orchestral.
    r.style = next((n for p, n in STYLE_PATTERNS if re.search(rf"\b(?:{p})", low)), None)

    negated = " ".join(m.group(1) for m in _NEGATION.finditer(low))
    r.unwanted = {name for _, name in _find(INSTRUMENT_PATTERNS, negated)}
    found = [(pos, n) for pos, n in _find(INSTRUMENT_PATTERNS, low) if n not in r.unwanted]
    r.instruments = [n for _, n in found]
    r.lead, r.solo, r.lead_rank = _lead(low, found)
    r.accompanies = {n for pos, n in found if ACCOMPANIES.match(low[pos + len(n) :])}
    r.articulations = [n for _, n in _find(ARTICULATIONS, low)]
    r.colour = [n for _, n in _find(COLOURS, low) if n not in _negated(low, n)]
    if "acoustic guitar" in r.instruments and r.style == "rock" and "acoustic guitar" not in low:
        r.instruments[r.instruments.index("acoustic guitar")] = "electric guitar"

    moods = [MOODS[stem] for stem in MOODS for _ in re.finditer(rf"\b{stem}", low)]
    if moods:
        r.energy = sum(e for e, _ in moods) / len(moods)
        r.valence = sum(v for _, v in moods) / len(moods)
    if re.search(rf"\b(?:{BUILDING})", low):
        r.energy = min(1.0, (r.energy if r.energy is not None else 0.5) + 0.15)
    textures = _find(TEXTURES, low)
    r.texture = textures[0][1] if textures else None
    for word, feel in (
        (r"swing|swung|shuffle", "swing"),
        (r"rubato|freely|mourn|melanchol|sad|grief|sorrow", "rubato"),
        (r"chase|driving|racing|pounding|relentless", "driving"),
    ):
        if re.search(rf"\b(?:{word})", low):
            r.feel_words.add(feel)
    return r


def _negated(low: str, colour: str) -> set[str]:
    negated = " ".join(m.group(1) for m in _NEGATION.finditer(low))
    return {n for _, n in _find(COLOURS, negated)}


# A name followed by one of these accompanies; it does not sing the melody.
ACCOMPANIES = re.compile(r"^\s*(?:chords?|pad|comping|accompaniment|arpeggios?|ostinato|drone)\b")


def _lead(low: str, found: list[tuple[int, str]]) -> tuple[str | None, bool, int]:
    """The instrument the text gives the melody to, and whether it plays alone ("solo
    piano", no other instrument named)."""
    best: tuple[int, int, str] | None = None  # (rank, position, name)
    solo = False
    for pos, name in found:
        if name in PERCUSSION or name in PITCHED_PERCUSSION:
            continue
        end = low.find(" ", pos + len(name.split()[-1]))
        after = low[pos:][len(name) :] if end < 0 else low[pos : pos + 60]
        before = low[max(0, pos - 30) : pos]
        words_before = before.split()[-2:]
        rank = None
        if ACCOMPANIES.match(low[pos + len(name) :]):  # "piano chords" accompanies
            continue
        if re.search(rf"^\S*\s+(?:\S+\s+)?(?:{LEAD_AFTER})", after):
            rank = 0
        elif any(re.match(rf"(?:{LEAD_BEFORE})", w) for w in words_before):
            rank = 1
        elif words_before and words_before[-1] == "solo":
            rank = 2
            solo = len(found) == 1
        if rank is not None and (best is None or (rank, pos) < best[:2]):
            best = (rank, pos, name)
    return (best[2] if best else None), solo, (best[0] if best else 9)


def _style_of(r: Reading) -> str:
    if r.style:
        return r.style
    names = set(r.instruments)
    if names & {
        "strings", "pizzicato strings", "violin", "cello", "horn", "brass", "harp", "oboe",
        "clarinet", "choir",
    }:  # fmt: skip
        return "orchestral"
    if names & {"acoustic guitar", "accordion"}:
        return "folk"
    if names & {"distorted guitar", "electric guitar"}:
        return "rock"
    if names & {"synth lead", "synth bass"}:
        return "electronic"
    return "ambient"


def _role(name: str) -> str:
    if name in PERCUSSION or name in PITCHED_PERCUSSION:
        return "drums"
    if name in BASS:
        return "bass"
    if name in MELODY:
        return "melody"
    if name in SUSTAINED:
        return "sustained"
    return "harmony" if name in PATTERNED else "melody"


def _instruments(r: Reading, style: str) -> list[str]:
    """Named instruments first; a named style fills the roles the text left empty."""
    names = list(r.instruments)
    if r.solo:
        return names[:1]
    roles = {_role(n) for n in names}
    template = STYLE_TEMPLATES[style]
    if not (r.style or not names):
        # The style is only inferred from the instruments: keep the named ones, adding a
        # bass under drums so the beat has a floor.
        template = {"bass": template.get("bass", "bass")} if "drums" in roles else {}
    for role, default in template.items():
        if default in names or default in r.unwanted or role in roles:
            continue
        if role == "counter" and "melody" in roles:
            continue
        names.append(default)
    return names[:6]


def _tempo(r: Reading, style: str, energy: float, h: int) -> float:
    if r.tempo is not None:
        return float(min(220.0, max(40.0, r.tempo)))
    if r.tempo_range is not None:
        lo, hi = r.tempo_range
    else:
        slo, shi = STYLE_TEMPO[style]
        mid = slo + (shi - slo) * energy
        lo, hi = int(mid - 6), int(mid + 6)
    return float(lo + h % (hi - lo + 1))


def _feel(r: Reading, style: str, meter: int, energy: float, mode: str) -> str:
    if meter == 3:
        return "waltz"
    if "swing" in r.feel_words or style == "jazz":
        return "swing"
    if "driving" in r.feel_words or (style == "rock" and energy > 0.6):
        return "driving"
    if "rubato" in r.feel_words and energy < 0.5:
        return "rubato"
    return "straight"


def plan_for(caption: str, directive: str = "", seed: int = 0) -> tuple[MusicPlan, list[str]]:
    """The plan for one page, and warnings a person should see.

    Key, mode, tempo, instruments, style, feel and metre come from the directive when it
    says anything musical (so a scene's pages agree); energy and texture from the caption.
    """
    warnings: list[str] = []
    cap, dire = read_text(caption or ""), read_text(directive or "")
    scene_text = " ".join((directive or "").split())
    if not (caption or "").strip():
        warnings.append(
            "The page caption is empty; the music follows the scene directive."
            if scene_text
            else "The page caption is empty; the music uses default settings."
        )
    elif cap.empty:
        warnings.append(
            f"The page caption names no tempo, key, mood or instrument: {caption[:60]!r}."
        )
    base = dire if not dire.empty else cap
    base_text = scene_text if not dire.empty else " ".join((caption or "").split())
    h = stable_hash(base_text, seed)

    energy_src = [x.energy for x in (cap, dire) if x.energy is not None]
    energy = energy_src[0] if energy_src else 0.45
    texture = cap.texture or (dire.texture if cap.empty else None)
    if texture is None:
        texture = "sparse" if energy < 0.35 else "dense" if energy > 0.72 else "flowing"

    style = _style_of(base)
    if base.mode:
        mode = base.mode
    else:
        valence = base.valence if base.valence is not None else cap.valence
        mode = "minor" if valence is not None and valence < -0.05 else "major"
    key = base.key or PITCH_NAMES[h % 12]
    scene_energy = base.energy if base.energy is not None else energy
    meter = base.meter or 4
    names = _instruments(base, style)
    plan = MusicPlan(
        tempo=_tempo(base, style, scene_energy, h >> 8),
        key=key,
        mode=mode,  # type: ignore[arg-type]
        instruments=names,
        energy=round(float(min(1.0, max(0.0, energy))), 3),
        texture=texture,
        feel=_feel(base, style, meter, scene_energy, mode),
        style=style,
        meter=meter,
        lead=_lead_of(base, cap, names),
        articulations=_union(base.articulations, cap.articulations),
        colour=_union(base.colour, cap.colour),
    )
    return plan, warnings


def _lead_of(base: Reading, cap: Reading, names: list[str]) -> str:
    """The scene's lead, unless the page's caption gives the melody to another of the
    scene's instruments more surely ("the cello sings" over "solo piano") or says the
    lead accompanies."""
    if cap is not base and cap.lead in names and cap.lead_rank < base.lead_rank:
        return cap.lead or ""
    lead = base.lead or ""
    if cap is not base and lead in cap.accompanies:
        # "quiet piano chords" on a page of a scene for solo piano and cello: the piano
        # comps, so the scene's other instrument sings
        others = [n for n in names if n != lead and n not in PERCUSSION]
        return next((n for n in others if n not in PITCHED_PERCUSSION), "")
    return lead


def _union(a: list[str], b: list[str]) -> list[str]:
    return a + [x for x in b if x not in a]
