"""Fine-tune CLIP on KangaiSet face crops and score it as M2M-Gen's Table I.

Dataset layout (documented in `m2m-reader train emotion --help` and docs/models.md):
one folder per class, named by KangaiSet's classes, holding face crops::

    KANGAISET_DIR/anger/*.png   KANGAISET_DIR/happiness/*.jpg   ...

optionally split as `KANGAISET_DIR/train/<class>/...` and `KANGAISET_DIR/test/<class>/...`;
without a split, a seeded share of each class is held out for evaluation.

Training is the paper's: CLIP as a classifier over the seven prompt-ensemble class
embeddings (both encoders tuned), cross-entropy, Adam with betas (0.9, 0.98), weight
decay 0.001, lr 1e-5, 10 epochs, batch 16.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from PIL import Image

from ..analysis.emotions import EMOTIONS
from ..core.cancel import NEVER, CancelToken
from ..core.errors import M2MError
from .clip_emotions import LoadedClip, class_embeddings, class_logits, classify
from .device import require_torch

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
Sample = tuple[Path, int]  # image file, class index in EMOTIONS


@dataclass
class TrainSettings:
    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-5
    betas: tuple[float, float] = (0.9, 0.98)
    weight_decay: float = 0.001
    seed: int = 0


def _class_folder(folder: Path) -> list[Sample]:
    samples: list[Sample] = []
    for i, emotion in enumerate(EMOTIONS):
        sub = folder / emotion
        if sub.is_dir():
            files = sorted(p for p in sub.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            samples.extend((p, i) for p in files)
    return samples


def load_dataset(
    root: Path, held_out: float = 0.2, seed: int = 0
) -> tuple[list[Sample], list[Sample]]:
    """(train, test) samples from a KangaiSet folder (see the module docstring)."""
    if not root.is_dir():
        raise M2MError(f"{root}: no such KangaiSet folder.")
    if (root / "train").is_dir():
        train = _class_folder(root / "train")
        test = _class_folder(root / "test") if (root / "test").is_dir() else []
    else:
        rng = random.Random(seed)
        train, test = [], []
        by_class: dict[int, list[Sample]] = {}
        for s in _class_folder(root):
            by_class.setdefault(s[1], []).append(s)
        for items in by_class.values():
            rng.shuffle(items)
            k = round(len(items) * held_out)
            test.extend(items[:k])
            train.extend(items[k:])
    if not train and not test:
        names = ", ".join(EMOTIONS)
        raise M2MError(f"{root}: no face images found; expected folders named {names}.")
    return train, test


def _open(path: Path) -> Image.Image:
    try:
        with Image.open(path) as im:
            return im.convert("RGB")
    except OSError as exc:
        raise M2MError(f"{path}: not a readable image ({exc}).") from exc


def train(
    lc: LoadedClip,
    samples: list[Sample],
    settings: TrainSettings,
    *,
    cancel: CancelToken = NEVER,
    progress: Callable[[int, int, float], None] | None = None,
) -> list[float]:
    """Fine-tune `lc.model` in place; returns the mean training loss of each epoch.

    `progress(epoch, step, loss)` is called after every batch.
    """
    torch = require_torch()
    if not samples:
        raise M2MError("no training images: the KangaiSet folder has no train split.")
    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    model = lc.model
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.Adam(
        params, lr=settings.lr, betas=settings.betas, weight_decay=settings.weight_decay
    )
    order = list(samples)
    losses: list[float] = []
    try:
        for epoch in range(settings.epochs):
            rng.shuffle(order)
            total, count = 0.0, 0
            for step, i in enumerate(range(0, len(order), settings.batch_size)):
                cancel.check()
                batch = order[i : i + settings.batch_size]
                pixels = torch.stack([lc.preprocess_train(_open(p)) for p, _ in batch])
                labels = torch.tensor([c for _, c in batch], device=lc.device)
                logits = class_logits(lc, pixels.to(lc.device), class_embeddings(lc))
                loss = torch.nn.functional.cross_entropy(logits, labels)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += loss.item() * len(batch)
                count += len(batch)
                if progress is not None:
                    progress(epoch, step, loss.item())
            losses.append(total / max(1, count))
    finally:
        model.eval()
    return losses


def predict(lc: LoadedClip, samples: list[Sample], batch_size: int = 32) -> np.ndarray:
    """Predicted class indices for the samples."""
    preds = []
    for i in range(0, len(samples), batch_size):
        crops = [_open(p) for p, _ in samples[i : i + batch_size]]
        preds.append(classify(lc, crops, batch_size).argmax(axis=1))
    return np.concatenate(preds) if preds else np.zeros(0, int)


def f1_scores(
    y_true: ArrayLike, y_pred: ArrayLike, n_classes: int = len(EMOTIONS)
) -> dict[str, Any]:
    """Micro, macro and weighted F1 (as M2M-Gen's Table I) and per-class F1 and support."""
    truth, guess = np.asarray(y_true), np.asarray(y_pred)
    per_class, support = [], []
    for c in range(n_classes):
        tp = int(np.sum((guess == c) & (truth == c)))
        fp = int(np.sum((guess == c) & (truth != c)))
        fn = int(np.sum((guess != c) & (truth == c)))
        denom = 2 * tp + fp + fn
        per_class.append(2 * tp / denom if denom else 0.0)
        support.append(int(np.sum(truth == c)))
    n = len(truth)
    micro = float(np.sum(truth == guess) / n) if n else 0.0  # single-label: micro F1 = accuracy
    # Like scikit-learn: macro averages over classes that occur in the truth or predictions.
    seen = set(truth.tolist()) | set(guess.tolist())
    present = [per_class[c] for c in range(n_classes) if c in seen]
    macro = float(np.mean(present)) if present else 0.0
    weighted = float(np.dot(per_class, support) / n) if n else 0.0
    return {
        "micro_f1": micro,
        "macro_f1": macro,
        "weighted_f1": weighted,
        "per_class": {
            e: {"f1": per_class[i], "support": support[i]} for i, e in enumerate(EMOTIONS)
        },
        "n": n,
    }


def format_scores(scores: dict[str, Any], label: str) -> str:
    """A small table like the paper's Table I."""
    lines = [
        f"{'model':<28} {'micro F1':>9} {'macro F1':>9} {'weighted F1':>12}",
        f"{label:<28} {100 * scores['micro_f1']:>8.1f}% {100 * scores['macro_f1']:>8.1f}% "
        f"{100 * scores['weighted_f1']:>11.1f}%",
        "",
        f"{'class':<12} {'F1':>7} {'faces':>6}",
    ]
    for e, d in scores["per_class"].items():
        lines.append(f"{e:<12} {100 * d['f1']:>6.1f}% {d['support']:>6}")
    lines.append(f"{'all':<12} {'':>7} {scores['n']:>6}")
    return "\n".join(lines)
