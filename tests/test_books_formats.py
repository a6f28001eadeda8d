"""Books as real tools write them: cp932 ZIP names, AVIF/TIFF/JPEG XL pages, EXIF
orientation, natural order across folders, CB7 and CBT — each made with the tool
(zip, 7z, tar, cjxl) or the way the tool writes it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from bookfactory import run, tool, zip_raw_names
from PIL import Image

from m2m_reader.cli import main
from m2m_reader.engine.books import open_book
from m2m_reader.engine.books.zip_source import implausible_cp437
from m2m_reader.engine.core.errors import UnsafeInputError

ORDER = [
    "cover.jpg",
    "Chapter 1/01.jpg",
    "Chapter 1/02.jpg",
    "Chapter 1.5/01.jpg",
    "Chapter 2/01.jpg",
    "Chapter 10/01.jpg",
]


def jpeg(path: Path, size: tuple[int, int] = (60, 90), colour=(200, 40, 40), **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, quality=90, **kw)
    return path


def chapters_folder(root: Path) -> Path:
    """A scanned book: the cover at the root, then chapter folders 1, 1.5, 2 and 10."""
    src = root / "src"
    for i, name in enumerate(reversed(ORDER)):  # written out of order on purpose
        jpeg(src / name, colour=(10 * i, 100, 100))
    return src


def names(path: Path) -> list[str]:
    with open_book(path) as book:
        return [p.name for p in book.pages]


# Natural order ---------------------------------------------------------------------


def test_folder_order_puts_the_root_cover_first_then_chapters_by_number(tmp_path):
    assert names(chapters_folder(tmp_path)) == ORDER


def test_zip_made_by_info_zip_reads_in_the_same_order(tmp_path):
    src = chapters_folder(tmp_path)
    run(tool("zip"), "-q", "-r", tmp_path / "book.cbz", ".", cwd=src)
    assert names(tmp_path / "book.cbz") == ORDER


# CB7 and CBT -----------------------------------------------------------------------


def test_cb7_made_by_7z_reads_every_page_in_order(tmp_path):
    src = chapters_folder(tmp_path)
    run(tool("7z"), "a", "-bd", tmp_path / "book.cb7", ".", cwd=src)
    with open_book(tmp_path / "book.cb7") as book:
        assert book.kind == "cb7"
        assert [p.name for p in book.pages] == ORDER
        # every page decodes, in any order (solid 7z blocks are read in runs)
        for i in reversed(range(len(book))):
            assert book.image(i).size == (60, 90)
        assert book.pages[0].width == 60  # learnt on first decode


@pytest.mark.parametrize("flags", ["cf", "czf"], ids=["plain", "gzip"])
def test_cbt_made_by_tar_reads_every_page_in_order(tmp_path, flags):
    src = chapters_folder(tmp_path)
    run(tool("tar"), flags, tmp_path / "book.cbt", ".", cwd=src)  # names start with ./
    with open_book(tmp_path / "book.cbt") as book:
        assert book.kind == "cbt"
        assert [p.name for p in book.pages] == ORDER
        assert book.image(5).getpixel((5, 5))[1] == 100


def test_cbt_member_escaping_the_archive_is_refused(tmp_path):
    jpeg(tmp_path / "01.jpg")
    run(tool("tar"), "cf", "evil.cbt", "--transform=s,^,../,", "01.jpg", cwd=tmp_path)
    with pytest.raises(UnsafeInputError, match="escapes"):
        open_book(tmp_path / "evil.cbt")


def test_cb7_with_absolute_paths_is_refused(tmp_path):
    page = jpeg(tmp_path / "01.jpg")
    run(tool("7z"), "a", "-bd", "-spf", tmp_path / "abs.cb7", page, cwd=tmp_path)  # full paths
    with pytest.raises(UnsafeInputError, match="escapes"):
        open_book(tmp_path / "abs.cb7")


def test_cbt_symlink_to_a_system_file_is_never_read(tmp_path):
    jpeg(tmp_path / "01.jpg")
    (tmp_path / "02.jpg").symlink_to("/etc/passwd")
    run(tool("tar"), "cf", "links.cbt", "01.jpg", "02.jpg", cwd=tmp_path)
    with open_book(tmp_path / "links.cbt") as book:
        assert [p.name for p in book.pages] == ["01.jpg", "02.jpg"]
        assert book.image(0).size == (60, 90)
        with pytest.raises(Exception, match="link"):
            book.image(1)


@pytest.mark.parametrize("kind", ["cb7", "cbt"])
def test_bombs_are_refused_in_7z_and_tar_as_in_zip(tmp_path, kind):
    """60 MiB of zeros packed into a few KiB: past the 200× expansion limit."""
    src = tmp_path / "src"
    jpeg(src / "01.jpg")
    with open(src / "02.jpg", "wb") as f:
        f.truncate(60 * 1024**2)
    out = tmp_path / f"bomb.{kind}"
    if kind == "cb7":
        run(tool("7z"), "a", "-bd", out, ".", cwd=src)
    else:
        run(tool("tar"), "czf", out, ".", cwd=src)
    with pytest.raises(UnsafeInputError, match="archive bomb"):
        open_book(out)


# ZIP names without the UTF-8 flag ----------------------------------------------------


def test_cp932_names_from_a_japanese_archiver_read_as_japanese(tmp_path):
    page = jpeg(tmp_path / "p.jpg").read_bytes()
    raw = [
        ("第2話/001.jpg", page),
        ("表紙.jpg", page),  # 表 is 0x95 0x5C: its second byte is a backslash
        ("第1話/表.jpg", page),
        ("第1話/002.jpg", page),
    ]
    book_path = zip_raw_names(tmp_path / "jp.cbz", [(n.encode("cp932"), d) for n, d in raw])
    assert names(book_path) == ["表紙.jpg", "第1話/002.jpg", "第1話/表.jpg", "第2話/001.jpg"]
    with open_book(book_path) as book:
        assert all(book.image(i).size == (60, 90) for i in range(len(book)))


def test_cp437_names_from_a_western_tool_stay_cp437(tmp_path):
    page = jpeg(tmp_path / "p.jpg").read_bytes()
    raw = [("Café/Noël 01.jpg".encode("cp437"), page), ("Größe.jpg".encode("cp437"), page)]
    assert names(zip_raw_names(tmp_path / "w.cbz", raw)) == ["Größe.jpg", "Café/Noël 01.jpg"]


def test_utf8_names_without_the_flag_read_as_utf8(tmp_path):
    page = jpeg(tmp_path / "p.jpg").read_bytes()
    raw = [("漫画/01.jpg".encode(), page)]
    assert names(zip_raw_names(tmp_path / "u.cbz", raw)) == ["漫画/01.jpg"]


def test_info_zip_on_a_cp932_file_name_keeps_the_kanji(tmp_path):
    """Info-ZIP stores a file name's bytes as they are on disk, flag unset."""
    src = tmp_path / "src"
    src.mkdir()
    name = "表紙.jpg".encode("cp932")
    with open(os.fsencode(src) + b"/" + name, "wb") as f:  # a file name in bytes, as on disk
        f.write(jpeg(tmp_path / "p.jpg").read_bytes())
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    subprocess.run(
        [tool("zip"), "-q", str(tmp_path / "b.cbz"), os.fsdecode(name)],
        cwd=src,
        env=env,
        check=True,
        capture_output=True,
    )
    assert names(tmp_path / "b.cbz") == ["表紙.jpg"]


