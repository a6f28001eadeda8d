"""Drawing one two-page spread: panel layout, backgrounds, characters and balloons.

Everything is drawn at twice the final size and scaled down, which smooths the
line art. The drawing returns the boxes a Manga109 annotation needs, in final pixels.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from .balloons import Fitted, draw_item, fit, font
from .figures import draw_figure
from .scenery import GUTTER, draw_place, tone_image
from .story import Panel, Spread

WIDTH, HEIGHT = 1654, 1170  # a Manga109 spread
SCALE = 2
Box = tuple[int, int, int, int]
Rect = tuple[float, float, float, float]


@dataclass
class FigureMark:
    who: str
    emotion: str
    face: Box
    body: Box


@dataclass
class TextMark:
    text: str
    box: Box
    speaker: int | None  # index into the spread's figures, or None


@dataclass
class SpreadDrawing:
    image: Image.Image
    frames: list[Box] = field(default_factory=list)
    figures: list[FigureMark] = field(default_factory=list)
    texts: list[TextMark] = field(default_factory=list)


def _small(p: Panel) -> bool:
    return (
        not p.wide
        and len(p.cast) <= 1
        and len(p.lines) <= 1
        and sum(len(x.text) for x in p.lines) <= 44
    )


def layout_page(
    panels: list[Panel], x0: float, w: float, h: float, rng: random.Random
) -> list[Rect]:
    """Panel rectangles for one page, in reading order (rows top-down, right to left)."""
    rows: list[list[Panel]] = []
    i = 0
    while i < len(panels):
        if (
            i + 1 < len(panels)
            and _small(panels[i])
            and _small(panels[i + 1])
            and rng.random() < 0.8
        ):
            rows.append(panels[i : i + 2])
            i += 2
        else:
            rows.append([panels[i]])
            i += 1
    top, bottom, outer, inner, gut = 120, 150, 100, 70, 34
    left = x0 + (outer if x0 == 0 else inner)
    right = x0 + w - (inner if x0 == 0 else outer)
    weights = []
    for row in rows:
        wt = 1.0 + rng.uniform(-0.12, 0.12)
        if len(row) == 1 and not row[0].cast:
            wt *= 0.7
        elif len(row) == 1 and (len(row[0].cast) > 1 or len(row[0].lines) > 1):
            wt *= 1.15
        weights.append(wt)
    avail = h - top - bottom - gut * (len(rows) - 1)
    rects: list[Rect] = []
    y = float(top)
    for row, wt in zip(rows, weights, strict=True):
        rh = avail * wt / sum(weights)
        if len(row) == 1:
            rects.append((left, y, right, y + rh))
        else:
            split = right - (right - left - gut) * rng.uniform(0.45, 0.58)
            rects.append((split, y, right, y + rh))
            rects.append((left, y, split - gut, y + rh))
        y += rh + gut
    return rects


def _place_items(
    panel: Panel, w: float, h: float, lang: str = "en"
) -> list[tuple[Fitted, float, float]]:
    """Centres for the panel's balloons: across the top, first one on the right."""
    lines = panel.lines
    if not lines:
        return []
    placed = []
    if panel.close and panel.cast:
        x_lo = w * 0.56
        fitted = [fit(line, w - x_lo - 24, h / len(lines) - 40, lang) for line in lines]
        total = sum(it.outer[1] + 24 for it in fitted)
        y = max(30.0, min(h * 0.3, h * 0.5 - total / 2))
        for it in fitted:
            ow, oh = it.outer
            placed.append((it, x_lo + min((w - x_lo - 24) / 2, ow / 2 + 40), y + oh / 2))
            y += oh + 24
        return placed
    room_h = h * (0.62 if panel.cast else 0.9)
    slot = (w - 40) / len(lines)
    for i, line in enumerate(lines):
        it = fit(line, slot - 16, room_h - 40, lang)
        ow, oh = it.outer
        cx = w - 20 - slot * (i + 0.5)
        if line.kind == "narration" and i == 0:
            cx = w - 24 - ow / 2
        cy = 26 + oh / 2 + (i % 2) * min(36, max(0.0, room_h - oh - 40))
        if not panel.cast and line.kind == "sfx":
            cy = h / 2
        placed.append((it, cx, cy))
    return placed


