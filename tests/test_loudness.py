"""BS.1770 loudness, true peak and the limiter against known cases."""

from __future__ import annotations

import math
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from m2m_reader.engine.audio.loudness import (
    LoudnessMeter,
    TruePeakMeter,
    integrated_loudness,
    k_weighting,
    normalize,
    true_peak_db,
)


def tone(freq, seconds, sr, amp, phase=0.0):
    t = np.arange(round(seconds * sr)) / sr
    return amp * np.sin(2 * np.pi * freq * t + phase)


def stereo(left, right=None):
    return np.stack([left, left if right is None else right], axis=1)


def test_k_weighting_matches_the_48k_coefficients_in_the_standard():
    sos = k_weighting(48000)
    assert np.allclose(
        sos[0],
        [
            1.53512485958697,
            -2.69169618940638,
            1.19839281085285,
            1,
            -1.69065929318241,
            0.73248077421585,
        ],
        atol=1e-9,
    )
    assert np.allclose(sos[1], [1, -2, 1, 1, -1.99004745483398, 0.99007225036621], atol=1e-9)


@pytest.mark.parametrize("sr", [44100, 48000])
def test_1khz_sine_reads_as_the_standard_says(sr):
    x = tone(1000, 20, sr, 0.1)
    # 0 dBFS in one channel reads -3.01 LUFS: amplitude 0.1 (-20 dBFS) reads -23.01
    assert integrated_loudness(stereo(x, 0 * x), sr) == pytest.approx(-23.01, abs=0.05)
    # the same tone in both channels is twice the power: -20.0
    assert integrated_loudness(stereo(x), sr) == pytest.approx(-20.0, abs=0.05)
    # EBU Tech 3341 case 1: a -23 dBFS stereo sine reads -23.0
    y = tone(1000, 20, sr, 10 ** (-23 / 20))
    assert integrated_loudness(stereo(y), sr) == pytest.approx(-23.0, abs=0.1)


def test_gating_ignores_quiet_passages():
    # EBU Tech 3341 case 4: -72, -36, -23, -36, -72 dBFS for 10, 10, 60, 10, 10 s
    sr = 48000
    parts = [
        tone(1000, s, sr, 10 ** (db / 20))
        for db, s in [(-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10)]
    ]
    x = stereo(np.concatenate(parts))
    assert integrated_loudness(x, sr) == pytest.approx(-23.0, abs=0.1)
    assert integrated_loudness(np.zeros((sr * 2, 2)), sr) == -math.inf


def test_streaming_in_odd_blocks_reads_the_same():
    sr = 44100
    x = np.random.default_rng(0).standard_normal((sr * 5, 2)) * 0.1
    meter = LoudnessMeter(sr)
    peak = TruePeakMeter()
    for a in range(0, len(x), 3001):
        meter.add(x[a : a + 3001])
        peak.add(x[a : a + 3001])
    peak.finish()
    assert meter.integrated() == pytest.approx(integrated_loudness(x, sr), abs=1e-6)
    assert peak.db == pytest.approx(true_peak_db(x), abs=1e-6)


def test_true_peak_finds_the_peak_between_samples():
    sr = 48000
    x = tone(sr / 4, 1, sr, 1.0, phase=math.pi / 4)  # samples at ±0.707
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-3.01, abs=0.01)
    assert true_peak_db(stereo(x)) == pytest.approx(0.0, abs=0.2)


def test_normalize_hits_the_target_and_the_ceiling():
    sr = 44100
    rng = np.random.default_rng(1)
    x = rng.standard_normal((sr * 10, 2)) * 0.05
    x[sr * 3 : sr * 3 + 50] *= 12  # a burst of peaks well over the ceiling
    y, gain_db = normalize(x, sr, -16.0, -1.0)
    assert gain_db > 0
    assert integrated_loudness(y, sr) == pytest.approx(-16.0, abs=1.0)
    assert true_peak_db(y) <= -1.0


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_agrees_with_ffmpeg_ebur128(tmp_path):
    sr = 44100
    rng = np.random.default_rng(2)
    t = np.arange(sr * 12) / sr
    x = 0.2 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 0.3 * t)) / 2
    x = stereo(x + 0.03 * rng.standard_normal(len(t)), 0.5 * x)
    path = tmp_path / "x.wav"
    sf.write(path, x, sr, subtype="FLOAT")
    run = subprocess.run(
        ["ffmpeg", "-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
        capture_output=True,
        text=True,
    )
    summary = run.stderr[run.stderr.rindex("Summary") :]
    theirs = float(summary.split("I:")[1].split("LUFS")[0])
    assert integrated_loudness(x, sr) == pytest.approx(theirs, abs=0.2)


def test_screened_peaks_are_exact_wherever_they_matter():
    from m2m_reader.engine.audio.loudness import oversampled_peaks, screened_peaks

    sr = 44100
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((sr * 3, 2)) * 0.02).astype(np.float32)
    x[sr : sr + 300] = stereo(tone(sr / 4, 300 / sr, sr, 0.9, phase=math.pi / 4)).astype(np.float32)
    exact = oversampled_peaks(x)
    screened = screened_peaks(x, 0.5)
    loud = exact > 0.5
    assert loud.sum() >= 300  # the burst between samples reaches 0.9
    assert np.allclose(screened[loud], exact[loud], atol=1e-6)
    assert (screened <= exact + 1e-6).all() and (screened[~loud] <= 0.5).all()
