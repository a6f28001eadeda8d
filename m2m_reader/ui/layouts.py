"""Which pages go together on screen: single, double and automatic layouts.

A *spread* is the tuple of page indices shown at once, in reading order. In double
layout pages pair up, except that a wide page (a two-page scan) always stands alone and,
with the cover offset on, the first page stands alone so that the pairs match the
printed book. Automatic layout is double when the view is landscape, single otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Literal

Layout = Literal["single", "double", "auto"]
Fit = Literal["page", "width", "height", "none"]
LAYOUTS: tuple[Layout, ...] = ("single", "double", "auto")
FITS: tuple[Fit, ...] = ("page", "width", "height", "none")
FIT_NAMES = {"page": "Fit page", "width": "Fit width", "height": "Fit height", "none": "Original"}

# A view wider than this (width / height) shows two pages side by side in auto layout.
AUTO_DOUBLE_ASPECT = 1.15
# Pages this many times taller than wide (their median) make a long strip: a webtoon.
LONG_STRIP_RATIO = 2.0


def is_long_strip(sizes: Sequence[tuple[int | None, int | None]]) -> bool:
    """True for a book whose pages (width, height; None where unknown) are long strips,
    read best in the continuous vertical mode."""
    ratios = sorted(h / w for w, h in sizes if w and h)
    return bool(ratios) and ratios[len(ratios) // 2] >= LONG_STRIP_RATIO


def effective_layout(
    layout: Layout, view_width: int, view_height: int
) -> Literal["single", "double"]:
    if layout == "auto":
        if view_height <= 0:
            return "single"
        return "double" if view_width / view_height >= AUTO_DOUBLE_ASPECT else "single"
    return layout


def spreads(
    wide: Sequence[bool],
    layout: Literal["single", "double"],
    cover_offset: bool = True,
    shifts: Collection[int] = (),
) -> list[tuple[int, ...]]:
    """Group pages into spreads.

    Args:
        wide: per page in reading order, True for a page to show alone (a spread scan).
        layout: "single" or "double" (resolve "auto" with `effective_layout` first).
        cover_offset: in double layout, show the first page alone.
        shifts: pages shown alone to move the pairing after them by one page (a book
            whose pairs go wrong mid-way, after an insert or a missing page).
    """
    n = len(wide)
    if layout == "single":
        return [(i,) for i in range(n)]
    out: list[tuple[int, ...]] = []
    i = 0
    while i < n:
        alone = wide[i] or (i == 0 and cover_offset) or i in shifts or i == n - 1 or wide[i + 1]
        if alone:
            out.append((i,))
            i += 1
        else:
            out.append((i, i + 1))
            i += 2
    return out


def spread_of(groups: Sequence[tuple[int, ...]], page: int) -> int:
    """The index of the spread holding `page` (0 for an empty book)."""
    for k, group in enumerate(groups):
        if page in group:
            return k
    return max(0, len(groups) - 1) if groups and page >= groups[-1][-1] else 0


def screen_order(group: tuple[int, ...], direction: str) -> tuple[int, ...]:
    """Pages of a spread left to right on screen: reversed for right-to-left books."""
    return tuple(reversed(group)) if direction == "rtl" else group


def fit_scale(content_w: float, content_h: float, view_w: float, view_h: float, fit: Fit) -> float:
    """The scale that makes content of this size fit the view the chosen way."""
    if content_w <= 0 or content_h <= 0 or view_w <= 0 or view_h <= 0:
        return 1.0
    if fit == "width":
        return view_w / content_w
    if fit == "height":
        return view_h / content_h
    if fit == "page":
        return min(view_w / content_w, view_h / content_h)
    return 1.0
