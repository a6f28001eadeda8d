"""Where the text on a page may be: speech balloons and loose lettering.

Balloons are bright regions enclosed by an outline, big enough to hold a word, with
dark strokes inside them that are the size of letters. Loose lettering (sound effects,
captions drawn on the art) is a cluster of letter-sized strokes outside every balloon;
large, slanted or outlined clusters are sound effects. Nothing here reads text: these
are candidates that the OCR step confirms or drops, so a face (also a bright enclosed
region with dark marks) costs one cheap OCR call and is then discarded.

All sizes are fractions of the page, so scans of any resolution behave alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BRIGHT = 200  # grey level a balloon's inside is brighter than
MIN_AREA = 0.0012  # of the page: the smallest balloon
MAX_AREA = 0.25  # of the page: anything larger is background or a gutter
Box = tuple[int, int, int, int]  # x0, y0, x1, y1


@dataclass
class Region:
    """A place that may hold text."""

    box: Box
    mask: np.ndarray  # bool, the region's inside, same shape as the box
    kind: str  # "balloon", "box" (a rectangular caption) or "loose"
    shape: str = ""  # "round", "spiky" or "box" for balloons; "" for loose text
    glyph: float = 0.0  # median height of the strokes inside, in pixels
    vertical: bool = False  # strokes stacked in columns (vertical Japanese)
    strokes: int = 0  # letter-sized strokes inside


def _strokes(grey: np.ndarray, inside: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Dark connected strokes (x, y, w, h) fully inside a region's mask."""
    dark = ((grey < 128) & inside).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    return [
        (int(stats[i][0]), int(stats[i][1]), int(stats[i][2]), int(stats[i][3]))
        for i in range(1, n)
        if stats[i][4] >= 4
    ]


def _letter_like(strokes: list[tuple[int, int, int, int]], page_h: int) -> list:
    lo, hi = 0.006 * page_h, 0.09 * page_h
    return [s for s in strokes if lo <= s[3] <= hi and s[2] <= 2.5 * hi]


def _valleys(ink: np.ndarray, axis: int) -> list[int]:
    """Widths of the empty stripes across the ink's span (gaps between lines or columns)."""
    filled = np.asarray(ink.any(axis=axis))
    idx = np.flatnonzero(filled)
    if len(idx) < 2:
        return []
    span = filled[idx[0] : idx[-1] + 1].astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[1], span, [1]])))
    return [int(b - a) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _vertical(ink: np.ndarray, glyph: float) -> bool:
    """True when the lettering stands in columns (vertical Japanese).

    Between columns run empty vertical stripes about half a letter wide; between the
    letters of a column the empty rows are narrow. English lines are the other way
    round. A single column has no stripes: it is tall, with narrow gaps.
    """
    ys, xs = np.nonzero(ink)
    if len(xs) < 10:
        return False
    across, down = _valleys(ink, 0), _valleys(ink, 1)
    gap_down = float(np.median(down)) if down else 0.0
    if across:
        return float(np.median(across)) > 1.3 * gap_down and max(across) >= 0.25 * glyph
    tall = (ys.max() - ys.min() + 1) / (xs.max() - xs.min() + 1)
    return tall > 1.4 and gap_down < 0.3 * glyph


def _shape(contour: np.ndarray, area: float) -> str:
    x, y, w, h = cv2.boundingRect(contour)
    if area / max(1.0, w * h) > 0.93:
        return "box"
    # Spikes add outline without adding area; a tail adds little of either.
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(contour, True)
    jag = perimeter / max(1.0, cv2.arcLength(hull, True))
    if jag <= 1.18:
        return "round"
    # A shout's outline is notched all the way round; a pale balloon run together with
    # a lit window behind it has a few deep bays on one side, and is not a shout.
    try:
        defects = cv2.convexityDefects(contour, cv2.convexHull(contour, returnPoints=False))
    except cv2.error:  # a self-touching outline
        defects = None
    if defects is None:
        return "round"
    d = defects.reshape(-1, 4)
    deep = contour.reshape(-1, 2)[d[d[:, 3] / 256.0 > 0.01 * perimeter, 2]]
    if len(deep) < 6:
        return "round"
    m = cv2.moments(contour)
    cx, cy = m["m10"] / max(1e-6, m["m00"]), m["m01"] / max(1e-6, m["m00"])
    angles = np.arctan2(deep[:, 1] - cy, deep[:, 0] - cx)
    sectors = {int((a + np.pi) / (2 * np.pi) * 8) % 8 for a in angles}
    return "spiky" if len(sectors) >= 6 else "round"  # notches all the way round


Parts = tuple[int, np.ndarray, np.ndarray]  # count, labels, stats of bright regions


def bright_parts(grey: np.ndarray) -> Parts:
    """Connected bright regions (balloons, faces, light backgrounds), shared by the finders."""
    bright = (grey > BRIGHT).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=4)
    return n, labels, stats


