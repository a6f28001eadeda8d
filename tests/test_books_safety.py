"""The safety limits: escaping paths, archive bombs, XML entities, pixel bombs."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from m2m_reader.engine.books import open_book
from m2m_reader.engine.books.images import decode
from m2m_reader.engine.books.safety import (
    MAX_ARCHIVE_TOTAL,
    MemberInfo,
    check_archive,
    member_escapes,
    parse_xml,
)
from m2m_reader.engine.core.errors import BookError, PageError, UnsafeInputError


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width`×`height` but carries almost no data: a pixel bomb's header."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("name", "escapes"),
    [
        ("pages/001.jpg", False),
        ("a..b/001.jpg", False),
        ("../001.jpg", True),
        ("pages/../../001.jpg", True),
        ("/abs/001.jpg", True),
        ("\\\\server\\share\\001.jpg", True),
        ("C:\\pages\\001.jpg", True),
        ("pages\\..\\..\\001.jpg", True),
    ],
)
def test_member_escapes(name: str, escapes: bool) -> None:
    assert member_escapes(name) is escapes


def test_archive_total_and_ratio_limits() -> None:
    fine = [MemberInfo(f"{i}.jpg", 3_000_000, 2_900_000) for i in range(100)]
    check_archive("ok.cbz", fine)
    huge = [MemberInfo(f"{i}.jpg", 400 * 1024**2, 400 * 1024**2) for i in range(11)]
    assert sum(m.file_size for m in huge) > MAX_ARCHIVE_TOTAL
    with pytest.raises(UnsafeInputError, match="huge.cbz would expand to more than 4 GiB"):
        check_archive("huge.cbz", huge)
    with pytest.raises(UnsafeInputError, match="ratio.cbz member 'x.png' expands"):
        check_archive("ratio.cbz", [MemberInfo("x.png", 100 * 1024**2, 100 * 1024)])
    # A highly compressible but small member (a blank page) is fine.
    check_archive("blank.cbz", [MemberInfo("x.png", 10 * 1024**2, 10 * 1024)])


def test_lying_zip_header_cannot_expand_past_its_declared_size(tmp_path: Path) -> None:
    """zipfile stops at the declared size, so the declared-size checks hold."""
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (40, 40)).save(buf, "PNG")
    path = tmp_path / "lie.cbz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("1.png", buf.getvalue())
    data = bytearray(path.read_bytes())
    # Halve the uncompressed size in the central directory record.
    cd = data.rfind(b"PK\x01\x02")
    size = struct.unpack_from("<I", data, cd + 24)[0]
    struct.pack_into("<I", data, cd + 24, size // 2)
    path.write_bytes(bytes(data))
    with open_book(path) as book:
        with pytest.raises(PageError, match="lie.cbz"):
            book.image(0)


def test_xml_entities_and_dtd_refused_in_any_encoding() -> None:
    laughs = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "ha">]><book>&a;</book>'
    with pytest.raises(UnsafeInputError, match="a.xml declares a DOCTYPE"):
        parse_xml(laughs, "a.xml")
    external = b'<!DOCTYPE book SYSTEM "file:///etc/passwd"><book/>'
    with pytest.raises(UnsafeInputError):
        parse_xml(external, "b.xml")
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE b [<!ENTITY x "y">]><b/>'
    with pytest.raises(UnsafeInputError, match="c.xml declares a DOCTYPE"):
        parse_xml(utf16.encode("utf-16"), "c.xml")
    assert parse_xml(b"<book title='x'/>", "ok.xml").get("title") == "x"
    with pytest.raises(BookError, match="d.xml is not well-formed XML"):
        parse_xml(b"<book>", "d.xml")


def test_pixel_bomb_refused_before_decoding() -> None:
    with pytest.raises(PageError, match=r"page 1 is 12000×13000 pixels, over the 150 megapixel"):
        decode(png_header_only(12_000, 13_000), "page 1")
    # Pillow's own bomb check fires first on larger claims; the message says the same.
    with pytest.raises(PageError, match="page 2 is a decompression bomb, over the 150 megapixel"):
        decode(png_header_only(100_000, 100_000), "page 2")


def test_pixel_bomb_in_a_book_leaves_other_pages(tmp_path: Path) -> None:
    from io import BytesIO

    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (30, 40)).save(buf, "PNG")
    path = tmp_path / "bomb.cbz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("1.png", buf.getvalue())
        zf.writestr("2.png", png_header_only(30_000, 30_000))
    with open_book(path) as book:
        assert len(book) == 2
        with pytest.raises(PageError, match=r"page 2 \(2.png\) of bomb.cbz is .*megapixel limit"):
            book.image(1)
        assert book.image(0).size == (30, 40)
