"""Settings that name a MusicGen checkpoint or the reader's layout."""

from __future__ import annotations

import pytest

from m2m_reader.engine.core.settings import Settings, SettingsError


@pytest.mark.parametrize(
    "model", ["small", "melody", "facebook/musicgen-stereo-small", "/home/me/models/musicgen"]
)
def test_musicgen_model_takes_names_hub_ids_and_folders(model: str) -> None:
    s = Settings()
    s.musicgen_model = model
    assert s.musicgen_model == model


@pytest.mark.parametrize("bad", ["", "   "])
def test_musicgen_model_cannot_be_empty(bad: str) -> None:
    with pytest.raises(SettingsError, match="musicgen_model"):
        Settings().musicgen_model = bad


def test_reader_layout_auto_is_accepted_and_nonsense_is_not() -> None:
    s = Settings()
    s.reader_layout = "auto"
    assert s.reader_layout == "auto"
    with pytest.raises(SettingsError, match="reader_layout"):
        s.reader_layout = "sideways"
