"""What the reader does to a page image before showing it: crop the white borders and
adjust brightness, contrast, gamma, grayscale and invert.

Pure Pillow, no Qt: `PageImages` runs `ImageFilter.apply` on its workers after decoding,
so the UI thread never touches pixels. The identity filter costs nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from PIL import Image, ImageEnhance, ImageOps

BORDER_LEVEL = 232  # a pixel lighter than this (0–255) in every channel is paper
BORDER_NOISE = 0.004  # a row or column with less than this share of ink is still border
CROP_MARGIN = 4  # pixels of paper kept around the drawing
CROP_MIN_KEEP = 0.35  # never crop a page to less than this share of either side


@dataclass(frozen=True)
class ImageFilter:
    crop: bool = False
    brightness: float = 1.0  # 1 = as scanned
    contrast: float = 1.0
    gamma: float = 1.0  # above 1 lightens the mid-tones
    grayscale: bool = False
    invert: bool = False

    @property
    def identity(self) -> bool:
        return self == ImageFilter()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> ImageFilter:
        """A filter from saved settings; unknown or bad values fall back to the defaults."""
        if not isinstance(data, dict):
            return cls()
        kept: dict[str, Any] = {}
        for f in fields(cls):
            value = data.get(f.name)
            if f.type in ("bool", bool) and isinstance(value, bool):
                kept[f.name] = value
            elif f.type in ("float", float) and isinstance(value, int | float):
                kept[f.name] = min(4.0, max(0.1, float(value)))
        return cls(**kept)

    def apply(self, im: Image.Image) -> Image.Image:
        """The page as the reader shows it (a new image; `im` is not changed)."""
        if self.identity:
            return im
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        if self.crop:
            box = content_box(im)
            if box is not None:
                im = im.crop(box)
        if self.grayscale and im.mode != "L":
            im = im.convert("L")
        if self.brightness != 1.0:
            im = ImageEnhance.Brightness(im).enhance(self.brightness)
        if self.contrast != 1.0:
            im = ImageEnhance.Contrast(im).enhance(self.contrast)
        if self.gamma != 1.0:
            inv = 1.0 / self.gamma
            lut = [round(255 * (v / 255) ** inv) for v in range(256)]
            im = im.point(lut * len(im.getbands()))
        if self.invert:
            im = ImageOps.invert(im)
        return im


def content_box(im: Image.Image) -> tuple[int, int, int, int] | None:
    """The box inside the page's white (or near-white) borders, with a small margin;
    None when there is nothing to crop or the page is blank."""
    gray = im.convert("L") if im.mode != "L" else im
    small = gray
    scale = 1.0
    if gray.width > 800:  # find the box on a smaller copy: same answer, a tenth of the work
        scale = gray.width / 800
        small = gray.resize((800, max(1, round(gray.height / scale))), Image.Resampling.BOX)
    ink = small.point(lambda v: 255 if v < BORDER_LEVEL else 0)
    # Ignore specks: a row/column counts as drawing when enough of it is ink.
    cols = _spans(ink, axis=0)
    rows = _spans(ink, axis=1)
    if cols is None or rows is None:
        return None
    left, right = cols
    top, bottom = rows
    box = (
        max(0, round(left * scale) - CROP_MARGIN),
        max(0, round(top * scale) - CROP_MARGIN),
        min(im.width, round(right * scale) + CROP_MARGIN),
        min(im.height, round(bottom * scale) + CROP_MARGIN),
    )
    w, h = box[2] - box[0], box[3] - box[1]
    if w < im.width * CROP_MIN_KEEP or h < im.height * CROP_MIN_KEEP:
        return None
    if box == (0, 0, im.width, im.height):
        return None
    return box


def _spans(ink: Image.Image, axis: int) -> tuple[int, int] | None:
    """First and last column (axis 0) or row (axis 1) with enough ink."""
    size = (ink.width, 1) if axis == 0 else (1, ink.height)
    values = ink.resize(size, Image.Resampling.BOX).tobytes()  # mean ink per column/row
    limit = 255 * BORDER_NOISE
    marked = [i for i, v in enumerate(values) if v > limit]
    if not marked:
        return None
    return marked[0], marked[-1] + 1
