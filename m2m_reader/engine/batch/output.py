"""The music and the writing of a batch run.

- `Compose` (an actor: it holds its music backend, MusicGen's model on its GPU): each
  scene's cues, page by page in order, each asked for by the one cue recipe. A cue in
  the cache (made by an earlier run, a killed one, or the reader's "prepare for
  offline") is taken from it; one that is not is made, kept in the cache and noted in
  the run's journal. Pages continue their scene's music from the cue before, so a
  scene is one unit of work, and scenes go to the actors in batches. MusicGen makes
  page k of every scene of a batch in one `make_cues` call (`Compose.wavefront`).
- `write_book` (a task): the book's soundtrack through `export_soundtrack`, the same
  mixer, loudness pass and writer as `m2m-reader export`, which finds every cue in
  the cache; and the book's manifest record.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..backends.composer import music_settings_key
from ..books.readable import require_readable_page, unreadable_records
from ..core.cancel import NEVER, CancelToken
from ..core.errors import M2MError
from ..cue_recipe import CueRecipe, load_cue, save_cue
from ..export import export_soundtrack
from ..music.base import Cue, CueRequest
from .manifest import note_composed, outputs
from .stages import Batch, Context, Row, analysing, backend, batch_of, failure, rows_of

MUSIC_BATCH = 8  # the most pages in one `make_cues` call (`--music-batch`)


class Compose:
    """Makes the cues of the scenes it is given (see the module docstring).

    A backend with `make_cues` (MusicGen) gets the scenes as a wavefront: step k makes
    page k of every scene that has one, up to `music_batch` pages a call, each page
    continuing its own scene's cue of step k - 1. Others go scene by scene.
    """

    def __init__(self, ctx: Context, music_batch: int = MUSIC_BATCH) -> None:
        self.ctx = ctx
        self.backend = backend("music", ctx)
        self.store = ctx.store()
        self.out = Path(ctx.out)
        self.music_batch = max(1, music_batch)

    def __call__(self, batch: Batch) -> Batch:
        rows = rows_of(batch)
        for row in rows:
            row["cues"], row["composed"], row["music_s"] = 0, 0, 0.0
            row["music"], row["music_key"] = self.backend.name, music_settings_key(self.backend)
            row["sample_rate"] = int(getattr(self.backend, "sample_rate", 0) or 44100)
        if hasattr(self.backend, "make_cues") and self.music_batch > 1:
            self.wavefront([r for r in rows if not r["error"]])
        else:
            for row in rows:
                t0 = time.perf_counter()
                if not row["error"]:
                    try:
                        self.scene(row)
                    except Exception as exc:  # noqa: BLE001 - this scene fails its book
                        row["error"] = failure(exc)
                row["music_s"] = time.perf_counter() - t0
        for row in rows:
            row.pop("recipes", None)  # done with: the writer asks the recipe again
        return batch_of(rows)

    def scene(self, row: Row) -> None:
        previous: Cue | None = None
        for fields in json.loads(row["recipes"]):
            recipe = CueRecipe(**fields)
            k = recipe.key(self.backend)
            cue = load_cue(self.store, recipe, k)
            if cue is None:
                cue = self.backend.make_cue(recipe.request(previous, self.backend), NEVER)
                self.made(row, recipe, k, cue)
            row["cues"] += 1
            previous = cue

    def made(self, row: Row, recipe: CueRecipe, k: str, cue: Cue) -> None:
        save_cue(self.store, k, cue)
        note_composed(self.out, str(row["name"]), recipe.page, k)
        row["composed"] += 1

    def wavefront(self, rows: list[Row]) -> None:
        """Page k of every scene, step by step; a call's time is shared by its pages."""
        scenes: dict[int, list[CueRecipe]] = {}
        previous: dict[int, Cue | None] = {}
        for i, row in enumerate(rows):
            try:
                scenes[i] = [CueRecipe(**f) for f in json.loads(row["recipes"])]
                previous[i] = None
            except Exception as exc:  # noqa: BLE001 - this scene fails its book
                row["error"] = failure(exc)
        step = 0
        while any(step < len(r) for r in scenes.values()):
            todo: dict[str, list[int]] = {}  # cue key -> the scenes waiting for it
            asked: dict[str, tuple[CueRecipe, CueRequest]] = {}
            for i, recipes in scenes.items():
                if step >= len(recipes) or rows[i]["error"]:
                    continue
                t0 = time.perf_counter()
                recipe = recipes[step]
                k = recipe.key(self.backend)
                cue = load_cue(self.store, recipe, k)
                rows[i]["music_s"] += time.perf_counter() - t0
                if cue is not None:
                    rows[i]["cues"] += 1
                    previous[i] = cue
                    continue
                if k not in asked:  # the same page twice (two copies of a book): made once
                    asked[k] = (recipe, recipe.request(previous[i], self.backend))
                todo.setdefault(k, []).append(i)
            keys = list(asked)
            for at in range(0, len(keys), self.music_batch):
                chunk = keys[at : at + self.music_batch]
                t0 = time.perf_counter()
                cues = self.make_many([asked[k][1] for k in chunk])
                share = (time.perf_counter() - t0) / sum(len(todo[k]) for k in chunk)
                for k, result in zip(chunk, cues, strict=True):
                    first = True
                    for i in todo[k]:
                        rows[i]["music_s"] += share
                        if isinstance(result, Exception):
                            rows[i]["error"] = failure(result)
                            continue
                        if first:
                            self.made(rows[i], asked[k][0], k, result)
                            first = False
                        rows[i]["cues"] += 1
                        previous[i] = result
            step += 1

    def make_many(self, requests: list[CueRequest]) -> list[Cue | Exception]:
        """The cues of `requests` in one call; if it fails, one by one, so only the
        scene whose page cannot be made fails."""
        try:
            return list(self.backend.make_cues(requests, NEVER))
        except Exception as exc:  # noqa: BLE001 - each request again, alone
            if len(requests) == 1:
                return [exc]
        made: list[Cue | Exception] = []
        for r in requests:
            try:
                made.append(self.backend.make_cue(r, NEVER))
            except Exception as exc:  # noqa: BLE001 - this scene fails its book
                made.append(exc)
        return made


