"""manga-ocr as an OCR backend: each text region the page reader finds, read by a model.

manga-ocr (kha-white/manga-ocr-base) is a transformers `VisionEncoderDecoderModel`: a ViT
encoder over the 224x224 crop and a BERT decoder writing Japanese characters, with a
`ViTImageProcessor` and a character-level `BertJapaneseTokenizer` saved beside it. It
reads vertical and horizontal lettering alike, so `vertical` needs no special mode.

`MangaOcr` fits the page reader's `Ocr` interface: the built-in region finder still
finds the balloons and loose lettering, and each crop is read here instead of by
Tesseract. The model gives no confidence of its own, so a reading's confidence is the
mean probability of the tokens it chose; a crop read below `min_confidence` (a face, a
window) is no text. English regions (a book whose language is English) go to the
Tesseract reader when it is installed: manga-ocr knows only Japanese.

Weights load from local files only: the models folder (`models download manga-ocr`
puts them there), a folder given by path, or the Hugging Face cache.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import BackendUnavailable, M2MError
from ..reading.ocr import OcrResult
from .device import pick_device, require_torch, require_transformers

log = logging.getLogger(__name__)

REPO = "kha-white/manga-ocr-base"
FOLDER = "manga-ocr"  # under the models folder
MIN_CONFIDENCE = 0.55  # mean token probability a reading needs
MAX_TOKENS = 300  # the longest reading (manga-ocr's own limit)
_SIGNS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff10-\uff5aA-Za-z0-9]")


def models_dir() -> Path:
    """The folder `models download` fills and the loaders look in first."""
    from ..core.paths import data_dir

    return data_dir() / "models"


def find_weights(name: str, folder: str, repo: str) -> str:
    """A folder holding the model, or the Hub id to find in the Hugging Face cache.

    `name` is the backend's own name (its default weights), a folder, or a Hub id."""
    name = (name or "").strip()
    if name and name != folder:
        path = Path(name).expanduser()
        return str(path.resolve()) if path.is_dir() else name
    mine = models_dir() / folder
    return str(mine) if (mine / "config.json").is_file() else repo


def missing(what: str, short: str, where: str) -> BackendUnavailable:
    return BackendUnavailable(
        f"{what} weights are not on this computer; run `m2m-reader models download {short}` "
        "(needs the internet) or name a folder that holds them.",
        detail=where,
    )


def why_failed(what: str, exc: BaseException) -> BackendUnavailable:
    """One sentence for a model that did not load (a missing package named)."""
    if isinstance(exc, ImportError):
        package = getattr(exc, "name", None) or str(exc)
        return BackendUnavailable(
            f"{what} needs a package that is not installed ({package}).", detail=str(exc)
        )
    return BackendUnavailable(f"{what} could not load ({type(exc).__name__}: {exc}).")


def open_manga_ocr(name: str = FOLDER) -> tuple[str, Any, Any, Any]:
    """(where, config, image processor, tokenizer): the quick part of loading, done when
    the backend is chosen so a missing file or package is said at once."""
    transformers = require_transformers()
    where = find_weights(name, FOLDER, REPO)
    try:
        config = transformers.AutoConfig.from_pretrained(where, local_files_only=True)
        processor = transformers.AutoImageProcessor.from_pretrained(where, local_files_only=True)
        tokenizer = transformers.AutoTokenizer.from_pretrained(where, local_files_only=True)
    except OSError as exc:
        raise missing("manga-ocr", FOLDER, where) from exc
    except Exception as exc:  # noqa: BLE001 - a package (fugashi) or a damaged file
        raise why_failed("manga-ocr", exc) from exc
    return where, config, processor, tokenizer


def load_manga_ocr_model(where: str, device: str = "auto") -> tuple[Any, str]:
    """The VisionEncoderDecoderModel's weights, from local files only, and its device."""
    transformers = require_transformers()
    try:
        model = transformers.VisionEncoderDecoderModel.from_pretrained(where, local_files_only=True)
    except OSError as exc:
        raise missing("manga-ocr", FOLDER, where) from exc
    except Exception as exc:  # noqa: BLE001 - a damaged file: one sentence
        raise why_failed("manga-ocr", exc) from exc
    dev = pick_device(device)
    return model.to(dev).eval(), dev


