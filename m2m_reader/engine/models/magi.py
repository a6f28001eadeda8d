"""Magi v2 ("The Manga Whisperer") as a page reader: panels, texts, speakers, OCR.

Magi (ragavsachdeva/magiv2) is loaded with `AutoModel.from_pretrained(...,
trust_remote_code=True)`: its own modelling code ships with the weights and runs here,
from local files only. Its documented API:

- `do_chapter_wide_prediction(pages, character_bank, use_tqdm, do_ocr)` (v2): per page a
  dict with "panels", "texts", "characters" (boxes), "character_names",
  "text_character_associations" ([text, character] pairs), "is_essential_text" and
  "ocr" (one string per text box);
- `predict_detections_and_associations(images)` and `predict_ocr(images, text_boxes)`
  (v1 and v2): the same without names.

`MagiReader.read(image, direction, language)` returns the same `PageReading` as the
built-in reader, so the cache, the OCR pool and the transcript stage are shared. Texts
Magi calls essential are dialogue balloons; the others are sound effects when their
letters are large, else notes. Speakers: Magi names a character only against a bank of
pictures of the cast (the `magi-characters` folder beside the weights: one image per
character, named by its file); without one every speaker is "unknown", since labels
made per page would name the same person differently on every page. Magi finds
character bodies, not faces: faces still come from the built-in detector (for CLIP).

Licence: Magi's weights are for personal, research and non-commercial use only.
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..core.errors import BackendUnavailable, M2MError
from ..reading import panels as panel_mod
from ..reading.faces import FaceDetector, face_detector
from ..reading.reader import order_panels
from ..reading.record import FoundFace, PageReading, ReadText
from ..reading.regions import bright_parts
from .device import pick_device, require_torch, require_transformers
from .manga_ocr import config_digest, find_weights, missing, models_dir, why_failed

log = logging.getLogger(__name__)

REPO = "ragavsachdeva/magiv2"
FOLDER = "magi"
BANK = "magi-characters"  # under the models folder: NAME.png per character
CONFIDENCE = 0.9  # Magi keeps a text box or drops it; it reports no score per box
PROCESSOR_FILES = ["*.json", "*.txt", "*.model"]  # Magi's OCR processor (TrOCR)
EVIDENCE_PIXELS = 2_500_000  # the visual evidence is measured on at most this many pixels
_IMAGES = (".png", ".jpg", ".jpeg", ".webp")
Box = tuple[int, int, int, int]


def open_magi(name: str = FOLDER) -> tuple[str, Any]:
    """(where, config): the quick part of loading, done when the backend is chosen. Its
    modelling code is imported too, so a package that code needs is named at once."""
    transformers = require_transformers()
    where = find_weights(name, FOLDER, REPO)
    try:
        config = transformers.AutoConfig.from_pretrained(
            where, trust_remote_code=True, local_files_only=True
        )
    except OSError as exc:
        raise missing("Magi", FOLDER, where) from exc
    except Exception as exc:  # noqa: BLE001 - its own code's packages (einops, pulp ...)
        raise why_failed("Magi", exc) from exc
    _local_processor(config)
    reference = (getattr(config, "auto_map", None) or {}).get("AutoModel")
    if not reference:
        raise BackendUnavailable(f"{where} is not a Magi model (its config names no code).")
    try:
        from transformers.dynamic_module_utils import get_class_from_dynamic_module

        get_class_from_dynamic_module(reference, where, local_files_only=True)
    except OSError as exc:
        raise missing("Magi", FOLDER, where) from exc
    except Exception as exc:  # noqa: BLE001 - as above
        raise why_failed("Magi", exc) from exc
    return where, config


def _local_processor(config: Any) -> None:
    """Point Magi's OCR processor (a Hub id in its config, loaded by its own code with
    `TrOCRProcessor.from_pretrained`) at the local copy `models download magi` fetched,
    so loading opens no connection."""
    name = getattr(config, "ocr_pretrained_processor_path", None)
    if not name or getattr(config, "disable_ocr", False) or Path(name).is_dir():
        return
    try:
        from huggingface_hub import snapshot_download

        folder = snapshot_download(
            repo_id=name, allow_patterns=PROCESSOR_FILES, local_files_only=True
        )
    except Exception as exc:  # noqa: BLE001 - not in the cache (or no huggingface_hub)
        raise missing(f"Magi's OCR processor ({name})", FOLDER, name) from exc
    config.ocr_pretrained_processor_path = folder


def load_magi(where: str, device: str = "auto", config: Any = None) -> tuple[Any, str]:
    """The model through `AutoModel.from_pretrained(trust_remote_code=True)`, local files
    only, on its device."""
    transformers = require_transformers()
    extra = {"config": config} if config is not None else {}
    try:
        model = transformers.AutoModel.from_pretrained(
            where, trust_remote_code=True, local_files_only=True, **extra
        )
    except OSError as exc:
        raise missing("Magi", FOLDER, where) from exc
    except Exception as exc:  # noqa: BLE001 - a damaged file, its own code failing
        raise why_failed("Magi", exc) from exc
    if not callable(getattr(model, "predict_detections_and_associations", None)):
        raise BackendUnavailable(f"{where} is not a Magi model (no detection API).")
    dev = pick_device(device)
    return model.to(dev).eval(), dev


def character_bank(folder: Path | None = None) -> dict[str, list]:
    """Magi's character bank from a folder of pictures: {"images": [...], "names": [...]}."""
    folder = folder if folder is not None else models_dir() / BANK
    bank: dict[str, list] = {"images": [], "names": []}
    if not folder.is_dir():
        return bank
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in _IMAGES:
            with Image.open(p) as im:
                bank["images"].append(np.asarray(im.convert("L").convert("RGB")))
            bank["names"].append(p.stem.replace("_", " "))
    return bank


