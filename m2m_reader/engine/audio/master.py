"""The mixer's last stage: the master volume, ramped so a change never clicks, and the
final fade-out into silence. Linear ramps, computed per sample index, so the output is
the same whatever the block split (native_mixer.c does the same arithmetic)."""

from __future__ import annotations

import numpy as np


class MasterGain:
    """Volume and mute (a `ramp_len`-sample ramp to each new level) and the fade-out."""

    def __init__(self, ramp_len: int, max_block: int) -> None:
        self._ramp_len = ramp_len
        self._idx = np.arange(max_block, dtype=np.float64)
        self._ramp = np.zeros(max_block, np.float64)
        self._gain = np.zeros(max_block, np.float32)
        self._volume = 1.0
        self._muted = False
        self._vol_from = self._vol_to = 1.0
        self._vol_pos = self._vol_len = 0
        self._end_pos = -1  # samples into the final fade-out; -1 when not fading
        self._end_len = 0

    def set_volume(self, volume: float) -> None:
        self._volume = volume
        self._set_ramp()

    def set_muted(self, muted: bool) -> None:
        self._muted = muted
        self._set_ramp()

    def fade_out(self, length: int) -> None:
        self._end_pos, self._end_len = 0, length

    @property
    def finished(self) -> bool:
        """True once the final fade-out has completed."""
        return self._end_pos >= self._end_len > 0

    def _set_ramp(self) -> None:
        current = self._vol_from + (self._vol_to - self._vol_from) * min(
            1.0, self._vol_pos / self._vol_len if self._vol_len else 1.0
        )
        self._vol_from = current
        self._vol_to = 0.0 if self._muted else self._volume
        self._vol_pos, self._vol_len = 0, self._ramp_len

    def apply(self, out: np.ndarray) -> None:
        """Master volume ramp, then the final fade-out (both linear, in place)."""
        n = len(out)
        if self._vol_pos < self._vol_len:
            m = min(n, self._vol_len - self._vol_pos)
            step = (self._vol_to - self._vol_from) / self._vol_len
            self._apply_ramp(out[:m], self._vol_pos + 1, step, self._vol_from)
            out[m:] *= self._vol_to
            self._vol_pos += m
        elif self._vol_to != 1.0:
            out *= self._vol_to
        if self._end_pos >= 0:
            m = max(0, min(n, self._end_len - self._end_pos))
            if m:
                self._apply_ramp(out[:m], self._end_pos, -1.0 / self._end_len, 1.0)
            out[m:] = 0.0
            self._end_pos += m

    def _apply_ramp(self, out: np.ndarray, k0: int, step: float, base: float) -> None:
        """out[i] *= base + step * (k0 + i), computed the same whatever the block split."""
        m = len(out)
        r = self._ramp[:m]
        np.add(self._idx[:m], k0, out=r)
        np.multiply(r, step, out=r)
        np.add(r, base, out=r)
        g = self._gain[:m]
        np.copyto(g, r, casting="same_kind")
        np.multiply(out, g[:, None], out=out)
