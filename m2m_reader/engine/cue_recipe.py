"""One cue recipe: how a page becomes a cue request, and the key its cue is kept under.

Live playback, prepare-for-offline, export and its stems all ask for a page's music
through this module, so a book the reader prepared exports without composing again
and the export is what the reader heard. A page's cue is asked for with:

- **seconds**: the page's reading time at the default speed (`reading_time`; export's
  `--seconds-per-page N` puts N in its place), rounded up to one of `CUE_BUCKETS`. The
  speed the reader's turns teach the engine moves its look-ahead only, never a cue: a
  reader who lingers hears the cue loop on its bar lines, one who turns early hears the
  crossfade sooner, and the cue stays the one export finds in the store.
- **seed**: one per scene, from the book's fingerprint and the scene's first page, so
  what a backend draws from it (the composer's key and harmony when the caption names
  none) holds across the scene; the page number varies the rest.
- **joins and the previous cue**: `change` on a scene's first page, else `continue`
  with the previous page's cue passed along when its backend made it (MusicGen goes on
  from its own audio, never from a composer's stand-in). The key leaves the previous
  audio out: it is the same request whichever way the pages were reached.
- **shock**: a sudden shock on the page (a surprise spike, a large sound effect:
  `music.shock.page_shock` over the page's analysis record) asks for a stinger.
- **key**: the hash of all of that (the page and its scene's first page too: the
  composer's melody follows the page) with the backend's name and audio settings.

The cue itself is kept in the store as audio with its loop points, plan, joins,
backend and warnings (`load_cue`, `save_cue`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np

from .analysis.records import Analysis, PageResult
from .backends.composer import music_settings_key
from .books.model import Book
from .core.store import Store, key
from .music.base import Clip, Cue, CueRequest, Join, MusicBackend, MusicPlan
from .music.shock import page_shock
from .reading_time import page_seconds

# Cue lengths in seconds. A reader who lingers longer hears the cue loop on its bar
# lines; longer cues would only delay the first music.
CUE_BUCKETS = (6, 8, 12, 16)
CUE_VERSION = 2  # 2: one recipe for live and export (the scene seed, bucketed seconds)


def bucket(seconds: float) -> float:
    """`seconds` rounded up to the next cue length (the longest for longer pages)."""
    return float(next((b for b in CUE_BUCKETS if b >= seconds), CUE_BUCKETS[-1]))


def scene_seed(fingerprint: str, first_page: int) -> int:
    """The seed of a scene's cues: from the book and the scene's first page."""
    digest = hashlib.sha256(f"{fingerprint}:{first_page}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class CueRecipe:
    """What one page's cue is made from (see the module docstring)."""

    page: int
    scene: int
    first: int  # the scene's first page
    caption: str
    directive: str
    seconds: float  # the cue's length (a bucket)
    seed: int
    shock: bool = False  # the page asks for a stinger (music.shock.page_shock)

    @classmethod
    def for_page(
        cls,
        book: Book,
        page: int,
        scene: int,
        first: int,
        caption: str,
        directive: str,
        setting: str | float = "auto",
    ) -> CueRecipe:
        """The recipe of `book`'s page `page` in scene `scene`, which starts on page
        `first`; `setting` is the seconds per page ("auto": the reading time)."""
        return cls(
            page=page,
            scene=scene,
            first=first,
            caption=caption,
            directive=directive,
            seconds=bucket(page_seconds(book.pages[page], setting)),
            seed=scene_seed(book.fingerprint, first),
        )

    @property
    def joins(self) -> Join:
        return "continue" if self.page > self.first else "change"

    def key(self, backend: MusicBackend) -> str:
        """The store key of this page's cue made by `backend`."""
        return key("cue", CUE_VERSION, backend.name, music_settings_key(backend), self.page,
                   self.scene, self.first, self.caption, self.directive, self.seconds,
                   self.seed, *(["shock"] if self.shock else []))  # fmt: skip

    def request(
        self, previous: Cue | None = None, backend: MusicBackend | None = None
    ) -> CueRequest:
        """The request to `backend`; `previous` (the cue of the page before) is passed
        along only when this page continues its scene and `backend` made it."""
        if previous is not None and not (
            self.joins == "continue"
            and previous.page == self.page - 1
            and previous.scene == self.scene
            and (backend is None or previous.backend == backend.name)
        ):
            previous = None
        return CueRequest(
            page=self.page, scene=self.scene, caption=self.caption, directive=self.directive,
            seconds=self.seconds, joins=self.joins, seed=self.seed, previous=previous,
            scene_page=self.page - self.first, shock=self.shock,
        )  # fmt: skip


def page_recipe(
    book: Book,
    scene: int,
    first: int,
    result: PageResult,
    directive: str,
    setting: str | float = "auto",
) -> CueRecipe:
    """The recipe of the page `result` analyses, in scene `scene` (which starts on page
    `first`, with `directive`): its caption, and its shock from its emotions and lines."""
    recipe = CueRecipe.for_page(book, result.index, scene, first, result.caption, directive,
                                setting)  # fmt: skip
    return replace(recipe, shock=page_shock(result.emotions, result.lines))


def book_recipes(book: Book, analysis: Analysis, setting: str | float = "auto") -> list[CueRecipe]:
    """Every page's recipe from a whole book's analysis (export, stems, benchmarks)."""
    out = []
    for i in range(len(book.pages)):
        scene = analysis.scene_of(i)
        out.append(page_recipe(book, scene.index, scene.first_page, analysis.page(i),
                               scene.directive, setting))  # fmt: skip
    return out


def load_cue(store: Store, recipe: CueRecipe, k: str) -> Cue | None:
    """The cue kept under `k`, or None (not there, or its record is damaged)."""
    hit = store.get_audio(k)
    if hit is None:
        return None
    audio, rate, meta = hit
    try:
        clip = Clip(audio=audio, sample_rate=rate, loop_start=int(meta["loop_start"]),
                    loop_end=int(meta["loop_end"]), bar_samples=int(meta.get("bar_samples", 0)))  # fmt: skip
        return Cue(page=recipe.page, scene=recipe.scene, clip=clip,
                   plan=MusicPlan.from_dict(meta.get("plan", {})),
                   joins=meta.get("joins", recipe.joins), backend=str(meta.get("backend", "")),
                   warnings=list(meta.get("warnings", [])))  # fmt: skip
    except (KeyError, TypeError, ValueError):
        return None


def save_cue(store: Store, k: str, cue: Cue) -> None:
    """Keep `cue` under `k`."""
    c = cue.clip
    meta = {"loop_start": c.loop_start, "loop_end": c.loop_end, "bar_samples": c.bar_samples,
            "plan": cue.plan.to_dict(), "joins": cue.joins, "backend": cue.backend,
            "warnings": list(cue.warnings)}  # fmt: skip
    store.put_audio(k, np.asarray(c.audio), c.sample_rate, meta)


__all__ = [
    "CUE_BUCKETS", "CUE_VERSION", "CueRecipe", "book_recipes", "bucket", "load_cue", "page_recipe",
    "save_cue", "scene_seed",
]  # fmt: skip
