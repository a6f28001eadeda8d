"""`m2m-reader batch INPUT -o OUT`: the soundtracks of a whole folder of books, on Ray.

INPUT is a folder of books (archives, PDFs, image folders, Manga109 roots), walked
recursively, or a list file with one book a line. OUT gets each book's audio, its
chapters JSON and CUE sheet (what `export` writes) and `manifest.jsonl`. With no
`--ray-address` a local Ray starts on this machine; with one the run joins that
cluster. A rerun skips the finished books; see docs/batch.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine.analysis.records import MODES
from ..engine.core.errors import M2MError
from . import _options
from .export import parse_seconds

if TYPE_CHECKING:
    from ..engine.batch.llm_stage import LLMStage
    from ..engine.core.settings import Settings

FORMATS = ("flac", "wav", "ogg", "mp3")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="write the soundtracks of a folder of books, on Ray (local or a cluster)",
        description="Analyse every book of a folder (or a list file), make its music and "
        "write its soundtrack with chapters, on Ray Data. Finished books are skipped, so "
        "a stopped run goes on where it was.",
    )
    p.add_argument("input", type=Path, help="a folder of books, or a list file (.txt)")
    p.add_argument("-o", "--output", type=Path, required=True, help="the folder to write into")
    p.add_argument("--ray-address", metavar="ADDRESS",
                   help="a Ray cluster to join (e.g. ray://head:10001 or auto); "
                   "default: start a local Ray")  # fmt: skip
    p.add_argument("--format", choices=FORMATS, default="flac", help="audio format (default flac)")
    p.add_argument("--mode", choices=MODES, default="scene", help="as for export")
    p.add_argument("--seconds-per-page", default="auto", metavar="auto|N",
                   help="reading time per page: auto (from text and panels) or seconds")  # fmt: skip
    p.add_argument("--lufs", type=float, default=-16.0, help="target loudness (default -16)")
    p.add_argument("--true-peak", type=float, default=-1.0, help="true-peak ceiling in dBTP")
    g = p.add_argument_group("Ray")
    g.add_argument("--num-cpus", type=int, metavar="N", help="a local Ray's CPUs (default: all)")
    g.add_argument("--gpu-share", type=float, default=0.25, metavar="FRACTION",
                   help="of a GPU for each CLIP or Magi actor (default 0.25)")  # fmt: skip
    g.add_argument("--music-actors", type=int, metavar="N",
                   help="the most music actors (default: one per CPU; MusicGen: one per GPU)")  # fmt: skip
    g.add_argument("--music-batch", type=int, default=8, metavar="N",
                   help="MusicGen: the most pages in one generate call (default 8)")  # fmt: skip
    g.add_argument("--cache-dir", type=Path, metavar="DIR",
                   help="the cache every worker shares (on a cluster: a shared file system)")  # fmt: skip
    g.add_argument("--force", action="store_true", help="redo finished books too")
    g = p.add_argument_group("LLM stage (ray.data.llm; with --llm openai)")
    g.add_argument("--llm-stage", choices=("http", "vllm"),
                   help="the LLM steps (scenes, directives, captions) as Ray Data stages of "
                   "their own: vllm (engine actors holding --llm-model, a Hugging Face id, "
                   "one GPU each) or http (the endpoint at --llm-base-url); default: the "
                   "analyse step asks the endpoint, one request at a time")  # fmt: skip
    g.add_argument("--llm-engines", type=int, default=1, metavar="N",
                   help="vLLM engine actors (or HTTP workers) for each of the 3 steps (default 1)")  # fmt: skip
    g.add_argument("--llm-tensor-parallel", type=int, default=1, metavar="N",
                   help="GPUs each vLLM engine splits the model over (default 1)")  # fmt: skip
    g.add_argument("--llm-gpu-share", type=float, default=1.0, metavar="FRACTION",
                   help="of a GPU for each vLLM engine, so the steps' engines share GPUs "
                   "(e.g. 0.3: all three on one GPU; default 1)")  # fmt: skip
    g.add_argument("--llm-batch", type=int, default=16, metavar="N",
                   help="requests per batch handed to an engine or worker (default 16)")  # fmt: skip
    _options.add_backends(p, music=True)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..engine.backends.choice import (
        close_backend,
        make_emotions,
        make_music,
        make_text,
        make_transcript,
    )
    from ..engine.batch import BatchOptions, run_batch

    if getattr(args, "no_cache", False):
        raise M2MError(
            "batch hands its work from stage to stage in the cache: --no-cache cannot be used"
        )
    for name, value in (("--num-cpus", args.num_cpus), ("--music-actors", args.music_actors),
                        ("--music-batch", args.music_batch)):  # fmt: skip
        if value is not None and value < 1:
            raise M2MError(f"{name} must be at least 1, not {value}")
    if not 0 < args.gpu_share <= 1:
        raise M2MError(f"--gpu-share must be more than 0 and at most 1, not {args.gpu_share:g}")
    if args.offline and args.ray_address:
        raise M2MError("--offline opens no network connection: it cannot join a Ray cluster")
    seconds = parse_seconds(args.seconds_per_page)
    settings = _options.settings_from(args)
    stage = _llm_stage(args, settings)
    # Each backend is started once here: one that cannot start is reported, and the
    # whole run uses its fallback (every worker the same backends, the same keys).
    if stage is not None and stage.engine == "vllm":  # no endpoint: only the transcripts
        source = make_transcript(settings, _options.on_fallback)
    else:
        text = make_text(settings, _options.on_fallback)
        if settings.text != "builtin" and text.name == "builtin":
            if stage is not None:
                raise M2MError("--llm-stage http needs the LLM endpoint, which cannot start")
            settings.text = "builtin"
        source = getattr(text, "transcript_source", None)
    if source is not None and source.name != settings.transcript:  # a model that cannot start
        settings.transcript = source.name
    emotions = make_emotions(settings, _options.on_fallback)
    if emotions.name != settings.emotions:
        settings.emotions = emotions.name
    music = make_music(settings, _options.on_fallback)
    if music.name != settings.music:
        settings.music = music.name
    close_backend(music)
    options = BatchOptions(
        source=args.input, out=args.output, address=args.ray_address, mode=args.mode,
        seconds=seconds, lufs=args.lufs, true_peak=args.true_peak, fmt=args.format,
        num_cpus=args.num_cpus, gpu_share=args.gpu_share, music_actors=args.music_actors,
        music_batch=args.music_batch,
        cache_dir=args.cache_dir, verbose=args.verbose, force=args.force, llm_stage=stage,
    )  # fmt: skip
    report = run_batch(settings, options)
    ok = len(report.records) - len(report.failed)
    print(
        f"{ok} books written, {len(report.failed)} failed, {report.skipped} skipped "
        f"(finished before) in {report.wall_s:.1f} s; manifest: {Path(args.output) / 'manifest.jsonl'}"
    )
    return 1 if report.failed else 0


def _llm_stage(args: argparse.Namespace, settings: Settings) -> LLMStage | None:
    """The LLM stage asked for, checked (and what it runs on found) before anything starts."""
    if not args.llm_stage:
        return None
    from ..engine.batch.llm_stage import LLMStage, require

    if settings.text != "openai":
        raise M2MError("--llm-stage runs the LLM's text steps: add --llm openai")
    if args.mode != "scene":
        raise M2MError(
            f"--llm-stage runs the scene mode's LLM steps; --mode {args.mode} asks the endpoint "
            "from the analyse step: leave out --llm-stage"
        )
    if args.llm_stage == "http" and args.offline:
        raise M2MError("--offline opens no network connection: it cannot use --llm-stage http")
    if args.llm_stage == "vllm":
        if not args.llm_model:
            raise M2MError(
                "--llm-stage vllm needs --llm-model: a Hugging Face model id or a folder "
                "(e.g. Qwen/Qwen2.5-7B-Instruct)"
            )
        if settings.transcript in ("auto", "openai"):
            raise M2MError(
                "--llm-stage vllm has no endpoint for the vision LLM's page transcripts: add "
                "--transcript builtin (or manga-ocr, magi)"
            )
    stage = LLMStage(
        args.llm_stage, engines=args.llm_engines, tensor_parallel=args.llm_tensor_parallel,
        gpu_share=args.llm_gpu_share, batch_size=args.llm_batch,
    )  # fmt: skip
    require(stage)
    return stage
