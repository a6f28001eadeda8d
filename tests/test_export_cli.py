"""`m2m-reader export` end to end: a folder book, built-in analysis, the composer."""

from __future__ import annotations

import json

import pytest
import soundfile as sf
from PIL import Image

from m2m_reader.cli import main


@pytest.fixture
def folder_book(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    for i in range(3):
        Image.new("L", (60, 90), 40 + 60 * i).save(book / f"{i + 1:03d}.png")
    return book


@pytest.fixture(autouse=True)
def user_dirs(tmp_path, monkeypatch):
    for name in ("CACHE", "DATA", "CONFIG"):
        monkeypatch.setenv(f"M2M_READER_{name}_DIR", str(tmp_path / name.lower()))


def test_export_command_writes_audio_and_chapters(folder_book, tmp_path, capsys):
    out = tmp_path / "out" / "soundtrack.ogg"
    out.parent.mkdir()
    code = main(
        ["export", str(folder_book), "-o", str(out), "--seconds-per-page", "5", "--offline"]
    )
    assert code == 0
    info = sf.info(out)
    assert info.duration == pytest.approx(3 * 5 + 3, abs=0.2)
    doc = json.loads((out.parent / "soundtrack.chapters.json").read_text())
    assert [p["start_s"] for p in doc["pages"]] == [0.0, 5.0, 10.0]
    assert all(p["plan"]["tempo"] > 0 for p in doc["pages"])
    assert (out.parent / "soundtrack.cue").exists()
    assert "wrote" in capsys.readouterr().out


def test_bad_output_fails_before_opening_the_book(tmp_path, capsys):
    # the book does not exist either: the output error must come first
    code = main(["export", str(tmp_path / "nobook"), "-o", str(tmp_path / "none" / "a.wav")])
    assert code == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and "none" in err and err.count("\n") == 1


def test_bad_seconds_per_page(folder_book, tmp_path, capsys):
    code = main(
        ["export", str(folder_book), "-o", str(tmp_path / "a.wav"), "--seconds-per-page", "-3"]
    )
    assert code == 1
    assert "--seconds-per-page" in capsys.readouterr().err
    assert not (tmp_path / "a.wav").exists()


def test_repeated_warnings_print_once():
    from m2m_reader.commands.export import grouped_warnings

    lines = grouped_warnings(
        ["page 1: No SoundFont.", "page 2: No SoundFont.", "page 3: empty caption"]
    )
    assert lines == ["No SoundFont (pages 1, 2)", "empty caption (page 3)"]