def test_cp437_plausibility():
    assert not implausible_cp437("Café.jpg".encode("cp437"))
    assert implausible_cp437("表.jpg".encode("cp932"))  # a letter before a backslash
    assert implausible_cp437("第1話.jpg".encode("cp932"))


# Image formats and orientation -------------------------------------------------------


def test_avif_tiff_and_jpeg_xl_pages_read(tmp_path):
    src = tmp_path / "book"
    src.mkdir()
    Image.new("RGB", (64, 96), (30, 160, 30)).save(src / "01.avif")  # libavif, as Pillow does
    Image.new("RGB", (64, 96), (30, 30, 160)).save(src / "02.tif", compression="tiff_lzw")
    Image.new("RGB", (64, 96), (160, 30, 30)).save(tmp_path / "03.png")
    run(tool("cjxl"), tmp_path / "03.png", src / "03.jxl", cwd=tmp_path)
    with open_book(src) as book:
        assert [p.name for p in book.pages] == ["01.avif", "02.tif", "03.jxl"]
        assert [(p.width, p.height) for p in book.pages] == [(64, 96)] * 3
        colours = [book.image(i).getpixel((10, 10)) for i in range(3)]
    greenest, bluest, reddest = (max(range(3), key=lambda c: col[c]) for col in colours)
    assert (greenest, bluest, reddest) == (1, 2, 0)


