"""Test doubles shipped with the engine, as Quod Libet ships its null backend.

For tests, benchmarks and trying the UI without a model or a sound card:

- `FakeMusic`: a quick music backend (a quiet sine per page, pitched by scene) that
  counts its calls, can be slow (`delay`) or broken (`fail`), and stops when cancelled;
- `RecordingMixer`: takes the engine's cues and turns and keeps them (an `api.CueSink`);
- `NullStream` and `null_sounddevice()`: a `sounddevice` stand-in with no device
  behind it: its output stream calls the callback from a thread of its own in fixed
  blocks, as PortAudio does, and keeps what the callback wrote;
- `FakePlayer` and `FakeEngine`: the live player and the engine (`api.Player`,
  `api.EngineAPI`) recording every call, for the UI's tests.
"""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .analysis.records import Analysis
from .api import CueSink, EngineAPI, EventSink, Player, Progress
from .books.model import Book
from .core.cancel import CancelToken
from .core.errors import BackendUnavailable
from .core.settings import Settings
from .core.store import MemoryStore, Store
from .music.base import Clip, Cue, CueRequest, MusicPlan
from .session.page_table import PageInfo

RATE = 8000  # the fake music's sample rate: small cues, quick tests


class FakeMusic:
    """Makes a quiet sine per page (pitch by scene); `delay` seconds per cue."""

    name = "fake"

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.calls: list[int] = []
        self.requests: list[CueRequest] = []
        self.delay = delay
        self.fail = fail
        self.interrupted: list[int] = []
        self._lock = threading.Lock()

    def settings_key(self) -> str:
        return "fake-1"

    def make_cue(self, request: CueRequest, cancel: CancelToken) -> Cue:
        cancel.check()
        if self.fail:
            raise BackendUnavailable("The fake backend cannot start.")
        with self._lock:
            self.calls.append(request.page)
            self.requests.append(request)
        end = time.monotonic() + self.delay
        while time.monotonic() < end:
            if cancel.cancelled:
                self.interrupted.append(request.page)
            cancel.check()
            time.sleep(0.002)
        n = int(request.seconds * RATE)
        t = np.arange(n) / RATE
        audio = (0.2 * np.sin(2 * np.pi * (220 + 20 * request.scene) * t)).astype(np.float32)
        clip = Clip(audio, RATE, bar_samples=RATE)
        return Cue(request.page, request.scene, clip, MusicPlan(), request.joins, self.name)


class RecordingMixer:
    """Keeps the cues it is given and the turns it is told of."""

    def __init__(self) -> None:
        self.cues: dict[int, Cue] = {}
        self.turns: list[tuple[int, str]] = []
        self.forgotten: list[int] = []

    def set_cue(self, page: int, cue: Cue) -> None:
        self.cues[page] = cue

    def forget(self, page: int) -> None:
        self.forgotten.append(page)
        self.cues.pop(page, None)

    def turn(self, page: int, kind: str = "turn", at: float | None = None) -> None:
        self.turns.append((page, kind))


Callback = Callable[[np.ndarray, int, Any, Any], None]  # sounddevice's stream callback


class NullStream:
    """A `sounddevice.OutputStream` with no device: calls the callback from its own
    thread with fixed-size blocks (at most `max_blocks`), as fast as it can, and keeps
    the blocks it wrote."""

    underflow_every = 0  # report an underflow every n blocks (0: never)
    max_blocks = 400
    last: NullStream | None = None  # the stream made last (tests look at it)

    def __init__(
        self,
        samplerate: float,
        blocksize: int,
        device: int | str | None,
        channels: int,
        dtype: str,
        callback: Callback,
    ) -> None:
        self.callback, self.blocksize, self.channels = callback, blocksize, channels
        self.device = device
        self.blocks: list[np.ndarray] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        NullStream.last = self

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set() and n < self.max_blocks:
            out = np.full((self.blocksize, self.channels), np.nan, np.float32)
            status = types.SimpleNamespace(
                output_underflow=bool(self.underflow_every and n % self.underflow_every == 0)
            )
            self.callback(out, self.blocksize, None, status)
            self.blocks.append(out)
            n += 1

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def close(self) -> None:
        pass


def null_sounddevice(
    devices: tuple[tuple[str, int], ...] = (("Fake Out", 0),),
    apis: tuple[str, ...] = ("Fake API",),
    default: int = 0,
) -> types.ModuleType:
    """A `sounddevice` module with these (name, host API index) output devices, whose
    streams are `NullStream`s (put it in `sys.modules["sounddevice"]`)."""
    mod = types.ModuleType("sounddevice")
    mod.__dict__.update(
        OutputStream=NullStream,
        query_devices=lambda: [
            {"name": name, "max_output_channels": 2, "hostapi": api, "default_samplerate": 48000.0}
            for name, api in devices
        ],  # fmt: skip
        query_hostapis=lambda: [{"name": name} for name in apis],
        default=types.SimpleNamespace(device=(-1, default)),
    )
    return mod


