"""Scene transitions: a bridge into the downbeat, heard once, through both mixers."""

from __future__ import annotations

import mido
import numpy as np
import pytest

from m2m_reader.engine.audio import native
from m2m_reader.engine.audio.mixer import Mixer
from m2m_reader.engine.core.cancel import CancelToken
from m2m_reader.engine.music.base import CueRequest
from m2m_reader.engine.music.composer import Composer
from m2m_reader.engine.music.midi import PageScore, write_midi
from m2m_reader.engine.music.transition import bridge_bars

SR = 22050
CALM = "A calm piano piece with soft strings at 70 BPM"
ROCK = "Intense driving rock with drums and electric guitar at 140 BPM"


@pytest.fixture(scope="module")
def composer() -> Composer:
    return Composer(SR, soundfont=None)  # the synthesiser: quick, and always there


def cue(composer: Composer, caption: str, scene: int, joins: str = "change", page: int = 4):
    return composer.make_cue(
        CueRequest(page, scene, caption, "", 8.0, joins=joins, seed=7),
        CancelToken(),  # type: ignore[arg-type]
    )


def db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12))


def flux(audio: np.ndarray, hop: int = 256) -> np.ndarray:
    """Positive spectral flux per hop (mono, Hann frames of 1024)."""
    mono = audio.mean(axis=1)
    frames = np.lib.stride_tricks.sliding_window_view(mono, 1024)[::hop] * np.hanning(1024)
    mag = np.abs(np.fft.rfft(frames, axis=1))
    return np.concatenate([[0.0], np.maximum(0.0, np.diff(mag, axis=0)).sum(axis=1)])


