"""Frame features of a soundtrack, computed only where the report looks.

A page is judged by a bounded excerpt from its middle (`PAGE_EXCERPT_S`), a seam by the
windows either side of it: the spectra of the rest of a long soundtrack are never
computed. Frames are on one grid over the whole soundtrack (frame t centred on sample
t·HOP at `SR`); frames outside every span stay zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio.loudness import LoudnessMeter
from ..musiclib import dsp

SR = 22050
HOP = 512
PAGE_EXCERPT_S = 10.0
BLOCK_S = 10.0


@dataclass
class Soundtrack:
    """A soundtrack read once: mono at SR for the spectra, and its loudness (BS.1770
    K-weighted mean square per 100 ms, at the file's own rate) for the level figures."""

    mono: np.ndarray
    steps: np.ndarray
    integrated_lufs: float
    rate: int
    duration_s: float


def read_soundtrack(path: Path) -> Soundtrack:
    """Decode `path` in blocks, metering loudness and resampling as it goes, so the
    whole stereo soundtrack is never held at once."""
    import soundfile as sf

    try:
        f = sf.SoundFile(str(path))
    except (RuntimeError, sf.LibsndfileError):
        from ..musiclib.features import decode  # ffmpeg or GStreamer, in one piece

        audio = decode(path, 0.0, None, 48000)
        return _metered([audio], 48000, len(audio))
    with f:
        blocks = f.blocks(blocksize=int(BLOCK_S * f.samplerate), dtype="float32", always_2d=True)
        return _metered(blocks, f.samplerate, f.frames)


def _metered(blocks: Iterable[np.ndarray], rate: int, frames: int) -> Soundtrack:
    import soxr

    meter = LoudnessMeter(rate, 2)
    stream = soxr.ResampleStream(rate, SR, 1, dtype="float32")
    parts = []
    for block in blocks:
        stereo = block if block.shape[1] >= 2 else np.repeat(block, 2, axis=1)
        stereo = np.ascontiguousarray(stereo[:, :2])
        meter.add(stereo)
        parts.append(stream.resample_chunk(stereo.mean(axis=1)))
    parts.append(stream.resample_chunk(np.zeros(0, np.float32), last=True))
    mono = np.concatenate(parts).astype(np.float32, copy=False)
    steps = np.asarray(meter._steps, np.float64)
    return Soundtrack(mono, steps, meter.integrated(), rate, frames / rate)


@dataclass
class Frames:
    chroma: np.ndarray  # (12, n)
    mel_db: np.ndarray  # (40, n)
    mfcc: np.ndarray  # (13, n)
    onset: np.ndarray  # (n,)
    centroid: np.ndarray  # (n,) Hz
    rms: np.ndarray  # (n,) relative

    @property
    def n(self) -> int:
        return len(self.onset)

    def frame(self, t: float) -> int:
        """The frame at `t` seconds (clamped to the soundtrack)."""
        return max(0, min(self.n, int(t * SR / HOP)))


def page_excerpt(start_s: float, end_s: float) -> tuple[float, float]:
    """The stretch of a page its music is judged by: its middle, at most PAGE_EXCERPT_S."""
    if end_s - start_s <= PAGE_EXCERPT_S:
        return start_s, end_s
    mid = 0.5 * (start_s + end_s)
    return mid - PAGE_EXCERPT_S / 2, mid + PAGE_EXCERPT_S / 2


def _merged(spans: list[tuple[float, float]], n: int) -> list[tuple[int, int]]:
    """Spans (seconds) as sorted, merged frame ranges within [0, n)."""
    ranges = sorted(
        (max(0, int(a * SR / HOP)), min(n, int(math.ceil(b * SR / HOP)) + 1)) for a, b in spans
    )
    out: list[tuple[int, int]] = []
    for a, b in ranges:
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def frames_over(y: np.ndarray, spans: list[tuple[float, float]]) -> Frames:
    """The frame features of mono `y` (at SR) over `spans` (seconds)."""
    n = 1 + len(y) // HOP
    out = Frames(
        np.zeros((12, n), np.float32), np.zeros((40, n), np.float32),
        np.zeros((13, n), np.float32), np.zeros(n, np.float32),
        np.zeros(n, np.float32), np.zeros(n, np.float32),
    )  # fmt: skip
    half = dsp.N_FFT // 2
    for a, b in _merged(spans, n):
        lo, hi = a * HOP - half, (b - 1) * HOP + half  # frame a's first, frame b-1's last
        seg = y[max(0, lo) : min(len(y), hi)]
        seg = np.pad(seg, (max(0, -lo), max(0, hi - len(y))))
        power = dsp.stft_power(seg, HOP, center=False)[:, : b - a]
        mel = dsp.to_db(dsp.mel_filters(SR) @ power)
        out.chroma[:, a:b] = dsp.chroma(power, SR)
        out.mel_db[:, a:b] = mel
        out.mfcc[:, a:b] = dsp.mfcc(mel)
        out.onset[a:b] = dsp.onset_strength(power, HOP)
        out.centroid[a:b] = dsp.centroid(power, SR)
        out.rms[a:b] = np.sqrt(power.sum(axis=0))
    return out
