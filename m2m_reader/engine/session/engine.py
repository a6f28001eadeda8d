"""The engine: analysis and music for a book, computed ahead of the reader's cursor.

Given a book and the reader's cursor, the engine runs the analysis stages and the music
backend on two worker pools (see `scheduler`): the page under the cursor first, then
the next pages in reading order, then the rest of the book (see `lookahead`). Scene
boundaries come first as a provisional answer (see `page_work`); cues come from the
store or the music backend (see `cues`). The engine follows its settings: the offline
switch and backend changes reach it at once and redo only what depends on them (see
`replan`). `Engine` joins these parts, owns their state and is the public face the UI
and the commands use.

Everything the engine computes goes through the `Store` (the disk cache by default),
keyed by content: reopening a book computes nothing that is cached (`stats` counts
the analysis records and cues really computed). It reports what happens through
`on_event` (see `events`), called from worker threads. It never imports Qt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...runtime import release_memory
from ..analysis.edits import EditStore
from ..analysis.emotions import Profile
from ..analysis.pipeline import Analyzer
from ..analysis.records import ScenesResult
from ..backends.choice import make_emotions, make_music, make_text
from ..books.model import Book
from ..core import events as ev
from ..core import offline
from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable, M2MError
from ..core.settings import Settings
from ..core.store import Store
from ..music.base import Cue, MusicBackend
from .cues import CUE_BUCKETS, CUE_VERSION, QUICK_START_S, CueWork
from .editing import _GENERATIONS, Editing
from .lookahead import LOOKAHEAD_S, RAM_CUES, Lookahead
from .page_work import PROVISIONAL_PAGES, PageInfo, PageWork
from .reading_speed import ReadingSpeed
from .replan import Replan
from .scheduler import AHEAD, Job, Pool

log = logging.getLogger(__name__)

WORKER_NICE = 10  # workers yield the CPU to the audio callback and the UI thread

EventSink = Callable[[ev.Event], None]


@dataclass
class EngineStats:
    analysis_records: int = 0  # analysis records computed (cache misses)
    music_jobs: int = 0  # cues made by the music backend
    cues_from_cache: int = 0
    fallbacks: list[str] = field(default_factory=list)


class Engine(Lookahead, PageWork, CueWork, Editing, Replan):
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
        self._closed = False
        self._lock = threading.RLock()
        self._offline = self.settings.offline
        if self._offline:
            offline.enable()
        if store is None:
            from ..core.cache import DiskCache

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
        # The composer's stand-in cues (see `cues`), not held up by a long generation.
        self._standin_pool = Pool("standin", 1, nice=WORKER_NICE)
        self._standin: Any = None
        self._standin_failed = False
        self._deliver_lock = threading.Lock()
        self._standin_lock = threading.Lock()
        self._scenes_lock = threading.Lock()
        self._reset()
        self._follow_settings()  # settings changed from now on reach the engine (`replan`)

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
        self._delivered = 0  # cues handed over, for the periodic memory release

    def _start_music(self) -> None:
        try:
            music = make_music(self.settings, self._fallback, in_process=not self._music_process)
            with self._lock:  # a settings change may have put another in place meanwhile
                kept = self._music is None
                if kept:
                    self._music = music
            if not kept:
                close = getattr(music, "close", None)
                if callable(close):
                    close()
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

    def _standin_backend(self) -> Any:
        """The composer that stands in for a slow backend (started on first need, in a
        child process when playing live, as the composer itself would be); None if
        it cannot start."""
        with self._standin_lock:  # not the engine's lock: starting takes a second
            if self._standin is None and not self._standin_failed:
                composer = Settings(**self.settings.as_dict(public=False))
                composer.music = "composer"
                try:
                    self._standin = make_music(
                        composer, self._fallback, in_process=not self._music_process
                    )
                except Exception:  # noqa: BLE001 - the real cues still come, later
                    log.exception("the composer could not start to stand in")
                    self._standin_failed = True
            return self._standin

    def set_cursor(self, page: int, kind: str = "turn") -> None:
        super().set_cursor(page, kind)
        self._standins_near()

    def start_audio(self, device: int | str | None = None) -> bool:
        """Play live through sounddevice; False (and one EngineError) with no sound."""
        from ..audio.live import LivePlayer

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
        self._submit_final_scenes()
        self._schedule()
        self._watch_edits()  # edits made in a terminal meanwhile (see `editing`)

    def _submit_final_scenes(self) -> None:
        """The whole book's scenes, after the pages near the cursor."""
        analyzer, plan = self.analyzer, self._plan
        self._analysis_pool.submit(
            "scenes:final", self._final_scenes, (AHEAD, 10_000),
            on_done=lambda r: self._final_scenes_done(r, plan) if analyzer is self.analyzer else None,
            on_error=self._error,
        )  # fmt: skip

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

    # -- what the UI reads ------------------------------------------------------------

    def cue(self, page: int) -> Cue | None:
        """The page's cue if it is ready in memory."""
        return self._cues.get(page)

    def page_info(self, page: int) -> PageInfo | None:
        return self._pages.get(page)

    def ready_pages(self) -> set[int]:
        with self._lock:
            return set(self._ready)

    def cue_keys(self) -> dict[int, str]:
        """The cache key of each page's cue, where it is known (the library checks a
        prepared book's cues are still in the cache by these)."""
        with self._lock:
            return dict(self._cue_keys)

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
                    done = len(self.ready_pages())
                    if done != last and progress is not None:
                        progress(done, total)  # a page that landed since the last count
                    return done
            time.sleep(poll_s)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until no work is queued or running (tests, benchmarks)."""
        end = time.monotonic() + timeout
        self.settings_applied(timeout)  # a settings change first: it queues work
        while time.monotonic() < end:
            a = self._analysis_pool.wait_idle(max(0.0, end - time.monotonic()))
            m = self._music_pool.wait_idle(max(0.0, end - time.monotonic()))
            s = self._standin_pool.wait_idle(max(0.0, end - time.monotonic()))
            if a and m and s and not (self._analysis_pool.busy() or self._music_pool.busy()):
                return True
        return False

    def close(self) -> None:
        self._closed = True
        self._stop_following()
        if self.player is not None:
            self.player.close()
        self._cancel_all("closing")
        self._analysis_pool.close()
        self._music_pool.close()
        self._standin_pool.close()
        for backend in (self.text, self.emotions, self._music, self._standin):
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
        self._standin_pool.cancel_where(lambda j: True, reason)

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


__all__ = [
    "CUE_BUCKETS", "CUE_VERSION", "LOOKAHEAD_S", "PROVISIONAL_PAGES", "QUICK_START_S",
    "RAM_CUES", "Engine", "EngineStats", "Job", "PageInfo", "release_memory",
]  # fmt: skip
