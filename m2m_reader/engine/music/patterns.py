"""Per-bar patterns: chord voicings, accompaniment figures, bass lines and drum grooves.

Each function returns events for one bar as (beat, beats, pitch, accent) — or for drums
(beat, drum note, velocity scale). Which figure plays depends on style, feel and energy.
"""

from __future__ import annotations

import itertools

import numpy as np

from .arrange import Track
from .base import MusicPlan
from .form import Bar
from .theory import SCALES, Chord

Event = tuple[float, float, int, int]

KICK, KICK2, STICK, SNARE, CLAP = 36, 35, 37, 38, 39
CLOSED_HAT, PEDAL_HAT, OPEN_HAT, CRASH, RIDE = 42, 44, 46, 49, 51
LOW_TOM, HIGH_TOM, SHAKER = 41, 45, 70


def pitched_percussion(
    plan: MusicPlan, form_bar: Bar, track: Track, tonic: int
) -> list[tuple[float, float, int, float]]:
    """Taiko, timpani and the like on the tonic and the fifth: (beat, beats, pitch, vel)."""
    meter, e = plan.meter, plan.energy
    low = _pitch_near(tonic, track.low + 4, track.low, track.high)
    fifth = _pitch_near((tonic + 7) % 12, low + 7, track.low, track.high)
    if e < 0.4:  # a soft stroke a bar, a roll into the phrase's end
        out = [(0.0, 1.5, low, 0.55)]
        if form_bar.cadence:
            out += [(meter - 1 + i / 8, 0.15, low, 0.25 + 0.04 * i) for i in range(8)]
        return out
    if meter == 3:
        return [(0.0, 1.0, low, 0.9), (2.0, 0.5, fifth, 0.6)]
    out = [(0.0, 1.0, low, 1.0), (2.0, 1.0, low, 0.8)]
    if e > 0.6:
        out += [(1.5, 0.5, fifth, 0.6), (3.0, 0.5, low, 0.7), (3.5, 0.5, fifth, 0.75)]
    if form_bar.cadence and e > 0.6:
        out += [(3.0 + i / 4, 0.25, low if i % 2 else fifth, 0.6 + 0.08 * i) for i in range(4)]
    return out


