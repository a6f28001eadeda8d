"""Live playback: one PortAudio output stream whose callback mixes the engine's music.

Two callbacks, one behaviour. The native one (`native.NativeMixer`, C) is used when it
could be built: PortAudio's audio thread mixes without ever taking Python's interpreter
lock, so a busy engine cannot make it late. Otherwise a sounddevice stream calls
`mixer.pull(outdata)` in Python (the `Mixer` of `mixer.py`, which export also uses).
Either callback mixes straight into PortAudio's buffer, allocates no sample buffers,
takes no lock, logs nothing and never touches disk; it counts underruns and keeps its
own duration in a preallocated ring, so a benchmark can check it stays well inside the
block period. Cues and page turns reach the mixer from other threads through its
command queue.

`LivePlayer` wires the pieces: a mixer built from the settings (crossfade length,
volume, mute, followed as they change), attached to the engine, and the stream. With
no audio device it says so in one line and the engine goes on silently.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

import numpy as np

from ..core.settings import Settings
from .devices import AudioUnavailable, pick_output, sounddevice_module
from .mixer import Mixer
from .native import STOP_TIMEOUT_S, NativeMixer, NativeStream, NativeUnavailable, abandon, within

log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
BLOCK = 1024  # frames per callback: 21 ms at 48 kHz
RING = 8192  # callback durations kept
# How long a Python thread may hold the GIL while another waits for it. The audio
# callback is Python: with engine workers busy, it would wait up to CPython's default
# 5 ms per busy thread for the GIL. A shorter interval keeps its wait well inside a
# block, at a small cost in throughput for the workers.
SWITCH_INTERVAL_S = 0.0002
RT_PRIORITY = 10  # SCHED_RR priority asked for the callback thread (below JACK's own)


def scene_fade_s(crossfade_s: float) -> float:
    """The fade at a scene change for the crossfade setting."""
    return max(0.05, crossfade_s)


def page_fade_s(crossfade_s: float) -> float:
    """The fade between pages of one scene: short, a page turn is quick."""
    return max(0.05, min(0.8, crossfade_s))


def set_crossfade(mixer: Mixer | NativeMixer, crossfade_s: float) -> None:
    """A new crossfade length, from the next fade on, while the mixer plays."""
    mixer.set_crossfades(scene_fade_s(crossfade_s), page_fade_s(crossfade_s))


def raise_thread_priority() -> str:
    """Ask the OS to run the calling thread (the audio callback's) before busy ones:
    real-time round robin where the user may (Linux: the audio group's rtprio limit),
    else a lower nice value, else nothing. PortAudio's ALSA host API does the same for
    its own thread; the JACK host API leaves it to a real-time server."""
    try:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(RT_PRIORITY))
        return "realtime"
    except (OSError, AttributeError):
        pass
    try:  # Linux: a thread id is a process id for setpriority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), -5)
        return "nice"
    except (OSError, AttributeError):
        return ""


class LiveOutput:
    """A sounddevice output stream fed by `mixer.pull`.

    Args:
        mixer: the mixer to pull from (its rate is the stream's rate).
        device: the output device (see `devices.pick_output`); None or "" for the default.
        blocksize: frames per callback.
    """

    def __init__(
        self, mixer: Mixer | NativeMixer, device: int | str | None = None, blocksize: int = BLOCK
    ) -> None:
        self.mixer = mixer
        self.device = device
        self.blocksize = blocksize
        self.stream: Any = None
        self.device_name = ""
        self._underruns = 0
        self._callbacks = 0
        self._durations = np.zeros(RING, np.float64)  # seconds, a ring
        self._underrun_times = np.zeros(RING, np.float64)  # perf_counter() of each, a ring
        self._clock = time.perf_counter
        self.priority = ""  # what the callback thread got: "realtime", "nice" or ""
        self._asked_priority = False
        self.stop_timeout_s = STOP_TIMEOUT_S

    @property
    def native(self) -> bool:
        """True when the C callback mixes (no Python on the audio thread)."""
        return isinstance(self.mixer, NativeMixer)

    def start(self) -> None:
        """Open and start the stream; raises `AudioUnavailable` with a clear sentence."""
        sd = sounddevice_module()
        dev = pick_output(self.device)
        if isinstance(self.mixer, NativeMixer):
            try:
                self.stream = NativeStream(self.mixer, dev.index, self.blocksize)
                self.stream.start()
            except NativeUnavailable as exc:
                if self.stream is not None:
                    self.stream.close()
                self.stream = None
                raise AudioUnavailable(
                    f"No sound: {dev.name} could not be opened ({exc})."
                ) from None
            self.device_name = dev.name
            return
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        self._pulled(True)
        try:
            self.stream = sd.OutputStream(
                samplerate=self.mixer.sample_rate,
                blocksize=self.blocksize,
                device=dev.index,
                channels=self.mixer.channels,
                dtype="float32",
                callback=self._callback,
            )
            self.stream.start()
        except Exception as exc:  # noqa: BLE001 - PortAudio raises several types
            self.stream = None
            self._pulled(False)
            raise AudioUnavailable(f"No sound: {dev.name} could not be opened ({exc}).") from None
        self.device_name = dev.name

    def _pulled(self, by_stream: bool) -> None:
        """Tell the Python mixer whether this stream's callback pulls it (the C mixer's
        flag is `NativeStream`'s)."""
        mixer = self.mixer
        if isinstance(mixer, Mixer):
            with mixer._lock:
                mixer.pulled_by_stream = by_stream

    def resume(self) -> None:
        """Start the paused stream again."""
        stream = self.stream
        if stream is None:
            return
        if not isinstance(stream, NativeStream):
            self._pulled(True)
        stream.start()

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        t0 = self._clock()
        if not self._asked_priority:
            self._asked_priority = True
            self.priority = raise_thread_priority()
        if status.output_underflow:
            self._underrun_times[self._underruns % RING] = t0
            self._underruns += 1
        self.mixer.pull(outdata)
        self._durations[self._callbacks % RING] = self._clock() - t0
        self._callbacks += 1

    @property
    def callbacks(self) -> int:
        if isinstance(self.mixer, NativeMixer):
            return self.mixer.callbacks
        return self._callbacks

    @property
    def underruns(self) -> int:
        if isinstance(self.mixer, NativeMixer):
            return self.mixer.underruns
        return self._underruns

    @property
    def callback_priority(self) -> str:
        """What the callback thread got: "realtime", "nice" or ""."""
        if isinstance(self.mixer, NativeMixer):
            return self.mixer.priority
        return self.priority

    @property
    def block_seconds(self) -> float:
        return self.blocksize / self.mixer.sample_rate

    def callback_durations(self) -> np.ndarray:
        """The durations (seconds) of the last callbacks, up to `RING` of them."""
        if isinstance(self.mixer, NativeMixer):
            return self.mixer.callback_durations()
        n = min(self.callbacks, RING)
        return self._durations[:n].copy()

    def underrun_times(self) -> np.ndarray:
        """When (`time.perf_counter()`) the last underruns were noticed, up to `RING`."""
        if isinstance(self.mixer, NativeMixer):
            return self.mixer.underrun_times()
        n = min(self.underruns, RING)
        return self._underrun_times[:n].copy()

    def pause(self) -> None:
        """Stop the callbacks, keeping the stream to start again; bounded in time like
        `stop` (a stream whose server went away is abandoned and closed here)."""
        stream = self.stream
        if stream is None:
            return
        if isinstance(stream, NativeStream):
            stream.stop()
            if stream.stuck:
                self.stream = None
            return
        if not self._bounded(stream.stop):
            self.stream = None
            return  # abandoned: its callback may still run
        self._pulled(False)

    def stop(self) -> None:
        """Stop and close the stream. Never waits for ever: when the sound server has
        gone away under a running stream, PortAudio's stop and close would, so they are
        given `native.STOP_TIMEOUT_S` and then abandoned (see `native.within`)."""
        stream, self.stream = self.stream, None
        if stream is None:
            return
        if isinstance(stream, NativeStream):
            stream.close()
            return

        def stop_and_close() -> None:
            stream.stop()
            stream.close()

        if self._bounded(stop_and_close, stream):
            self._pulled(False)

    def _bounded(self, fn: Any, stream: Any = None) -> bool:
        """Run a stream call with a time limit; False when it had to be abandoned."""
        stream = stream if stream is not None else self.stream
        try:
            if within(self.stop_timeout_s, fn):
                return True
        except Exception as exc:  # noqa: BLE001 - closing must not fail the app
            log.warning("closing the audio stream: %s", exc)
            return True
        abandon(stream, self)  # its callback is this object's bound method
        log.warning(
            "the audio stream did not stop within %.0f s (the sound server is gone?); "
            "it is left behind",
            self.stop_timeout_s,
        )
        return False


def make_mixer(crossfade_s: float, native: bool | None = None) -> Mixer | NativeMixer:
    """The live mixer: the native one when asked or (None) when it is available."""
    scene_s, page_s = scene_fade_s(crossfade_s), page_fade_s(crossfade_s)
    if native is False:
        return Mixer(SAMPLE_RATE, crossfade_scene_s=scene_s, crossfade_page_s=page_s)
    try:
        return NativeMixer(
            SAMPLE_RATE, crossfade_scene_s=scene_s, crossfade_page_s=page_s, stats_ring=RING
        )
    except NativeUnavailable as exc:
        if native:
            raise
        global _said_python
        if not _said_python:
            _said_python = True
            log.info("mixing in Python: %s", exc)
        return Mixer(SAMPLE_RATE, crossfade_scene_s=scene_s, crossfade_page_s=page_s)


_said_python = False


class LivePlayer:
    """The engine's music, playing: mixer + stream + settings.

    Args:
        engine: the `Engine` to attach the mixer to (it feeds cues and turns).
        settings: crossfade length, volume, mute and device.
        device: overrides the settings' device.
        native: mix in C (True), in Python (False), or in C when it is available (None).
    """

    def __init__(
        self,
        engine: Any,
        settings: Settings,
        device: int | str | None = None,
        native: bool | None = None,
    ) -> None:
        self.settings = settings
        self.mixer = make_mixer(settings.crossfade_s, native)
        self.mixer.set_volume(settings.volume)
        self.mixer.mute(settings.muted)
        self.output = LiveOutput(
            self.mixer, device if device is not None else settings.audio_device
        )
        self.message = ""  # why there is no sound, when there is none
        self._unsubscribe = settings.subscribe(self._setting_changed)
        engine.attach_mixer(self.mixer)

    def start(self) -> bool:
        """Start the sound; False (with `message` set, logged once) when there is none."""
        try:
            self.output.start()
        except AudioUnavailable as exc:
            self.message = str(exc)
            log.warning("%s", exc)
            return False
        return True

    @property
    def playing(self) -> bool:
        return self.output.stream is not None and not self.paused

    paused = False

    def pause(self) -> None:
        if self.output.stream is not None and not self.paused:
            self.output.pause()
            self.paused = True

    def play(self) -> None:
        if self.output.stream is not None and self.paused:
            self.output.resume()
            self.paused = False

    def set_volume(self, volume: float) -> None:
        self.settings.volume = volume  # the subscription passes it on

    def set_muted(self, muted: bool) -> None:
        self.settings.muted = muted

    def set_crossfade(self, seconds: float) -> None:
        self.settings.crossfade_s = seconds

    def _setting_changed(self, name: str, value: Any) -> None:
        if name == "volume":
            self.mixer.set_volume(value)
        elif name == "muted":
            self.mixer.mute(value)
        elif name == "crossfade_s":
            set_crossfade(self.mixer, value)
        elif name == "audio_device":
            self.set_device(value)

    def set_device(self, device: int | str | None) -> bool:
        """Play on `device` from now on (see `devices.pick_output`). When it cannot be
        opened, `message` says why and the device that played goes on playing.
        Returns whether `device` plays now."""
        old, paused = self.output.device, self.paused
        self.output.stop()
        self.output.device = device
        try:
            self.output.start()
            self.message = ""
            ok = True
        except AudioUnavailable as exc:
            self.message = str(exc)
            log.warning("%s", exc)
            ok = False
            self.output.device = old
            try:
                self.output.start()
            except AudioUnavailable as again:
                log.warning("%s", again)  # no sound now; the reader goes on
        if paused and self.output.stream is not None:
            self.output.pause()
        return ok

    def close(self) -> None:
        self._unsubscribe()
        if self.playing:
            self.mixer.fade_out(0.05)
            time.sleep(0.08)
        self.output.stop()