def config_digest(config: Any) -> str:
    return hashlib.sha256(config.to_json_string(use_diff=False).encode()).hexdigest()[:12]


def tidy(text: str) -> str:
    """The decoded characters as lettering: no spaces, dots as an ellipsis."""
    text = "".join(text.split())
    text = re.sub(r"[・.]{2,}", lambda m: "…" * max(1, len(m.group()) // 3), text)
    return text


class MangaOcr:
    """The manga-ocr model as an `Ocr` backend (see the module's docstring).

    Args:
        name: the models folder's copy (default), a folder, or a Hub id in the cache.
        device: torch device preference.
        min_confidence: mean token probability a reading needs to count as text.
        english: the reader for English regions (Tesseract when None and installed).
    """

    name = "manga-ocr"

    def __init__(
        self,
        name: str = FOLDER,
        device: str = "auto",
        min_confidence: float = MIN_CONFIDENCE,
        english: Any = None,
    ) -> None:
        self.weights, self.config, self.processor, self.tokenizer = open_manga_ocr(name)
        self.device_preference = device
        self.device = ""  # known once the model is loaded
        self.min_confidence = min_confidence
        self._model: Any = None
        self._failed: M2MError | None = None
        self._lock = threading.Lock()  # one reading at a time: the CPU has few cores
        self._told = False
        if english is None:
            from ..reading.ocr import TesseractOcr

            try:
                english = TesseractOcr()
            except M2MError:
                english = None
        self.english = english

    def model(self) -> Any:
        """The model, loaded on first use (choosing the backend stays quick)."""
        if self._model is None:
            if self._failed is not None:
                raise self._failed
            try:
                self._model, self.device = load_manga_ocr_model(
                    self.weights, self.device_preference
                )
            except M2MError as exc:
                self._failed = exc
                raise
        return self._model

    def settings_key(self) -> str:
        english = self.english.settings_key() if self.english is not None else "none"
        return (
            f"manga-ocr:{Path(self.weights).name}:{config_digest(self.config)}:"
            f"{self.min_confidence}:{english}"
        )

    def read(
        self,
        crop: np.ndarray,
        *,
        vertical: bool,
        language: str | None,
        glyph: float,
        strokes: int = 0,
    ) -> OcrResult | None:
        if language == "en" and self.english is not None:
            return self.english.read(
                crop, vertical=vertical, language=language, glyph=glyph, strokes=strokes
            )
        try:
            text, confidence = self.recognise(crop)
        except M2MError:
            raise  # the model cannot load: the page falls back to the built-in reader
        except Exception as exc:  # noqa: BLE001 - one bad crop must not stop the page
            if not self._told:
                self._told = True
                log.warning("manga-ocr could not read a region (%s: %s)", type(exc).__name__, exc)
            return None
        if confidence < self.min_confidence or not _SIGNS.search(text):
            return None
        return OcrResult(text=text, confidence=confidence, language="ja", glyph_px=glyph)

    def recognise(self, crop: np.ndarray) -> tuple[str, float]:
        """The crop's text and the mean probability of its tokens."""
        from PIL import Image

        torch = require_torch()
        image = Image.fromarray(np.asarray(crop, dtype=np.uint8)).convert("L").convert("RGB")
        with self._lock, torch.inference_mode():
            model = self.model()
            pixels = self.processor(image, return_tensors="pt").pixel_values.to(self.device)
            longest = getattr(model.generation_config, "max_length", None) or MAX_TOKENS
            out = model.generate(
                pixels,
                max_length=min(MAX_TOKENS, int(longest)),
                num_beams=1,
                do_sample=False,
                output_scores=True,
                return_dict_in_generate=True,
            )
            scores = model.compute_transition_scores(
                out.sequences, out.scores, normalize_logits=True
            )
        ids = out.sequences[0]
        text = tidy(self.tokenizer.decode(ids, skip_special_tokens=True))
        special = set(self.tokenizer.all_special_ids)
        chosen = ids[1:].tolist()  # the decoder start token is given, not chosen
        logp = scores[0].tolist()
        kept = [s for t, s in zip(chosen, logp, strict=False) if t not in special]
        confidence = float(np.exp(np.mean(kept))) if kept else 0.0
        return text, confidence
