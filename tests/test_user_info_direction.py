"""A user's check: `m2m-reader info` tells the direction the reader will use.

A CBZ without ComicInfo does not say its direction, so the reader takes the
`default_direction` setting (right to left unless changed). `info` says
"(from the setting)" and must then print that setting, not a fixed "ltr":
on a fresh install it printed "ltr (from the setting)" while the window opened
the same book right to left (Right turned back).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from m2m_reader.cli import main
from m2m_reader.engine.core import settings as settings_mod


def _cbz(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(2):
            buf = io.BytesIO()
            Image.new("RGB", (60, 80), (255, 255, 255)).save(buf, "PNG")
            zf.writestr(f"{i + 1:02d}.png", buf.getvalue())
    return path


def _direction_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("direction:"))


@pytest.mark.parametrize("setting", [None, "ltr", "rtl"])
def test_info_direction_is_the_setting(tmp_path, capsys, setting):
    if setting is not None:
        s = settings_mod.load()
        s.default_direction = setting
        settings_mod.save(s)
    expected = settings_mod.load().default_direction  # what the reader window will use
    book = _cbz(tmp_path / "book.cbz")
    assert main(["info", str(book)]) == 0
    line = _direction_line(capsys.readouterr().out)
    assert line.split()[1] == expected, line
    assert "from the setting" in line


def test_info_direction_flag_wins(tmp_path, capsys):
    book = _cbz(tmp_path / "book.cbz")
    assert main(["info", str(book), "--direction", "ltr"]) == 0
    assert _direction_line(capsys.readouterr().out).split()[1] == "ltr"
