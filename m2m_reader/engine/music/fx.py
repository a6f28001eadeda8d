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
    low = sum(tiled[i::q] for i in range(q)) * (1.0 / q)
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
    """Calm pages are quieter than intense ones: about -24 dBFS .. -16 dBFS RMS."""
    return float(10 ** ((-24.0 + 8.0 * energy) / 20))


def level(audio: np.ndarray, energy: float) -> np.ndarray:
    """Scale the whole clip to its target RMS, then soft-limit peaks below full scale."""
    flat = audio.reshape(-1)
    rms = float(np.sqrt(np.dot(flat, flat) / max(1, flat.size)))
    if rms > 1e-9:
        audio = audio * (target_rms(energy) / rms)
    return soft_limit(audio)


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
