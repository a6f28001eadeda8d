"""Books that cannot be read say so in one sentence naming the file and the cause:
password-protected ZIP (Info-ZIP and 7z) and RAR, ZIP compressions Python cannot read
(Deflate64, PPMd), a CBR without unar, pages that are not images. `export` and
`analyze` exit non-zero when no page can be read and list the unreadable pages when
some can; the reader shows the cause, never a library object's repr."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bookfactory import rar5_renamed, run, tool
from PIL import Image

from m2m_reader.cli import main
from m2m_reader.engine.books import open_book
from m2m_reader.engine.core.errors import BookError, PageError

RAR = Path(__file__).parent / "data" / "rar"  # from rarfile's tests; see its README.md
ROOT = Path(__file__).resolve().parents[1]


def pages(folder: Path, n: int = 3) -> Path:
    """PNG pages as a scanner might store them: flat paper, some ink, no compression
    (so that archivers do compress them, with the method asked for)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        im = Image.new("L", (120, 180), 235)
        im.paste(20, (10 + 10 * i, 20, 60 + 10 * i, 90))
        im.save(folder / f"{i + 1:03d}.png", compress_level=0)
    return folder


def one_sentence(message: str, path: Path, *words: str) -> None:
    assert str(path.name) in message
    assert "\n" not in message and "Info" not in message and "<" not in message
    for w in words:
        assert w in message, message


# Password-protected archives --------------------------------------------------------


def test_zip_encrypted_by_info_zip_says_password_protected(tmp_path):
    src = pages(tmp_path / "src")
    run(tool("zip"), "-q", "-P", "secret", tmp_path / "locked.cbz", ".", "-r", cwd=src)
    with pytest.raises(BookError) as err:
        open_book(tmp_path / "locked.cbz")
    one_sentence(str(err.value), tmp_path / "locked.cbz", "password-protected")


def test_zip_encrypted_by_7z_says_password_protected(tmp_path):
    src = pages(tmp_path / "src")
    run(tool("7z"), "a", "-bd", "-tzip", "-psecret", tmp_path / "locked.cbz", ".", cwd=src)
    with pytest.raises(BookError) as err:
        open_book(tmp_path / "locked.cbz")
    one_sentence(str(err.value), tmp_path / "locked.cbz", "password-protected")


def test_zip_with_some_encrypted_pages_opens_and_those_pages_say_why(tmp_path):
    src = pages(tmp_path / "src", 3)
    book_path = tmp_path / "mixed.cbz"
    run(tool("zip"), "-q", book_path, "001.png", "003.png", cwd=src)
    run(tool("zip"), "-q", "-P", "secret", book_path, "002.png", cwd=src)
    with open_book(book_path) as book:
        assert book.image(0).size == (120, 180)
        with pytest.raises(PageError) as err:
            book.image(1)
        one_sentence(str(err.value), book_path, "page 2 (002.png)", "encrypted")
        assert book.image(2).size == (120, 180)
        assert list(book.unreadable()) == [1]


def test_7z_encrypted_with_and_without_its_names_says_password_protected(tmp_path):
    src = pages(tmp_path / "src")
    for flags, name in (([], "a.cb7"), (["-mhe=on"], "b.cb7")):
        run(tool("7z"), "a", "-bd", "-psecret", *flags, tmp_path / name, ".", cwd=src)
        with pytest.raises(BookError) as err:
            open_book(tmp_path / name)
        one_sentence(str(err.value), tmp_path / name, "password-protected")
        assert "extract it with its password" in str(err.value)  # what to do instead


def test_rar_with_encrypted_pages_says_password_protected(tmp_path):
    book_path = tmp_path / "locked.cbr"
    book_path.write_bytes(
        rar5_renamed(
            (RAR / "rar5-psw.rar").read_bytes(),
            {"stest1.txt": "page01.jpg", "stest2.txt": "page02.jpg"},
        )
    )
    with pytest.raises(BookError) as err:
        open_book(book_path)
    one_sentence(str(err.value), book_path, "password-protected")
    assert "extract it with its password" in str(err.value)


def test_rar_with_encrypted_names_says_password_protected(tmp_path):
    book_path = tmp_path / "hidden.cbr"
    shutil.copy(RAR / "rar5-hpsw.rar", book_path)
    with pytest.raises(BookError) as err:
        open_book(book_path)
    one_sentence(str(err.value), book_path, "password-protected")
    assert "extract it with its password" in str(err.value)


# Compressions and tools -------------------------------------------------------------


@pytest.mark.parametrize("method", ["Deflate64", "PPMd"])
def test_zip_compression_python_cannot_read_is_named(tmp_path, method):
    src = pages(tmp_path / "src")
    book_path = tmp_path / f"{method}.cbz"
    run(tool("7z"), "a", "-bd", "-tzip", f"-mm={method}", book_path, ".", cwd=src)
    with pytest.raises(BookError) as err:
        open_book(book_path)
    one_sentence(str(err.value), book_path, f"compressed with {method}", "repack")


