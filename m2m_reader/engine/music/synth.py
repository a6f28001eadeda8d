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


def _sustained_ring(timbre: str, f: float, n: int, sr: int, vel: float) -> np.ndarray:
    """A sustained voice's tone, `n` samples as if held for ever (before its envelope):
    one ring serves every length of note at that pitch and brightness."""
    shape, harm, _, _, vib, voices = _SUSTAINED[timbre]
    table = _wavetable(shape, max(1, min(harm, int(sr * 0.42 / f))))
    t = np.arange(n, dtype=np.float64) / sr
    out = np.zeros(n, dtype=np.float32)
    swell = np.minimum(1.0, t / 0.4)
    for v in range(voices):
        detune = 1.0 + (v - (voices - 1) / 2) * 0.0035
        vibrato = 1.0 + vib * np.sin(2 * np.pi * (5.3 + 0.4 * v) * t) * swell
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
    return out


def _sustained_length(timbre: str, on: int, sr: int) -> int:
    return on + int(_SUSTAINED[timbre][3] * sr)


def _sustained(timbre: str, ring: np.ndarray, on: int, sr: int) -> np.ndarray:
    """A sustained note released at sample `on`: its ring under the voice's envelope."""
    _, _, attack, release, _, _ = _SUSTAINED[timbre]
    n = _sustained_length(timbre, on, sr)
    return ring[:n] * _adsr(n, on, sr, attack, release, sustain=0.85)


_RING = {"piano": 3.5, "pluck": 2.5, "drive": 1.2, "bass": 2.5, "bell": 2.5, "mallet": 0.9,
         "epiano": 2.5}  # fmt: skip
_RELEASE = {"bass": 0.12, "bell": 1.2, "mallet": 0.4}
# A partial is no longer computed once it is this far below the note's first level (-70 dB).
_FLOOR = 3e-4


