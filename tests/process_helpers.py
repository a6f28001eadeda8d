"""Process states read from /proc, for the tests that watch a reader's child processes."""

from __future__ import annotations

import time


def alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def wait_gone(pid: int, seconds: float = 5) -> None:
    """Wait up to `seconds` for `pid` to stop running."""
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