def solid_cbr(tmp_path: Path) -> Path:
    book_path = tmp_path / "solid.cbr"
    book_path.write_bytes(
        rar5_renamed(
            (RAR / "rar5-solid.rar").read_bytes(),
            {"stest1.txt": "page01.jpg", "stest2.txt": "page02.jpg"},
        )
    )
    return book_path


def test_cbr_without_unar_says_to_install_it(tmp_path):
    book_path = solid_cbr(tmp_path)
    empty = tmp_path / "bin"
    empty.mkdir()  # a PATH with no unar, unrar, 7z or bsdtar on it
    proc = subprocess.run(
        [sys.executable, "-m", "m2m_reader.cli", "info", str(book_path)],
        env={**os.environ, "PATH": str(empty)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    err = proc.stderr.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    one_sentence(err, book_path, "unar", "apt-get install unar")


def test_cbr_with_unar_reads_and_a_text_member_is_not_an_image(tmp_path):
    tool("unar")
    book_path = solid_cbr(tmp_path)
    with open_book(book_path) as book:
        with pytest.raises(PageError) as err:
            book.image(0)  # the member holds text: extracted, then refused as no image
    one_sentence(str(err.value), book_path, "page 1 (page01.jpg)", "not an image")


# Commands ---------------------------------------------------------------------------


def not_images(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"{i + 1:03d}.jpg").write_text("this is a text file, not a scan\n")
    return folder


@pytest.mark.parametrize("command", ["analyze", "export"])
def test_commands_exit_non_zero_when_no_page_can_be_read(tmp_path, capsys, command):
    book = not_images(tmp_path / "book", 3)
    out = tmp_path / "out.wav"
    argv = [command, str(book)] + (["-o", str(out)] if command == "export" else [])
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "no page of book can be read" in err and "not an image" in err
    assert "page 1 (001.jpg)" in err and "2 more pages" in err
    assert err.strip().count("\n") == 0
    assert not out.exists()


def test_export_lists_unreadable_pages_in_warnings_and_chapters(tmp_path, capsys):
    book = pages(tmp_path / "book", 3)
    (book / "002.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    out = tmp_path / "out.wav"
    code = main(["export", str(book), "-o", str(out), "--seconds-per-page", "1", "--no-cache"])
    assert code == 0
    err = capsys.readouterr().err
    assert "unreadable: page 2 (002.png) of book" in err
    chapters = json.loads(out.with_name("out.chapters.json").read_text())
    assert [(p["index"], p["name"]) for p in chapters["unreadable_pages"]] == [(1, "002.png")]
    assert "002.png" in chapters["unreadable_pages"][0]["reason"]


def test_analyze_lists_unreadable_pages_again_from_the_cache(tmp_path, capsys):
    book = pages(tmp_path / "book", 3)
    (book / "003.png").write_text("not a page")
    for _ in range(2):  # the second run takes the page statistics from the cache
        assert main(["analyze", str(book)]) == 0
        err = capsys.readouterr().err
        assert "unreadable: page 3 (003.png) of book is not an image" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["/no/such/book.cbz"],
        ["export", "nosuch.cbz", "-o", "x.ogg"],
        ["analyze", "nosuch.cbz"],
        ["info", "nosuch.cbz"],
    ],
)
def test_a_mistyped_book_path_says_no_such_file(tmp_path, capsys, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("m2m-reader: error: no such file: ") and err.count("\n") == 0
    assert "choose from" not in err and "usage" not in captured.out + err
    assert not (tmp_path / "x.ogg").exists()


def test_a_mistyped_command_still_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["exprot"])
    assert exc.value.code == 2
    assert "choose from" in capsys.readouterr().err


# The reader -------------------------------------------------------------------------


def test_reader_shows_the_cause_not_a_zipinfo_repr(tmp_path, qtbot):
    from m2m_reader.ui.image_loader import PageImages
    from m2m_reader.ui.page_view import card_title

    src = pages(tmp_path / "src", 2)
    book_path = tmp_path / "mixed.cbz"
    run(tool("zip"), "-q", book_path, "001.png", cwd=src)
    run(tool("zip"), "-q", "-P", "secret", book_path, "002.png", cwd=src)
    images = PageImages()
    with open_book(book_path) as book:
        images.set_book(book)
        with qtbot.waitSignal(images.failed, timeout=10_000) as blocker:
            images.request(1)
        index, reason = blocker.args
        images.wait_idle()
    assert index == 1
    one_sentence(reason, book_path, "page 2 (002.png)", "encrypted")
    assert card_title(reason) == "Password-protected page"
    assert card_title("page 3 (3.jpg) of b.cbz is damaged (truncated)") == "Damaged page"
    assert card_title("page 3 (3.jpg) of b.cbz is not an image") == "Unreadable page"
