"""Settings: typed defaults, validation, change signal, versioned JSON, the key kept private."""

from __future__ import annotations

import json
import logging
import stat

import pytest

from m2m_reader.engine.core import settings as settings_mod
from m2m_reader.engine.core.settings import Settings, SettingsError, load, save


@pytest.fixture(autouse=True)
def _config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("M2M_READER_CONFIG_DIR", str(tmp_path / "config"))


def test_defaults_are_the_offline_builtin_backends():
    s = Settings()
    assert (s.text, s.emotions, s.music) == ("builtin", "builtin", "composer")
    assert s.cache_limit_mb == 2048 and s.offline is False


def test_change_signal_fires_once_per_real_change():
    s = Settings()
    seen = []
    unsubscribe = s.subscribe(lambda name, value: seen.append((name, value)))
    s.volume = 0.5
    s.volume = 0.5  # no change, no signal
    s.muted = True
    unsubscribe()
    s.volume = 0.2
    assert seen == [("volume", 0.5), ("muted", True)]


def test_bad_values_are_refused_with_a_sentence():
    s = Settings()
    with pytest.raises(SettingsError, match="music must be one of"):
        s.music = "kazoo"
    with pytest.raises(SettingsError, match="volume must be between 0 and 1"):
        s.volume = 3
    with pytest.raises(SettingsError, match="no setting called"):
        s.colour = "red"
    with pytest.raises(SettingsError, match="offline must be true or false"):
        s.offline = "yes"
    assert s.music == "composer" and s.volume == 0.8


def test_save_and_load_round_trip(tmp_path):
    s = Settings()
    s.update(
        {
            "music": "musicgen",
            "cache_limit_mb": 100,
            "audio_device": "system (JACK Audio Connection Kit)",
            "reader_zoom": 1.5,
        }
    )
    path = save(s)
    assert path.parent == tmp_path / "config"
    again = load()
    assert again.as_dict(public=False) == s.as_dict(public=False)
    assert json.loads(path.read_text())["version"] == settings_mod.VERSION


def test_api_key_never_in_repr_or_public_dict_and_file_is_private(caplog, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    caplog.set_level(logging.DEBUG)
    s = Settings()
    s.llm_api_key = "sk-very-secret"
    assert "sk-very-secret" not in repr(s)
    assert "llm_api_key" not in s.as_dict()
    path = save(s)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load().api_key() == "sk-very-secret"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    assert load().api_key() == "sk-from-env"
    assert "sk-very-secret" not in caplog.text


def test_no_key_is_not_written():
    path = save(Settings())
    assert "llm_api_key" not in path.read_text()


def test_version_1_file_is_upgraded(tmp_path):
    path = settings_mod.settings_path()
    path.write_text(json.dumps({"version": 1, "music_backend": "musicgen", "volume": 40}))
    s = load()
    assert s.music == "musicgen" and s.volume == pytest.approx(0.4)


def test_version_2_sound_output_index_is_kept_as_text():
    path = settings_mod.settings_path()
    path.write_text(json.dumps({"version": 2, "audio_device": 3, "volume": 0.5}))
    s = load()
    assert s.audio_device == "3" and s.volume == 0.5
    path.write_text(json.dumps({"version": 2, "audio_device": None}))
    assert load().audio_device == ""  # the system default, as before
    s.audio_device = 4  # an index given in code is taken as its digits
    assert s.audio_device == "4"
    with pytest.raises(SettingsError, match="audio_device must be a str"):
        s.audio_device = 1.5


def test_damaged_file_gives_defaults_and_is_set_aside():
    path = settings_mod.settings_path()
    path.write_text("{not json")
    s = load()
    assert s == Settings()
    assert path.with_name("settings.json.bad").exists()


def test_one_bad_value_keeps_the_rest():
    settings_mod.settings_path().write_text(
        json.dumps({"version": 2, "volume": "loud", "muted": True})
    )
    s = load()
    assert s.volume == 0.8 and s.muted is True
