"""Compose a score within a plan: chords, bass, accompaniment, melody, drums.

The score is a list of notes in seconds, ready for either renderer. Harmony comes from
`harmony_seed` (shared by the pages of a scene, so they agree); the melody and small
human variations from `seed` (so pages differ). Progressions start on the tonic and the
bass plays chord roots on the downbeats: the key and the beat are audible, not implied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .arrange import Track, arrange
from .base import MusicPlan
from .patterns import accompaniment, bass_line, drum_pattern, voicing
from .theory import Chord, nearest, pitch_class, progression, scale_pitches


@dataclass
class Note:
    start: float  # seconds from the clip start
    dur: float  # seconds
    pitch: int
    vel: int  # 1..127
    track: int  # index into Score.tracks


@dataclass
class Score:
    tracks: list[Track]
    notes: list[Note]
    bars: int
    bar_seconds: float


# Melody rhythms: (beat, length) per bar, by metre and density (0 sparse .. 2 busy).
_RHYTHMS: dict[int, list[list[list[tuple[float, float]]]]] = {
    4: [
        [[(0, 2), (2, 2)], [(0, 3), (3, 1)], [(0, 1.5), (1.5, 2.5)], [(0, 2), (2, 1), (3, 1)]],
        [
            [(0, 1), (1, 1), (2, 2)],
            [(0, 1.5), (1.5, 0.5), (2, 2)],
            [(0, 1), (1, 0.5), (1.5, 0.5), (2, 1), (3, 1)],
            [(0, 1.5), (1.5, 0.5), (2, 1), (3, 1)],
        ],
        [
            [(0, 0.5), (0.5, 0.5), (1, 0.5), (1.5, 0.5), (2, 1), (3, 1)],
            [(0, 1), (1, 0.5), (1.5, 0.5), (2, 0.5), (2.5, 0.5), (3, 1)],
            [(0, 0.5), (0.5, 0.5), (1, 1), (2, 0.5), (2.5, 0.5), (3, 0.5), (3.5, 0.5)],
        ],
    ],
    3: [
        [[(0, 3)], [(0, 2), (2, 1)]],
        [[(0, 1), (1, 1), (2, 1)], [(0, 1.5), (1.5, 0.5), (2, 1)], [(0, 2), (2, 0.5), (2.5, 0.5)]],
        [
            [(0, 0.5), (0.5, 0.5), (1, 1), (2, 1)],
            [(0, 1), (1, 0.5), (1.5, 0.5), (2, 0.5), (2.5, 0.5)],
        ],
    ],
}
_CADENCE = {4: [[(0, 4)], [(0, 1), (1, 3)]], 3: [[(0, 3)], [(0, 1), (1, 2)]]}
_STEPS = np.array([-2, -1, -1, 0, 1, 1, 2, 3, -3])


def _density(plan: MusicPlan) -> int:
    level = 0 if plan.energy < 0.35 else 1 if plan.energy < 0.68 else 2
    if plan.texture == "sparse":
        level -= 1
    elif plan.texture == "dense" and plan.energy >= 0.5:
        level += 1
    return int(min(2, max(0, level)))


class Timing:
    """Beats to seconds, with swing on the off-beat eighths and, for rubato, a breathing pulse.

    Rubato is a smooth flex of the tempo over each phrase (broader at its ends, pressing on
    in its middle), not random jitter: the pulse stays one pulse a listener can follow. The
    flex returns to the grid at every phrase boundary and at the clip's end, so the loop
    length and the bar lines the mixer cuts on do not move.
    """

    FLEX = 0.02  # the tempo swings this fraction either side of the plan's tempo

    def __init__(self, plan: MusicPlan, bars: int = 4) -> None:
        self.beat = 60.0 / plan.tempo
        self.meter = plan.meter
        self.bar = self.beat * plan.meter
        self.swing = {"swing": 2 / 3}.get(plan.feel, 0.58 if plan.style == "lofi" else 0.5)
        self.flex = self.FLEX if plan.feel == "rubato" else 0.0
        phrases = max(1, round(bars / 4))
        self.period = bars * plan.meter / phrases  # beats per phrase; divides the clip

    def at(self, bar: int, beat: float) -> float:
        whole = float(np.floor(beat + 1e-9))
        frac = beat - whole
        if abs(frac - 0.5) < 1e-6:
            frac = self.swing
        pos = bar * self.meter + whole + frac
        if self.flex:  # d(time)/d(beat) = 1 + flex * cos(2 pi pos / period)
            pos += self.flex * self.period / (2 * np.pi) * np.sin(2 * np.pi * pos / self.period)
        return pos * self.beat


def _melody(
    chords: list[Chord], track: Track, plan: MusicPlan, tonic: int, rng: np.random.Generator
) -> list[tuple[int, float, float, int, bool]]:
    """(bar, beat, beats, pitch, accent) for a motif-based melody in 4- and 8-bar phrases."""
    meter = plan.meter if plan.meter in _RHYTHMS else 4
    bank = _RHYTHMS[meter][_density(plan)]
    motif_a, motif_b = bank[rng.integers(len(bank))], bank[rng.integers(len(bank))]
    contour_a = rng.choice(_STEPS, size=len(motif_a))
    contour_b = rng.choice(_STEPS, size=len(motif_b))
    cadence = _CADENCE[meter][int(rng.integers(2))]
    scale = scale_pitches(tonic, plan.mode, track.low, track.high)
    anchors = {tonic, (tonic + (3 if plan.mode == "minor" else 4)) % 12}
    centre = (track.low + track.high) / 2
    cur = nearest(scale, centre)
    out = []
    bars = len(chords)
    for bar, chord in enumerate(chords):
        pos, half = bar % 4, (bar // 4) % 2
        last = bar == bars - 1
        if pos == 3 or last:
            rhythm, contour = cadence, np.zeros(len(cadence), int)
        elif pos == 2:
            rhythm, contour = motif_b, contour_b
        else:
            rhythm = motif_a
            contour = contour_a if pos == 0 else -contour_a if half else contour_a + 1
        tones = [p for p in range(track.low, track.high + 1) if p % 12 in chord.tones]
        for i, (beat, length) in enumerate(rhythm):
            strong = beat == 0 or (meter == 4 and beat == 2)
            idx = scale.index(nearest(scale, cur))
            target = scale[int(np.clip(idx + int(contour[i]), 0, len(scale) - 1))]
            if target in (scale[0], scale[-1]):  # bounce off the register's edge
                target = scale[int(np.clip(idx - int(contour[i]), 0, len(scale) - 1))]
            if (pos == 3 or last) and i == len(rhythm) - 1:
                # Cadence: the phrase's end lands on the chord root (tonic at the loop end).
                ends_on_root = half == 1 or last or bars < 8
                goal = [
                    p for p in tones if p % 12 == (chord.root if ends_on_root else chord.tones[1])
                ]
                pitch = nearest(goal or tones or scale, cur)
            elif strong and tones:
                pitch = nearest(tones, target)
                homes = [p for p in tones if p % 12 in anchors and abs(p - target) <= 3]
                if homes:  # lean on the tonic or the mode's third when the chord allows it
                    pitch = nearest(homes, target)
            else:
                pitch = target
            out.append((bar, float(beat), float(length), pitch, strong))
            cur = pitch
    return out


def compose(plan: MusicPlan, bars: int, seed: int, harmony_seed: int) -> Score:
    """A score of `bars` bars; notes may ring past the end (the renderer wraps them)."""
    rng = np.random.default_rng(seed)
    tonic = pitch_class(plan.key)
    prog = progression(plan.style, plan.mode, tonic, harmony_seed)
    chords = [prog[i % len(prog)] for i in range(bars)]
    for i in range(7, bars, 8):  # every 8-bar period closes on the tonic
        chords[i] = prog[0]
    tracks = arrange(plan)
    t = Timing(plan, bars)
    base_vel = 38 + 64 * plan.energy
    humanise = 0.005
    notes: list[Note] = []

    def add(track: int, bar: int, beat: float, beats: float, pitch: int, vel: float) -> None:
        start = t.at(bar, beat)
        if beat > 0:
            start += float(rng.normal(0.0, humanise))
        v = int(np.clip(vel + rng.normal(0.0, 4.0), 1, 127))
        dur = max(0.05, beats * t.beat * (0.96 if not tracks[track].is_drums else 1.0))
        notes.append(Note(max(0.0, start), dur, int(pitch), v, track))

    for ti, track in enumerate(tracks):
        if track.role == "melody":
            for bar, beat, beats, pitch, accent in _melody(chords, track, plan, tonic, rng):
                add(ti, bar, beat, beats, pitch, base_vel + 14 + 6 * accent)
        elif track.role == "bass":
            next_roots = [c.root for c in chords[1:]] + [chords[0].root]
            for bar, chord in enumerate(chords):
                for beat, beats, pitch, accent in bass_line(
                    plan, chord, next_roots[bar], tonic, track, rng
                ):
                    add(ti, bar, beat, beats, pitch, base_vel + 10 + 8 * accent)
        elif track.role == "drums":
            for bar in range(bars):
                for beat, drum, vel in drum_pattern(plan, track.instrument, bar, rng):
                    add(ti, bar, beat, 0.25, drum, vel * (base_vel + 22))
        elif track.role in ("harmony", "sustained", "counter"):
            prev: list[int] = []
            for bar, chord in enumerate(chords):
                prev = voicing(chord, track, prev)
                if track.role == "harmony":
                    events = accompaniment(plan, prev, chord, track, bar, rng)
                elif track.role == "sustained":
                    events = [(0.0, float(plan.meter), p, 0) for p in prev]
                else:
                    events = [(0.0, float(plan.meter), prev[len(prev) // 2], 0)]
                for beat, beats, pitch, accent in events:
                    add(ti, bar, beat, beats, pitch, base_vel - 4 + 8 * accent)
    return Score(tracks=tracks, notes=notes, bars=bars, bar_seconds=t.bar)
