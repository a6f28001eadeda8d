"""Panels and what the pictures show: the visual evidence of a page.

Panels are what the gutters leave: the gutter colour is read from the page's margin
(white or black); the gutter is the margin-coloured area reaching the page's edge
(frame lines close each panel off from it, even when the panel is as white as the
gutter), and the large pieces left are panels. A page
with no margin is one full-bleed panel.

Per page and per panel: darkness and contrast, screentone (the density of tiny
isolated dots), edge density and long straight lines (speed lines
and action), panel count and sizes (many small panels is a fast pace), and full-bleed
black panels.
"""

from __future__ import annotations

import cv2
import numpy as np

from .record import PanelEvidence

Box = tuple[int, int, int, int]
MIN_PANEL = 0.015  # of the page area


def gutter_colour(grey: np.ndarray) -> int | None:
    """The margin's grey when the page has a uniform margin, else None (full bleed)."""
    h, w = grey.shape
    m = max(2, int(0.012 * min(h, w)))
    border = np.concatenate(
        [grey[:m].ravel(), grey[-m:].ravel(), grey[:, :m].ravel(), grey[:, -m:].ravel()]
    )
    value = int(np.median(border))
    if float(np.mean(np.abs(border.astype(np.int16) - value) < 30)) < 0.85:
        return None
    return value


def find_panels(grey: np.ndarray) -> list[Box]:
    """Panel boxes (x0, y0, x1, y1), unordered."""
    h, w = grey.shape
    gutter = gutter_colour(grey)
    if gutter is None:
        return [(0, 0, w, h)]
    like = (np.abs(grey.astype(np.int16) - gutter) <= 24).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(like, connectivity=4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    outside = np.isin(labels, edge[edge > 0])  # the gutter: margin-coloured, reaching the edge
    k = max(3, int(0.004 * min(h, w)))
    art = cv2.morphologyEx((~outside).astype(np.uint8), cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(art, connectivity=4)
    boxes = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if bw * bh >= MIN_PANEL * h * w and area >= 0.3 * bw * bh:
            boxes.append((x, y, x + bw, y + bh))
    boxes = [b for b in boxes if not any(_inside(b, o) for o in boxes if o != b)]
    return boxes or [(0, 0, w, h)]


def _inside(a: Box, b: Box) -> bool:
    return a[0] >= b[0] and a[1] >= b[1] and a[2] <= b[2] and a[3] <= b[3]


def _long_lines(edges: np.ndarray) -> np.ndarray:
    """Long slanted straight lines (x0, y0, x1, y1); frames and houses are level or plumb,
    speed lines mostly are not."""
    size = min(edges.shape)
    lines = cv2.HoughLinesP(
        edges, 1, np.pi / 180, threshold=60, minLineLength=int(0.12 * size), maxLineGap=4
    )
    if lines is None:
        return np.zeros((0, 4), np.int32)
    lines = np.asarray(lines).reshape(-1, 4).astype(np.int32)
    dx = np.abs(lines[:, 2] - lines[:, 0])
    dy = np.abs(lines[:, 3] - lines[:, 1])
    return lines[np.minimum(dx, dy) > 0.12 * np.maximum(dx, dy)]


def _tone_dots(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """Centres of screentone dots (tiny, isolated, darker than paper) and the area one
    dot of a dense tone stands for: dots times that area over a panel's area is its
    screentone density."""
    h = grey.shape[0]
    side = max(3, int(0.008 * h))
    n, _, stats, cents = cv2.connectedComponentsWithStats(
        (grey < 235).astype(np.uint8), connectivity=8
    )
    st = stats[1:]
    tiny = (st[:, 2] <= side) & (st[:, 3] <= side) & (st[:, 4] >= 2)
    return cents[1:][tiny], (1.6 * side) ** 2


WORK_H = 700  # evidence is measured on the page scaled to this height


def evidence(grey: np.ndarray, boxes: list[Box]) -> tuple[PanelEvidence, list[PanelEvidence]]:
    """The visual evidence of the whole page and of each panel box."""
    h, w = grey.shape
    k = min(1.0, WORK_H / h)
    small = grey if k == 1.0 else cv2.resize(grey, (max(1, int(w * k)), max(1, int(h * k))))
    f = small.astype(np.float32) / 255.0
    edges = cv2.Canny(small, 60, 160)
    dots, cell = _tone_dots(grey)
    lines = _long_lines(edges)
    mids = np.stack([(lines[:, 0] + lines[:, 2]) / 2, (lines[:, 1] + lines[:, 3]) / 2], 1)
    xs, ys = (lines[:, 2] - lines[:, 0]).astype(float), (lines[:, 3] - lines[:, 1]).astype(float)

    def one(box: Box) -> PanelEvidence:
        x0, y0, x1, y1 = (int(v * k) for v in box)
        x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
        g, e = f[y0:y1, x0:x1], edges[y0:y1, x0:x1]
        if g.size == 0:
            return PanelEvidence(box=box)
        bx0, by0, bx1, by1 = box
        in_box = (dots[:, 0] >= bx0) & (dots[:, 0] < bx1) & (dots[:, 1] >= by0) & (dots[:, 1] < by1)
        tone = in_box.sum() * cell / max(1, (bx1 - bx0) * (by1 - by0))
        dark = float((g < 0.25).mean())
        inside = (mids[:, 0] >= x0) & (mids[:, 0] < x1) & (mids[:, 1] >= y0) & (mids[:, 1] < y1)
        angles = np.degrees(np.arctan2(ys[inside], xs[inside])) % 180.0
        # speed lines come in bundles: many lines at one slant
        bundle = (
            int(np.bincount((angles // 12).astype(int), minlength=15).max()) if len(angles) else 0
        )
        return PanelEvidence(
            box=box,
            area=round((box[2] - box[0]) * (box[3] - box[1]) / max(1, h * w), 4),
            brightness=round(float(g.mean()), 4),
            contrast=round(float(g.std()), 4),
            dark=round(dark, 4),
            screentone=round(float(np.clip(tone, 0.0, 1.0)), 4),
            edges=round(float(e.mean() / 255.0), 4),
            speed_lines=bundle if bundle >= 5 else 0,
            black=dark > 0.85,
        )

    return one((0, 0, w, h)), [one(b) for b in boxes]
