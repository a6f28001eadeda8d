"""Manga109 books: a tiny tree with annotations, images and Manga109Dialog speakers."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from m2m_reader.engine.books import open_book
from m2m_reader.engine.core.errors import BookError, PageError, UnsafeInputError

ANNOTATION = """<?xml version="1.0" encoding="utf-8"?>
<book title="TinyTitle">
  <characters>
    <character id="00000001" name="Aki"/>
    <character id="00000002" name="Bo"/>
  </characters>
  <pages>
    <page index="1" width="200" height="100">
      <text id="000000a2" xmin="10" ymin="10" xmax="50" ymax="40">Second page!</text>
      <body id="000000b1" xmin="60" ymin="10" xmax="120" ymax="90" character="00000001"/>
      <face id="000000f2" xmin="60" ymin="10" xmax="80" ymax="30" character="00000001"/>
    </page>
    <page index="0" width="200" height="100">
      <frame id="000000e1" xmin="0" ymin="0" xmax="100" ymax="100"/>
      <text id="000000a1" xmin="110" ymin="10" xmax="150" ymax="60">Hello
there</text>
      <text id="000000a3" xmin="10" ymin="60" xmax="40" ymax="90">Nobody said this</text>
      <body id="000000b2" xmin="20" ymin="20" xmax="90" ymax="95" character="00000002"/>
      <face id="000000f1" xmin="20" ymin="20" xmax="40" ymax="40" character="00000002"/>
    </page>
    <page index="2" width="200" height="100"/>
  </pages>
</book>
"""

RELATIONSHIPS = """<?xml version="1.0" encoding="utf-8"?>
<book title="TinyTitle">
  <pages>
    <page index="0"><speaker_to_text text_id="000000a1" speaker_id="000000b2"/></page>
    <page index="1"><speaker_to_text text_id="000000a2" speaker_id="000000b1"/></page>
  </pages>
</book>
"""


def make_tree(root: Path, *, relationships: bool = True, annotation: str = ANNOTATION) -> Path:
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "Tiny.xml").write_text(annotation, encoding="utf-8")
    images = root / "images" / "Tiny"
    images.mkdir(parents=True)
    for i in range(3):
        Image.new("RGB", (200, 100), (i, i, i)).save(images / f"{i:03d}.jpg", quality=95)
    if relationships:
        (root / "relationships").mkdir()
        (root / "relationships" / "Tiny.xml").write_text(RELATIONSHIPS, encoding="utf-8")
    return root


def test_open_by_annotation_file(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "Manga109")
    with open_book(root / "annotations" / "Tiny.xml", direction="ltr") as book:
        assert book.kind == "manga109" and book.title == "TinyTitle"
        assert book.direction == "rtl" and book.direction_known
        assert [p.name for p in book.pages] == ["000.jpg", "001.jpg", "002.jpg"]
        assert [p.index for p in book.pages] == [0, 1, 2]
        assert all(p.double for p in book.pages)
        assert (book.pages[0].width, book.pages[0].height) == (200, 100)
        assert {c.name for c in book.characters.values()} == {"Aki", "Bo"}
        first = book.pages[0]
        assert [t.text for t in first.texts] == ["Hello\nthere", "Nobody said this"]
        assert len(first.frames) == 1 and first.frames[0].box.width == 100
        assert first.faces[0].character == "00000002"
        assert book.image(1).getpixel((100, 50))[0] in (0, 1, 2)


def test_speakers_mapped_through_bodies(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "M")
    with open_book(root / "images" / "Tiny") as book:
        first, second = book.pages[0], book.pages[1]
        assert book.speaker_name(first.texts[0].speaker) == "Bo"
        assert first.texts[1].speaker is None
        assert book.speaker_name(second.texts[0].speaker) == "Aki"


def test_without_relationships_speakers_unknown(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "M", relationships=False)
    with open_book(root / "annotations" / "Tiny.xml") as book:
        assert all(t.speaker is None for p in book.pages for t in p.texts)
        assert book.has_annotations


def test_fingerprint_changes_with_annotations(tmp_path: Path) -> None:
    a = make_tree(tmp_path / "A")
    b = make_tree(tmp_path / "B", annotation=ANNOTATION.replace("Second page!", "Changed"))
    with open_book(a / "annotations" / "Tiny.xml") as ba, open_book(b / "images" / "Tiny") as bb:
        assert ba.fingerprint != bb.fingerprint
    with open_book(a / "images" / "Tiny") as again:
        assert again.fingerprint == ba.fingerprint


def test_missing_image_is_a_page_error(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "M")
    (root / "images" / "Tiny" / "001.jpg").unlink()
    with open_book(root / "annotations" / "Tiny.xml") as book:
        with pytest.raises(PageError, match=r"page 2 \(001.jpg\) of Tiny"):
            book.image(1)
        assert book.image(2).size == (200, 100)


def test_entities_refused(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE book [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;">]>'
        '<book title="&b;"><pages><page index="0"/></pages></book>'
    )
    root = make_tree(tmp_path / "M", annotation=laughs)
    with pytest.raises(UnsafeInputError, match=r"Tiny.xml declares a DOCTYPE"):
        open_book(root / "annotations" / "Tiny.xml")


def test_unsafe_relationships_refused(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "M")
    (root / "relationships" / "Tiny.xml").write_text(
        '<!DOCTYPE x SYSTEM "http://example.com/x.dtd"><book/>', encoding="utf-8"
    )
    with pytest.raises(UnsafeInputError, match="relationships/Tiny.xml"):
        open_book(root / "annotations" / "Tiny.xml")


def test_malformed_or_foreign_xml(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "M", annotation="<book><pages><page index='0'></book>")
    with pytest.raises(BookError, match=r"Tiny.xml is not well-formed XML \(line 1\)"):
        open_book(root / "annotations" / "Tiny.xml")
    other = make_tree(tmp_path / "N", annotation="<html/>")
    with pytest.raises(BookError, match="not a Manga109 annotation file"):
        open_book(other / "annotations" / "Tiny.xml")
