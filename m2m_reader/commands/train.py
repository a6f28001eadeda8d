"""`m2m-reader train emotion KANGAISET_DIR`: fine-tune CLIP on KangaiSet face crops."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..engine.core.paths import data_dir
from ._progress import TerminalProgress

LAYOUT = (
    "KANGAISET_DIR holds one folder per class, named anger, disgust, fear, happiness, "
    "neutral, sadness, surprise, each with face crops (png/jpg); or train/<class>/ and "
    "test/<class>/ folders for a fixed split. Without a split, --held-out of each class "
    "is kept back for the evaluation printed at the end."
)


def default_checkpoint() -> Path:
    return data_dir() / "models" / "clip-emotion.pt"


def add_clip_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="ViT-B-32", help="open_clip architecture (ViT-B-32)")
    parser.add_argument(
        "--pretrained", default="openai", help="open_clip weights tag to start from (openai)"
    )
    parser.add_argument("--device", default="auto", help="auto, cuda, mps or cpu")
    parser.add_argument("--held-out", type=float, default=0.2, help="test share without a split")
    parser.add_argument("--seed", type=int, default=0)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help="fine-tune a model (emotion: CLIP on KangaiSet)",
        description="Fine-tune a model. `train emotion KANGAISET_DIR` fine-tunes CLIP on "
        "KangaiSet face crops with M2M-Gen's settings.",
    )
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    emo = sub.add_parser(
        "emotion",
        help="fine-tune CLIP for face emotions",
        description="Fine-tune CLIP for KangaiSet's seven face emotions (Adam betas 0.9/0.98, "
        "weight decay 0.001, lr 1e-5, 10 epochs, batch 16), then report micro, macro and "
        "weighted F1 on the held-out faces. " + LAYOUT,
    )
    emo.add_argument("kangaiset", metavar="KANGAISET_DIR", help="the face crops (layout above)")
    add_clip_args(emo)
    emo.add_argument("--epochs", type=int, default=10)
    emo.add_argument("--batch-size", type=int, default=16)
    emo.add_argument("--lr", type=float, default=1e-5)
    emo.add_argument("--weight-decay", type=float, default=0.001)
    emo.add_argument("--betas", type=float, nargs=2, default=(0.9, 0.98), metavar=("B1", "B2"))
    emo.add_argument("--out", type=Path, default=None, help="checkpoint file to write")
    emo.add_argument("--json", action="store_true", help="print the scores as JSON")
    emo.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.models.clip_emotions import ClipSettings, load_clip, save_checkpoint
    from ..engine.models.train_emotion import (
        TrainSettings,
        f1_scores,
        format_scores,
        load_dataset,
        predict,
        train,
    )

    train_set, test_set = load_dataset(Path(args.kangaiset), args.held_out, args.seed)
    out = args.out or default_checkpoint()
    lc = load_clip(ClipSettings(model=args.model, pretrained=args.pretrained, device=args.device))
    settings = TrainSettings(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        betas=tuple(args.betas),
        weight_decay=args.weight_decay,
        seed=args.seed,
    )
    steps = -(-len(train_set) // settings.batch_size)
    bar = TerminalProgress("training")

    def progress(epoch: int, step: int, loss: float) -> None:
        bar(epoch * steps + step + 1, settings.epochs * steps, f"epoch {epoch + 1} loss {loss:.3f}")

    try:
        losses = train(lc, train_set, settings, progress=progress)
    finally:
        bar.close()
    scores = f1_scores([c for _, c in test_set], predict(lc, test_set)) if test_set else None
    save_checkpoint(
        out, lc.model, lc.model_name, args.pretrained, lc.quick_gelu,
        extra={"losses": losses, "scores": scores, "train_faces": len(train_set)},
    )  # fmt: skip
    if args.json:
        print(json.dumps({"checkpoint": str(out), "losses": losses, "scores": scores}))
        return 0
    print(
        f"trained on {len(train_set)} faces; loss by epoch: {', '.join(f'{x:.3f}' for x in losses)}"
    )
    if scores:
        print(format_scores(scores, f"CLIP {args.model} fine-tuned"))
    else:
        print("no test faces: nothing held out to evaluate")
    print(f"checkpoint: {out}")
    print("use it with: --emotions clip and the emotion checkpoint setting set to that file")
    return 0
