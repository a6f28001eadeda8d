"""CBZ/ZIP and CBR/RAR books, built in tmp_path."""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from m2m_reader.engine.books import open_book, pagelist
from m2m_reader.engine.core.errors import BookError, PageError, UnsafeInputError


def png(width: int, height: int, shade: int = 128) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (shade, shade, shade)).save(buf, "PNG")
    return buf.getvalue()


def jpeg(width: int, height: int, shade: int = 128) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (shade, 0, 0)).save(buf, "JPEG")
    return buf.getvalue()


def make_cbz(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def rar4_stored(files: list[tuple[str, bytes]], *, solid: bool = False) -> bytes:
    """A minimal RAR 4 archive with stored (uncompressed) members.

    No `rar` binary is available to make fixtures, so the test writes the format itself:
    marker, main header, one file header (+ data) per member, end-of-archive header;
    each header's CRC is the low 16 bits of the CRC-32 of the header after the CRC field.
    A solid archive makes rarfile hand extraction to the external tool (unar).
    """

    def block(htype: int, flags: int, body: bytes) -> bytes:
        head = struct.pack("<BHH", htype, flags, 7 + len(body)) + body
        return struct.pack("<H", zlib.crc32(head) & 0xFFFF) + head

    out = bytearray(b"Rar!\x1a\x07\x00")
    out += block(0x73, 0x0008 if solid else 0, b"\x00" * 6)
    for name, data in files:
        raw = name.encode()
        body = struct.pack(
            "<IIBIIBBHI",
            len(data),  # packed size
            len(data),  # unpacked size
            3,  # host OS: Unix
            zlib.crc32(data),
            0x5A210000,  # DOS time, 2025-01-01
            20,  # version needed: 2.0
            0x30,  # method: store
            len(raw),
            0o100644 << 16,
        )
        out += block(0x74, 0x8000, body + raw) + data
    out += block(0x7B, 0x4000, b"")
    return bytes(out)


COMICINFO_RTL = """<?xml version="1.0" encoding="utf-8"?>
<ComicInfo xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Title>Test Volume</Title>
  <Manga>YesAndRightToLeft</Manga>
  <Pages>
    <Page Image="0" Type="FrontCover" ImageWidth="100" ImageHeight="150"/>
    <Page Image="2" Type="Deleted"/>
    <Page Image="3" DoublePage="True"/>
  </Pages>
</ComicInfo>"""


def test_cbz_natural_order_skips_junk_and_reads_pages(tmp_path: Path) -> None:
    path = make_cbz(
        tmp_path / "book.cbz",
        {
            "vol/10.png": png(100, 150, 10),
            "vol/2.png": png(100, 150, 2),
            "vol/1.png": png(100, 150, 1),
            "__MACOSX/vol/._1.png": b"resource fork",
            "vol/.thumb.png": png(10, 10),
            "vol/notes.txt": "not a page",
        },
    )
    with open_book(path) as book:
        assert book.kind == "cbz"
        assert [p.name for p in book.pages] == ["vol/1.png", "vol/2.png", "vol/10.png"]
        assert [p.index for p in book.pages] == [0, 1, 2]
        assert book.title == "book"
        assert book.direction == "ltr" and not book.direction_known
        assert book.image(1).getpixel((0, 0)) == (2, 2, 2)
        assert book.image(2).getpixel((0, 0)) == (10, 10, 10)


def test_comicinfo_direction_deleted_and_double(tmp_path: Path) -> None:
    path = make_cbz(
        tmp_path / "manga.cbz",
        {
            "ComicInfo.xml": COMICINFO_RTL,
            "000.jpg": jpeg(100, 150),
            "001.jpg": jpeg(100, 150),
            "002.jpg": jpeg(100, 150),  # Deleted
            "003.jpg": jpeg(100, 150),  # DoublePage although narrow
            "004.jpg": jpeg(320, 150),  # wide: a spread
        },
    )
    with open_book(path, direction="ltr") as book:
        assert book.title == "Test Volume"
        assert book.direction == "rtl" and book.direction_known
        assert [p.name for p in book.pages] == ["000.jpg", "001.jpg", "003.jpg", "004.jpg"]
        assert [p.double for p in book.pages] == [False, False, True, True]
        assert book.pages[0].kind == "FrontCover"
        assert (book.pages[3].width, book.pages[3].height) == (320, 150)


def test_direction_setting_used_when_book_is_silent(tmp_path: Path) -> None:
    path = make_cbz(tmp_path / "b.zip", {"1.png": png(10, 10)})
    with open_book(path, direction="rtl") as book:
        assert book.direction == "rtl" and not book.direction_known


def test_opening_decodes_no_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_cbz(tmp_path / "b.cbz", {f"{i}.jpg": jpeg(60, 90) for i in range(30)})
    calls: list[str] = []
    real = pagelist.decode

    def counting(data: bytes, what: str, draft: tuple[int, int] | None = None) -> Image.Image:
        calls.append(what)
        return real(data, what, draft)

    monkeypatch.setattr(pagelist, "decode", counting)
    with open_book(path) as book:
        assert len(book) == 30 and calls == []
        assert book.pages[5].width == 60  # size known from the header alone
        book.image(5)
        assert len(calls) == 1


def test_damaged_page_raises_page_error_and_rest_reads(tmp_path: Path) -> None:
    good = jpeg(80, 120)
    path = make_cbz(tmp_path / "d.cbz", {"1.jpg": good, "2.jpg": good[:200], "3.jpg": good})
    with open_book(path) as book:
        assert len(book) == 3
        with pytest.raises(PageError, match=r"page 2 \(2.jpg\) of d.cbz"):
            book.image(1)
        assert book.image(2).size == (80, 120)


def test_fingerprint_follows_content(tmp_path: Path) -> None:
    a = make_cbz(tmp_path / "a.cbz", {"1.png": png(10, 10, 1)})
    b = make_cbz(tmp_path / "b.cbz", {"1.png": png(10, 10, 1)})
    c = make_cbz(tmp_path / "c.cbz", {"1.png": png(10, 10, 2)})
    with open_book(a) as ba, open_book(b) as bb, open_book(c) as bc:
        assert ba.fingerprint == bb.fingerprint != bc.fingerprint


@pytest.mark.parametrize("bad", ["../evil.png", "/etc/evil.png", "C:/evil.png", "a/../../x.png"])
def test_escaping_member_refused(tmp_path: Path, bad: str) -> None:
    path = make_cbz(tmp_path / "evil.cbz", {"1.png": png(10, 10), bad: png(10, 10)})
    with pytest.raises(UnsafeInputError, match="evil.cbz.*escapes"):
        open_book(path)


def test_zip_bomb_refused(tmp_path: Path) -> None:
    path = make_cbz(tmp_path / "bomb.cbz", {"1.png": png(10, 10), "2.png": bytes(60 * 1024**2)})
    with pytest.raises(UnsafeInputError, match="bomb.cbz.*archive bomb"):
        open_book(path)


def test_comicinfo_with_entities_refused(tmp_path: Path) -> None:
    xml = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><ComicInfo><Title>&a;</Title></ComicInfo>'
    path = make_cbz(tmp_path / "x.cbz", {"ComicInfo.xml": xml, "1.png": png(10, 10)})
    with pytest.raises(UnsafeInputError, match="ComicInfo.xml in .*x.cbz.*DOCTYPE"):
        open_book(path)


def test_malformed_comicinfo_is_ignored(tmp_path: Path) -> None:
    path = make_cbz(tmp_path / "m.cbz", {"ComicInfo.xml": "<ComicInfo><Ti", "1.png": png(10, 10)})
    with open_book(path) as book:
        assert len(book) == 1 and book.title == "m"


def test_not_an_archive_and_empty_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.cbz"
    junk.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(BookError, match="junk.cbz is not a readable ZIP/CBZ archive"):
        open_book(junk)
    empty = make_cbz(tmp_path / "empty.cbz", {"readme.txt": "hi"})
    with pytest.raises(BookError, match="empty.cbz holds no page images"):
        open_book(empty)


def test_cbr_read_by_rarfile(tmp_path: Path) -> None:
    path = tmp_path / "book.cbr"
    path.write_bytes(
        rar4_stored(
            [("p10.png", png(50, 70, 10)), ("p9.png", png(140, 70, 9)), ("p1.png", png(50, 70, 1))]
        )
    )
    with open_book(path) as book:
        assert book.kind == "cbr"
        assert [p.name for p in book.pages] == ["p1.png", "p9.png", "p10.png"]
        assert book.pages[1].width is None  # RAR sizes are read on first decode
        assert book.image(1).getpixel((0, 0)) == (9, 9, 9)
        assert (book.pages[1].width, book.pages[1].double) == (140, True)


@pytest.mark.skipif(shutil.which("unar") is None, reason="unar is not installed")
def test_solid_cbr_extracted_with_unar(tmp_path: Path) -> None:
    path = tmp_path / "solid.cbr"
    path.write_bytes(
        rar4_stored([("1.png", png(30, 40, 1)), ("2.png", png(30, 40, 2))], solid=True)
    )
    with open_book(path) as book:
        assert book.image(1).getpixel((0, 0)) == (2, 2, 2)


def test_cbz_named_cbr_is_opened_by_content(tmp_path: Path) -> None:
    path = make_cbz(tmp_path / "actually-zip.cbr", {"1.png": png(10, 10)})
    with open_book(path) as book:
        assert book.kind == "cbz" and len(book) == 1
