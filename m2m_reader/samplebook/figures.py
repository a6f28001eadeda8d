"""Characters drawn simply: a body, a head, hair that tells them apart, and a face.

Faces are drawn so the emotion is readable at a glance, with the usual manga signs:
arched eyes for joy, tears for sadness, slanted brows and an anger mark for anger,
round eyes and an O mouth for surprise, sweat and a wavy mouth for fear, a squint and
a sour mouth for disgust. Coordinates are in the drawing's own pixels.
"""

from __future__ import annotations

import math

from PIL import ImageDraw

Point = tuple[float, float]
INK = 0
PAPER = 255


def _arc_points(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, n: int = 16):
    return [
        (
            cx + rx * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
            cy + ry * math.sin(math.radians(a0 + (a1 - a0) * i / n)),
        )
        for i in range(n + 1)
    ]


def _eyes(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, emotion: str, lw: int) -> None:
    ey = cy + 0.08 * r
    for side in (-1, 1):
        ex = cx + side * 0.38 * r
        if emotion == "happiness":  # closed, arched upwards
            d.line(
                _arc_points(ex, ey + 0.06 * r, 0.16 * r, 0.14 * r, 200, 340), fill=INK, width=lw + 2
            )
        elif emotion == "disgust":  # squeezed shut
            d.line(
                [(ex - 0.16 * r, ey), (ex + 0.16 * r, ey - side * 0.02 * r)], fill=INK, width=lw + 2
            )
            d.line(
                [(ex - 0.14 * r, ey + 0.06 * r), (ex + 0.1 * r, ey + 0.05 * r)], fill=INK, width=lw
            )
        elif emotion in ("surprise", "fear"):  # wide open, tiny pupils
            ew, eh = 0.17 * r, 0.2 * r
            d.ellipse((ex - ew, ey - eh, ex + ew, ey + eh), fill=PAPER, outline=INK, width=lw)
            p = 0.045 * r
            d.ellipse((ex - p, ey - p, ex + p, ey + p), fill=INK)
        else:
            ew, eh = 0.1 * r, 0.15 * r
            if emotion == "anger":
                eh = 0.1 * r
            d.ellipse((ex - ew, ey - eh, ex + ew, ey + eh), fill=INK)
            h = 0.035 * r
            d.ellipse(
                (ex - 0.03 * r - h, ey - 0.06 * r - h, ex - 0.03 * r + h, ey - 0.06 * r + h),
                fill=PAPER,
            )
            if emotion == "sadness":  # heavy lids
                d.line(
                    [(ex - 0.15 * r, ey - 0.1 * r), (ex + 0.15 * r, ey - 0.1 * r)],
                    fill=INK,
                    width=lw + 1,
                )


def _brows(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, emotion: str, lw: int) -> None:
    by = cy - 0.17 * r
    for side in (-1, 1):
        outer = cx + side * 0.58 * r
        inner = cx + side * 0.16 * r
        if emotion == "anger":  # inner ends pulled down hard
            pts = [(outer, by - 0.14 * r), (inner, by + 0.08 * r)]
        elif emotion in ("sadness", "fear"):  # inner ends raised
            pts = [(outer, by + 0.04 * r), (inner, by - 0.12 * r)]
        elif emotion == "surprise":
            pts = _arc_points((outer + inner) / 2, by - 0.08 * r, 0.2 * r, 0.08 * r, 190, 350, 8)
        elif emotion == "happiness":
            pts = _arc_points((outer + inner) / 2, by - 0.02 * r, 0.2 * r, 0.06 * r, 190, 350, 8)
        elif emotion == "disgust":  # one brow down, one up
            lift = 0.1 * r if side > 0 else -0.04 * r
            pts = [(outer, by - lift), (inner, by + 0.05 * r)]
        else:
            pts = [(outer, by - 0.02 * r), (inner, by - 0.02 * r)]
        d.line(pts, fill=INK, width=lw + 2)


