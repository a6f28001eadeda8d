"""The melody: a scene's motif, developed phrase by phrase, sung mostly in steps.

Each scene has two motifs (a rhythm and a contour in scale steps), drawn from its harmony
seed: one for the A sections, one for B. A four-bar phrase states its motif, then
develops it — a sequence, a rhythmic variation, an inversion or a fragment, chosen per
page — and ends on a cadence note with a breath after it. Pitches move by step by
preference; after a leap the line turns back by step; strong beats lean on chord tones,
and the phrase's last note lands on the tonic (a full cadence) or on the dominant's
chord (a half cadence). Over a minor key's V the line takes the raised seventh.
"""

from __future__ import annotations

import numpy as np

from .arrange import Track
from .base import MusicPlan
from .form import Bar
from .theory import nearest, scale_pitches

Rhythm = list[tuple[float, float]]  # (beat, beats) in a bar

# Melody rhythms by metre and density (0 sparse .. 2 busy).
RHYTHMS: dict[int, list[list[Rhythm]]] = {
    4: [
        [[(0, 2), (2, 2)], [(0, 3), (3, 1)], [(0, 1.5), (1.5, 2.5)], [(0, 2), (2, 1), (3, 1)],
         [(0, 1), (1, 3)], [(0, 2.5), (2.5, 0.5), (3, 1)], [(0, 1.5), (1.5, 1.5), (3, 1)],
         [(0, 3), (3, 0.5), (3.5, 0.5)]],
        [[(0, 1), (1, 1), (2, 2)], [(0, 1.5), (1.5, 0.5), (2, 2)],
         [(0, 1), (1, 0.5), (1.5, 0.5), (2, 1), (3, 1)], [(0, 1.5), (1.5, 0.5), (2, 1), (3, 1)],
         [(0, 0.5), (0.5, 1.5), (2, 1), (3, 1)], [(0, 1), (1, 1), (2, 1), (3, 1)],
         [(0, 1), (1, 1.5), (2.5, 0.5), (3, 1)], [(0, 0.5), (0.5, 0.5), (1, 1), (2, 2)]],
        [[(0, 0.5), (0.5, 0.5), (1, 0.5), (1.5, 0.5), (2, 1), (3, 1)],
         [(0, 1), (1, 0.5), (1.5, 0.5), (2, 0.5), (2.5, 0.5), (3, 1)],
         [(0, 0.5), (0.5, 0.5), (1, 1), (2, 0.5), (2.5, 0.5), (3, 0.5), (3.5, 0.5)],
         [(0, 0.75), (0.75, 0.25), (1, 0.5), (1.5, 0.5), (2, 1), (3, 0.5), (3.5, 0.5)]],
    ],
    3: [
        [[(0, 3)], [(0, 2), (2, 1)], [(0, 1), (1, 2)]],
        [[(0, 1), (1, 1), (2, 1)], [(0, 1.5), (1.5, 0.5), (2, 1)], [(0, 2), (2, 0.5), (2.5, 0.5)]],
        [[(0, 0.5), (0.5, 0.5), (1, 1), (2, 1)], [(0, 1), (1, 0.5), (1.5, 0.5), (2, 0.5), (2.5, 0.5)]],
    ],
}  # fmt: skip
# Phrase ends: the last note, then a breath (the rest of the bar).
CADENCES: dict[int, list[Rhythm]] = {
    4: [
        [(0, 3)],
        [(0, 1), (1, 2)],
        [(0, 2), (2, 1.5)],
        [(0, 1.5), (1.5, 1.5)],
        [(0, 2.5)],
        [(0, 0.5), (0.5, 2.5)],
        [(0, 1), (1, 1), (2, 1.5)],
        [(0, 0.5), (0.5, 0.5), (1, 2)],
    ],
    3: [[(0, 2)], [(0, 1), (1, 1.5)]],
}
# Contour steps in scale degrees: mostly steps, some thirds, few leaps.
_DELTAS = np.array([-1, 1, 0, 2, -2, 3, -3, -4, 4])
_WEIGHTS = np.array([0.36, 0.34, 0.08, 0.07, 0.07, 0.025, 0.025, 0.01, 0.01])


