"""An export's progress: permille of the whole, pass 1 (compose and mix) taking most."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int, str], None]  # (done, total, what is happening)
PROGRESS_UNITS = 1000
MIX_SHARE = 0.8  # of the progress bar: pass 1 (compose and mix); the rest is pass 2


def share(phase: int, done: int, total: int) -> int:
    """Progress units for `done` of `total` steps of pass `phase` (0 or 1)."""
    lo, hi = (0.0, MIX_SHARE) if phase == 0 else (MIX_SHARE, 1.0)
    return round(PROGRESS_UNITS * (lo + (hi - lo) * done / max(total, 1)))
