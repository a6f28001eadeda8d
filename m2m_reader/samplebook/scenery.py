"""Panel backgrounds: the scene's tone and a line sketch of the place.

Tones are chosen so page statistics carry the mood as well as the drawing does:
a bright morning, screentone dots for the comedy, near-black night for the chase,
flat grey rain for the parting and a sunrise gradient for the ending.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw

# Panel fill and the grey used for scenery lines, per tone.
_LINE = {"morning": 120, "dots": 110, "night": 125, "rain": 95, "sunrise": 110}
GUTTER = {"morning": 255, "dots": 255, "night": 12, "rain": 255, "sunrise": 255}


def tone_image(tone: str, w: int, h: int, rng: random.Random) -> Image.Image:
    """A panel-sized greyscale background for the scene's tone."""
    if tone == "dots":
        y, x = np.mgrid[0:h, 0:w]
        dx = (x % 24) - 12
        dy = (y % 24) - 12
        # dots that shrink downwards: a gradient screentone
        limit = 34.0 * np.clip(1.0 - y / (0.7 * h), 0.0, 1.0)
        arr = np.where(dx * dx + dy * dy <= limit, 195, 255).astype(np.uint8)
        return Image.fromarray(arr, "L")
    if tone == "night":
        return Image.new("L", (w, h), 38)
    if tone == "rain":
        im = Image.new("L", (w, h), 150)
        d = ImageDraw.Draw(im)
        for _ in range(w * h // 9000):
            x, y = rng.uniform(-100, w), rng.uniform(-100, h)
            n = rng.uniform(40, 110)
            d.line([(x, y), (x + 0.3 * n, y + n)], fill=rng.choice((185, 200, 120)), width=2)
        return im
    if tone == "sunrise":
        col = np.linspace(175, 250, h, dtype=np.float32)[:, None]
        arr = np.broadcast_to(col, (h, w)).astype(np.uint8)
        return Image.fromarray(arr, "L")
    im = Image.new("L", (w, h), 255)
    d = ImageDraw.Draw(im)
    for k in range(0, h // 3, 6):  # a light sky at the top
        d.line([(0, k), (w, k)], fill=238, width=2)
    return im


def _houses(
    d: ImageDraw.ImageDraw, w: int, base: float, c: int, rng: random.Random, fill: int
) -> None:
    x = -20.0
    while x < w:
        hw, hh = rng.uniform(110, 200), rng.uniform(90, 190)
        d.rectangle((x, base - hh, x + hw, base), fill=fill, outline=c, width=4)
        d.polygon(
            [(x - 10, base - hh), (x + hw / 2, base - hh - 60), (x + hw + 10, base - hh)],
            fill=fill,
            outline=c,
        )
        for wx in range(int(x + 20), int(x + hw - 40), 55):
            d.rectangle((wx, base - hh + 25, wx + 28, base - hh + 55), outline=c, width=3)
        x += hw + rng.uniform(10, 40)


def draw_place(im: Image.Image, place: str, tone: str, rng: random.Random) -> None:
    """Sketch the place in the panel's background (behind the characters)."""
    w, h = im.size
    d = ImageDraw.Draw(im)
    c = _LINE[tone]
    dark = tone == "night"
    fill = 25 if dark else (140 if tone == "rain" else 245)
    if place in ("town", "night"):
        if dark or place == "night":
            d.ellipse((w * 0.75, h * 0.1, w * 0.75 + 90, h * 0.1 + 90), fill=225)
            for _ in range(25):
                sx, sy = rng.uniform(0, w), rng.uniform(0, h * 0.5)
                d.ellipse((sx, sy, sx + 4, sy + 4), fill=200)
        _houses(d, w, h * 0.8, c, rng, fill)
        d.line([(0, h * 0.8), (w, h * 0.8)], fill=c, width=4)
    elif place in ("room", "kitchen"):
        wx0, wy0, wx1, wy1 = w * 0.55, h * 0.08, w * 0.9, h * 0.45
        d.rectangle((wx0, wy0, wx1, wy1), fill=255 if tone != "rain" else 175, outline=c, width=6)
        d.line([((wx0 + wx1) / 2, wy0), ((wx0 + wx1) / 2, wy1)], fill=c, width=5)
        d.line([(wx0, (wy0 + wy1) / 2), (wx1, (wy0 + wy1) / 2)], fill=c, width=5)
        d.line([(0, h * 0.72), (w, h * 0.72)], fill=c, width=4)
        if place == "kitchen":
            d.rectangle((w * 0.05, h * 0.7, w * 0.95, h * 0.78), fill=fill, outline=c, width=5)
            for k in range(3):
                cx = w * (0.2 + 0.3 * k)
                d.ellipse((cx - 40, h * 0.66, cx + 40, h * 0.71), outline=c, width=4)
        else:
            d.rectangle((w * 0.04, h * 0.5, w * 0.3, h * 0.72), outline=c, width=4)  # desk
    elif place in ("street", "harbour", "rain"):
        horizon = h * 0.55
        d.line([(0, horizon), (w, horizon)], fill=c, width=4)
        if place == "harbour":
            for k in range(8):
                y = horizon + 25 + k * 30
                x = rng.uniform(0, w)
                d.arc((x, y, x + 80, y + 25), 200, 340, fill=c, width=3)
            d.polygon(
                [
                    (w * 0.12, horizon - 10),
                    (w * 0.28, horizon - 10),
                    (w * 0.25, horizon + 15),
                    (w * 0.15, horizon + 15),
                ],
                fill=fill,
                outline=c,
            )
            d.line([(w * 0.2, horizon - 10), (w * 0.2, horizon - 90)], fill=c, width=4)
        else:
            d.line([(w * 0.45, horizon), (0, h)], fill=c, width=4)
            d.line([(w * 0.55, horizon), (w, h)], fill=c, width=4)
            for px in (w * 0.1, w * 0.88):
                d.line([(px, horizon + 40), (px, h * 0.05)], fill=c, width=7)
                d.line([(px - 40, h * 0.12), (px + 40, h * 0.12)], fill=c, width=4)
            d.line([(0, h * 0.14), (w, h * 0.1)], fill=c, width=2)
    elif place == "school":
        d.rectangle((w * 0.05, h * 0.15, w * 0.95, h * 0.75), fill=fill, outline=c, width=5)
        for gx in range(int(w * 0.1), int(w * 0.9), 90):
            for gy in (h * 0.3, h * 0.5):
                d.rectangle((gx, gy, gx + 50, gy + 50), outline=c, width=3)
        d.ellipse(
            (w * 0.5 - 35, h * 0.16, w * 0.5 + 35, h * 0.16 + 70), fill=255, outline=c, width=4
        )
    elif place == "music":
        d.rectangle(
            (w * 0.02, h * 0.55, w * 0.45, h * 0.75),
            fill=60 if not dark else 90,
            outline=c,
            width=4,
        )
        for k in range(14):
            x = w * 0.04 + k * (w * 0.39 / 14)
            d.rectangle((x, h * 0.7, x + w * 0.025, h * 0.78), fill=255, outline=c, width=2)
        for _ in range(4):  # drifting notes
            x, y = rng.uniform(w * 0.05, w * 0.9), rng.uniform(h * 0.05, h * 0.4)
            d.ellipse((x, y + 30, x + 26, y + 48), fill=c)
            d.line([(x + 24, y + 38), (x + 24, y)], fill=c, width=4)
    elif place in ("alley", "stairs"):
        if place == "alley":
            d.line([(0, 0), (w * 0.35, h * 0.45), (w * 0.35, h * 0.75), (0, h)], fill=c, width=5)
            d.line([(w, 0), (w * 0.65, h * 0.45), (w * 0.65, h * 0.75), (w, h)], fill=c, width=5)
            for k in range(3):
                x = w * 0.1 + k * 70
                d.rectangle((x, h * 0.72, x + 55, h * 0.86), fill=fill, outline=c, width=4)
        else:
            n = 9
            for k in range(n):
                x, y = w * k / n, h * (0.9 - 0.7 * k / n)
                d.line([(x, y), (x + w / n, y), (x + w / n, y - h * 0.7 / n)], fill=c, width=5)
        if dark:
            for _ in range(12):  # speed lines
                y = rng.uniform(0, h)
                x = rng.uniform(-w * 0.2, w * 0.6)
                d.line(
                    [(x, y), (x + rng.uniform(w * 0.3, w * 0.7), y)],
                    fill=rng.choice((90, 140, 200)),
                    width=3,
                )
    elif place == "bridge":
        d.line([(0, h * 0.62), (w, h * 0.52)], fill=c, width=6)
        d.line([(0, h * 0.7), (w, h * 0.6)], fill=c, width=4)
        for k in range(12):
            x = k * w / 11
            d.line(
                [(x, h * 0.62 - x / w * h * 0.1), (x, h * 0.7 - x / w * h * 0.1)], fill=c, width=4
            )
        for k in range(6):
            y = h * 0.78 + k * 20
            d.line([(rng.uniform(0, w * 0.5), y), (rng.uniform(w * 0.5, w), y)], fill=c, width=2)
        if dark:
            d.ellipse((w * 0.1, h * 0.08, w * 0.1 + 80, h * 0.08 + 80), fill=220)
    elif place == "station":
        d.rectangle((0, h * 0.2, w, h * 0.62), fill=fill, outline=c, width=5)  # the train
        for wx in range(40, int(w) - 60, 130):
            d.rounded_rectangle(
                (wx, h * 0.27, wx + 90, h * 0.42), radius=10, fill=200, outline=c, width=4
            )
        d.line([(0, h * 0.66), (w, h * 0.66)], fill=c, width=6)
        d.rectangle((w * 0.35, h * 0.04, w * 0.65, h * 0.14), fill=250, outline=c, width=4)
    elif place in ("hill", "snow"):
        if place == "hill" and tone == "sunrise":
            sx, sy = w * 0.7, h * 0.62
            for k in range(16):
                a = math.radians(180 + 180 * k / 15)
                d.line(
                    [(sx, sy), (sx + 3 * w * math.cos(a), sy + 3 * w * math.sin(a))],
                    fill=235,
                    width=10,
                )
            d.ellipse((sx - 90, sy - 90, sx + 90, sy + 90), fill=252, outline=c, width=3)
        d.chord(
            (-w * 0.3, h * 0.6, w * 1.3, h * 1.6),
            180,
            360,
            fill=fill if tone != "sunrise" else 235,
            outline=c,
            width=5,
        )
        if place == "snow":
            for _ in range(60):
                sx, sy = rng.uniform(0, w), rng.uniform(0, h)
                d.ellipse((sx, sy, sx + 8, sy + 8), fill=255, outline=c)
        elif place == "hill":
            d.line([(w * 0.12, h * 0.68), (w * 0.12, h * 0.3)], fill=c, width=10)
            d.ellipse((w * 0.02, h * 0.12, w * 0.22, h * 0.38), fill=225, outline=c, width=4)