def _contour(rng: np.random.Generator, n: int) -> list[int]:
    return [int(d) for d in rng.choice(_DELTAS, size=n, p=_WEIGHTS / _WEIGHTS.sum())]


def _vary_rhythm(rhythm: Rhythm, rng: np.random.Generator, meter: int) -> Rhythm:
    """Split the longest note in two, or join the first two: the same motif, a new rhythm."""
    out = list(rhythm)
    longest = max(range(len(out)), key=lambda i: out[i][1])
    b, n = out[longest]
    if n >= 1.0 and (len(out) < 3 or rng.random() < 0.6):
        half = 0.5 if n <= 1.0 else float(np.floor(n / 2 * 2) / 2) or 0.5
        out[longest : longest + 1] = [(b, half), (b + half, n - half)]
    elif len(out) >= 2:
        out[0:2] = [(out[0][0], out[0][1] + out[1][1])]
    return out


def _syncopate(rhythm: Rhythm, meter: int) -> Rhythm:
    """Anticipate a beat: a note on a beat comes half a beat early (the one before it
    gives up that half), the same motif with a push."""
    out = list(rhythm)
    for i in range(len(out) - 1, 0, -1):
        b, n = out[i]
        pb, pn = out[i - 1]
        if b % 1 == 0 and pn >= 1.0:
            out[i - 1] = (pb, pn - 0.5)
            out[i] = (b - 0.5, n + 0.5)
            return out
    return out


def _with_pickup(rhythm: Rhythm, meter: int, rng: np.random.Generator) -> Rhythm:
    """A cadence bar with an upbeat into the next phrase, after a breath."""
    end = rhythm[-1][0] + rhythm[-1][1]
    if end > meter - 1 + 1e-6:
        return rhythm
    pickup = (
        [(meter - 0.5, 0.5)] if rng.random() < 0.5 else [(meter - 1.0, 0.5), (meter - 0.5, 0.5)]
    )
    return rhythm + pickup


def _near_tonic(scale: list[int], idx: int, tonic: int) -> int:
    """The tonic within a step of scale[idx], or 0 when there is none."""
    for k in (0, 1, -1):
        if 0 <= idx + k < len(scale) and scale[idx + k] % 12 == tonic:
            return scale[idx + k]
    return 0


class Motif:
    def __init__(self, rng: np.random.Generator, bank: list[Rhythm]) -> None:
        self.rhythm = bank[int(rng.integers(len(bank)))]
        self.contour = _contour(rng, len(self.rhythm))
        if sum(abs(d) for d in self.contour) == 0:
            self.contour[-1] = 1


