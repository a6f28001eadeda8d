"""The composer in a child process, its audio handed over through shared memory.

The composer is Python and numpy: on the engine's threads it would hold the GIL that
the audio callback needs every block, and late callbacks are audible. In a process of
its own it competes only for the CPU, where it runs nicer than the parent.

Handing a cue back through the result pipe would pickle megabytes of samples and
unpickle them in the parent, copies made while holding the GIL. Instead the child
writes the samples to a file in shared memory (/dev/shm) and sends its path; the
parent maps it, unlinks it at once (the mapping lives until the array does) and uses
the samples in place: no copy in the parent at all.

The child is started with "spawn" (forking a parent with threads is unsafe, and a
fork would share the parent's hundreds of MB): it imports only the settings and the
composer (numpy, scipy, the SoundFont synthesiser), never torch, transformers or Qt.

The child dies with its parent, even a parent killed with SIGKILL: on Linux the kernel
sends it SIGKILL when the parent goes (`prctl(PR_SET_PDEATHSIG)`), and everywhere a
watchdog thread in the child leaves when its parent process id changes (the orphan
was adopted). The kernel's signal follows the *thread* that started the child, so the
child is started from a thread that lives as long as the process (`_spawner`), never
from the caller's, which may be a pool thread that ends while the composer should go on.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np

from ..core.errors import Cancelled, M2MError
from ..core.settings import Settings
from ..music.base import Cue

CHILD_NICE = 10  # the composer yields the CPU to the parent's audio thread
PREFIX = "m2m-cue-"
PARENT_WATCH_S = 0.5  # how often the child checks that its parent is still there
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class _EventToken:
    """A cancel token in the child process, fired by the parent through an mp.Event."""

    def __init__(self, event: Any) -> None:
        self._event = event

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the engine")


_child: dict[str, Any] = {}


def _die_with_parent(parent: int) -> None:
    """Make this process end when `parent` does (see the module docstring)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # it went before the signal was asked for
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_WATCH_S)
        os._exit(1)

    threading.Thread(target=watch, name="m2m-parent-watch", daemon=True).start()


def _child_start(settings: dict[str, Any], event: Any, nice: int, parent: int = 0) -> None:
    from .composer import make_composer

    if parent:
        _die_with_parent(parent)
    # Ctrl-C in a terminal reaches the whole process group: the parent decides what
    # happens (the reader closes, and its composer with it), not a traceback here.
    with contextlib.suppress(ValueError, OSError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        os.nice(nice)
    _child["backend"] = make_composer(Settings(**settings))
    _child["token"] = _EventToken(event)


def _child_info() -> tuple[str, str]:
    from .composer import music_settings_key

    backend = _child["backend"]
    return backend.name, music_settings_key(backend)


def _child_make(request: Any) -> tuple[Cue, str, tuple[int, ...]]:
    """Make the cue; its samples go to a file in shared memory (path and shape returned)."""
    cue = _child["backend"].make_cue(request, _child["token"])
    audio = np.ascontiguousarray(cue.clip.audio, dtype=np.float32)
    fd, path = tempfile.mkstemp(prefix=PREFIX, dir=shm_dir())
    with os.fdopen(fd, "wb") as fh:
        fh.write(audio.tobytes())
    light = replace(cue, clip=replace(cue.clip, audio=np.zeros((0, 2), np.float32)))
    return light, path, audio.shape


def shm_dir() -> str:
    """Where the child leaves samples: RAM-backed /dev/shm on Linux, else the temp dir."""
    return "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()  # noqa: S108


def _receive(result: tuple[Cue, str, tuple[int, ...]]) -> Cue:
    """The cue with its samples mapped from the child's file, which is unlinked at once:
    the mapping lives as long as the array (numpy holds the mmap), then goes."""
    light, path, shape = result
    try:
        with open(path, "r+b") as fh:
            size = int(np.prod(shape)) * 4
            mapped = mmap.mmap(fh.fileno(), size) if size else None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    audio = (
        np.frombuffer(mapped, np.float32).reshape(shape)
        if mapped is not None
        else np.zeros((0, 2), np.float32)
    )
    return replace(light, clip=replace(light.clip, audio=audio))


def _discard(result: Any) -> None:
    """A result nobody will use (its request was cancelled): remove its file."""
    with contextlib.suppress(Exception):
        os.unlink(result[1])


def sweep(older_than_s: float = 600.0) -> None:
    """Remove sample files a crashed session left behind."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(shm_dir()):
            if entry.name.startswith(PREFIX):
                with contextlib.suppress(OSError):
                    if now - entry.stat().st_mtime > older_than_s:
                        os.unlink(entry.path)


# Starts the composer processes: its one thread lives until the interpreter exits, so
# the kernel's parent-death signal comes when the process goes, not when a caller's
# thread ends (ThreadPoolExecutor's threads never retire while idle).
_spawner = ThreadPoolExecutor(1, thread_name_prefix="m2m-composer-start")


class ProcessComposer:
    """The composer in a child process, one cue at a time (see the module docstring).
    Cancelling fires an event the child's cancel token reads. The child ends with the
    process that made it, however that process ends."""

    def __init__(self, settings: Settings, nice: int = CHILD_NICE) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("spawn")  # fork is unsafe in a process with threads
        self._event = ctx.Event()
        public = settings.as_dict(public=True)
        self._pool = ProcessPoolExecutor(
            1,
            mp_context=ctx,
            initializer=_child_start,
            initargs=(public, self._event, nice, os.getpid()),
        )
        self._lock = threading.Lock()
        try:
            # The first submit starts the child, from the spawner's long-lived thread.
            first = _spawner.submit(self._pool.submit, _child_info).result(timeout=120)
            self.name, self._key = first.result(timeout=120)
        except Exception:
            self._pool.shutdown(wait=False, cancel_futures=True)
            raise
        self.renderer = self._key
        sweep()

    def settings_key(self) -> str:
        return self._key

    def child_pids(self) -> list[int]:
        """The child process's id (benchmarks count its memory)."""
        processes = getattr(self._pool, "_processes", None) or {}
        return [p.pid for p in processes.values() if p.pid is not None]

    def make_cue(self, request: Any, cancel: Any) -> Cue:
        from concurrent.futures import TimeoutError as FutureTimeout
        from concurrent.futures.process import BrokenProcessPool

        cancel.check()
        with self._lock:  # one cue at a time, like the device it stands for
            self._event.clear()
            try:
                future = self._pool.submit(_child_make, replace(request, previous=None))
                while True:
                    try:
                        result = future.result(timeout=0.02)
                    except FutureTimeout:
                        if cancel.cancelled:
                            self._event.set()
                            if future.exception(timeout=30) is None:
                                _discard(future.result())  # it finished anyway
                            raise Cancelled(cancel.reason) from None
                        continue
                    return self._receive(result)
            except BrokenProcessPool as exc:
                raise M2MError("The composer's process stopped unexpectedly.") from exc

    def _receive(self, result: Any) -> Cue:
        return _receive(result)

    def close(self) -> None:
        self._event.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
