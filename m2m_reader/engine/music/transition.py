"""Transition segments: how a new scene's music enters, as a game engine's would.

Wwise and Godot's `AudioStreamInteractive` move between pieces on bar lines through a
short transition segment. Here a scene's first cue begins with one: a bar (two at fast
tempos, so it spans the mixer's whole-bar scene crossfade of about three seconds) on the
new key's dominant seventh — the bass walking up to the tonic, the chords striking louder
beat by beat, the melody on the leading tone — under a cymbal swell, with a drum fill
when the scene has drums. The outgoing music fades out across it, and the new scene
enters on the downbeat after it with a crash (drums) or a soft cymbal (none).

The bridge is the clip's intro, played once: the loop after it is the scene's music
rotated by one bar, so the bridge's ringing tail lands in a first bar that is never
repeated (see `Composer.make_cue`). Bars still count from the clip's first sample.
"""

from __future__ import annotations

from .arrange import DRUM_CHANNEL, Track, _track
from .base import MusicPlan
from .compose import Note, Score
from .patterns import _pitch_near
from .theory import pitch_class

SCENE_FADE_S = 3.0  # the mixer's default scene crossfade, which the bridge spans
CRASH, RIDE, KICK, SNARE = 49, 51, 36, 38
TOMS = (50, 48, 47, 45, 43, 41)


def bridge_bars(bar_seconds: float) -> int:
    """Bars in the bridge: whole bars near the scene crossfade, one or two."""
    return int(min(2, max(1, round(SCENE_FADE_S / bar_seconds))))


def bridge(plan: MusicPlan, score: Score, bars: int) -> tuple[list[Track], list[Note]]:
    """The bridge's notes (in seconds from its start; the last ones, the downbeat's
    cymbal, sit at its end) and the score's tracks with a drum track added for the
    cymbals when the score has none."""
    tracks = list(score.tracks)
    beat = score.bar_seconds / max(1, plan.meter)
    meter = plan.meter if plan.meter in (3, 4) else 4
    total = bars * meter  # beats in the bridge
    end = total * beat
    tonic = pitch_class(plan.key)
    v7 = [(tonic + i) % 12 for i in (7, 11, 2, 5)]  # harmonic minor's V7 is major's too
    e = plan.energy
    base = 40 + 60 * e
    notes: list[Note] = []

    def add(ti: int, at_beat: float, beats: float, pitch: int, vel: float) -> None:
        notes.append(Note(at_beat * beat, beats * beat, int(pitch), int(min(127, max(1, vel))), ti))

    drums = next((i for i, t in enumerate(tracks) if t.is_drums), None)
    for ti, t in enumerate(tracks):
        mid = (t.low + t.high) / 2
        if t.role == "bass":
            sixth = (tonic + (8 if plan.mode == "minor" else 9)) % 12
            walk = [(0.0, v7[0]), (total - 2.0, sixth), (total - 1.0, v7[1])]
            for k, (at, pc) in enumerate(walk):
                nxt = walk[k + 1][0] if k + 1 < len(walk) else total
                add(ti, at, nxt - at + 0.1, _pitch_near(pc, mid - 4, t.low, t.high), base + 8)
        elif t.role in ("harmony", "sustained", "counter"):
            voiced = sorted({_pitch_near(pc, mid, t.low, t.high) for pc in v7})
            if t.role == "counter":
                voiced = voiced[len(voiced) // 2 : len(voiced) // 2 + 1]
            held = t.role != "harmony"  # held parts hold; the comping strikes every beat
            for b in [0] if held else range(total):
                for p in voiced:  # a crescendo: each strike louder than the last
                    add(ti, b, (total - b if held else 1.0) + 0.2, p, base - 10 + 24 * b / total)
        elif t.role == "melody":
            two, seven = (tonic + 2) % 12, (tonic + 11) % 12
            add(ti, 0.0, total / 2 + 0.1, _pitch_near(two, mid + 2, t.low, t.high), base + 6)
            add(ti, total / 2, total / 2 + 0.1, _pitch_near(seven, mid, t.low, t.high), base + 10)
    # the scene's own first downbeat may crash already: then the bridge leaves its own out
    crashes = drums is not None and any(
        n.track == drums and n.pitch in (CRASH, 57) and n.start < 0.05 for n in score.notes
    )
    if drums is None:
        tracks.append(_track("drums", "drums", DRUM_CHANNEL, plan))
        drums = len(tracks) - 1
    # The swell: a cymbal roll over the last two beats, from a whisper to full.
    roll = 2.0 if total <= meter else 4.0
    steps = int(roll * 8)
    for k in range(steps):
        add(drums, total - roll + k / 8, 0.125, RIDE, 14 + (base + 10 - 14) * (k / steps) ** 1.5)
    if e >= 0.22:  # a scene with a beat gets a fill into the downbeat
        add(drums, 0.0, 0.25, KICK, base + 18)
        fill = TOMS if e >= 0.6 else (SNARE,) * 4
        for k in range(4 if e < 0.6 else 8):
            add(drums, total - 1.0 - (0.0 if e < 0.6 else 1.0) + k / 4, 0.25,
                fill[k % len(fill)], base + 4 + 3 * k)  # fmt: skip
        add(drums, total, 0.25, KICK, base + 20)
        if not crashes:
            add(drums, total, 1.0, CRASH, base + 24)
    elif not crashes:
        add(drums, total, 1.0, CRASH, 30 + 30 * e)
    notes.sort(key=lambda n: n.start)
    assert all(n.start <= end for n in notes)
    return tracks, notes


def stinger(plan: MusicPlan, score: Score) -> tuple[list[Track], list[Note]]:
    """A shock's stinger on the second bar's downbeat (the first a continuing cue
    reaches): a rising run into a diminished-seventh stab over a low tonic, a kick and a
    crash. Notes in seconds from the clip start."""
    tracks = list(score.tracks)
    beat = score.bar_seconds / max(1, plan.meter)
    at = score.bar_seconds
    tonic = pitch_class(plan.key)
    dim7 = [(tonic + i) % 12 for i in (11, 2, 5, 8)]
    notes: list[Note] = []
    for ti, t in enumerate(tracks):
        mid = (t.low + t.high) / 2
        if t.role == "melody":
            run = [(tonic + i) % 12 for i in (7, 8 if plan.mode == "minor" else 9, 11)]
            for k, pc in enumerate(run):
                p = _pitch_near(pc, mid + 2 * k, t.low, t.high)
                notes.append(Note(at - (3 - k) * beat / 4, beat / 4, p, 84 + 8 * k, ti))
            notes.append(Note(at, beat, _pitch_near(dim7[0], mid + 7, t.low, t.high), 118, ti))
        elif t.role in ("harmony", "sustained", "counter"):
            for p in sorted({_pitch_near(pc, mid, t.low, t.high) for pc in dim7}):
                notes.append(Note(at, beat * 0.75, p, 112, ti))
        elif t.role == "bass":
            notes.append(
                Note(at, beat * 1.5, _pitch_near(tonic, t.low + 5, t.low, t.high), 120, ti)
            )
    drums = next((i for i, t in enumerate(tracks) if t.is_drums), None)
    if drums is None:
        tracks.append(_track("drums", "drums", DRUM_CHANNEL, plan))
        drums = len(tracks) - 1
    notes += [Note(at, beat, CRASH, 118, drums), Note(at, beat / 4, KICK, 120, drums)]
    notes.sort(key=lambda n: n.start)
    return tracks, notes
