"""Finding a SoundFont: setting, environment variable, usual folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from m2m_reader.engine.music import soundfont
from m2m_reader.engine.music.soundfont import ENV_VAR, find_soundfont


def fake_font(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF" + b"\x00" * 4096)
    return path


@pytest.fixture(autouse=True)
def no_system_fonts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv(ENV_VAR, raising=False)
    system = tmp_path / "system"
    monkeypatch.setattr(soundfont, "SEARCH_DIRS", (str(system),))
    return system


def test_nothing_installed_gives_none() -> None:
    assert find_soundfont() is None


def test_setting_wins_over_environment_and_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_system_fonts: Path
) -> None:
    fake_font(no_system_fonts / "TimGM6mb.sf2")
    env = fake_font(tmp_path / "env" / "mine.sf3")
    own = fake_font(tmp_path / "own.sf2")
    monkeypatch.setenv(ENV_VAR, str(env))
    assert find_soundfont(own) == own.resolve()
    assert find_soundfont() == env.resolve()
    monkeypatch.delenv(ENV_VAR)
    assert find_soundfont() == (no_system_fonts / "TimGM6mb.sf2").resolve()


def test_folder_setting_is_searched_and_prefers_known_fonts(tmp_path: Path) -> None:
    folder = tmp_path / "fonts"
    fake_font(folder / "aaa.sf2")
    fake_font(folder / "FluidR3_GM.sf2")
    (folder / "notes.txt").write_text("not a font")
    assert find_soundfont(folder) == (folder / "FluidR3_GM.sf2").resolve()


def test_missing_setting_falls_through(tmp_path: Path, no_system_fonts: Path) -> None:
    fake_font(no_system_fonts / "other.sf3")
    assert find_soundfont(tmp_path / "gone.sf2") == (no_system_fonts / "other.sf3").resolve()
