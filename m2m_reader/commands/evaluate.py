"""`m2m-reader evaluate SOUNDTRACK`: how well an exported soundtrack fits its book.

Reads the export and its chapters file (and a truth file, an analysis, a reference
folder when given) and writes a self-contained HTML report; see docs/evaluate.md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from ..engine.core.errors import M2MError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="a report on an exported soundtrack: mood, loudness, plan, seams, truth",
        description="Measure an exported soundtrack against its chapters file (and a "
        "ground truth) and write a self-contained HTML report with plots.",
    )
    parser.add_argument("soundtrack", type=Path, help="an export (.wav, .flac, .ogg, .mp3)")
    parser.add_argument(
        "--chapters", type=Path, help="its chapters JSON (default: NAME.chapters.json)"
    )
    parser.add_argument(
        "--truth", type=Path, help="a ground truth: scenes with moods (docs/evaluate.md)"
    )
    parser.add_argument("--analysis", type=Path, help="the book's analysis.json, for page emotions")
    parser.add_argument("-o", "--output", type=Path, help="the report (default: NAME.report.html)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--reference", type=Path, help="a folder of music to compute FAD against")
    parser.add_argument(
        "--clap-model", default="", metavar="NAME_OR_FOLDER",
        help="the CLAP model for text-audio agreement and FAD (default: laion/larger_clap_music, "
        "from the local cache only)",
    )  # fmt: skip
    parser.add_argument("--no-models", action="store_true", help="skip CLAP and FAD")
    parser.set_defaults(func=run)


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise M2MError(f"no such {what}: {path}") from None
    except (OSError, ValueError) as exc:
        raise M2MError(f"cannot read the {what} {path} ({type(exc).__name__})") from None


def build(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The evaluation of `args.soundtrack`, with the model figures when possible."""
    from ..engine.evaluation.measures import evaluate

    audio = args.soundtrack
    if not audio.is_file():
        raise M2MError(f"no such soundtrack: {audio}")
    chapters_path = args.chapters or audio.with_name(audio.stem + ".chapters.json")
    chapters = _read_json(chapters_path, "chapters file")
    if not chapters.get("pages"):
        raise M2MError(f"{chapters_path} lists no pages")
    truth = _read_json(args.truth, "truth file") if args.truth else None
    if truth is not None and not isinstance(truth.get("scenes"), list):
        raise M2MError(f"{args.truth} has no 'scenes' list (see docs/evaluate.md)")
    analysis = _read_json(args.analysis, "analysis") if args.analysis else None
    ev = evaluate(audio, chapters, truth, analysis)
    if truth is not None and ev.truth is not None:
        ev.truth["_scenes"] = truth["scenes"]
    if args.no_models:
        ev.notes.append("CLAP agreement and FAD skipped (--no-models).")
    else:
        _model_figures(ev, args, chapters)
    return ev, chapters


def _model_figures(ev: Any, args: argparse.Namespace, chapters: dict[str, Any]) -> None:
    from ..engine.core.errors import BackendUnavailable
    from ..engine.evaluation.embedding import clap_agreement, fad, load_clap

    t0 = time.perf_counter()
    try:
        clap = load_clap(args.clap_model)
    except (BackendUnavailable, ImportError) as exc:
        ev.notes.append(f"CLAP agreement and FAD skipped: {exc}")
        return
    clap_agreement(ev, args.soundtrack, chapters, clap)
    if args.reference is None:
        ev.notes.append("FAD skipped: no --reference folder was given.")
    elif not args.reference.is_dir():
        ev.notes.append(f"FAD skipped: {args.reference} is not a folder.")
    else:
        try:
            ev.fad, n_ours, n_ref = fad(args.soundtrack, args.reference, clap)
            ev.notes.append(f"FAD over {n_ours} soundtrack and {n_ref} reference windows of 10 s.")
        except ValueError as exc:
            ev.notes.append(f"FAD skipped: {exc}.")
    ev.timings["models_s"] = time.perf_counter() - t0


def run(args: argparse.Namespace) -> int:
    from ..engine.core.atomic import write_text
    from ..engine.evaluation.report import render, summary

    t0 = time.perf_counter()
    ev, _ = build(args)
    out = args.output or args.soundtrack.with_name(args.soundtrack.stem + ".report.html")
    ev.timings["total_s"] = time.perf_counter() - t0
    figures = summary(ev)
    try:
        write_text(out, render(ev), public=True)
        if args.json:
            write_text(args.json, json.dumps(figures, indent=1) + "\n", public=True)
    except OSError as exc:
        raise M2MError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(
        f"{ev.title}: {ev.duration_s:.0f} s, {figures['integrated_lufs']} LUFS, LRA {ev.lra:.1f} LU"
    )
    if ev.truth is not None:
        b = ev.truth["boundaries"]
        print(f"scene boundaries P {b['precision']:.2f} R {b['recall']:.2f} F1 {b['f1']:.2f}; "
              f"emotion accuracy {ev.truth['emotion_accuracy']}; scenes fitting "
              f"{ev.truth['scenes_fitting']} of {len(ev.truth['scene_fit'])}")  # fmt: skip
    for note in ev.notes:
        print(note)
    print(f"report: {out}")
    return 0
