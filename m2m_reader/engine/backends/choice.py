"""Backends chosen by name in the settings, with the built-in one as the fallback.

`make_text`, `make_emotions` and `make_music` build the backend a setting names (the
text backend carries the `transcript` setting's source with it: see `make_transcript`). One
that cannot start (package or weights missing, no key, offline mode) is reported to
`on_fallback(stage, backend, fallback, message)` in one sentence, and the built-in
backend is returned instead. Model packages are imported only when chosen.

`BUILT_FROM` says which settings each backend is made from, and `signatures()` what of
them matters now (the LLM's model while the text stages are built-in does not): a
running engine rebuilds a backend when its signature changes, and redoes only what that
backend made (see `Engine`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ..analysis.stages import EmotionBackend, TextBackend
from ..core.errors import BackendUnavailable, M2MError
from ..core.settings import Settings
from ..music.base import MusicBackend
from .composer import make_composer, music_settings_key
from .music_process import ProcessComposer

log = logging.getLogger(__name__)

__all__ = [
    "BUILT_FROM", "STANDIN_FOR", "LiveMusic", "ProcessComposer", "close_backend",
    "composer_settings", "explain", "make_composer",
    "make_emotions", "make_music", "make_text", "music_settings_key", "signatures",
]  # fmt: skip

OnFallback = Callable[[str, str, str, str], None]

# The settings each backend is made from. "offline": the OpenAI backend refuses to
# start in offline mode; "llm_timeout" where the settings have it.
BUILT_FROM: dict[str, tuple[str, ...]] = {
    "text": (
        "text",
        "llm_base_url",
        "llm_model",
        "llm_api_key",
        "llm_timeout",
        "offline",
        "transcript",
        "device",
    ),
    "emotions": ("emotions", "device"),
    "music": (
        "music",
        "musicgen_model",
        "device",
        "soundfont",
        "music_dir",
        "music_ranker",
        "clap_model",
    ),
}


def signatures(settings: Settings) -> dict[str, tuple[Any, ...]]:
    """Per backend, what of the settings it would be built from now: the same signature,
    the same backend. Held in memory only (the text one holds the API key)."""
    models = settings.transcript in ("manga-ocr", "magi")
    text: tuple[Any, ...] = ("builtin", settings.transcript, settings.device if models else None)
    if settings.text == "openai" or settings.transcript == "openai":
        text = (*(getattr(settings, n, None) for n in BUILT_FROM["text"]), settings.api_key())
    emotions: tuple[Any, ...] = ("builtin",)
    if settings.emotions == "clip":
        emotions = ("clip", settings.device)
    music: tuple[Any, ...] = ("composer", settings.soundfont)  # the stand-in uses it too
    if settings.music == "musicgen":
        music = ("musicgen", settings.musicgen_model, settings.device, settings.soundfont)
    elif settings.music == "library":
        music = ("library", settings.music_dir, settings.music_ranker, settings.clap_model,
                 settings.device, settings.soundfont)  # fmt: skip
    return {"text": text, "emotions": emotions, "music": music}


def explain(exc: BaseException) -> str:
    """What a person reads about `exc`: its sentence, and a `BackendUnavailable`'s longer
    explanation after it (what to install, where the weights go)."""
    if isinstance(exc, M2MError):
        detail = getattr(exc, "detail", "")
        text = str(exc)
        return f"{text} {detail}" if detail and detail not in text else text
    return f"internal error: {exc!r}"


def _why(exc: BaseException) -> str:
    if isinstance(exc, M2MError):
        return explain(exc)
    if isinstance(exc, ImportError):
        return f"a package it needs is not installed ({exc.name or exc})."
    return f"it failed to start ({type(exc).__name__})."


def _openai_text(settings: Settings) -> TextBackend:
    from ..llm import LLMConfig, OpenAIText

    config = LLMConfig.from_env(
        model=settings.llm_model,
        base_url=settings.llm_base_url or None,
        api_key=settings.api_key() or None,
        timeout=getattr(settings, "llm_timeout", None),
    )
    return OpenAIText(config, offline=settings.offline)


def make_text(settings: Settings, on_fallback: OnFallback) -> TextBackend:
    """The text backend, with the transcript source the `transcript` setting names hung
    on it as `transcript_source` (see `analysis.transcript_source`)."""
    from ..analysis.builtin import BuiltinText

    text: TextBackend | None = None
    if settings.text == "openai":
        try:
            text = _openai_text(settings)
        except (ImportError, BackendUnavailable, M2MError, ValueError) as exc:
            on_fallback("text", "openai", "builtin", _why(exc))
    if text is None:
        text = BuiltinText()
    source = make_transcript(settings, on_fallback, text)
    if source is not None:
        # Read back by `analysis.transcript_source`; no stage protocol names it.
        setattr(text, "transcript_source", source)  # noqa: B010
    return text


def make_transcript(
    settings: Settings, on_fallback: OnFallback, text: TextBackend | None = None
) -> TextBackend | None:
    """The transcript source for pages without annotations, or None for the text
    backend's own ("auto"). A model that cannot start falls back to the built-in reader."""
    from ..analysis.transcript_source import ReaderTranscript

    choice = settings.transcript
    if choice == "auto":
        return None
    if choice == "openai" and getattr(text, "name", "") == "openai":
        return None  # the text backend is the vision LLM already
    try:
        if choice == "openai":
            return _openai_text(settings)
        if choice == "manga-ocr":
            from ..models.manga_ocr import MangaOcr
            from ..reading import PageReader

            return ReaderTranscript("manga-ocr", PageReader(ocr=MangaOcr(device=settings.device)))
        if choice == "magi":
            from ..models.magi import MagiReader

            return ReaderTranscript("magi", MagiReader(device=settings.device))
    except Exception as exc:  # noqa: BLE001 - any failure to start means the fallback
        on_fallback("transcript", choice, "builtin", _why(exc))
    return ReaderTranscript("builtin")


