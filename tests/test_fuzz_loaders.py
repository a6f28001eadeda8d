"""Fuzz the loaders with mutated archives, images and XML.

Whatever the bytes, only the loader's own errors (`M2MError`) may come out, and nothing
may hang: hypothesis has a per-example deadline and pytest-timeout a per-test limit.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from m2m_reader.engine.books import open_book
from m2m_reader.engine.books.comicinfo import parse_comicinfo
from m2m_reader.engine.books.images import decode
from m2m_reader.engine.books.safety import parse_xml
from m2m_reader.engine.core.errors import M2MError, PageError

# M2M_FUZZ_EXAMPLES=5000 runs a longer, randomised search; by default the same 120
# inputs run every time, so a failure in CI reproduces.
_EXAMPLES = int(os.environ.get("M2M_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=_EXAMPLES or 120,
    deadline=10_000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=not _EXAMPLES,
)
pytestmark = pytest.mark.timeout(240)


def _image(fmt: str, mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    im = Image.new(mode, (24, 16), 90)
    im.putpixel((3, 3), 200 if mode != "RGB" else (200, 10, 10))
    im.save(buf, fmt)
    return buf.getvalue()


IMAGES = {
    "png": _image("PNG"),
    "jpg": _image("JPEG"),
    "gif": _image("GIF", "P"),
    "webp": _image("WEBP"),
    "bmp": _image("BMP"),
    "tif": _image("TIFF"),
    "avif": _image("AVIF"),
    "jxl": _image("JXL"),
}

COMICINFO = (
    b'<?xml version="1.0"?><ComicInfo><Title>F</Title><Manga>YesAndRightToLeft</Manga>'
    b'<Pages><Page Image="1" Type="Deleted"/><Page Image="2" DoublePage="True" '
    b'ImageWidth="24" ImageHeight="16"/></Pages></ComicInfo>'
)

MANGA109 = b"""<?xml version="1.0" encoding="utf-8"?>
<book title="F"><characters><character id="00000001" name="A"/></characters>
<pages><page index="0" width="24" height="16">
<text id="00000002" xmin="1" ymin="1" xmax="9" ymax="9">Hi!</text>
<body id="00000003" xmin="1" ymin="1" xmax="9" ymax="9" character="00000001"/>
<face id="00000004" xmin="1" ymin="1" xmax="5" ymax="5" character="00000001"/>
<frame id="00000005" xmin="0" ymin="0" xmax="24" ymax="16"/></page>
<page index="1" width="24" height="16"/></pages></book>"""

RELATIONSHIPS = (
    b'<book><pages><page index="0"><speaker_to_text text_id="00000002" '
    b'speaker_id="00000003"/></page></pages></book>'
)


def _cbz() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ComicInfo.xml", COMICINFO)
        for i, (ext, data) in enumerate(IMAGES.items()):
            zf.writestr(f"p{i}.{ext}", data)
    return buf.getvalue()


def _rar() -> bytes:
    def block(htype: int, flags: int, body: bytes) -> bytes:
        head = struct.pack("<BHH", htype, flags, 7 + len(body)) + body
        return struct.pack("<H", zlib.crc32(head) & 0xFFFF) + head

    out = bytearray(b"Rar!\x1a\x07\x00") + block(0x73, 0, bytes(6))
    for name, data in [("1.png", IMAGES["png"]), ("2.jpg", IMAGES["jpg"])]:
        raw = name.encode()
        info = struct.pack(
            "<IIBIIBBHI",
            len(data),
            len(data),
            3,
            zlib.crc32(data),
            0x5A210000,
            20,
            0x30,
            len(raw),
            0,
        )
        out += block(0x74, 0x8000, info + raw) + data
    return bytes(out + block(0x7B, 0x4000, b""))


def _cb7() -> bytes:
    import py7zr

    buf = io.BytesIO()
    with py7zr.SevenZipFile(buf, "w") as sz:
        sz.writestr(COMICINFO, "ComicInfo.xml")
        for i, (ext, data) in enumerate(IMAGES.items()):
            sz.writestr(data, f"p{i}.{ext}")
    return buf.getvalue()


def _cbt(mode: str) -> bytes:
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for i, (ext, data) in enumerate([("ComicInfo", COMICINFO), *IMAGES.items()]):
            info = tarfile.TarInfo("ComicInfo.xml" if ext == "ComicInfo" else f"./p{i}.{ext}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _pdf() -> bytes:
    buf = io.BytesIO()
    first = Image.new("RGB", (40, 60), (200, 0, 0))
    first.save(buf, "PDF", save_all=True, append_images=[Image.new("L", (80, 30))])
    return buf.getvalue()


CBZ = _cbz()
RAR = _rar()
CB7 = _cb7()
CBT = _cbt("w")
CBT_GZ = _cbt("w:gz")
PDF = _pdf()


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """`base` with a few random byte flips, overwrites, insertions, deletions or a cut."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "int"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 32))]
        elif op == "truncate":
            del data[pos:]
        elif op == "int" and len(data) >= pos + 4:
            # Sizes and offsets are 32-bit fields: try the edge values.
            value = draw(st.sampled_from([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0x10000]))
            struct.pack_into("<I", data, pos, value)
    return bytes(data)