def _pitch_near(pc: int, target: float, low: int, high: int) -> int:
    options = [p for p in range(low, high + 1) if p % 12 == pc] or [pc + 12 * int(target // 12)]
    return min(options, key=lambda p: (abs(p - target), p))


def voicing(chord: Chord, track: Track, prev: list[int]) -> list[int]:
    """Close-position chord in the track's register, moving as little as possible from `prev`."""
    if track.instrument == "distorted guitar":
        root = _pitch_near(chord.root, 45, 40, 52)
        third = (
            chord.tones[1] - chord.root
        ) % 12  # a power chord plus its third: mode stays audible
        return [root, root + 7, root + 12, root + 12 + third]
    tones = list(chord.tones)
    candidates: list[list[int]] = []
    for inversion in range(len(tones)):
        order = tones[inversion:] + tones[:inversion]
        for base in range(track.low, track.high - 6):
            if base % 12 != order[0]:
                continue
            stack = [base]
            for pc in order[1:]:
                stack.append(stack[-1] + (pc - stack[-1]) % 12)
            if stack[-1] <= track.high:
                candidates.append(stack)
    if not candidates:
        return [
            _pitch_near(pc, (track.low + track.high) / 2, track.low, track.high) for pc in tones
        ]
    if not prev:
        centre = (track.low + track.high) / 2
        return min(
            candidates, key=lambda c: (abs(float(np.mean(c)) - centre), c[0] % 12 != chord.root)
        )
    return min(
        candidates,
        key=lambda c: (sum(abs(a - b) for a, b in zip(sorted(c), sorted(prev), strict=False)), c),
    )


def accompaniment(
    plan: MusicPlan,
    voiced: list[int],
    chord: Chord,
    track: Track,
    bar: int,
    rng: np.random.Generator,
) -> list[Event]:
    meter, e = plan.meter, plan.energy
    chord_at = lambda beats_lens: [(b, ln, p, int(b == 0)) for b, ln in beats_lens for p in voiced]  # noqa: E731
    if "staccato" in plan.articulations:  # short repeated chords: eighths when it is urgent
        step = 0.5 if e >= 0.5 else 1.0
        return chord_at([(i * step, step * 0.5) for i in range(int(meter / step))])
    if meter == 3:
        return chord_at([(1.0, 0.9), (2.0, 0.9)])
    if plan.style == "jazz":  # comping: more stabs as the energy rises
        if e < 0.4:
            options = [[0.0, 2.5], [1.5, 3.0], [0.0]]
        elif e < 0.65:
            options = [[1.5, 3.0], [0.0, 2.5], [1.0, 2.5], [0.5, 2.0, 3.5]]
        else:
            options = [[0.0, 1.5, 2.5, 3.5], [0.5, 1.5, 2.0, 3.5], [0.0, 1.0, 2.5, 3.0, 3.5]]
        hits = options[int(rng.integers(len(options)))]
        return chord_at([(b, 0.7 if e < 0.65 else 0.45) for b in hits])
    if track.instrument == "distorted guitar":
        if e > 0.6:
            return chord_at([(i / 2, 0.45) for i in range(meter * 2)])
        return chord_at([(0.0, 1.4), (1.5, 0.5), (2.0, 1.0), (3.0, 1.0)])
    if track.instrument in ("acoustic guitar", "electric guitar") or plan.style == "folk":
        hits = [0.0, 1.0, 1.5, 2.5, 3.0, 3.5] if e >= 0.4 else [0.0, 2.0]
        out: list[Event] = []
        for i, b in enumerate(hits):
            length = (hits[i + 1] if i + 1 < len(hits) else meter) - b
            strum = voiced if i % 2 == 0 or e < 0.4 else voiced[::-1]  # down and up strokes
            out += [(b + 0.03 * j, length, p, int(b == 0)) for j, p in enumerate(strum)]
        return out
    if plan.style == "lofi" or track.instrument == "electric piano":
        return chord_at([(0.0, 4.0)] if e < 0.3 else [(0.0, 1.5), (2.5, 1.5)])
    ringing = track.instrument in (  # short or bell-like notes: block chords would leave holes
        "pizzicato strings",
        "music box",
        "celesta",
        "glockenspiel",
        "harp",
        "marimba",
        "vibraphone",
    )
    level = 0 if (e < 0.3 or plan.texture == "sparse") and not ringing else 1
    if level == 0:
        return chord_at([(0.0, 2.0), (2.0, 2.0)] if e >= 0.3 else [(0.0, 4.0)])
    arp = sorted(voiced) + [sorted(voiced)[0] + 12]
    figure = arp + arp[-2:0:-1]
    steps = meter * (4 if e > 0.8 and plan.tempo < 110 else 2)
    length = meter / steps
    return [
        (i * length, length * 2, p, int(i == 0))
        for i, p in zip(range(steps), itertools.cycle(figure), strict=False)
    ]


def _pickup(
    chord: Chord, root: int, next_root: int, tonic: int, mode: str, track: Track
) -> list[int]:
    """Two eighths that lead a pedalling bass into the next bar: up the chord (3rd, 5th)
    when the root stays, else two steps of the key's scale into the next root. Either way
    the bass line names the mode's third and the scale, not only the roots."""
    if next_root == chord.root:
        third = _pitch_near(chord.tones[1], root + 4, track.low, track.high)
        return [third, _pitch_near(chord.fifth, root + 7, track.low, track.high)]
    target = _pitch_near(next_root, root, track.low, track.high)
    in_key = {(tonic + s) % 12 for s in SCALES[mode]}
    step = -1 if target > root else 1  # walk towards the target from root's side
    path = [p for p in range(target + step, target + 8 * step, step) if p % 12 in in_key]
    return [path[1], path[0]] if len(path) >= 2 else [root, root]


def bass_line(
    plan: MusicPlan,
    chord: Chord,
    next_root: int,
    tonic: int,
    track: Track,
    rng: np.random.Generator,
) -> list[Event]:
    meter, e = plan.meter, plan.energy
    # An inverted chord puts its third or fifth in the bass: the line moves, not only roots.
    root = _pitch_near(chord.bass, track.low + 7, track.low, track.low + 11)
    fifth = _pitch_near(chord.fifth, root + 7, track.low, track.high)
    if chord.inversion == 2:
        fifth = _pitch_near(chord.root, root + 5, track.low, track.high)
    if plan.style == "jazz" and meter == 4:
        target = _pitch_near(next_root, root, track.low, track.high)
        # Approach the next root from a scale step above or below, or a half step below:
        # mostly in the key, so the walk outlines the key rather than blurring it.
        in_key = {(tonic + s) % 12 for s in SCALES[plan.mode]}
        above = next((d for d in (1, 2) if (target + d) % 12 in in_key), 1)
        below = next((d for d in (-1, -2) if (target + d) % 12 in in_key), -1)
        pick = rng.random()
        approach = target + (-1 if pick < 0.3 else above if pick < 0.65 else below)
        third = _pitch_near(chord.tones[1], root + 4, track.low, track.high)
        # Half the bars walk up the arpeggio (root, 3rd, 5th), half up the scale (root,
        # 2nd, 3rd): all-arpeggio walks stress every chord's fifth.
        second = root + next((d for d in (1, 2) if (root + d) % 12 in in_key), 2)
        middle = (third, fifth) if rng.random() < 0.5 else (second, third)
        return [
            (0.0, 0.95, root, 1),
            (1.0, 0.95, middle[0], 0),
            (2.0, 0.95, middle[1], 0),
            (3.0, 0.95, approach, 0),
        ]
    if meter == 3:
        return [(0.0, 1.0, root, 1)] + ([(2.0, 0.9, fifth, 0)] if e > 0.6 else [])
    if plan.style in ("rock",) or plan.feel == "driving":
        eighths = [root + (12 if e > 0.8 and i % 4 == 3 else 0) for i in range(meter * 2)]
        eighths[-2:] = _pickup(chord, root, next_root, tonic, plan.mode, track)
        return [(i / 2, 0.45, p, int(i % 2 == 0)) for i, p in enumerate(eighths)]
    if plan.style == "electronic":
        return [(0.0, 0.45, root, 1)] + [(i + 0.5, 0.45, root, 0) for i in range(meter)]
    if plan.style == "lofi":
        return [(0.0, 1.5, root, 1), (2.5, 1.0, fifth, 0), (3.5, 0.5, root, 0)]
    if next_root != chord.bass and rng.random() < 0.6:
        # A slow bass walks into the next chord by a scale step on the bar's last beat.
        target = _pitch_near(next_root, root, track.low, track.high)
        in_key = {(tonic + st) % 12 for st in SCALES[plan.mode]}
        step = 1 if target < root else -1
        passing = next(
            (target + k * step for k in (1, 2) if (target + k * step) % 12 in in_key), root
        )
        if e < 0.35:
            return [(0.0, float(meter) - 1, root, 1), (float(meter) - 1, 1.0, passing, 0)]
        if e < 0.7 and meter == 4:
            return [(0.0, 2.0, root, 1), (2.0, 1.0, fifth, 0), (3.0, 1.0, passing, 0)]
    if e < 0.35:
        return [(0.0, float(meter), root, 1)]
    if e < 0.7:
        return [(0.0, 2.0, root, 1), (2.0, 2.0, fifth, 0)]
    return [(0.0, 1.0, root, 1), (1.0, 1.0, root, 0), (2.0, 1.0, fifth, 0), (3.0, 1.0, root, 0)]


def drum_pattern(
    plan: MusicPlan, instrument: str, form_bar: Bar, bar: int, rng: np.random.Generator
) -> list[tuple[float, int, float]]:
    """One bar of drums: the groove, a crash where a phrase begins, a fill where it ends."""
    hits = _groove(plan, instrument, form_bar, bar, rng)
    e, meter = plan.energy, plan.meter
    if form_bar.cadence and e > 0.45 and instrument != "brush kit":
        # A fill over the phrase's last beat: snare (and toms when it is loud) into the next.
        last = float(meter - 1)
        hits = [h for h in hits if h[0] < last or h[1] in (KICK, KICK2)]
        steps = [last + i / 4 for i in range(4)] if e > 0.7 else [last, last + 0.5]
        notes = [SNARE, SNARE, HIGH_TOM, LOW_TOM] if e > 0.7 else [SNARE, SNARE]
        hits += [(b, n, 0.45 + 0.1 * i) for i, (b, n) in enumerate(zip(steps, notes, strict=False))]
    elif form_bar.phrase_bar == 0 and e > 0.45 and not any(h[1] == CRASH for h in hits):
        hits.append((0.0, CRASH, 0.55 if e < 0.7 else 0.7))
    return hits


# Sixteenths a groove adds, in this order, as the energy rises past 0.45: a page that
# plays harder is busier, step by step rather than at two thresholds.
_GHOSTS = (3.75, 1.75, 2.25, 0.25, 3.25, 1.25, 2.75, 0.75)


def _groove(
    plan: MusicPlan, instrument: str, form_bar: Bar, bar: int, rng: np.random.Generator
) -> list[tuple[float, int, float]]:
    hits = _base_groove(plan, instrument, form_bar, bar, rng)
    extra = int(max(0.0, plan.energy - 0.45) * 16)
    ghost = SNARE if instrument == "brush kit" else CLOSED_HAT
    if instrument != "percussion" and plan.meter == 4:
        hits += [(b, ghost, 0.2) for b in _GHOSTS[:extra]]
    return hits


def _base_groove(
    plan: MusicPlan, instrument: str, form_bar: Bar, bar: int, rng: np.random.Generator
) -> list[tuple[float, int, float]]:
    meter, e = plan.meter, plan.energy
    if instrument == "brush kit":  # swept snare on the beats, a soft kick, the pedal hat
        out = [(float(b), SNARE, 0.32 if b % 2 else 0.26) for b in range(meter)]
        out += [(b + 0.5, SNARE, 0.18) for b in range(meter)] if e > 0.55 else []
        out += [(b + 0.25, SNARE, 0.12) for b in range(meter)] if e > 0.7 else []
        out += [(0.0, KICK, 0.35)] + [(float(b), PEDAL_HAT, 0.3) for b in range(1, meter, 2)]
        return out
    eighths = [i / 2 for i in range(meter * 2)]
    if instrument == "percussion":
        out = [(0.0, KICK2, 0.9), (float(meter - 1) + 0.5, LOW_TOM, 0.6)]
        out += [(2.0, KICK2, 0.7)] if e > 0.5 and meter == 4 else []
        out += [(b, SHAKER, 0.35 if b % 1 else 0.45) for b in eighths] if e > 0.4 else []
        return out + ([(0.0, CRASH, 0.6)] if e > 0.7 and bar % 4 == 0 else [])
    if meter == 3:
        return [(0.0, KICK, 0.8), (1.0, STICK, 0.4), (2.0, STICK, 0.4)] + [
            (b, CLOSED_HAT, 0.3) for b in eighths
        ]
    if plan.style == "jazz":
        ride = [0.0, 1.0, 2.0, 3.0] if e < 0.4 else [0.0, 1.0, 1.5, 2.0, 3.0, 3.5]
        ride += [0.5, 2.5] if e > 0.7 else []
        out = [(b, RIDE, 0.7 if b % 1 == 0 else 0.45) for b in ride]
        out += [(1.0, PEDAL_HAT, 0.5), (3.0, PEDAL_HAT, 0.5), (0.0, KICK, 0.45)]
        return out + ([(2.5, SNARE, 0.3)] if rng.random() < 0.35 else [])
    if plan.style == "lofi":
        out = [(0.0, KICK, 0.85), (2.5, KICK, 0.7), (1.0, SNARE, 0.7), (3.0, SNARE, 0.7)]
        return out + [(b, CLOSED_HAT, 0.4 if b % 1 == 0 else 0.28) for b in eighths]
    if plan.style == "electronic":
        out = [(float(b), KICK, 0.9) for b in range(meter)] + [(1.0, CLAP, 0.7), (3.0, CLAP, 0.7)]
        out += [(b + 0.5, OPEN_HAT, 0.4) for b in range(meter)]
        return out + ([(i / 4, CLOSED_HAT, 0.22) for i in range(meter * 4)] if e > 0.7 else [])
    kicks = [0.0, 2.0] + ([2.5] if e > 0.6 else []) + ([1.5] if e > 0.85 else [])
    out = [(b, KICK, 0.9) for b in kicks] + [(1.0, SNARE, 0.85), (3.0, SNARE, 0.85)]
    hats = eighths if e >= 0.35 else [0.0, 1.0, 2.0, 3.0]
    cymbal = RIDE if form_bar.section == "B" else CLOSED_HAT  # the B section rides
    out += [
        (b, cymbal, 0.5 if b % 1 == 0 else 0.35)
        for b in hats
        if not (b == 3.5 and e > 0.7 and bar % 2)
    ]
    if e > 0.7 and bar % 2:
        out.append((3.5, OPEN_HAT, 0.5))
    if e > 0.55 and bar % 4 == 0:
        out.append((0.0, CRASH, 0.7))
    return out
