"""The automatic reading time per page (docs/export.md)."""

from __future__ import annotations

import pytest

from m2m_reader.engine.books.model import Box, Frame, Page, TextBox
from m2m_reader.engine.reading_time import count_text, seconds_for_page, seconds_per_page


def page(texts=(), panels=0, width=800, height=1200, double=False) -> Page:
    boxes = [TextBox(f"t{i}", Box(0, 0, 10, 10), t) for i, t in enumerate(texts)]
    frames = [Frame(f"f{i}", Box(0, 0, 10, 10)) for i in range(panels)]
    return Page(0, "p", width, height, double=double, texts=boxes, frames=frames)


def test_counts_words_and_japanese_characters():
    assert count_text("Where are you going?") == (4, 0)
    assert count_text("どこへ行くの？") == (0, 6)  # the full-width question mark is not read
    assert count_text("OK、行こう!") == (1, 3)


def test_formula_for_a_single_page():
    # 3 + 0.25 * 8 words + 0.8 * 4 panels = 8.2 s
    assert seconds_for_page(
        page(["one two three four", "five six seven eight"], 4)
    ) == pytest.approx(8.2)
    # 3 + 0.12 * 20 characters + 0.8 * 5 panels = 9.4 s
    assert seconds_for_page(page(["あ" * 20], 5)) == pytest.approx(9.4)


def test_bounds_and_spreads():
    assert seconds_for_page(page([""], 0)) == 4.0  # an almost empty annotated page
    assert seconds_for_page(page(["word " * 500], 9)) == 40.0
    # a Manga109 spread (1654x1170) reads as two pages: base 6 s, bounds 8..80 s
    assert seconds_for_page(page(["one"], 0, 1654, 1170)) == 8.0  # 6.25 s, raised to 8
    assert seconds_for_page(page(["one two"], 2, 1654, 1170)) == pytest.approx(8.1)
    assert seconds_for_page(page(["word " * 100], 8, double=True)) == pytest.approx(6 + 25 + 6.4)
    assert seconds_for_page(page(["word " * 500], 9, 1654, 1170)) == 80.0


def test_defaults_without_annotations_and_a_fixed_setting():
    assert seconds_for_page(page()) == 8.0
    assert seconds_for_page(page(width=1654, height=1170)) == 14.0
    pages = [page(["a b c"], 1), page()]
    assert seconds_per_page(pages, "auto") == [pytest.approx(4.55), 8.0]
    assert seconds_per_page(pages, 6) == [6.0, 6.0]
