"""Speech balloons, shouts, thoughts, narration boxes and sound effects.

Each item is first measured (`fit`) so the layout can place it, then drawn
(`draw_item`), which returns the box of the text itself: that is what a Manga109
<text> element covers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from .story import Line

Box = tuple[float, float, float, float]
INK, PAPER = 0, 255


@lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont:
    f = ImageFont.load_default(size=size)
    assert isinstance(f, ImageFont.FreeTypeFont), "Pillow was built without FreeType"
    return f


@dataclass(frozen=True)
class Fitted:
    line: Line
    rows: tuple[str, ...]
    size: int
    text_w: float
    text_h: float
    vertical: bool = False  # rows are columns, read right to left (Japanese)
    cjk: bool = False  # lettered in a CJK font

    @property
    def outer(self) -> tuple[float, float]:
        """Width and height of the whole item, balloon included."""
        k = self.line.kind
        if k == "narration":
            return self.text_w + 44, self.text_h + 36
        if k == "sfx":
            return self.text_w + 20, self.text_h + 20
        grow = 1.5 if k == "shout" else 1.42
        return max(self.text_w * grow + 48, 170.0), max(self.text_h * grow + 44, 120.0)


def _wrap(text: str, f: ImageFont.FreeTypeFont, max_w: float) -> list[str]:
    rows: list[str] = []
    for word in text.split():
        if rows and f.getlength(rows[-1] + " " + word) <= max_w:
            rows[-1] += " " + word
        else:
            rows.append(word)
    return rows or [""]


def _measure(line: Line, size: int, max_w: float) -> Fitted:
    f = font(size)
    rows = _wrap(line.text, f, max_w)
    tw = max(f.getlength(r) for r in rows)
    th = size * 1.22 * len(rows)
    return Fitted(line, tuple(rows), size, tw, th)


def fit(line: Line, max_outer_w: float, max_outer_h: float, lang: str = "en") -> Fitted:
    """The largest legible size at which the item fits the given room."""
    if lang == "ja":
        from .vertical import fit_vertical

        return fit_vertical(line, max_outer_w, max_outer_h)
    base = {"speech": 44, "thought": 42, "narration": 38, "shout": 54, "sfx": 96}[line.kind]
    grow = {"narration": 1.0, "sfx": 1.0, "shout": 1.5}.get(line.kind, 1.42)
    pad = {"narration": 44, "sfx": 20}.get(line.kind, 48)
    room_w = max(60.0, (max_outer_w - pad) / grow)
    fitted = _measure(line, base, room_w)
    for size in range(base, 27, -2):
        # Balloons read best when they are a little wider than tall: wrap so the
        # text block is about 2.8 times as wide as it is high, if there is room.
        length = font(size).getlength(line.text)
        rows = max(1.0, (length / (2.8 * 1.22 * size)) ** 0.5)
        want = length / rows * 1.08 + size
        fitted = _measure(line, size, min(room_w, max(want, 4.0 * size)))
        ow, oh = fitted.outer
        if ow <= max_outer_w and oh <= max_outer_h:
            return fitted
    return fitted


def _draw_text(d: ImageDraw.ImageDraw, item: Fitted, cx: float, cy: float, fill: int = INK) -> Box:
    if item.vertical:
        from .vertical import draw_columns

        return draw_columns(d, item, cx, cy, fill)
    f = font(item.size)
    lh = item.size * 1.22
    y = cy - item.text_h / 2
    stroke = 1 if item.line.kind == "shout" else 0
    for row in item.rows:
        w = f.getlength(row)
        d.text((cx - w / 2, y), row, font=f, fill=fill, stroke_width=stroke, stroke_fill=fill)
        y += lh
    return (cx - item.text_w / 2, cy - item.text_h / 2, cx + item.text_w / 2, cy + item.text_h / 2)


def _tail(cx: float, cy: float, rx: float, ry: float, target: tuple[float, float], width: float):
    tx, ty = target
    a = math.atan2((ty - cy) / ry, (tx - cx) / rx)
    base = []
    for da in (-width, width):
        base.append((cx + 0.85 * rx * math.cos(a + da), cy + 0.85 * ry * math.sin(a + da)))
    return [base[0], (tx, ty), base[1]]


def _spikes(cx: float, cy: float, rx: float, ry: float, grow: float) -> list[tuple[float, float]]:
    pts = []
    n = 26
    for k in range(n):
        a = 2 * math.pi * k / n
        s = (1.18 if k % 2 else 0.96) + grow
        pts.append((cx + s * rx * math.cos(a), cy + s * ry * math.sin(a)))
    return pts


def draw_item(
    im: Image.Image, item: Fitted, cx: float, cy: float, target: tuple[float, float] | None
) -> Box:
    """Draw the item centred at (cx, cy); the tail points at target (a speaker's head)."""
    d = ImageDraw.Draw(im)
    ow, oh = item.outer
    kind = item.line.kind
    if kind == "narration":
        d.rectangle(
            (cx - ow / 2, cy - oh / 2, cx + ow / 2, cy + oh / 2), fill=PAPER, outline=INK, width=5
        )
        return _draw_text(d, item, cx, cy)
    if kind == "sfx":
        if item.cjk:
            from .vertical import cjk_font

            f = cjk_font(item.size)
        else:
            f = font(item.size)
        layer = Image.new("L", (int(ow) + 40, int(oh) + 40), 0)
        ink = Image.new("L", layer.size, 0)
        ld, kd = ImageDraw.Draw(layer), ImageDraw.Draw(ink)
        y = 30.0
        for row in item.rows:
            x = (layer.width - f.getlength(row)) / 2
            ld.text((x, y), row, font=f, fill=255, stroke_width=9, stroke_fill=255)
            kd.text((x, y), row, font=f, fill=255, stroke_width=2, stroke_fill=255)
            y += item.size * 1.22
        layer, ink = (
            layer.rotate(6, resample=Image.Resampling.BICUBIC),
            ink.rotate(6, resample=Image.Resampling.BICUBIC),
        )
        pos = (int(cx - layer.width / 2), int(cy - layer.height / 2))
        im.paste(PAPER, pos, layer)
        im.paste(INK, pos, ink)
        return (cx - ow / 2, cy - oh / 2, cx + ow / 2, cy + oh / 2)
    rx, ry = ow / 2, oh / 2
    if kind == "shout":
        rx, ry = rx / 1.12, ry / 1.12
    lw = 5
    tail = _tail(cx, cy, rx, ry, target, 0.2) if target and kind != "thought" else None
    if tail:  # outline pass, then fill pass, so the tail joins the balloon cleanly
        d.polygon(tail, fill=INK)
        d.line(tail, fill=INK, width=2 * lw, joint="curve")
    if kind == "shout":
        d.polygon(_spikes(cx, cy, rx, ry, 0.0), fill=PAPER, outline=INK, width=lw)
    elif kind == "thought":
        for k in range(14):
            a = 2 * math.pi * k / 14
            bx, by = cx + rx * math.cos(a), cy + ry * math.sin(a)
            br = 0.22 * min(rx, ry) + 12
            d.ellipse((bx - br, by - br, bx + br, by + br), fill=PAPER, outline=INK, width=lw)
        d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=PAPER)
        if target:
            tx, ty = target
            for k, rr in ((1, 18), (2, 12)):
                px = cx + (tx - cx) * (0.55 + 0.18 * k)
                py = cy + (ty - cy) * (0.55 + 0.18 * k)
                d.ellipse((px - rr, py - rr, px + rr, py + rr), fill=PAPER, outline=INK, width=4)
    else:
        d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=PAPER, outline=INK, width=lw)
    if tail:
        inner = [tail[0], tail[1], tail[2]]
        d.polygon(inner, fill=PAPER)
        if kind != "shout":
            d.ellipse((cx - rx + lw, cy - ry + lw, cx + rx - lw, cy + ry - lw), fill=PAPER)
    return _draw_text(d, item, cx, cy)