def write_book(row: Row, ctx: Context) -> Row:
    """Write one book's soundtrack (or report its failure): its manifest record, as
    JSON in the `record` column."""
    from .inputs import BookJob

    job = BookJob(str(row["path"]), str(row["name"]))
    paths = outputs(Path(ctx.out), job, ctx.fmt)
    t0 = time.perf_counter()
    result: dict[str, Any] = {}
    error = str(row.get("error") or "")
    if not error:
        try:
            result = _write(job, row, paths["audio"], ctx)
        except Exception as exc:  # noqa: BLE001 - reported in the manifest, the run goes on
            error = failure(exc)
    try:
        source: list[int] | None = list(job.source())
    except OSError:
        source = None
    record = {
        "book": job.name,
        "path": job.path,
        "status": "failed" if error else "ok",
        "error": error or None,
        "key": ctx.key,
        "source": source,
        "pages": int(row.get("pages") or 0),
        "scenes": int(row.get("scenes") or 0),
        "cues": int(row.get("cues") or 0),
        "composed": int(row.get("composed") or 0),
        "llm_fallbacks": int(row.get("llm_fallbacks") or 0),  # --llm-stage answers refused
        "outputs": {k: str(p.relative_to(ctx.out)) for k, p in paths.items()} if not error else {},
        "timings": {
            "read_s": round(float(row.get("read_s") or 0), 3),
            "emotions_s": round(float(row.get("emotions_s") or 0), 3),
            "analysis_s": round(float(row.get("analysis_s") or 0), 3),
            "music_s": round(float(row.get("music_s") or 0), 3),
            "write_s": round(time.perf_counter() - t0, 3),
        },
        **result,
    }
    return {"book_id": row["book_id"], "record": json.dumps(record, ensure_ascii=False)}


class KnownMusic:
    """The music backend as the writer needs it when the music stage made every cue:
    its name, settings key and rate (the music stage's own), the real backend started
    only if a cue is missing from the cache after all. A writer holds no SoundFont
    and no model."""

    def __init__(self, row: Row, ctx: Context) -> None:
        self.name = str(row["music"])
        self.sample_rate = int(row["sample_rate"])
        self._key = str(row["music_key"])
        self._ctx = ctx

    def settings_key(self) -> str:
        return self._key

    def make_cue(self, request: CueRequest, cancel: CancelToken) -> Cue:
        real = backend("music", self._ctx)
        if music_settings_key(real) != self._key:
            raise M2MError("the music backend on this worker differs from the music stage's")
        return real.make_cue(request, cancel)


def _write(job: Any, row: Row, audio: Path, ctx: Context) -> dict[str, Any]:
    # The music library names each page's track in the chapters: it is needed itself.
    music = (
        KnownMusic(row, ctx) if row.get("music") not in (None, "library") else backend("music", ctx)
    )
    audio.parent.mkdir(parents=True, exist_ok=True)
    with analysing(job.path, ctx) as (book, a):
        require_readable_page(book)
        analysis = a.run(ctx.mode)
        damaged = [i for i in range(len(book)) if a.stats(i).damaged]
        unreadable = unreadable_records(book, book.unreadable(check=damaged))
        rate = int(getattr(music, "sample_rate", 0) or 44100)
        done = export_soundtrack(
            book, analysis, music, audio, seconds_per_page=ctx.seconds,
            target_lufs=ctx.lufs, true_peak_db=ctx.true_peak, sample_rate=rate,
            unreadable=unreadable, store=ctx.store(),
        )  # fmt: skip
    return {
        "fingerprint": book.fingerprint,
        "backends": {
            "text": a.text.name,
            "emotions": a.emotions.name,
            "music": music.name,
            "transcript": getattr(a.transcripts, "name", a.text.name),
        },  # fmt: skip
        "duration_s": round(done.duration_s, 3),
        "integrated_lufs": round(done.integrated_lufs, 2),
        "true_peak_dbtp": round(done.true_peak_dbtp, 2),
        "composed_by_writer": done.composed,  # 0 when the music stage made every cue
        "unreadable_pages": len(unreadable),
        "warnings": sorted(set(w.partition(": ")[2] for w in done.warnings))[:5],
    }


__all__ = ["Compose", "write_book"]