def _read_everything(path: Path) -> None:
    """Open the book and decode every page; only M2MErrors may escape."""
    try:
        book = open_book(path)
    except M2MError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    with book:
        assert len(book) > 0
        for i in range(len(book)):
            try:
                im = book.image(i)
            except PageError as exc:
                assert str(exc)
                continue
            assert im.mode in ("RGB", "L")


def _write_and_read(name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        _read_everything(path)


@FUZZ
@given(mutated(CBZ))
def test_mutated_cbz(data: bytes) -> None:
    _write_and_read("fuzz.cbz", data)


@FUZZ
@given(mutated(RAR))
def test_mutated_cbr(data: bytes) -> None:
    _write_and_read("fuzz.cbr", data)


@FUZZ
@given(mutated(CB7))
def test_mutated_cb7(data: bytes) -> None:
    _write_and_read("fuzz.cb7", data)


@FUZZ
@given(st.sampled_from([CBT, CBT_GZ]).flatmap(mutated))
def test_mutated_cbt(data: bytes) -> None:
    _write_and_read("fuzz.cbt", data)


def test_unmutated_archives_read_whole() -> None:
    """The fuzz bases themselves: every page of every format decodes."""
    for name, data in (("a.cbz", CBZ), ("a.cb7", CB7), ("a.cbt", CBT), ("b.cbt", CBT_GZ)):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            with open_book(path) as book:
                assert book.direction == "rtl" and book.pages[1].double
                assert len(book) == len(IMAGES) - 1  # ComicInfo deletes one
                assert all(book.image(i).size == (24, 16) for i in range(len(book)))


@FUZZ
@given(mutated(PDF))
def test_mutated_pdf(data: bytes) -> None:
    _write_and_read("fuzz.pdf", data)


@FUZZ
@given(st.sampled_from(sorted(IMAGES)).flatmap(lambda ext: mutated(IMAGES[ext])))
def test_mutated_images(data: bytes) -> None:
    try:
        im = decode(data, "page 1 of fuzz")
    except PageError as exc:
        assert "page 1 of fuzz" in str(exc)
        return
    assert im.mode in ("RGB", "L")


@FUZZ
@given(mutated(MANGA109), mutated(RELATIONSHIPS))
def test_mutated_manga109(annotation: bytes, relationships: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for sub in ("annotations", "relationships", "images/F"):
            (root / sub).mkdir(parents=True)
        (root / "annotations" / "F.xml").write_bytes(annotation)
        (root / "relationships" / "F.xml").write_bytes(relationships)
        (root / "images" / "F" / "000.jpg").write_bytes(IMAGES["jpg"])
        _read_everything(root / "annotations" / "F.xml")


@FUZZ
@given(
    st.one_of(mutated(COMICINFO), st.binary(max_size=200), st.text(max_size=200).map(str.encode))
)
def test_mutated_xml(data: bytes) -> None:
    try:
        parse_xml(data, "fuzz.xml")
    except M2MError:
        pass
    try:
        info = parse_comicinfo(data, "ComicInfo.xml")
    except M2MError:
        return
    assert info.direction in (None, "rtl", "ltr")
