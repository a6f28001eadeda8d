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
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from ..books.model import Book
from ..core.cancel import NEVER, CancelToken
from ..core.errors import Cancelled, M2MError, RecordError
from ..core.store import MemoryStore, Store, key
from .builtin import BuiltinEmotions, BuiltinText, seed_for
from .edits import EditStore
from .emotions import Profile, mix, neutral_profile, normalise
from .page_reading import PageReadings, scene_visual
from .page_stats import PageStats, page_stats
from .records import (
    MODES,
    Analysis,
    Line,
    PageEmotions,
    PageInput,
    PageResult,
    PageTranscript,
    SceneInput,
    SceneResult,
    ScenesResult,
)
from .stages import EmotionBackend, TextBackend
from .transcript_source import ReaderTranscript, transcript_source

log = logging.getLogger(__name__)

STAGE_VERSIONS = {
    "transcript": 1,
    "stats": 1,
    "emotions": 1,
    "scenes": 1,
    "directive": 1,
    "caption": 1,
    "description": 1,
    "section": 1,
}
SECTION_PAGES = 8  # manga2music scores a folder of pages; we score groups of this size

Progress = Callable[[int, int, str], None]
Fallback = Callable[[str, str, str], None]  # (stage, backend, message)


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
        self.text: TextBackend = self.builtin_text if plain else text
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
        self.computed: Counter[str] = Counter()  # records computed (cache misses) per stage
        self._lock = threading.Lock()
        self._memo: dict[tuple[str, Any], Any] = {}
        self._epoch = 0  # moves on when memos are dropped: work begun before stores none
        self._told: set[tuple[str, ...]] = set()

    # -- caching and fallback -------------------------------------------------------

    def _record(
        self,
        stage: str,
        backend: Any,
        fallback: Any,
        inputs: Any,
        compute: Callable[[Any], Any],
    ) -> tuple[Any, str]:
        """Cached `compute(backend)`; on a backend error, `compute(fallback)`."""
        backends = [backend] if backend is fallback else [backend, fallback]
        for i, b in enumerate(backends):
            k = key(
                stage,
                STAGE_VERSIONS[stage],
                b.name,
                b.settings_key(),
                self.book.fingerprint,
                inputs,
            )
            hit = self.store.get_json(k)
            if isinstance(hit, dict) and hit.get("stage") == stage and "data" in hit:
                return hit["data"], hit["backend"]
            try:
                data = compute(b)
            except Cancelled:
                raise
            except M2MError as exc:
                if i + 1 == len(backends):
                    raise
                # Say it once, not once per record: per kind of failure when the backend
                # names one (an LLM endpoint: timeout, HTTP 500, breaker open ...), else
                # per stage and message.
                kind = getattr(exc, "kind", None)
                told = (b.name, str(kind)) if kind else (stage, b.name, str(exc))
                with self._lock:
                    first = told not in self._told
                    self._told.add(told)
                if first:
                    # Told once: by `on_fallback` when there is one, else in the log.
                    level = logging.INFO if self.on_fallback else logging.WARNING
                    log.log(
                        level, "%s: %s failed (%s); using the built-in stage", stage, b.name, exc
                    )
                    if self.on_fallback:
                        self.on_fallback(stage, b.name, str(exc))
                else:
                    log.debug("%s: %s failed (%s); using the built-in stage", stage, b.name, exc)
                continue
            with self._lock:
                self.computed[stage] += 1
            record = {
                "stage": stage,
                "version": STAGE_VERSIONS[stage],
                "backend": b.name,
                "data": data,
            }
            self.store.put_json(k, record)
            return data, b.name
        raise AssertionError("unreachable")

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
            data, _ = self._record(
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
            data, _ = self._record(
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
            data, by = self._record(
                "emotions",
                self.emotions,
                self.builtin_emotions,
                t.to_dict(),
                lambda b: _emotions_to_dict(b.page_emotions(self.book, t, cancel)),
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

            data, by = self._record("scenes", self.text, self.builtin_text, inputs, compute)
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
        data, by = self._record(
            "directive",
            self.text,
            self.builtin_text,
            _scene_inputs(scene),
            lambda b: b.directive(scene, cancel),
        )
        return data, by, False

    def caption(self, page: PageInput, cancel: CancelToken = NEVER) -> tuple[str, str, bool]:
        edited = self.edits.caption(page.index)
        if edited is not None:
            return edited, "edit", True
        inputs = {
            "scene": _scene_inputs(page.scene),
            "page": page.index,
            "lines": [ln.prompt_line() for ln in page.lines],
            "emotions": page.emotions,
            "directive": page.directive,
        }
        data, by = self._record(
            "caption", self.text, self.builtin_text, inputs, lambda b: b.caption(page, cancel)
        )
        return data, by, False

    # -- whole results --------------------------------------------------------------

    def scene_result(
        self,
        index: int,
        first: int,
        last: int,
        previous: Profile | None,
        reason: str = "",
        cancel: CancelToken = NEVER,
    ) -> SceneResult:
        """One scene in M2M-Gen's mode: its directive and every page's caption."""
        scene = self.scene_input(index, first, last, previous, cancel)
        text, by, edited = self.directive(scene, cancel)
        result = SceneResult(
            index=index,
            first_page=first,
            last_page=last,
            directive=text,
            emotions=scene.emotions,
            reason=reason,
            backends={"directive": by},
            edited=["directive"] if edited else [],
        )
        for i in range(first, last + 1):
            result.pages.append(self.page_result(i, scene, text, cancel))
        return result

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
            return self._run(mode, progress or (lambda done, total, what: None), cancel)

    def _run(self, mode: str, report: Progress, cancel: CancelToken) -> Analysis:
        n = len(self.book)
        # Transcripts the text backend makes go first, several at once; then the
        # page-level stages in order, so progress moves page by page.
        by_text = [i for i in range(n) if not self._book_transcript(i)]
        reported = 0
        if self._workers() > 1 and len(by_text) > 1:

            def read(k: int) -> None:
                nonlocal reported
                reported = k
                report(k, 2 * n, f"reading page {k}")

            self._each(lambda i: self.transcript(i, cancel), by_text, cancel, read)
        for i in range(n):
            cancel.check()
            self.page_emotions(i, cancel)
            self.stats(i)
            if i + 1 > reported:
                report(i + 1, 2 * n, f"reading page {i + 1}")
        scenes: list[SceneResult] = []
        provisional = False
        if mode == "scene":
            result, by, _ = self.scenes(cancel=cancel)
            provisional = result.provisional
            inputs: list[SceneInput] = []
            previous = None
            for idx, (a, b) in enumerate(result.ranges(n)):
                inputs.append(self.scene_input(idx, a, b, previous, cancel))
                previous = inputs[-1].emotions
            directives = self._each(lambda s: self.directive(s, cancel), inputs, cancel)
            jobs = [
                (i, s, text)
                for s, (text, _, _) in zip(inputs, directives, strict=True)
                for i in range(s.first_page, s.last_page + 1)
            ]
            pages = self._each(
                lambda job: self.page_result(*job, cancel),
                jobs,
                cancel,
                lambda k: report(n + k, 2 * n, f"captions: {k} of {n} pages"),
            )
            by_page = {p.index: p for p in pages}
            for s, (text, d_by, edited) in zip(inputs, directives, strict=True):
                scene = SceneResult(
                    index=s.index,
                    first_page=s.first_page,
                    last_page=s.last_page,
                    directive=text,
                    emotions=s.emotions,
                    reason=result.reasons.get(s.first_page, ""),
                    backends={"directive": d_by, "scenes": by},
                    edited=["directive"] if edited else [],
                )
                scene.pages = [by_page[i] for i in range(s.first_page, s.last_page + 1)]
                scenes.append(scene)
        elif mode == "page":
            scenes = self._each(
                lambda i: self._baseline_page(i, cancel),
                range(n),
                cancel,
                lambda k: report(n + k, 2 * n, f"pages: {k} of {n}"),
            )
        else:
            groups = [(idx, a) for idx, a in enumerate(range(0, n, self.section_pages))]
            scenes = self._each(
                lambda g: self._section(g[0], g[1], min(n, g[1] + self.section_pages) - 1, cancel),
                groups,
                cancel,
                lambda k: report(
                    n + min(n, k * self.section_pages), 2 * n, f"sections: {k} of {len(groups)}"
                ),
            )
        report(2 * n, 2 * n, "done")
        return Analysis(
            title=self.book.title,
            n_pages=n,
            mode=mode,
            scenes=scenes,
            provisional=provisional,
            backends={"text": self.text.name, "emotions": self.emotions.name},
        )

    def _workers(self) -> int:
        """How many records of the text backend to make at once (1 for the built-in)."""
        if self.text is self.builtin_text:
            return 1
        value = getattr(self.text, "concurrency", 1)
        return max(1, min(int(value), 32)) if isinstance(value, int) else 1

    def _each(
        self,
        work: Callable[[Any], Any],
        items: Any,
        cancel: CancelToken,
        done: Callable[[int], None] | None = None,
    ) -> list[Any]:
        """`[work(x) for x in items]`, `_workers()` at a time; `done(k)` after the k-th
        finishes (on this thread). The first error cancels what has not started."""
        items = list(items)
        workers = min(self._workers(), len(items))
        if workers <= 1:
            out = []
            for x in items:
                cancel.check()
                out.append(work(x))
                if done:
                    done(len(out))
            return out
        pool = ThreadPoolExecutor(workers, thread_name_prefix="analysis")
        try:
            futures = [pool.submit(work, x) for x in items]
            for k, future in enumerate(as_completed(futures), 1):
                future.result()
                if done:
                    done(k)
            return [f.result() for f in futures]
        finally:
            # On an error or Ctrl-C, what has not started is dropped; a request under
            # way ends within its timeout.
            pool.shutdown(wait=False, cancel_futures=True)

    def _baseline_page(self, i: int, cancel: CancelToken) -> SceneResult:
        """The baseline: each page described alone, then captioned from that description."""
        scene = self.scene_input(i, i, i, None, cancel)
        t = self.transcript(i, cancel)
        page_in = PageInput(
            index=i, scene=scene, lines=t.lines, emotions=scene.emotions, directive=""
        )
        desc, by = self._record(
            "description",
            self.text,
            self.builtin_text,
            _scene_inputs(scene),
            lambda b: b.page_description(self.book, page_in, cancel),
        )
        result = SceneResult(
            index=i,
            first_page=i,
            last_page=i,
            directive=desc,
            emotions=scene.emotions,
            reason="baseline: each page alone",
            backends={"description": by},
        )
        result.pages.append(self.page_result(i, scene, desc, cancel))
        return result

    def _section(self, idx: int, a: int, b: int, cancel: CancelToken) -> SceneResult:
        """manga2music: one analysis and one music paragraph for a group of pages."""
        scene = self.scene_input(idx, a, b, None, cancel)
        edited = self.edits.directive(a, b)
        data, by = self._record(
            "section",
            self.text,
            self.builtin_text,
            _scene_inputs(scene),
            lambda be: list(be.section(self.book, scene, cancel)),
        )
        analysis, music = data
        music = edited or music
        result = SceneResult(
            index=idx,
            first_page=a,
            last_page=b,
            directive=music,
            emotions=scene.emotions,
            reason=analysis,
            backends={"section": "edit" if edited else by},
            edited=["directive"] if edited else [],
        )
        for i in range(a, b + 1):
            t = self.transcript(i, cancel)
            emo, emo_by, _ = self.page_emotions(i, cancel)
            cap = self.edits.caption(i)
            result.pages.append(
                PageResult(
                    index=i,
                    emotions=emo.profile,
                    caption=cap or music,
                    lines=t.lines,
                    backends={
                        "emotions": emo_by,
                        "caption": "edit" if cap else result.backends["section"],
                    },
                    edited=["caption"] if cap else [],
                )
            )
        return result


def _scene_inputs(scene: SceneInput) -> dict[str, Any]:
    return {
        "first": scene.first_page,
        "last": scene.last_page,
        "lines": [ln.prompt_line() for ln in scene.lines],
        "emotions": {k: round(v, 6) for k, v in scene.emotions.items()},
        "brightness": None if scene.brightness is None else round(scene.brightness, 4),
        "previous": scene.previous_emotions
        and {k: round(v, 6) for k, v in scene.previous_emotions.items()},
        "seed": scene.seed,
        **({"visual": scene.visual} if scene.visual else {}),
    }


def _emotions_to_dict(e: PageEmotions) -> dict[str, Any]:
    return {"profile": e.profile, "faces": e.faces, "evidence": e.evidence}


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
