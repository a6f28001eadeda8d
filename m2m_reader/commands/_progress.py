"""A progress bar on the terminal (stderr): redrawn in place on a tty, sparse lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class TerminalProgress:
    """Call as `progress(done, total, what)`; `close()` ends the line."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 28) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self._last = 0.0
        self._last_pct = -1
        self._open = False

    def __call__(self, done: int, total: int, what: str = "") -> None:
        frac = 0.0 if total <= 0 else min(1.0, done / total)
        pct = int(100 * frac)
        now = time.monotonic()
        if self.tty:
            if now - self._last < 0.05 and done < total:
                return
            filled = int(self.width * frac)
            bar = "█" * filled + "░" * (self.width - filled)
            self.stream.write(f"\r{self.label} {bar} {pct:3d}% {what[:40]:<40}")
            self._open = True
        elif pct // 25 != self._last_pct // 25 or (done >= total and self._last_pct < 100):
            self.stream.write(f"{self.label}: {pct}% {what}\n")
            self._last_pct = pct
        self._last = now
        self.stream.flush()

    def close(self) -> None:
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False
