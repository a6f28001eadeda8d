"""OCR of one text region: Tesseract through tesserocr, confident words only.

Each region is cleaned (outside its mask set to paper, lettering dark on light),
scaled so its letters are about `GLYPH_PX` high (Tesseract reads best there), and
read as one block, vertical Japanese in its own mode. Words below `MIN_WORD`
confidence are dropped; a region whose kept words are too few or too unsure is not
text at all (a face, a window, a star). With no language given, a region is read as
English and, when that reads poorly or its strokes stand in columns, as Japanese, and
the surer reading wins.

`Ocr` is the interface a model-backed reader (manga-ocr) also fits.
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from ..core.errors import BackendUnavailable

GLYPH_PX = 34
MAX_ENGINES = 2  # sets of Tesseract engines at once (one per core is plenty)
WARM_WAIT = 10.0  # seconds a reading waits for a warm-up under way
MAX_CROP = 500_000  # pixels of the largest crop handed to Tesseract
MIN_WORD = 55  # Tesseract word confidence (0-100) a word needs to be kept
MIN_SIGN = 25  # the same for one Japanese sign (each is a "word"; a dropped sign costs
# as much as a wrong one, and Tesseract is unsure of many right kanji)
MIN_REGION = 78  # mean confidence of the kept words a region needs
TESSDATA = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e]")
_LETTER = re.compile(r"[A-Za-z0-9\u3040-\u30ff\u3400-\u9fff]")
_ALPHA = re.compile(r"[A-Za-z]")


@dataclass
class OcrResult:
    text: str  # lines joined by newlines
    confidence: float  # 0..1, mean over kept words
    language: str  # "en" or "ja"
    glyph_px: float = 0.0  # letter height Tesseract saw, in page pixels


class Ocr(Protocol):
    name: str

    def settings_key(self) -> str: ...

    def read(
        self,
        crop: np.ndarray,
        *,
        vertical: bool,
        language: str | None,
        glyph: float,
        strokes: int = 0,
    ) -> OcrResult | None:
        """Text in a grey crop (paper white), or None when it holds no confident text.
        `strokes`: how many letter-sized strokes the region holds (0: not counted)."""
        ...


def tessdata_dir() -> str | None:
    for d in TESSDATA:
        if (Path(d) / "eng.traineddata").is_file():
            return d
    return None


def ground(grey: np.ndarray, mask: np.ndarray) -> float | None:
    """The grey level around a region's edge (its ground), None for an empty mask."""
    core = cv2.erode(
        mask.astype(np.uint8),
        np.ones((5, 5), np.uint8),
        borderType=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    rim = mask & ~core.astype(bool)  # (a mask filling its whole box has its rim at the box)
    return float(np.median(grey[rim])) if rim.any() else None


def clean_crop(
    grey: np.ndarray, mask: np.ndarray, glyph: float, invert: bool = False
) -> np.ndarray:
    """Outside the mask white, scaled to Tesseract's size, padded; `invert` for light
    lettering on a dark ground."""
    src = 255 - grey if invert else grey
    level = ground(src, mask)
    if level is not None and level < 128:  # lettering on a dark panel: the panel is paper
        # (a band narrow enough to keep black letters on a near-black panel)
        band = min(40.0, 0.45 * level + 4)
        src = np.where(np.abs(src.astype(np.int16) - level) < band, 255, src)
    elif level is not None and level < 235:  # a tinted or grey balloon: its ground is paper
        src = np.clip(src.astype(np.float32) * (255.0 / level), 0, 255).astype(np.uint8)
    crop = np.where(mask, src, 255).astype(np.uint8)
    scale = GLYPH_PX / glyph if glyph > 0 else 1.0
    scale = float(min(4.0, max(0.5, scale)))
    # Tesseract's time grows with the crop: a huge region is read a little smaller.
    scale = min(scale, (MAX_CROP / max(1, crop.size)) ** 0.5)
    if abs(scale - 1.0) > 0.1:
        crop = np.asarray(
            cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC), np.uint8
        )
    return cv2.copyMakeBorder(crop, 24, 24, 24, 24, cv2.BORDER_CONSTANT, value=255)


