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
are built-in) rebuilds nothing (see `backend_choice.signatures`). Offline mode is turned
on in the settings callback itself, before `settings.offline = True` returns, and the
OpenAI backend is replaced there too (it is cheap to build); other backends are built on
a thread of their own (a model package can take seconds to import), one change after
another, and swapped in when ready. `Replan` is a part of `Engine` (it uses the
engine's state, see `Engine._reset`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..backends.choice import BUILT_FROM, make_emotions, make_music, make_text, signatures
from ..core import events as ev
from ..core import offline
from .editing import _GENERATIONS

log = logging.getLogger(__name__)

STAGES = ("text", "emotions", "music")
# What each backend's change redoes, for the log line.
REDOES = {
    "text": "scenes, directives, captions and music",
    "emotions": "emotions, scenes, directives, captions and music",
    "music": "music (the analysis stays)",
}


class Replan:
    """Following the settings (a part of `Engine`)."""

    settings: Any
    book: Any
    analyzer: Any
    mixer: Any
    _lock: Any

    def _follow_settings(self) -> None:
        """Subscribe to the settings (called once, at the end of `Engine.__init__`)."""
        self._signatures = signatures(self.settings)
        self._apply_lock = threading.Lock()  # one swap at a time
        self._offline_lock = threading.Lock()
        self._plan = 0  # moves on when the analysis is redone: older work stores nothing
        self._replan_cond = threading.Condition()
        self._replan_dirty = False
        self._replan_busy = False
        self._unsubscribe_settings = self.settings.subscribe(self._setting_changed)
        threading.Thread(target=self._replan_loop, name="settings", daemon=True).start()

    def _stop_following(self) -> None:
        self._unsubscribe_settings()
        with self._replan_cond:
            self._replan_cond.notify_all()

    def _setting_changed(self, name: str, value: Any) -> None:
        """The settings' callback (on whichever thread changed them)."""
        if self._closed:
            return
        if name == "offline":
            self._set_offline(bool(value))
            if self._signatures["text"] != signatures(self.settings)["text"]:
                self._rebuild(("text",))  # the OpenAI backend goes (or comes) now
        elif name == "cache_limit_mb" and hasattr(self.store, "limit_bytes"):
            self.store.limit_bytes = int(value * 1024 * 1024)
        if any(name in names for names in BUILT_FROM.values()):
            with self._replan_cond:
                self._replan_dirty = True
                self._replan_cond.notify_all()

    def _set_offline(self, on: bool) -> None:
        with self._offline_lock:
            if on == self._offline:
                return
            self._offline = on
            if on:
                offline.enable()
            else:
                offline.disable()
        log.info("offline mode is %s", "on" if on else "off")

    def _replan_loop(self) -> None:
        while True:
            with self._replan_cond:
                while not self._replan_dirty and not self._closed:
                    self._replan_cond.wait()
                if self._closed:
                    return
                self._replan_dirty, self._replan_busy = False, True
            try:
                self._rebuild(STAGES)
            except Exception:  # noqa: BLE001 - logged; the engine goes on as it was
                log.exception("a settings change could not be applied")
            finally:
                with self._replan_cond:
                    self._replan_busy = False
                    self._replan_cond.notify_all()

    def settings_applied(self, timeout: float | None = None) -> bool:
        """Block until every settings change so far has reached the engine (tests)."""
        with self._replan_cond:
            return self._replan_cond.wait_for(
                lambda: self._closed or not (self._replan_dirty or self._replan_busy), timeout
            )

    # -- rebuilding backends ---------------------------------------------------------

    def _build(self, stage: str) -> Any:
        if stage == "text":
            return make_text(self.settings, self._fallback)
        if stage == "emotions":
            return make_emotions(self.settings, self._fallback)
        return make_music(self.settings, self._fallback, in_process=not self._music_process)

    def _rebuild(self, stages: tuple[str, ...]) -> None:
        """Build the backends whose signature changed (outside every lock: it can take
        seconds), then swap them in and redo what they made."""
        want = signatures(self.settings)
        built = {s: self._build(s) for s in stages if want[s] != self._signatures[s]}
        if not built:
            return
        retired: list[Any] = []
        with self._apply_lock:
            now = signatures(self.settings)
            fresh = {}
            for s, backend in built.items():
                # Settings that moved on meanwhile: the thread builds them next.
                if now[s] == want[s] != self._signatures[s] and not self._closed:
                    fresh[s] = backend
                else:
                    retired.append(backend)
            if fresh:
                retired += self._swap(fresh, want)
        for backend in retired:
            _close(backend)

    def _swap(self, fresh: dict[str, Any], want: dict[str, Any]) -> list[Any]:
        """Put the new backends in place and redo what depends on them; returns the old
        backends (to close)."""
        old: list[Any] = []
        analysis = "text" in fresh or "emotions" in fresh
        with self._lock:
            for s in fresh:
                self._signatures[s] = want[s]
            if "text" in fresh:
                old.append(self.text)
                self.text = fresh["text"]
            if "emotions" in fresh:
                old.append(self.emotions)
                self.emotions = fresh["emotions"]
            if "music" in fresh:
                old += [self._music, self._standin]
                self._music, self._standin, self._standin_failed = fresh["music"], None, False
                self._music_started.set()
            if analysis and self.analyzer is not None:
                self.analyzer.use_backends(text=fresh.get("text"), emotions=fresh.get("emotions"))
            book = self.book
            if book is not None:
                if analysis:
                    self._redo_analysis(len(book))
                else:
                    self._redo_cues()
        for s, backend in fresh.items():
            log.info("%s backend is now %s: redoing %s", s, backend.name, REDOES[s])
        if book is not None:
            if analysis:
                self._submit_final_scenes()
            self._emit(ev.Progress(len(self._ready), len(book), "soundtrack"))
            self._schedule()
        keep = {id(b) for b in fresh.values()}
        return [b for b in old if b is not None and id(b) not in keep]

    def _redo_analysis(self, n: int) -> None:
        """(Under the engine's lock.) Forget every page's analysis and music; the page
        under the cursor plays on until its new cue comes."""
        self._plan += 1
        self._scenes, self._scenes_upto = None, None
        self._scene_emotions.clear()
        self._analysis_pool.cancel_where(lambda j: j.page is None, "the settings changed")
        for p in range(n):
            self._invalidate(p)

    def _redo_cues(self) -> None:
        """(Under the engine's lock.) Every page keeps its analysis and gets a new cue
        key for the new music backend; work on the old cues is dropped."""
        self._base = next(_GENERATIONS)
        self._gen.clear()
        for p, info in self._pages.items():
            self._cue_keys[p] = self._cue_key(info)
        self._ready.clear()
        if self.mixer is not None:
            for p in self._cues:
                if p != self._cursor:
                    self.mixer.forget(p)
        self._cues.clear()
        reason = "the music backend changed"
        self._music_pool.cancel_where(lambda j: True, reason)
        self._standin_pool.cancel_where(lambda j: True, reason)
        self._analysis_pool.cancel_where(lambda j: j.page is not None, reason)


def _close(backend: Any) -> None:
    close = getattr(backend, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # noqa: BLE001 - a retired backend must not fail the engine
            log.exception("closing %s failed", getattr(backend, "name", backend))
