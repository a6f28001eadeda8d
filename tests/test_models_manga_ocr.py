"""manga-ocr as the page reader's OCR: a tiny random-weight VisionEncoderDecoder (ViT
encoder, BERT decoder, a character tokenizer of a few kana) saved like the real
checkpoint and loaded through the same loader."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

pytestmark = pytest.mark.models
pytest.importorskip("torch")
pytest.importorskip("transformers")

from models_fixtures import assert_transcript_falls_back, fake_hub  # noqa: E402

KANA = list("あいうえおかきくけこ！？")


def save_tiny_manga_ocr(folder: Path) -> Path:
    """A random-weight manga-ocr: ViT over 32x32 crops, a 1-layer BERT decoder."""
    import torch
    from transformers import (
        BertConfig,
        BertJapaneseTokenizer,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
        ViTImageProcessor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *KANA]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    # manga-ocr's own tokenizer splits words with MeCab (fugashi, unidic-lite) first.
    try:
        import fugashi  # noqa: F401
        import unidic_lite  # noqa: F401

        words = {"word_tokenizer_type": "mecab", "mecab_kwargs": {"mecab_dic": "unidic_lite"}}
    except ImportError:
        words = {"word_tokenizer_type": "basic"}
    tokenizer = BertJapaneseTokenizer(
        str(folder / "vocab.txt"), subword_tokenizer_type="character", **words
    )
    encoder = ViTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
    )
    decoder = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        is_decoder=True,
        add_cross_attention=True,
    )
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id = tokenizer.cls_token_id
    config.pad_token_id = tokenizer.pad_token_id
    config.eos_token_id = tokenizer.sep_token_id
    torch.manual_seed(0)
    model = VisionEncoderDecoderModel(config=config)
    model.generation_config.decoder_start_token_id = tokenizer.cls_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.sep_token_id
    model.generation_config.max_length = 6
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_manga_ocr(tmp_path_factory.mktemp("manga-ocr"))


def _font(size: int) -> ImageFont.FreeTypeFont:
    path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    return ImageFont.truetype(str(path), size) if path.is_file() else ImageFont.load_default(size)


def drawn_page() -> Image.Image:
    """Two balloons with lettering in one bordered panel."""
    im = Image.new("L", (800, 1100), 255)
    d = ImageDraw.Draw(im)
    d.rectangle((30, 30, 770, 1070), fill=255, outline=0, width=6)
    f = _font(30)
    for cx, cy, rows in ((560, 220, ["WHERE ARE", "YOU GOING?"]), (240, 620, ["COME", "BACK!"])):
        d.ellipse((cx - 150, cy - 90, cx + 150, cy + 90), fill=255, outline=0, width=4)
        for k, r in enumerate(rows):
            d.text((cx - f.getlength(r) / 2, cy - 38 + 40 * k), r, font=f, fill=0)
    return im


def test_the_tiny_checkpoint_reads_a_crop_through_the_real_loader(weights: Path) -> None:
    from m2m_reader.engine.models.manga_ocr import MangaOcr

    ocr = MangaOcr(str(weights), device="cpu", min_confidence=0.0)
    crop = np.full((80, 200), 255, np.uint8)
    crop[30:50, 20:180] = 0
    got = ocr.read(crop, vertical=True, language="ja", glyph=20.0)
    assert got is not None and got.language == "ja"
    assert got.text and set(got.text) <= set(KANA) | {"…"}
    assert 0.0 < got.confidence <= 1.0
    # A reading the model is unsure of is no text (a face, a window).
    assert (
        MangaOcr(str(weights), device="cpu", min_confidence=0.999).read(
            crop, vertical=False, language="ja", glyph=20.0
        )
        is None
    )
    assert ocr.settings_key() != MangaOcr(str(weights), min_confidence=0.3).settings_key()


def test_balloons_found_by_the_built_in_finder_are_read_by_manga_ocr(weights: Path) -> None:
    from m2m_reader.engine.models.manga_ocr import MangaOcr
    from m2m_reader.engine.reading import PageReader, PageReading

    reader = PageReader(ocr=MangaOcr(str(weights), device="cpu", min_confidence=0.0))
    assert "manga-ocr" in reader.settings_key()
    reading = reader.read(drawn_page(), "rtl", "ja")
    balloons = [t for t in reading.texts if t.kind == "balloon"]
    assert len(balloons) >= 2
    assert all(t.language == "ja" and set(t.text) <= set(KANA) | {"…"} for t in balloons)
    assert balloons[0].box[0] > balloons[1].box[0]  # right to left: the right balloon first
    again = PageReading.from_dict(reading.to_dict())
    assert [t.text for t in again.texts] == [t.text for t in reading.texts]


def test_missing_weights_say_which_command_fetches_them(tmp_path: Path, monkeypatch) -> None:
    from m2m_reader.engine.core.errors import BackendUnavailable
    from m2m_reader.engine.models.manga_ocr import MangaOcr

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("M2M_READER_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(BackendUnavailable, match="models download manga-ocr"):
        MangaOcr()


def _cbz(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for i in range(2):
            out = io.BytesIO()
            drawn_page().save(out, "PNG")
            z.writestr(f"{i + 1:02d}.png", out.getvalue())
    return path


def test_the_transcript_setting_reads_an_unannotated_book_with_manga_ocr(
    weights: Path, tmp_path: Path, monkeypatch
) -> None:
    import shutil

    from m2m_reader.engine.analysis.pipeline import Analyzer
    from m2m_reader.engine.backends.choice import make_text
    from m2m_reader.engine.books import open_book
    from m2m_reader.engine.core.settings import Settings
    from m2m_reader.engine.core.store import MemoryStore

    monkeypatch.setenv("M2M_READER_DATA_DIR", str(tmp_path / "data"))
    shutil.copytree(weights, tmp_path / "data" / "models" / "manga-ocr")
    told: list = []
    text = make_text(Settings(transcript="manga-ocr", device="cpu"), lambda *a: told.append(a))
    assert told == []
    book = open_book(_cbz(tmp_path / "plain.cbz"))
    analyzer = Analyzer(book, text=text, store=MemoryStore())
    # The tiny model is unsure of everything: the readings are kept only for this test.
    analyzer.transcripts.page_reader.ocr.min_confidence = 0.0
    assert analyzer.transcripts.name == "manga-ocr"
    t = analyzer.transcript(0)
    balloons = [ln for ln in t.lines if ln.kind == "balloon"]
    # Read by the model (a few kana), not by Tesseract (it would read the English).
    assert balloons and all(set(ln.text) <= set(KANA) | {"…"} for ln in balloons)
    assert all(ln.speaker == "unknown" for ln in balloons)


def test_without_weights_the_transcript_falls_back_to_the_built_in_reader(
    tmp_path: Path, monkeypatch
) -> None:
    assert_transcript_falls_back(tmp_path, monkeypatch, "manga-ocr")


def test_models_download_puts_the_weights_where_the_loader_looks(
    weights: Path, tmp_path: Path, monkeypatch
) -> None:
    import shutil

    import huggingface_hub

    from m2m_reader.engine.core.errors import M2MError
    from m2m_reader.engine.models.download import download, local_models
    from m2m_reader.engine.models.manga_ocr import MangaOcr

    def fetch(repo_id, local_dir):
        shutil.copytree(weights, local_dir)
        return str(local_dir)

    asked = fake_hub(monkeypatch, tmp_path, fetch)
    where = download("manga-ocr")
    assert asked == [("kha-white/manga-ocr-base", tmp_path / "data" / "models" / "manga-ocr")]
    assert where == tmp_path / "data" / "models" / "manga-ocr"
    assert MangaOcr(device="cpu").weights == str(where)  # found without naming it
    found = {m.name: m.kind for m in local_models([tmp_path / "data" / "models"])}
    assert found["manga-ocr"] == "manga-ocr"

    def unreachable(*args, **kwargs):
        raise ConnectionError("Network is unreachable")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", unreachable)
    with pytest.raises(M2MError, match="could not reach the Hugging Face Hub"):
        download("magi")