def melody(
    bars: list[Bar],
    track: Track,
    plan: MusicPlan,
    tonic: int,
    density: int,
    scene_seed: int,
    rng: np.random.Generator,
) -> list[tuple[int, float, float, int, bool]]:
    """(bar, beat, beats, pitch, accent) of the page's melody."""
    meter = plan.meter if plan.meter in RHYTHMS else 4
    scene_rng = np.random.default_rng(scene_seed)
    bank = RHYTHMS[meter][density]
    motifs = {"A": Motif(scene_rng, bank), "B": Motif(scene_rng, bank)}
    motifs["A'"] = motifs["A"]
    # Where the line sits: calm music lower in the register, intense music higher.
    span = track.high - track.low
    centre = track.low + span * (0.4 + 0.2 * plan.energy)
    cur = float(centre)
    prev_step = 0  # the last interval, in scale degrees
    anchors = {tonic, (tonic + (3 if plan.mode == "minor" else 4)) % 12}
    out: list[tuple[int, float, float, int, bool]] = []
    technique = [int(rng.integers(4)) for _ in range(len(bars))]
    for i, bar in enumerate(bars):
        motif = motifs.get(bar.section, motifs["A"])
        pos = bar.phrase_bar
        cadence_bar = bool(bar.cadence) or i == len(bars) - 1
        pickup, cad_len = False, 0
        if bar.cadence or i == len(bars) - 1:
            cad = CADENCES[meter]
            rhythm = cad[int(rng.integers(len(cad)))]
            cad_len = len(rhythm)
            pickup = i < len(bars) - 1 and rng.random() < 0.5
            if pickup:
                rhythm = _with_pickup(rhythm, meter, rng)
            contour = [-1 if cur > centre else 1] * len(rhythm)
        elif pos == 0:
            rhythm, contour = motif.rhythm, motif.contour
            if bar.section == "A'" or (i > 0 and rng.random() < 0.4):
                # A' varies its motif; a restatement later in a page may push it
                rhythm = (
                    _vary_rhythm(rhythm, rng, meter)
                    if rng.random() < 0.6
                    else _syncopate(rhythm, meter)
                )
                contour = (contour * 2)[: len(rhythm)]
        else:
            t = technique[i]
            if t == 0:  # sequence: the motif again, from where the line is (pushed, maybe)
                rhythm, contour = motif.rhythm, motif.contour
                if rng.random() < 0.5:
                    rhythm = _syncopate(rhythm, meter)
            elif t == 1:  # rhythmic variation
                rhythm = _vary_rhythm(motif.rhythm, rng, meter)
                contour = (motif.contour * 2)[: len(rhythm)]
            elif t == 2:  # inversion
                rhythm, contour = motif.rhythm, [-d for d in motif.contour]
            else:  # a new figure from the bank, stepping towards the centre
                rhythm = bank[int(rng.integers(len(bank)))]
                contour = _contour(rng, len(rhythm))
        for j, (beat, length) in enumerate(rhythm):
            chord = bar.chord_at(beat)
            scale = scale_pitches(tonic, plan.mode, track.low, track.high, chord)
            idx = scale.index(nearest(scale, cur))
            d = contour[j % len(contour)]
            if abs(prev_step) >= 2:  # recover from a leap: a step back the other way
                d = -int(np.sign(prev_step))
            target = idx + d
            if target <= 0 or target >= len(scale) - 1:  # bounce off the register's edge
                target = idx - d
            target = int(np.clip(target, 0, len(scale) - 1))
            if abs(scale[target] - centre) > span * 0.45:  # drift home
                target = int(np.clip(idx + (1 if scale[idx] < centre else -1), 0, len(scale) - 1))
            tones = set(chord.tones)
            homes = tones & anchors
            strong = beat == 0 or (meter == 4 and beat == 2)
            # the cadence's last note (an upbeat after it steps on towards the next phrase)
            last_note = cadence_bar and j == (cad_len - 1 if pickup else len(rhythm) - 1)
            if last_note:
                goal = {tonic} if bar.cadence == "full" else {chord.root}
                options = [p for p in scale if p % 12 in goal] or scale
                pitch = nearest(options, scale[target])
            elif pos == 0 and j == 0 and chord.root == tonic and _near_tonic(scale, idx, tonic):
                # A phrase on the tonic chord starts on the tonic (a step away at most):
                # the key is stated.
                pitch = _near_tonic(scale, idx, tonic)
            elif strong and scale[target] % 12 not in (homes or tones):
                # Lean on a chord tone a step away, in the line's direction first: the
                # tonic or the mode's third when the chord has them, so the key is heard.
                # Only a step from where the line is, so the line still moves by step
                # (else the passing note stays, an appoggiatura).
                step = int(np.sign(d)) or 1
                pitch = scale[target]
                alts = [a for a in (idx + step, idx - step) if 0 <= a < len(scale)]
                for want in (homes, tones):
                    hit = [a for a in alts if scale[a] % 12 in want]
                    if hit:
                        pitch = scale[hit[0]]
                        break
            else:
                pitch = scale[target]
            new_idx = scale.index(nearest(scale, pitch))
            prev_step = new_idx - idx
            out.append((i, float(beat), float(length), int(pitch), strong))
            cur = float(pitch)
    return out
