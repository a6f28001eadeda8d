"""The work of a batch run's stages, as Ray Data calls it: rows in, rows out.

Each stage calls the engine's own code and keeps its results in the shared cache
under the engine's own keys, so what one stage made the next finds:

- `split_pages`: a book → one row per page (the book opened, nothing decoded);
- `ReadPages`: each page decoded, its statistics and transcript (page reading, OCR,
  or the transcript model) made through the `Analyzer`;
- `ReadEmotions`: each page's emotions (the built-in reader, or CLIP);
- `Regroup` (`regroup.py`): the rows of one book gathered again once all have come;
- `analyse_book`: the book stages (scenes, directives, captions: the LLM's when one is
  chosen) from the cached page records, and the one cue recipe per page (`cue_recipe`),
  one row per scene.

The music and the writer are in `output.py`. A row that fails carries its error on;
the stages after it pass it along untouched, and the writer reports the book failed.
Every row is a flat dict of strings and numbers (lists travel as JSON text).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..analysis.edits import EditStore
from ..analysis.pipeline import Analyzer
from ..analysis.stages import EmotionBackend, TextBackend
from ..books import default_direction, open_book
from ..books.model import Book
from ..core.cache import DiskCache
from ..core.errors import M2MError
from ..core.settings import Settings
from ..cue_recipe import book_recipes

Row = dict[str, Any]
Batch = dict[str, Any]  # column name → sequence of values (Ray Data's numpy format)


@dataclass(frozen=True)
class Context:
    """What every stage is built from: sent to each worker with the stage."""

    settings: dict[str, Any]  # public settings (no API key: workers read their own)
    cache_dir: str
    out: str
    mode: str = "scene"
    seconds: str | float = "auto"
    lufs: float = -16.0
    true_peak: float = -1.0
    fmt: str = "flac"
    cache_limit_mb: float = 0.0  # 0: no eviction while a run needs every cue
    key: str = ""  # the job key of every book of the run (`manifest.job_key`)
    llm_stage: str = ""  # "http" or "vllm": the LLM steps are stages of their own

    def make_settings(self) -> Settings:
        s = Settings(**self.settings)
        if not s.api_key():  # a local worker: the key the person saved, if any
            from ..core import settings as settings_mod

            try:
                s.llm_api_key = settings_mod.load().llm_api_key
            except M2MError:
                pass
        return s

    def store(self) -> DiskCache:
        return DiskCache(Path(self.cache_dir), limit_mb=self.cache_limit_mb)


def refuse_fallback(stage: str, backend: str, fallback: str, message: str) -> None:
    """A worker whose backend cannot start fails the book: a quiet fallback would give
    its pages other records (and cues) than the rest of the run."""
    raise M2MError(f"{stage}: the {backend} backend cannot start on this worker: {message}")


_made: dict[tuple[str, str], Any] = {}  # per worker process: backends built once


def backend(kind: str, ctx: Context) -> Any:
    """The `kind` backend ("text", "emotions", "music", or "answered": the text backend
    that takes its records from the cache the LLM stage filled and sends no request)
    of `ctx`, built once per worker process (a task worker runs many tasks: the
    SoundFont is parsed once). With vLLM there is no endpoint: "text" is "answered"."""
    from ..backends.choice import make_emotions, make_music, make_text

    if kind == "text" and ctx.llm_stage == "vllm":
        kind = "answered"
    sig = (kind, json.dumps(ctx.settings, sort_keys=True, default=str))
    if sig not in _made:
        make = {"text": make_text, "emotions": make_emotions, "music": make_music,
                "answered": _answered}[kind]  # fmt: skip
        _made[sig] = make(ctx.make_settings(), refuse_fallback)
    return _made[sig]


def _answered(settings: Settings, on_fallback: Any) -> Any:
    from ..backends.choice import make_transcript
    from .llm_steps import answered_text

    text = answered_text(settings)
    source = make_transcript(settings, on_fallback, text)
    if source is not None:  # as `make_text` hangs it
        setattr(text, "transcript_source", source)  # noqa: B010
    return text


def rows_of(batch: Batch) -> list[Row]:
    cols = list(batch)
    n = len(batch[cols[0]]) if cols else 0
    return [{c: _plain(batch[c][i]) for c in cols} for i in range(n)]


def batch_of(rows: list[Row]) -> Batch:
    cols = list(dict.fromkeys(c for r in rows for c in r))
    return {c: [r.get(c) for r in rows] for c in cols}


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def failure(exc: BaseException) -> str:
    """One sentence for an error a book failed with."""
    if isinstance(exc, M2MError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"


def analyzer(book: Book, ctx: Context, text: TextBackend | None = None,
             emotions: EmotionBackend | None = None) -> Analyzer:  # fmt: skip
    """The engine's `Analyzer` over the shared cache, with a person's edits (as export)."""
    return Analyzer(
        book,
        text=text if text is not None else backend("text", ctx),
        emotions=emotions if emotions is not None else backend("emotions", ctx),
        store=ctx.store(),
        edits=EditStore(book.fingerprint),
    )


@contextlib.contextmanager
def analysing(
    path: str, ctx: Context, text: TextBackend | None = None
) -> Iterator[tuple[Book, Analyzer]]:
    """The book at `path`, open, with its `Analyzer`; both let go of at the end (its
    page readings, Tesseract's engines included, go with the analyzer). After an LLM
    stage the text backend sends no request: every LLM record is in the cache (a
    record the stage could not make is the built-in one, as with a live endpoint)."""
    if text is None and ctx.llm_stage:
        text = backend("answered", ctx)
    with open_book(path, direction=default_direction(ctx.make_settings())) as book:
        yield book, analyzer(book, ctx, text)


def split_pages(row: Row, ctx: Context) -> list[Row]:
    """A book's row → one row per page (`n`: how many), or one row with its error."""
    base = {k: row[k] for k in ("book_id", "path", "name")}
    try:
        with open_book(row["path"], direction=default_direction(ctx.make_settings())) as book:
            n = len(book.pages)
            if not n:
                raise M2MError(f"{row['path']} has no pages")
    except Exception as exc:  # noqa: BLE001 - reported in the manifest, the run goes on
        return [{**base, "page": -1, "n": 1, "error": failure(exc)}]
    return [{**base, "page": i, "n": n, "error": ""} for i in range(n)]


class _PageStage:
    """A stage over page rows, book by book, timing each page into `column`."""

    column = ""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def __call__(self, batch: Batch) -> Batch:
        rows = rows_of(batch)
        for path in dict.fromkeys(r["path"] for r in rows if not r["error"]):
            todo = [r for r in rows if r["path"] == path and not r["error"]]
            try:
                # The page stages come before the LLM stage: the live text backend
                # (the vision LLM's transcripts, when it reads pages).
                with analysing(path, self.ctx, backend("text", self.ctx)) as (_, a):
                    for r in todo:
                        t0 = time.perf_counter()
                        try:
                            self.page(a, int(r["page"]))
                        except Exception as exc:  # noqa: BLE001 - this page fails its book
                            r["error"] = f"page {int(r['page']) + 1}: {failure(exc)}"
                        r[self.column] = time.perf_counter() - t0
            except Exception as exc:  # noqa: BLE001 - the book could not be opened again
                for r in todo:
                    r["error"] = failure(exc)
        for r in rows:
            r.setdefault(self.column, 0.0)
        return batch_of(rows)

    def page(self, a: Analyzer, page: int) -> None:
        raise NotImplementedError


class ReadPages(_PageStage):
    """Decode each page and read it: statistics and transcript (OCR on pages without
    annotations, or the transcript model the settings name, held by this worker)."""

    column = "read_s"

    def page(self, a: Analyzer, page: int) -> None:
        a.stats(page)
        a.transcript(page)


class ReadEmotions(_PageStage):
    """Each page's emotions, by the emotion backend the settings name (held here)."""

    column = "emotions_s"

    def page(self, a: Analyzer, page: int) -> None:
        a.page_emotions(page)


def read_pages(batch: Batch, ctx: Context) -> Batch:
    """`ReadPages` as a plain task (the built-in reader needs no model held)."""
    return ReadPages(ctx)(batch)


def read_emotions(batch: Batch, ctx: Context) -> Batch:
    """`ReadEmotions` as a plain task (the built-in emotion reader)."""
    return ReadEmotions(ctx)(batch)


def analyse_book(row: Row, ctx: Context) -> list[Row]:
    """The book stages over the cached page records, then one row per scene with its
    pages' cue recipes (JSON)."""
    base = {k: row[k] for k in ("book_id", "path", "name", "pages", "read_s", "emotions_s")}
    base["llm_fallbacks"] = int(row.get("llm_fallbacks") or 0)  # the LLM stage's, if it ran
    if row["error"]:
        return [{**base, "n_scenes": 1, "scene": -1, "recipes": "[]", "error": row["error"],
                 "analysis_s": 0.0}]  # fmt: skip
    t0 = time.perf_counter()
    try:
        with analysing(row["path"], ctx) as (book, a):
            recipes = book_recipes(book, a.run(ctx.mode), ctx.seconds)
    except Exception as exc:  # noqa: BLE001 - reported in the manifest, the run goes on
        return [{**base, "n_scenes": 1, "scene": -1, "recipes": "[]", "error": failure(exc),
                 "analysis_s": time.perf_counter() - t0}]  # fmt: skip
    spent = time.perf_counter() - t0
    scenes: dict[int, list[dict[str, Any]]] = {}
    for r in recipes:
        scenes.setdefault(r.scene, []).append(asdict(r))
    return [
        {**base, "n_scenes": len(scenes), "scene": s, "recipes": json.dumps(rs), "error": "",
         "analysis_s": spent}
        for s, rs in scenes.items()
    ]  # fmt: skip


__all__ = [
    "Context", "ReadEmotions", "ReadPages", "analyse_book", "backend",
    "batch_of", "read_emotions", "read_pages", "rows_of", "split_pages",
]  # fmt: skip
