"""The live mixer in C: built once with the system's C compiler, loaded with cffi.

Why: the audio callback of `live.LiveOutput` is Python, so every block it must win
the interpreter lock from the engine's threads, on time, every 21 ms. Under load that
sometimes fails and the device runs dry. Here PortAudio calls `m2m_pa_callback`
(native_mixer.c) directly: the audio thread mixes without Python at all.

`NativeMixer` has `Mixer`'s methods and gives the same samples (the tests compare the
two). Python still prepares cues (`mixer.prepare_audio`) in the caller's thread; a cue
is handed over as a pointer into its numpy array, which Python keeps alive until the
audio thread gives its id back. `NativeStream` opens the PortAudio stream itself,
through cffi's ABI mode on the same PortAudio library sounddevice loaded (so device
indices agree), with the C callback and the mixer as its user data.

Building needs a C compiler (`cc`) and nothing else: no Python headers. The library is
built on first use (or by `python -m m2m_reader.engine.audio.native`, which the
installer runs) beside this file, or in the user cache when that is read-only, under a
name holding the source's hash, so an edited source is rebuilt. With no compiler,
`available()` says why and live playback keeps the Python mixer.
`M2M_READER_NATIVE_MIXER=0` turns it off.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes.util
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import weakref
from collections import deque
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import M2MError
from ..music.base import Cue
from .mixer import TurnKind, has_stinger, prepare_audio

log = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("native_mixer.c")
CFLAGS = ("-O2", "-std=c11", "-fPIC", "-shared", "-ffp-contract=off")
LIBS = ("-lm", "-lpthread")
ABI = 1  # must match M2M_ABI in the source

HEADER = SOURCE.with_name("native_mixer.h")  # the declarations C and cffi share

PA_CDEF = """
typedef int PaError;
typedef int PaDeviceIndex;
typedef unsigned long PaSampleFormat;
typedef unsigned long PaStreamFlags;
typedef double PaTime;
typedef void PaStream;
typedef struct PaStreamParameters {
    PaDeviceIndex device;
    int channelCount;
    PaSampleFormat sampleFormat;
    PaTime suggestedLatency;
    void *hostApiSpecificStreamInfo;
} PaStreamParameters;
typedef struct PaDeviceInfo {
    int structVersion;
    const char *name;
    int hostApi;
    int maxInputChannels;
    int maxOutputChannels;
    PaTime defaultLowInputLatency;
    PaTime defaultLowOutputLatency;
    PaTime defaultHighInputLatency;
    PaTime defaultHighOutputLatency;
    double defaultSampleRate;
} PaDeviceInfo;
PaError Pa_Initialize(void);
PaError Pa_Terminate(void);
const char *Pa_GetErrorText(PaError errorCode);
const PaDeviceInfo *Pa_GetDeviceInfo(PaDeviceIndex device);
PaError Pa_OpenStream(PaStream **stream, const PaStreamParameters *inputParameters,
                      const PaStreamParameters *outputParameters, double sampleRate,
                      unsigned long framesPerBuffer, PaStreamFlags streamFlags,
                      void *streamCallback, void *userData);
PaError Pa_StartStream(PaStream *stream);
PaError Pa_StopStream(PaStream *stream);
PaError Pa_AbortStream(PaStream *stream);
PaError Pa_CloseStream(PaStream *stream);
"""
PA_FLOAT32 = 0x00000001

CMD_CUE, CMD_FORGET, CMD_TURN, CMD_VOLUME, CMD_MUTE, CMD_FADE_OUT, CMD_FADES = range(1, 8)
EVENT_KINDS = {1: "start", 2: "change", 3: "turn", 4: "swap", 5: "loop"}
PRIORITIES = {0: "", 1: "realtime", 2: "nice"}


class NativeUnavailable(M2MError):
    """The C mixer cannot be used here (the reason is the message)."""


# ---- building and loading ----------------------------------------------------------


def library_name() -> str:
    """The built library's file name: the source, flags and platform hashed in it."""
    h = hashlib.sha256(SOURCE.read_bytes() + HEADER.read_bytes())
    h.update(" ".join(CFLAGS + LIBS + (sys.platform,)).encode())
    suffix = ".dll" if sys.platform == "win32" else ".dylib" if sys.platform == "darwin" else ".so"
    return f"m2m_mixer-{h.hexdigest()[:16]}{suffix}"


def build_dirs() -> list[Path]:
    """Where the library may be: beside the source, else the user cache."""
    from ..core.paths import cache_dir

    return [SOURCE.parent / "_native", cache_dir(create=False) / "native"]  # build() makes it


