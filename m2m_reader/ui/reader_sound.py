"""What the reader says about its soundtrack: the now-playing line, the progress of
long work, regenerated music, a sound device that goes away, and the engine's
fallbacks and errors, all in the reader's language.

`SoundtrackStatus` listens to the bridge and to the panel's edits; it owns what it
remembers to say the right thing (the backend of each page's cue, the pages being
regenerated, what the player last said it can do). The engine speaks English: what
kind of event came (a fallback of which stage, an error, a page's error, progress of
what) is said here in the reader's language, and the engine's own sentence follows
it whole (a backend's long explanation of what to install included).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QT_TRANSLATE_NOOP, QObject, QTimer

from .bridge import AudioState

if TYPE_CHECKING:
    from .reader_window import ReaderWindow

# What a backend falling back means, per stage of the engine, and the names of the
# engine's long work (lupdate finds them here; `self.tr` translates them where shown).
_LANGUAGE_MODEL = "The language model could not start; the built-in text reading is used."
FALLBACKS = {
    "text": _LANGUAGE_MODEL,
    "scenes": _LANGUAGE_MODEL,
    "directive": _LANGUAGE_MODEL,
    "caption": _LANGUAGE_MODEL,
    "transcript": "The chosen page reader could not start; the built-in one reads the pages.",
    "emotions": "The chosen emotion model could not start; the built-in one is used.",
    "music": "The chosen music could not start; the built-in composer plays instead.",
}
FALLBACK_OTHER = "A backend could not start; the built-in one took over."
WORK_NAMES = {
    "soundtrack": "Soundtrack",
    "analysis": "Analysis",
    "music library": "Indexing your music",
}
_TEXTS = (
    QT_TRANSLATE_NOOP(
        "SoundtrackStatus",
        "The language model could not start; the built-in text reading is used.",
    ),
    QT_TRANSLATE_NOOP(
        "SoundtrackStatus",
        "The chosen page reader could not start; the built-in one reads the pages.",
    ),
    QT_TRANSLATE_NOOP(
        "SoundtrackStatus", "The chosen emotion model could not start; the built-in one is used."
    ),
    QT_TRANSLATE_NOOP(
        "SoundtrackStatus",
        "The chosen music could not start; the built-in composer plays instead.",
    ),
    QT_TRANSLATE_NOOP("SoundtrackStatus", "A backend could not start; the built-in one took over."),
    QT_TRANSLATE_NOOP("SoundtrackStatus", "Soundtrack"),
    QT_TRANSLATE_NOOP("SoundtrackStatus", "Analysis"),
    QT_TRANSLATE_NOOP("SoundtrackStatus", "Indexing your music"),
)


class SoundtrackStatus(QObject):
    def __init__(self, window: ReaderWindow) -> None:
        super().__init__(window)
        self.w = window
        self.cue_backend: dict[int, str] = {}
        self.regenerating: set[int] = set()  # pages whose music a person asked to redo
        self.fresh: set[int] = set()  # ... and whose new music has arrived
        self.audio: AudioState | None = None  # what the player last said it can do
        self.music_off_shown = False
        self._progress_value: tuple[int, int, str] | None = None
        self._progress_timer = QTimer(self, singleShot=True, interval=250)
        self._progress_timer.timeout.connect(self._progress_now)
        bridge, panel = window.bridge, window.panel
        panel.directiveEdited.connect(self.edit_directive)
        panel.captionEdited.connect(self.edit_caption)
        panel.prepareRequested.connect(self.prepare)
        bridge.analysisChanged.connect(self.analysis)
        bridge.cueReady.connect(self.cue_ready)
        bridge.playing.connect(self.playing)
        bridge.progress.connect(self.progress_later)
        bridge.fallback.connect(self.fallback)
        bridge.error.connect(self.error)
        bridge.pageError.connect(self.page_error)
        if bridge.engine is None:
            panel.set_playing(self.tr("Starting the music engine…"))
        bridge.attached.connect(lambda: panel.set_playing(self.tr("Music engine ready.")))
        bridge.audioState.connect(self.audio_state)

    def new_book(self) -> None:
        self.cue_backend.clear()

    # The engine's fallbacks and errors: what happened in the reader's language, then
    # the engine's sentence whole (a long explanation stays up longer).
    def fallback(self, stage: str, message: str) -> None:
        heading = self.tr(FALLBACKS.get(stage, FALLBACK_OTHER))
        self.w.banner.show_message(f"{heading}\n{message}", "warning", _seconds(message, 12))

    def error(self, message: str) -> None:
        heading = self.tr("Something went wrong; reading goes on.")
        self.w.banner.show_message(f"{heading}\n{message}", "error", _seconds(message, 10))

    def page_error(self, page: int, message: str) -> None:
        heading = self.tr("The music of page %1 could not be made; reading goes on.")
        heading = heading.replace("%1", str(page + 1))
        self.w.banner.show_message(f"{heading}\n{message}", "error", _seconds(message, 10))

    def work_name(self, what: str) -> str:
        """The engine's name of its long work ("soundtrack", ...) as the reader says it."""
        return self.tr(WORK_NAMES[what]) if what in WORK_NAMES else what

    def analysis(self, analysis: object | None) -> None:
        self.w.panel.set_analysis(analysis)
        self.w.timeline.set_analysis(analysis)

    def cue_ready(self, page: int, backend: str, cached: bool) -> None:
        w = self.w
        self.cue_backend[page] = backend
        if page in self.regenerating:
            self.regenerating.discard(page)
            self.fresh.add(page)
            fresh = self.tr("New music ready for page %1.").replace("%1", str(page + 1))
            w.statusBar().showMessage(fresh, 6000)
            if page in w.current_pages():
                w.panel.set_playing(fresh)
            return
        if page in w.current_pages() and not w.panel.now_playing.text().startswith("♪"):
            off = self.tr(" Music is off (no sound device).") if self.music_off_shown else ""
            ready = self.tr("Music for page %1 is ready (%2).").replace("%1", str(page + 1))
            w.panel.set_playing(ready.replace("%2", backend or self.tr("cached")) + off)
        w.timeline.set_ready(w.bridge.ready_pages)

    def playing(self, page: int, scene: int) -> None:
        """The engine moved the music to this page: a ♪ only when it can be heard."""
        panel, muted = self.w.panel, self.w.settings.muted
        backend = self.cue_backend.get(page, "")
        by = f" · {backend}" if backend else ""
        if page in self.fresh:
            self.fresh.discard(page)
            by += self.tr(" · new music ready")
        where = self.tr("Page %1").replace("%1", str(page + 1))
        if scene >= 0:
            where += self.tr(" · scene %1").replace("%1", str(scene + 1))
        audio = self.audio
        if audio is not None and audio.sound and audio.playing and not muted:
            panel.set_playing(f"♪  {where}{by}")
        elif audio is not None and not audio.sound:
            panel.set_playing(
                f"{where}{by}" + self.tr(": music ready. Music is off (no sound device).")
            )
        elif audio is not None and audio.sound and muted:
            panel.set_playing(f"{where}{by}" + self.tr(": muted."))
        else:
            panel.set_playing(f"{where}{by}" + self.tr(": music ready, not playing."))

    def audio_state(self, state: AudioState) -> None:
        """No sound device: say so once, without stopping anything; reading goes on."""
        panel, banner = self.w.panel, self.w.banner
        before, self.audio = self.audio, state
        if before is not None and before.sound and not state.sound:
            self.music_off_shown = True
            panel.set_playing(self.tr("Music is off (the sound device went away)."))
            banner.show_message(
                self.tr(
                    "The sound device went away: %1 Reading goes on; the music "
                    "comes back when the device does."
                ).replace("%1", state.message),
                "warning",
                15,
            )
            return
        if state.sound:
            self.music_off_shown = False
            if not state.playing:
                panel.set_playing(self.tr("Music paused."))
            return
        panel.set_playing(self.tr("Music is off (no sound device)."))
        if not self.music_off_shown:
            self.music_off_shown = True
            banner.show_message(
                self.tr(
                    "Music is off: %1 Reading goes on; the soundtrack is still "
                    "prepared and plays when sound is available."
                ).replace("%1", state.message),
                "warning",
                15,
            )

    def progress_later(self, done: int, total: int, what: str) -> None:
        """Progress comes in bursts; show it at most four times a second."""
        self._progress_value = (done, total, what)
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _progress_now(self) -> None:
        if self._progress_value is not None:
            self.show_progress(*self._progress_value)

    def show_progress(self, done: int, total: int, what: str) -> None:
        name = self.work_name(what)
        self.w.panel.set_progress(done, total, name)
        self.w.status_progress.setText("" if done >= total else f"{name} {done}/{total}   ")

    def edit_directive(self, first: int, last: int, text: str) -> None:
        self.w.bridge.edit_directive(first, last, text)
        self.regenerating |= set(range(first, last + 1))
        self.w.statusBar().showMessage(
            self.tr("Regenerating scene (pages %1–%2)…")
            .replace("%1", str(first + 1))
            .replace("%2", str(last + 1)),
            4000,
        )

    def edit_caption(self, page: int, text: str) -> None:
        self.w.bridge.edit_caption(page, text)
        self.regenerating.add(page)
        self.w.statusBar().showMessage(
            self.tr("Regenerating page %1…").replace("%1", str(page + 1)), 4000
        )

    def prepare(self) -> None:
        book, hook = self.w.book, self.w.prepare_hook
        if hook is not None and book is not None:
            hook(str(book.path))  # the app's one preparer: the library's card follows
        else:
            self.w.bridge.prepare_all()
        self.w.statusBar().showMessage(
            self.tr("Preparing the whole soundtrack in the background…"), 4000
        )


def _seconds(message: str, least: float) -> float:
    """How long a message stays: long enough to read it (about 15 characters a second)."""
    return max(least, min(60.0, len(message) / 15))
