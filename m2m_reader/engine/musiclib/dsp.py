"""Spectral measures in numpy, for the evaluation report (which then needs no librosa:
its import alone, numba and a compiled beat tracker, costs seconds of CPU) and for the
cheap parts of indexing. They give librosa's numbers (to float rounding) except chroma.

Short-time spectra (Hann window, centred frames), a Slaney mel filterbank, pitch-class
energy (chroma), MFCC, spectral-flux onsets with librosa's default peak picking, and a
tempo from the onset envelope's autocorrelation weighted by a log-normal prior around
120 BPM (librosa's `tempo` over a tempogram, taken over the whole stretch at once).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from functools import lru_cache

import numpy as np

N_FFT = 2048


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS on one thread while the block runs. The products here are small (a 40-band
    filterbank times a few hundred frames); OpenBLAS's threads cost ten times the CPU
    they save on a busy machine. Without threadpoolctl (librosa brings it) nothing
    changes."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(1, user_api="blas"):
        yield


def stft_power(y: np.ndarray, hop: int, n_fft: int = N_FFT, center: bool = True) -> np.ndarray:
    """|STFT|² of mono `y`: (1 + n_fft/2, frames), frame t centred on sample t·hop
    (`center`), else starting there."""
    pad = n_fft // 2 if center else 0
    x = np.pad(np.asarray(y, np.float32), (pad, pad))
    n = 1 + max(0, (len(x) - n_fft) // hop)
    frames = np.lib.stride_tricks.as_strided(
        x, shape=(n, n_fft), strides=(x.strides[0] * hop, x.strides[0]), writeable=False
    )
    from scipy import fft  # single precision in, single precision out (numpy's is double)

    spec = fft.rfft(frames * _hann(n_fft), axis=1)
    return np.ascontiguousarray((spec.real**2 + spec.imag**2).T)


@lru_cache(maxsize=4)
def _hann(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)).astype(np.float32)


def to_db(power: np.ndarray, top_db: float = 80.0) -> np.ndarray:
    """10·log10 of power (floor 1e-10), no more than `top_db` below its maximum."""
    db = 10.0 * np.log10(np.maximum(power, 1e-10))
    return np.maximum(db, db.max() - top_db) if db.size else db


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear to 1 kHz, logarithmic above."""
    f = np.asarray(f, np.float64)
    return np.where(
        f < 1000.0,
        3.0 * f / 200.0,
        15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / (math.log(6.4) / 27.0),
    )


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, np.float64)
    return np.where(m < 15.0, 200.0 * m / 3.0, 1000.0 * np.exp((m - 15.0) * math.log(6.4) / 27.0))


