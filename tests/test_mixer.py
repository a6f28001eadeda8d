"""The mixer: crossfades, loops, late cues, determinism across block sizes."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from m2m_reader.engine.audio.mixer import Mixer, equal_power_table
from m2m_reader.engine.music.base import Clip, Cue, MusicPlan

SR = 44100


def make_cue(audio, page, scene=0, joins="continue", sr=SR, loop=(0, 0), bar=0) -> Cue:
    clip = Clip(np.asarray(audio, np.float32), sr, loop[0], loop[1], bar)
    return Cue(page=page, scene=scene, clip=clip, plan=MusicPlan(), joins=joins, backend="test")


def sine(freq, seconds, sr=SR, amp=0.3, phase=0.0):
    t = np.arange(round(seconds * sr)) / sr
    return amp * np.sin(2 * np.pi * freq * t + phase)


def noise(seed, seconds, sr=SR, rms=0.2):
    x = np.random.default_rng(seed).standard_normal((round(seconds * sr), 2))
    return (x * rms).astype(np.float32)


def render(mixer: Mixer, n: int, blocks=None) -> np.ndarray:
    out = np.zeros((n, 2), np.float32)
    if blocks is None:
        mixer.pull(out)
        return out
    pos, i = 0, 0
    while pos < n:
        size = min(blocks[i % len(blocks)], n - pos)
        mixer.pull(out[pos : pos + size])
        pos += size
        i += 1
    return out


def window_rms(x: np.ndarray, win: int) -> np.ndarray:
    m = len(x) // win
    return np.sqrt((x[: m * win].reshape(m, win, -1) ** 2).mean(axis=(1, 2)))


def test_equal_power_table_sums_to_unit_power():
    t = equal_power_table(1000).astype(np.float64)
    assert t[0] == 0 and abs(t[-1] - 1) < 1e-7
    assert np.allclose(t**2 + t[::-1] ** 2, 1.0, atol=1e-6)


@pytest.mark.parametrize("scene_b", [0, 1])
def test_crossfade_of_uncorrelated_music_keeps_level(scene_b):
    m = Mixer(SR, crossfade_scene_s=3.0, crossfade_page_s=0.8)
    m.set_cue(0, make_cue(noise(1, 10), 0, scene=0, joins="change"))
    m.set_cue(1, make_cue(noise(2, 10), 1, scene=scene_b, joins="continue"))
    m.turn(0, at=0)
    m.turn(1, at=2 * SR)
    out = render(m, 7 * SR)
    rms = window_rms(out[SR // 10 :], SR // 20)  # 50 ms windows after the start fade
    db = 20 * np.log10(rms / 0.2)
    assert db.max() < 0.5 and db.min() > -0.5, (db.min(), db.max())


def build_session(m: Mixer) -> int:
    """Three pages over two scenes, loops, a late cue, a jump and a fade-out."""
    m.set_cue(0, make_cue(noise(3, 1.3), 0, 0, "change", loop=(SR // 4, 0), bar=SR // 4))
    m.set_cue(1, make_cue(noise(4, 2.0), 1, 0, "continue", bar=SR // 4))
    m.set_cue(2, make_cue(noise(5, 1.7), 2, 1, "change", bar=SR // 3))
    m.turn(0, at=0)
    m.turn(1, at=40_001)
    m.turn(3, at=90_017)  # no cue yet: page 1's music carries on
    m.turn(2, "jump", at=150_003)
    m.turn(0, at=233_333)
    m.fade_out(1.0, at=300_000)
    return 300_000 + SR + 5000


def test_output_does_not_depend_on_block_sizes():
    a, b, c = Mixer(SR), Mixer(SR), Mixer(SR)
    n = build_session(a)
    build_session(b)
    build_session(c)
    one = render(a, n)
    odd = render(b, n, [1, 7, 333, 4097, 10_000, 64, 9000])
    tiny = render(c, n, [127])
    assert np.array_equal(one, odd)
    assert np.array_equal(one, tiny)
    assert np.abs(one).max() > 0.1
    assert not one[-5000:].any()  # silent after the fade-out
    assert a.finished


@pytest.mark.parametrize("clip_rate", [SR, 48000])
def test_loop_seam_is_continuous(clip_rate):
    # a 0.1 s intro and a 1 s loop of a 480 Hz sine: whole periods, seamless by design
    intro, body = clip_rate // 10, clip_rate
    tone = sine(480, 1.1, sr=clip_rate)
    m = Mixer(SR, start_fade_s=0.001)
    m.set_cue(0, make_cue(tone, 0, sr=clip_rate, loop=(intro, intro + body)))
    m.turn(0, at=0)
    out = render(m, 3 * SR)[:, 0]
    ideal = sine(480, 3)
    err = np.abs(out[SR // 100 :] - ideal[SR // 100 :]).max()
    assert err < (1e-5 if clip_rate == SR else 1e-3), err


def test_missing_cue_lets_music_carry_on_then_crossfades_to_it():
    m = Mixer(SR, crossfade_page_s=0.5)
    a, b = sine(300, 2.0), sine(700, 2.0)
    m.set_cue(0, make_cue(a, 0))
    m.turn(0, at=0)
    m.turn(1, at=SR)  # page 1's cue is not ready
    out1 = render(m, 2 * SR)
    m.set_cue(1, make_cue(b, 1))  # arrives mid-page
    out2 = render(m, 2 * SR)
    # page 0's music kept playing through the turn, without a gap
    assert window_rms(out1[SR // 10 :], 441).min() > 0.15
    assert window_rms(out2, 441).min() > 0.15
    # and after the crossfade only page 1's tone is left
    tail = out2[SR:, 0]
    spectrum = np.abs(np.fft.rfft(tail))
    freqs = np.fft.rfftfreq(len(tail), 1 / SR)
    assert abs(freqs[spectrum.argmax()] - 700) < 2


def test_scene_change_fade_lands_on_incoming_bar_line():
    bar = round(0.7 * SR)  # 3 s nominal -> 4 bars = 2.8 s
    m = Mixer(SR, crossfade_scene_s=3.0, record_events=True)
    a, b = noise(6, 8), noise(7, 8)
    m.set_cue(0, make_cue(a, 0, scene=0, bar=bar))
    m.set_cue(1, make_cue(b, 1, scene=1, joins="change", bar=bar))
    m.turn(0, at=0)
    m.turn(1, at=SR)
    out = render(m, 5 * SR)
    end = SR + 4 * bar
    assert np.array_equal(out[end : end + 1000], b[4 * bar : 4 * bar + 1000])
    assert not np.array_equal(out[end - 1000 : end], b[4 * bar - 1000 : 4 * bar])
    assert (SR, "change", 1) in m.events


def test_continuing_cue_starts_at_the_beat_position_of_the_outgoing_one():
    bar = 10_000
    probe = np.tile(np.arange(bar, dtype=np.float32) / bar, 5)  # value = phase in bar
    m = Mixer(SR, crossfade_page_s=0.1)
    m.set_cue(0, make_cue(noise(8, 2), 0, bar=bar))
    m.set_cue(1, make_cue(probe, 1, joins="continue", bar=bar))
    m.turn(0, at=0)
    m.turn(1, at=23_456)  # 3456 samples into a bar of page 0
    out = render(m, 40_000)
    k = 23_456 + round(0.1 * SR) + 10
    expected_phase = (3456 + k - 23_456) % bar / bar
    assert out[k, 0] == pytest.approx(expected_phase, abs=1e-6)


def test_mute_and_volume_ramp_without_clicks():
    m = Mixer(SR)
    m.set_cue(0, make_cue(sine(200, 1.0), 0))
    m.turn(0)
    render(m, SR)
    m.mute(True)
    out = render(m, SR)
    assert not out[SR // 10 :].any()
    assert np.abs(np.diff(out[:, 0])).max() < 0.05  # a ramp, not a step
    m.mute(False)
    m.set_volume(0.5)
    out = render(m, SR)
    assert np.abs(out[SR // 10 :, 0]).max() == pytest.approx(0.15, rel=0.02)


def test_commands_from_another_thread_while_pulling():
    m = Mixer(SR)
    cues = [make_cue(sine(200 + 50 * i, 0.5), i, scene=i // 3) for i in range(10)]
    stop = threading.Event()

    def reader():
        for i, cue in enumerate(cues):
            m.set_cue(i, cue)
            m.turn(i)
        stop.set()

    t = threading.Thread(target=reader)
    block = np.zeros((256, 2), np.float32)
    t.start()
    while not stop.is_set():
        m.pull(block)
        assert np.isfinite(block).all()
    t.join()
    m.pull(block)
    assert np.isfinite(block).all()
