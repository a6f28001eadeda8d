"""`m2m-reader eval emotion KANGAISET_DIR`: micro, macro and weighted F1 as M2M-Gen's Table I."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .train import LAYOUT, add_clip_args, default_checkpoint


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="evaluate a model (emotion: CLIP on KangaiSet, as M2M-Gen's Table I)",
        description="Evaluate a model on labelled data.",
    )
    sub = parser.add_subparsers(dest="what", metavar="WHAT", required=True)
    emo = sub.add_parser(
        "emotion",
        help="micro, macro and weighted F1 of CLIP face emotions",
        description="Score CLIP face emotions on KangaiSet's test faces: the fine-tuned "
        "checkpoint (default: the one `train emotion` wrote) or --zero-shot. " + LAYOUT,
    )
    emo.add_argument("kangaiset", metavar="KANGAISET_DIR", help="the face crops (layout above)")
    add_clip_args(emo)
    group = emo.add_mutually_exclusive_group()
    group.add_argument("--checkpoint", type=Path, default=None, help="a fine-tuned checkpoint")
    group.add_argument("--zero-shot", action="store_true", help="score the prompt ensemble")
    emo.add_argument("--all", action="store_true", help="score every face, not the test split")
    emo.add_argument("--json", action="store_true", help="print the scores as JSON")
    emo.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.core.errors import M2MError
    from ..engine.models.clip_emotions import ClipSettings, load_clip
    from ..engine.models.train_emotion import f1_scores, format_scores, load_dataset, predict

    train_set, test_set = load_dataset(Path(args.kangaiset), args.held_out, args.seed)
    faces = train_set + test_set if args.all else test_set
    if not faces:
        raise M2MError(f"{args.kangaiset}: no test faces to evaluate (try --all).")
    settings = ClipSettings(model=args.model, pretrained=args.pretrained, device=args.device)
    label = f"CLIP {args.model} zero-shot"
    if not args.zero_shot:
        checkpoint = args.checkpoint or default_checkpoint()
        if not checkpoint.is_file():
            raise M2MError(
                f"{checkpoint}: no fine-tuned checkpoint; run `m2m-reader train emotion "
                "KANGAISET_DIR` first, or pass --zero-shot."
            )
        settings.checkpoint = str(checkpoint)
        label = f"CLIP fine-tuned ({checkpoint.name})"
    lc = load_clip(settings)
    scores = f1_scores([c for _, c in faces], predict(lc, faces))
    if args.json:
        print(json.dumps(scores))
    else:
        print(format_scores(scores, label))
    return 0