class TesseractOcr:
    """Tesseract 5 (LSTM) through tesserocr, one engine per thread and language."""

    name = "tesseract"

    def __init__(self, tessdata: str | None = None) -> None:
        try:
            import tesserocr
        except ImportError as exc:
            raise BackendUnavailable(
                "Tesseract OCR is not installed (pip install tesserocr).", str(exc)
            ) from exc
        self._tr = tesserocr
        self.tessdata = tessdata or tessdata_dir()
        if self.tessdata is None:
            raise BackendUnavailable(
                "Tesseract's language data is missing (apt install tesseract-ocr-eng "
                "tesseract-ocr-jpn tesseract-ocr-jpn-vert)."
            )
        _, langs = tesserocr.get_languages(self.tessdata + "/")
        self.languages = set(langs)
        # Each set of engines holds the language models (about 100 MB with Japanese):
        # at most MAX_ENGINES sets, shared by whichever threads read.
        self._free: queue.LifoQueue[dict] = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()
        self._warmed = threading.Event()  # clear while `warm` makes the first set
        self._warmed.set()

    def settings_key(self) -> str:
        version = self._tr.tesseract_version().split()[1] if self._tr else "?"
        return (
            f"tesseract-{version}:{','.join(sorted(self.languages))}:"
            f"{MIN_WORD}:{MIN_SIGN}:{MIN_REGION}"
        )

    @contextlib.contextmanager
    def _engines(self, wait: bool = True) -> Iterator[dict]:
        """A set of engines (one per language and mode) for this thread's use."""
        if wait:
            self._warmed.wait(WARM_WAIT)  # a warm-up under way makes the first set: take it
        try:
            apis = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                make = self._made < MAX_ENGINES
                self._made += make
            apis = {} if make else self._free.get()
        try:
            yield apis
        finally:
            self._free.put(apis)

    def _engine(self, apis: dict, lang: str, vertical: bool):  # noqa: ANN202 - tesserocr's
        """The engine for a language and mode in a set, made on first use (None when
        the language's data is not installed)."""
        PSM = self._tr.PSM
        psm = PSM.SINGLE_BLOCK_VERT_TEXT if vertical else PSM.SINGLE_BLOCK
        tess = "jpn_vert" if lang == "ja" and vertical else "jpn" if lang == "ja" else "eng"
        if tess not in self.languages:
            return None
        if (tess, psm) not in apis:
            apis[(tess, psm)] = self._tr.PyTessBaseAPI(path=f"{self.tessdata}/", lang=tess, psm=psm)
        return apis[(tess, psm)]

    def warm(self, language: str | None) -> None:
        """Load the engines a book in `language` reads with first (English unless it is
        Japanese: vertical, then horizontal), so the first page read does not wait for
        Tesseract to load its models."""
        with self._lock:
            if self._made:
                return  # engines already made (or being made): nothing to warm
            self._warmed.clear()
        try:
            with self._engines(wait=False) as apis:
                for lang, vertical in (
                    [("ja", True), ("ja", False)] if language == "ja" else [("en", False)]
                ):
                    self._engine(apis, lang, vertical)
        finally:
            self._warmed.set()

    def _read_as(self, crop: np.ndarray, lang: str, vertical: bool) -> tuple[str, float]:
        with self._engines() as apis:
            api = self._engine(apis, lang, vertical)
            return ("", 0.0) if api is None else self._recognise(api, crop, lang)

    def _recognise(self, api, crop: np.ndarray, lang: str) -> tuple[str, float]:  # noqa: ANN001
        RIL = self._tr.RIL
        data = np.ascontiguousarray(crop, dtype=np.uint8)
        # raw grey bytes: no image file is encoded for Tesseract; `data` outlives the call
        api.SetImageBytes(data.tobytes(), data.shape[1], data.shape[0], 1, data.shape[1])
        api.Recognize()
        lines: list[list[str]] = []
        confs: list[float] = []
        it = api.GetIterator()
        level = RIL.WORD
        while it is not None:
            try:
                word, conf = it.GetUTF8Text(level), it.Confidence(level)
            except RuntimeError:  # an empty block: nothing to read
                break
            if word and word.strip() and conf >= (MIN_SIGN if lang == "ja" else MIN_WORD):
                if it.IsAtBeginningOf(RIL.TEXTLINE) or not lines:
                    lines.append([])
                lines[-1].append(word.strip())
                confs.append(conf)
            if not it.Next(level):
                break
        sep = "" if lang == "ja" else " "
        text = "\n".join(sep.join(ws) for ws in lines if ws)
        return text, (float(np.mean(confs)) / 100.0 if confs else 0.0)

    def read(
        self,
        crop: np.ndarray,
        *,
        vertical: bool,
        language: str | None,
        glyph: float,
        strokes: int = 0,
    ) -> OcrResult | None:
        if language in ("en", "ja"):
            tries = [language]
        elif vertical:
            tries = ["ja", "en"]
        elif strokes >= 6:
            tries = ["en", "ja"]  # poor English from many strokes: horizontal Japanese?
        else:
            tries = ["en"]
        best: OcrResult | None = None
        for lang in tries:
            text, conf = self._read_as(crop, lang, vertical and lang == "ja")
            result = OcrResult(_tidy(text, lang), conf, lang, glyph)
            if _quality(result) > _quality(best):
                best = result
            if _quality(best) >= 0.8:
                break  # sure enough: no need to try the other script
        if best is None or not _is_text(best):
            return None
        return best


def _tidy(text: str, lang: str) -> str:
    if lang == "en":  # Tesseract's favourite slip in lettering: a capital I as a bar
        text = re.sub(r"(?<![^\s])\|(?![^\s])", "I", text)
    else:  # a vertical ellipsis reads as a colon; Japanese writing has no colons
        text = re.sub(r"[:：︙‥]+", "…", text)
    return text.strip()


def _quality(r: OcrResult | None) -> float:
    if r is None:
        return 0.0
    letters = len(_LETTER.findall(r.text))
    if r.language == "ja":
        if letters >= 6 and len(set(r.text)) < letters / 4:
            return 0.0  # one sign repeated many times: Tesseract reading a texture
        signs = 1.5 * len(_CJK.findall(r.text)) - len(_ALPHA.findall(r.text))
        return r.confidence * max(0.0, min(1.0, signs / 3.0))
    return r.confidence * max(0.0, min(1.0, letters / 3.0))


def _is_text(r: OcrResult) -> bool:
    if r.confidence * 100 < MIN_REGION or _quality(r) == 0.0:
        return False
    if r.language == "ja":
        return len(_CJK.findall(r.text)) >= 1
    return len(_ALPHA.findall(r.text)) >= 2
