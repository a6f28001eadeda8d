"""Balloons found from their lettering, for scans and paintings whose balloons are not
paper white: a pale tint, a grey balloon on a night sky, a light gradient, a balloon
that touches a lit window.

Dark letters standing on an even, lighter ground (the drawing's strokes stand on
texture) are joined into lines and blocks; each block's ground grey is grown into the
region of that grey around it, from the widest tolerance down, until the region is a
compact shape around its lettering (its tail opened away) that neither leaks into the
picture nor reaches the page's edge. A balloon the bright-region finder already has
is kept, unless the grown one holds it whole (it had found a part of a gradient).
"""

from __future__ import annotations

import cv2
import numpy as np

from .regions import MAX_AREA, MIN_AREA, Box, Region, balloon_from_mask, contains

TOLERANCES = (30, 20, 12)  # grey levels around the ground that still are the balloon


def _disc(size: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def lettering(grey: np.ndarray) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """Letter strokes on an even light ground (a mask), and their blocks:
    (letters, count, labels, stats) of the joined blocks."""
    h, w = grey.shape
    block = max(15, int(0.03 * h) | 1)
    ink = cv2.adaptiveThreshold(
        grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 40
    )
    n, labels, stats, cents = cv2.connectedComponentsWithStats(ink, connectivity=8)
    hs, ws = stats[:, 3], stats[:, 2]
    fill = stats[:, 4] / np.maximum(1, hs * ws)
    keep = (hs >= 0.004 * h) & (hs <= 0.03 * h) & (ws <= 0.06 * h) & (fill > 0.1)
    keep[0] = False
    # with the letters closed away, the grey around them is light and flat
    k = max(3, int(0.012 * h)) | 1
    closed = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    flat = closed.astype(np.float32)
    win = (max(3, int(0.02 * h)) | 1,) * 2
    mean = cv2.boxFilter(flat, -1, win)
    spread = np.sqrt(np.maximum(cv2.boxFilter(flat * flat, -1, win) - mean * mean, 0))
    even = (closed > 110) & (spread < 12)
    cx = np.clip(cents[:, 0].astype(np.int32), 0, w - 1)
    cy = np.clip(cents[:, 1].astype(np.int32), 0, h - 1)
    keep &= even[cy, cx]
    letters = keep[labels].astype(np.uint8)
    gap = max(3, int(0.01 * h))
    joined = cv2.dilate(letters, np.ones((gap, 2 * gap), np.uint8))
    m, blocks, bstats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    return letters, m, blocks, bstats


def find_lettered_balloons(grey: np.ndarray, found: list[Region]) -> list[Region]:
    """`found` (the bright-region balloons) with the balloons grown from lettering."""
    h, w = grey.shape
    page = float(h * w)
    letters, m, blocks, stats = lettering(grey)
    out = list(found)
    for i in range(1, m):
        x, y, bw, bh, _ = (int(v) for v in stats[i])
        if bw < 0.02 * h or bh < 0.008 * h or bw * bh > MAX_AREA * page:
            continue
        box = (x, y, x + bw, y + bh)
        centre = ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)
        holders = [r for r in out if _holds(r.box, centre)]
        if any(r.kind != "balloon" or _white(grey, r) for r in holders):
            continue  # in a paper-white balloon or a caption box: found whole already
        region = _grow(grey, blocks, i, letters, box, page)
        if region is None:
            continue
        size = int(region.mask.sum())
        overlap = [r for r in out if _overlap(r.box, region.box) > 0.5]
        if any(int(r.mask.sum()) * 1.15 >= size for r in overlap):
            continue  # a balloon already found, as large
        out = [r for r in out if r not in overlap] + [region]
    return out


