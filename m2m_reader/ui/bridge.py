"""The one place where the headless engine meets Qt.

The engine calls `on_event` from its worker threads; `EngineBridge` re-emits each
event as a Qt signal, which Qt queues to the UI thread. Every call *into* the engine
(open, cursor moves, edits, the analysis snapshot, player controls) runs on a
one-thread pool, in order, so the UI thread never waits on disk, network, a model or
an engine lock. Results and errors come back as callbacks on the UI thread; no
exception crosses a thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..engine.api import EngineAPI, Player
from ..engine.books.model import Book
from ..engine.core import events as ev
from ..engine.core import settings as settings_io
from ..engine.core.cancel import CancelToken
from ..engine.core.settings import Settings
from .tasks import Done, Failed, Runner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AudioState:
    """What the live player can do: `sound` False means no device (music is off)."""

    sound: bool
    playing: bool
    message: str  # the device name, or why there is no sound


BATCH_MS = 40  # engine events reach the UI thread in batches at most this often

# Player controls that are settings too: the player keeps them in the settings.
PLAYER_SETTINGS = {"set_volume": "volume", "set_muted": "muted", "set_crossfade": "crossfade_s"}


def _keep_jump(waiting: tuple[Any, ...], newest: tuple[Any, ...]) -> tuple[Any, ...]:
    """Cursor moves merged while the engine was busy: a jump among them makes it a jump
    (the mixer cuts over and far work yields), else it is a turn to the newest page."""
    page, kind = newest
    return (page, "jump" if "jump" in (waiting[1], kind) else kind)


def player_state(engine: EngineAPI) -> AudioState | None:
    """Read the engine's player (on a worker: its attributes are plain reads); None
    while there is no player yet."""
    player = engine.player
    if player is None:
        return None
    output = player.output
    if output.stream is None:
        return AudioState(False, False, player.message or "No sound device.")
    return AudioState(True, player.playing, output.device_name)


def control(player: Player, name: str, args: tuple[Any, ...]) -> None:
    """Run the player control `name` (play, pause, set_volume, set_muted,
    set_crossfade) with `args`; another name is a programming error."""
    if name == "play":
        player.play()
    elif name == "pause":
        player.pause()
    elif name == "set_volume":
        player.set_volume(float(args[0]))
    elif name == "set_muted":
        player.set_muted(bool(args[0]))
    elif name == "set_crossfade":
        player.set_crossfade(float(args[0]))
    else:
        raise ValueError(f"no player control named {name!r}")


class EngineBridge(QObject):
    """Engine events as signals, engine calls off the UI thread.

    Args:
        engine: the engine (anything with `api.EngineAPI`), or None to read without music.
            Pass `bridge.on_event` as the engine's `on_event` callback (or call
            `attach()` after constructing it).
    """

    stageDone = Signal(object)  # events.StageDone
    cueReady = Signal(int, str, bool)  # page, backend, cached
    progress = Signal(int, int, str)  # done, total, what
    fallback = Signal(str, str)  # stage, message
    error = Signal(str)  # a message for the person
    pageError = Signal(int, str)  # page, message
    playing = Signal(int, int)  # page, scene
    analysisChanged = Signal(object)  # an Analysis snapshot (or None)
    settingChanged = Signal(str, object)  # name, value (from whichever thread changed it)
    attached = Signal()  # an engine is now behind the bridge
    _wake = Signal()  # events are waiting (emitted from engine threads)
    audioState = Signal(object)  # an AudioState, after open and after every player call

    def __init__(
        self,
        engine: EngineAPI | None = None,
        settings: Settings | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.settings = settings
        self.save_settings = True  # tests turn this off
        self.ready_pages: set[int] = set()
        self._runner = Runner(threads=1, parent=self)  # calls run in the order made
        self._long = Runner(threads=1, parent=self)  # prepare_all blocks until done
        self._prepare_cancel: CancelToken | None = None
        self._book: Book | None = None
        self._cursor = 0
        self._refresh = QTimer(self, singleShot=True, interval=120)
        self._refresh.timeout.connect(self.refresh_analysis)
        self._fetching = False
        self._fetch_again = False
        self._save = QTimer(self, singleShot=True, interval=400)
        self._save.timeout.connect(self._save_settings)
        self.stageDone.connect(lambda _e: self._refresh.start())
        self.cueReady.connect(lambda page, _b, _c: self.ready_pages.add(page))
        self._unsubscribe = settings.subscribe(self.settingChanged.emit) if settings else None
        self._pending: list[object] = []
        self._pending_lock = threading.Lock()
        self._batch = QTimer(self, singleShot=True, interval=BATCH_MS)
        self._batch.timeout.connect(self._deliver)
        self._wake.connect(self._deliver_later)  # queued: runs on the UI thread

    # Events from the engine (any thread) --------------------------------------------
    def on_event(self, event: object) -> None:
        """The engine's callback: safe to call from any thread.

        Events are queued and handed to the UI thread in batches, at most one batch per
        `BATCH_MS`: the engine sends bursts (several stages and a cue per page) and
        each queued signal costs the UI thread a wake-up and the interpreter lock.
        """
        with self._pending_lock:
            self._pending.append(event)
            wake = len(self._pending) == 1
        if wake:
            self._wake.emit()

    def _deliver_later(self) -> None:
        if not self._batch.isActive():
            self._batch.start()

    def _is_no_sound(self, message: str) -> bool:
        """The player's own "no sound device": the audio state tells it, once and calmly
        (a warning that reading goes on), not as an error."""
        player = self.engine.player if self.engine is not None else None
        return player is not None and bool(player.message) and message == player.message

    def _deliver(self) -> None:
        """Emit a batch: the latest progress and playing, every cue, error and fallback,
        and stage completions (which only ask for one analysis refresh)."""
        with self._pending_lock:
            events, self._pending = self._pending, []
        progress: ev.Progress | None = None
        playing: ev.Playing | None = None
        for event in events:
            if isinstance(event, ev.StageDone):
                self.stageDone.emit(event)
            elif isinstance(event, ev.CueReady):
                self.cueReady.emit(event.page, event.backend, event.cached)
            elif isinstance(event, ev.Progress):
                progress = event
            elif isinstance(event, ev.BackendFallback):
                self.fallback.emit(event.stage, event.message)
            elif isinstance(event, ev.EngineError):
                if event.page is not None:
                    self.pageError.emit(event.page, event.message)
                elif not self._is_no_sound(event.message):
                    self.error.emit(event.message)
            elif isinstance(event, ev.Playing):
                playing = event
        if progress is not None:
            self.progress.emit(progress.done, progress.total, progress.what)
        if playing is not None:
            self.playing.emit(playing.page, playing.scene)

    # Calls into the engine (off the UI thread) -------------------------------------
    def call(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Done | None = None,
        on_error: Failed | None = None,
    ) -> None:
        """Run `fn(*args)` on the bridge's worker; callbacks run on the UI thread.

        Errors without an `on_error` go to the `error` signal.
        """
        self._runner.run(fn, *args, on_done=on_done, on_error=on_error or self.error.emit)

    def attach(self, engine: EngineAPI) -> None:
        """Put an engine behind the bridge (built off the UI thread) and catch it up."""
        self.engine = engine
        self.attached.emit()
        if self._book is not None:
            self.call(engine.open, self._book, self._cursor, on_done=self._opened)

    def open(self, book: Book, page: int = 0) -> None:
        """Start the engine on `book` with the cursor on `page`."""
        self._cancel_prepare()
        self._book, self._cursor = book, page
        self.ready_pages.clear()
        if self.engine is not None:
            self.call(self.engine.open, book, page, on_done=self._opened)

    def _opened(self, _result: Any) -> None:
        self.refresh_analysis()
        self.query_audio()
        if self.engine is not None:
            self.call(self.engine.ready_pages, on_done=self._got_ready)

    def _got_ready(self, pages: set[int]) -> None:
        for page in pages or ():
            if page not in self.ready_pages:
                self.cueReady.emit(page, "", True)

    def set_cursor(self, page: int, kind: str = "turn") -> None:
        self._cursor = page
        if self.engine is None:
            return
        # Turns faster than a busy engine takes them count once, at the newest page.
        self._runner.run_latest(
            "cursor", self.engine.set_cursor, page, kind, on_error=self.error.emit,
            merge=_keep_jump,
        )  # fmt: skip

    def edit_directive(self, first: int, last: int, text: str | None) -> None:
        if self.engine is not None:
            self.call(
                self.engine.edit_directive, first, last, text,
                on_done=lambda _r: self._refresh.start(),
            )  # fmt: skip

    def edit_caption(self, page: int, text: str | None) -> None:
        if self.engine is not None:
            self.call(
                self.engine.edit_caption, page, text, on_done=lambda _r: self._refresh.start()
            )

    def prepare_all(self) -> None:
        """Compute the whole soundtrack in the background, reporting progress."""
        if self.engine is None:
            return
        self._cancel_prepare()
        token = self._prepare_cancel = CancelToken()

        def progress(done: int, total: int) -> None:
            self.progress.emit(done, total, "soundtrack")

        engine = self.engine

        def start(_r: Any) -> None:  # after the calls queued before (the book's open)
            if not token.cancelled:
                self._long.run(engine.prepare_all, progress, token, on_error=self.error.emit)

        self.call(lambda: None, on_done=start)

    def _cancel_prepare(self) -> None:
        if self._prepare_cancel is not None:
            self._prepare_cancel.cancel("stopped")
            self._prepare_cancel = None

    def player(self, name: str, *args: Any) -> None:
        """A player control (play, pause, set_volume, set_muted, set_crossfade), run on
        the worker (starting a stream can take a while); `audioState` follows. Without
        a player yet, volume, mute and crossfade go to the settings it will start from."""
        if self.engine is None:
            if name in PLAYER_SETTINGS:
                self.set_setting(PLAYER_SETTINGS[name], *args)
            return

        def done(state: AudioState | None) -> None:
            if name in PLAYER_SETTINGS:
                self._save.start()  # the player changed the settings: keep them
            self._emit_audio(state)

        self.call(self._player_call, self.engine, self.settings, name, args, on_done=done)

    @staticmethod
    def _player_call(
        engine: EngineAPI, settings: Settings | None, name: str, args: tuple[Any, ...]
    ) -> AudioState | None:
        player = engine.player
        if player is None and name == "play":
            engine.start_audio()  # the person wants music before any book started it
            player = engine.player
        if player is not None:
            control(player, name, args)
        elif name in PLAYER_SETTINGS and settings is not None:
            setattr(settings, PLAYER_SETTINGS[name], *args)  # the player reads them at start
        return player_state(engine)

    def query_audio(self) -> None:
        """Ask the player what it can do; the answer comes as `audioState`."""
        if self.engine is not None:
            self.call(player_state, self.engine, on_done=self._emit_audio)

    def _emit_audio(self, state: AudioState | None) -> None:
        if state is not None:
            self.audioState.emit(state)

    def set_setting(self, name: str, value: Any) -> None:
        """Change a setting on the worker (engine subscribers react there), then save."""
        if self.settings is None:
            return
        self.call(setattr, self.settings, name, value, on_done=lambda _r: self._save.start())

    def update_settings(self, values: dict[str, Any], on_done: Done | None = None) -> None:
        if self.settings is None:
            return

        def done(result: Any) -> None:
            self._save.start()
            if on_done is not None:
                on_done(result)

        self.call(self.settings.update, values, on_done=done)

    def _save_settings(self) -> None:
        if self.settings is not None and self.save_settings:
            self.call(settings_io.save, self.settings)

    def refresh_analysis(self) -> None:
        """Fetch a fresh analysis snapshot; at most one fetch runs at a time."""
        if self.engine is None:
            return
        if self._fetching:
            self._fetch_again = True
            return
        self._fetching = True
        self.call(self.engine.analysis, on_done=self._got_analysis, on_error=self._fetch_failed)

    def _got_analysis(self, analysis: Any) -> None:
        self._fetching = False
        self.analysisChanged.emit(analysis)
        if self._fetch_again:
            self._fetch_again = False
            self.refresh_analysis()

    def _fetch_failed(self, message: str) -> None:
        self._fetching = False
        self.error.emit(message)

    def close(self, wait_ms: int = 3000) -> None:
        """Close the engine (on the worker) and wait a bounded time for it.

        The bridge lets go of it: a book opened afterwards reads without music (a
        closed engine refuses work: "pool analysis is closed"), and an engine attached
        later starts afresh, not on the book the closed one had open (and closed)."""
        self._refresh.stop()
        self._cancel_prepare()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._save.isActive():
            self._save.stop()
            self._save_settings()
        if self.engine is not None:
            self.call(self.engine.close)
        self.engine, self._book = None, None
        self._runner.wait(wait_ms)
        self._long.wait(wait_ms)

    def wait_idle(self, msecs: int = 5000) -> bool:
        """Block until queued calls ran (tests and benchmarks only)."""
        return self._runner.wait(msecs)
