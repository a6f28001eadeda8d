"""The engine: analysis and music for a book, computed ahead of the reader's cursor.

Given a book and the reader's cursor, the engine runs the analysis stages and the music
backend on two worker pools (see `scheduler`): the page under the cursor first, then
the next pages in reading order up to `LOOKAHEAD_S` seconds of reading, then the rest
of the book. A jump re-ranks the queues and interrupts work far from the new cursor.
Scene boundaries come first as a provisional answer over the first pages, so music
starts before the whole book is analysed; the final answer follows and the pages
whose scene changed are redone.

Everything the engine computes goes through the `Store` (the disk cache by default),
keyed by content: reopening a book computes nothing that is cached (`stats` counts
the analysis records and cues really computed). It reports what happens through
`on_event` (see `events`), called from worker threads. It never imports Qt.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import events as ev
from . import offline
from .analysis.edits import EditStore
from .analysis.pipeline import Analyzer
from .analysis.records import Analysis, PageResult, SceneResult, ScenesResult
from .backend_choice import make_emotions, make_music, make_text, music_settings_key
from .books.model import Book
from .cancel import CancelToken
from .emotions import Profile
from .errors import BackendUnavailable, Cancelled, M2MError
from .music.base import Clip, Cue, CueRequest, MusicBackend, MusicPlan
from .reading_speed import ReadingSpeed
from .scheduler import AHEAD, IDLE, NOW, Job, Pool, Priority
from .settings import Settings
from .store import Store, key

log = logging.getLogger(__name__)

LOOKAHEAD_S = 90.0  # seconds of reading the engine keeps ready ahead of the cursor
PROVISIONAL_PAGES = 8  # provisional scene boundaries cover pages in steps of this many
# Cue lengths in seconds: a page's reading time rounded up to one of these, so cache
# keys stay stable as the reading speed drifts. A reader who lingers longer hears the
# cue loop on its bar lines; longer cues would only delay the first music.
CUE_BUCKETS = (6, 8, 12, 16)
QUICK_START_S = 8.0  # the first cue of a session, when nothing plays yet
WORKER_NICE = 5
RAM_CUES = 10  # cues kept in memory around the cursor (6 MB each); the rest are in the store
CUE_VERSION = 1

EventSink = Callable[[ev.Event], None]


@dataclass
class PageInfo:
    """What the music for one page is made from."""

    page: int
    scene: int
    first: int
    last: int
    directive: str
    result: PageResult
    joins: str
    seed: int
    seconds: float = 16.0  # the cue's length


@dataclass
class EngineStats:
    analysis_records: int = 0  # analysis records computed (cache misses)
    music_jobs: int = 0  # cues made by the music backend
    cues_from_cache: int = 0
    fallbacks: list[str] = field(default_factory=list)


class Engine:
    """The headless engine. See the module docstring.

    Args:
        settings: backends, offline mode, cache size.
        store: where records and cues are cached (default: `DiskCache`).
        on_event: told of progress, cues ready, fallbacks and errors.
        text, emotions, music: backends to use instead of those the settings name.
        speed: the reader's speed (default: learned and kept in the data folder).
        edits_in_memory: keep a person's edits in memory only (tests, benchmarks).
        audio: play the music live (sounddevice) from the first `open()`; with no
            audio device this is one `EngineError` line and the engine goes on silently.
        music_process: run the composer in a child process (default: when playing live),
            so that its work does not hold up the audio callback.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        store: Store | None = None,
        on_event: EventSink | None = None,
        text: Any = None,
        emotions: Any = None,
        music: MusicBackend | None = None,
        speed: ReadingSpeed | None = None,
        edits_in_memory: bool = False,
        analysis_threads: int = 2,
        audio: bool = True,
        music_process: bool | None = None,
    ) -> None:
        self.settings = settings or Settings()
        tune_malloc()
        self._closed = False
        self._offline = self.settings.offline
        if self._offline:
            offline.enable()
        if store is None:
            from .cache import DiskCache

            store = DiskCache(limit_mb=self.settings.cache_limit_mb)
        self.store = store
        self.on_event = on_event
        self.stats = EngineStats()
        self.speed = speed or ReadingSpeed()
        self._edits_in_memory = edits_in_memory
        self.text = text if text is not None else make_text(self.settings, self._fallback)
        self.emotions = (
            emotions if emotions is not None else make_emotions(self.settings, self._fallback)
        )
        self.mixer: Any = None
        self.player: Any = None  # the LivePlayer, once started
        self._audio = audio
        self._music_process = audio if music_process is None else music_process
        # The music backend can take seconds to start (a SoundFont to parse, a model to
        # load): it starts on a thread of its own while the first pages are analysed.
        self._music: MusicBackend | None = music
        self._music_started = threading.Event()
        if music is not None:
            self._music_started.set()
        else:
            threading.Thread(target=self._start_music, name="music-start", daemon=True).start()
        # Workers run a little nicer than the audio callback and the UI thread.
        self._analysis_pool = Pool("analysis", analysis_threads, nice=WORKER_NICE)
        self._music_pool = Pool("music", 1, nice=WORKER_NICE)
        self._lock = threading.RLock()
        self._scenes_lock = threading.Lock()
        self._reset()

    # -- the book and the cursor ----------------------------------------------------

    def _reset(self) -> None:
        self.book: Book | None = None
        self.analyzer: Analyzer | None = None
        self.edits: EditStore | None = None
        self._cursor = 0
        self._turned_at = time.monotonic()
        self._scenes: ScenesResult | None = None
        self._scenes_upto: int | None = None  # None once final
        self._scene_emotions: dict[tuple[int, int], Profile] = {}
        self._pages: dict[int, PageInfo] = {}
        self._cue_keys: dict[int, str] = {}
        self._ready: set[int] = set()  # pages whose cue is in the store
        self._cues: OrderedDict[int, Cue] = OrderedDict()
        # A page's generation changes when its inputs do (and with every book opened),
        # so that results of stale work are dropped.
        self._base = next(_GENERATIONS)
        self._gen: dict[int, int] = {}
        self._requeue = False  # a generation was interrupted: schedule again
        self._delivered = 0  # cues handed over, for the periodic memory release

    def _start_music(self) -> None:
        try:
            self._music = make_music(
                self.settings, self._fallback, in_process=not self._music_process
            )
        except Exception as exc:  # noqa: BLE001 - reported; the engine goes on without music
            log.exception("no music backend could start")
            self._emit(ev.EngineError(f"No music backend could start ({exc})."))
        finally:
            self._music_started.set()

    @property
    def music(self) -> MusicBackend:
        """The music backend (waits for it to start)."""
        self._music_started.wait()
        if self._music is None:
            raise BackendUnavailable("No music backend could start.")
        return self._music

    @music.setter
    def music(self, backend: MusicBackend) -> None:
        self._music = backend
        self._music_started.set()

    def start_audio(self, device: int | str | None = None) -> bool:
        """Play live through sounddevice; False (and one EngineError) with no sound."""
        from .audio.live import LivePlayer

        if self.player is None:
            self.player = LivePlayer(self, self.settings, device=device)
            if not self.player.start():
                self._emit(ev.EngineError(self.player.message))
        return self.player.playing

    def open(self, book: Book, page: int = 0) -> None:
        """Start work on `book` with the cursor on `page`."""
        if self._audio and self.player is None:
            self.start_audio()
        self._cancel_all("another book")
        with self._lock:
            if self.book is not None and self.book is not book:
                self.book.close()
            if self.mixer is not None:
                for old in self._cues:
                    self.mixer.forget(old)
            self._reset()
            self.stats = EngineStats()
            self.book = book
            self.edits = (
                EditStore.in_memory() if self._edits_in_memory else EditStore(book.fingerprint)
            )
            self.analyzer = Analyzer(
                book, text=self.text, emotions=self.emotions, store=self.store,
                edits=self.edits, on_fallback=lambda s, b, m: self._fallback(s, b, "builtin", m),
            )  # fmt: skip
            self._cursor = max(0, min(page, len(book) - 1))
        if self.mixer is not None:
            self.mixer.turn(self._cursor, "jump")
        self._analysis_pool.submit("scenes:final", self._final_scenes, (AHEAD, 10_000),
                                   on_done=lambda r, a=self.analyzer: self._final_scenes_done(r) if a is self.analyzer else None,
                                   on_error=self._error)  # fmt: skip
        self._schedule()

    def attach_mixer(self, mixer: Any) -> None:
        """Feed cues and turns to `mixer` (live playback or a test's pull loop)."""
        self.mixer = mixer
        with self._lock:
            cues = list(self._cues.items())
            cursor = self._cursor
        for page, cue in cues:
            mixer.set_cue(page, cue)
        mixer.turn(cursor, "jump")

    @property
    def cursor(self) -> int:
        return self._cursor

    def set_cursor(self, page: int, kind: str = "turn") -> None:
        """The reader moved to `page`: by a page turn ("turn") or elsewhere ("jump")."""
        book = self.book
        if book is None:
            return
        page = max(0, min(page, len(book) - 1))
        now = time.monotonic()
        with self._lock:
            old, self._cursor = self._cursor, page
            spent, self._turned_at = now - self._turned_at, now
        if kind == "turn" and abs(page - old) == 1:
            self.speed.learn(book.pages[old], spent)
        if self.mixer is not None:
            self.mixer.turn(page, "jump" if kind == "jump" else "turn")
        info = self._pages.get(page)
        self._emit(ev.Playing(page, info.scene if info else -1))
        self._schedule()
        if kind == "jump" or page not in self._cues:
            # Work far from the reader must not hold up the page they are on.
            self._preempt_music((AHEAD, 0))

    def _window(self) -> range:
        """Pages ahead of the cursor within `LOOKAHEAD_S` seconds of reading (at least 2)."""
        book, c = self.book, self._cursor
        assert book is not None
        total, end = 0.0, c + 1
        while end < len(book) and (total < LOOKAHEAD_S or end - c <= 2):
            total += self.speed.seconds(book.pages[end])
            end += 1
        return range(c + 1, end)

    def _rank(self, page: int, window: range | None = None) -> Priority:
        c = self._cursor
        window = window or self._window()
        if page == c:
            return (NOW, 0)
        if page in window:
            return (AHEAD, page - c)
        if page == c - 1:
            return (AHEAD, len(window) + 1)
        n = len(self.book or ())
        return (IDLE, page - c if page > c else n + c - page)

    def _schedule(self) -> None:
        """Queue what is missing, best first, and re-rank what is queued."""
        book = self.book
        if book is None or self._closed:
            return
        window = self._window()
        keep = set(window) | {self._cursor, self._cursor - 1}
        with self._lock:
            # Cues far from the cursor leave memory; the store keeps them.
            for p in [p for p in self._cues if p not in keep]:
                if len(self._cues) <= RAM_CUES:
                    break
                del self._cues[p]
                if self.mixer is not None:
                    self.mixer.forget(p)
            todo = [
                p
                for p in range(len(book))
                if p not in self._ready or (p in keep and p not in self._cues)
            ]
        rank = lambda j: self._rank(j.page, window) if j.page is not None else j.priority  # noqa: E731
        self._analysis_pool.reprioritise(rank)
        self._music_pool.reprioritise(rank)
        for p in sorted(todo, key=lambda p: self._rank(p, window)):
            info, k = self._pages.get(p), self._cue_keys.get(p)
            if info is None or k is None:
                self._submit_page(p, self._rank(p, window))
            elif not self._music_pool.has(f"cue:{p}"):
                gen = self._gen.get(p, self._base)
                self._analysis_pool.submit(
                    f"find:{p}", lambda tok, i=info, k=k, g=gen: self._find_cue(i, k, g),
                    self._rank(p, window), page=p, on_error=self._error,
                )  # fmt: skip

    def _submit_page(self, page: int, priority: Priority) -> None:
        gen = self._gen.get(page, self._base)
        self._analysis_pool.submit(
            f"page:{page}", lambda tok: self._analyse_page(page, tok), priority, page=page,
            on_done=lambda info: self._page_done(info, gen), on_error=self._error,
        )  # fmt: skip

    # -- analysis ---------------------------------------------------------------------

    def _scenes_for(self, page: int, cancel: CancelToken) -> ScenesResult:
        """The best scene boundaries covering `page`: final, else provisional."""
        with self._scenes_lock:  # one provisional answer at a time, shared by all pages
            with self._lock:
                scenes, upto = self._scenes, self._scenes_upto
            if scenes is not None and (upto is None or page < upto):
                return scenes
            assert self.analyzer is not None and self.book is not None
            if self._rank(page)[0] == IDLE:
                # Far from the reader there is no hurry: wait for the final answer
                # rather than make music twice.
                result = self._final_scenes(cancel)
                self._final_scenes_done(result)
                return result
            want = page + 6  # enough context for the first boundaries; more follows
            want = min(-(-want // PROVISIONAL_PAGES) * PROVISIONAL_PAGES, len(self.book))
            result, by, _ = self.analyzer.scenes(upto=want, cancel=cancel)
            with self._lock:
                if self._scenes is None or self._scenes_upto is not None:
                    final = not result.provisional
                    self._scenes, self._scenes_upto = result, None if final else want
        self._emit(ev.StageDone("scenes", "", by, provisional=result.provisional))
        return result

    def _final_scenes(self, cancel: CancelToken) -> ScenesResult:
        assert self.analyzer is not None
        result, by, _ = self.analyzer.scenes(cancel=cancel)
        with self._lock:
            self.stats.analysis_records = sum(self.analyzer.computed.values())
        self._emit(ev.StageDone("scenes", "", by))
        return result

    def _final_scenes_done(self, result: ScenesResult) -> None:
        book = self.book
        if book is None:
            return
        with self._lock:
            old = self._scenes
            self._scenes, self._scenes_upto = result, None
            n = len(book)
            old_ranges = {} if old is None else _range_by_page(old, n)
            new_ranges = _range_by_page(result, n)
            changed = [
                p for p, info in self._pages.items() if new_ranges[p] != (info.first, info.last)
            ]
            for p in changed:
                self._invalidate(p)
        if changed:
            log.info(
                "final scenes moved %d pages (of %d from provisional)",
                len(changed),
                len(old_ranges),
            )
            self._schedule()

    def _ranges(self, scenes: ScenesResult, page: int) -> tuple[int, int, int]:
        """(scene index, first page, last page) of `page`."""
        assert self.book is not None
        n = len(self.book) if self._scenes_upto is None else min(len(self.book), self._scenes_upto)
        for i, (a, b) in enumerate(scenes.ranges(max(n, page + 1))):
            if a <= page <= b:
                return i, a, b
        raise AssertionError(f"page {page} in no scene")

    def _analyse_page(self, page: int, cancel: CancelToken) -> PageInfo | None:
        analyzer = self.analyzer
        assert analyzer is not None and self.book is not None
        scenes = self._scenes_for(page, cancel)
        idx, a, b = self._ranges(scenes, page)
        previous = None
        if idx > 0:
            _, pa, pb = self._ranges(scenes, a - 1)
            previous = self._scene_profile(idx - 1, pa, pb, cancel)
        scene = analyzer.scene_input(idx, a, b, previous, cancel)
        directive, by, _ = analyzer.directive(scene, cancel)
        result = analyzer.page_result(page, scene, directive, cancel)
        result.backends["directive"] = by
        with self._lock:
            self._scene_emotions[(a, b)] = scene.emotions
            self.stats.analysis_records = sum(analyzer.computed.values())
        joins = "continue" if page > a else "change"
        seed = int(key(self.book.fingerprint, "music", a)[:8], 16)
        return PageInfo(page, idx, a, b, directive, result, joins, seed, self._seconds(page))

    def _scene_profile(self, idx: int, a: int, b: int, cancel: CancelToken) -> Profile:
        with self._lock:
            if (a, b) in self._scene_emotions:
                return self._scene_emotions[(a, b)]
        prev = None
        if idx > 0 and self._scenes is not None:
            _, pa, pb = self._ranges(self._scenes, a - 1)
            prev = self._scene_profile(idx - 1, pa, pb, cancel)
        assert self.analyzer is not None
        profile = self.analyzer.scene_input(idx, a, b, prev, cancel).emotions
        with self._lock:
            self._scene_emotions[(a, b)] = profile
        return profile

    def _page_done(self, info: PageInfo | None, gen: int) -> None:
        if info is None or self._gen.get(info.page, self._base) != gen:
            return
        k = self._cue_key(info)  # may wait for the music backend to start
        with self._lock:
            if self._gen.get(info.page, self._base) != gen:
                return
            self._pages[info.page] = info
            self._cue_keys[info.page] = k
        by = info.result.backends.get("caption", "")
        self._emit(ev.StageDone("caption", k, by, page=info.page, scene=info.scene))
        self._find_cue(info, k, gen)

    def _find_cue(self, info: PageInfo, k: str, gen: int) -> None:
        """On a worker: the cue from the store, else a music job for it."""
        cue = self._load_cue(info, k)  # a cached cue never waits behind a generation
        if cue is not None:
            self._cue_done(cue, gen, cached=True)
            return
        rank = self._rank(info.page)
        if rank[0] != IDLE:
            self._preempt_music(rank)
        if rank[0] == NOW and not self._cues and info.seconds > QUICK_START_S:
            # Nothing plays yet: a short cue first, so the music starts sooner; the
            # full one follows after the pages ahead.
            quick = replace(info, seconds=QUICK_START_S)
            qk = self._cue_key(quick)
            self._music_pool.submit(
                f"quick:{info.page}", lambda tok: self._make_cue(quick, qk, tok), rank, page=info.page,
                on_done=lambda c: self._cue_done(c, gen, final=False), on_error=self._error,
            )  # fmt: skip
            rank = (AHEAD, len(self._window()) + 1)
        self._music_pool.submit(
            f"cue:{info.page}", lambda tok: self._make_cue(info, k, tok), rank,
            page=info.page, on_done=lambda c: self._cue_done(c, gen), on_error=self._error,
        )  # fmt: skip

    # -- music ------------------------------------------------------------------------

    def _preempt_music(self, rank: Priority) -> None:
        """Interrupt a generation less urgent than `rank`'s class (it is redone later):
        the page under the cursor first, then the pages ahead, then the rest."""
        window = self._window()

        def less_urgent(j: Job) -> bool:
            return (
                j.state == "running"
                and j.page is not None
                and self._rank(j.page, window)[0] > rank[0]
            )

        if self._music_pool.cancel_where(less_urgent, "the reader needs another page first"):
            self._requeue = True  # the interrupted page goes back in the queue

    def _seconds(self, page: int) -> float:
        assert self.book is not None
        want = self.speed.seconds(self.book.pages[page])
        return float(next((b for b in CUE_BUCKETS if b >= want), CUE_BUCKETS[-1]))

    def _cue_key(self, info: PageInfo) -> str:
        settings_key = music_settings_key(self.music)
        return key("cue", CUE_VERSION, self.music.name, settings_key, info.result.caption,
                   info.directive, info.scene, info.joins, info.seconds, info.seed)  # fmt: skip

    def _load_cue(self, info: PageInfo, k: str) -> Cue | None:
        hit = self.store.get_audio(k)
        if hit is None:
            return None
        audio, rate, meta = hit
        try:
            return _cue_from(info, audio, rate, meta)
        except (KeyError, TypeError, ValueError):
            return None

    def _make_cue(self, info: PageInfo, k: str, cancel: CancelToken) -> Cue:
        cached = self._load_cue(info, k)
        if cached is not None:
            return cached
        previous = self._cues.get(info.page - 1) if info.joins == "continue" else None
        request = CueRequest(
            page=info.page, scene=info.scene, caption=info.result.caption, directive=info.directive,
            seconds=info.seconds, joins=info.joins, seed=info.seed, previous=previous,  # type: ignore[arg-type]
        )  # fmt: skip
        try:
            cue = self.music.make_cue(request, cancel)
        except (Cancelled, BackendUnavailable):
            raise
        except M2MError as exc:
            raise BackendUnavailable(str(exc)) from exc
        with self._lock:
            self.stats.music_jobs += 1
        cancel.check()
        self.store.put_audio(k, cue.clip.audio, cue.clip.sample_rate, _cue_meta(cue))
        return cue

    def _cue_done(self, cue: Cue, gen: int, cached: bool = False, final: bool = True) -> None:
        """A page's cue is here; `final=False` for a quick first cue (the page's
        music is not yet complete)."""
        if self._gen.get(cue.page, self._base) != gen:
            return
        near = abs(cue.page - self._cursor) <= len(self._window()) + 1
        if not final and cue.page in self._ready:
            return  # the full cue came first
        if near and self.mixer is not None:
            # The mixer first: once `cue(page)` answers, the music is on its way to it.
            self.mixer.set_cue(cue.page, cue)
        with self._lock:
            if self._gen.get(cue.page, self._base) != gen:
                return
            if final:
                self._ready.add(cue.page)
            if near:
                self._cues[cue.page] = cue
            if cached:
                self.stats.cues_from_cache += 1
        self._emit(ev.CueReady(cue.page, cue.backend, cached))
        self._delivered += 1
        if self._delivered % 8 == 0:
            release_memory()
        if self._requeue:
            self._requeue = False
            self._schedule()
        self._emit(ev.Progress(len(self._ready), len(self.book or ()), "soundtrack"))

    # -- what the UI reads ------------------------------------------------------------

    def cue(self, page: int) -> Cue | None:
        """The page's cue if it is ready in memory."""
        return self._cues.get(page)

    def page_info(self, page: int) -> PageInfo | None:
        return self._pages.get(page)

    def ready_pages(self) -> set[int]:
        with self._lock:
            return set(self._ready)

    def analysis(self) -> Analysis | None:
        """The analysis so far: every scene known, every page analysed (others empty)."""
        book = self.book
        with self._lock:
            scenes, pages = self._scenes, dict(self._pages)
            provisional = self._scenes_upto is not None
        if book is None or scenes is None:
            return None
        n = len(book) if not provisional else min(len(book), self._scenes_upto or len(book))
        out: list[SceneResult] = []
        for i, (a, b) in enumerate(scenes.ranges(n)):
            infos = [pages.get(p) for p in range(a, b + 1)]
            known = next((x for x in infos if x is not None and (x.first, x.last) == (a, b)), None)
            s = SceneResult(index=i, first_page=a, last_page=b, directive=known.directive if known else "",
                            emotions=self._scene_emotions.get((a, b), {}), reason=scenes.reasons.get(a, ""))  # fmt: skip
            s.pages = [
                x.result if x is not None else PageResult(index=p)
                for p, x in zip(range(a, b + 1), infos, strict=True)
            ]
            out.append(s)
        return Analysis(title=book.title, n_pages=len(book), mode="scene", scenes=out, provisional=provisional,
                        backends={"text": self.text.name, "emotions": self.emotions.name, "music": self._music.name if self._music else self.settings.music})  # fmt: skip

    # -- edits ------------------------------------------------------------------------

    def edit_directive(self, first_page: int, last_page: int, text: str | None) -> None:
        """A person's directive for the scene `first_page..last_page` (None clears it);
        that scene's captions and music are redone."""
        assert self.edits is not None and self.analyzer is not None
        self.edits.set_directive(first_page, last_page, text)
        self._after_edit(range(first_page, last_page + 1))

    def edit_caption(self, page: int, text: str | None) -> None:
        """A person's caption for `page` (None clears it); that page's music is redone."""
        assert self.edits is not None and self.analyzer is not None
        self.edits.set_caption(page, text)
        self._after_edit(range(page, page + 1))

    def _after_edit(self, pages: range) -> None:
        assert self.analyzer is not None
        self.analyzer.forget()
        with self._lock:
            for p in pages:
                self._invalidate(p)
        self._schedule()

    def _invalidate(self, page: int) -> None:
        """Forget what the engine holds for `page` (the mixer keeps playing the old cue
        until the new one arrives)."""
        self._gen[page] = next(_GENERATIONS)
        self._pages.pop(page, None)
        self._cue_keys.pop(page, None)
        self._ready.discard(page)
        self._cues.pop(page, None)
        if self.mixer is not None and page != self._cursor:
            self.mixer.forget(page)  # the page under the cursor plays on until its new cue
        for pool in (self._analysis_pool, self._music_pool):
            pool.cancel_where(lambda j, p=page: j.page == p, "its inputs changed")

    # -- whole book -------------------------------------------------------------------

    def prepare_all(
        self,
        progress: Callable[[int, int], None] | None = None,
        cancel: CancelToken | None = None,
        poll_s: float = 0.1,
    ) -> int:
        """Compute every page's music (for offline reading or export); blocks until done.
        Returns how many pages have music."""
        assert self.book is not None
        total = len(self.book)
        self._schedule()
        last = -1
        while True:
            done = len(self.ready_pages())
            if done != last and progress is not None:
                progress(done, total)
            last = done
            if done >= total:
                return done
            if cancel is not None and cancel.cancelled:
                return done
            if not (self._analysis_pool.busy() or self._music_pool.busy()):
                self._schedule()  # pages that failed or were interrupted
                if not (self._analysis_pool.busy() or self._music_pool.busy()):
                    return len(self.ready_pages())
            time.sleep(poll_s)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until no work is queued or running (tests, benchmarks)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            a = self._analysis_pool.wait_idle(max(0.0, end - time.monotonic()))
            m = self._music_pool.wait_idle(max(0.0, end - time.monotonic()))
            if a and m and not self._analysis_pool.busy():
                return True
        return False

    def close(self) -> None:
        self._closed = True
        if self.player is not None:
            self.player.close()
        self._cancel_all("closing")
        self._analysis_pool.close()
        self._music_pool.close()
        for backend in (self.text, self.emotions, self._music):
            close = getattr(backend, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # noqa: BLE001 - closing must not fail the app
                    log.exception("closing %s failed", getattr(backend, "name", backend))
        try:
            self.speed.save()
        except OSError as exc:
            log.warning("could not save the reading speed: %s", exc)
        if self.book is not None:
            self.book.close()
        if self._offline:
            offline.disable()
            self._offline = False
        release_memory()

    def _cancel_all(self, reason: str) -> None:
        self._analysis_pool.cancel_where(lambda j: True, reason)
        self._music_pool.cancel_where(lambda j: True, reason)

    # -- events and errors ------------------------------------------------------------

    def _emit(self, event: ev.Event) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:  # noqa: BLE001 - a listener must not break the engine
            log.exception("event listener failed on %s", type(event).__name__)

    def _fallback(self, stage: str, backend: str, fallback: str, message: str) -> None:
        self.stats.fallbacks.append(f"{stage}: {backend} -> {fallback}")
        self._emit(ev.BackendFallback(stage, backend, fallback, message))

    def _error(self, exc: BaseException) -> None:
        if self._closed:
            return  # work that was under way when the engine closed
        if (
            isinstance(exc, BackendUnavailable)
            and self._music is not None
            and self._music.name != "composer"
        ):
            # The chosen music backend failed: the composer takes over for the session.
            old = self.music.name
            composer = Settings(**self.settings.as_dict(public=False))
            composer.music = "composer"
            self.music = make_music(composer, self._fallback, in_process=not self._music_process)
            self._fallback("music", old, self.music.name, str(exc))
            with self._lock:
                for p in list(self._pages):
                    if p not in self._ready:
                        self._invalidate(p)
            self._schedule()
            return
        message = str(exc) if isinstance(exc, M2MError) else f"internal error: {exc!r}"
        if not isinstance(exc, M2MError):
            log.error("engine job failed", exc_info=exc)
        self._emit(ev.EngineError(message))


def _libc() -> Any:
    global _LIBC
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL("libc.so.6")
            _LIBC.malloc_trim  # noqa: B018 - glibc only
        except (OSError, AttributeError):
            _LIBC = False
    return _LIBC


def tune_malloc() -> None:
    """glibc: serve large blocks (cues are megabytes) by mmap, always, so that freeing
    one gives the memory back; by default the threshold grows after the first frees
    and long sessions keep freed cues in the heap. Few arenas for the worker threads."""
    libc = _libc()
    if libc:
        libc.mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD: 1 MB, fixed
        libc.mallopt(-8, 2)  # M_ARENA_MAX


def release_memory() -> None:
    """Hand freed heap back to the system (glibc only)."""
    libc = _libc()
    if libc:
        libc.malloc_trim(0)


_LIBC: Any = None
_GENERATIONS = itertools.count(1)


def _range_by_page(scenes: ScenesResult, n: int) -> dict[int, tuple[int, int]]:
    out = {}
    for a, b in scenes.ranges(n):
        for p in range(a, b + 1):
            out[p] = (a, b)
    return out


def _cue_meta(cue: Cue) -> dict[str, Any]:
    c = cue.clip
    return {"loop_start": c.loop_start, "loop_end": c.loop_end, "bar_samples": c.bar_samples,
            "plan": cue.plan.to_dict(), "joins": cue.joins, "backend": cue.backend,
            "warnings": list(cue.warnings)}  # fmt: skip


def _cue_from(info: PageInfo, audio: np.ndarray, rate: int, meta: dict[str, Any]) -> Cue:
    clip = Clip(audio=audio, sample_rate=rate, loop_start=int(meta["loop_start"]),
                loop_end=int(meta["loop_end"]), bar_samples=int(meta.get("bar_samples", 0)))  # fmt: skip
    return Cue(page=info.page, scene=info.scene, clip=clip, plan=MusicPlan.from_dict(meta.get("plan", {})),
               joins=meta.get("joins", info.joins), backend=str(meta.get("backend", "")),
               warnings=list(meta.get("warnings", [])))  # fmt: skip


__all__ = ["Engine", "EngineStats", "PageInfo", "Job"]