def _mouth(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, emotion: str, lw: int) -> None:
    my = cy + 0.52 * r
    if emotion == "happiness":  # open smile
        d.pieslice((cx - 0.3 * r, my - 0.22 * r, cx + 0.3 * r, my + 0.22 * r), 0, 180, fill=INK)
        d.pieslice((cx - 0.16 * r, my + 0.04 * r, cx + 0.16 * r, my + 0.2 * r), 180, 360, fill=150)
    elif emotion == "sadness":  # turned down
        d.line(_arc_points(cx, my + 0.1 * r, 0.2 * r, 0.1 * r, 200, 340), fill=INK, width=lw + 1)
    elif emotion == "anger":  # shouting, teeth showing
        box = (cx - 0.26 * r, my - 0.14 * r, cx + 0.26 * r, my + 0.2 * r)
        d.rounded_rectangle(box, radius=0.08 * r, fill=INK)
        d.rectangle((cx - 0.2 * r, my - 0.1 * r, cx + 0.2 * r, my - 0.03 * r), fill=PAPER)
    elif emotion == "surprise":
        d.ellipse((cx - 0.1 * r, my - 0.13 * r, cx + 0.1 * r, my + 0.15 * r), fill=INK)
    elif emotion == "fear":  # wavy, trembling
        pts = [
            (cx - 0.26 * r + i * 0.065 * r, my + (0.05 * r if i % 2 else -0.05 * r))
            for i in range(9)
        ]
        d.line(pts, fill=INK, width=lw)
    elif emotion == "disgust":  # sour, pulled to one side, tongue out
        pts = [
            (cx - 0.24 * r, my + 0.02 * r),
            (cx - 0.08 * r, my - 0.04 * r),
            (cx + 0.06 * r, my + 0.03 * r),
            (cx + 0.24 * r, my - 0.07 * r),
        ]
        d.line(pts, fill=INK, width=lw + 1)
        d.pieslice(
            (cx - 0.05 * r, my - 0.06 * r, cx + 0.13 * r, my + 0.14 * r),
            0,
            180,
            fill=170,
            outline=INK,
            width=max(2, lw - 1),
        )
    else:
        d.line([(cx - 0.12 * r, my), (cx + 0.12 * r, my)], fill=INK, width=lw + 1)


def _signs(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, emotion: str, lw: int) -> None:
    """The manga marks around a face: tears, sweat, anger veins, shock lines."""
    if emotion == "sadness":
        for side in (-1, 1):
            x = cx + side * 0.4 * r
            y0 = cy + 0.22 * r
            d.line([(x, y0), (x + side * 0.02 * r, y0 + 0.3 * r)], fill=120, width=lw + 2)
            d.ellipse(
                (x - 0.06 * r, y0 + 0.28 * r, x + 0.06 * r, y0 + 0.44 * r),
                fill=PAPER,
                outline=INK,
                width=max(2, lw - 1),
            )
    elif emotion == "happiness":  # blush hatching
        for side in (-1, 1):
            x = cx + side * 0.55 * r
            for k in range(3):
                xx = x - 0.1 * r + k * 0.08 * r
                d.line(
                    [(xx + 0.04 * r, cy + 0.22 * r), (xx - 0.02 * r, cy + 0.34 * r)],
                    fill=110,
                    width=lw,
                )
    elif emotion == "anger":  # cross-popping vein
        vx, vy, s = cx + 0.62 * r, cy - 0.72 * r, 0.13 * r
        for ax, ay in ((-1, -1), (1, -1), (-1, 1), (1, 1)):
            d.arc(
                (vx + ax * s - s, vy + ay * s - s, vx + ax * s + s, vy + ay * s + s),
                {(-1, -1): 0, (1, -1): 90, (1, 1): 180, (-1, 1): 270}[(ax, ay)],
                {(-1, -1): 90, (1, -1): 180, (1, 1): 270, (-1, 1): 360}[(ax, ay)],
                fill=INK,
                width=lw + 1,
            )
    elif emotion == "surprise":  # shock lines above the head
        for k in (-1, 0, 1):
            a = math.radians(-90 + 25 * k)
            p0 = (cx + 1.15 * r * math.cos(a), cy + 1.15 * r * math.sin(a))
            p1 = (cx + 1.45 * r * math.cos(a), cy + 1.45 * r * math.sin(a))
            d.line([p0, p1], fill=INK, width=lw + 1)
    elif emotion == "fear":  # sweat drops and gloom lines
        for sx, sy in ((0.95, -0.2), (-1.0, 0.05), (1.05, 0.25)):
            x, y = cx + sx * r, cy + sy * r
            d.polygon(
                [(x, y - 0.16 * r), (x - 0.07 * r, y + 0.02 * r), (x + 0.07 * r, y + 0.02 * r)],
                fill=PAPER,
                outline=INK,
            )
            d.ellipse(
                (x - 0.07 * r, y - 0.04 * r, x + 0.07 * r, y + 0.09 * r),
                fill=PAPER,
                outline=INK,
                width=2,
            )
        for k in range(5):
            x = cx - 0.3 * r + k * 0.15 * r
            d.line([(x, cy - 0.48 * r), (x, cy - 0.28 * r)], fill=90, width=max(2, lw - 1))
    elif emotion == "disgust":  # gloom lines
        for k in range(6):
            x = cx - 0.45 * r + k * 0.18 * r
            d.line([(x, cy - 0.42 * r), (x, cy - 0.25 * r)], fill=100, width=max(2, lw - 1))