def test_avif_made_by_ffmpeg_reads(tmp_path):
    src = tmp_path / "book"
    src.mkdir()
    subprocess.run(
        [tool("ffmpeg"), "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=96x144",
         "-frames:v", "1", "-c:v", "libaom-av1", "-still-picture", "1", str(src / "01.avif")],
        check=True, capture_output=True,
    )  # fmt: skip
    with open_book(src) as book:
        assert (book.pages[0].width, book.pages[0].height) == (96, 144)
        assert book.image(0).size == (96, 144)


def test_exif_orientation_is_applied_before_size_and_spread_detection(tmp_path):
    """A phone or scanner stores the pixels sideways and says so in EXIF."""
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    src = tmp_path / "book"
    # stored 300×150 (would be a spread), shown 150×300: a single page
    jpeg(src / "01.jpg", (300, 150), exif=exif.tobytes())
    # stored 150×300, shown 300×150: a spread
    jpeg(src / "02.jpg", (150, 300), exif=exif.tobytes())
    with open_book(src) as book:
        p1, p2 = book.pages
        assert (p1.width, p1.height, p1.double) == (150, 300, False)
        assert (p2.width, p2.height, p2.double) == (300, 150, True)
        assert book.image(0).size == (150, 300)
        assert book.image(1).size == (300, 150)


def test_exif_orientation_in_a_jpeg_xl_recompressed_from_jpeg(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 8
    src = tmp_path / "book"
    src.mkdir()
    shot = jpeg(tmp_path / "shot.jpg", (200, 100), exif=exif.tobytes())
    run(tool("cjxl"), shot, src / "01.jxl", cwd=tmp_path)  # lossless JPEG transcode keeps EXIF
    with open_book(src) as book:
        assert (book.pages[0].width, book.pages[0].height) == (100, 200)
        assert book.image(0).size == (100, 200)


# info --pages ------------------------------------------------------------------------


def test_info_pages_lists_the_reading_order_with_names(tmp_path, capsys):
    src = chapters_folder(tmp_path)
    run(tool("zip"), "-q", "-r", tmp_path / "book.cbz", ".", cwd=src)
    assert main(["info", str(tmp_path / "book.cbz"), "--pages"]) == 0
    out = capsys.readouterr().out
    rows = [
        re.match(r"\s*(\d+)  (.+?)\s+60×90$", line)
        for line in out.split("order:")[1].split("\n")[1:-1]
    ]
    assert [(int(r[1]), r[2]) for r in rows if r] == list(enumerate(ORDER, 1))


def test_cb7_pages_read_in_order_cost_one_pass_and_any_page_comes_back(tmp_path, monkeypatch):
    """A solid 7z is decompressed once for a book read in order, even past the memory
    budget a page read again after being given up is extracted again, byte for byte."""
    from m2m_reader.engine.books import sevenzip_source as members

    src = tmp_path / "src"
    src.mkdir()
    for i in range(12):
        Image.effect_noise((80, 120), 40 + i).convert("L").save(src / f"{i:02d}.png")
    run(tool("7z"), "a", "-bd", tmp_path / "book.cb7", ".", cwd=src)
    passes: list[object] = []
    real_start = members._Pass.start
    monkeypatch.setattr(
        members._Pass, "start", lambda self: (passes.append(self), real_start(self))
    )
    source = members.SevenZipSource(tmp_path / "book.cb7")
    try:
        listed = list(source.iter_members())
        for m in listed:
            assert source.read(m, 10**8) == (src / m.name).read_bytes()
        assert len(passes) == 1
        monkeypatch.setattr(members, "KEEP_BYTES", 3 * listed[0].size)  # keeps about 3 pages
        source._kept.clear()
        source._kept_bytes = 0
        for m in (listed[10], listed[2], listed[11], listed[0]):
            assert source.read(m, 10**8) == (src / m.name).read_bytes()
    finally:
        source.close()


def test_info_zip_in_a_utf8_locale_keeps_the_name(tmp_path):
    """Info-ZIP 3.0 writes a UTF-8 system's names as they are, without the flag."""
    src = tmp_path / "src"
    jpeg(src / "漫画" / "第1話.jpg")
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    subprocess.run(
        [tool("zip"), "-q", "-r", str(tmp_path / "b.cbz"), "漫画"],
        cwd=src,
        env=env,
        check=True,
        capture_output=True,
    )
    assert names(tmp_path / "b.cbz") == ["漫画/第1話.jpg"]
