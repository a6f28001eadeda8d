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
from collections.abc import Callable
from typing import Any

from ..core.errors import BackendUnavailable, M2MError
from ..core.settings import Settings
from .music_process import ProcessComposer

log = logging.getLogger(__name__)

__all__ = [
    "BUILT_FROM", "ProcessComposer", "make_composer", "make_emotions", "make_music", "make_text",
    "signatures",
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


def _why(exc: BaseException) -> str:
    if isinstance(exc, M2MError):
        return str(exc)
    if isinstance(exc, ImportError):
        return f"a package it needs is not installed ({exc.name or exc})."
    return f"it failed to start ({type(exc).__name__})."


def _openai_text(settings: Settings) -> Any:
    from ..llm import LLMConfig, OpenAIText

    config = LLMConfig.from_env(
        model=settings.llm_model,
        base_url=settings.llm_base_url or None,
        api_key=settings.api_key() or None,
        timeout=getattr(settings, "llm_timeout", None),
    )
    return OpenAIText(config, offline=settings.offline)


def make_text(settings: Settings, on_fallback: OnFallback) -> Any:
    """The text backend, with the transcript source the `transcript` setting names hung
    on it as `transcript_source` (see `analysis.transcript_source`)."""
    from ..analysis.builtin import BuiltinText

    text: Any = None
    if settings.text == "openai":
        try:
            text = _openai_text(settings)
        except (ImportError, BackendUnavailable, M2MError, ValueError) as exc:
            on_fallback("text", "openai", "builtin", _why(exc))
    if text is None:
        text = BuiltinText()
    source = make_transcript(settings, on_fallback, text)
    if source is not None:
        text.transcript_source = source
    return text


def make_transcript(settings: Settings, on_fallback: OnFallback, text: Any = None) -> Any:
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


def make_emotions(settings: Settings, on_fallback: OnFallback) -> Any:
    from ..analysis.builtin import BuiltinEmotions

    if settings.emotions == "clip":
        try:
            from ..models.clip_emotions import ClipEmotions, ClipSettings

            return ClipEmotions(ClipSettings(device=settings.device))
        except Exception as exc:  # noqa: BLE001 - any failure to start means the fallback
            on_fallback("emotions", "clip", "builtin", _why(exc))
    return BuiltinEmotions()


def make_composer(settings: Settings) -> Any:
    from ..music.composer import Composer

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
            from ..models.musicgen import MusicgenSettings
            from ..models.musicgen_backend import MusicgenBackend

            return MusicgenBackend(
                MusicgenSettings(model=settings.musicgen_model, device=settings.device)
            )
        except Exception as exc:  # noqa: BLE001 - any failure to start means the fallback
            on_fallback("music", "musicgen", "composer", _why(exc))
    elif settings.music == "library":
        try:
            from ..musiclib import make_library

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


def music_settings_key(music: Any) -> str:
    """What of the music backend's settings changes its audio (for cue keys)."""
    key_fn = getattr(music, "settings_key", None)
    return key_fn() if callable(key_fn) else str(getattr(music, "renderer", ""))
