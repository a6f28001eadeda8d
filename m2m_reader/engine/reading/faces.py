"""Faces on pages without annotations, behind one small interface.

- `BlobFaces` (built in, classical): a manga face drawn in line art is a bright, round,
  enclosed region with two dark eyes side by side in its upper part. It finds those.
- `CascadeFaces` (model-backed): an OpenCV cascade trained on anime faces, such as
  nagadomi's `lbpcascade_animeface.xml`, used when the person has put the file in the
  models folder (or names it in `M2M_READER_FACE_CASCADE`).

`face_detector()` returns the model-backed one when its weights are present, else the
built-in one. Faces found here let CLIP read emotions on unannotated books.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from ..core.errors import BackendUnavailable
from .regions import Parts, bright_parts

Box = tuple[int, int, int, int]
CASCADE_NAME = "lbpcascade_animeface.xml"
_CASCADE = "CascadeClassifier"  # OpenCV's class, missing from its type stubs


class FaceDetector(Protocol):
    name: str

    def settings_key(self) -> str: ...

    def detect(self, grey: np.ndarray, parts: Parts | None = None) -> list[tuple[Box, float]]:
        """Face boxes (x0, y0, x1, y1) with a score in [0, 1]; `parts` are the page's
        bright regions when the caller has them already."""
        ...


def _eyes(grey: np.ndarray, inside: np.ndarray) -> bool:
    h, w = inside.shape
    dark = ((grey < 100) & inside).astype(np.uint8)
    n, _, stats, cents = cv2.connectedComponentsWithStats(dark, connectivity=8)
    blobs = [
        (cents[i][0], cents[i][1], stats[i][3])
        for i in range(1, n)
        if 0.06 * h <= stats[i][3] <= 0.35 * h
        and 0.04 * w <= stats[i][2] <= 0.3 * w
        and 0.2 * h <= cents[i][1] <= 0.7 * h
    ]
    for a in range(len(blobs)):
        for b in range(a + 1, len(blobs)):
            (xa, ya, ha), (xb, yb, hb) = blobs[a], blobs[b]
            level = abs(ya - yb) < 0.1 * h
            apart = 0.2 * w < abs(xa - xb) < 0.65 * w
            alike = 0.6 < ha / max(1, hb) < 1.6
            if level and apart and alike:
                return True
    return False


class BlobFaces:
    name = "blob"

    def settings_key(self) -> str:
        return "blob-1"

    def detect(self, grey: np.ndarray, parts: Parts | None = None) -> list[tuple[Box, float]]:
        h, w = grey.shape
        page = float(h * w)
        n, labels, stats = parts if parts is not None else bright_parts(grey)
        found = []
        for i in range(1, n):
            x, y, bw, bh, area = (int(v) for v in stats[i])
            if area < 0.002 * page or bw * bh > 0.25 * page or not 0.6 < bw / bh < 1.6:
                continue
            sub = (labels[y : y + bh, x : x + bw] == i).astype(np.uint8)
            contours, _ = cv2.findContours(sub, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            c = max(contours, key=cv2.contourArea)
            filled_area = cv2.contourArea(c)
            perimeter = cv2.arcLength(c, True)
            round_ = 4 * np.pi * filled_area / max(1.0, perimeter**2)
            if round_ < 0.55 or filled_area / (bw * bh) < 0.6:
                continue
            filled = np.zeros_like(sub)
            cv2.drawContours(filled, [c], -1, 1, thickness=-1)
            if _eyes(grey[y : y + bh, x : x + bw], filled.astype(bool)):
                found.append(((x, y, x + bw, y + bh), float(min(1.0, round_))))
        return found


class CascadeFaces:
    name = "animeface-cascade"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cascade = getattr(cv2, _CASCADE)(str(path))
        if self._cascade.empty():
            raise BackendUnavailable(f"The face cascade {path} could not be loaded.")

    def settings_key(self) -> str:
        return f"cascade:{self.path.name}:{self.path.stat().st_size}"

    def detect(self, grey: np.ndarray, parts: Parts | None = None) -> list[tuple[Box, float]]:
        h = grey.shape[0]
        side = max(24, int(0.05 * h))
        eq = cv2.equalizeHist(grey)
        hits = self._cascade.detectMultiScale(
            eq, scaleFactor=1.1, minNeighbors=5, minSize=(side, side)
        )
        return [((int(x), int(y), int(x + w), int(y + h_)), 1.0) for x, y, w, h_ in hits]


def cascade_path(models_dir: Path | None = None) -> Path | None:
    named = os.environ.get("M2M_READER_FACE_CASCADE")
    if named and Path(named).is_file():
        return Path(named)
    if models_dir is not None and (models_dir / CASCADE_NAME).is_file():
        return models_dir / CASCADE_NAME
    return None


def face_detector(models_dir: Path | None = None) -> FaceDetector:
    """The anime-face cascade when its file is present, else the built-in detector."""
    path = cascade_path(models_dir)
    if path is not None:
        try:
            return CascadeFaces(path)
        except BackendUnavailable:
            pass
    return BlobFaces()
