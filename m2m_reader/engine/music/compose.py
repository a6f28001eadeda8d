"""Compose a score within a plan: chords, bass, accompaniment, melody, drums.

The score is a list of notes in seconds, ready for either renderer. Harmony comes from
`harmony_seed` (shared by the pages of a scene, so they agree); the melody and small
human variations from `seed` (so pages differ). Progressions start on the tonic and the
bass plays chord roots on the downbeats: the key and the beat are audible, not implied.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .arrange import Track, arrange
from .base import MusicPlan
from .form import Bar, Slot, page_bars
from .melody import melody
from .patterns import (
    _pitch_near,
    accompaniment,
    bass_line,
    drum_pattern,
    pitched_percussion,
    voicing,
)
from .theory import HELD, Chord, pitch_class


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
    form: list[Bar] = field(default_factory=list)  # the bars' harmony and place in the form
    # A transition segment played once before the bars (`transition.bridge`): its notes,
    # in seconds from the clip start, and its length; the bars then start at `intro_seconds`.
    intro: list[Note] = field(default_factory=list)
    intro_seconds: float = 0.0


def _density(plan: MusicPlan) -> int:
    level = 0 if plan.energy < 0.35 else 1 if plan.energy < 0.62 else 2
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


# Layers by energy: below these a layer rests (a calm page is thinner, not only quieter).
DRUMS_FROM = 0.22
COUNTER_FROM = 0.4
OVERLAP_BEATS = 0.2  # held notes ring this far into the next one: no hole at bar lines
HELD_OVERLAP_S = 0.12  # and a bowed, blown or sung note at least this long into the next
PEDAL_OVERLAP_S = 0.08  # a piano's or a guitar's chord rings this long into the next one
# Decaying instruments whose chords ring on (pedalled or let ring) until the next ones.
PEDALLED = {
    "piano", "bright piano", "electric piano", "harpsichord", "acoustic guitar",
    "electric guitar", "harp", "vibraphone", "celesta", "dulcimer", "kalimba",
}  # fmt: skip


def _note_length(track: Track, plan: MusicPlan, role: str) -> tuple[float, float]:
    """How much of its written length a note sounds (a fraction) and how far past it
    (seconds), by articulation, instrument and role.

    A held instrument speaks slowly, so it overlaps the next note. A piano's, a guitar's
    or a harp's chords and bass are played with the pedal: they ring until the next ones
    strike (the pedal changes with the harmony), so the accompaniment never falls silent
    at a bar line while the melody breathes."""
    if track.is_drums:
        return 1.0, 0.0
    arts = plan.articulations
    if "staccato" in arts and role in ("melody", "harmony", "sustained", "counter"):
        return 0.42, 0.0
    if "legato" in arts and role == "melody":
        return 1.08, HELD_OVERLAP_S
    if track.instrument in HELD:
        return 1.03, HELD_OVERLAP_S
    if role in ("harmony", "sustained", "bass") and track.instrument in PEDALLED:
        return 1.0, PEDAL_OVERLAP_S
    return 0.95, 0.0


def compose(
    plan: MusicPlan, bars: int, seed: int, harmony_seed: int, start_phrase: int = 0
) -> Score:
    """A score of `bars` bars; notes may ring past the end (the renderer wraps them).

    `harmony_seed` is the scene's (its form, harmony and motifs), `seed` the page's (how
    the motifs develop, small human variations), `start_phrase` where in the scene's form
    the page begins.
    """
    rng = np.random.default_rng(seed)
    tonic = pitch_class(plan.key)
    meter = plan.meter if plan.meter in (3, 4) else 4
    form = page_bars(plan.style, plan.mode, tonic, meter, harmony_seed, start_phrase, bars)
    tracks = arrange(plan)
    t = Timing(plan, bars)
    e = plan.energy
    base_vel = 38 + 64 * e
    humanise = 0.005
    notes: list[Note] = []

    def add(
        track: int,
        bar: int,
        beat: float,
        beats: float,
        pitch: int,
        vel: float,
        hold: tuple[float, float],
    ) -> None:
        start = nominal = t.at(bar, beat)
        if beat > 0:
            start += float(rng.normal(0.0, humanise))
        v = int(np.clip(vel + rng.normal(0.0, 4.0), 1, 127))
        # The length from the grid, not from the humanised start: equal notes stay equal
        # (the synthesiser makes each distinct note once).
        end = t.at(bar, beat + beats) if not tracks[track].is_drums else nominal + beats * t.beat
        dur = max(0.05, (end - nominal) * hold[0]) + hold[1]
        notes.append(Note(max(0.0, start), dur, int(pitch), v, track))

    line: list[tuple[int, float, float, int, bool]] = []
    answer = _answering(tracks, plan)
    # Under a held line that breathes, a struck accompaniment is played out: it carries
    # the music through the breaths instead of dying away under them.
    lift = ANSWER_LIFT if answer is not None else 0.0
    for ti, track in enumerate(tracks):
        role = track.role
        hold = _note_length(track, plan, role)
        if role == "melody":
            line = melody(form, track, plan, tonic, _density(plan), harmony_seed ^ 0x5EED, rng)
            if track.instrument in HELD and "staccato" not in plan.articulations:
                line = legato_line(
                    line, len(form) * meter, meter, max(FILL_FROM_BEATS, BREATH_S / t.beat)
                )
            for bar, beat, beats, pitch, accented in line:
                add(ti, bar, beat, beats, pitch, base_vel + 14 + 6 * accented, hold)
        elif role == "bass":
            for bar, fb in enumerate(form):
                nxt = form[(bar + 1) % len(form)].chord
                for slot in fb.slots:
                    events = bass_line(plan, slot.chord, nxt.bass, tonic, track, rng)
                    for beat, beats, pitch, accent in _in_slot(events, slot, meter, track, hold[0]):
                        add(ti, bar, beat, beats, pitch, base_vel + 10 + 8 * accent, hold)
        elif role == "drums":
            if e < DRUMS_FROM:
                continue
            for bar, fb in enumerate(form):
                for beat, drum, vel in drum_pattern(plan, track.instrument, fb, bar, rng):
                    add(ti, bar, beat, 0.25, drum, vel * (base_vel + 22), (1.0, 0.0))
        elif role == "perc":
            for bar, fb in enumerate(form):
                for beat, beats, pitch, vel in pitched_percussion(plan, fb, track, tonic):
                    add(ti, bar, beat, beats, pitch, vel * (base_vel + 20), (1.0, 0.0))
        elif role in ("harmony", "sustained", "counter"):
            if role == "counter" and e < COUNTER_FROM:
                continue
            prev: list[int] = []
            for bar, fb in enumerate(form):
                for slot in fb.slots:
                    prev = voicing(slot.chord, track, prev)
                    voiced = _with_minor_third(prev, slot.chord, plan.mode, tonic, track)
                    if role == "harmony" or (
                        role == "sustained" and "staccato" in plan.articulations
                    ):
                        # Answering a held line, struck chords are broken (an arpeggio):
                        # a block chord every two beats dies away in a slow bar.
                        figure = replace(plan, texture="flowing", energy=max(e, 0.3))
                        events = accompaniment(
                            figure if ti == answer else plan, voiced, slot.chord, track, bar, rng
                        )
                        events = _in_slot(events, slot, meter, track, 1.0, chord=voiced)
                    elif role == "sustained" and track.instrument not in HELD and slot.beats > 2:
                        # A piano's held chord dies away: strike it again mid-bar.
                        events = [
                            (slot.beat + k, 2.0 + OVERLAP_BEATS, p, int(k == 0))
                            for k in (0.0, 2.0)
                            for p in voiced
                        ]
                    elif role == "sustained":
                        events = [(slot.beat, slot.beats + OVERLAP_BEATS, p, 0) for p in voiced]
                    else:
                        events = [(slot.beat, slot.beats + OVERLAP_BEATS, prev[len(prev) // 2], 0)]
                    for beat, beats, pitch, accent in events:
                        add(ti, bar, beat, beats, pitch, base_vel - 4 + lift + 8 * accent, hold)
    if answer is not None and line:
        for bar, beat, beats, pitch in breath_fill(line, form, meter, tracks[answer]):
            add(
                answer,
                bar,
                beat,
                beats,
                pitch,
                base_vel + 4,
                _note_length(tracks[answer], plan, "harmony"),
            )
    return Score(tracks=tracks, notes=notes, bars=bars, bar_seconds=t.bar, form=form)


FILL_FROM_BEATS = 1.0  # a held melody's gaps up to this are held through; longer, answered
BREATH_S = 0.75  # and, at quick tempos, gaps up to this long
HOLD_ON = 1.0  # beats: how far a held note goes on into such a gap, at most
ANSWER_LIFT = 10.0  # velocity: how much louder such an accompaniment plays
ANSWER_BELOW = 0.6  # energy: above it the accompaniment is busy enough by itself


def _answering(tracks: list[Track], plan: MusicPlan) -> int | None:
    """The track that answers a held melody's breaths: a pedalled accompaniment (piano,
    guitar, harp) when nothing else holds under the melody and the page is not intense. Without
    it a bowed or sung line breathing over dying piano chords leaves a hole."""
    if plan.energy >= ANSWER_BELOW or "staccato" in plan.articulations:
        return None
    lead = next((t for t in tracks if t.role == "melody"), None)
    if lead is None or lead.instrument not in HELD:
        return None
    under = [t for t in tracks if t.role in ("harmony", "sustained", "counter", "bass")]
    if any(t.instrument in HELD for t in under):
        return None
    return next(
        (i for i, t in enumerate(tracks) if t.role == "harmony" and t.instrument in PEDALLED),
        None,
    )


def legato_line(
    line: list[tuple[int, float, float, int, bool]], total: float, meter: int, breath: float
) -> list[tuple[int, float, float, int, bool]]:
    """A bowed, blown or sung line holds each note on to the next one when the gap
    between them is `breath` beats or less (a beat, and at quick tempos 0.75 s): it breathes at phrase
    ends, not a moment before every note. The line is a loop of `total` beats."""
    starts = sorted(bar * meter + beat for bar, beat, _, _, _ in line)
    out = []
    for bar, beat, beats, pitch, accent in line:
        at = bar * meter + beat
        nxt = next((s for s in starts if s > at + 1e-6), starts[0] + total)
        gap = nxt - (at + beats)
        out.append(
            (
                bar,
                beat,
                beats + min(gap, HOLD_ON) if 0 < gap <= breath + 1e-6 else beats,
                pitch,
                accent,
            )
        )
    return out


def breath_fill(
    line: list[tuple[int, float, float, int, bool]], form: list[Bar], meter: int, track: Track
) -> list[tuple[int, float, float, int]]:
    """Where the melody breathes for more than a beat, the accompaniment answers: the bar's
    chord broken upwards in eighths, each note ringing on (pedalled) to the melody's next
    entry. The line is a loop, so the last breath runs on to its first note.

    Returns (bar, beat, beats, pitch)."""
    total = len(form) * meter
    events = sorted((bar * meter + beat, beats) for bar, beat, beats, _, _ in line)
    out: list[tuple[int, float, float, int]] = []
    for i, (start, beats) in enumerate(events):
        end = start + beats
        nxt = events[i + 1][0] if i + 1 < len(events) else events[0][0] + total
        if nxt - end <= FILL_FROM_BEATS + 1e-6:
            continue
        first = np.ceil(end * 2 - 1e-6) / 2  # the next eighth after the melody's note
        positions = np.arange(first, nxt - 0.25, 0.5)[:4]
        for k, pos in enumerate(positions):
            at = pos % total
            bar, beat = int(at // meter), float(at % meter)
            tones = sorted(voicing(form[bar].chord_at(beat), track, []))
            out.append((bar, beat, float(nxt - pos) + OVERLAP_BEATS, tones[k % len(tones)]))
    return out


def _with_minor_third(
    voiced: list[int], chord: Chord, mode: str, tonic: int, track: Track
) -> list[int]:
    """A minor key's chords that hold its minor third (i, bVI, bIII) with that third
    doubled on top: the minor third is what tells a listener the key is minor and not
    its relative major."""
    third = (tonic + 3) % 12
    if mode != "minor" or third not in chord.tones:
        return voiced
    top = max(voiced)
    up = top + ((third - top) % 12 or 12)
    if up <= track.high + 4 and up not in voiced:
        return voiced + [up]
    return voiced


def _in_slot(
    events: list[tuple[float, float, int, int]],
    slot: Slot,
    meter: int,
    track: Track,
    hold: float,
    chord: list[int] | None = None,
) -> list[tuple[float, float, int, int]]:
    """A bar's pattern cut to one chord's span; a chord that starts mid-bar with nothing
    struck on it is struck (the bass on its bass note, the others as a chord)."""
    end = slot.beat + slot.beats
    out = [
        (b, min(n, end - b + (OVERLAP_BEATS if n >= end - b else 0.0)), p, a)
        for b, n, p, a in events
        if slot.beat - 1e-6 <= b < end - 1e-6
    ]
    if not any(abs(b - slot.beat) < 1e-6 for b, _, _, _ in out):
        if chord is not None:
            out += [(slot.beat, slot.beats, p, 1) for p in chord]
        else:
            bass = _pitch_near(slot.chord.bass, track.low + 7, track.low, track.low + 11)
            out.append((slot.beat, min(slot.beats, 2.0), bass, 1))
    return out
