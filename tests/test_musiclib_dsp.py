"""The library's own signal measures: tempo, beats, key and onsets found in tracks whose
tempo, beats and key are known."""

from __future__ import annotations

import numpy as np
import pytest

from m2m_reader.engine.musiclib import dsp
from m2m_reader.engine.musiclib.features import _key

SR, HOP = 22050, 512


def clicks(bpm: float, seconds: float, first_s: float, seed: int = 0) -> np.ndarray:
    """A kick on every beat from `first_s` (accented on the bar), a little noise."""
    rng = np.random.default_rng(seed)
    y = 1e-6 * rng.standard_normal(int(seconds * SR))
    t = np.arange(int(0.08 * SR)) / SR
    for k, at in enumerate(np.arange(first_s, seconds - 0.1, 60.0 / bpm)):
        a = int(at * SR)
        y[a : a + len(t)] += (
            (1.0 if k % 4 == 0 else 0.6) * np.sin(2 * np.pi * 80 * t) * np.exp(-30 * t)
        )
    return y.astype(np.float32)


@pytest.mark.parametrize("bpm", [72.0, 120.0, 150.0])
def test_tempo_and_beats_land_on_the_kicks(bpm):
    y = clicks(bpm, 20.0, first_s=0.37)
    env = dsp.onset_strength(dsp.stft_power(y, HOP), HOP)
    found = dsp.tempo(env, SR, HOP)
    assert min(abs(found / (bpm * k) - 1) for k in (0.5, 1, 2)) < 0.03
    beats = dsp.beat_frames(env, bpm, SR, HOP) * HOP / SR
    truth = np.arange(0.37, 19.9, 60.0 / bpm)
    # a beat for every kick, each within 50 ms of it (two frames), and no more
    assert len(beats) == pytest.approx(len(truth), abs=1)
    near = [np.min(np.abs(beats - t)) for t in truth[1:-1]]
    assert max(near) < 0.05


def test_chroma_finds_the_key_of_a_cadence_and_onsets_count_the_notes():
    # I-IV-V-I in E-flat major, one chord a second, each struck once
    t = np.arange(SR) / SR
    y = [np.zeros(SR // 2)]
    for root in (63, 68, 70, 63):
        chord = [root, root + 4, root + 7] if root != 70 else [70, 74, 77]
        tone = sum(np.sin(2 * np.pi * 440 * 2 ** ((m - 69) / 12) * t) for m in chord)
        y.append(0.2 * tone * np.exp(-2 * t))
    power = dsp.stft_power(np.concatenate(y).astype(np.float32), HOP)
    key, mode, _ = _key(dsp.chroma(power, SR).mean(axis=1))
    assert (key, mode) == ("D#", "major")
    assert dsp.onset_count(dsp.onset_strength(power, HOP), SR, HOP) == 4
