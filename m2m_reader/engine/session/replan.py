"""Settings reach the running engine: the offline switch at once, and a backend change
redoes only what that backend made.

The engine subscribes to its `Settings`. What a change redoes (records stay in the store
under their backend's key, so going back to a backend finds its work again):

=====================================  ==================  ===============================
setting                                rebuilt             redone (kept: everything else)
=====================================  ==================  ===============================
offline                                the guard, at once; as a text change when the text
                                       the OpenAI backend  stages use the OpenAI backend
                                       (off offline)
text, llm_base_url, llm_model,         the text backend    scenes, directives, captions,
llm_api_key, llm_timeout                                   the transcripts of pages with no
                                                           annotations (and their emotions),
                                                           cues; not the other emotions
emotions, device (CLIP)                the emotion backend page emotions, scenes,
                                                           directives, captions, cues; not
                                                           transcripts
music, musicgen_model, soundfont,      the music backend   cues only: not the analysis
device (MusicGen)                      and its stand-in
cache_limit_mb                         the store's limit   nothing
=====================================  ==================  ===============================

A change to a setting a backend does not use now (the LLM's model while the text stages
are built-in) rebuilds nothing (see `backends.choice.signatures`). Offline mode is turned
on in the settings callback itself, before `settings.offline = True` returns, and the
OpenAI backend is replaced there too (it is cheap to build); other backends are built on
a thread of their own (a model package can take seconds to import), one change after
another, and swapped in when ready; the planner then redoes what they made.
"""

from __future__ import annotations

import logging
import threading
from typing import cast

from ..analysis.stages import EmotionBackend, TextBackend
from ..backends.choice import (
    BUILT_FROM,
    LiveMusic,
    OnFallback,
    close_backend,
    make_emotions,
    make_text,
    signatures,
)
from ..core import offline
from ..core.settings import Settings
from ..core.store import Store
from ..music.base import MusicBackend
from .planner import Planner

log = logging.getLogger(__name__)

STAGES = ("text", "emotions", "music")
# What each backend's change redoes, for the log line.
REDOES = {
    "text": "scenes, directives, captions and music",
    "emotions": "emotions, scenes, directives, captions and music",
    "music": "music (the analysis stays)",
}

Backend = TextBackend | EmotionBackend | MusicBackend


class Backends:
    """The session's backends: text, emotions and music (with its stand-in)."""

    def __init__(self, text: TextBackend, emotions: EmotionBackend, music: LiveMusic) -> None:
        self._lock = threading.Lock()
        self._text, self._emotions, self.music = text, emotions, music

    @property
    def text(self) -> TextBackend:
        with self._lock:
            return self._text

    @property
    def emotions(self) -> EmotionBackend:
        with self._lock:
            return self._emotions

    def put(
        self, text: TextBackend | None = None, emotions: EmotionBackend | None = None
    ) -> list[Backend]:
        """Put new analysis backends in place; returns those they replace."""
        old: list[Backend] = []
        with self._lock:
            if text is not None:
                old.append(self._text)
                self._text = text
            if emotions is not None:
                old.append(self._emotions)
                self._emotions = emotions
        return old

    def names(self, music_default: str) -> dict[str, str]:
        music = self.music.peek()
        return {"text": self.text.name, "emotions": self.emotions.name,
                "music": music.name if music is not None else music_default}  # fmt: skip

    def close(self) -> None:
        for backend in (self.text, self.emotions):
            close_backend(backend)
        self.music.close()


class Offline:
    """The process-wide offline guard, as the settings say."""

    def __init__(self, on: bool) -> None:
        self._lock = threading.Lock()
        self._on = False
        self.set(on)

    def set(self, on: bool) -> None:
        with self._lock:
            if on == self._on:
                return
            self._on = on
            if on:
                offline.enable()
            else:
                offline.disable()
        log.info("offline mode is %s", "on" if on else "off")