def _box(v: Any, w: int, h: int) -> Box:
    x0, y0, x1, y1 = (float(c) for c in list(v)[:4])
    return (
        int(max(0, min(w, x0))),
        int(max(0, min(h, y0))),
        int(max(0, min(w, x1))),
        int(max(0, min(h, y1))),
    )


def _centre(b: Box) -> tuple[float, float]:
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def _panel_of(b: Box, panels: list[Box]) -> int | None:
    x, y = _centre(b)
    for i, p in enumerate(panels):
        if p[0] <= x <= p[2] and p[1] <= y <= p[3]:
            return i
    return None


class MagiReader:
    """Reads pages with Magi v2; a drop-in for `PageReader` (see the module's docstring).

    Args:
        name: the models folder's copy (default), a folder, or a Hub id in the cache.
        device: torch device preference.
        bank: a folder of character pictures (default: `magi-characters` in the models
            folder), for speakers by name.
        faces: the face detector (the built-in one by default).
    """

    name = "magi"

    def __init__(
        self,
        name: str = FOLDER,
        device: str = "auto",
        bank: Path | None = None,
        faces: FaceDetector | None = None,
    ) -> None:
        self.weights, self.config = open_magi(name)
        self.device_preference = device
        self.device = ""  # known once the model is loaded
        self.bank = character_bank(bank)
        self.faces = faces or face_detector()
        self._model: Any = None
        self._failed: M2MError | None = None
        self._lock = threading.Lock()  # one page at a time through the model

    def settings_key(self) -> str:
        names = ",".join(self.bank["names"])
        return (
            f"magi:{Path(self.weights).name}:{config_digest(self.config)}:{names}:"
            f"{self.faces.settings_key()}"
        )

    def model(self) -> Any:
        """The model, loaded on first use (choosing the backend stays quick)."""
        if self._model is None:
            if self._failed is not None:
                raise self._failed
            try:
                self._model, self.device = load_magi(
                    self.weights, self.device_preference, self.config
                )
            except M2MError as exc:
                self._failed = exc
                raise
        return self._model

    def predict(self, rgb: np.ndarray) -> dict[str, Any]:
        """Magi's answer for one page: detections, associations, OCR (and names)."""
        torch = require_torch()
        with self._lock, torch.inference_mode():
            model = self.model()
            chapter = getattr(model, "do_chapter_wide_prediction", None)
            if callable(chapter):
                return dict(chapter([rgb], self.bank, use_tqdm=False, do_ocr=True)[0])
            found = dict(model.predict_detections_and_associations([rgb])[0])
            found["ocr"] = list(model.predict_ocr([rgb], [found.get("texts", [])])[0])
            return found

    def read(
        self, image: Image.Image, direction: str = "rtl", language: str | None = None
    ) -> PageReading:
        rgb = np.asarray(image.convert("L").convert("RGB"))
        h, w = rgb.shape[:2]
        try:
            found = self.predict(rgb)
        except M2MError:
            raise
        except Exception as exc:  # noqa: BLE001 - the model failed: this page falls back
            raise BackendUnavailable(
                f"Magi could not read the page ({type(exc).__name__}: {exc})."
            ) from exc
        rtl = direction == "rtl"
        panels = order_panels([_box(b, w, h) for b in found.get("panels", [])], w, h, rtl)
        grey, k = _evidence_grey(rgb)
        scaled = [tuple(int(c * k) for c in b) for b in panels]
        page, evidence = panel_mod.evidence(grey, scaled)  # type: ignore[arg-type]
        for p, b in zip(evidence, panels, strict=True):
            p.box = b
        page.box = (0, 0, w, h)
        texts = self._texts(found, w, h, panels, rtl)
        faces = [
            FoundFace(
                box=tuple(int(c / k) for c in b),  # type: ignore[arg-type]
                score=round(s, 3),
                panel=_panel_of(tuple(int(c / k) for c in b), panels),  # type: ignore[arg-type]
            )
            for b, s in self.faces.detect(grey, bright_parts(grey))
        ]
        return PageReading(
            texts=texts,
            panels=evidence,
            faces=faces,
            page=page,
            language=texts[0].language if texts else language,
        )

    def _texts(
        self, found: dict[str, Any], w: int, h: int, panels: list[Box], rtl: bool
    ) -> list[ReadText]:
        boxes = [_box(b, w, h) for b in found.get("texts", [])]
        ocr = list(found.get("ocr", []))
        essential = list(found.get("is_essential_text", [True] * len(boxes)))
        names = list(found.get("character_names", []))
        speaker: dict[int, str] = {}
        if self.bank["names"]:  # names only mean someone when a bank was given
            for t, c in found.get("text_character_associations", []):
                t, c = int(t), int(c)
                if c < len(names) and names[c] in self.bank["names"]:
                    speaker[t] = names[c]
        read: list[tuple[tuple, ReadText]] = []
        for i, box in enumerate(boxes):
            text = " ".join(str(ocr[i]).split()) if i < len(ocr) else ""
            if not text or box[2] <= box[0] or box[3] <= box[1]:
                continue
            cell = math.sqrt((box[2] - box[0]) * (box[3] - box[1]) / max(1, len(text)))
            t = ReadText(
                text=text,
                box=box,
                kind="balloon" if (essential[i] if i < len(essential) else True) else "note",
                confidence=CONFIDENCE,
                language="en",  # Magi v2 reads English lettering
                glyph=round(cell, 1),
                speaker=speaker.get(i, ""),
            )
            p = _panel_of(box, panels)
            cx, cy = _centre(box)
            read.append(
                ((len(panels) if p is None else p, cy // max(1, h / 8), -cx if rtl else cx), t)
            )
        read.sort(key=lambda kt: kt[0])
        out = [t for _, t in read]
        glyphs = sorted(t.glyph for t in out if t.kind == "balloon")
        base = glyphs[len(glyphs) // 2] if glyphs else 0.0
        for t in out:  # large letters outside the dialogue: a sound effect
            if t.kind == "note" and t.glyph >= (1.6 * base if base else 0.04 * h):
                t.kind = "sfx"
        return out


def _evidence_grey(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """The page in grey for the visual evidence, scaled down when huge; and the scale."""
    im = Image.fromarray(rgb).convert("L")
    k = 1.0
    if im.width * im.height > EVIDENCE_PIXELS:
        k = math.sqrt(EVIDENCE_PIXELS / (im.width * im.height))
        im = im.resize((max(1, int(im.width * k)), max(1, int(im.height * k))))
    return np.asarray(im, dtype=np.uint8), k