def draw_face(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, emotion: str) -> None:
    lw = max(3, round(r / 22))
    _eyes(d, cx, cy, r, emotion, lw)
    _brows(d, cx, cy, r, emotion, lw)
    _mouth(d, cx, cy, r, emotion, lw)
    _signs(d, cx, cy, r, emotion, lw)


def _hair_back(d: ImageDraw.ImageDraw, who: str, cx: float, cy: float, r: float, lw: int) -> None:
    if who == "haru":  # long dark hair down to the shoulders
        d.rounded_rectangle(
            (cx - 1.12 * r, cy - 0.9 * r, cx + 1.12 * r, cy + 1.55 * r),
            radius=0.6 * r,
            fill=40,
            outline=INK,
            width=lw,
        )
    elif who == "mio":  # twin tails
        for side in (-1, 1):
            x = cx + side * 1.15 * r
            d.ellipse(
                (x - 0.32 * r, cy - 0.2 * r, x + 0.32 * r, cy + 0.85 * r),
                fill=110,
                outline=INK,
                width=lw,
            )


def _hair_front(d: ImageDraw.ImageDraw, who: str, cx: float, cy: float, r: float, lw: int) -> None:
    if who == "haru":
        d.chord(
            (cx - 1.04 * r, cy - 1.06 * r, cx + 1.04 * r, cy + 0.2 * r),
            180,
            360,
            fill=40,
            outline=INK,
            width=lw,
        )
        d.polygon(
            [
                (cx - 0.3 * r, cy - 0.42 * r),
                (cx - 0.1 * r, cy - 0.65 * r),
                (cx + 0.1 * r, cy - 0.42 * r),
            ],
            fill=PAPER,
        )
        d.line(
            [(cx - 0.62 * r, cy - 0.82 * r), (cx - 0.3 * r, cy - 0.7 * r)], fill=200, width=lw + 2
        )  # shine
        d.ellipse(
            (cx + 0.55 * r, cy - 0.72 * r, cx + 0.8 * r, cy - 0.47 * r),
            fill=PAPER,
            outline=INK,
            width=lw,
        )  # clip
    elif who == "ren":  # spiky light hair
        pts = []
        for k in range(13):
            a = math.radians(180 + 180 * k / 12)
            rad = 1.3 * r if k % 2 else 0.98 * r
            pts.append((cx + rad * math.cos(a), cy - 0.15 * r + rad * math.sin(a)))
        pts += [
            (cx + 0.95 * r, cy - 0.42 * r),
            (cx + 0.3 * r, cy - 0.55 * r),
            (cx, cy - 0.4 * r),
            (cx - 0.3 * r, cy - 0.55 * r),
            (cx - 0.95 * r, cy - 0.42 * r),
        ]
        d.polygon(pts, fill=225, outline=INK, width=lw)
        d.line(
            [(cx - 0.4 * r, cy - 0.95 * r), (cx - 0.2 * r, cy - 0.6 * r)],
            fill=INK,
            width=max(2, lw - 1),
        )
        d.line(
            [(cx + 0.3 * r, cy - 1.0 * r), (cx + 0.15 * r, cy - 0.62 * r)],
            fill=INK,
            width=max(2, lw - 1),
        )
    elif who == "mio":
        d.chord(
            (cx - 1.02 * r, cy - 1.05 * r, cx + 1.02 * r, cy + 0.3 * r),
            180,
            360,
            fill=110,
            outline=INK,
            width=lw,
        )
        for side in (-1, 1):  # hair ties
            x = cx + side * 0.98 * r
            d.ellipse((x - 0.12 * r, cy - 0.28 * r, x + 0.12 * r, cy - 0.04 * r), fill=INK)
    elif who == "goro":  # a flat cap, stubble and a plaster
        d.chord(
            (cx - 1.05 * r, cy - 1.2 * r, cx + 1.05 * r, cy - 0.05 * r),
            180,
            360,
            fill=25,
            outline=INK,
            width=lw,
        )
        d.rectangle((cx - 1.25 * r, cy - 0.66 * r, cx + 0.4 * r, cy - 0.54 * r), fill=25)
        for k in range(14):
            a = math.radians(30 + 120 * k / 13)
            x, y = cx + 0.78 * r * math.cos(a), cy + 0.78 * r * math.sin(a)
            d.ellipse((x - 2, y - 2, x + 2, y + 2), fill=80)
        d.rectangle(
            (cx - 0.72 * r, cy + 0.22 * r, cx - 0.5 * r, cy + 0.34 * r),
            fill=PAPER,
            outline=INK,
            width=2,
        )


