"""Page reading on a real webcomic, not drawn by us: Pepper&Carrot episode 1 by David
Revoy (CC BY 4.0, see tests/data/real/pepper-carrot-ep01/README.md). Painted pages,
pale tinted and grey balloons with no outline, sound effects lettered in colour."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from m2m_reader.engine.analysis.emotions import EMOTIONS
from m2m_reader.engine.analysis.pipeline import Analyzer
from m2m_reader.engine.books import open_book
from m2m_reader.engine.core.store import MemoryStore
from m2m_reader.engine.reading.ocr import tessdata_dir

pytestmark = pytest.mark.skipif(tessdata_dir() is None, reason="Tesseract data not installed")
BOOK = Path(__file__).parent / "data" / "real" / "pepper-carrot-ep01"


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).replace("’", "'").split())


def _close(a: str, b: str) -> bool:
    """At most a quarter of the letters wrong (edit distance)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] <= 0.25 * max(1, len(b))


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(open_book(BOOK), store=MemoryStore())


def test_what_the_balloons_say_is_read_on_every_page(analyzer: Analyzer) -> None:
    truth = json.loads((BOOK / "truth.json").read_text("utf-8"))["pages"]
    said = found = 0
    for i, page in enumerate(truth):
        talk = [_norm(ln.text) for ln in analyzer.transcript(i).lines if ln.kind != "sfx"]
        assert talk, f"page {i + 1}: no dialogue read"
        for want in page["dialogue"]:
            said += 1
            found += any(_close(got, _norm(want)) for got in talk)
    assert found >= said - 1, f"{found} of {said} balloons read"


def test_calm_balloons_are_not_shouts_and_the_pages_are_not_all_neutral(
    analyzer: Analyzer,
) -> None:
    kinds = {ln.kind for i in range(3) for ln in analyzer.transcript(i).lines}
    assert "shout" not in kinds
    leads = set()
    for i in range(3):
        profile = analyzer.page_emotions(i)[0].profile
        leads.add(max((e for e in EMOTIONS if e != "neutral"), key=lambda e: profile[e]))
    assert len(leads) >= 2, leads


def test_the_directive_names_the_colour_pages_and_their_talk(analyzer: Analyzer) -> None:
    # painted pages in full colour with dialogue: not "silent", not "dim grey light"
    directives = [scene.directive for scene in analyzer.run().scenes]
    assert directives
    for text in directives:
        assert "silent" not in text and "grey" not in text, text
    assert any("in full colour" in text for text in directives), directives