def compiler() -> str | None:
    for name in (os.environ.get("CC", ""), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return name
    return None


def build(dest: Path) -> Path:
    """Compile the library into `dest` (atomically: a half-written one is never loaded)."""
    cc = compiler()
    if cc is None:
        raise NativeUnavailable("no C compiler (install gcc) to build the native mixer")
    dest.mkdir(parents=True, exist_ok=True)
    final = dest / library_name()
    fd, tmp = tempfile.mkstemp(prefix=".build-", suffix=final.suffix, dir=dest)
    os.close(fd)
    try:
        done = subprocess.run(
            [cc, *CFLAGS, "-o", tmp, str(SOURCE), *LIBS],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise NativeUnavailable(
                f"the native mixer did not compile ({cc}): {done.stderr.strip()[-400:]}"
            )
        os.replace(tmp, final)
        for old in dest.glob("m2m_mixer-*"):  # builds of older sources
            if old != final:
                with contextlib.suppress(OSError):
                    old.unlink()
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return final


def find_or_build() -> Path:
    """The library for this source: found, else built where we may write."""
    name = library_name()
    dirs = build_dirs()
    for d in dirs:
        if (d / name).is_file():
            return d / name
    errors = []
    for d in dirs:
        try:
            return build(d)
        except NativeUnavailable:
            raise
        except OSError as exc:  # a read-only install: try the next place
            errors.append(f"{d}: {exc}")
    raise NativeUnavailable("nowhere to build the native mixer: " + "; ".join(errors))


@lru_cache(maxsize=1)
def _load() -> tuple[Any, Any]:
    if os.environ.get("M2M_READER_NATIVE_MIXER", "1") == "0":
        raise NativeUnavailable("turned off (M2M_READER_NATIVE_MIXER=0)")
    try:
        import cffi
    except ImportError:
        raise NativeUnavailable("the cffi package is not installed") from None
    path = find_or_build()
    ffi = cffi.FFI()
    ffi.cdef(HEADER.read_text())
    try:
        lib = ffi.dlopen(str(path))
    except OSError:  # damaged (a disk error, a copy cut short): built again, once
        try:
            path = build(path.parent)
            lib = ffi.dlopen(str(path))
        except OSError as exc:
            raise NativeUnavailable(f"the native mixer did not load: {exc}") from None
    if lib.m2m_abi() != ABI:
        raise NativeUnavailable(f"{path.name} is for another version of m2m-reader")
    return ffi, lib


def load() -> tuple[Any, Any]:
    """(ffi, lib) of the native mixer, or `NativeUnavailable` saying why not."""
    try:
        return _load()
    except NativeUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged library must not stop the reader
        raise NativeUnavailable(f"the native mixer failed to load: {exc}") from None


def available() -> str:
    """ "" when the native mixer can be used, else why not."""
    try:
        load()
    except NativeUnavailable as exc:
        return str(exc)
    return ""


def now() -> float:
    """The clock the native mixer stamps its events and callbacks with (CLOCK_MONOTONIC,
    the same as `time.perf_counter` and `time.monotonic` on Linux)."""
    return float(load()[1].m2m_now())


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
                # Nobody pulls (no stream yet, or paused): apply them here, now.
                self._lib.m2m_drain_now(self._m)
            else:
                return  # the audio thread is behind: it makes room as it plays

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
            "id": cid,
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
        self._lib.m2m_pull(self._m, self._ffi.from_buffer("float[]", out), len(out))

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


# ---- PortAudio calls that may never return ----------------------------------------------
#
# When the sound server goes away under a running stream (JACK killed, PipeWire
# restarted), PortAudio's stop, abort and close wait for it for ever. So they run on a
# daemon thread that the caller waits for a bounded time; a stream that does not stop in
# time is abandoned: it, and everything its callback reads, is kept alive for good (the
# callback must never find freed memory), nothing is called on it again, and PortAudio is
# not terminated at exit (that would wait on the same server). The process then exits.

STOP_TIMEOUT_S = 2.0  # how long stopping or closing a stream may take
_abandoned: list[tuple[Any, ...]] = []  # streams that would not stop, and their data


def within(seconds: float, fn: Any, *args: Any) -> bool:
    """Call `fn(*args)` on a daemon thread; True when it returned within `seconds`
    (its exception, if it raised one, is raised here), False when it is still running."""
    done = threading.Event()
    failed: list[BaseException] = []

    def call() -> None:
        try:
            fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            failed.append(exc)
        finally:
            done.set()

    threading.Thread(target=call, name="m2m-audio-stop", daemon=True).start()
    if not done.wait(seconds):
        return False
    if failed:
        raise failed[0]
    return True


def abandon(*keep: Any) -> None:
    """Keep a stream that would not stop (and what its callback uses) alive for good,
    and take sounddevice's exit handler off: it would stop that stream and terminate
    PortAudio, both of which wait for the server that is gone."""
    _abandoned.append(keep)
    sd = sys.modules.get("sounddevice")
    handler = getattr(sd, "_exit_handler", None)
    if handler is not None:
        atexit.unregister(handler)


def portaudio_stuck() -> bool:
    """True once a stream has been abandoned (see `abandon`)."""
    return bool(_abandoned)


# ---- the stream ---------------------------------------------------------------------

_open_streams: weakref.WeakSet[NativeStream] = weakref.WeakSet()


@lru_cache(maxsize=1)
def _portaudio() -> tuple[Any, Any]:
    import cffi

    from .devices import sounddevice_module

    sd = sounddevice_module()  # PortAudio found (and initialised) the way sounddevice does
    name = getattr(sd, "_libname", None) or ctypes.util.find_library("portaudio")
    if not name:
        raise NativeUnavailable("PortAudio was not found")
    ffi = cffi.FFI()
    ffi.cdef(PA_CDEF)
    return ffi, ffi.dlopen(name)


class NativeStream:
    """A PortAudio output stream whose callback is the native mixer's."""

    def __init__(self, mixer: NativeMixer, device: int, blocksize: int) -> None:
        self.mixer = mixer
        self._ffi, self._pa = _portaudio()
        self._stream: Any = None
        self.active = False
        self.stuck = False  # it would not stop (its server went away): left alone for good
        self.stop_timeout_s = STOP_TIMEOUT_S
        self._control = threading.Lock()  # start, stop and close from any thread
        err = self._pa.Pa_Initialize()
        self._check(err, "initialising PortAudio")
        try:
            info = self._pa.Pa_GetDeviceInfo(device)
            if info == self._ffi.NULL:
                raise NativeUnavailable(f"no device {device}")
            params = self._ffi.new("PaStreamParameters *", {
                "device": device, "channelCount": mixer.channels, "sampleFormat": PA_FLOAT32,
                "suggestedLatency": info.defaultHighOutputLatency,
            })  # fmt: skip
            handle = self._ffi.new("PaStream **")
            err = self._pa.Pa_OpenStream(
                handle, self._ffi.NULL, params, float(mixer.sample_rate), blocksize, 0,
                self._ffi.cast("void *", mixer.callback_address()),
                self._ffi.cast("void *", mixer.address()),
            )  # fmt: skip
            self._check(err, "opening the stream")
            self._stream = handle[0]
        except BaseException:
            self._pa.Pa_Terminate()
            raise
        _open_streams.add(self)

    def _check(self, err: int, doing: str) -> None:
        if err < 0:
            text = self._ffi.string(self._pa.Pa_GetErrorText(err)).decode("utf-8", "replace")
            raise NativeUnavailable(f"{doing}: {text}")

    def start(self) -> None:
        with self._control:
            self._start_locked()

    def _start_locked(self) -> None:
        if self._stream is not None and not self.active:
            with self.mixer._lock:  # no producer is applying commands itself from now on
                self.mixer.pulled_by_stream = True
            try:
                self._check(self._pa.Pa_StartStream(self._stream), "starting the stream")
            except NativeUnavailable:
                self.mixer.pulled_by_stream = False
                raise
            self.active = True

    def stop(self) -> None:
        """Stop the callbacks (PortAudio returns once the last one has ended)."""
        with self._control:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._stream is None or not self.active or self.stuck:
            return
        status: list[int] = []

        def stop() -> None:
            if self._pa.Pa_StopStream(self._stream) < 0:
                status.append(int(self._pa.Pa_AbortStream(self._stream)))
            else:
                status.append(0)

        if not within(self.stop_timeout_s, stop):
            # The server is gone and PortAudio waits for it: leave the stream as it is.
            self.stuck = True
            abandon(self, self.mixer)
            _open_streams.discard(self)
            log.warning(
                "the audio stream did not stop within %.0f s (the sound server is gone?); "
                "it is left behind",
                self.stop_timeout_s,
            )
            return
        if status[0] < 0:
            # The callback may still run: producers must not mix in its place.
            log.warning("the audio stream did not stop")
            return
        self.active = False
        self.mixer.pulled_by_stream = False

    def close(self) -> None:
        """Stop and close the stream; bounded in time (see `within`): a stream whose
        server is gone is abandoned, not waited for."""
        with self._control:
            if self._stream is None or self.stuck:
                return
            self._stop_locked()
            if self.active:  # still running: closing would free what the callback uses
                return
            stream, self._stream = self._stream, None

            def close() -> None:
                self._pa.Pa_CloseStream(stream)
                self._pa.Pa_Terminate()

            if not within(self.stop_timeout_s, close):
                self.stuck = True
                abandon(self, self.mixer, stream)
                log.warning("the audio stream did not close (the sound server is gone?)")
        _open_streams.discard(self)

    def __del__(self) -> None:  # a stream must never outlive its mixer
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110 - interpreter shutdown
            pass


@atexit.register
def _close_all() -> None:
    for s in list(_open_streams):
        s.close()


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
