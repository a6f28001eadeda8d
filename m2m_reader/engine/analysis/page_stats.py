"""Cheap image statistics of a page: tone, contrast, darkness, ink.

Computed from a small greyscale thumbnail (JPEG pages decode in draft mode at 1/8
scale), so a whole book costs well under a second. Scene detection uses them: a scene
change in manga often changes the page's tone (night, rain, flashback in screentone).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

from ..books.model import Book
from ..core.errors import PageError

THUMB = 160  # pixels on the long side


@dataclass
class PageStats:
    brightness: float  # mean grey level, 0 black .. 1 white
    contrast: float  # standard deviation of grey levels
    dark: float  # share of pixels below 0.25
    ink: float  # share of pixels below 0.6 (lines, tone, fills)
    histogram: list[float]  # 8-bin grey histogram, sums to 1
    damaged: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> PageStats:
        return cls(**d)


DAMAGED = PageStats(0.5, 0.0, 0.0, 0.0, [0.125] * 8, damaged=True)


def thumbnail(image: Image.Image) -> np.ndarray:
    """Grey thumbnail as floats in [0, 1]."""
    if image.format == "JPEG" and hasattr(image, "draft"):
        image.draft("L", (max(1, image.width // 8), max(1, image.height // 8)))
    grey = image.convert("L")
    grey.thumbnail((THUMB, THUMB))
    return np.asarray(grey, dtype=np.float32) / 255.0


def page_stats(book: Book, index: int) -> PageStats:
    try:
        pixels = thumbnail(book.image(index))
    except PageError:
        return DAMAGED
    hist, _ = np.histogram(pixels, bins=8, range=(0.0, 1.0))
    hist = hist / max(1, pixels.size)
    return PageStats(
        brightness=float(pixels.mean()),
        contrast=float(pixels.std()),
        dark=float((pixels < 0.25).mean()),
        ink=float((pixels < 0.6).mean()),
        histogram=[float(h) for h in hist],
    )


def tone_distance(a: PageStats, b: PageStats) -> float:
    """How different two pages look, 0 (same tone) .. about 1 (day vs night)."""
    if a.damaged or b.damaged:
        return 0.0
    hist = 0.5 * float(np.abs(np.array(a.histogram) - np.array(b.histogram)).sum())
    return 0.5 * hist + abs(a.brightness - b.brightness) + 0.5 * abs(a.dark - b.dark)
