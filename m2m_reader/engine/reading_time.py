"""How long a reader spends on a page: the export's automatic seconds per page, and
(rounded up to a cue length, see `cue_recipe`) the length of every page's cue.

The formula (documented in docs/export.md):

    seconds = BASE + PER_WORD * words + PER_CHAR * cjk_chars + PER_PANEL * panels

clamped to [MIN, MAX]. Words are whitespace-separated runs of non-CJK text; Japanese
and Chinese are read by the character (kana, kanji, full-width forms), punctuation
excluded. A two-page spread reads as two pages: its base and its bounds double.
A page with neither text boxes nor frames (a book without annotations) gets the
default: 8 s for a single page, 14 s for a spread.
"""

from __future__ import annotations

import re

from .books.model import Page

BASE_S = 3.0  # looking at the art, finding the first balloon
PER_WORD_S = 0.25  # about 240 words a minute
PER_CHAR_S = 0.12  # about 8 Japanese characters a second
PER_PANEL_S = 0.8  # the eye moving to the next panel
MIN_S = 4.0
MAX_S = 40.0
DEFAULT_SINGLE_S = 8.0
DEFAULT_SPREAD_S = 14.0
SPREAD_ASPECT = 1.25  # wider than this reads as a two-page spread

# Hiragana, katakana, CJK ideographs (and extension A), full-width letters and digits,
# half-width katakana, Hangul syllables.
_CJK = re.compile(
    "[\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff66-\uff9d\uac00-\ud7af]"
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def count_text(text: str) -> tuple[int, int]:
    """(words, cjk_characters) in `text`; CJK characters are not also counted as words."""
    cjk = len(_CJK.findall(text))
    rest = _CJK.sub(" ", text)
    words = len(_WORD.findall(rest))
    return words, cjk


def is_spread(page: Page) -> bool:
    aspect = page.aspect
    return page.double or (aspect is not None and aspect > SPREAD_ASPECT)


def seconds_for_page(page: Page) -> float:
    """Expected reading time of `page` in seconds (see the module docstring)."""
    pages = 2 if is_spread(page) else 1
    if not page.texts and not page.frames:
        return DEFAULT_SPREAD_S if pages == 2 else DEFAULT_SINGLE_S
    words = cjk = 0
    for box in page.texts:
        w, c = count_text(box.text)
        words += w
        cjk += c
    seconds = (
        BASE_S * pages + PER_WORD_S * words + PER_CHAR_S * cjk + PER_PANEL_S * len(page.frames)
    )
    return float(min(max(seconds, MIN_S * pages), MAX_S * pages))


def page_seconds(page: Page, setting: str | float = "auto") -> float:
    """How long `page` is read: the formula for "auto", else the given seconds."""
    return seconds_for_page(page) if setting == "auto" else float(setting)


def seconds_per_page(pages: list[Page], setting: str | float = "auto") -> list[float]:
    """Each page's seconds: the formula for "auto", else the given constant."""
    return [page_seconds(p, setting) for p in pages]
