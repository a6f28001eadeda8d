"""What the mixers play: a cue prepared at the mixer's rate, and a voice reading it.

`prepare_audio` does the heavy work (resampling, tiling short loops) in the caller's
thread; `PreparedCue` is what the audio thread holds. `Voice` is one playing cue: where
it is, and its fade. The native mixer (native_mixer.c) does the same sample for sample.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..music.base import Cue

_MIN_LOOP = 2048  # shorter loop bodies are tiled up to this, to bound work per block


def equal_power_table(length: int) -> np.ndarray:
    """sin(π/2 · i/length) for i in 0..length: fade-in gains; reversed, fade-out gains.

    sin² + cos² = 1, so two uncorrelated signals crossfaded this way keep their power.
    """
    i = np.arange(length + 1, dtype=np.float64)
    return np.sin(0.5 * math.pi * i / max(length, 1)).astype(np.float32)


def has_stinger(cue: Cue) -> bool:
    """Whether the cue's intro is a one-time stinger: a composer's continuing cue with
    an intro (`composer.py`: the stinger over the loop's first bars, then the loop
    turned by those bars, so `audio[loop_end - loop_start:]` is the same music without
    it). Read from fields the cue store keeps, so a stored cue plays the same."""
    return cue.backend == "composer" and cue.joins == "continue" and cue.clip.loop_start > 0


def on_track(cue: Cue) -> bool:
    """Whether the cue is a stretch of its scene's one track (the music library: every
    cue of a scene is cut from the same track), so a page turn within the scene goes on
    in the track where it is instead of starting this cue. Read from fields the cue
    store keeps, so a stored cue plays the same."""
    return cue.backend == "library"


def prepare_audio(cue: Cue, sample_rate: int, channels: int) -> tuple[np.ndarray, int, int, int]:
    """`cue` at `sample_rate` with `channels`, its loop kept seamless: (audio, loop_start,
    loop_end, samples per bar). The audio is C-contiguous float32 and ends at loop_end;
    a loop body shorter than `_MIN_LOOP` is tiled up to it."""
    clip = cue.clip
    audio = clip.audio if clip.audio.ndim == 2 else clip.audio.reshape(len(clip.audio), 1)
    ls, le = int(clip.loop_start), int(clip.loop_end)
    if not 0 <= ls < le <= len(audio):
        ls, le = 0, len(audio)
    bar = int(clip.bar_samples)
    if clip.sample_rate != sample_rate:
        # Imported only when a cue needs it (MusicGen's 32 kHz): scipy.signal costs
        # ~60 MB and a long hold of the interpreter lock, which the UI feels.
        from scipy.signal import resample_poly

        g = math.gcd(sample_rate, clip.sample_rate)
        up, down = sample_rate // g, clip.sample_rate // g
        ratio = up / down
        # pad by whole multiples of `down` input samples, so the padding maps to a
        # whole number of output samples and the body stays on the output grid
        pad = down * -(-32 // down)
        head = audio[:ls]
        if ls:  # the intro, followed by what really follows it: the loop start
            ext = np.concatenate([head, audio[ls + np.arange(pad) % (le - ls)]])
            head = resample_poly(ext, up, down, axis=0)[: round(ls * ratio)]
        # the loop body resampled circularly, so its end runs into its start
        n = le - ls
        ext = audio[ls + np.arange(-pad, n + pad) % n]
        off = pad * up // down
        body = resample_poly(ext, up, down, axis=0)[off : off + round(n * ratio)]
        audio = np.concatenate([head, body])
        ls, le = len(head), len(audio)
        bar = round(bar * ratio)
    if le - ls < _MIN_LOOP:
        reps = -(-_MIN_LOOP // (le - ls))
        audio = np.concatenate([audio[:le]] + [audio[ls:le]] * (reps - 1))
        le = len(audio)
    if channels == 1:
        audio = audio.mean(axis=1, keepdims=True)
    elif audio.shape[1] != channels:  # mono repeated, extra channels dropped
        audio = audio[:, np.arange(channels) % audio.shape[1]]
    audio = np.ascontiguousarray(audio[:le], dtype=np.float32)
    return audio, ls, le, bar


@dataclass
class PreparedCue:
    """A cue at the mixer's rate, ready for the audio thread."""

    page: int
    scene: int
    joins: str
    audio: np.ndarray  # (n, channels) float32, C-contiguous
    loop_start: int
    loop_end: int
    bar: int  # samples per bar at the mixer rate, 0 when unknown
    change_table: np.ndarray  # equal-power table for a scene change into this cue
    stinger: bool = False  # its intro is a stinger (`has_stinger`)
    on_track: bool = False  # a stretch of its scene's one track (`on_track`)


class Voice:
    """One cue playing: its position and its fade (in, out, or none)."""

    __slots__ = ("cue", "pos", "table", "env_pos", "env_len", "fading", "from_gain", "active")

    def __init__(self) -> None:
        self.cue: PreparedCue | None = None
        self.active = False
        self.pos = 0
        self.table: np.ndarray | None = None
        self.env_pos = 0
        self.env_len = 0
        self.fading = ""  # "", "in" or "out"
        self.from_gain = 1.0

    def gain(self) -> float:
        """The gain at the current sample."""
        table = self.table
        if self.fading == "in" and table is not None:
            return float(table[self.env_pos])
        if self.fading == "out" and table is not None:
            return self.from_gain * float(table[self.env_len - self.env_pos])
        return 1.0

    def read(self, buf: np.ndarray, on_loop: Callable[[int], None] | None = None) -> None:
        """Copy the next len(buf) samples, wrapping at the loop end (`on_loop` is told
        how many samples into `buf` each wrap falls)."""
        cue = self.cue
        assert cue is not None
        n, filled, pos = len(buf), 0, self.pos
        while filled < n:
            take = min(n - filled, cue.loop_end - pos)
            np.copyto(buf[filled : filled + take], cue.audio[pos : pos + take, : buf.shape[1]])
            filled += take
            pos += take
            if pos >= cue.loop_end:
                pos = cue.loop_start
                if on_loop is not None:
                    on_loop(filled)
        self.pos = pos

    def envelope(self, gain: np.ndarray) -> bool:
        """Fill this block's gains; True when the voice has faded out."""
        n = len(gain)
        if not self.fading:
            gain.fill(1.0)
            return False
        table = self.table
        assert table is not None
        m = min(n, self.env_len - self.env_pos)
        if self.fading == "in":
            np.copyto(gain[:m], table[self.env_pos : self.env_pos + m])
            gain[m:] = 1.0
        else:
            hi = self.env_len - self.env_pos
            np.multiply(table[hi - m + 1 : hi + 1][::-1], self.from_gain, out=gain[:m])
            gain[m:] = 0.0
        self.env_pos += m
        if self.env_pos >= self.env_len:
            if self.fading == "out":
                return True
            self.fading, self.table = "", None
        return False