def _overlap(a: Box, b: Box) -> float:
    """The share of the smaller box that the two boxes have in common."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return iw * ih / max(1, small)


def _white(grey: np.ndarray, r: Region) -> bool:
    x0, y0, x1, y1 = r.box
    inside = grey[y0:y1, x0:x1][r.mask]
    return bool(inside.size and np.median(inside) >= 235)


def _holds(box: Box, point: tuple[int, int]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def _ground(grey: np.ndarray, near: np.ndarray, word: np.ndarray, pad: int) -> float | None:
    """The even light grey around a block of letters, None when it is not one."""
    ring = cv2.dilate(near, np.ones((pad, pad), np.uint8)).astype(bool) & ~near.astype(bool)
    values = grey[ring]
    if values.size < 20 or cv2.connectedComponents(word)[0] - 1 < 3:
        return None  # a word has a few letters
    ground = float(np.median(values))
    lo, hi = np.percentile(values, [15, 85])
    if ground < 110 or hi - lo > 45 or ground - float(np.median(grey[word > 0])) < 70:
        return None
    return ground


def _grow(
    grey: np.ndarray, blocks: np.ndarray, i: int, letters: np.ndarray, box: Box, page: float
) -> Region | None:
    """The balloon around block `i` of lettering (in the `blocks` labels), or None."""
    h, w = grey.shape
    pad = max(4, int(0.008 * h))
    bw, bh = box[2] - box[0], box[3] - box[1]
    # a balloon is not much larger than its lettering: look only around it
    wx0, wy0 = max(0, box[0] - 2 * bw), max(0, box[1] - 2 * bh - 4 * pad)
    wx1, wy1 = min(w, box[2] + 2 * bw), min(h, box[3] + 2 * bh + 4 * pad)
    win = grey[wy0:wy1, wx0:wx1]
    near = (blocks[wy0:wy1, wx0:wx1] == i).astype(np.uint8)
    ground = _ground(win, near, near & letters[wy0:wy1, wx0:wx1], pad)
    if ground is None:
        return None
    ring = cv2.dilate(near, np.ones((pad, pad), np.uint8)).astype(bool) & ~near.astype(bool)
    inner = (box[0] - wx0, box[1] - wy0, box[2] - wx0, box[3] - wy0)
    for tol in TOLERANCES:
        even = (np.abs(win.astype(np.int16) - int(ground)) <= tol).astype(np.uint8)
        _, labels = cv2.connectedComponents(even, connectivity=4)
        seeds = labels[ring]
        seeds = seeds[seeds > 0]
        if seeds.size == 0:
            continue
        sub = (labels == int(np.bincount(seeds).argmax())).astype(np.uint8)
        contours, _ = cv2.findContours(sub, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(sub, contours, -1, 1, thickness=-1)  # the letters' holes filled
        sub = cv2.morphologyEx(sub, cv2.MORPH_OPEN, _disc(2 * pad))  # the tail away
        contours, _ = cv2.findContours(sub, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not contours:
            continue
        outline = max(contours, key=cv2.contourArea)
        ox, oy, ow, oh = cv2.boundingRect(outline)
        if ox == 0 or oy == 0 or ox + ow >= win.shape[1] or oy + oh >= win.shape[0]:
            continue  # it runs on past the window: the picture, or the page's edge
        area = cv2.contourArea(outline)
        if not MIN_AREA * page <= area <= MAX_AREA * page:
            continue
        if area < 0.8 * cv2.contourArea(cv2.convexHull(outline)):
            continue  # ragged: it leaked into the drawing
        if not contains((ox, oy, ox + ow, oy + oh), inner):
            continue
        mask = np.zeros((oh, ow), np.uint8)
        cv2.drawContours(mask, [outline], -1, 1, thickness=-1, offset=(-ox, -oy))
        part = win[oy : oy + oh, ox : ox + ow]
        mask &= (np.abs(part.astype(np.int16) - int(ground)) <= tol).astype(np.uint8)
        x, y = wx0 + ox, wy0 + oy
        return balloon_from_mask(grey, (x, y, x + ow, y + oh), mask, int(mask.sum()))
    return None
