"""Reading speed learned from the reader's page turns.

The book's own estimate (`reading_time.seconds_for_page`) says how long a page takes an
average reader; this module learns one factor, the person's time over that estimate,
from the turns they make: a moving average of the ratio, ignoring jumps (they are not
reading) and long pauses (they left the book open). The factor scales the engine's
look-ahead, never a cue's length (that is the cue recipe's, the same for every reader
and for export). It is kept per person in the data folder, so it carries across books
and sessions.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from ..books.model import Page
from ..core import paths
from ..core.atomic import write_text
from ..reading_time import seconds_for_page

log = logging.getLogger(__name__)

MIN_FACTOR, MAX_FACTOR = 0.3, 3.0
PAUSE_RATIO = 4.0  # a turn after more than this times the estimate was a pause
PAUSE_S = 180.0  # and so was any turn after this long
QUICK_S = 0.7  # faster than this is flipping, not reading
WEIGHT = 0.2  # how much one turn moves the average
FILE_NAME = "reading_speed.json"


class ReadingSpeed:
    """Seconds per page for this reader.

    Args:
        path: where the learned factor is kept (default: the data folder); None and
            `persist=False` keep it in memory only (tests, benchmarks).
    """

    def __init__(self, path: Path | None = None, persist: bool = True) -> None:
        self._lock = threading.Lock()
        self.path = path if path is not None or not persist else paths.data_dir() / FILE_NAME
        self.factor = 1.0
        self.turns = 0  # turns learned from
        if self.path is not None and self.path.exists():
            try:
                blob = json.loads(self.path.read_text("utf-8"))
                self.factor = _clamp(float(blob["factor"]))
                self.turns = int(blob.get("turns", 0))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("ignoring damaged reading speed file %s (%s)", self.path, exc)

    def seconds(self, page: Page) -> float:
        """How long this reader is expected to spend on `page`."""
        return seconds_for_page(page) * self.factor

    def learn(self, page: Page, seconds: float) -> bool:
        """Learn from a turn made after `seconds` on `page`; False when it was ignored."""
        expected = seconds_for_page(page)
        if seconds < QUICK_S or seconds > PAUSE_S or seconds > PAUSE_RATIO * expected * self.factor:
            return False
        with self._lock:
            ratio = _clamp(seconds / expected)
            self.factor = _clamp((1 - WEIGHT) * self.factor + WEIGHT * ratio)
            self.turns += 1
        return True

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            blob = {"version": 1, "factor": round(self.factor, 4), "turns": self.turns}
        write_text(self.path, json.dumps(blob))


def _clamp(x: float) -> float:
    return min(max(x, MIN_FACTOR), MAX_FACTOR)