Call = tuple[object, ...]


class FakeOutput:
    """An output stream's face (`api.AudioOutput`): a stream, or none without sound."""

    def __init__(self, sound: bool) -> None:
        self.stream: object | None = object() if sound else None
        self.device_name = "Test speakers" if sound else ""


class FakePlayer:
    """The live player's controls (`api.Player`), recording calls on its engine."""

    def __init__(self, record: Callable[..., None], sound: bool = True) -> None:
        self._record = record
        self.sound = sound
        self.output = FakeOutput(sound)
        self.message = "" if sound else "No sound: this computer has no audio output device."
        self.paused = False
        self.volume: float | None = None
        self.crossfade: float | None = None
        self.muted = False
        self.closed = False

    @property
    def playing(self) -> bool:
        return self.sound and not self.paused and not self.closed

    def play(self) -> None:
        self._record("play")
        self.paused = False

    def pause(self) -> None:
        self._record("pause")
        self.paused = True

    def set_volume(self, volume: float) -> None:
        self._record("set_volume", volume)
        self.volume = volume

    def set_muted(self, muted: bool) -> None:
        self._record("set_muted", muted)
        self.muted = muted

    def set_crossfade(self, seconds: float) -> None:
        self._record("set_crossfade", seconds)
        self.crossfade = seconds

    def close(self) -> None:
        self.closed = True


class FakeEngine:
    """The engine's API (`api.EngineAPI`) with every call recorded in `calls`, no work
    done: music is "ready" for each page the cursor visits. Subclass it to add what a
    test needs (an analysis, events)."""

    def __init__(
        self,
        settings: Settings | None = None,
        on_event: EventSink | None = None,
        player: Player | None = None,
    ) -> None:
        self.on_event: EventSink | None = on_event or (lambda e: None)
        self.store: Store = MemoryStore()
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self.book: Book | None = None
        self._settings = settings or Settings()
        self._player = player
        self._cursor = 0
        self._ready: set[int] = set()
        self.mixer: CueSink | None = None

    def _record(self, *call: object) -> None:
        with self.lock:
            self.calls.append(call)

    def names(self) -> list[str]:
        with self.lock:
            return [str(c[0]) for c in self.calls]

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def player(self) -> Player | None:
        return self._player

    @player.setter
    def player(self, player: Player | None) -> None:
        self._player = player

    @property
    def cursor(self) -> int:
        return self._cursor

    def open(self, book: Book, page: int = 0) -> None:
        self._record("open", book.title, page)
        self.book, self._cursor = book, page
        self._ready.add(page)

    def set_cursor(self, page: int, kind: str = "turn") -> None:
        self._record("set_cursor", page, kind)
        self._cursor = page
        self._ready.add(page)

    def close(self) -> None:
        self._record("close")

    def cue(self, page: int) -> Cue | None:
        return None

    def page_info(self, page: int) -> PageInfo | None:
        return None

    def ready_pages(self) -> set[int]:
        return set(self._ready)

    def cue_keys(self) -> dict[int, str]:
        return {}

    def analysis(self) -> Analysis | None:
        return None

    def edit_directive(self, first_page: int, last_page: int, text: str | None) -> None:
        self._record("edit_directive", first_page, last_page, text)

    def edit_caption(self, page: int, text: str | None) -> None:
        self._record("edit_caption", page, text)

    def reload_edits(self) -> set[str]:
        return set()

    def prepare_all(
        self,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
        poll_s: float = 0.1,
    ) -> int:
        self._record("prepare_all")
        return len(self._ready)

    def start_audio(self, device: int | str | None = None) -> bool:
        self._record("start_audio", device)
        return self._player is not None and self._player.playing

    def attach_mixer(self, mixer: CueSink) -> None:
        self.mixer = mixer

    def wait_idle(self, timeout: float = 60.0) -> bool:
        return True

    def settings_applied(self, timeout: float | None = None) -> bool:
        return True


__all__ = [
    "RATE", "FakeEngine", "FakeMusic", "FakeOutput", "FakePlayer", "NullStream", "RecordingMixer",
    "null_sounddevice",
]  # fmt: skip

if TYPE_CHECKING:  # mypy checks that the doubles have the whole API

    def _is_an_engine(engine: FakeEngine) -> EngineAPI:
        return engine

    def _is_a_player(player: FakePlayer) -> Player:
        return player

    def _is_a_sink(mixer: RecordingMixer) -> CueSink:
        return mixer
