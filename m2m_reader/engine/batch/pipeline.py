"""A batch run: the books of a folder through the engine's stages on Ray Data.

    books ─split─▶ pages ─read (CPU tasks; Magi/manga-ocr: actors)─▶ emotions (CPU
    tasks; CLIP: actors) ─regroup─▶ books ─analyse (scenes, directives, captions:
    the LLM's)─▶ scenes ─compose (actors: the composer on CPUs, MusicGen one GPU
    each)─▶ regroup ─▶ books ─write (mixer, loudness, writer)─▶ manifest

The stages stream: a book whose pages are read goes on to its music while others are
still being read. Every stage keeps its records in the shared cache under the
engine's keys (a cluster needs the cache folder and OUT on a shared file system), so a
rerun, or a run after a kill, makes only what is missing; books already finished are
skipped before Ray even starts (see `manifest`).

With an LLM stage (`BatchOptions.llm_stage`, `llm_stage`), the scene mode's LLM steps
(scenes, directives, captions) run between the regroup and the analysis as stages of
their own on `ray.data.llm` (vLLM engines, or an endpoint), and the analysis finds
their records in the cache.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.errors import M2MError
from ..core.settings import Settings
from .inputs import BookJob, find_books
from .llm_stage import LLMStage, held_cpus
from .manifest import STATE_DIR, Manifest, job_key
from .output import MUSIC_BATCH
from .stages import Context

MODEL_TRANSCRIPTS = ("magi", "manga-ocr")
OBJECT_STORE_MB = 300  # a local Ray's object store: rows here are small (cues go by the cache)
PAGES_PER_TASK = 4


@dataclass
class BatchOptions:
    """What a run does, besides the backends (those are in the settings)."""

    source: Path
    out: Path
    address: str | None = None  # None: a local Ray on this machine
    mode: str = "scene"
    seconds: str | float = "auto"
    lufs: float = -16.0
    true_peak: float = -1.0
    fmt: str = "flac"
    num_cpus: int | None = None  # a local Ray's CPUs (default: all)
    gpu_share: float = 0.25  # of a GPU for each CLIP or Magi actor
    music_actors: int | None = None  # the most music actors (default: CPUs, or GPUs)
    scenes_per_batch: int = 2
    music_batch: int = MUSIC_BATCH  # MusicGen: the most pages in one generate call
    cache_dir: Path | None = None
    force: bool = False  # redo finished books too
    verbose: bool = False
    llm_stage: LLMStage | None = None  # None: the analyse step asks the endpoint itself


@dataclass
class BatchReport:
    books: int
    skipped: int
    records: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("status") != "ok"]


Say = Callable[[str], None]


def run_batch(settings: Settings, options: BatchOptions, say: Say = print) -> BatchReport:
    """Run every unfinished book of `options.source` into `options.out`.

    Raises:
        M2MError: the input holds no book, the output cannot be made, Ray is not
            installed or cannot start or reach the cluster.
    """
    t0 = time.perf_counter()
    if options.llm_stage is not None:
        from .llm_stage import require

        require(options.llm_stage)
    out = options.out.expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / STATE_DIR).mkdir(exist_ok=True)
    jobs = find_books(options.source, skip=out)
    ctx = _context(settings, options, out)
    manifest = Manifest(out)
    todo = [j for j in jobs if options.force or not manifest.finished(j, ctx.key, ctx.fmt)]
    report = BatchReport(books=len(jobs), skipped=len(jobs) - len(todo))
    say(f"{len(jobs)} books: {report.skipped} finished already, {len(todo)} to do")
    try:
        if todo:
            _run(todo, ctx, options, manifest, report, say)
    finally:
        manifest.compact(j.name for j in jobs)
    report.wall_s = time.perf_counter() - t0
    return report


def _context(settings: Settings, options: BatchOptions, out: Path) -> Context:
    export: dict[str, object] = {"mode": options.mode, "seconds": options.seconds,
                                 "lufs": options.lufs, "true_peak": options.true_peak,
                                 "fmt": options.fmt}  # fmt: skip
    cache = options.cache_dir or paths.cache_dir()
    return Context(
        settings=settings.as_dict(public=True),
        cache_dir=str(Path(cache).expanduser().resolve()),
        out=str(out),
        mode=options.mode,
        seconds=options.seconds,
        lufs=options.lufs,
        true_peak=options.true_peak,
        fmt=options.fmt,
        key=job_key(settings, export),
        llm_stage=options.llm_stage.engine if options.llm_stage else "",
    )


def _ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401 - the data library is an extra of its own
    except ImportError:
        raise M2MError(
            "batch runs on Ray, which is not installed (run: pip install 'm2m-reader[batch]')"
        ) from None
    return ray


def _start(ray: Any, options: BatchOptions, say: Say) -> bool:
    """Join the cluster at `options.address`, or start a local Ray; True when this
    call started it (and so shuts it down)."""
    if ray.is_initialized():
        return False
    level = logging.INFO if options.verbose else logging.WARNING
    if options.address:
        _reachable(options.address)
    try:
        if options.address:
            say(f"joining the Ray cluster at {options.address}")
            ray.init(address=options.address, logging_level=level, log_to_driver=options.verbose)
        else:
            cpus = options.num_cpus or os.cpu_count() or 1
            say(f"starting a local Ray ({cpus} CPUs)")
            ray.init(num_cpus=cpus, include_dashboard=False, logging_level=level,
                     object_store_memory=OBJECT_STORE_MB * 1024 * 1024,
                     log_to_driver=options.verbose)  # fmt: skip
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {options.address}" if options.address else "a local Ray"
        raise M2MError(f"cannot start or reach {where}: {exc}") from None
    return True


def _reachable(address: str) -> None:
    """Fail at once on a HOST:PORT no cluster answers at (Ray itself waits minutes)."""
    host, _, port = address.rpartition(":")
    if address == "auto" or "://" in address or not port.isdigit():
        return
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except OSError as exc:
        raise M2MError(
            f"cannot reach the Ray cluster at {address}: {exc.strerror or exc} "
            "(is `ray start --head` running there?)"
        ) from None


def _run(todo: list[BookJob], ctx: Context, options: BatchOptions, manifest: Manifest,
         report: BatchReport, say: Say) -> None:  # fmt: skip
    ray = _ray()
    started = _start(ray, options, say)
    try:
        data = ray.data.DataContext.get_current()
        data.enable_progress_bars = options.verbose
        if not options.verbose:
            logging.getLogger("ray.data").setLevel(logging.WARNING)
        ds = build_dataset(ray, todo, ctx, options)
        done = 0
        for row in ds.iter_rows():
            record = json.loads(row["record"])
            manifest.add(record)
            report.records.append(record)
            done += 1
            say(_line(done, len(todo), record))
    except ray.exceptions.RayError as exc:
        raise M2MError(f"the batch run stopped: {str(exc).splitlines()[0]}") from None
    finally:
        if started:
            ray.shutdown()


def actor_cpu_share(settings: Settings, cpus: int, on_gpu: bool, held: float = 0.0) -> float:
    """The CPUs each actor of a pool holds when it runs on the CPU.

    Actor pools hold their resources for the whole run. Without a GPU, the model actors
    (Magi or manga-ocr, CLIP) and the music actors share what leaves one CPU free for
    the tasks between them (splitting, analysis, writing): at a whole CPU each, two
    models and the composer would hold all of a 2-CPU machine and the run would never
    finish. An actor still computes with whatever the machine gives it. `held`: CPUs
    that other actors (the LLM stage's) hold for the run.
    """
    model_pools = (settings.transcript in MODEL_TRANSCRIPTS) + (settings.emotions == "clip")
    musicgen_on_gpu = settings.music == "musicgen" and on_gpu
    cpu_pools = (0 if on_gpu else model_pools) + (0 if musicgen_on_gpu else 1)
    if not cpu_pools:
        return 1.0
    return min(1.0, max(0.1, (cpus - 1 - held) / cpu_pools))


def build_dataset(ray: Any, todo: list[BookJob], ctx: Context, options: BatchOptions) -> Any:
    """The run's Ray Data pipeline over `todo` (see the module docstring)."""
    from .output import Compose, write_book
    from .regroup import Regroup
    from .stages import (
        ReadEmotions,
        ReadPages,
        analyse_book,
        read_emotions,
        read_pages,
        split_pages,
    )

    settings = Settings(**ctx.settings)
    gpus = float(ray.cluster_resources().get("GPU", 0))
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    on_gpu = gpus > 0 and settings.device != "cpu"
    musicgen = settings.music == "musicgen"
    actor_cpus = actor_cpu_share(settings, cpus, on_gpu, held_cpus(options.llm_stage))
    held = {"num_gpus": options.gpu_share} if on_gpu else {"num_cpus": actor_cpus}
    pool = ray.data.ActorPoolStrategy
    books = [{"book_id": i, "path": j.path, "name": j.name} for i, j in enumerate(todo)]
    ds = ray.data.from_items(books, override_num_blocks=max(1, min(len(books), 1000)))
    ds = ds.flat_map(split_pages, fn_kwargs={"ctx": ctx}, num_cpus=0.5)
    per_task = {"batch_size": PAGES_PER_TASK}
    if settings.transcript in MODEL_TRANSCRIPTS:  # a model held by each actor
        ds = ds.map_batches(ReadPages, fn_constructor_kwargs={"ctx": ctx},
                            compute=pool(min_size=1, max_size=cpus), **held, **per_task)  # fmt: skip
    else:
        ds = ds.map_batches(read_pages, fn_kwargs={"ctx": ctx}, num_cpus=1, **per_task)
    if settings.emotions == "clip":
        ds = ds.map_batches(ReadEmotions, fn_constructor_kwargs={"ctx": ctx},
                            compute=pool(min_size=1, max_size=cpus), **held, **per_task)  # fmt: skip
    else:
        ds = ds.map_batches(read_emotions, fn_kwargs={"ctx": ctx}, num_cpus=1, **per_task)
    by_page = {"count": "n", "index": "page", "total": "pages", "summed": ("read_s", "emotions_s")}
    ds = ds.flat_map(Regroup, fn_constructor_kwargs=by_page, compute=pool(size=1), num_cpus=0)
    if options.llm_stage is not None:  # scenes, directives, captions: stages of their own
        from .llm_stage import add_llm_stages

        ds = add_llm_stages(ds, ctx, options.llm_stage)
    ds = ds.flat_map(analyse_book, fn_kwargs={"ctx": ctx}, num_cpus=1)
    most = options.music_actors or (max(1, int(gpus)) if musicgen and on_gpu else cpus)
    where = {"num_gpus": 1} if musicgen and on_gpu else {"num_cpus": actor_cpus}
    scenes = options.scenes_per_batch
    if musicgen:  # page k of every scene of a batch in one call: as many scenes as pages a call
        scenes = max(scenes, options.music_batch)
    ds = ds.map_batches(Compose, fn_constructor_kwargs={"ctx": ctx, "music_batch": options.music_batch},
                        batch_size=scenes,
                        compute=pool(min_size=1, max_size=most), **where)  # fmt: skip
    by_scene = {"count": "n_scenes", "index": "scene", "total": "scenes",
                "summed": ("music_s", "cues", "composed")}  # fmt: skip
    ds = ds.flat_map(Regroup, fn_constructor_kwargs=by_scene, compute=pool(size=1), num_cpus=0)
    return ds.map(write_book, fn_kwargs={"ctx": ctx}, num_cpus=1)


def _line(done: int, total: int, r: dict[str, Any]) -> str:
    width = len(str(total))
    head = f"[{done:>{width}}/{total}] {r['book']}"
    if r.get("status") != "ok":
        return f"{head}: FAILED: {r.get('error')}"
    spent = sum(r.get("timings", {}).values())
    return (f"{head}: {_n(r['pages'], 'page')}, {_n(r['scenes'], 'scene')}, {_n(r['cues'], 'cue')} "
            f"({r['composed']} composed), {spent:.1f} s of work")  # fmt: skip


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


__all__ = ["BatchOptions", "BatchReport", "build_dataset", "run_batch"]
