"""After the renderer: reverb, folding the tail into a seamless loop, level and limiting.

The loop is made seamless by rendering past its end and adding everything that rings
beyond the loop end (note releases, reverb) back onto the loop start — which is exactly
what a listener hears when the loop repeats. Level and limiting act per sample or on the
whole clip, so they cannot open a seam.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.fft import irfft, next_fast_len, rfft
from scipy.signal import lfilter

# style -> (reverb time in seconds, wet level)
REVERB = {
    "orchestral": (2.4, 0.32),
    "ambient": (2.8, 0.36),
    "jazz": (1.3, 0.18),
    "lofi": (1.1, 0.16),
    "rock": (1.0, 0.14),
    "electronic": (1.6, 0.18),
    "folk": (1.5, 0.22),
}
TAIL_SECONDS = 2.0  # rendered past the loop end: longer than the instruments' releases


@lru_cache(maxsize=16)
def reverb_ir(sample_rate: int, seconds: float) -> np.ndarray:
    """A synthetic stereo room: decaying noise that darkens as it decays, unit energy."""
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    rng = np.random.default_rng(1234)
    noise = rng.standard_normal((n, 2))
    dark = lfilter([0.12], [1.0, -0.88], noise, axis=0) * 2.5
    blend = (t / seconds)[:, None]
    ir = ((1 - blend) * noise + blend * dark) * np.exp(-6.9 * t / seconds)[:, None]
    ir[: int(0.012 * sample_rate)] = 0.0  # pre-delay
    ir /= np.sqrt(np.sum(ir**2) / 2)
    return ir.astype(np.float32)


def loop_reverb(loop: np.ndarray, sample_rate: int, style: str) -> np.ndarray:
    """The loop with the reverb it has in steady state: the room still rings with the loop's
    own end when the loop starts again, so the seam is seamless by construction.

    The wet path runs at a quarter of the sample rate (the room is dark anyway), which keeps
    the convolution cheap.
    """
    seconds, wet = REVERB.get(style, (1.6, 0.2))
    q = 4 if sample_rate >= 32000 else 2
    ir = reverb_ir(sample_rate // q, seconds)
    lead = len(ir) * q  # the room is filled by the loop's previous pass
    reps = -(-lead // len(loop)) + 1
    tiled = np.concatenate([loop] * reps)[-(lead + len(loop)) :]
    usable = len(tiled) // q * q
    tiled = tiled[len(tiled) - usable :]
    low: np.ndarray = np.sum([tiled[i::q] for i in range(q)], axis=0) * (1.0 / q)
    n = next_fast_len(len(low) + len(ir), real=True)
    spec = rfft(low, n=n, axis=0, workers=1) * rfft(ir, n=n, axis=0, workers=1)
    wet_low = irfft(spec, n=n, axis=0, workers=1)[: len(low)].astype(np.float32)
    up = np.repeat(wet_low, q, axis=0)
    up[1:] = 0.5 * (up[1:] + up[:-1])  # soften the steps of the sample-and-hold
    out = loop + wet * 0.5 * up[-len(loop) :]
    return out.astype(np.float32)


def fold_loop(render: np.ndarray, loop_len: int) -> np.ndarray:
    """The first `loop_len` frames with everything after them added back from the start."""
    out = render[:loop_len].copy()
    for k in range(loop_len, len(render), loop_len):
        seg = render[k : k + loop_len]
        out[: len(seg)] += seg
    return out


def target_rms(energy: float) -> float:
    """Calm pages are quieter than intense ones: about -32 dBFS .. -14 dBFS RMS.

    Export normalises the whole book with one gain, so these differences are the book's
    dynamics: an 18 dB span gives a loudness range of 8 LU or more when the story moves
    from calm to a fight and back, as a film score's does."""
    return float(10 ** ((-32.0 + 18.0 * energy) / 20))


# colour -> level under the music (dB relative to the music's RMS)
COLOUR_DB = {"vinyl": -22.0, "rain": -17.0, "wind": -19.0}


def add_colour(audio: np.ndarray, sample_rate: int, colours: list[str], seed: int) -> np.ndarray:
    """Sound under the music: vinyl crackle and hiss, rain, wind (seeded noise)."""
    n = len(audio)
    rng = np.random.default_rng(seed)
    flat = audio.reshape(-1)
    music_rms = float(np.sqrt(np.dot(flat, flat) / max(1, flat.size))) or 1e-3
    out = audio.astype(np.float32).copy()
    t = np.arange(n) / sample_rate
    for colour in colours:
        if colour not in COLOUR_DB:
            continue
        noise = rng.standard_normal((n, 2)).astype(np.float32)
        if colour == "vinyl":
            layer = 0.15 * lfilter([1.0, -1.0], [1.0, -0.6], noise, axis=0)  # hiss
            clicks = np.zeros((n, 2), np.float32)
            count = int(18 * n / sample_rate)
            at = rng.integers(0, n, size=count)
            clicks[at] = rng.exponential(1.0, size=(count, 1)) * rng.choice(
                [-1, 1], size=(count, 1)
            )
            layer += lfilter([1.0, -1.0], [1.0, -0.3], clicks, axis=0) * 3.0
        elif colour == "rain":
            hiss = lfilter([1.0, -1.0], [1.0, -0.75], noise, axis=0)  # bright patter
            swell = 1.0 + 0.25 * np.sin(2 * np.pi * 0.07 * t + rng.uniform(0, 6.3))
            layer = lfilter([0.5], [1.0, -0.5], hiss, axis=0) * swell[:, None]
        else:  # wind: dark noise that rises and falls
            dark = lfilter([0.02], [1.0, -0.98], noise, axis=0) * 6.0
            swell = 0.6 + 0.4 * np.sin(2 * np.pi * 0.11 * t + rng.uniform(0, 6.3)) ** 2
            layer = dark * swell[:, None]
        rms = float(np.sqrt(np.mean(layer.astype(np.float64) ** 2))) or 1.0
        out += (layer * (music_rms * 10 ** (COLOUR_DB[colour] / 20) / rms)).astype(np.float32)
    return out


def level_gain(audio: np.ndarray, energy: float) -> float:
    """The gain that brings `audio` to its target RMS."""
    flat = audio.reshape(-1)
    rms = float(np.sqrt(np.dot(flat, flat) / max(1, flat.size)))
    return target_rms(energy) / rms if rms > 1e-9 else 1.0


def level(audio: np.ndarray, energy: float) -> np.ndarray:
    """Scale the whole clip to its target RMS, then soft-limit peaks below full scale."""
    gain = level_gain(audio, energy)
    return soft_limit(audio * gain if gain != 1.0 else audio)


def soft_limit(audio: np.ndarray, knee: float = 0.7, ceiling: float = 0.97) -> np.ndarray:
    """Identity below `knee`; above it, bends smoothly towards `ceiling` (never reaches it)."""
    mag = np.abs(audio)
    over = mag > knee
    if not over.any():
        return audio.astype(np.float32)
    room = ceiling - knee
    out = audio.astype(np.float32).copy()
    bent = knee + room * np.tanh((mag[over] - knee) / room)
    out[over] = np.sign(audio[over]) * bent
    return out