@pytest.mark.parametrize("caption", [CALM, ROCK])
def test_a_new_scene_enters_on_a_downbeat_after_a_bridge(composer: Composer, caption: str) -> None:
    clip = cue(composer, caption, scene=1).clip
    bar = clip.bar_samples
    n_bridge = bridge_bars(bar / SR)
    intro = n_bridge * bar
    assert clip.loop_start == intro + bar and clip.loop_end == len(clip.audio)
    # The swell: the bridge's last beat is louder than its first half.
    beat = bar // 4
    assert db(clip.audio[intro - beat : intro]) > db(clip.audio[: intro // 2]) + 2.0
    # The downbeat is the strongest onset within half a beat of the seam (the new bar,
    # a crash), and stands out of the bridge's onsets.
    f = flux(clip.audio)
    hop = 256
    around = slice((intro - beat // 2) // hop, (intro + beat // 2) // hop)
    peak = around.start + int(np.argmax(f[around]))
    assert abs(peak * hop + 512 - intro) < 0.06 * SR
    assert f[peak] > 2.0 * float(np.median(f[: intro // hop]))


def test_the_loop_is_the_scene_music_without_the_bridge(composer: Composer) -> None:
    plain = cue(composer, ROCK, scene=0).clip  # the book's first cue: no bridge
    bridged = cue(composer, ROCK, scene=1).clip
    assert plain.loop_start == 0
    bar = plain.bar_samples
    loop = bridged.audio[bridged.loop_start : bridged.loop_end]
    assert np.array_equal(loop, np.concatenate([plain.audio[bar:], plain.audio[:bar]]))
    # the bar after the bridge is the loop's first bar with the bridge ringing into it
    first = bridged.audio[bridged.loop_start - bar : bridged.loop_start]
    assert np.abs(first[-64:] - plain.audio[bar - 64 : bar]).max() < 1e-6
    assert db(first - plain.audio[:bar]) > -60.0


def test_turns_within_a_scene_have_no_bridge(composer: Composer) -> None:
    clip = cue(composer, CALM, scene=1, joins="continue", page=5).clip
    assert clip.loop_start == 0 and len(clip.audio) == clip.loop_end


def test_the_outgoing_scene_is_gone_by_the_downbeat(composer: Composer) -> None:
    old = cue(composer, CALM, scene=0, page=0)
    new = cue(composer, ROCK, scene=1, page=1)
    mixer = Mixer(SR, record_events=True)
    mixer.set_cue(0, old)
    mixer.set_cue(1, new)
    mixer.turn(0, at=0)
    at = 5 * SR
    mixer.turn(1, at=at)
    out = np.zeros((at + len(new.clip.audio), 2), np.float32)
    mixer.pull(out)
    intro = new.clip.loop_start - new.clip.bar_samples
    # the scene fade spans the bridge: from the downbeat on only the new scene plays
    after = out[at + intro : at + len(new.clip.audio)]
    assert np.allclose(after, new.clip.audio[intro:], atol=1e-6)
    assert "change" in {k for _, k, _ in mixer.events}


@pytest.mark.skipif(bool(native.available()), reason=native.available() or "")
def test_native_mixer_plays_the_bridge_sample_equal(composer: Composer) -> None:
    old = cue(composer, CALM, scene=0, page=0)
    new = cue(composer, ROCK, scene=1, page=1)
    outs = []
    for cls in (Mixer, native.NativeMixer):
        m = cls(SR)
        m.set_cue(0, old)
        m.set_cue(1, new)
        m.turn(0, at=0)
        m.turn(1, at=3 * SR + 17)
        out = np.zeros((12 * SR, 2), np.float32)
        for k in range(0, len(out), 1000):
            m.pull(out[k : k + 1000])
        outs.append(out)
    assert np.array_equal(outs[0], outs[1])


def test_the_score_plays_the_bridge_once(composer: Composer, tmp_path) -> None:
    c = cue(composer, ROCK, scene=1)
    score = c.score
    assert score.intro and score.intro_seconds > 0
    path = write_midi(tmp_path / "s.mid", [PageScore(0, 1, 0.0, 30.0, c.plan, score)])
    mid = mido.MidiFile(path)
    drums = next(t for t in mid.tracks if t.name == "drums")
    tick, crashes = 0, []
    for msg in drums:
        tick += msg.time
        if msg.type == "note_on" and msg.note == 49 and msg.velocity:
            crashes.append(tick)
    beats = score.intro_seconds * c.plan.tempo / 60
    assert crashes and abs(crashes[0] / mid.ticks_per_beat - beats) < 0.05
    # The body's own crashes, if any, repeat with the loop; the bridge's only once.
    assert sum(abs(t / mid.ticks_per_beat - beats) < 0.05 for t in crashes) == 1


SHOCKED = "Soft strings continue, easing back: a sudden strings flourish marks the surprise"
CALM_STRINGS = "Soft strings continue, easing back, calm"


def stinger_level(clip, at: int) -> float:
    return db(clip.audio[at : at + SR // 10])


def test_a_shock_gets_a_stinger_on_the_first_downbeat(composer: Composer) -> None:
    c = cue(composer, SHOCKED, scene=0, joins="continue", page=3)
    clip, bar = c.clip, c.clip.bar_samples
    assert clip.loop_start == 2 * bar and c.score.intro
    skip = clip.loop_end - clip.loop_start  # the same bars without the stinger
    assert stinger_level(clip, bar) > stinger_level(clip, skip + bar) + 6.0
    # outside the stinger's bar the two are the same music
    assert np.abs(clip.audio[: bar // 2] - clip.audio[skip : skip + bar // 2]).max() < 1e-6
    assert cue(composer, CALM_STRINGS, scene=0, joins="continue", page=3).clip.loop_start == 0


def play(cls, cues, turns, seconds: float) -> np.ndarray:  # noqa: ANN001
    m = cls(SR)
    for page, c in enumerate(cues):
        m.set_cue(page, c)
    for page, at in turns:
        m.turn(page, at=at)
    out = np.zeros((round(seconds * SR), 2), np.float32)
    for k in range(0, len(out), 777):
        m.pull(out[k : k + 777])
    return out


@pytest.mark.parametrize("gap_s", [8.0, 24.0])
def test_stingers_keep_a_cool_down_in_both_mixers(composer: Composer, gap_s: float) -> None:
    calm = cue(composer, CALM_STRINGS, scene=0, joins="continue", page=0)
    shocks = [cue(composer, SHOCKED, scene=0, joins="continue", page=p) for p in (1, 2)]
    bar = shocks[1].clip.bar_samples
    t1, t2 = 2 * SR, 2 * SR + round(gap_s * SR)
    turns = [(0, 0), (1, t1), (2, t2)]
    out = play(Mixer, [calm, *shocks], turns, gap_s + 2 + 6)
    # each shock's stinger lands on the first downbeat after its turn (the new cue
    # starts at the old one's place in its bar)
    cb = calm.clip.bar_samples
    start1 = int((t1 % cb) / cb * bar)
    hit1 = t1 + bar - start1
    assert db(out[hit1 : hit1 + SR // 10]) > db(out[hit1 - SR // 2 : hit1 - SR // 4]) + 6.0
    c1 = shocks[0].clip
    pos = start1 + (t2 - t1)
    if pos >= c1.loop_end:
        pos = c1.loop_start + (pos - c1.loop_end) % (c1.loop_end - c1.loop_start)
    hit2 = t2 + bar - int((pos % c1.bar_samples) / c1.bar_samples * bar)
    rise = db(out[hit2 : hit2 + SR // 10]) - db(out[hit2 - SR // 2 : hit2 - SR // 4])
    if gap_s < 20.0:
        assert rise < 3.0  # within the cool-down: the same page without its stinger
    else:
        assert rise > 6.0
    if not native.available():
        assert np.array_equal(out, play(native.NativeMixer, [calm, *shocks], turns, gap_s + 8))
