"""Books without annotations: the analysis reads their pages (cached) and hears them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from m2m_reader.engine.analysis.emotions import dominant
from m2m_reader.engine.analysis.pipeline import Analyzer
from m2m_reader.engine.books import open_book
from m2m_reader.engine.core.store import MemoryStore
from m2m_reader.engine.reading.ocr import tessdata_dir
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


class _SlowReader:
    """A page reader that takes its time and counts what it reads."""

    def __init__(self) -> None:
        self.read_pages: list[int] = []

    def settings_key(self) -> str:
        return "slow-1"

    def read(self, image, direction="rtl", language=None):  # noqa: ANN001, ANN201
        import time

        from m2m_reader.engine.reading import PageReading

        time.sleep(0.05)
        self.read_pages.append(int(image.getpixel((0, 0))))
        return PageReading()


def test_pages_are_read_once_and_the_next_ones_ahead(tmp_path: Path) -> None:
    import threading

    from m2m_reader.engine.analysis.page_reading import READ_AHEAD, PageReadings

    path = tmp_path / "tones.cbz"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(6):
            out = io.BytesIO()
            Image.new("L", (200, 300), i).save(out, "PNG")
            z.writestr(f"{i}.png", out.getvalue())
    slow = _SlowReader()
    readings = PageReadings(open_book(path), MemoryStore(), reader=slow)  # type: ignore[arg-type]
    askers = [threading.Thread(target=readings.get, args=(2,)) for _ in range(3)]
    for t in askers:
        t.start()
    for t in askers:
        t.join()
    assert slow.read_pages.count(2) == 1  # three askers, one reading
    for i in range(3, 3 + READ_AHEAD):
        readings.get(i)  # read ahead meanwhile (or now), never twice
    read = list(slow.read_pages)
    assert len(read) == len(set(read))  # never twice
    assert set(range(2, 3 + READ_AHEAD)) <= set(read) <= set(range(2, 6))  # none before 2
    assert readings.computed >= 1 + READ_AHEAD


def test_a_built_in_backend_made_elsewhere_reads_the_pages_too(cbz: Path) -> None:
    from m2m_reader.engine.analysis.builtin import BuiltinText

    analyzer = Analyzer(open_book(cbz, direction="rtl"), text=BuiltinText(), store=MemoryStore())
    assert [ln.text for ln in analyzer.transcript(1).lines] == ["HAHA! THAT WAS FUN!", "I LOVE IT."]


def test_analysis_json_says_what_held_each_read_line(cbz: Path) -> None:
    import json

    from m2m_reader.engine.analysis.records import Analysis

    analysis = Analyzer(open_book(cbz, direction="rtl"), store=MemoryStore()).run()
    blob = json.loads(json.dumps(analysis.to_dict()))
    chase = blob["scenes"][1]["pages"][0]["dialogue"]
    assert {"speaker": "sfx", "text": "CRASH!", "kind": "sfx"}.items() <= chase[-1].items()
    assert all(0.0 < ln["confidence"] <= 1.0 for ln in chase)
    assert Analysis.from_dict(blob).to_dict() == analysis.to_dict()


class _TonesReader(_SlowReader):
    """Reads page 0 at once and every other page in `slow` seconds."""

    def __init__(self, slow: float) -> None:
        super().__init__()
        self.slow = slow
        self.started: list[tuple[int, float]] = []

    def settings_key(self) -> str:
        return f"tones-{self.slow}"

    def read(self, image, direction="rtl", language=None):  # noqa: ANN001, ANN201
        import time

        from m2m_reader.engine.reading import PageReading

        page = int(image.getpixel((0, 0)))
        self.started.append((page, time.monotonic()))
        if page:
            time.sleep(self.slow)
        self.read_pages.append(page)
        return PageReading()


def test_a_plain_book_plays_the_cursors_page_before_the_pages_ahead_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from m2m_reader.engine.analysis.page_reading import PageReadings
    from m2m_reader.engine.core import events as ev
    from tests.test_engine_doubles import FakeMusic, make_engine, wait_for

    path = tmp_path / "plain.cbz"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(5):
            out = io.BytesIO()
            Image.new("L", (200, 300), i).save(out, "PNG")
            z.writestr(f"{i}.png", out.getvalue())
    reader = _TonesReader(slow=1.5)
    monkeypatch.setattr(PageReadings, "_start", lambda self: reader)
    events: list = []
    music = FakeMusic()
    engine = make_engine(music, events=events)
    try:
        t0 = time.monotonic()
        engine.open(open_book(path))
        assert wait_for(lambda: any(isinstance(e, ev.CueReady) for e in events), 20)
        first = time.monotonic() - t0
        assert [e.page for e in events if isinstance(e, ev.CueReady)][:1] == [0]
        assert first < 1.2  # no page ahead (1.5 s each) was waited for
        # No page ahead began reading before the cursor's page was read.
        assert reader.started[0][0] == 0
        assert wait_for(lambda: {0, 1, 2, 3} <= set(music.calls), 30)  # then the pages ahead
    finally:
        engine.close()


def test_a_book_read_and_let_go_is_freed_with_its_readings(cbz: Path) -> None:
    # A reader that opens book after book (or a batch worker that reads thousands) must
    # not keep each one's page readings and Tesseract engines (~15 MB a book) for good.
    import gc
    import time
    import weakref

    from m2m_reader.engine.analysis.page_reading import readings_for

    book = open_book(cbz)
    analyzer = Analyzer(book, store=MemoryStore())
    analyzer.transcript(0)
    assert readings_for(book) is analyzer.readings
    gone = weakref.ref(book)
    del book, analyzer
    for _ in range(100):  # the OCR pool finishes the pages it was reading ahead
        gc.collect()
        if gone() is None:
            break
        time.sleep(0.1)
    assert gone() is None
