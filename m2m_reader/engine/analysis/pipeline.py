"""The analysis pipeline: M2M-Gen's stages over a book, cached, editable, with fallback.

    transcript (page) -> page emotions (page) -> scene boundaries (book)
        -> scene emotions -> directive (scene) -> caption (page)

`Analyzer` computes any single record on demand (the engine asks for the page under
the cursor first); `analyze()` runs the whole book. Every record is cached under a
content key of (stage, stage version, backend, backend settings, inputs); a person's
edit replaces the computed record and, being an input of what follows, makes only the
dependent records recompute. When a model-backed stage fails, the built-in backend
makes that record, which is marked with the backend that really made it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from ..books.model import Book
from ..core.cancel import NEVER, CancelToken
from ..core.errors import RecordError
from ..core.store import MemoryStore, Store
from .builtin import BuiltinEmotions, BuiltinText, seed_for
from .edits import EditStore
from .emotions import Profile, mix, neutral_profile, normalise
from .page_reading import PageReadings, scene_visual
from .page_stats import PageStats, page_stats
from .record_cache import (
    STAGE_VERSIONS,
    Fallback,
    RecordCache,
    emotions_to_dict,
    scene_inputs,
)
from .records import (
    MODES,
    Analysis,
    Line,
    PageEmotions,
    PageInput,
    PageResult,
    PageTranscript,
    SceneInput,
    ScenesResult,
)
from .stages import EmotionBackend, TextBackend
from .transcript_source import ReaderTranscript, transcript_source
from .whole_book import Progress, run_book

log = logging.getLogger(__name__)

SECTION_PAGES = 8  # manga2music scores a folder of pages; we score groups of this size
__all__ = ["STAGE_VERSIONS", "Analyzer", "Fallback", "Progress", "analyze"]


class Analyzer:
    """Computes and caches the analysis records of one book.

    Args:
        book: the open book.
        text: the text-stage backend (built-in by default).
        emotions: the emotion backend (built-in by default).
        store: where records are cached (in memory by default).
        edits: a person's edits (none by default).
        on_fallback: told when a backend failed and the built-in made a record.
    """

    def __init__(
        self,
        book: Book,
        *,
        text: TextBackend | None = None,
        emotions: EmotionBackend | None = None,
        store: Store | None = None,
        edits: EditStore | None = None,
        on_fallback: Fallback | None = None,
        section_pages: int = SECTION_PAGES,
    ) -> None:
        self.book = book
        self.builtin_text = BuiltinText()
        self.builtin_emotions = BuiltinEmotions()
        # A plain built-in text backend from outside (the engine's, export's) is this
        # one: the same records under the same keys, from the page stats and emotions.
        plain = text is None or type(text) is BuiltinText
        self.text: TextBackend = text if text is not None and not plain else self.builtin_text
        self.emotions: EmotionBackend = emotions or self.builtin_emotions
        self.store: Store = store if store is not None else MemoryStore()
        # The transcripts of unannotated pages: the text backend's, or the source the
        # `transcript` setting chose (before the built-in readings: those stay the book's).
        self.transcripts: Any = transcript_source(
            text, book, self.store, self.builtin_text, self.text
        )
        self.readings = PageReadings(book, self.store)  # pages without annotations
        self.builtin_text.read_page = self.readings.get
        self.edits = edits or EditStore.in_memory()
        self.on_fallback = on_fallback
        self.section_pages = max(1, section_pages)
        self._records = RecordCache(self.store, book.fingerprint, lambda: self.on_fallback)
        self.computed = self._records.computed  # records computed (cache misses) per stage
        self._lock = threading.Lock()
        self._memo: dict[tuple[str, Any], Any] = {}
        self._epoch = 0  # moves on when memos are dropped: work begun before stores none

    # -- caching and fallback -------------------------------------------------------

    def record(
        self,
        stage: str,
        backend: Any,
        fallback: Any,
        inputs: Any,
        compute: Callable[[Any], Any],
    ) -> tuple[Any, str]:
        """Cached `compute(backend)`; on a backend error, `compute(fallback)` (see
        `RecordCache`). Returns the record's data and the backend that made it."""
        return self._records.record(stage, backend, fallback, inputs, compute)

    def _memoised(self, name: str, arg: Any, make: Callable[[], Any]) -> Any:
        with self._lock:
            if (name, arg) in self._memo:
                return self._memo[(name, arg)]
            epoch = self._epoch
        value = make()
        with self._lock:
            if self._epoch == epoch:  # not made from what was forgotten meanwhile
                self._memo[(name, arg)] = value
        return value

    def forget(self) -> None:
        """Drop in-memory results (after an edit); the store keeps what stays valid."""
        with self._lock:
            self._memo.clear()
            self._epoch += 1

    def use_backends(
        self, text: TextBackend | None = None, emotions: EmotionBackend | None = None
    ) -> None:
        """Use other backends from now on, dropping the in-memory results made from the
        ones replaced: a text backend makes the scenes and the transcripts of pages the
        book has no annotations for (and so their emotions); an emotion backend makes
        the page emotions (and so the scenes). Directives and captions are not held in
        memory: their records are keyed by backend in the store."""
        with self._lock:
            if text is not None:
                self.text = self.builtin_text if type(text) is BuiltinText else text
                self.transcripts = transcript_source(
                    text, self.book, self.store, self.builtin_text, self.text
                )
                if isinstance(self.transcripts, ReaderTranscript):  # the book's own again
                    self.readings = PageReadings(self.book, self.store)
                    self.builtin_text.read_page = self.readings.get
            if emotions is not None:
                self.emotions = emotions
            by_text = {p for p in range(len(self.book)) if not self._book_transcript(p)}

            def stale(name: str, arg: Any) -> bool:
                if name == "scenes":
                    return True
                if name == "emotions" and emotions is not None:
                    return True
                return text is not None and name in ("transcript", "emotions") and arg in by_text

            self._memo = {k: v for k, v in self._memo.items() if not stale(*k)}
            self._epoch += 1

    def _book_transcript(self, page: int) -> bool:
        """Whether the page's transcript comes from the book (annotations), not the text
        backend."""
        p = self.book.pages[page]
        return bool(p.texts or p.faces) or self.book.has_annotations

    # -- stages ---------------------------------------------------------------------

    def transcript(self, page: int, cancel: CancelToken = NEVER) -> PageTranscript:
        def make() -> PageTranscript:
            backend = self.builtin_text if self._book_transcript(page) else self.transcripts
            data, _ = self.record(
                "transcript",
                backend,
                self.builtin_text,
                {"page": page, "reader": self.readings.settings_key()}
                if not self.book.has_annotations
                else {"page": page},
                lambda b: b.transcript(self.book, page, cancel).to_dict(),
            )
            return PageTranscript.from_dict(data)

        return self._memoised("transcript", page, make)

    def stats(self, page: int) -> PageStats:
        def make() -> PageStats:
            data, _ = self.record(
                "stats",
                self.builtin_text,
                self.builtin_text,
                {"page": page},
                lambda b: page_stats(self.book, page).to_dict(),
            )
            return PageStats.from_dict(data)

        return self._memoised("stats", page, make)

    def page_emotions(
        self, page: int, cancel: CancelToken = NEVER
    ) -> tuple[PageEmotions, str, bool]:
        """The page's emotions, the backend that read them, and whether a person edited them."""
        edited = self.edits.emotions(page)
        if edited is not None:
            return PageEmotions(profile=normalise(edited), evidence=["edited"]), "edit", True

        def make() -> tuple[PageEmotions, str, bool]:
            t = self.transcript(page, cancel)
            data, by = self.record(
                "emotions",
                self.emotions,
                self.builtin_emotions,
                t.to_dict(),
                lambda b: emotions_to_dict(b.page_emotions(self.book, t, cancel)),
            )
            return PageEmotions(**data), by, False

        return self._memoised("emotions", page, make)

    def scenes(
        self, upto: int | None = None, cancel: CancelToken = NEVER
    ) -> tuple[ScenesResult, str, bool]:
        """Scene boundaries over the whole book, or provisionally over its first `upto` pages."""
        n = len(self.book)
        edited = self.edits.scenes()
        if edited is not None:
            return ScenesResult(starts=[s for s in edited if s < n], reasons={}), "edit", True
        upto = None if upto is None or upto >= n else max(1, upto)
        pages = range(n if upto is None else upto)

        def make() -> tuple[ScenesResult, str, bool]:
            transcripts = [self.transcript(i, cancel) for i in pages]
            profiles = [self.page_emotions(i, cancel)[0].profile for i in pages]
            stats = [self.stats(i) for i in pages]
            inputs = {
                "upto": upto,
                "transcripts": [t.to_dict() for t in transcripts],
                "profiles": profiles,
                "stats": [s.to_dict() for s in stats],
            }

            def compute(b: Any) -> dict:
                if b is self.builtin_text:
                    r = b.scenes(
                        self.book, transcripts, cancel, stats=stats, profiles=profiles, upto=upto
                    )
                else:
                    r = b.scenes(self.book, transcripts, cancel)
                    r.provisional = upto is not None
                return {
                    "starts": r.starts,
                    "reasons": {str(k): v for k, v in r.reasons.items()},
                    "provisional": r.provisional,
                }

            data, by = self.record("scenes", self.text, self.builtin_text, inputs, compute)
            result = ScenesResult(
                starts=[int(s) for s in data["starts"]],
                reasons={int(k): v for k, v in data["reasons"].items()},
                provisional=bool(data["provisional"]),
            )
            return result, by, False

        return self._memoised("scenes", upto, make)

    def scene_input(
        self,
        index: int,
        first: int,
        last: int,
        previous: Profile | None,
        cancel: CancelToken = NEVER,
    ) -> SceneInput:
        lines: list[Line] = []
        profiles, weights, visuals = [], [], []
        for i in range(first, last + 1):
            t = self.transcript(i, cancel)
            lines.extend(t.lines)
            visuals.append(t.visual)
            profiles.append(self.page_emotions(i, cancel)[0].profile)
            weights.append(max(1, len(t.faces)))  # M2M-Gen: shares of the scene's faces
        brightness = sum(self.stats(i).brightness for i in range(first, last + 1)) / (
            last - first + 1
        )
        return SceneInput(
            index=index,
            first_page=first,
            last_page=last,
            lines=lines,
            emotions=mix(profiles, weights) if profiles else neutral_profile(),
            title=self.book.title,
            seed=seed_for(self.book, "scene", first),
            brightness=brightness,
            previous_emotions=previous,
            visual=scene_visual(visuals),
        )

    def directive(self, scene: SceneInput, cancel: CancelToken = NEVER) -> tuple[str, str, bool]:
        edited = self.edits.directive(scene.first_page, scene.last_page)
        if edited is not None:
            return edited, "edit", True
        data, by = self.record(
            "directive",
            self.text,
            self.builtin_text,
            scene_inputs(scene),
            lambda b: b.directive(scene, cancel),
        )
        return data, by, False

    def caption(self, page: PageInput, cancel: CancelToken = NEVER) -> tuple[str, str, bool]:
        edited = self.edits.caption(page.index)
        if edited is not None:
            return edited, "edit", True
        inputs = {
            "scene": scene_inputs(page.scene),
            "page": page.index,
            "lines": [ln.prompt_line() for ln in page.lines],
            "emotions": page.emotions,
            "directive": page.directive,
        }
        data, by = self.record(
            "caption", self.text, self.builtin_text, inputs, lambda b: b.caption(page, cancel)
        )
        return data, by, False

    # -- whole results --------------------------------------------------------------

    def page_result(
        self, i: int, scene: SceneInput, directive: str, cancel: CancelToken = NEVER
    ) -> PageResult:
        t = self.transcript(i, cancel)
        emo, emo_by, emo_edited = self.page_emotions(i, cancel)
        page_in = PageInput(
            index=i, scene=scene, lines=t.lines, emotions=emo.profile, directive=directive
        )
        cap, cap_by, cap_edited = self.caption(page_in, cancel)
        return PageResult(
            index=i,
            emotions=emo.profile,
            caption=cap,
            lines=t.lines,
            backends={"emotions": emo_by, "caption": cap_by},
            edited=[s for s, e in (("emotions", emo_edited), ("caption", cap_edited)) if e],
        )

    def run(
        self, mode: str = "scene", progress: Progress | None = None, cancel: CancelToken = NEVER
    ) -> Analysis:
        """The whole book in `mode`. A text backend that can take several requests at
        once (`concurrency`, an LLM endpoint) gets that many: page transcripts, scene
        directives, page captions, baseline pages and sections each run on a pool of
        that size, in that order. A backend with `whole_run()` is held for the run: an
        endpoint that stops answering is left alone for the rest of it."""
        if mode not in MODES:
            raise RecordError(f"unknown mode {mode!r} (choose from {', '.join(MODES)})")
        hold = getattr(self.text, "whole_run", None)
        with hold() if callable(hold) else contextlib.nullcontext():
            return run_book(self, mode, progress or (lambda done, total, what: None), cancel)


def analyze(
    book: Book,
    *,
    mode: str = "scene",
    text: TextBackend | None = None,
    emotions: EmotionBackend | None = None,
    store: Store | None = None,
    edits: EditStore | None = None,
    progress: Progress | None = None,
    on_fallback: Fallback | None = None,
    cancel: CancelToken = NEVER,
) -> Analysis:
    """Analyse a whole book. See `Analyzer` for the arguments."""
    analyzer = Analyzer(
        book, text=text, emotions=emotions, store=store, edits=edits, on_fallback=on_fallback
    )
    return analyzer.run(mode, progress=progress, cancel=cancel)
