"""manga-ocr as an OCR backend, with a tiny random-weight VisionEncoderDecoder saved
like a real checkpoint and loaded through the backend's own loading code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

pytest.importorskip("torch")
pytest.importorskip("transformers")

from m2m_reader.engine.errors import BackendUnavailable  # noqa: E402
from m2m_reader.engine.reading import PageReader  # noqa: E402
from m2m_reader.engine.reading.manga_ocr import MangaOcr, ocr_from_environment  # noqa: E402
from m2m_reader.engine.reading.ocr import tessdata_dir  # noqa: E402

SIGNS = "あいうえおかきくけこさしすせそたちつてと助誰来"
CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")


def tiny_manga_ocr(folder: Path) -> Path:
    """A ViT encoder and a BERT decoder of a few thousand weights, with a character
    tokenizer and an image processor, saved as manga-ocr-base is."""
    import torch
    from transformers import (
        BertConfig,
        BertLMHeadModel,
        BertTokenizer,
        VisionEncoderDecoderModel,
        ViTConfig,
        ViTImageProcessor,
        ViTModel,
    )

    torch.manual_seed(0)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *SIGNS]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(str(folder / "vocab.txt"), do_lower_case=False)
    encoder = ViTModel(
        ViTConfig(
            image_size=32,
            patch_size=8,
            num_channels=3,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
        )
    )
    decoder = BertLMHeadModel(
        BertConfig(
            vocab_size=len(vocab),
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            max_position_embeddings=128,
            is_decoder=True,
            add_cross_attention=True,
        )
    )
    model = VisionEncoderDecoderModel(encoder=encoder, decoder=decoder)
    model.config.decoder_start_token_id = tokenizer.cls_token_id
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.eos_token_id = tokenizer.sep_token_id
    model.generation_config.decoder_start_token_id = tokenizer.cls_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.sep_token_id
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_manga_ocr(tmp_path_factory.mktemp("manga-ocr"))


@pytest.fixture(scope="module")
def ocr(model_dir: Path) -> MangaOcr:
    return MangaOcr(model_dir)  # loaded once, through the backend's own loader


def test_the_model_reads_a_crop_into_its_own_signs(ocr: MangaOcr) -> None:
    crop = np.full((120, 60), 255, np.uint8)
    crop[20:100, 25:35] = 0
    text = ocr.transcribe(crop)
    assert isinstance(text, str) and " " not in text
    assert set(text) <= set(SIGNS)  # random weights, but only the vocabulary's signs
    assert ocr.settings_key().startswith("manga-ocr:") and "tesseract" in ocr.settings_key()


@pytest.mark.skipif(tessdata_dir() is None or not CJK.is_file(), reason="Tesseract or CJK font")
def test_japanese_regions_go_to_the_model_and_english_ones_do_not(ocr: MangaOcr) -> None:
    reader = PageReader(ocr=ocr)
    im = Image.new("L", (900, 1200), 255)
    d = ImageDraw.Draw(im)
    d.rectangle((30, 30, 870, 1170), outline=0, width=6)
    d.ellipse((520, 180, 800, 820), fill=255, outline=0, width=5)
    f = ImageFont.truetype(str(CJK), 56)
    for k, col in enumerate(["助けて", "誰か来て"]):
        for j, ch in enumerate(col):
            d.text((660 - k * 90, 280 + j * 66), ch, font=f, fill=0)
    d.ellipse((60, 900, 460, 1100), fill=255, outline=0, width=5)
    d.text((130, 975), "HELP ME!", font=ImageFont.load_default(size=48), fill=0)
    reading = reader.read(im, "rtl", None)
    by_language = {t.language: t.text for t in reading.texts}
    assert set(by_language) == {"ja", "en"}
    assert set(by_language["ja"]) <= set(SIGNS)  # the model's reading, not Tesseract's
    assert by_language["en"] == "HELP ME!"


def test_chosen_by_the_environment_and_refused_clearly(monkeypatch, model_dir: Path) -> None:
    monkeypatch.setenv("M2M_READER_OCR", "manga-ocr")
    monkeypatch.setenv("M2M_READER_MANGA_OCR_MODEL", str(model_dir))
    assert isinstance(ocr_from_environment(), MangaOcr)
    monkeypatch.setenv("M2M_READER_MANGA_OCR_MODEL", str(model_dir / "missing"))
    with pytest.raises(BackendUnavailable, match="weights are not in"):
        ocr_from_environment()
    monkeypatch.delenv("M2M_READER_OCR")
    assert ocr_from_environment() is None
