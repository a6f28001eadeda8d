"""Folders of images and PDFs, built in tmp_path; plus `m2m-reader info`."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from PIL import Image

from m2m_reader.commands import info
from m2m_reader.engine.books import open_book
from m2m_reader.engine.core.errors import BookError, M2MError, PageError


def run_info(argv: list[str]) -> int:
    """Run `m2m-reader info` through its own parser (the CLI's other commands aside)."""
    parser = argparse.ArgumentParser(prog="m2m-reader")
    info.register(parser.add_subparsers())
    args = parser.parse_args(["info", *argv])
    return int(args.func(args))


def make_folder(root: Path) -> Path:
    root.mkdir()
    for name, shade in [("page10.png", 10), ("page2.jpg", 2), ("Page1.webp", 1)]:
        Image.new("RGB", (60, 90), (shade, shade, shade)).save(root / name, quality=100)
    Image.new("RGB", (200, 90)).save(root / "page11.bmp")  # wide: a spread
    Image.new("RGB", (5, 5)).save(root / ".hidden.png")
    (root / "__MACOSX").mkdir()
    Image.new("RGB", (5, 5)).save(root / "__MACOSX" / "page0.png")
    (root / "notes.txt").write_text("not a page")
    return root


def test_folder_natural_order_and_spreads(tmp_path: Path) -> None:
    with open_book(make_folder(tmp_path / "My Book")) as book:
        assert book.kind == "folder" and book.title == "My Book"
        assert [p.name for p in book.pages] == [
            "Page1.webp",
            "page2.jpg",
            "page10.png",
            "page11.bmp",
        ]
        assert [p.double for p in book.pages] == [False, False, False, True]
        assert book.image(2).getpixel((0, 0)) == (10, 10, 10)
        assert book.direction == "ltr" and not book.direction_known


def test_folder_comicinfo(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "b")
    (root / "ComicInfo.xml").write_text(
        '<ComicInfo><Manga>YesAndRightToLeft</Manga><Pages><Page Image="0" Type="Deleted"/>'
        "</Pages></ComicInfo>"
    )
    with open_book(root) as book:
        assert book.direction == "rtl" and book.direction_known
        assert book.pages[0].name == "page2.jpg" and len(book) == 3


def test_folder_damaged_image_and_empty_folder(tmp_path: Path) -> None:
    root = make_folder(tmp_path / "b")
    (root / "page2.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    with open_book(root) as book:
        with pytest.raises(PageError, match=r"page 2 \(page2.jpg\) of b"):
            book.image(1)
        assert book.image(0).size == (60, 90)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BookError, match="empty holds no page images"):
        open_book(tmp_path / "empty")


def test_pdf_sizes_without_rendering_and_render(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    first = Image.new("RGB", (400, 600), (200, 10, 10))
    wide = Image.new("RGB", (1200, 600), (10, 200, 10))
    first.save(path, save_all=True, append_images=[wide], resolution=100)
    with open_book(path) as book:
        assert book.kind == "pdf" and len(book) == 2
        # 400 px at 100 dpi = 4 in; rendered at 150 dpi = 600 px (±1 for rounding).
        assert book.pages[0].width == pytest.approx(600, abs=1)
        assert book.pages[0].height == pytest.approx(900, abs=1)
        assert [p.double for p in book.pages] == [False, True]
        known = (book.pages[1].width, book.pages[1].height)
        im = book.image(1)
        assert im.size == known
        assert im.width == pytest.approx(1800, abs=1)
        r, g, b = im.getpixel((900, 450))[:3]
        assert g > 150 and r < 60


def test_damaged_pdf_and_unknown_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\nthis is no pdf at all")
    with pytest.raises(BookError, match="bad.pdf is not a readable PDF"):
        open_book(bad)
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    with pytest.raises(BookError, match="notes.txt is not a book m2m-reader can open"):
        open_book(other)
    with pytest.raises(BookError, match="missing.cbz does not exist"):
        open_book(tmp_path / "missing.cbz")


def test_info_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_folder(tmp_path / "b")
    assert run_info([str(root), "--direction", "rtl"]) == 0
    out = capsys.readouterr().out
    assert "kind:       folder" in out
    assert "direction:  rtl (from the setting)" in out
    assert "pages:      4" in out
    assert "double:     1 (4)" in out


def test_info_command_error_is_one_sentence(tmp_path: Path) -> None:
    junk = tmp_path / "junk.cbz"
    junk.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(M2MError) as caught:  # the CLI prints it as one line and exits 1
        run_info([str(junk)])
    assert "\n" not in str(caught.value) and "junk.cbz" in str(caught.value)
