"""Page reading on pages drawn here (not by the sample-book generator): balloons, order,
sound effects, panels, visual evidence, faces, Japanese, and images that must not fail."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from m2m_reader.engine.reading import PageReader
from m2m_reader.engine.reading.faces import BlobFaces
from m2m_reader.engine.reading.ocr import tessdata_dir

pytestmark = pytest.mark.skipif(tessdata_dir() is None, reason="Tesseract data not installed")
CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")


@pytest.fixture(scope="module")
def reader() -> PageReader:
    return PageReader()


def _font(size: int) -> ImageFont.FreeTypeFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",):
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)  # type: ignore[return-value]


def _balloon(d: ImageDraw.ImageDraw, cx: int, cy: int, rows: list[str], spiky: bool = False):
    f = _font(30)
    w = max(f.getlength(r) for r in rows) / 2 + 50
    h = 22 * len(rows) + 40
    if spiky:
        pts = []
        for k in range(28):
            a = 2 * math.pi * k / 28
            s = 1.25 if k % 2 else 1.0
            pts.append((cx + s * w * math.cos(a), cy + s * h * math.sin(a)))
        d.polygon(pts, fill=255, outline=0, width=4)
    else:
        d.ellipse((cx - w, cy - h, cx + w, cy + h), fill=255, outline=0, width=4)
    y = cy - 19 * len(rows)
    for r in rows:
        d.text((cx - f.getlength(r) / 2, y), r, font=f, fill=0)
        y += 38


def _page(dark: bool = False) -> Image.Image:
    """A 1000x1400 page: two panels on top, one wide panel below, white gutters."""
    im = Image.new("L", (1000, 1400), 255)
    d = ImageDraw.Draw(im)
    fill = 40 if dark else 255
    panels = [(520, 40, 960, 640), (40, 40, 490, 640), (40, 680, 960, 1360)]
    for p in panels:
        d.rectangle(p, fill=fill, outline=0, width=6)
    _balloon(d, 740, 200, ["WHERE ARE", "YOU GOING?"])
    _balloon(d, 265, 220, ["COME BACK", "HERE!"], spiky=True)
    _balloon(d, 700, 860, ["I CAN'T", "STOP NOW!"])
    # a sound effect: big, slanted, outlined lettering on the art
    layer = Image.new("L", (560, 190), 0)
    ld = ImageDraw.Draw(layer)
    ld.text((20, 20), "BOOM!", font=_font(110), fill=255, stroke_width=6, stroke_fill=255)
    ink = Image.new("L", layer.size, 0)
    ImageDraw.Draw(ink).text((20, 20), "BOOM!", font=_font(110), fill=255)
    layer, ink = layer.rotate(8, resample=Image.BICUBIC), ink.rotate(8, resample=Image.BICUBIC)
    im.paste(255, (120, 1080), layer)
    im.paste(0, (120, 1080), ink)
    return im


def test_reads_balloons_in_manga_order_and_hears_the_sound_effect(reader: PageReader) -> None:
    reading = reader.read(_page(), "rtl", "en")
    texts = [(t.kind, " ".join(t.text.split())) for t in reading.texts]
    balloons = [text for kind, text in texts if kind == "balloon"]
    # right-to-left: the top right panel first, then top left, then the wide panel
    assert balloons == ["WHERE ARE YOU GOING?", "COME BACK HERE!", "I CAN'T STOP NOW!"]
    assert ("sfx", "BOOM!") in texts
    shapes = {" ".join(t.text.split()): t.shape for t in reading.texts}
    assert shapes["COME BACK HERE!"] == "spiky" and shapes["WHERE ARE YOU GOING?"] == "round"
    assert all(t.confidence >= 0.8 for t in reading.texts)
    assert len(reading.panels) == 3
    assert reading.language == "en"


def test_left_to_right_books_read_the_left_panel_first(reader: PageReader) -> None:
    reading = reader.read(_page(), "ltr", "en")
    balloons = [" ".join(t.text.split()) for t in reading.texts if t.kind == "balloon"]
    assert balloons[:2] == ["COME BACK HERE!", "WHERE ARE YOU GOING?"]


def test_the_script_is_detected_when_the_book_does_not_say(reader: PageReader) -> None:
    reading = reader.read(_page(), "rtl", None)
    assert reading.language == "en"
    assert "WHERE ARE YOU GOING?" in [" ".join(t.text.split()) for t in reading.texts]


def test_visual_evidence_tells_a_dark_page_from_a_light_one(reader: PageReader) -> None:
    light = reader.read(_page(), "rtl", "en").visual()
    dark = reader.read(_page(dark=True), "rtl", "en").visual()
    assert dark["dark"] > 0.5 > light["dark"]
    assert dark["brightness"] < light["brightness"]
    assert light["sfx"] > 0 and light["shouts"] > 0


def test_screentone_and_speed_lines_are_seen(reader: PageReader) -> None:
    im = Image.new("L", (1000, 1400), 255)
    d = ImageDraw.Draw(im)
    d.rectangle((40, 40, 960, 680), outline=0, width=6)
    d.rectangle((40, 720, 960, 1360), outline=0, width=6)
    for y in range(50, 670, 12):  # a dot screentone in the top panel
        for x in range(50, 950, 12):
            d.ellipse((x, y, x + 4, y + 4), fill=110)
    for k in range(40):  # a bundle of slanted speed lines in the bottom panel
        x = 60 + 22 * k
        d.line((x, 1340, x + 300, 740), fill=0, width=3)
    reading = reader.read(im, "rtl", "en")
    top, bottom = sorted(reading.panels, key=lambda p: p.box[1])
    assert top.screentone > 0.3 > bottom.screentone
    assert bottom.speed_lines >= 5 and top.speed_lines == 0


@pytest.mark.parametrize(
    "image",
    [
        Image.new("L", (1200, 1700), 255),
        Image.new("L", (1200, 1700), 0),
        Image.new("L", (800, 30000), 235),
        Image.new("RGB", (3, 2), (10, 200, 30)),
        Image.fromarray(np.random.default_rng(1).integers(0, 255, (900, 700), dtype=np.uint8)),
    ],
    ids=["blank", "black", "strip", "tiny", "noise"],
)
def test_bad_images_read_without_error(reader: PageReader, image: Image.Image) -> None:
    reading = reader.read(image)
    assert [t for t in reading.texts if t.kind == "balloon"] == []
    assert reading.to_dict()  # and the record serialises


def test_built_in_faces_find_a_drawn_face_and_not_a_balloon() -> None:
    im = Image.new("L", (800, 800), 120)
    d = ImageDraw.Draw(im)
    d.ellipse((200, 200, 440, 440), fill=255, outline=0, width=5)  # a head
    d.ellipse((260, 280, 290, 320), fill=0)  # eyes
    d.ellipse((350, 280, 380, 320), fill=0)
    d.arc((280, 340, 360, 400), 20, 160, fill=0, width=4)  # a smile
    d.ellipse((520, 200, 760, 400), fill=255, outline=0, width=5)  # an empty balloon
    found = BlobFaces().detect(np.asarray(im))
    assert len(found) == 1
    (x0, y0, x1, y1), _ = found[0]
    assert x0 < 320 < x1 and y0 < 320 < y1


@pytest.mark.skipif(not CJK.is_file(), reason="Noto Sans CJK not installed")
def test_reads_vertical_japanese(reader: PageReader) -> None:
    im = Image.new("L", (900, 1200), 255)
    d = ImageDraw.Draw(im)
    d.rectangle((30, 30, 870, 1170), outline=0, width=6)
    d.ellipse((520, 180, 800, 820), fill=255, outline=0, width=5)
    f = ImageFont.truetype(str(CJK), 56)
    columns = ["助けて", "誰か来て"]  # read right to left, top to bottom
    for k, col in enumerate(columns):
        x = 660 - k * 90
        for j, ch in enumerate(col):
            d.text((x, 280 + j * 66), ch, font=f, fill=0)
    reading = reader.read(im, "rtl", None)
    assert [t.language for t in reading.texts] == ["ja"]
    got = "".join(reading.texts[0].text.split())
    want = "".join(columns)
    same = sum(a == b for a, b in zip(got, want, strict=False))
    assert same >= len(want) - 2, got