def find_balloons(grey: np.ndarray, parts: Parts | None = None) -> list[Region]:
    """Bright enclosed regions holding letter-sized strokes, largest first."""
    h, w = grey.shape
    page = float(h * w)
    n, labels, stats = parts if parts is not None else bright_parts(grey)
    out: list[Region] = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if area < MIN_AREA * page or bw * bh > MAX_AREA * page:
            continue
        if x == 0 or y == 0 or x + bw >= w or y + bh >= h:
            continue  # touches the edge: background, not an enclosed balloon
        sub = (labels[y : y + bh, x : x + bw] == i).astype(np.uint8)
        region = balloon_from_mask(grey, (x, y, x + bw, y + bh), sub, int(area))
        if region is not None:
            out.append(region)
    # A panel's light background encloses its balloons and faces: it is not one.
    out = [r for r in out if not any(o is not r and contains(r.box, o.box) for o in out)]
    out.sort(key=lambda r: -(r.box[2] - r.box[0]) * (r.box[3] - r.box[1]))
    return out


def balloon_from_mask(grey: np.ndarray, box: Box, sub: np.ndarray, area: int) -> Region | None:
    """A balloon from a bright region's mask (`sub`, the size of `box`), or None when
    the region is mostly holes or holds no letters."""
    x, y, x1, y1 = box
    h = grey.shape[0]
    contours, _ = cv2.findContours(sub, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    filled = np.zeros_like(sub)
    cv2.drawContours(filled, [contour], -1, 1, thickness=-1)
    outer = float(filled.sum())
    if area / max(1.0, outer) < 0.55:
        return None  # mostly holes: a drawing, not a balloon
    inside = cv2.erode(filled, np.ones((3, 3), np.uint8)).astype(bool)
    crop = grey[y:y1, x:x1]
    letters = _letter_like(_strokes(crop, inside), h)
    if not letters:
        return None
    shape = _shape(contour, outer)
    glyph = float(np.median([s[3] for s in letters]))
    return Region(
        box=box,
        mask=inside,
        kind="box" if shape == "box" else "balloon",
        shape=shape,
        glyph=glyph,
        vertical=_vertical((crop < 128) & inside, glyph),
        strokes=len(letters),
    )


def contains(a: Box, b: Box) -> bool:
    return a[0] <= b[0] and a[1] <= b[1] and a[2] >= b[2] and a[3] >= b[3]


def find_loose_text(grey: np.ndarray, taken: list[Region]) -> list[Region]:
    """Clusters of letter-sized strokes outside every balloon (sound effects, notes).

    Letters are found both dark on light and light on dark (outlined lettering), then
    joined by closing gaps about one letter wide.
    """
    h, w = grey.shape
    free = np.ones((h, w), bool)
    for r in taken:
        x0, y0, x1, y1 = r.box
        free[y0:y1, x0:x1] &= ~r.mask
    big = max(3, int(0.012 * h))
    clusters = np.zeros((h, w), np.uint8)
    heights = np.zeros((h, w), np.float32)  # each kept stroke's height, where it is
    centres: list[np.ndarray] = []
    for ink in (grey < 90, grey > 215):
        layer = (ink & free).astype(np.uint8)
        n, labels, stats, cents = cv2.connectedComponentsWithStats(layer, connectivity=8)
        hs, ws = stats[:, 3], stats[:, 2]
        keep = (hs >= 0.02 * h) & (hs <= 0.14 * h) & (ws <= 0.12 * h) & (stats[:, 4] >= 20)
        keep[0] = False
        # a letter fills part of its box; solid blocks and long lines are drawing
        fill = stats[:, 4] / np.maximum(1, hs * ws)
        keep &= (fill > 0.12) & (fill < 0.75)
        clusters |= keep[labels].astype(np.uint8)
        heights = np.maximum(heights, np.where(keep, hs, 0).astype(np.float32)[labels])
        centres.append(cents[keep].astype(np.int32))
    if not clusters.any():
        return []
    joined = cv2.morphologyEx(clusters, cv2.MORPH_CLOSE, np.ones((big, 2 * big), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    pts = np.concatenate(centres) if centres else np.zeros((0, 2), np.int32)
    pts = np.clip(pts, 0, [w - 1, h - 1])
    letters = np.bincount(labels[pts[:, 1], pts[:, 0]], minlength=n)
    out = []
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if bh < 0.025 * h or bw < 0.04 * h or bw * bh > MAX_AREA * h * w:
            continue
        if letters[i] < 3:
            continue  # a word has a few letters (and each letter outline and counter)
        pad = big
        x0, y0 = max(0, x - pad), max(0, y - pad)
        x1, y1 = min(w, x + bw + pad), min(h, y + bh + pad)
        mask = cv2.dilate((labels[y0:y1, x0:x1] == i).astype(np.uint8), np.ones((pad, pad)))
        inside = heights[y0:y1, x0:x1][(labels[y0:y1, x0:x1] == i) & (clusters[y0:y1, x0:x1] > 0)]
        glyph = float(np.median(inside[inside > 0])) if (inside > 0).any() else 0.7 * bh
        out.append(Region(box=(x0, y0, x1, y1), mask=mask.astype(bool), kind="loose", glyph=glyph))
    out.sort(key=lambda r: -(r.box[2] - r.box[0]) * (r.box[3] - r.box[1]))
    return out
