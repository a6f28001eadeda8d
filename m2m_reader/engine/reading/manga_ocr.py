"""manga-ocr as an OCR backend: a transformers VisionEncoderDecoder that reads one
Japanese text region (vertical or horizontal, furigana and all) far better than
Tesseract does.

The model gives no confidence, so it cannot tell a balloon from a face: Tesseract
still decides whether a region holds text and in which script, and the regions it
reads as Japanese are read again by the model. English regions stay Tesseract's.

Weights: a folder in `from_pretrained` layout, such as a download of
`kha-white/manga-ocr-base` (Apache-2.0); it is never fetched here. Choose it with
`M2M_READER_OCR=manga-ocr` and `M2M_READER_MANGA_OCR_MODEL=FOLDER`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import BackendUnavailable
from .ocr import Ocr, OcrResult, TesseractOcr

MAX_TOKENS = 96  # the longest balloon manga-ocr's authors trained on is well under this


class MangaOcr:
    name = "manga-ocr"

    def __init__(self, model_dir: Path, base: Ocr | None = None, device: str = "cpu") -> None:
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "config.json").is_file():
            raise BackendUnavailable(f"manga-ocr weights are not in {self.model_dir}.")
        try:
            import torch
            from transformers import (
                AutoImageProcessor,
                AutoTokenizer,
                VisionEncoderDecoderModel,
            )
        except ImportError as exc:
            raise BackendUnavailable(
                "manga-ocr needs the model packages (installer/setup.sh --models).", str(exc)
            ) from exc
        try:
            self._processor = AutoImageProcessor.from_pretrained(self.model_dir)
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
            self._model = VisionEncoderDecoderModel.from_pretrained(self.model_dir).to(device)
        except (OSError, ValueError, ImportError) as exc:
            raise BackendUnavailable(
                f"manga-ocr could not load {self.model_dir}.", str(exc)
            ) from exc
        self._model.eval()
        self._torch = torch
        self._device = device
        self._lock = threading.Lock()  # one generation at a time: the model is shared
        self.base = base or TesseractOcr()

    def settings_key(self) -> str:
        weights = sorted(self.model_dir.glob("*.safetensors")) or sorted(
            self.model_dir.glob("*.bin")
        )
        size = sum(w.stat().st_size for w in weights)
        return f"manga-ocr:{self.model_dir.name}:{size}:{MAX_TOKENS}:{self.base.settings_key()}"

    def read(
        self,
        crop: np.ndarray,
        *,
        vertical: bool,
        language: str | None,
        glyph: float,
        strokes: int = 0,
    ) -> OcrResult | None:
        found = self.base.read(
            crop, vertical=vertical, language=language, glyph=glyph, strokes=strokes
        )
        if found is None or found.language != "ja":
            return found
        text = self.transcribe(crop)
        return OcrResult(text or found.text, found.confidence, "ja", glyph)

    def transcribe(self, crop: np.ndarray) -> str:
        """The model's reading of one grey crop, spaces removed (as manga-ocr does)."""
        image = Image.fromarray(crop).convert("L").convert("RGB")
        pixels = self._processor(image, return_tensors="pt").pixel_values.to(self._device)
        with self._lock, self._torch.no_grad():
            ids = self._model.generate(pixels, max_new_tokens=MAX_TOKENS)[0]
        text = self._tokenizer.decode(ids, skip_special_tokens=True)
        return "".join(text.split())


def ocr_from_environment() -> Ocr | None:
    """The OCR backend the environment names, or None for the built-in Tesseract."""
    if os.environ.get("M2M_READER_OCR", "tesseract") != "manga-ocr":
        return None
    folder = os.environ.get("M2M_READER_MANGA_OCR_MODEL", "")
    if not folder:
        raise BackendUnavailable(
            "M2M_READER_OCR=manga-ocr needs M2M_READER_MANGA_OCR_MODEL (a weights folder)."
        )
    return MangaOcr(Path(folder))
