"""The built-in synthesiser: renders a `Score` with numpy when no SoundFont is installed.

A handful of timbres cover the General MIDI names the composer uses: a piano-like and a
plucked tone (additive partials that decay faster the higher they are), an FM electric
piano, mallets and bells (inharmonic partials), and sustained wavetable voices for strings,
winds, brass, pads and organ (band-limited tables read at the note's pitch, with vibrato).
Drums are noise and swept sines. Each distinct note is synthesised once per render.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.signal import lfilter

from ..core.cancel import NEVER, CancelToken
from .compose import Score

TIMBRES = {
    "piano": "piano", "harpsichord": "pluck", "electric piano": "epiano",
    "acoustic guitar": "pluck", "electric guitar": "pluck", "distorted guitar": "drive",
    "harp": "pluck", "pizzicato strings": "pluck", "bass": "bass", "upright bass": "bass", "synth bass": "bass",
    "contrabass": "bowed", "cello": "bowed", "viola": "bowed", "violin": "bowed",
    "strings": "strings", "synth pad": "pad", "choir": "pad", "organ": "organ",
    "accordion": "reed", "flute": "flute", "clarinet": "reed", "oboe": "reed",
    "bassoon": "reed", "saxophone": "reed", "synth lead": "brass", "trumpet": "brass",
    "trombone": "brass", "horn": "brass", "brass": "brass", "music box": "bell",
    "celesta": "bell", "glockenspiel": "bell", "vibraphone": "mallet", "marimba": "mallet",
    "timpani": "bass",
}  # fmt: skip

# Sustained timbres: (harmonic weights function, attack s, release s, vibrato depth, voices)
_TABLE = 2048


def _hz(pitch: int) -> float:
    return 440.0 * 2.0 ** ((pitch - 69) / 12)


@lru_cache(maxsize=64)
def _wavetable(shape: str, harmonics: int) -> np.ndarray:
    k = np.arange(1, harmonics + 1)
    amps = {
        "saw": 1.0 / k,
        "soft": 1.0 / k**1.6,
        "odd": np.where(k % 2 == 1, 1.0 / k, 0.12 / k),
        "flute": np.exp(-(k - 1) * 1.4),
        "organ": np.isin(k, [1, 2, 3, 4, 6, 8])
        * np.array([1.0 / (1 + 0.4 * i) for i in range(len(k))]),
    }[shape]
    phase = 2 * np.pi * np.arange(_TABLE) / _TABLE
    table = (amps[:, None] * np.sin(k[:, None] * phase[None, :])).sum(axis=0)
    table /= np.max(np.abs(table))
    return np.append(table, table[0]).astype(np.float32)


_SUSTAINED = {  # timbre -> (table shape, max harmonics, attack, release, vibrato, voices)
    "strings": ("saw", 14, 0.18, 0.45, 0.004, 3),
    "bowed": ("saw", 14, 0.08, 0.3, 0.005, 1),
    "pad": ("soft", 10, 0.35, 0.8, 0.002, 2),
    "organ": ("organ", 8, 0.02, 0.1, 0.0, 1),
    "reed": ("odd", 12, 0.04, 0.12, 0.003, 1),
    "flute": ("flute", 6, 0.06, 0.15, 0.004, 1),
    "brass": ("saw", 12, 0.05, 0.15, 0.003, 1),
}


def _adsr(
    n: int, on: int, sr: int, attack: float, release: float, sustain: float = 1.0
) -> np.ndarray:
    t = np.arange(n, dtype=np.float32) / sr
    env = np.minimum(1.0, t / max(attack, 1e-3))
    decay = 1.0 - (1.0 - sustain) * np.minimum(1.0, np.maximum(0.0, t - attack) / 0.4)
    env *= decay
    after = np.maximum(0.0, t - on / sr)
    return (env * np.exp(-after * (6.9 / release)) * (t < on / sr + release)).astype(np.float32)


def _sustained(timbre: str, f: float, on: int, sr: int, vel: float) -> np.ndarray:
    shape, harm, attack, release, vib, voices = _SUSTAINED[timbre]
    n = on + int(release * sr)
    table = _wavetable(shape, max(1, min(harm, int(sr * 0.42 / f))))
    t = np.arange(n, dtype=np.float64) / sr
    out = np.zeros(n, dtype=np.float32)
    for v in range(voices):
        detune = 1.0 + (v - (voices - 1) / 2) * 0.0035
        vibrato = 1.0 + vib * np.sin(2 * np.pi * (5.3 + 0.4 * v) * t) * np.minimum(1.0, t / 0.4)
        phase = np.cumsum(f * detune * vibrato / sr) + v * 0.31
        idx = (phase % 1.0) * _TABLE
        i0 = idx.astype(np.int64)
        frac = (idx - i0).astype(np.float32)
        out += table[i0] * (1 - frac) + table[i0 + 1] * frac
    out /= voices**0.5
    if timbre == "brass":  # brighter as it speaks: a one-pole low-pass opening with velocity
        a = 0.5 + 0.45 * vel
        out = lfilter([a], [1, -(1 - a)], out).astype(np.float32)
    if timbre == "flute":
        noise = np.random.default_rng(int(f)).standard_normal(n).astype(np.float32)
        out += 0.04 * lfilter([0.3], [1, -0.7], noise).astype(np.float32)
    return out * _adsr(n, on, sr, attack, release, sustain=0.85)


def _partials(timbre: str, f: float, on: int, sr: int, vel: float) -> np.ndarray:
    """Decaying additive tones: piano, pluck, bass, bells, mallets, electric piano."""
    release = {"bass": 0.12, "bell": 1.2, "mallet": 0.4}.get(timbre, 0.25)
    ring = {
        "piano": 3.5,
        "pluck": 2.5,
        "drive": 1.2,
        "bass": 2.5,
        "bell": 2.5,
        "mallet": 0.9,
        "epiano": 2.5,
    }
    n = on + int(release * sr) if timbre not in ("bell", "mallet") else int(ring[timbre] * sr)
    n = min(n, int(ring[timbre] * sr) + on // 2 + int(release * sr))
    t = np.arange(n, dtype=np.float32) / sr
    if timbre == "epiano":
        index = (0.8 + 2.2 * vel) * np.exp(-t * 4.0)
        out = np.sin(2 * np.pi * f * t + index * np.sin(2 * np.pi * f * t)) * np.exp(-t * 1.1)
    else:
        if timbre == "bell":
            ratios, amps, rates = (
                [1.0, 2.76, 5.40, 8.93],
                [1.0, 0.5, 0.25, 0.12],
                [1.2, 2.5, 4.0, 6.0],
            )
        elif timbre == "mallet":
            ratios, amps, rates = [1.0, 3.93, 9.54], [1.0, 0.35, 0.1], [3.0, 9.0, 20.0]
        elif timbre == "bass":
            ratios, amps, rates = [1.0, 2.0, 3.0, 4.0], [1.0, 0.55, 0.25, 0.1], [0.9, 1.6, 2.5, 3.5]
        else:
            k = np.arange(1, 9)  # a ninth and tenth (15 dB down, first to die) cost a fifth more
            bright = 0.45 + 0.55 * vel
            ratios = list(k * np.sqrt(1 + 0.0003 * k**2))
            pos = 0.13 if timbre == "piano" else 0.2
            amps = list(np.abs(np.sin(np.pi * k * pos)) / k ** (1.6 - 0.6 * bright))
            base = 0.7 if timbre == "piano" else 1.1
            rates = list(base * (f / 262.0) ** 0.4 + 0.55 * (k - 1))
        out = np.zeros(n, dtype=np.float32)
        spacing = np.diff(rates)
        if len(rates) > 4 and np.allclose(spacing, spacing[0]):
            # Evenly spaced decay rates: each partial's envelope is the last one's times
            # one more factor (two exponentials per note instead of one per partial).
            env = np.exp(-t * rates[0])
            more = np.exp(-t * spacing[0])
            for r, a in zip(ratios, amps, strict=False):
                if f * r < sr * 0.45:
                    out += a * np.sin(2 * np.pi * f * r * t) * env
                env *= more
        else:
            for r, a, d in zip(ratios, amps, rates, strict=False):
                if f * r < sr * 0.45:
                    out += a * np.sin(2 * np.pi * f * r * t) * np.exp(-t * d)
    attack = np.minimum(1.0, t / (0.002 if timbre != "bass" else 0.006))
    stop = np.exp(-np.maximum(0.0, t - on / sr) * (6.9 / release))
    out = out * attack * stop
    if timbre == "drive":
        out = np.tanh(3.0 * out) * 0.5
    return out.astype(np.float32)


def _drum(note: int, sr: int) -> np.ndarray:
    rng = np.random.default_rng(note)
    n = int(sr * {49: 1.6, 51: 1.0, 46: 0.45, 36: 0.45, 35: 0.5, 41: 0.5}.get(note, 0.3))
    t = np.arange(n, dtype=np.float32) / sr
    noise = rng.standard_normal(n).astype(np.float32)
    bright = np.diff(noise, prepend=0.0)
    if note in (35, 36, 41):  # kick, low tom: a sine sweeping down
        top, bottom, decay = (150.0, 48.0, 9.0) if note != 41 else (140.0, 92.0, 7.0)
        freq = bottom + (top - bottom) * np.exp(-t * 30)
        out = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t * decay)
        out[: int(0.003 * sr)] += 0.3 * noise[: int(0.003 * sr)]
    elif note in (38, 39):  # snare, clap
        body = 0.5 * np.sin(2 * np.pi * 185 * t) * np.exp(-t * 30)
        out = 0.7 * bright * np.exp(-t * 16) + body * (note == 38)
    elif note == 37:
        out = np.sin(2 * np.pi * 820 * t) * np.exp(-t * 90) + 0.3 * bright * np.exp(-t * 80)
    elif note in (42, 44):
        out = 0.5 * np.diff(bright, prepend=0.0) * np.exp(-t * (60 if note == 42 else 80))
    elif note == 46:
        out = 0.45 * np.diff(bright, prepend=0.0) * np.exp(-t * 9)
    elif note == 51:
        metal = sum(np.sin(2 * np.pi * fr * t) for fr in (3080.0, 4670.0, 5910.0)) / 3
        out = (0.25 * np.diff(bright, prepend=0.0) + 0.12 * metal) * np.exp(-t * 4.5)
    elif note == 49:
        out = 0.4 * np.diff(bright, prepend=0.0) * np.exp(-t * 2.8)
    else:  # shaker and anything else: a soft noise swish
        out = 0.3 * bright * np.minimum(1.0, t / 0.01) * np.exp(-t * 35)
    return out.astype(np.float32)


class SynthRenderer:
    def __init__(self, sample_rate: int = 44100) -> None:
        self.sample_rate = sample_rate

    def render(self, score: Score, n_samples: int, cancel: CancelToken = NEVER) -> np.ndarray:
        sr = self.sample_rate
        out = np.zeros((n_samples, 2), dtype=np.float32)
        cache: dict[tuple, np.ndarray] = {}
        for i, note in enumerate(score.notes):
            if i % 64 == 0:
                cancel.check()
            track = score.tracks[note.track]
            start = int(note.start * sr)
            if start >= n_samples:
                continue
            vel = note.vel / 127.0
            if track.is_drums:
                key: tuple = ("drum", note.pitch)
                if key not in cache:
                    cache[key] = _drum(note.pitch, sr)
                gain = 0.9
            else:
                timbre = TIMBRES.get(track.instrument, "piano")
                on = max(1, int(note.dur * sr))
                # Lengths in steps of 40 ms and four degrees of brightness: each distinct
                # note is made once per render (its loudness is the velocity's own).
                step = sr // 25
                key = (timbre, note.pitch, on // step, round(vel * 4))
                if key not in cache:
                    f = _hz(note.pitch)
                    q = round(vel * 4) / 4
                    make = _sustained if timbre in _SUSTAINED else _partials
                    cache[key] = make(timbre, f, (on // step) * step or step, sr, q)
                gain = 0.35 if timbre in _SUSTAINED else 0.5
            tone = cache[key]
            end = min(n_samples, start + len(tone))
            amp = gain * track.gain * vel**1.5
            angle = (track.pan + 1) * np.pi / 4
            seg = tone[: end - start] * amp
            out[start:end, 0] += seg * np.cos(angle)
            out[start:end, 1] += seg * np.sin(angle)
        return out
