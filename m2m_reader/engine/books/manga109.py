"""Manga109 books: ROOT/annotations/TITLE.xml + ROOT/images/TITLE/NNN.jpg.

Each image is a two-page spread, read right to left. Pages follow the XML's `index`
order; page `i` of the XML is image `{i:03d}.jpg`. When Manga109Dialog's
ROOT/relationships/TITLE.xml exists, each `speaker_to_text` names a *body* as the
speaker; the body's character becomes the text's speaker.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..core.errors import BookError, UnsafeInputError
from .model import Body, Book, Box, Character, Face, Frame, Page, TextBox
from .pagelist import make_opener, page_label
from .safety import MAX_XML_BYTES, parse_xml, read_page_file

log = logging.getLogger(__name__)

MAX_PAGES = 10_000


@dataclass(frozen=True)
class Manga109Paths:
    annotation: Path
    images: Path
    relationships: Path | None


def find_manga109(path: Path) -> Manga109Paths | None:
    """Recognise ROOT/annotations*/TITLE.xml or ROOT/images/TITLE; None if neither."""
    if (
        path.is_file()
        and path.suffix.lower() == ".xml"
        and path.parent.name.startswith("annotations")
    ):
        root, title, xml = path.parent.parent, path.stem, path
    elif path.is_dir() and path.parent.name == "images":
        root, title = path.parent.parent, path.name
        dirs = sorted(d for d in root.glob("annotations*") if d.is_dir())
        dirs.sort(key=lambda d: d.name != "annotations")  # the plain name first
        found = [d / f"{title}.xml" for d in dirs if (d / f"{title}.xml").is_file()]
        if not found:
            return None
        xml = found[0]
    else:
        return None
    rel = root / "relationships" / f"{title}.xml"
    return Manga109Paths(xml, root / "images" / title, rel if rel.is_file() else None)


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        data = path.read_bytes() if size <= MAX_XML_BYTES else b""
    except OSError as exc:
        raise BookError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    if size > MAX_XML_BYTES:
        raise UnsafeInputError(f"{path} is larger than {MAX_XML_BYTES // 1024**2} MiB; refused.")
    return data


def _box(el: etree._Element) -> Box | None:
    try:
        box = Box(*(int(float(el.get(k, ""))) for k in ("xmin", "ymin", "xmax", "ymax")))
    except (TypeError, ValueError, OverflowError):
        return None
    return box if box.xmax >= box.xmin and box.ymax >= box.ymin else None


def _speakers(rel: Path | None) -> dict[str, str]:
    """text id → speaker id (a body id, or a character id in some releases)."""
    if rel is None:
        return {}
    root = parse_xml(_read(rel), str(rel))
    return {
        el.get("text_id", ""): el.get("speaker_id", "")
        for el in root.iter("speaker_to_text")
        if el.get("text_id") and el.get("speaker_id")
    }


def _page(
    el: etree._Element,
    position: int,
    image: int,
    speakers: dict[str, str],
    body_char: dict[str, str | None],
    characters: dict[str, Character],
) -> Page:
    page = Page(index=position, name=f"{image:03d}.jpg", double=True)
    try:
        page.width = int(el.get("width", "")) or None
        page.height = int(el.get("height", "")) or None
    except ValueError:
        pass
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        box = _box(child) if tag else None
        if box is None:
            continue
        cid = child.get("id", "")
        if tag == "text":
            spk = speakers.get(cid)
            if spk in body_char:
                speaker = body_char[spk]
            else:  # some releases name the character directly
                speaker = spk if spk in characters else None
            page.texts.append(TextBox(cid, box, (child.text or "").strip(), speaker))
        elif tag == "face":
            page.faces.append(Face(cid, box, child.get("character")))
        elif tag == "body":
            page.bodies.append(Body(cid, box, child.get("character")))
        elif tag == "frame":
            page.frames.append(Frame(cid, box))
    return page


def open_manga109(found: Manga109Paths) -> Book:
    """Open a Manga109 book.

    Raises:
        BookError: the annotation file is unreadable or not Manga109.
        UnsafeInputError: an XML file is unsafe (DOCTYPE, entities, too large).
    """
    xml_bytes = _read(found.annotation)
    root = parse_xml(xml_bytes, str(found.annotation))
    if root.tag != "book":
        raise BookError(f"{found.annotation} is not a Manga109 annotation file (no <book>).")
    characters = {
        c.get("id", ""): Character(c.get("id", ""), (c.get("name") or c.get("id", ""))[:200])
        for c in root.iter("character")
        if c.get("id")
    }
    rel_bytes = _read(found.relationships) if found.relationships else b""
    speakers = _speakers(found.relationships)
    body_char = {b.get("id", ""): b.get("character") for b in root.iter("body") if b.get("id")}

    indexed: dict[int, etree._Element] = {}
    for el in root.iter("page"):
        try:
            image = int(el.get("index", ""))
        except ValueError:
            continue
        if 0 <= image < MAX_PAGES:
            indexed.setdefault(image, el)
    if not indexed:
        raise BookError(f"{found.annotation} lists no pages.")
    pages = [
        _page(indexed[image], pos, image, speakers, body_char, characters)
        for pos, image in enumerate(sorted(indexed))
    ]

    h = hashlib.sha256(b"manga109\0")
    h.update(hashlib.sha256(xml_bytes).digest())
    h.update(hashlib.sha256(rel_bytes).digest())
    for page in pages:
        try:
            size = (found.images / page.name).stat().st_size
        except OSError:
            size = -1
        h.update(f"{page.name}\0{size}\n".encode())

    source = found.images.name

    def read_bytes(page: Page) -> bytes:
        return read_page_file(found.images / page.name, page_label(page, source))

    return Book(
        path=found.annotation,
        title=(root.get("title") or found.annotation.stem)[:300],
        kind="manga109",
        direction="rtl",
        direction_known=True,
        pages=pages,
        open_image=make_opener(read_bytes, source),
        characters=characters,
        fingerprint=h.hexdigest()[:32],
    )
