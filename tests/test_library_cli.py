"""`m2m-reader library add|ls|prepare|remove`."""

from __future__ import annotations

from test_library import folder_book

from m2m_reader.cli import main
from m2m_reader.engine.library import Library


def test_add_ls_prepare_remove(tmp_path, capsys):
    path = folder_book(tmp_path, "Short Story", pages=3)
    assert main(["library", "add", str(path)]) == 0
    assert "Short Story" in capsys.readouterr().out
    assert main(["library", "ls"]) == 0
    assert "page   1/3" in capsys.readouterr().out
    book_id = Library().books()[0].id
    assert main(["library", "prepare", str(book_id), "--offline"]) == 0
    assert "music ready for 3 of 3 pages" in capsys.readouterr().out
    assert Library().get(book_id).offline_ready
    assert main(["library", "ls"]) == 0
    assert "offline ready" in capsys.readouterr().out
    assert main(["library", "remove", str(book_id)]) == 0
    assert Library().books() == []


def test_unknown_book_and_bad_path_are_one_line_errors(tmp_path, capsys):
    assert main(["library", "prepare", "9"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("m2m-reader: error: there is no book 9") and err.count("\n") == 1
    assert main(["library", "add", str(tmp_path / "nope.cbz")]) == 1
    assert "nope.cbz" in capsys.readouterr().err


def test_empty_library(capsys):
    assert main(["library", "ls"]) == 0
    assert "the library is empty" in capsys.readouterr().out
