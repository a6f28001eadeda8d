"""Writing the sample book to disk in Manga109 layout, with its ground truth.

    ROOT/books.txt                    the title
    ROOT/annotations/TITLE.xml        frames, texts, faces, bodies, characters
    ROOT/images/TITLE/NNN.jpg         one two-page spread per file
    ROOT/relationships/TITLE.xml      Manga109Dialog: text -> speaker's body
    ROOT/groundtruth/TITLE.json       scene boundaries and the emotion drawn on each face

Everything is derived from a seeded random generator, so regenerating gives the
same files.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from lxml import etree

from .draw import HEIGHT, WIDTH, draw_spread
from .story import CHARACTERS, TITLE, Scene, parse

SEED = 20240611
JPEG_QUALITY = 80


class _Ids:
    """Unique 8-hex-digit ids, reproducible from the seed."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._used: set[str] = set()

    def new(self) -> str:
        while True:
            value = f"{self._rng.getrandbits(32):08x}"
            if value not in self._used:
                self._used.add(value)
                return value


def _box_attrs(el: etree._Element, box: tuple[int, int, int, int]) -> None:
    for name, value in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True):
        el.set(name, str(value))


def _xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def write_book(root: Path, scenes: list[Scene] | None = None, seed: int = SEED) -> dict:
    """Draw and write the whole book under root; returns the ground truth."""
    scenes = parse() if scenes is None else scenes
    ids = _Ids(seed)
    root.mkdir(parents=True, exist_ok=True)
    image_dir = root / "images" / TITLE
    image_dir.mkdir(parents=True, exist_ok=True)
    for sub in ("annotations", "relationships", "groundtruth"):
        (root / sub).mkdir(exist_ok=True)

    book = etree.Element("book", title=TITLE)
    chars_el = etree.SubElement(book, "characters")
    char_ids = {}
    for key, name in CHARACTERS.items():
        char_ids[key] = ids.new()
        etree.SubElement(chars_el, "character", id=char_ids[key], name=name)
    pages_el = etree.SubElement(book, "pages")
    rel = etree.Element("book", title=TITLE)
    rel_pages = etree.SubElement(rel, "pages")

    truth: dict = {"title": TITLE, "pages": 0, "page_unit": "spread", "scenes": [], "faces": {}}
    number = 0
    for scene in scenes:
        first = number
        for spread in scene.spreads:
            drawing = draw_spread(spread, scene.tone, number, seed)
            drawing.image.save(image_dir / f"{number:03d}.jpg", quality=JPEG_QUALITY, optimize=True)
            page = etree.SubElement(
                pages_el, "page", index=str(number), width=str(WIDTH), height=str(HEIGHT)
            )
            rel_page = etree.SubElement(rel_pages, "page", index=str(number))
            for frame in drawing.frames:
                _box_attrs(etree.SubElement(page, "frame", id=ids.new()), frame)
            body_ids = []
            for fig in drawing.figures:
                body = etree.SubElement(page, "body", id=ids.new())
                _box_attrs(body, fig.body)
                body.set("character", char_ids[fig.who])
                body_ids.append(body.get("id"))
                face = etree.SubElement(page, "face", id=ids.new())
                _box_attrs(face, fig.face)
                face.set("character", char_ids[fig.who])
                truth["faces"][face.get("id")] = fig.emotion
            for mark in drawing.texts:
                text = etree.SubElement(page, "text", id=ids.new())
                _box_attrs(text, mark.box)
                text.text = mark.text
                if mark.speaker is not None:
                    etree.SubElement(
                        rel_page,
                        "speaker_to_text",
                        text_id=text.get("id"),
                        speaker_id=body_ids[mark.speaker],
                    )
            number += 1
        truth["scenes"].append({"first_page": first, "last_page": number - 1, "mood": scene.mood})
    truth["pages"] = number

    (root / "books.txt").write_text(TITLE + "\n", encoding="utf-8")
    (root / "annotations" / f"{TITLE}.xml").write_bytes(_xml_bytes(book))
    (root / "relationships" / f"{TITLE}.xml").write_bytes(_xml_bytes(rel))
    (root / "groundtruth" / f"{TITLE}.json").write_text(
        json.dumps(truth, indent=1) + "\n", encoding="utf-8"
    )
    return truth