def draw_panel(panel: Panel, w: int, h: int, tone: str, rng: random.Random, lang: str = "en"):
    """Draw one panel; returns the image and marks in panel pixels."""
    im = tone_image(tone, w, h, rng)
    draw_place(im, panel.place, tone, rng)
    d = ImageDraw.Draw(im)
    items = _place_items(panel, w, h, lang)
    heads: list[tuple[float, float, float]] = []
    figures = []
    n = len(panel.cast)
    if panel.close and n:
        r = min(0.3 * h, 0.22 * w)
        heads.append((w * 0.3, h * 0.56, r))
    elif n:
        zone = max((cy + it.outer[1] / 2 for it, _, cy in items), default=0.0) + 16
        r = min(0.2 * h, w / (n * 3.0), 130.0)
        r = max(min(r, (h - zone) / 2.9), min(r, 52.0))
        cy = min(max(zone + 1.2 * r, h - 2.4 * r), h - 1.5 * r)
        gap = (cy - 1.3 * r) - zone
        if gap > 0:  # bring the balloons down towards the heads
            items = [(it, x, y + 0.75 * gap) for it, x, y in items]
        # the first to speak stands on the right, where reading starts
        speakers = [ln.who for ln in panel.lines if ln.who is not None]
        order = sorted(
            range(n),
            key=lambda k: (
                speakers.index(panel.cast[k].who) if panel.cast[k].who in speakers else n + k
            ),
        )
        slots = {actor: pos for pos, actor in enumerate(order)}
        for i in range(n):
            frac = 1 - (slots[i] + 0.5) / n
            if n == 1:
                frac = 0.5 + rng.uniform(-0.15, 0.15)
            heads.append((w * frac, cy + rng.uniform(-0.08, 0.08) * r, r))
    for actor, (hx, hy, r) in zip(panel.cast, heads, strict=True):
        face, body = draw_figure(d, actor.who, actor.emotion, hx, hy, r, h + 20)
        figures.append((actor.who, actor.emotion, face, body))
    texts = []
    for it, cx, cy in items:
        speaker = None
        target = None
        if it.line.who is not None:
            speaker = next(i for i, a in enumerate(panel.cast) if a.who == it.line.who)
            hx, hy, r = heads[speaker]
            # aim at the head, stopping short of it
            dx, dy = hx - cx, hy - cy
            dist = max(1.0, (dx * dx + dy * dy) ** 0.5)
            stop = max(0.0, dist - 1.25 * r)
            target = (cx + dx * stop / dist, cy + dy * stop / dist)
        box = draw_item(im, it, cx, cy, target)
        texts.append((it.line.text, box, speaker))
    return im, figures, texts


def _shift(
    b: tuple[float, float, float, float], dx: float, dy: float
) -> tuple[float, float, float, float]:
    return (b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy)


def _clip(b: tuple[float, float, float, float], r: Rect) -> Box:
    x0, y0, x1, y1 = (max(b[0], r[0]), max(b[1], r[1]), min(b[2], r[2]), min(b[3], r[3]))
    return (round(x0 / SCALE), round(y0 / SCALE), round(x1 / SCALE), round(y1 / SCALE))


def draw_spread(
    spread: Spread, tone: str, number: int, seed: int, lang: str = "en"
) -> SpreadDrawing:
    """Draw spread `number` (0-based); its right page is read first. `lang` "ja"
    letters the balloons vertically in a CJK font."""
    rng = random.Random(seed * 1009 + number)
    W, H = WIDTH * SCALE, HEIGHT * SCALE
    canvas = Image.new("L", (W, H), GUTTER[tone])
    cd = ImageDraw.Draw(canvas)
    out = SpreadDrawing(canvas)
    border = 200 if tone == "night" else 0
    for page, (panels, x0) in enumerate(((spread.right, W // 2), (spread.left, 0))):
        rects = layout_page(panels, x0, W // 2, H, rng)
        for panel, rect in zip(panels, rects, strict=True):
            x_a, y_a, x_b, y_b = (round(v) for v in rect)
            im, figures, texts = draw_panel(panel, x_b - x_a, y_b - y_a, tone, rng, lang)
            canvas.paste(im, (x_a, y_a))
            cd.rectangle((x_a, y_a, x_b, y_b), outline=border, width=7)
            out.frames.append(_clip((x_a, y_a, x_b, y_b), rect))
            base = len(out.figures)
            for who, emotion, face, body in figures:
                face_at, body_at = _shift(face, x_a, y_a), _shift(body, x_a, y_a)
                out.figures.append(
                    FigureMark(who, emotion, _clip(face_at, rect), _clip(body_at, rect))
                )
            for text, box, speaker in texts:
                moved = _shift(box, x_a, y_a)
                out.texts.append(
                    TextMark(text, _clip(moved, rect), None if speaker is None else base + speaker)
                )
        folio = str(2 * number + page + 1)
        f = font(34)
        fx = x0 + W // 4 - f.getlength(folio) / 2
        cd.text(
            (fx, H - 100), folio, font=f, fill=255 - GUTTER[tone] // 2 if tone == "night" else 90
        )
    out.image = canvas.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    return out
