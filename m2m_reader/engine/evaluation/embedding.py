"""Model-backed figures: CLAP text–audio agreement per page, and FAD against a folder.

Both use a CLAP model (see `musiclib.clap`), from a local folder or the Hugging Face
cache only. CLAP agreement is the cosine between a page's caption (its scene directive
when the caption is empty) and the page's music. FAD (Fréchet audio distance, as
Herrmann-1 reports it) compares the Gaussian of the soundtrack's 10 s window embeddings
with that of a reference folder's; lower is closer. With fewer windows than embedding
dimensions the covariances are rank-deficient and FAD is biased: it compares runs with
the same reference, not across references.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..musiclib.features import decode
from ..musiclib.index import _walk
from .measures import Evaluation, load_audio

WINDOW_S = 10.0
HOP_S = 5.0
REFERENCE_WINDOWS = 3  # per reference track


def _hub_cache() -> Path:
    import os

    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or str(Path.home() / ".cache" / "huggingface")
    return Path(home) / "hub"


def load_clap(model: str) -> Any:
    """A `ClapRanker` for `model` (raises `BackendUnavailable` in one sentence). A model
    that is neither a folder nor in the Hugging Face cache is refused before torch is
    imported (seconds saved on every report without one)."""
    from ..core.errors import BackendUnavailable
    from ..musiclib.clap import DEFAULT_MODEL, ClapRanker

    name = model or DEFAULT_MODEL
    if not Path(name).expanduser().is_dir():
        cached = _hub_cache() / ("models--" + name.replace("/", "--"))
        if not cached.is_dir():
            raise BackendUnavailable(f"the CLAP model {name} is not on this machine")
    return ClapRanker(str(Path(name).expanduser()) if Path(name).expanduser().is_dir() else name)


def _crop(wave: np.ndarray, clap: Any) -> np.ndarray:
    limit = int(getattr(clap.extractor, "nb_max_samples", len(wave)))
    return wave[:limit]


def clap_agreement(ev: Evaluation, audio_path: Path, chapters: dict, clap: Any) -> None:
    """Fill each page's `clap` score."""
    stereo, rate = load_audio(audio_path)
    sr = clap.extractor.sampling_rate
    scenes = {s["index"]: s for s in chapters.get("scenes", [])}
    texts, waves = [], []
    for p, page in zip(ev.pages, chapters["pages"], strict=True):
        mid = (p.start_s + p.end_s) / 2
        a = max(p.start_s, mid - WINDOW_S / 2)
        b = min(p.end_s, a + WINDOW_S)
        seg = stereo[int(a * rate) : int(b * rate)].mean(axis=1)
        waves.append(_crop(_to(seg, rate, sr), clap))
        texts.append(page.get("caption") or scenes.get(p.scene, {}).get("directive", "") or "music")
    audio = np.concatenate(
        [clap.audio_embedding(waves[i : i + 8]) for i in range(0, len(waves), 8)]
    )
    text = clap.text_embedding(texts)
    for p, a, t in zip(ev.pages, audio, text, strict=True):
        p.clap = round(float(a @ t), 4)


def _to(x: np.ndarray, rate: int, sr: int) -> np.ndarray:
    if rate == sr:
        return x.astype(np.float32)
    import soxr

    return soxr.resample(x, rate, sr).astype(np.float32)


def windows(wave: np.ndarray, sr: int, limit: int | None = None) -> list[np.ndarray]:
    n, hop = int(WINDOW_S * sr), int(HOP_S * sr)
    out = [wave[a : a + n] for a in range(0, max(1, len(wave) - n + 1), hop)]
    return out[:limit] if limit else out


def fad(audio_path: Path, reference: Path, clap: Any) -> tuple[float, int, int]:
    """(FAD, soundtrack windows, reference windows) of the export against `reference`."""
    sr = clap.extractor.sampling_rate
    stereo, rate = load_audio(audio_path)
    ours = [_crop(w, clap) for w in windows(_to(stereo.mean(axis=1), rate, sr), sr)]
    theirs = []
    for rel in sorted(_walk(reference)):
        try:
            wave = decode(reference / rel, 0.0, WINDOW_S * (REFERENCE_WINDOWS + 1), sr).mean(axis=1)
        except Exception:  # noqa: BLE001 - an unreadable reference file is left out
            continue
        theirs += [_crop(w, clap) for w in windows(wave, sr, REFERENCE_WINDOWS)]
    if len(ours) < 2 or len(theirs) < 2:
        raise ValueError("FAD needs at least two windows on each side")
    e1 = np.concatenate([clap.audio_embedding(ours[i : i + 8]) for i in range(0, len(ours), 8)])
    e2 = np.concatenate([clap.audio_embedding(theirs[i : i + 8]) for i in range(0, len(theirs), 8)])
    return frechet_distance(e1, e2), len(e1), len(e2)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """‖μa − μb‖² + Tr(Σa + Σb − 2(ΣaΣb)^½) of two sets of embeddings (rows)."""
    from scipy import linalg

    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(cov_a @ cov_b)
    root = np.real(root)
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * root))
