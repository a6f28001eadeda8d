"""The engine: analysis and music for a book, computed ahead of the reader's cursor.

`Engine` is the facade the UI's bridge, the commands and the tests use (it satisfies
`api.EngineAPI`); it composes the session's parts and owns nothing else:

- `page_table`: what is known of each page, behind one lock, with its generation;
- `lookahead`: the cursor, and how urgent each page is (pure functions);
- `scenes` and `page_work`: a page's scene (provisional, then final) and analysis;
- `cue_maker` and `standins`: cues found in the store, else made, then delivered;
- `planner`: what is queued when, and what a change redoes;
- `scheduler`: the worker pools; `editing`: a person's edits; `replan`: settings
  changes; `backends.choice.LiveMusic`: the music backend and its fallback.

Everything the engine computes goes through the `Store` (the disk cache by default),
keyed by content: reopening a book computes nothing that is cached (`stats` counts
the analysis records and cues really computed). It reports what happens through
`on_event` (see `events`), called from worker threads. It never imports Qt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..analysis.edits import EditStore
from ..analysis.pipeline import Analyzer
from ..analysis.records import Analysis, ScenesResult
from ..analysis.stages import EmotionBackend, TextBackend
from ..api import CueSink, EngineAPI, Player, Progress
from ..backends.choice import LiveMusic, make_emotions, make_text
from ..books.model import Book
from ..core import events as ev
from ..core.cancel import CancelToken
from ..core.heap import release_memory
from ..core.settings import Settings
from ..core.store import Store
from ..cue_recipe import CUE_BUCKETS, CUE_VERSION
from ..music.base import Cue, MusicBackend
from .cue_maker import CueMaker, EngineStats, Outlet
from .editing import Edits, analysis_view
from .lookahead import LOOKAHEAD_S, RAM_CUES, Cursor
from .page_table import PageInfo, PageTable
from .page_work import OpenBook
from .planner import QUICK_START_S, Planner
from .reading_speed import ReadingSpeed
from .replan import Backends, Offline, SettingsFollower
from .scenes import PROVISIONAL_PAGES, Scenes
from .scheduler import Job, Pools
from .standins import Standins

log = logging.getLogger(__name__)

WORKER_NICE = 10  # workers yield the CPU to the audio callback and the UI thread

EventSink = Callable[[ev.Event], None]


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
        text: TextBackend | None = None,
        emotions: EmotionBackend | None = None,
        music: MusicBackend | None = None,
        speed: ReadingSpeed | None = None,
        edits_in_memory: bool = False,
        analysis_threads: int = 2,
        audio: bool = True,
        music_process: bool | None = None,
    ) -> None:
        self._settings = settings or Settings()
        self._closed = False
        self._offline = Offline(self._settings.offline)
        if store is None:
            from ..core.cache import DiskCache

            store = DiskCache(limit_mb=self._settings.cache_limit_mb)
        self.store: Store = store
        self.on_event = on_event
        self.stats = EngineStats()
        self.speed = speed or ReadingSpeed()
        self._edits_in_memory = edits_in_memory
        self._audio = audio
        self._player: Player | None = None
        in_process = not (audio if music_process is None else music_process)
        self._backends = Backends(
            text if text is not None else make_text(self._settings, self._fallback),
            emotions if emotions is not None else make_emotions(self._settings, self._fallback),
            LiveMusic(
                self._settings,
                self._fallback,
                in_process,
                music,
                self._music_failed,
                self._indexing,
            ),  # fmt: skip
        )
        self._pools = Pools(analysis_threads, nice=WORKER_NICE)
        self._table = PageTable()
        self._cursor = Cursor()
        self._outlet = Outlet()
        music_slot = self._backends.music
        self._maker = CueMaker(self.store, music_slot, self._table, self._cursor,
                               self._outlet, self.stats, self._emit, self._pages)  # fmt: skip
        standins = Standins(music_slot, self._pools.standin, self._maker, self._table)
        self._planner = Planner(self._table, self._cursor, self.speed, self._pools, self._maker,
                                standins, music_slot, self._outlet, self.stats, self._emit)  # fmt: skip
        self._edits = Edits(self._planner)
        # Settings changed from now on reach the engine (`replan`).
        self._follower = SettingsFollower(self._settings, self.store, self._backends,
                                          self._planner, self._fallback, self._offline)  # fmt: skip

    # -- the parts, as callers read them --------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def player(self) -> Player | None:
        return self._player

    @property
    def text(self) -> TextBackend:
        return self._backends.text

    @property
    def emotions(self) -> EmotionBackend:
        return self._backends.emotions

    @property
    def music(self) -> MusicBackend:
        """The music backend (waits for it to start)."""
        return self._backends.music.get()

    @property
    def mixer(self) -> CueSink | None:
        return self._outlet.mixer

    @property
    def book(self) -> Book | None:
        work = self._planner.work
        return work.book if work is not None else None

    @property
    def analyzer(self) -> Analyzer | None:
        work = self._planner.work
        return work.analyzer if work is not None else None

    @property
    def edits(self) -> EditStore | None:
        work = self._planner.work
        return work.edits if work is not None else None

    @property
    def cursor(self) -> int:
        return self._cursor.page

    def _pages(self) -> int:
        work = self._planner.work
        return len(work.book) if work is not None else 0

    # -- the book and the cursor ----------------------------------------------------

    def start_audio(self, device: int | str | None = None) -> bool:
        """Play live through sounddevice; False (and one EngineError) with no sound."""
        if self._player is None:
            from ..audio.live import LivePlayer

            player = LivePlayer(self, self._settings, device=device)
            self._player = player
            if not player.start():
                self._emit(ev.EngineError(player.message))
        return self._player.playing

    def open(self, book: Book, page: int = 0) -> None:
        """Start work on `book` with the cursor on `page`."""
        if self._audio and self._player is None:
            self.start_audio()
        self._pools.cancel_all("another book")
        old = self._planner.work
        if old is not None and old.book is not book:
            old.book.close()
        self._outlet.forget(self._table.reset())
        self.stats.reset()
        edits = EditStore.in_memory() if self._edits_in_memory else EditStore(book.fingerprint)
        analyzer = Analyzer(
            book, text=self.text, emotions=self.emotions, store=self.store, edits=edits,
            on_fallback=lambda s, b, m: self._fallback(s, b, "builtin", m),
        )  # fmt: skip
        planner = self._planner

        def final(result: ScenesResult, plan: int) -> None:
            planner.final_done(work, result, plan)

        work = OpenBook(book, analyzer, edits, Scenes(book, analyzer, self._scenes_found, final))
        self._cursor.place(max(0, min(page, len(book) - 1)))
        planner.begin(work)
        self._outlet.turn(self._cursor.page, "jump")
        planner.submit_final_scenes()
        planner.schedule()
        self._edits.watch(lambda: self._closed)  # edits made in a terminal meanwhile

    def _scenes_found(self, backend: str, provisional: bool) -> None:
        analyzer = self.analyzer
        if analyzer is not None:
            self.stats.records(sum(analyzer.computed.values()))
        self._emit(ev.StageDone("scenes", "", backend, provisional=provisional))

    def set_cursor(self, page: int, kind: str = "turn") -> None:
        """The reader moved to `page`: by a page turn ("turn") or elsewhere ("jump")."""
        self._planner.turn(page, kind)

    def attach_mixer(self, mixer: CueSink) -> None:
        """Feed cues and turns to `mixer` (live playback or a test's pull loop)."""
        self._outlet.attach(mixer, self._table.cues(), self._cursor.page)

    # -- what the UI reads ----------------------------------------------------------

    def cue(self, page: int) -> Cue | None:
        """The page's cue if it is ready in memory."""
        return self._table.cue(page)

    def page_info(self, page: int) -> PageInfo | None:
        return self._table.info(page)

    def ready_pages(self) -> set[int]:
        return self._table.ready()

    def cue_keys(self) -> dict[int, str]:
        """The cache key of each page's cue, where it is known (the library checks a
        prepared book's cues are still in the cache by these)."""
        return self._table.keys()

    def analysis(self) -> Analysis | None:
        """The analysis so far: every scene known, every page analysed (others empty)."""
        work = self._planner.work
        if work is None:
            return None
        backends = self._backends.names(self._settings.music)
        return analysis_view(work.book.title, len(work.book), work.scenes.view(),
                             self._table.infos(), backends)  # fmt: skip

    # -- a person's edits -----------------------------------------------------------

    def edit_directive(self, first_page: int, last_page: int, text: str | None) -> None:
        """A person's directive for the scene `first_page..last_page` (None clears it);
        that scene's captions and music are redone."""
        self._edits.directive(first_page, last_page, text)

    def edit_caption(self, page: int, text: str | None) -> None:
        """A person's caption for `page` (None clears it); that page's music is redone."""
        self._edits.caption(page, text)

    def reload_edits(self) -> set[str]:
        """Take in edits another process made to this book (see `editing`)."""
        return self._edits.reload()

    # -- whole book -----------------------------------------------------------------

    def prepare_all(
        self,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
        poll_s: float = 0.1,
    ) -> int:
        """Compute every page's music (for offline reading or export); blocks until done.
        Returns how many pages have music."""
        total = self._pages()
        assert total, "no book is open"
        self._planner.schedule()
        last = -1
        while True:
            done = self._table.ready_count()
            if done != last and progress is not None:
                progress(done, total)
            last = done
            if done >= total or (cancel is not None and cancel.cancelled):
                return done
            if not self._pools.working():
                self._planner.schedule()  # pages that failed or were interrupted
                if not self._pools.working():
                    done = self._table.ready_count()
                    if done != last and progress is not None:
                        progress(done, total)  # a page that landed since the last count
                    return done
            time.sleep(poll_s)

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until no work is queued or running (tests, benchmarks)."""
        end = time.monotonic() + timeout
        self.settings_applied(timeout)  # a settings change first: it queues work
        return self._pools.wait_idle(max(0.0, end - time.monotonic()))

    def settings_applied(self, timeout: float | None = None) -> bool:
        """Block until every settings change so far has reached the engine (tests)."""
        return self._follower.applied(timeout)

    def close(self) -> None:
        self._closed = True
        self._planner.closed = True
        self._follower.close()
        if self._player is not None:
            self._player.close()
        self._pools.cancel_all("closing")
        self._pools.close()
        self._backends.close()
        try:
            self.speed.save()
        except OSError as exc:
            log.warning("could not save the reading speed: %s", exc)
        book = self.book
        if book is not None:
            book.close()
        self._offline.set(False)
        release_memory()

    # -- events and errors ----------------------------------------------------------

    def _emit(self, event: ev.Event) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(event)
        except Exception:  # noqa: BLE001 - a listener must not break the engine
            log.exception("event listener failed on %s", type(event).__name__)

    def _fallback(self, stage: str, backend: str, fallback: str, message: str) -> None:
        self.stats.fallback(f"{stage}: {backend} -> {fallback}")
        self._emit(ev.BackendFallback(stage, backend, fallback, message))

    def _music_failed(self, message: str) -> None:
        self._emit(ev.EngineError(message))

    def _indexing(self, done: int, total: int, what: str) -> None:
        self._emit(ev.Progress(done, total, "music library"))


__all__ = [
    "CUE_BUCKETS", "CUE_VERSION", "LOOKAHEAD_S", "PROVISIONAL_PAGES", "QUICK_START_S",
    "RAM_CUES", "Engine", "EngineStats", "Job", "PageInfo", "release_memory",
]  # fmt: skip

if TYPE_CHECKING:  # mypy checks that the engine has the whole API

    def _is_an_engine(engine: Engine) -> EngineAPI:
        return engine