class SettingsFollower:
    """Changes to `settings` reach the session (see the module docstring).

    Args:
        settings, store: the session's.
        backends: rebuilt and swapped as the settings change.
        planner: redoes what a swapped backend made.
        on_fallback: told of a backend that could not start.
        offline_guard: follows the offline switch.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        backends: Backends,
        planner: Planner,
        on_fallback: OnFallback,
        offline_guard: Offline,
    ) -> None:
        self.settings, self.store, self.backends, self.planner = settings, store, backends, planner
        self._on_fallback = on_fallback
        self._offline = offline_guard
        self._signatures = signatures(settings)
        self._apply_lock = threading.Lock()  # one swap at a time
        self._cond = threading.Condition()
        self._dirty = False
        self._busy = False
        self._closed = False
        self._unsubscribe = settings.subscribe(self._changed)
        threading.Thread(target=self._loop, name="settings", daemon=True).start()

    def close(self) -> None:
        self._unsubscribe()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _changed(self, name: str, value: object) -> None:
        """The settings' callback (on whichever thread changed them)."""
        with self._cond:
            if self._closed:
                return
        if name == "offline":
            self._offline.set(bool(value))
            if self._signatures["text"] != signatures(self.settings)["text"]:
                self._rebuild(("text",))  # the OpenAI backend goes (or comes) now
        elif name == "cache_limit_mb" and hasattr(self.store, "limit_bytes"):
            self.store.limit_bytes = int(float(str(value)) * 1024 * 1024)
        if any(name in names for names in BUILT_FROM.values()):
            with self._cond:
                self._dirty = True
                self._cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._dirty and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                self._dirty, self._busy = False, True
            try:
                self._rebuild(STAGES)
            except Exception:  # noqa: BLE001 - logged; the engine goes on as it was
                log.exception("a settings change could not be applied")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def applied(self, timeout: float | None = None) -> bool:
        """Block until every settings change so far has reached the session (tests)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._closed or not (self._dirty or self._busy), timeout
            )

    # -- rebuilding backends ---------------------------------------------------------

    def _build(self, stage: str) -> Backend:
        if stage == "text":
            return make_text(self.settings, self._on_fallback)
        if stage == "emotions":
            return make_emotions(self.settings, self._on_fallback)
        return self.backends.music.build()

    def _rebuild(self, stages: tuple[str, ...]) -> None:
        """Build the backends whose signature changed (outside every lock: it can take
        seconds), then swap them in and redo what they made."""
        want = signatures(self.settings)
        built = {s: self._build(s) for s in stages if want[s] != self._signatures[s]}
        if not built:
            return
        retired: list[Backend] = []
        with self._apply_lock:
            now = signatures(self.settings)
            fresh: dict[str, Backend] = {}
            for s, backend in built.items():
                # Settings that moved on meanwhile: the thread builds them next.
                if now[s] == want[s] != self._signatures[s] and not self._closed:
                    fresh[s] = backend
                else:
                    retired.append(backend)
            if fresh:
                for s in fresh:
                    self._signatures[s] = want[s]
                retired += self._swap(fresh)
        for backend in retired:
            close_backend(backend)

    def _swap(self, fresh: dict[str, Backend]) -> list[Backend]:
        """Put the new backends in place and redo what depends on them; returns the old
        backends (to close)."""
        # Each stage's backend was built by that stage's factory (`_build`).
        text = cast("TextBackend | None", fresh.get("text"))
        emotions = cast("EmotionBackend | None", fresh.get("emotions"))
        music = cast("MusicBackend | None", fresh.get("music"))
        old: list[Backend] = []
        old += self.backends.put(text=text, emotions=emotions)
        if music is not None:
            old += self.backends.music.put(music)
        analysis = text is not None or emotions is not None
        work = self.planner.work
        if analysis and work is not None:
            work.analyzer.use_backends(text=text, emotions=emotions)
        for s, backend in fresh.items():
            log.info("%s backend is now %s: redoing %s", s, backend.name, REDOES[s])
        if analysis:
            self.planner.redo_analysis(keep_scenes=False, reason="the settings changed")
        elif music is not None:
            self.planner.redo_cues()
        keep = {id(b) for b in fresh.values()}
        return [b for b in old if id(b) not in keep]