@lru_cache(maxsize=4)
def mel_filters(sr: int, n_mels: int = 40, n_fft: int = N_FFT) -> np.ndarray:
    """Triangular filters equally spaced in mel, each of unit area (Slaney)."""
    freqs = np.linspace(0.0, sr / 2, 1 + n_fft // 2)
    edges = _mel_to_hz(np.linspace(0.0, float(_hz_to_mel(np.array(sr / 2))), n_mels + 2))
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rise = (freqs[None, :] - lo) / (mid - lo)
    fall = (hi - freqs[None, :]) / (hi - mid)
    w = np.maximum(0.0, np.minimum(rise, fall)) * (2.0 / (hi - lo))
    return w.astype(np.float32)


@lru_cache(maxsize=4)
def chroma_filters(sr: int, n_fft: int = N_FFT) -> np.ndarray:
    """(12, bins): each bin's energy shared among the pitch classes near its frequency
    (C = 0), 55 Hz to 5 kHz, a Gaussian half a semitone wide."""
    freqs = np.linspace(0.0, sr / 2, 1 + n_fft // 2)
    w = np.zeros((12, len(freqs)), np.float64)
    ok = (freqs >= 55.0) & (freqs <= 5000.0)
    pitch = 12.0 * np.log2(freqs[ok] / 440.0) + 69.0  # MIDI number
    for c in range(12):
        d = (pitch - c + 6.0) % 12.0 - 6.0  # semitones to the nearest C+c
        w[c, ok] = np.exp(-0.5 * (d / 0.5) ** 2)
    return w.astype(np.float32)


def chroma(power: np.ndarray, sr: int) -> np.ndarray:
    """Pitch-class energy per frame, each frame scaled to a maximum of 1."""
    c = chroma_filters(sr) @ power
    return c / np.maximum(c.max(axis=0, keepdims=True), 1e-10)


def mfcc(mel_db: np.ndarray, n: int = 13) -> np.ndarray:
    """Cepstral coefficients: the orthonormal DCT-II of the mel spectrum in dB."""
    m = mel_db.shape[0]
    k = np.arange(n)[:, None]
    basis = np.cos(np.pi * k * (np.arange(m)[None, :] + 0.5) / m) * math.sqrt(2.0 / m)
    basis[0] /= math.sqrt(2.0)
    return (basis @ mel_db).astype(np.float32)


def onset_strength(power: np.ndarray, hop: int, n_fft: int = N_FFT) -> np.ndarray:
    """Spectral flux: the mean rise of the dB spectrum from each frame to the next,
    delayed to where the rise is heard (as librosa's onset_strength)."""
    db = to_db(power)
    flux = np.maximum(0.0, db[:, 1:] - db[:, :-1]).mean(axis=0)
    lag = 1 + n_fft // (2 * hop)
    return np.concatenate([np.zeros(lag, np.float32), flux.astype(np.float32)])[: power.shape[1]]


def onset_count(env: np.ndarray, sr: int, hop: int) -> int:
    """Onsets in an onset envelope: local maxima well above the local mean (librosa's
    onset_detect defaults: 30 ms maximum, 100 ms mean, delta 0.07, 30 ms apart)."""
    if len(env) < 3:
        return 0
    x = env - env.min()
    x = x / (x.max() + 1e-12)
    pre_max, post_max = int(0.03 * sr // hop), int(0.0 * sr // hop) + 1
    pre_avg, post_avg = int(0.10 * sr // hop), int(0.10 * sr // hop) + 1
    wait = int(0.03 * sr // hop)
    csum = np.concatenate([[0.0], np.cumsum(x)])
    count, last = 0, -(1 << 30)
    for i in range(len(x)):
        a, b = max(0, i - pre_max), min(len(x), i + post_max)
        if x[i] < x[a:b].max():
            continue
        a, b = max(0, i - pre_avg), min(len(x), i + post_avg)
        if x[i] >= (csum[b] - csum[a]) / (b - a) + 0.07 and i > last + wait:
            count, last = count + 1, i
    return count


def tempo(env: np.ndarray, sr: int, hop: int, window_s: float = 8.0) -> float:
    """BPM: the lag where the onset envelope's autocorrelation, tapered like an
    average over `window_s` Hann windows, times a log-normal prior (120 BPM, one octave)
    is highest. 0.0 when the envelope is too short or flat."""
    win = max(2, round(window_s * sr / hop))
    n = len(env)
    if n < 16 or not np.any(env > 0):
        return 0.0
    max_lag = min(win, n) - 1
    size = 1 << int(math.ceil(math.log2(2 * n)))
    f = np.fft.rfft(env.astype(np.float64), size)
    ac = np.fft.irfft(f * np.conj(f), size)[: max_lag + 1]
    h = _hann(win).astype(np.float64)
    taper = np.correlate(h, h, "full")[win - 1 : win + max_lag] / float(h @ h)
    lags = np.arange(1, max_lag + 1)
    bpm = 60.0 * sr / (hop * lags)
    prior = np.exp(-0.5 * (np.log2(bpm / 120.0)) ** 2)
    score = ac[1:] * taper[1:] * prior
    return float(bpm[int(np.argmax(score))]) if score.max() > 0 else 0.0


def centroid(power: np.ndarray, sr: int) -> np.ndarray:
    """The spectral centroid (Hz) of each frame of a power spectrum (magnitude-weighted)."""
    mag = np.sqrt(power)
    freqs = np.linspace(0.0, sr / 2, power.shape[0], dtype=np.float32)
    return (freqs @ mag) / np.maximum(mag.sum(axis=0), 1e-10)


def beat_frames(
    env: np.ndarray, bpm: float, sr: int, hop: int, tightness: float = 100.0
) -> np.ndarray:
    """Beat frames at about `bpm` through an onset envelope, by dynamic programming
    (Ellis, "Beat tracking by dynamic programming", 2007): each frame's score is its
    onset strength plus the best score of a beat between half and two periods earlier,
    less `tightness` times the squared log of how far that gap is from one period. The
    beats are read back from the best-scoring frame in the last two periods; weak
    beats at either end (before the music starts, after it stops) are dropped."""
    n = len(env)
    period = 60.0 * sr / (hop * max(bpm, 1.0))
    if n < 4 or period < 1 or not np.any(env > 0):
        return np.zeros(0, dtype=int)
    x = env / (env.std(ddof=1) + 1e-12)
    span = int(round(period))
    window = np.exp(-0.5 * (np.arange(-span, span + 1) * 32.0 / period) ** 2)
    local = np.convolve(x, window, "same")
    gaps = np.arange(max(1, int(round(period / 2))), int(round(2 * period)) + 1)
    penalty = tightness * np.log(gaps / period) ** 2
    score = np.zeros(n)
    back = np.full(n, -1)
    started = False
    floor = 0.01 * local.max()
    for t in range(n):
        score[t] = local[t]
        if not started:
            started = local[t] >= floor  # no beat before the music starts
            continue
        prev = t - gaps
        ok = prev >= 0
        if not ok.any():
            continue
        cand = score[prev[ok]] - penalty[ok]
        k = int(np.argmax(cand))
        score[t] += cand[k]
        back[t] = prev[ok][k]
    tail = max(0, n - int(round(2 * period)))
    t = tail + int(np.argmax(score[tail:]))
    beats = []
    while t >= 0:
        beats.append(t)
        t = int(back[t])
    out = np.array(beats[::-1], dtype=int)
    strength = local[out]
    weak = strength < 0.5 * float(np.sqrt(np.mean(strength**2)))
    first = int(np.argmax(~weak)) if (~weak).any() else 0
    last = len(out) - int(np.argmax(~weak[::-1])) if (~weak).any() else len(out)
    return out[first:last]
