"""Japanese lettering: vertical columns in a CJK font (Noto Sans CJK, Debian's
fonts-noto-cjk), read right to left; sound effects stay horizontal katakana.

Each column is drawn one character at a time with the vertical presentation forms of
the punctuation that turns in vertical writing (、。…ー！？「」), so the drawing does
not depend on a layout engine.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageDraw, ImageFont

from .balloons import Box, Fitted
from .story import Line

FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
)
VERTICAL_FORMS = str.maketrans(
    {"、": "︑", "。": "︒", "…": "︙", "ー": "︱", "！": "︕", "？": "︖", "「": "﹁", "」": "﹂"}
)
STEP = 1.1  # advance down a column, in font sizes
COLUMN = 1.3  # advance between columns, in font sizes


@lru_cache(maxsize=32)
def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    raise FileNotFoundError("The Japanese sample book needs a CJK font: apt install fonts-noto-cjk")


def _columns(text: str, per_column: int) -> list[str]:
    """Columns of at most `per_column` characters, broken at the text's spaces first."""
    columns: list[str] = []
    for phrase in text.split():
        while len(phrase) > per_column:
            columns.append(phrase[:per_column])
            phrase = phrase[per_column:]
        if columns and len(columns[-1]) + len(phrase) <= per_column // 2:
            columns[-1] += phrase  # two short phrases share a column
        else:
            columns.append(phrase)
    return columns or [""]


def fit_vertical(line: Line, max_outer_w: float, max_outer_h: float) -> Fitted:
    """The largest size at which the item fits the room, as columns (or a row for a
    sound effect)."""
    if line.kind == "sfx":
        text = "".join(line.text.split(" ")) if len(line.text) < 6 else line.text
        for size in range(96, 39, -4):
            w = cjk_font(size).getlength(text)
            if w + 20 <= max_outer_w:
                break
        return Fitted(line, (text,), size, w, size * 1.22, cjk=True)
    base = {"narration": 38, "shout": 52}.get(line.kind, 44)
    grow = 1.0 if line.kind == "narration" else (1.5 if line.kind == "shout" else 1.42)
    pad = 44 if line.kind == "narration" else 48
    fitted = None
    for size in range(base, 25, -2):
        room_h = (max_outer_h - pad) / grow
        per_column = max(2, int(room_h / (STEP * size)))
        cols = _columns(line.text, min(per_column, 9))
        tw = len(cols) * COLUMN * size
        th = max(len(c) for c in cols) * STEP * size
        fitted = Fitted(line, tuple(cols), size, tw, th, vertical=True, cjk=True)
        ow, oh = fitted.outer
        if ow <= max_outer_w and oh <= max_outer_h:
            return fitted
    assert fitted is not None
    return fitted


def draw_columns(d: ImageDraw.ImageDraw, item: Fitted, cx: float, cy: float, fill: int) -> Box:
    """Draw the columns right to left, each top to bottom; returns the text's box."""
    f = cjk_font(item.size)
    x_right = cx + item.text_w / 2
    top = cy - item.text_h / 2
    for k, column in enumerate(item.rows):
        x = x_right - (k + 0.5) * COLUMN * item.size
        for j, ch in enumerate(column.translate(VERTICAL_FORMS)):
            y = top + j * STEP * item.size
            d.text((x - f.getlength(ch) / 2, y), ch, font=f, fill=fill)
    return (cx - item.text_w / 2, top, cx + item.text_w / 2, top + item.text_h)
