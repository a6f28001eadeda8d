"""The live mixer in C: built once with the system's C compiler, loaded with cffi.

Why: the audio callback of `live.LiveOutput` is Python, so every block it must win
the interpreter lock from the engine's threads, on time, every 21 ms. Under load that
sometimes fails and the device runs dry. Here PortAudio calls `m2m_pa_callback`
(native_mixer.c) directly: the audio thread mixes without Python at all.

`NativeMixer` has `Mixer`'s methods and gives the same samples (the tests compare the
two). Python still prepares cues (`mixer.prepare_audio`) in the caller's thread; a cue
is handed over as a pointer into its numpy array, which Python keeps alive until the
audio thread gives its id back. `NativeStream` opens the PortAudio stream itself, with
the C callback and the mixer as its user data.

Building and loading: `native_build` (its names are re-exported here); the stream:
`native_stream`.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

import numpy as np

from ..music.base import Cue
from .mixer import TurnKind
from .native_build import (
    ABI,
    HEADER,
    SOURCE,
    NativeUnavailable,
    available,
    build,
    build_dirs,
    compiler,
    find_or_build,
    library_name,
    load,
    now,
)
from .native_stream import STOP_TIMEOUT_S, NativeStream, abandon, portaudio_stuck, within
from .prepared import has_stinger, on_track, prepare_audio

__all__ = [
    "ABI", "HEADER", "SOURCE", "STOP_TIMEOUT_S", "NativeMixer", "NativeStream",
    "NativeUnavailable", "abandon", "available", "build", "build_dirs", "compiler",
    "find_or_build", "library_name", "load", "now", "portaudio_stuck", "within",
]  # fmt: skip

log = logging.getLogger(__name__)

CMD_CUE, CMD_FORGET, CMD_TURN, CMD_VOLUME, CMD_MUTE, CMD_FADE_OUT, CMD_FADES = range(1, 8)
EVENT_KINDS = {1: "start", 2: "change", 3: "turn", 4: "swap", 5: "loop", 6: "continue"}
PRIORITIES = {0: "", 1: "realtime", 2: "nice"}


# ---- the mixer ----------------------------------------------------------------------


class NativeMixer:
    """`Mixer`'s interface, mixed in C. Same arguments as `Mixer`, plus `stats_ring`:
    how many callbacks' figures (duration, start time, underruns) are kept."""

    def __init__(
        self,
        sample_rate: int = 48000,
        channels: int = 2,
        crossfade_scene_s: float = 3.0,
        crossfade_page_s: float = 0.8,
        crossfade_swap_s: float = 0.12,
        start_fade_s: float = 0.05,
        volume_ramp_s: float = 0.03,
        max_block: int = 8192,
        voices: int = 8,
        record_events: bool = False,
        stats_ring: int = 8192,
        rt_priority: int = 10,
    ) -> None:
        self._ffi, self._lib = load()
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        ptr = self._lib.m2m_mixer_new(self.sample_rate, self.channels, int(max_block),
                                      int(voices), int(stats_ring))  # fmt: skip
        if ptr == self._ffi.NULL:
            raise MemoryError("the native mixer could not allocate its buffers")
        self._m = self._ffi.gc(ptr, self._lib.m2m_mixer_free)
        self._record = bool(record_events)
        self._lib.m2m_configure(self._m, 1 if record_events else 0, int(rt_priority))
        # Serialises the threads that send commands or take back released cues and
        # events (each ring has one writer and one reader); the audio thread never takes it.
        self._lock = threading.Lock()
        self._live: dict[int, tuple[Any, np.ndarray]] = {}  # cue id -> (struct, audio)
        self._ids = 0
        self._events: list[tuple[int, str, int]] = []
        self._event_times: list[float] = []
        self._waiting: deque[Any] = deque()  # commands the full ring had no room for
        self._released = self._ffi.new("int32_t[]", 4096)
        self._event_buf = self._ffi.new("m2m_event[]", 4096)
        self.pulled_by_stream = False  # set by NativeStream while a stream is running
        rate = self.sample_rate
        self.crossfade_scene = max(1, round(crossfade_scene_s * rate))
        self._fades(
            scene=self.crossfade_scene,
            page=max(1, round(crossfade_page_s * rate)),
            swap=max(1, round(crossfade_swap_s * rate)),
            start=max(1, round(start_fade_s * rate)),
            ramp=max(1, round(volume_ramp_s * rate)),
        )

    # ---- any thread -------------------------------------------------------------

    def _push(self, what: int, **fields: Any) -> None:
        """Send a command. Never blocks: when the ring is full, the commands wait here,
        in order, for the next send (or `collect`) to find room."""
        cmd = self._ffi.new("m2m_cmd *", {"type": what, "at": -1, **fields})
        with self._lock:
            self._waiting.append(cmd)
            self._flush_locked()

    def _flush_locked(self) -> None:
        while self._waiting:
            if self._lib.m2m_push(self._m, self._waiting[0]):
                self._waiting.popleft()
            elif not self.pulled_by_stream:
                self._lib.m2m_drain_now(self._m)
            else:
                return  # the audio thread is behind: it makes room as it plays
        if not self.pulled_by_stream:
            # Nobody pulls (no sound device, paused, or a caller's `pull` to come):
            # apply them here, now, as the next pull would. Left in the ring, a cue
            # replaced or forgotten stays alive until the ring is full: with the
            # engine's cues that was ~340 of them, 2.5 GB, at fast page turns.
            self._lib.m2m_drain_now(self._m)

    def _fades(self, scene: int = 0, page: int = 0, swap: int = 0, start: int = 0,
               ramp: int = 0) -> None:  # fmt: skip
        self._push(CMD_FADES, a=scene, b=page, c=swap, value=float(start), flag=ramp)

    def set_crossfades(self, scene_s: float, page_s: float) -> None:
        """New scene-change and page-turn crossfades, from the next fade on."""
        self.crossfade_scene = max(1, round(scene_s * self.sample_rate))
        self._fades(scene=self.crossfade_scene, page=max(1, round(page_s * self.sample_rate)))

    def set_cue(self, page: int, cue: Cue) -> None:
        self.collect()
        # (n, channels) float32, C-contiguous: exactly what the C side reads
        audio, ls, le, bar = prepare_audio(cue, self.sample_rate, self.channels)
        # Read one sample per page here, so the audio thread never faults a page in (a
        # composer's cue arrives mapped from shared memory, untouched in this process).
        if audio.size:
            audio.reshape(-1)[:: 4096 // audio.itemsize].sum()
        with self._lock:
            self._ids += 1
            cid = self._ids
        struct = self._ffi.new("m2m_cue *", {
            "audio": self._ffi.cast("const float *", audio.ctypes.data),
            "loop_start": ls, "loop_end": le, "bar": bar, "page": int(cue.page),
            "scene": int(cue.scene), "continues": 2 if has_stinger(cue) else 1 if cue.joins == "continue" else 0,
            "id": cid, "on_track": 1 if on_track(cue) else 0,
        })  # fmt: skip
        self._live[cid] = (struct, audio)
        self._push(CMD_CUE, page=int(page), cue=struct)

    def forget(self, page: int) -> None:
        self._push(CMD_FORGET, page=int(page))

    def turn(self, page: int, kind: TurnKind = "turn", at: int | None = None) -> None:
        self.collect()
        self._push(CMD_TURN, page=int(page), kind=1 if kind == "jump" else 0,
                   at=-1 if at is None else int(at))  # fmt: skip

    def set_volume(self, volume: float) -> None:
        self._push(CMD_VOLUME, value=float(max(0.0, volume)))

    def mute(self, muted: bool = True) -> None:
        self._push(CMD_MUTE, flag=1 if muted else 0)

    def fade_out(self, seconds: float, at: int | None = None) -> None:
        self._push(CMD_FADE_OUT, a=max(1, round(seconds * self.sample_rate)),
                   at=-1 if at is None else int(at))  # fmt: skip

    def collect(self) -> None:
        """Free the cues the audio thread has let go of."""
        with self._lock:
            self._flush_locked()
            while True:
                n = self._lib.m2m_take_released(self._m, self._released, 4096)
                for i in range(n):
                    self._live.pop(int(self._released[i]), None)
                if n < 4096:
                    break

    @property
    def held_cues(self) -> int:
        """Cues whose audio the C side may still read (kept alive here)."""
        self.collect()
        return len(self._live)

    @property
    def clock(self) -> int:
        return int(self._lib.m2m_clock(self._m))

    @property
    def finished(self) -> bool:
        return bool(self._lib.m2m_finished(self._m))

    @property
    def record_events(self) -> bool:
        return self._record

    @property
    def events(self) -> list[tuple[int, str, int]]:
        """(sample, kind, page) of crossfades and loop seams so far (record_events)."""
        self._take_events()
        return list(self._events)

    def event_times(self) -> list[tuple[float, str, int]]:
        """(time, kind, page): when the callback that made each event began (`now()`)."""
        self._take_events()
        return [(t, k, p) for t, (_, k, p) in zip(self._event_times, self._events, strict=True)]

    def _take_events(self) -> None:
        with self._lock:
            self._take_events_locked()

    def _take_events_locked(self) -> None:
        while True:
            n = self._lib.m2m_take_events(self._m, self._event_buf, 4096)
            for i in range(n):
                e = self._event_buf[i]
                self._events.append((int(e.clock), EVENT_KINDS.get(e.kind, "?"), int(e.page)))
                self._event_times.append(float(e.t))
            if n < 4096:
                break

    # ---- the audio side, for tests and offline use ---------------------------------

    def pull(self, out: np.ndarray) -> None:
        """Fill `out` ((n, channels) float32, C-contiguous) with the next n samples."""
        if out.dtype != np.float32 or not out.flags.c_contiguous or out.shape[1] != self.channels:
            raise ValueError("out must be a C-contiguous (n, channels) float32 array")
        buf = self._ffi.from_buffer("float[]", out)
        if self.pulled_by_stream:  # the stream's thread pulls too: never here then
            self._lib.m2m_pull(self._m, buf, len(out))
            return
        with self._lock:  # producers apply commands themselves while no stream runs
            self._lib.m2m_pull(self._m, buf, len(out))

    # ---- the callback's figures ------------------------------------------------------

    def _stats(self, which: int, count: int) -> np.ndarray:
        out = np.zeros(max(count, 0), np.float64)
        if count <= 0:
            return out
        n = self._lib.m2m_stats(self._m, which, self._ffi.from_buffer("double[]", out), count)
        return out[:n]

    @property
    def callbacks(self) -> int:
        return int(self._lib.m2m_callbacks(self._m))

    @property
    def underruns(self) -> int:
        return int(self._lib.m2m_underruns(self._m))

    def callback_durations(self) -> np.ndarray:
        return self._stats(0, self.callbacks)

    def callback_starts(self) -> np.ndarray:
        return self._stats(1, self.callbacks)

    def underrun_times(self) -> np.ndarray:
        return self._stats(2, self.underruns)

    @property
    def first_audible(self) -> float | None:
        """When (`now()`) the first callback with sound in it began, or None."""
        t = float(self._lib.m2m_first_audible(self._m))
        return t if t > 0 else None

    @property
    def priority(self) -> str:
        return PRIORITIES.get(int(self._lib.m2m_priority(self._m)), "")

    def callback_address(self) -> int:
        return int(self._ffi.cast("uintptr_t", self._ffi.addressof(self._lib, "m2m_pa_callback")))

    def address(self) -> int:
        return int(self._ffi.cast("uintptr_t", self._m))


def main() -> None:
    """Build the native mixer now (the installer runs this); print where it is."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        path = find_or_build()
        load()
    except NativeUnavailable as exc:
        print(f"native mixer: not built ({exc}); live playback will use the Python mixer")
        return
    print(f"native mixer: {path}")


if __name__ == "__main__":
    main()
