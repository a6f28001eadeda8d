"""Backends chosen by name in the settings, with the built-in one as the fallback.

`make_text`, `make_emotions` and `make_music` build the backend a setting names. One
that cannot start (package or weights missing, no key, offline mode) is reported to
`on_fallback(stage, backend, fallback, message)` in one sentence, and the built-in
backend is returned instead. Model packages are imported only when chosen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from .errors import BackendUnavailable, M2MError
from .settings import Settings

log = logging.getLogger(__name__)

OnFallback = Callable[[str, str, str, str], None]


def _why(exc: BaseException) -> str:
    if isinstance(exc, M2MError):
        return str(exc)
    if isinstance(exc, ImportError):
        return f"a package it needs is not installed ({exc.name or exc})."
    return f"it failed to start ({type(exc).__name__})."


def make_text(settings: Settings, on_fallback: OnFallback) -> Any:
    from .analysis.builtin import BuiltinText

    if settings.text == "openai":
        try:
            from .llm import LLMConfig, OpenAIText

            config = LLMConfig.from_env(
                model=settings.llm_model,
                base_url=settings.llm_base_url or None,
                api_key=settings.api_key() or None,
            )
            return OpenAIText(config, offline=settings.offline)
        except (ImportError, BackendUnavailable, M2MError, ValueError) as exc:
            on_fallback("text", "openai", "builtin", _why(exc))
    return BuiltinText()


def make_emotions(settings: Settings, on_fallback: OnFallback) -> Any:
    from .analysis.builtin import BuiltinEmotions

    if settings.emotions == "clip":
        try:
            from .models.clip_emotions import ClipEmotions, ClipSettings

            return ClipEmotions(ClipSettings(device=settings.device))
        except Exception as exc:  # noqa: BLE001 - any failure to start means the fallback
            on_fallback("emotions", "clip", "builtin", _why(exc))
    return BuiltinEmotions()


def make_composer(settings: Settings) -> Any:
    from .music.composer import Composer

    try:
        return Composer(sample_rate=48000, soundfont=settings.soundfont or "auto")
    except TypeError:  # a composer that takes no SoundFont setting
        return Composer()


def make_music(settings: Settings, on_fallback: OnFallback, in_process: bool = True) -> Any:
    """The music backend the settings name. `in_process=False` runs the composer in a
    child process (live playback: see `ProcessComposer`)."""
    if settings.music == "musicgen":
        try:
            if settings.offline:
                import os

                # Loading from the local Hugging Face cache only: no download attempt.
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ["TRANSFORMERS_OFFLINE"] = "1"
            from .models.musicgen import MusicgenSettings
            from .models.musicgen_backend import MusicgenBackend

            return MusicgenBackend(
                MusicgenSettings(model=settings.musicgen_model, device=settings.device)
            )
        except Exception as exc:  # noqa: BLE001 - any failure to start means the fallback
            on_fallback("music", "musicgen", "composer", _why(exc))
    if not in_process:
        try:
            return ProcessComposer(settings)
        except Exception as exc:  # noqa: BLE001 - the composer still runs in-process
            log.warning("the composer could not start in a process of its own (%s)", exc)
    return make_composer(settings)


class _EventToken:
    """A cancel token in the child process, fired by the parent through an mp.Event."""

    def __init__(self, event: Any) -> None:
        self._event = event

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            from .errors import Cancelled

            raise Cancelled("cancelled by the engine")


_child: dict[str, Any] = {}


def _child_start(settings: dict[str, Any], event: Any, nice: int) -> None:
    import contextlib
    import os

    with contextlib.suppress(OSError, AttributeError):
        os.nice(nice)
    _child["backend"] = make_composer(Settings(**settings))
    _child["token"] = _EventToken(event)


def music_settings_key(music: Any) -> str:
    """What of the music backend's settings changes its audio (for cue keys)."""
    key_fn = getattr(music, "settings_key", None)
    return key_fn() if callable(key_fn) else str(getattr(music, "renderer", ""))


def _child_info() -> tuple[str, str]:
    backend = _child["backend"]
    return backend.name, music_settings_key(backend)


def _child_make(request: Any) -> Any:
    return _child["backend"].make_cue(request, _child["token"])


class ProcessComposer:
    """The composer in a child process, one cue at a time.

    The composer is Python and numpy: on the engine's threads it would hold the GIL
    that the audio callback needs every 21 ms, and late callbacks are audible. In a
    process of its own it competes only for the CPU, where it runs a little nicer.
    Cancelling fires an event the child's cancel token reads.
    """

    def __init__(self, settings: Settings, nice: int = 5) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("spawn")  # fork is unsafe in a process with threads
        self._event = ctx.Event()
        public = settings.as_dict(public=True)
        self._pool = ProcessPoolExecutor(
            1, mp_context=ctx, initializer=_child_start, initargs=(public, self._event, nice)
        )
        self._lock = threading.Lock()
        try:
            self.name, self._key = self._pool.submit(_child_info).result(timeout=120)
        except Exception:
            self._pool.shutdown(wait=False, cancel_futures=True)
            raise
        self.renderer = self._key

    def settings_key(self) -> str:
        return self._key

    def make_cue(self, request: Any, cancel: Any) -> Any:
        from concurrent.futures import TimeoutError as FutureTimeout
        from concurrent.futures.process import BrokenProcessPool
        from dataclasses import replace

        from .errors import Cancelled

        cancel.check()
        with self._lock:  # one cue at a time, like the device it stands for
            self._event.clear()
            try:
                future = self._pool.submit(_child_make, replace(request, previous=None))
                while True:
                    try:
                        return future.result(timeout=0.02)
                    except FutureTimeout:
                        if cancel.cancelled:
                            self._event.set()
                            future.exception(timeout=30)  # the child stops at its next check
                            raise Cancelled(cancel.reason) from None
            except BrokenProcessPool as exc:
                raise M2MError("The composer's process stopped unexpectedly.") from exc

    def close(self) -> None:
        self._event.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