def make_emotions(settings: Settings, on_fallback: OnFallback) -> EmotionBackend:
    from ..analysis.builtin import BuiltinEmotions

    if settings.emotions == "clip":
        try:
            from ..models.clip_emotions import ClipEmotions, ClipSettings

            return ClipEmotions(ClipSettings(device=settings.device))
        except Exception as exc:  # noqa: BLE001 - any failure to start means the fallback
            on_fallback("emotions", "clip", "builtin", _why(exc))
    return BuiltinEmotions()


def make_music(
    settings: Settings,
    on_fallback: OnFallback,
    in_process: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> MusicBackend:
    """The music backend the settings name. `in_process=False` runs the composer in a
    child process (live playback: see `ProcessComposer`). `progress(done, total, what)`
    hears of long starts: a music library's folder indexed track by track."""
    if settings.music == "musicgen":
        try:
            # Local files only (load_musicgen); in offline mode the Hub variables are set
            # by offline mode itself (engine.core.offline), not here for the process.
            from ..models.musicgen import MusicgenSettings
            from ..models.musicgen_backend import MusicgenBackend

            return MusicgenBackend(
                MusicgenSettings(model=settings.musicgen_model, device=settings.device)
            )
        except Exception as exc:  # noqa: BLE001 - any failure to start means the fallback
            on_fallback("music", "musicgen", "composer", _why(exc))
    elif settings.music == "library":
        try:
            from ..musiclib import index_folder, make_library

            if progress is not None:  # the backend's own scan then finds nothing to do
                index_folder(settings.music_dir, progress)
            return make_library(
                settings.music_dir, settings.music_ranker, settings.clap_model,
                device=settings.device,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - any failure to start means the fallback
            on_fallback("music", "library", "composer", _why(exc))
    if not in_process:
        try:
            return ProcessComposer(settings)
        except Exception as exc:  # noqa: BLE001 - the composer still runs in-process
            log.warning(
                "the composer could not start in a process of its own (%s)",
                str(exc) or type(exc).__name__,
            )
    return make_composer(settings)


def close_backend(backend: object) -> None:
    """Close a backend that has a `close()`; a failure is logged, never raised."""
    close = getattr(backend, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # noqa: BLE001 - closing must not fail the caller
            log.exception("closing %s failed", getattr(backend, "name", backend))


def composer_settings(settings: Settings) -> Settings:
    """A copy of `settings` that names the composer as the music backend."""
    composer = Settings(**settings.as_dict(public=False))
    composer.music = "composer"
    return composer


STANDIN_FOR = frozenset({"musicgen"})  # backends whose cues wait for a composer stand-in


class LiveMusic:
    """A live session's music backend, and the composer that stands in for it.

    The backend can take seconds to start (a SoundFont to parse, a model to load): with
    none given it starts on a thread of its own, and `get()` waits for it. A backend
    slower than real time (`STANDIN_FOR`) gets the composer as its stand-in, started on
    first need (`standin()`). When the chosen backend fails for good, `fall_back()` puts
    the composer in its place for the session and says so to `on_fallback`.

    Args:
        settings: what to build (and rebuild) from.
        on_fallback: told of each backend that could not start or failed.
        in_process: False runs the composer in a child process (live playback).
        backend: the backend to use instead of the one the settings name.
        on_error: told in one sentence when no music backend could start at all.
    """

    def __init__(
        self,
        settings: Settings,
        on_fallback: OnFallback,
        in_process: bool = True,
        backend: MusicBackend | None = None,
        on_error: Callable[[str], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
    ) -> None:
        self.settings = settings
        self._on_progress = on_progress
        self.in_process = in_process
        self._on_fallback = on_fallback
        self._on_error = on_error
        self._lock = threading.Lock()
        self._standin_lock = threading.Lock()  # starting a stand-in takes a second
        self._backend = backend
        self._standin: MusicBackend | None = None
        self._standin_failed = False
        self._started = threading.Event()
        if backend is not None:
            self._started.set()
        else:
            threading.Thread(target=self._start, name="music-start", daemon=True).start()

    def build(self, settings: Settings | None = None) -> MusicBackend:
        """A new backend from `settings` (default: the session's), not put in place."""
        return make_music(
            settings or self.settings, self._on_fallback, self.in_process, self._on_progress
        )

    def _start(self) -> None:
        try:
            music = self.build()
            with self._lock:  # a settings change may have put another in place meanwhile
                kept = self._backend is None
                if kept:
                    self._backend = music
            if not kept:
                close_backend(music)
        except Exception as exc:  # noqa: BLE001 - reported; the session goes on silent
            log.exception("no music backend could start")
            if self._on_error is not None:
                self._on_error(f"No music backend could start ({explain(exc)}).")
        finally:
            self._started.set()

    def get(self) -> MusicBackend:
        """The backend (waits for it to start); `BackendUnavailable` when none could."""
        self._started.wait()
        with self._lock:
            backend = self._backend
        if backend is None:
            raise BackendUnavailable("No music backend could start.")
        return backend

    def peek(self) -> MusicBackend | None:
        """The backend if it has started, without waiting."""
        with self._lock:
            return self._backend

    def put(self, backend: MusicBackend) -> list[MusicBackend]:
        """Put `backend` in place (its stand-in starts again on need); returns the
        backends it replaces, to close once nothing uses them."""
        with self._lock:
            old = [b for b in (self._backend, self._standin) if b is not None and b is not backend]
            self._backend = backend
            self._standin, self._standin_failed = None, False
        self._started.set()
        return old

    def wants_standin(self) -> bool:
        """Whether the backend is slower than real time (its cues get a stand-in)."""
        backend = self.peek()
        return backend is not None and backend.name in STANDIN_FOR

    def standin(self) -> MusicBackend | None:
        """The composer that stands in for a slow backend (started on first need);
        None when it cannot start."""
        with self._standin_lock:
            with self._lock:
                standin, failed = self._standin, self._standin_failed
            if standin is not None or failed:
                return standin
            try:
                standin = self.build(composer_settings(self.settings))
            except Exception:  # noqa: BLE001 - the real cues still come, later
                log.exception("the composer could not start to stand in")
                standin = None
            with self._lock:
                self._standin, self._standin_failed = standin, standin is None
            return standin

    def fall_back(self, exc: BackendUnavailable) -> bool:
        """The backend failed with `exc`: the composer takes over for the session (True),
        unless the composer itself failed (False: nothing to fall back to)."""
        with self._lock:
            failed = self._backend
        if failed is None or failed.name == "composer":
            return False
        composer = self.build(composer_settings(self.settings))
        with self._lock:
            if self._backend is not failed:  # another failure or a settings change won
                swapped = False
            else:
                swapped = True
                self._backend, self._standin, self._standin_failed = composer, None, False
        if not swapped:
            close_backend(composer)
            return True
        self._on_fallback("music", failed.name, composer.name, explain(exc))
        return True

    def close(self) -> None:
        with self._lock:
            backends = [b for b in (self._backend, self._standin) if b is not None]
        for backend in backends:
            close_backend(backend)
