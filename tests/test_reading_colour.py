"""Page reading on painted colour pages like real webcomics: balloons that are not paper
white (a grey balloon on a night sky, a pale tinted gradient), lettering in colour as
sound effects, and the colour of a page as evidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from m2m_reader.engine.reading import PageReader
from m2m_reader.engine.reading.ocr import tessdata_dir

pytestmark = pytest.mark.skipif(tessdata_dir() is None, reason="Tesseract data not installed")


@pytest.fixture(scope="module")
def reader() -> PageReader:
    return PageReader()


def _font(size: int) -> ImageFont.FreeTypeFont:
    path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)  # type: ignore[return-value]


def _painting(size: tuple[int, int], colour: tuple[int, int, int], seed: int) -> Image.Image:
    """A painted-looking ground: a colour with soft blotches, no flat paper anywhere."""
    rng = np.random.default_rng(seed)
    w, h = size
    base = np.ones((h // 8, w // 8, 3)) * np.array(colour, float)
    base += rng.normal(0, 28, base.shape)
    im = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
    return im.filter(ImageFilter.GaussianBlur(3))


def _night_page() -> Image.Image:
    """A night sky with a grey balloon, no outline, with a long wavy tail, and a pale
    green balloon whose tint runs darker towards its bottom."""
    im = _painting((1000, 1400), (25, 45, 95), seed=1)
    d = ImageDraw.Draw(im)
    d.ellipse((300, 300, 700, 430), fill=(188, 188, 190))
    for k in range(12):  # the tail
        d.ellipse(
            (480 + 12 * (k % 3), 420 + 18 * k, 500 + 12 * (k % 3), 440 + 18 * k),
            fill=(188, 188, 190),
        )
    f = _font(34)
    d.text((500, 365), "Happy now?", font=f, fill=(40, 40, 45), anchor="mm")
    band = Image.new("RGB", (420, 200))
    for y in range(200):  # a gradient tint: lighter at the top
        ImageDraw.Draw(band).line(
            (0, y, 420, y), fill=(222 - y // 10, 232 - y // 10, 212 - y // 10)
        )
    mask = Image.new("L", (420, 200), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, 419, 199), fill=255)
    im.paste(band, (280, 800), mask)
    d.text((490, 875), "ha... perfect.", font=f, fill=(45, 50, 45), anchor="mm")
    d.text((490, 925), "Just right.", font=f, fill=(45, 50, 45), anchor="mm")
    return im


def test_grey_and_tinted_balloons_on_a_painting_are_read(reader: PageReader) -> None:
    reading = reader.read(_night_page(), "ltr", "en")
    said = [" ".join(t.text.split()) for t in reading.texts if t.kind == "balloon"]
    assert any("Happy now?" in s for s in said), said
    assert any("perfect." in s and "Just right." in s for s in said), said
    assert all(t.shape == "round" for t in reading.texts if t.kind == "balloon")
    assert reading.page.colour > 0.3  # a page painted in colour


def test_lettering_in_colour_on_a_light_patch_is_a_sound_effect(reader: PageReader) -> None:
    im = _painting((1000, 1400), (120, 90, 60), seed=2)
    d = ImageDraw.Draw(im)
    d.rectangle((250, 400, 750, 700), fill=(240, 232, 190))  # a lit wall, not a balloon
    d.text((500, 550), "Gulp gulp", font=_font(60), fill=(220, 30, 40), anchor="mm")
    d.ellipse((300, 900, 700, 1060), fill=(250, 250, 250))
    d.text((500, 980), "Who is there?", font=_font(34), fill=(20, 20, 20), anchor="mm")
    reading = reader.read(im, "ltr", "en")
    kinds = {" ".join(t.text.split()).lower(): t.kind for t in reading.texts}
    assert kinds.get("gulp gulp") == "sfx", kinds
    assert kinds.get("who is there?") == "balloon", kinds


def test_a_grey_scan_saved_in_colour_has_no_colour(reader: PageReader) -> None:
    grey = _night_page().convert("L").convert("RGB")
    assert reader.read(grey, "ltr", "en").page.colour == 0.0
