"""A settings file with bad values: each is skipped with one warning, the rest is read,
and saving keeps what the person wrote (nothing is replaced by a default behind them)."""

from __future__ import annotations

import json
import logging

import pytest

from m2m_reader.engine.core import settings as settings_mod
from m2m_reader.engine.core.settings import Settings, SettingsError, load, save


@pytest.fixture
def path(tmp_path, monkeypatch):
    monkeypatch.setenv("M2M_READER_CONFIG_DIR", str(tmp_path / "config"))
    p = settings_mod.settings_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


# A file as a person might edit it by hand: the bad values as raw JSON text.
BAD_FILE = """{
  "version": 2,
  "cache_limit_mb": 1e400,
  "crossfade_s": 1e400,
  "volume": "0.5",
  "reader_zoom": NaN,
  "music": "kazoo",
  "offline": "yes",
  "muted": true,
  "llm_model": "llama3.1:8b",
  "default_direction": "ltr",
  "soundfont": "/home/me/GeneralUser.sf2"
}
"""


def test_each_bad_value_is_one_warning_and_the_default_the_rest_is_read(path, caplog):
    path.write_text(BAD_FILE)
    caplog.set_level(logging.WARNING)
    s = load()
    defaults = Settings()
    for name in ("cache_limit_mb", "crossfade_s", "volume", "reader_zoom", "music", "offline"):
        assert getattr(s, name) == getattr(defaults, name), name
    assert s.muted is True and s.llm_model == "llama3.1:8b"
    assert s.default_direction == "ltr" and s.soundfont == "/home/me/GeneralUser.sf2"
    lines = warnings(caplog)
    assert len(lines) == 6, lines
    for name in ("cache_limit_mb", "crossfade_s", "volume", "reader_zoom", "music", "offline"):
        (line,) = [ln for ln in lines if f"setting {name} " in ln]
        assert "\n" not in line and "using the default" in line
    assert any("finite number, not inf" in ln for ln in lines)
    assert any(
        "music must be one of composer, musicgen, library, not str 'kazoo'" in ln for ln in lines
    )
    assert path.exists()  # a file with bad values is not set aside: the rest is good


def test_saving_keeps_what_could_not_be_used_until_the_person_sets_it(path):
    path.write_text(BAD_FILE.replace("}\n", ',  "colour_scheme": "dusk"\n}\n'))
    s = load()
    s.volume = 0.3  # the person sets one of the bad ones again
    save(s)
    text = path.read_text()
    data = json.loads(text)
    assert data["volume"] == 0.3  # the new value replaces the file's
    assert data["music"] == "kazoo" and data["offline"] == "yes"  # kept, not defaulted
    assert data["cache_limit_mb"] == float("inf") and "Infinity" in text
    assert data["colour_scheme"] == "dusk"  # a setting this version does not know
    assert data["muted"] is True and data["llm_model"] == "llama3.1:8b"
    again = load()  # and the app still starts on its own file
    assert again.music == "composer" and again.volume == 0.3 and again.muted is True
    again.music = "musicgen"
    save(again)
    assert json.loads(path.read_text())["music"] == "musicgen"


def test_a_whole_number_setting_refuses_fractions_and_text():
    s = Settings()
    for bad, why in ((100.5, "whole number"), ("100", "number, not str"), (True, "number")):
        with pytest.raises(SettingsError, match=why):
            s.cache_limit_mb = bad
    s.cache_limit_mb = 100.0  # a whole number written with a point is fine
    assert s.cache_limit_mb == 100 and type(s.cache_limit_mb) is int


def test_update_sets_all_or_nothing_and_tells_subscribers_after_all_are_set():
    s = Settings()
    seen = []
    s.subscribe(lambda name, value: seen.append((name, s.text, s.llm_model)))
    with pytest.raises(SettingsError, match="volume"):
        s.update({"text": "openai", "volume": 7})
    assert s.text == "builtin" and seen == []
    s.update({"text": "openai", "llm_model": "local-model"})
    # The first subscriber call already sees the second value: no half-changed state.
    assert seen == [("text", "openai", "local-model"), ("llm_model", "openai", "local-model")]


def test_a_file_from_a_newer_version_is_read_not_upgraded_and_keeps_its_version(path):
    path.write_text(json.dumps({"version": 9, "volume": 0.5, "music_backend": "x"}))
    s = load()
    assert s.volume == 0.5
    save(s)
    data = json.loads(path.read_text())
    assert data["version"] == 9 and data["music_backend"] == "x"


@pytest.mark.parametrize("text", ["[1, 2]", '"settings"', "1e400", "{", "", "[" * 100_000])
def test_a_file_that_is_not_an_object_gives_defaults_and_is_set_aside(path, text, caplog):
    path.write_text(text)
    caplog.set_level(logging.WARNING)
    assert load() == Settings()
    assert len(warnings(caplog)) == 1
    assert path.with_name("settings.json.bad").read_text() == text
