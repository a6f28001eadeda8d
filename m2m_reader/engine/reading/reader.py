"""Reading one page image: panels, balloons, OCR, sound effects and faces, in order.

`PageReader.read(image, direction, language)` returns a `PageReading`. Reading order
follows the book: a spread's right page first for right-to-left books; panels by rows
top to bottom, each row right to left (left to right for ltr books); texts within a
panel the same way. Text outside balloons that is large or slanted is a sound effect.

Any image reads without error: blank and all-black pages give no text, huge pages
(webtoon strips) are scaled to a pixel budget first.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from . import panels as panel_mod
from .faces import FaceDetector, face_detector
from .lettered import find_lettered_balloons
from .ocr import Ocr, TesseractOcr, clean_crop, ground
from .record import FoundFace, PageReading, PanelEvidence, ReadText
from .regions import (
    Region,
    bright_parts,
    find_balloons,
    find_loose_text,
)

MAX_PIXELS = 2_500_000  # larger pages are read scaled down to this many pixels
MIN_SIDE = 48
MAX_LOOSE = 6  # loose lettering read per page, largest first
VERSION = "reader-3"  # bump when reading changes: part of every reading's cache key
Box = tuple[int, int, int, int]


def _grey(image: Image.Image) -> tuple[np.ndarray, float]:
    im = image.convert("L")
    scale = 1.0
    if im.width * im.height > MAX_PIXELS:
        scale = math.sqrt(MAX_PIXELS / (im.width * im.height))
        im = im.resize((max(1, int(im.width * scale)), max(1, int(im.height * scale))))
    return np.asarray(im, dtype=np.uint8), scale


def _saturation(image: Image.Image, shape: tuple[int, int]) -> np.ndarray | None:
    """Each pixel's colour saturation (0-255) at the reading's size; None for a black
    and white page."""
    if image.mode in ("1", "L", "LA", "I", "I;16", "F"):
        return None
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    if rgb.shape[:2] != shape:
        rgb = np.asarray(
            cv2.resize(rgb, (shape[1], shape[0]), interpolation=cv2.INTER_AREA), np.uint8
        )
    sat = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)[:, :, 1]
    return sat if int(np.percentile(sat, 90)) > 40 else None  # a grey scan saved as RGB


def coloured_ink(grey: np.ndarray, sat: np.ndarray | None, r: Region) -> bool:
    """True when a region's lettering is drawn in colour (red, orange, blue sound
    effects), not in the black or dark grey of dialogue."""
    if sat is None:
        return False
    x0, y0, x1, y1 = r.box
    g, s = grey[y0:y1, x0:x1], sat[y0:y1, x0:x1]
    level = ground(g, r.mask)
    if level is None:
        return False
    ink = r.mask & (np.abs(g.astype(np.int16) - int(level)) > 50)
    return bool(ink.sum() >= 20 and float(np.median(s[ink])) > 100)


def _centre(b: Box) -> tuple[float, float]:
    return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2


def order_panels(boxes: list[Box], width: int, height: int, rtl: bool) -> list[Box]:
    """Panels in reading order: page half of a spread, then rows, then across."""
    spread = width > 1.2 * height

    def half(b: Box) -> int:
        if not spread:
            return 0
        right = _centre(b)[0] >= width / 2
        return 0 if right == rtl else 1

    ordered: list[Box] = []
    for h in (0, 1):
        rest = sorted((b for b in boxes if half(b) == h), key=lambda b: b[1])
        while rest:
            top = rest[0]
            row = [b for b in rest if b[1] < top[1] + 0.5 * (top[3] - top[1])]
            rest = [b for b in rest if b not in row]
            ordered += sorted(row, key=lambda b: -b[2] if rtl else b[0])
    return ordered


def _panel_of(point: tuple[float, float], boxes: list[Box]) -> int | None:
    x, y = point
    for i, b in enumerate(boxes):
        if b[0] <= x <= b[2] and b[1] <= y <= b[3]:
            return i
    return None


def _slant(mask: np.ndarray) -> float:
    """Degrees a loose text cluster leans (minimum-area rectangle)."""
    pts = cv2.findNonZero(mask.astype(np.uint8))
    if pts is None or len(pts) < 10:
        return 0.0
    (_, _), (w, h), angle = cv2.minAreaRect(pts)
    if w < h:
        angle -= 90.0
    return float(((angle + 45.0) % 90.0) - 45.0)


class PageReader:
    """Reads pages with an OCR backend and a face detector (built-in ones by default)."""

    def __init__(self, ocr: Ocr | None = None, faces: FaceDetector | None = None) -> None:
        self.ocr: Ocr = ocr or TesseractOcr()
        self.faces: FaceDetector = faces or face_detector()

    def warm(self, language: str | None) -> None:
        """Load what reading a page in `language` needs first (Tesseract's models)."""
        warm = getattr(self.ocr, "warm", None)
        if callable(warm):
            warm(language)

    def settings_key(self) -> str:
        return f"{VERSION}:{self.ocr.name}:{self.ocr.settings_key()}:{self.faces.settings_key()}"

    def read(
        self, image: Image.Image, direction: str = "rtl", language: str | None = None
    ) -> PageReading:
        grey, scale = _grey(image)
        h, w = grey.shape
        if min(h, w) < MIN_SIDE:
            return PageReading(page=PanelEvidence(box=(0, 0, w, h)))
        rtl = direction == "rtl"
        boxes = order_panels(panel_mod.find_panels(grey), w, h, rtl)
        page, panels = panel_mod.evidence(grey, boxes)
        sat = _saturation(image, grey.shape)
        if sat is not None:
            page.colour = round(float((sat > 64).mean()), 4)
        bright = bright_parts(grey)
        balloons = find_balloons(grey, bright)
        balloons = find_lettered_balloons(grey, balloons)
        balloons.sort(key=lambda r: -(r.box[2] - r.box[0]) * (r.box[3] - r.box[1]))
        texts: list[tuple[tuple, ReadText]] = []
        seen: list[str] = []
        for r in balloons:  # largest first
            # A page is lettered in one script: once three balloons agree, read the rest
            # in it alone (half the OCR calls on a Japanese page).
            settled = seen[0] if len(seen) >= 3 and len(set(seen)) == 1 else None
            kind = "box" if r.kind == "box" else "balloon"
            t = self._read_region(grey, r, language or settled, kind)
            if t is not None and coloured_ink(grey, sat, r):
                t.kind = "sfx"  # lettering in colour on a light patch: a sound
                texts.append((self._order_key(t.box, boxes, rtl, h), t))
            elif t is not None:
                texts.append((self._order_key(t.box, boxes, rtl, h), t))
                seen.append(t.language)
        kept = [r for r in balloons if any(t.box == r.box for _, t in texts)]
        glyphs = sorted(t.glyph for _, t in texts if t.glyph)
        base = glyphs[len(glyphs) // 2] if glyphs else 0.02 * h
        settled = max(set(seen), key=seen.count) if language is None and seen else language
        for r in find_loose_text(grey, kept)[:MAX_LOOSE]:
            slant = _slant(r.mask)
            t = self._read_region(grey, r, settled, "note", slant)
            if t is None or t.text.replace(" ", "").isdigit():
                continue  # nothing, or a page number
            loud = t.glyph >= 1.6 * base or abs(slant) >= 3.0 or coloured_ink(grey, sat, r)
            t.kind = "sfx" if loud else "note"
            texts.append((self._order_key(t.box, boxes, rtl, h), t))
        texts.sort(key=lambda kt: kt[0])
        found = [
            FoundFace(box=b, score=round(s, 3), panel=_panel_of(_centre(b), boxes))
            for b, s in self.faces.detect(grey, bright)
        ]
        reading = PageReading(texts=[t for _, t in texts], panels=panels, faces=found, page=page)
        langs = [t.language for t in reading.texts]
        reading.language = max(set(langs), key=langs.count) if langs else language
        if scale != 1.0:
            _rescale(reading, 1.0 / scale)
        return reading

    def _order_key(self, box: Box, boxes: list[Box], rtl: bool, h: int) -> tuple:
        c = _centre(box)
        p = _panel_of(c, boxes)
        band_h = (boxes[p][3] - boxes[p][1]) / 3 if p is not None else h / 6
        band = int((box[1] - (boxes[p][1] if p is not None else 0)) // max(1.0, band_h))
        return (p if p is not None else len(boxes), band, -c[0] if rtl else c[0], c[1])

    def _read_region(
        self, grey: np.ndarray, r: Region, language: str | None, kind: str, slant: float = 0.0
    ) -> ReadText | None:
        x0, y0, x1, y1 = r.box
        got = None
        # Lettering drawn on the art reads at some sizes and not others, and may be light
        # on a dark panel: loose text gets tries at other sizes, and inverted on a dark
        # ground.
        # Tesseract now and then misreads a block at one size that it reads well at
        # another: a balloon full of letters gets a second try a little larger.
        tries: tuple[tuple[float, bool], ...] = ((1.0, False),)
        if r.kind != "loose" and r.strokes >= 6:
            tries += ((0.8, False),)
        if r.kind == "loose":
            tries += ((0.8, False), (1.3, False))
            level = ground(grey[y0:y1, x0:x1], r.mask)
            if level is not None and level < 128:  # perhaps light letters on the dark
                tries += ((1.0, True),)
        for factor, invert in tries:
            crop = clean_crop(grey[y0:y1, x0:x1], r.mask, r.glyph * factor, invert)
            if abs(slant) >= 2.0:
                ch, cw = crop.shape
                m = cv2.getRotationMatrix2D((cw / 2, ch / 2), slant, 1.0)
                crop = cv2.warpAffine(crop, m, (cw, ch), borderValue=255)
            got = self.ocr.read(
                crop, vertical=r.vertical, language=language, glyph=r.glyph, strokes=r.strokes
            )
            if got is not None:
                break
        if got is None:
            return None
        return ReadText(
            text=got.text,
            box=r.box,
            kind=kind,
            confidence=round(got.confidence, 3),
            shape=r.shape,
            language=got.language,
            glyph=round(r.glyph, 1),
        )


def _rescale(reading: PageReading, k: float) -> None:
    def s(b: Box) -> Box:
        return (int(b[0] * k), int(b[1] * k), int(b[2] * k), int(b[3] * k))

    for t in reading.texts:
        t.box, t.glyph = s(t.box), round(t.glyph * k, 1)
    for p in [*reading.panels, reading.page]:
        p.box = s(p.box)
    for f in reading.faces:
        f.box = s(f.box)