_OUTFIT = {"haru": 250, "ren": 45, "mio": 170, "goro": 30}


def draw_figure(
    d: ImageDraw.ImageDraw, who: str, emotion: str, cx: float, cy: float, r: float, floor: float
) -> tuple[tuple[float, float, float, float], tuple[float, float, float, float]]:
    """Draw one character with the head centred at (cx, cy), radius r, body down to floor.

    Returns (face box, body box) as (xmin, ymin, xmax, ymax) before clipping.
    """
    lw = max(3, round(r / 20))
    top = cy + 0.95 * r
    body = [
        (cx - 1.05 * r, top + 0.25 * r),
        (cx - 0.5 * r, top),
        (cx + 0.5 * r, top),
        (cx + 1.05 * r, top + 0.25 * r),
        (cx + 1.3 * r, floor),
        (cx - 1.3 * r, floor),
    ]
    _hair_back(d, who, cx, cy, r, lw)
    d.polygon(body, fill=_OUTFIT[who], outline=PAPER, width=lw + 6)  # halo on dark backgrounds
    d.polygon(body, fill=_OUTFIT[who], outline=INK, width=lw)
    if who == "haru":  # sailor collar and scarf
        d.polygon(
            [
                (cx - 0.95 * r, top + 0.25 * r),
                (cx, top + 0.9 * r),
                (cx + 0.95 * r, top + 0.25 * r),
                (cx + 0.5 * r, top),
                (cx - 0.5 * r, top),
            ],
            fill=60,
            outline=INK,
        )
        d.polygon(
            [(cx - 0.2 * r, top + 0.75 * r), (cx + 0.2 * r, top + 0.75 * r), (cx, top + 1.2 * r)],
            fill=160,
            outline=INK,
        )
    elif who == "ren":  # school jacket buttons
        for k in range(3):
            y = top + (0.45 + 0.45 * k) * r
            d.ellipse((cx - 0.07 * r, y - 0.07 * r, cx + 0.07 * r, y + 0.07 * r), fill=220)
    elif who == "mio":  # a star on the T-shirt
        pts = [
            (
                cx + (0.3 if k % 2 == 0 else 0.13) * r * math.cos(math.radians(-90 + 36 * k)),
                top
                + 0.75 * r
                + (0.3 if k % 2 == 0 else 0.13) * r * math.sin(math.radians(-90 + 36 * k)),
            )
            for k in range(10)
        ]
        d.polygon(pts, fill=PAPER, outline=INK)
    else:  # hoodie strings
        for side in (-1, 1):
            d.line(
                [(cx + side * 0.25 * r, top + 0.1 * r), (cx + side * 0.3 * r, top + 0.7 * r)],
                fill=200,
                width=lw,
            )
    d.rectangle(
        (cx - 0.22 * r, cy + 0.7 * r, cx + 0.22 * r, top + 0.05 * r),
        fill=PAPER,
        outline=INK,
        width=lw,
    )
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=PAPER, outline=INK, width=lw)
    _hair_front(d, who, cx, cy, r, lw)
    draw_face(d, cx, cy, r, emotion)
    face = (cx - 1.08 * r, cy - 1.1 * r, cx + 1.08 * r, cy + 1.05 * r)
    body_box = (cx - 1.3 * r, cy - 1.1 * r, cx + 1.3 * r, floor)
    return face, body_box
