"""The PortAudio output stream whose callback is the native mixer's own C function.

`NativeStream` opens the stream through cffi's ABI mode on the same PortAudio library
sounddevice loaded (so device indices agree), with the C callback and the mixer as its
user data: the audio thread mixes without Python at all.
"""

from __future__ import annotations

import atexit
import ctypes.util
import logging
import sys
import threading
import weakref
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .native_build import NativeUnavailable

if TYPE_CHECKING:
    from .native import NativeMixer

log = logging.getLogger(__name__)

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