def _partials_length(timbre: str, on: int, sr: int) -> int:
    release = _RELEASE.get(timbre, 0.25)
    if timbre in ("bell", "mallet"):
        return int(_RING[timbre] * sr)
    return min(on + int(release * sr), int(_RING[timbre] * sr) + on // 2 + int(release * sr))


def _spectrum(timbre: str, f: float, vel: float) -> tuple[list[float], list[float], list[float]]:
    """(frequency ratios, amplitudes, decay rates per second) of a decaying tone's partials."""
    if timbre == "bell":
        return [1.0, 2.76, 5.40, 8.93], [1.0, 0.5, 0.25, 0.12], [1.2, 2.5, 4.0, 6.0]
    if timbre == "mallet":
        return [1.0, 3.93, 9.54], [1.0, 0.35, 0.1], [3.0, 9.0, 20.0]
    if timbre == "bass":
        return [1.0, 2.0, 3.0, 4.0], [1.0, 0.55, 0.25, 0.1], [0.9, 1.6, 2.5, 3.5]
    k = np.arange(1, 9)  # a ninth and tenth (15 dB down, first to die) cost a fifth more
    bright = 0.45 + 0.55 * vel
    ratios = list(k * np.sqrt(1 + 0.0003 * k**2))
    pos = 0.13 if timbre == "piano" else 0.2
    amps = list(np.abs(np.sin(np.pi * k * pos)) / k ** (1.6 - 0.6 * bright))
    base = 0.7 if timbre == "piano" else 1.1
    rates = list(base * (f / 262.0) ** 0.4 + 0.55 * (k - 1))
    return [float(r) for r in ratios], [float(a) for a in amps], [float(d) for d in rates]


def _ring(timbre: str, f: float, n: int, sr: int, vel: float) -> np.ndarray:
    """A decaying additive tone of `n` samples as if held for ever: the note's length only
    sets where its release begins (`_partials`), so one ring serves every length.

    Each partial is computed only while it is above -70 dB of the note's first level (the
    high partials die within a second; the fundamental rings on)."""
    t = np.arange(n, dtype=np.float32) / np.float32(sr)
    if timbre == "epiano":
        index = (0.8 + 2.2 * vel) * np.exp(-t * 4.0)
        out = np.sin(2 * np.pi * f * t + index * np.sin(2 * np.pi * f * t)) * np.exp(-t * 1.1)
        out = out.astype(np.float32)
    else:
        ratios, amps, rates = _spectrum(timbre, f, vel)
        out = np.zeros(n, dtype=np.float32)
        floor = _FLOOR * sum(amps)
        buf = np.empty(n, dtype=np.float32)
        env = np.empty(n, dtype=np.float32)
        for r, a, d in zip(ratios, amps, rates, strict=False):
            if f * r >= sr * 0.45 or a <= floor:
                continue
            m = min(n, int(np.log(a / floor) / d * sr) + 1)
            np.multiply(t[:m], np.float32(2 * np.pi * f * r), out=buf[:m])
            np.sin(buf[:m], out=buf[:m])
            np.multiply(t[:m], np.float32(-d), out=env[:m])
            np.exp(env[:m], out=env[:m])
            buf[:m] *= env[:m]
            buf[:m] *= np.float32(a)
            out[:m] += buf[:m]
    k = min(n, int((0.002 if timbre != "bass" else 0.006) * sr))
    out[:k] *= np.arange(k, dtype=np.float32) / max(1, k)
    return out


def _partials(timbre: str, ring: np.ndarray, on: int, sr: int) -> np.ndarray:
    """A decaying tone (piano, pluck, bass, bells, mallets, electric piano) released at
    sample `on`: the first `_partials_length` samples of its `ring`, faded from `on`."""
    release = _RELEASE.get(timbre, 0.25)
    out = ring[: _partials_length(timbre, on, sr)].copy()
    if on < len(out):
        tail = np.arange(len(out) - on, dtype=np.float32) * np.float32(-6.9 / (release * sr))
        out[on:] *= np.exp(tail)
    if timbre == "drive":
        out = np.tanh(3.0 * out) * 0.5
    return out


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
        # Each track is mixed in mono, then panned once (a note costs one pass, not five).
        mono = {ti: np.zeros(n_samples, dtype=np.float32) for ti in {n.track for n in score.notes}}
        cache: dict[tuple, np.ndarray] = {}
        rings = self._rings(score, n_samples)
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
                timbre, on, q = _note_key(track.instrument, note.dur, vel, sr)
                key = (timbre, note.pitch, on, q)
                if key not in cache:
                    ring = rings[(timbre, note.pitch, q)]
                    if timbre in _SUSTAINED:
                        cache[key] = _sustained(timbre, ring, on, sr)
                    else:
                        cache[key] = _partials(timbre, ring, on, sr)
                gain = 0.35 if timbre in _SUSTAINED else 0.5
            tone = cache[key]
            end = min(n_samples, start + len(tone))
            amp = np.float32(gain * track.gain * vel**1.5)
            buf = mono[note.track][start:end]
            buf += tone[: end - start] * amp
        out = np.zeros((n_samples, 2), dtype=np.float32)
        for ti, buf in mono.items():
            angle = (score.tracks[ti].pan + 1) * np.pi / 4
            out[:, 0] += buf * np.float32(np.cos(angle))
            out[:, 1] += buf * np.float32(np.sin(angle))
        return out

    def _rings(self, score: Score, n_samples: int) -> dict[tuple[str, int, int], np.ndarray]:
        """Each tone's ring, made once per (timbre, pitch, brightness) at the longest
        length its notes need: a render makes each pitch of an instrument once, whatever
        the lengths of its notes."""
        sr = self.sample_rate
        need: dict[tuple[str, int, int], int] = {}
        for note in score.notes:
            track = score.tracks[note.track]
            if track.is_drums or int(note.start * sr) >= n_samples:
                continue
            timbre, on, q = _note_key(track.instrument, note.dur, note.vel / 127.0, sr)
            key = (timbre, note.pitch, q)
            held = timbre in _SUSTAINED
            n = _sustained_length(timbre, on, sr) if held else _partials_length(timbre, on, sr)
            need[key] = max(need.get(key, 0), n)
        return {
            k: (_sustained_ring if k[0] in _SUSTAINED else _ring)(k[0], _hz(k[1]), n, sr, k[2] / 4)
            for k, n in need.items()
        }


def _note_key(instrument: str, dur: float, vel: float, sr: int) -> tuple[str, int, int]:
    """(timbre, length, brightness): lengths in steps of 40 ms and four degrees of
    brightness, so each distinct note is made once per render (its loudness is the
    velocity's own)."""
    step = sr // 25
    on = max(1, int(dur * sr))
    return TIMBRES.get(instrument, "piano"), (on // step) * step or step, round(vel * 4)
