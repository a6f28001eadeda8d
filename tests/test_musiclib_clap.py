"""The CLAP ranker with a tiny random-weight model, and the music folder in the settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from m2m_reader.engine.core.errors import BackendUnavailable
from m2m_reader.engine.musiclib import MusicIndex, make_library
from m2m_reader.engine.musiclib.pick import want_for

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")


def save_tiny_clap(folder: Path) -> Path:
    """A CLAP with two tiny layers, a word-level tokenizer and the real feature
    extractor, saved as a checkpoint folder (no download)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        ClapAudioConfig,
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapTextConfig,
        PreTrainedTokenizerFast,
    )

    torch.manual_seed(0)
    words = "<pad> <s> </s> <unk> calm fear anger sorrow hope music piano drums strings".split()
    vocab = {w: i for i, w in enumerate(words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
    )
    text = ClapTextConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=1,
                          num_attention_heads=2, intermediate_size=32, max_position_embeddings=64,
                          pad_token_id=0, projection_dim=8)  # fmt: skip
    audio = ClapAudioConfig(spec_size=64, window_size=4, num_mel_bins=16, patch_size=4,
                            patch_stride=(4, 4), depths=[1, 1], num_heads=[2, 2], hidden_size=16,
                            patch_embeds_hidden_size=8, projection_dim=8, enable_fusion=False)  # fmt: skip
    config = ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=8)
    ClapModel(config).eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    ClapFeatureExtractor(feature_size=16, sampling_rate=48000, max_length_s=2, fft_window_size=256, truncation="rand_trunc",
                         hop_length=480).save_pretrained(folder)  # fmt: skip
    return folder


@pytest.fixture()
def music(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("M2M_READER_DATA_DIR", str(tmp_path / "data"))
    root = tmp_path / "music"
    root.mkdir()
    sr = 22050
    t = np.arange(int(8 * sr)) / sr
    rng = np.random.default_rng(0)
    for name, f, noise in (("soft.wav", 220.0, 0.0), ("harsh.wav", 330.0, 0.3)):
        beat = (np.sin(2 * np.pi * 2 * t) > 0.95).astype(float)
        y = 0.3 * np.sin(2 * np.pi * f * t) + noise * rng.standard_normal(len(t)) * beat
        sf.write(root / name, np.stack([y, y], 1).astype(np.float32), sr)
    return root


def test_clap_ranker_loads_through_the_real_loader_and_scores_every_track(music, tmp_path):
    from m2m_reader.engine.musiclib.clap import ClapRanker

    model = save_tiny_clap(tmp_path / "clap")
    backend = make_library(str(music), ranker="clap", clap_model=str(model), sample_rate=22050)
    assert isinstance(backend.ranker, ClapRanker) and "clap" in backend.settings_key()
    want = want_for("calm piano music")
    scores = backend.ranker.scores(want, backend.tracks)
    assert len(scores) == 2 and all(np.isfinite(scores)) and all(-1.0 <= s <= 1.0 for s in scores)
    assert scores != backend.ranker.scores(want_for("anger drums"), backend.tracks)
    # the audio embeddings are kept: a new ranker scores without decoding the tracks
    cache = backend.index.path.with_suffix(".clap.npz")
    assert cache.exists()
    index = MusicIndex(music)
    again = ClapRanker(str(model), tmp_path / "elsewhere", cache)
    assert again.scores(want, index.tracks) == pytest.approx(scores, abs=1e-5)
    # and it picks a track for a scene
    assert backend.track_for_scene(0, "calm piano music").path in {"soft.wav", "harsh.wav"}


def test_clap_without_a_model_is_one_sentence(music, tmp_path):
    with pytest.raises(BackendUnavailable, match="is not on this machine"):
        make_library(str(music), ranker="clap", clap_model=str(tmp_path / "no-model"))


def test_settings_dialog_keeps_the_music_folder_and_ranker(qtbot, music, tmp_path):
    from m2m_reader.engine.core.settings import Settings
    from m2m_reader.ui.bridge import EngineBridge
    from m2m_reader.ui.settings_dialog import SettingsDialog

    settings = Settings(music="library", music_dir=str(music))
    dialog = SettingsDialog(settings, EngineBridge(None, settings))
    qtbot.addWidget(dialog)
    assert dialog.music.currentData() == "library" and dialog.music_dir.text() == str(music)
    dialog.music_dir.setText(str(tmp_path))
    dialog.music_ranker.setCurrentIndex(dialog.music_ranker.findData("clap"))
    values = dialog.values()
    assert values["music_dir"] == str(tmp_path) and values["music_ranker"] == "clap"
