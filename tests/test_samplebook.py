"""The sample book: regenerates identically and is a consistent Manga109 book."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from PIL import Image

from m2m_reader.engine.analysis.emotions import EMOTIONS, dominant, normalise
from m2m_reader.samplebook.__main__ import main
from m2m_reader.samplebook.story import TITLE
from m2m_reader.samplebook.write import write_book

COMMITTED = Path(__file__).resolve().parents[1] / "resources" / "sample"
TEXT_FILES = (
    "books.txt",
    f"annotations/{TITLE}.xml",
    f"relationships/{TITLE}.xml",
    f"groundtruth/{TITLE}.json",
)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    write_book(root)
    return root


def _parse(path: Path) -> etree._ElementTree:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    tree = etree.parse(str(path), parser)
    assert tree.docinfo.doctype == "", f"{path} has a DTD"
    return tree


def _truth(root: Path) -> dict:
    return json.loads((root / "groundtruth" / f"{TITLE}.json").read_text(encoding="utf-8"))


def test_regenerates_the_committed_annotations_byte_for_byte(book: Path) -> None:
    for name in TEXT_FILES:
        assert (book / name).read_bytes() == (COMMITTED / name).read_bytes(), name


def test_regenerates_the_committed_images(book: Path) -> None:
    made = sorted(p.name for p in (book / "images" / TITLE).iterdir())
    kept = sorted(p.name for p in (COMMITTED / "images" / TITLE).iterdir())
    assert made == kept
    for name in made:
        a = np.asarray(Image.open(book / "images" / TITLE / name).convert("L"), dtype=np.int16)
        b = np.asarray(Image.open(COMMITTED / "images" / TITLE / name).convert("L"), dtype=np.int16)
        # Same drawing; allow for a different JPEG or FreeType build.
        assert np.abs(a - b).mean() < 2.0, name


def test_book_has_enough_spreads_and_scenes_of_sensible_length(book: Path) -> None:
    truth = _truth(book)
    pages = _parse(book / "annotations" / f"{TITLE}.xml").findall("pages/page")
    images = sorted((book / "images" / TITLE).glob("*.jpg"))
    assert truth["pages"] == len(pages) == len(images) >= 24
    assert [p.get("index") for p in pages] == [str(i) for i in range(len(pages))]
    assert [p.name for p in images] == [f"{i:03d}.jpg" for i in range(len(images))]
    scenes = truth["scenes"]
    assert len(scenes) >= 5
    assert len({s["mood"] for s in scenes}) == len(scenes)
    expected_first = 0
    lengths = []
    for s in scenes:
        assert s["first_page"] == expected_first
        lengths.append(s["last_page"] - s["first_page"] + 1)
        expected_first = s["last_page"] + 1
    assert expected_first == truth["pages"]
    assert all(3 <= n <= 7 for n in lengths) and len(set(lengths)) > 1


def test_images_are_manga109_spreads(book: Path) -> None:
    for path in sorted((book / "images" / TITLE).glob("*.jpg")):
        with Image.open(path) as im:
            assert im.size == (1654, 1170), path.name


def test_every_labelled_face_is_in_the_annotations_and_vice_versa(book: Path) -> None:
    truth = _truth(book)
    xml = _parse(book / "annotations" / f"{TITLE}.xml")
    faces = {f.get("id") for f in xml.iter("face")}
    assert set(truth["faces"]) == faces
    assert set(truth["faces"].values()) <= set(EMOTIONS)
    assert len(set(truth["faces"].values())) == len(EMOTIONS)  # every class is drawn


def test_ids_are_unique_eight_hex_digits_and_characters_resolve(book: Path) -> None:
    xml = _parse(book / "annotations" / f"{TITLE}.xml")
    ids = [el.get("id") for el in xml.iter() if el.get("id") is not None]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[0-9a-f]{8}", i) for i in ids)
    characters = {c.get("id") for c in xml.iter("character")}
    assert 3 <= len(characters) <= 4
    for el in (*xml.iter("face"), *xml.iter("body")):
        assert el.get("character") in characters


def test_boxes_lie_inside_the_page_and_texts_inside_frames(book: Path) -> None:
    xml = _parse(book / "annotations" / f"{TITLE}.xml")
    for page in xml.findall("pages/page"):
        w, h = int(page.get("width")), int(page.get("height"))
        frames = [
            tuple(int(f.get(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
            for f in page.iter("frame")
        ]
        for el in page:
            x0, y0, x1, y1 = (int(el.get(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
            assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, (page.get("index"), el.get("id"))
            if el.tag == "text":
                assert (el.text or "").strip()
                assert any(
                    f[0] <= x0 and f[1] <= y0 and x1 <= f[2] and y1 <= f[3] for f in frames
                ), (page.get("index"), el.text)


def test_every_speaker_is_a_body_on_the_same_page(book: Path) -> None:
    xml = _parse(book / "annotations" / f"{TITLE}.xml")
    rel = _parse(book / "relationships" / f"{TITLE}.xml")
    texts = {
        p.get("index"): {t.get("id") for t in p.iter("text")} for p in xml.findall("pages/page")
    }
    bodies = {
        p.get("index"): {b.get("id") for b in p.iter("body")} for p in xml.findall("pages/page")
    }
    links = 0
    for page in rel.findall("pages/page"):
        for link in page.iter("speaker_to_text"):
            assert link.get("text_id") in texts[page.get("index")]
            assert link.get("speaker_id") in bodies[page.get("index")]
            links += 1
    all_texts = sum(len(v) for v in texts.values())
    assert links >= 0.8 * all_texts  # narration and sound effects have no speaker


def test_faces_and_page_tone_carry_each_scenes_mood(book: Path) -> None:
    truth = _truth(book)
    xml = _parse(book / "annotations" / f"{TITLE}.xml")
    face_page = {
        f.get("id"): int(p.get("index")) for p in xml.findall("pages/page") for f in p.iter("face")
    }
    brightness = []
    for s in truth["scenes"]:
        labels = Counter(
            e
            for fid, e in truth["faces"].items()
            if s["first_page"] <= face_page[fid] <= s["last_page"]
        )
        top = dominant(normalise(dict(labels)))
        expected = {
            "calm morning": {"neutral", "happiness"},
            "comedy": {"happiness", "surprise"},
            "night chase": {"fear", "anger", "surprise"},
            "sad parting": {"sadness"},
            "hopeful ending": {"happiness", "neutral"},
        }[s["mood"]]
        assert top in expected, (s["mood"], labels)
        pages = range(s["first_page"], s["last_page"] + 1)
        means = [
            np.asarray(Image.open(book / "images" / TITLE / f"{i:03d}.jpg")).mean() for i in pages
        ]
        brightness.append(float(np.mean(means)))
    morning, comedy, chase, parting, ending = brightness
    assert chase < parting < min(morning, comedy, ending)


def test_command_line_reports_an_unwritable_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main([str(blocker / "book")]) == 1
    err = capsys.readouterr().err
    assert "could not write the sample book" in err and "Traceback" not in err


def test_the_unannotated_edition_is_the_same_story_without_annotations(tmp_path: Path) -> None:
    from m2m_reader.engine.books import open_book
    from m2m_reader.samplebook.unannotated import write_unannotated

    truth = write_unannotated(tmp_path, "en")
    book = open_book(tmp_path / f"{TITLE}-en.cbz")
    assert not book.has_annotations and book.direction == "rtl"
    assert len(book) == len(truth["pages"]) == _truth(COMMITTED)["pages"]
    assert [s["first_page"] for s in truth["scenes"]] == [
        s["first_page"] for s in _truth(COMMITTED)["scenes"]
    ]
    assert [s["lead"] for s in truth["scenes"]] == [
        "happiness",
        "happiness",
        "fear",
        "sadness",
        "happiness",
    ]
    # the pixels are the annotated book's, and the texts its texts in reading order
    page = np.asarray(book.image(9).convert("L"), dtype=np.int16)
    kept = np.asarray(Image.open(COMMITTED / "images" / TITLE / "009.jpg").convert("L"))
    assert np.abs(page - kept.astype(np.int16)).mean() < 2.0
    texts = [t["text"] for t in truth["pages"][9]["texts"]]
    assert texts[0] == "That evening, on the way home..." and "GRAB!" in texts


@pytest.mark.skipif(
    not Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc").is_file(),
    reason="Noto Sans CJK not installed",
)
def test_the_japanese_edition_letters_every_line_vertically() -> None:
    from m2m_reader.samplebook.draw import draw_spread
    from m2m_reader.samplebook.japanese import translate
    from m2m_reader.samplebook.story import parse

    scenes = translate(parse())  # raises KeyError if a line has no translation
    spread = scenes[2].spreads[0]
    drawing = draw_spread(spread, scenes[2].tone, 9, 20240611, lang="ja")
    boxes = [t.box for t in drawing.texts]
    speech = [
        b
        for b, p in zip(
            boxes, [ln for p in spread.right + spread.left for ln in p.lines], strict=True
        )
        if p.kind != "sfx"
    ]
    # columns: taller than wide
    assert sum((b[3] - b[1]) > (b[2] - b[0]) for b in speech) >= len(speech) - 1
