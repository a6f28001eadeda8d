"""Builders of tiny random-weight models, saved like real checkpoints.

A tiny MusicGen (T5 text encoder, 32 kHz EnCodec, a 2-layer decoder) is saved with a
word-level tokenizer and an EnCodec feature extractor through `MusicgenProcessor`, so
the folder loads through the same `from_pretrained` code as `facebook/musicgen-small`.
A tiny open_clip model is registered from a small config dict.
"""

from __future__ import annotations

from pathlib import Path

WORDS = (
    "calm piano music with soft strings a tense drum beat happy jazz band sad slow "
    "violin fast rock guitar playful ambient synth the and of for in on"
).split()

# The sample rate and hop of musicgen-small's EnCodec (hop 640 -> 50 frames per second).
SAMPLE_RATE = 32000
UPSAMPLING = [8, 5, 4, 4]
HOP = 8 * 5 * 4 * 4
CODEBOOK_SIZE = 64
NUM_CODEBOOKS = 4


def tiny_tokenizer():
    """A T5-like tokenizer made with the `tokenizers` library (no download)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for w in WORDS:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", vocab["</s>"])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )


def tiny_musicgen_config(hidden: int = 32, layers: int = 2):
    from transformers import EncodecConfig, MusicgenConfig, MusicgenDecoderConfig, T5Config

    text = T5Config(
        vocab_size=64,
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=1,
        num_heads=4,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    nbits = CODEBOOK_SIZE.bit_length() - 1
    audio = EncodecConfig(
        sampling_rate=SAMPLE_RATE,
        audio_channels=1,
        num_filters=4,
        upsampling_ratios=UPSAMPLING,
        codebook_size=CODEBOOK_SIZE,
        codebook_dim=16,
        hidden_size=16,
        num_lstm_layers=1,
        target_bandwidths=[NUM_CODEBOOKS * 50 * nbits / 1000],
        use_causal_conv=False,
        normalize=False,
        chunk_length_s=None,
        overlap=None,
        norm_type="weight_norm",
        use_conv_shortcut=False,
        compress=2,
    )
    decoder = MusicgenDecoderConfig(
        vocab_size=CODEBOOK_SIZE,
        max_position_embeddings=1024,
        num_hidden_layers=layers,
        ffn_dim=hidden * 2,
        num_attention_heads=4,
        hidden_size=hidden,
        num_codebooks=NUM_CODEBOOKS,
        pad_token_id=CODEBOOK_SIZE,
        bos_token_id=CODEBOOK_SIZE,
        dropout=0.0,
    )
    return MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder)


def save_tiny_musicgen(folder: Path, seed: int = 0) -> Path:
    """Build a tiny random MusicGen and save it (weights, processor, generation config)."""
    import torch
    from transformers import (
        EncodecFeatureExtractor,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
    )

    torch.manual_seed(seed)
    model = MusicgenForConditionalGeneration(tiny_musicgen_config())
    gc = model.generation_config
    gc.decoder_start_token_id = CODEBOOK_SIZE
    gc.pad_token_id = CODEBOOK_SIZE
    gc.bos_token_id = CODEBOOK_SIZE
    gc.do_sample = True
    gc.guidance_scale = 3.0
    gc.max_length = 1500
    model.save_pretrained(folder)
    fe = EncodecFeatureExtractor(feature_size=1, sampling_rate=SAMPLE_RATE, padding_value=0.0)
    MusicgenProcessor(feature_extractor=fe, tokenizer=tiny_tokenizer()).save_pretrained(folder)
    return folder


TINY_CLIP = "m2m-tiny-clip"


def register_tiny_clip() -> str:
    """Register a tiny ViT + text-transformer CLIP config with open_clip; returns its name."""
    import json
    import tempfile

    import open_clip

    if TINY_CLIP in open_clip.list_models():
        return TINY_CLIP
    cfg = {
        "embed_dim": 32,
        "vision_cfg": {
            "image_size": 32,
            "layers": 1,
            "width": 32,
            "patch_size": 8,
            "head_width": 16,
        },
        "text_cfg": {
            "context_length": 16,
            "vocab_size": 49408,
            "width": 32,
            "heads": 2,
            "layers": 1,
        },
    }
    path = Path(tempfile.mkdtemp(prefix="m2m-clip-cfg-")) / f"{TINY_CLIP}.json"
    path.write_text(json.dumps(cfg))
    open_clip.add_model_config(path)
    return TINY_CLIP


def save_tiny_clip_checkpoint(path: Path, seed: int = 0) -> Path:
    """Save a tiny open_clip model's state dict as a fine-tuned-style checkpoint file."""
    import open_clip
    import torch

    from m2m_reader.engine.models.clip_emotions import save_checkpoint

    name = register_tiny_clip()
    torch.manual_seed(seed)
    model = open_clip.create_model(name, pretrained=None)
    save_checkpoint(path, model, name, pretrained=None)
    return path


def assert_transcript_falls_back(tmp_path: Path, monkeypatch, transcript: str) -> None:
    """Without its weights (offline, empty caches) the `transcript` backend gives way to
    the built-in reader, and the one message says how to download it."""
    from m2m_reader.engine.backends.choice import make_text
    from m2m_reader.engine.core.settings import Settings

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("M2M_READER_DATA_DIR", str(tmp_path / "data"))
    told: list = []
    text = make_text(Settings(transcript=transcript), lambda *a: told.append(a))
    assert text.name == "builtin"
    ((stage, backend, fallback, message),) = told
    assert (stage, backend, fallback) == ("transcript", transcript, "builtin")
    assert f"models download {transcript}" in message


def fake_hub(monkeypatch, tmp_path: Path, fetch) -> list:
    """Downloads allowed, into tmp_path/data; the Hub's `snapshot_download` answered by
    `fetch(repo_id, local_dir)`. Returns the (repo_id, local_dir) pairs asked for."""
    import huggingface_hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("M2M_READER_OFFLINE", raising=False)
    monkeypatch.setenv("M2M_READER_DATA_DIR", str(tmp_path / "data"))
    asked: list = []

    def fetched(repo_id, allow_patterns=None, local_dir=None, **kwargs):
        asked.append((repo_id, local_dir))
        return fetch(repo_id, local_dir)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fetched)
    return asked
