"""Pass 2 of an export: the raw mix read back with the gain that brings it to the
target loudness, limited so the true peak stays under the ceiling, measured again and
written in blocks."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..audio.loudness import PEAK_MARGIN_DB, LoudnessMeter, limit, limiter_margin
from ..audio.writer import AudioWriter
from ..core.cancel import CancelToken

ENCODE_BLOCK = 65536

LOSSY = (".ogg", ".mp3", ".opus")
LOSSY_HEADROOM_DB = 0.6


def normalise_and_encode(
    raw_path: Path,
    frames: int,
    sample_rate: int,
    gain_db: float,
    true_peak_db: float,
    writer: AudioWriter,
    step: Callable[[int], None],
    cancel: CancelToken,
) -> tuple[float, float]:
    """Pass 2: gain, true-peak limit, measure and write. Returns (LUFS, dBTP)."""
    mix = np.memmap(raw_path, dtype=np.float32, mode="r", shape=(frames, 2))
    gain = 10 ** (gain_db / 20)
    margin = limiter_margin(sample_rate)
    # Lossy encoders overshoot the peaks they are given (Vorbis and MP3 by up to ~0.5 dB).
    ceiling = (
        true_peak_db
        - PEAK_MARGIN_DB
        - (LOSSY_HEADROOM_DB if writer.path.suffix.lower() in LOSSY else 0.0)
    )
    meter, peak = LoudnessMeter(sample_rate, 2), 0.0
    for n, a in enumerate(range(0, frames, ENCODE_BLOCK)):
        cancel.check()
        b = min(frames, a + ENCODE_BLOCK)
        lo, hi = max(0, a - margin), min(frames, b + margin)
        ext = np.zeros((b - a + 2 * margin, 2), np.float32)
        ext[lo - (a - margin) : hi - (a - margin)] = mix[lo:hi]
        ext *= gain
        out, block_peak = limit(ext, sample_rate, ceiling, peak)
        writer.write(out)
        meter.add(out)
        peak = max(peak, block_peak)
        step(n)
    del mix
    return meter.integrated(), 20 * math.log10(peak) if peak > 0 else -math.inf
