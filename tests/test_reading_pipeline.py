"""Books without annotations: the analysis reads their pages (cached) and hears them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from m2m_reader.engine.analysis.pipeline import Analyzer
from m2m_reader.engine.books import open_book
from m2m_reader.engine.emotions import dominant
from m2m_reader.engine.reading.ocr import tessdata_dir
from m2m_reader.engine.store import MemoryStore
from tests.test_reading import _balloon, _font

pytestmark = pytest.mark.skipif(tessdata_dir() is None, reason="Tesseract data not installed")


def _drawn(lines: list[list[str]], tone: int, sfx: str | None = None) -> bytes:
    im = Image.new("L", (1000, 1400), 255)
    d = ImageDraw.Draw(im)
    d.rectangle((40, 40, 960, 1360), fill=tone, outline=0, width=6)
    for k, rows in enumerate(lines):
        _balloon(d, 700 - 380 * (k % 2), 220 + 300 * (k // 2), rows, spiky=tone < 100)
    if sfx:
        d.text((150, 1050), sfx, font=_font(120), fill=0, stroke_width=8, stroke_fill=255)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(scope="module")
def cbz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("book") / "plain.cbz"
    pages = [
        _drawn([["GOOD MORNING!"], ["THANK YOU.", "THIS IS", "WONDERFUL."]], 255),
        _drawn([["HAHA! THAT", "WAS FUN!"], ["I LOVE IT."]], 255),
        _drawn([["HELP! RUN!"], ["THEY'RE", "COMING!"]], 40, sfx="CRASH!"),
        _drawn([["WATCH OUT!"], ["HURRY!"]], 40, sfx="BANG!"),
    ]
    with zipfile.ZipFile(path, "w") as z:
        for i, data in enumerate(pages):
            z.writestr(f"{i + 1:02d}.jpg", data)
    return path


def test_transcript_emotions_and_directives_come_from_the_pixels(cbz: Path) -> None:
    book = open_book(cbz, direction="rtl")
    assert not book.has_annotations
    store = MemoryStore()
    analyzer = Analyzer(book, store=store)
    first = analyzer.transcript(0)
    assert [ln.text for ln in first.lines] == ["GOOD MORNING!", "THANK YOU. THIS IS WONDERFUL."]
    assert all(ln.kind == "balloon" and ln.confidence >= 0.8 for ln in first.lines)
    chase = analyzer.transcript(2)
    assert ("sfx", "CRASH!") in [(ln.kind, ln.text) for ln in chase.lines]
    assert chase.visual is not None and chase.visual["dark"] > 0.5

    moods = [dominant(analyzer.page_emotions(i)[0].profile) for i in range(4)]
    assert moods[1] == "happiness"
    assert moods[2] == "fear" and moods[3] in ("fear", "surprise")

    analysis = analyzer.run()
    assert [s.first_page for s in analysis.scenes] == [0, 2]
    for scene in analysis.scenes:
        assert "silent" not in scene.directive
    assert "night" in analysis.scenes[1].directive or "dark" in analysis.scenes[1].directive
    assert analysis.page(0).lines[0].text == "GOOD MORNING!"


def test_a_reopened_book_reads_no_page_again(cbz: Path) -> None:
    store = MemoryStore()
    first = Analyzer(open_book(cbz), store=store)
    first.run()
    assert first.readings.computed == 4
    again = Analyzer(open_book(cbz), store=store)
    result = again.run()
    assert again.readings.computed == 0
    assert sum(again.computed.values()) == 0
    assert result.to_dict() == first.run().to_dict()
