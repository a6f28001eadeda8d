"""The score as a Standard MIDI File: what the soundtrack was rendered from, for a DAW.

One track per part, named by its role (`melody`, `bass`, `chords`, `counter`, `drums`,
`percussion`); a first track holds the tempo map and a marker at every page and scene.
Each page's score is laid from the page's start for as long as the page is read: looped
(as the mixer loops the cue) when the reader lingers, cut where the next page begins.
Instruments change between pages by program change on the part's channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .base import MusicPlan
from .compose import Score

TICKS_PER_BEAT = 480
PARTS = ("melody", "chords", "counter", "bass", "percussion", "drums")
_PART_OF = {
    "melody": "melody",
    "harmony": "chords",
    "sustained": "chords",
    "counter": "counter",
    "bass": "bass",
    "perc": "percussion",
    "drums": "drums",
}
_CHANNEL = {"melody": 0, "chords": 1, "counter": 3, "bass": 4, "percussion": 5, "drums": 9}
_SECOND_CHORDS = 2  # a second chordal instrument plays on this channel


@dataclass
class PageScore:
    page: int  # 0-based
    scene: int
    start_s: float  # where the page begins in the soundtrack
    seconds: float  # how long it is read
    plan: MusicPlan
    score: Score
    scene_title: str = ""  # set on a scene's first page


def write_midi(path: str | Path, pages: list[PageScore]) -> Path:
    """Write the pages' scores to `path` (a .mid file) and return the path."""
    import mido

    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name="tempo and markers", time=0))
    mid.tracks.append(conductor)
    parts: dict[str, list[tuple[int, int, mido.Message]]] = {p: [] for p in PARTS}
    tempo_events: list[tuple[int, mido.MetaMessage]] = []
    tick = 0
    for page in pages:
        beats_per_s = page.plan.tempo / 60.0
        tempo_events.append(
            (tick, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(page.plan.tempo)))
        )
        meter = page.plan.meter if page.plan.meter in (2, 3, 4, 6) else 4
        tempo_events.append(
            (tick, mido.MetaMessage("time_signature", numerator=meter, denominator=4))
        )
        if page.scene_title:
            tempo_events.append(
                (
                    tick,
                    mido.MetaMessage(
                        "marker", text=f"scene {page.scene + 1}: {page.scene_title[:60]}"
                    ),
                )
            )
        tempo_events.append((tick, mido.MetaMessage("marker", text=f"page {page.page + 1}")))
        end_tick = tick + round(page.seconds * beats_per_s * TICKS_PER_BEAT)
        loop_s = page.score.bars * page.score.bar_seconds
        used: dict[str, int] = {}
        for ti, track in enumerate(page.score.tracks):
            part = _PART_OF.get(track.role, "chords")
            channel = _CHANNEL[part]
            if part == "chords" and used.get(part, -1) >= 0 and used[part] != ti:
                channel = _SECOND_CHORDS
            used.setdefault(part, ti)
            if not track.is_drums:
                parts[part].append(
                    (
                        tick,
                        0,
                        mido.Message("program_change", channel=channel, program=track.program),
                    )
                )
            elif track.program:
                parts[part].append(
                    (
                        tick,
                        0,
                        mido.Message("program_change", channel=channel, program=track.program),
                    )
                )
            notes = [n for n in page.score.notes if n.track == ti]
            # the transition segment once (its notes from the clip start), then the loop
            passes = [(0.0, [n for n in page.score.intro if n.track == ti])]
            offset = page.score.intro_seconds
            while offset < page.seconds and notes:
                passes.append((offset, notes))
                offset += loop_s
            for offset, pass_notes in passes:
                for n in pass_notes:
                    on_s = offset + n.start
                    if on_s >= page.seconds:
                        continue
                    on = _tick(tick, on_s, beats_per_s)
                    off = min(end_tick, max(on + 1, _tick(tick, on_s + n.dur, beats_per_s)))
                    if off <= on:
                        continue
                    parts[part].append(
                        (
                            on,
                            1,
                            mido.Message("note_on", channel=channel, note=n.pitch, velocity=n.vel),
                        )
                    )
                    parts[part].append(
                        (
                            off,
                            0,
                            mido.Message("note_off", channel=channel, note=n.pitch, velocity=0),
                        )
                    )
        tick = end_tick
    conductor.extend(_delta([(t, 0, m) for t, m in tempo_events]))
    conductor.append(mido.MetaMessage("end_of_track", time=0))
    for part in PARTS:
        if not any(m.type == "note_on" for _, _, m in parts[part]):
            continue
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=part, time=0))
        track.extend(_delta(parts[part]))
        track.append(mido.MetaMessage("end_of_track", time=0))
        mid.tracks.append(track)
    out = Path(path)
    mid.save(str(out))
    return out


def _tick(base: int, seconds: float, beats_per_s: float) -> int:
    return base + round(seconds * beats_per_s * TICKS_PER_BEAT)


def _delta(events: list) -> list:  # noqa: ANN001
    """Absolute ticks to delta times; note-offs before note-ons at the same tick."""
    out = []
    last = 0
    for t, _order, msg in sorted(events, key=lambda e: (e[0], e[1])):
        out.append(msg.copy(time=t - last))
        last = t
    return out
