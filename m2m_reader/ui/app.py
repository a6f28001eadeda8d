"""The application: one library window, one reader window, one engine behind a bridge.

`run(book)` starts Qt, shows the library (or the reader on `book`) at once and builds
the engine on a worker thread, so the first window never waits for backends, caches or
models. The engine joins through the bridge when it is ready.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSocketNotifier, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from .. import runtime
from ..engine.core.settings import Settings
from . import geometry, i18n, shortcuts, theme
from .book_state import BookStates
from .bridge import EngineBridge
from .library_prepare import Preparer
from .library_source import EngineLibrary, LibrarySource, open_source
from .library_window import LibraryWindow
from .prefs import Prefs
from .reader_window import ReaderWindow
from .single_instance import InstanceServer, send_to_running, server_name
from .tasks import Runner

log = logging.getLogger(__name__)
ICON = Path(__file__).resolve().parent / "icons" / "m2m-reader.svg"


def build_engine(settings: Settings, bridge: EngineBridge) -> Any:
    """Make the real engine (runs on a worker: it opens the cache and the backends)."""
    from ..engine.session.engine import Engine

    return Engine(settings, on_event=bridge.on_event)


# A shown window that moves or changes state, and any window as it shows, hides or
# closes (a window's own move and resize events come before it counts as visible).
_GEOMETRY_EVENTS = (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.WindowStateChange)
_GEOMETRY_NOW = (QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.Close)


class App(QObject):
    """Wires the windows, the library and the engine together."""

    def __init__(
        self,
        settings: Settings,
        prefs: Prefs | None = None,
        source: LibrarySource | None = None,
        engine: Any = None,
        start_engine: bool = True,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.prefs = prefs or Prefs()
        self.runner = Runner(threads=2, parent=self)
        self.bridge = EngineBridge(engine, settings, parent=self)
        self.bridge.error.connect(lambda m: log.warning("%s", m))
        self.source = source or open_source(settings)
        # One "prepare for offline" for both windows, on the reader's engine for its book.
        self.preparer = Preparer(self.source, self.bridge, parent=self)
        self.library = LibraryWindow(self.source, self.runner, preparer=self.preparer)
        states = (  # the per-book choices, in the same library as the books
            BookStates(library=self.source.open_library)
            if isinstance(self.source, EngineLibrary)
            else None
        )
        self.reader = ReaderWindow(
            settings, self.bridge, self.prefs, self.runner, book_states=states
        )
        self.reader.prepare_hook = self.preparer.prepare
        self.preparer.finished.connect(self._prepared)
        self.reader.saved_page = self._saved_page  # the library keeps where one left off
        self.reader.open_hook = self.open_book  # the next volume joins the library too
        self.library.openRequested.connect(self.open_book)
        self.library.settingsRequested.connect(self.reader.open_settings)
        self.reader.libraryRequested.connect(self.show_library)
        self.library.bookAdded.connect(self._added)
        self.reader.progressChanged.connect(
            lambda book, page: self.library.record_progress(str(book.path), page)
        )
        # The live engine's soundtrack progress feeds the card's badge, once a second.
        self._music_ready: tuple[int, int] | None = None
        self._music_timer = QTimer(self, singleShot=True, interval=1000)
        self._music_timer.timeout.connect(self._record_music)
        self.bridge.progress.connect(self._music_progress)
        self.windows: dict[str, QWidget] = {"library": self.library, "reader": self.reader}
        for key, window in self.windows.items():
            if not geometry.restore(window, self.prefs.get(f"window.{key}")):
                geometry.fit_default(window)
            window.installEventFilter(self)
            shortcuts.install(window, self.prefs)  # `?` lists them; the person's keys
        if engine is None and start_engine:
            self.runner.run(
                build_engine, settings, self.bridge,
                on_done=self.bridge.attach,
                on_error=lambda m: self.reader.banner.show_message(
                    self.tr("The music engine could not start (%1); reading without a soundtrack.")
                    .replace("%1", m), "error", 30,
                ),
            )  # fmt: skip

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # Where a shown window is, kept for the next start (saved with the UI state).
        kind = event.type()
        if kind in _GEOMETRY_EVENTS or kind in _GEOMETRY_NOW:
            for key, window in self.windows.items():
                if watched is window and (window.isVisible() or kind in _GEOMETRY_NOW):
                    self.prefs.set(f"window.{key}", geometry.saved(window))
        return False

    def request(self, path: str) -> None:
        """Another `m2m-reader` was started: open its book here, or show this one."""
        if path:
            self.open_book(path)
            return
        window = self.reader if self.reader.isVisible() else self.library
        if not window.isVisible():
            self.show_library()
            return
        window.showNormal() if window.isMinimized() else window.show()
        window.raise_()
        window.activateWindow()

    def show_library(self) -> None:
        self.library.reload()
        self.library.show()
        self.library.raise_()
        self.library.activateWindow()

    def open_book(self, path: str, page: int = -1) -> None:
        """Open `path` in the reader at `page` (default: where the library says the
        person left off) and add it to the library."""
        self.reader.open_path(path, page if page >= 0 else None)
        self.reader.show()
        self.reader.raise_()
        self.reader.activateWindow()
        self.library.hide()
        if not any(e.path == str(Path(path).resolve()) for e in self.library.entries()):
            self.library.add_paths([path])

    def _saved_page(self, book: Any) -> int | None:
        """(On a worker.) The library's page for `book`; None for a book not in it."""
        page_of = getattr(self.source, "page_of", None)
        if callable(page_of):
            return page_of(str(book.path))
        resolved = str(Path(book.path).resolve())
        return next((e.page for e in self.source.entries() if e.path == resolved), None)

    def _prepared(self, path: str, result: object) -> None:
        """A prepare that failed says so in the reader too, when the reader is up."""
        if isinstance(result, str) and self.reader.isVisible():
            self.reader.banner.show_message(result, "error", 15)

    def _added(self, entry: object) -> None:
        """A book just added may be the one open: give the library its progress."""
        book = self.reader.book
        if (
            book is not None
            and self.reader.position_known
            and str(Path(book.path).resolve()) == getattr(entry, "path", None)
        ):
            self.library.record_progress(entry.path, self.reader.page)  # type: ignore[attr-defined]

    def _music_progress(self, done: int, total: int, what: str) -> None:
        if what == "soundtrack":
            self._music_ready = (done, total)
            if not self._music_timer.isActive():
                self._music_timer.start()

    def _record_music(self) -> None:
        book = self.reader.book
        if book is not None and self._music_ready is not None:
            self.library.record_music(str(book.path), *self._music_ready)
            cue_keys = getattr(self.bridge.engine, "cue_keys", None)
            if callable(cue_keys):  # so the card can check the cache holds that music
                self.library.record_cues(str(book.path), cue_keys())

    def shutdown(self) -> None:
        for key, window in self.windows.items():
            if window.isVisible():
                self.prefs.set(f"window.{key}", geometry.saved(window))
        self.runner.run(self.prefs.write, self.prefs.snapshot())
        self.bridge.close()
        self.runner.wait(3000)


# The window's switch interval (why: see m2m_reader/runtime.py).
SWITCH_INTERVAL_S = runtime.WINDOW_SWITCH_INTERVAL_S


# Exit codes after a signal, as a shell reports a process it ended (128 + the signal).
SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


def close_on_signals(app: QApplication) -> Callable[[], int | None]:
    """Ctrl-C (SIGINT) and SIGTERM close the windows and leave the event loop, as closing
    the reader does (its progress saved, the engine and the sound shut down).

    Python runs a signal handler only between bytecodes, and while Qt's event loop waits
    in C++ no Python runs at all. So the C-level handler's wake-up byte
    (`signal.set_wakeup_fd`) goes to a socket that a QSocketNotifier watches: the loop
    wakes at once, the notifier's slot is Python, and the handler runs there. Returns a
    function that puts the old handlers back and gives the exit code of the signal that
    came (None when none did). Call it from the main thread."""
    came: list[int] = []
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def drain() -> None:
        with contextlib.suppress(OSError):
            reader.recv(512)

    def handler(signum: int, frame: object) -> None:
        if came:  # a second Ctrl-C while closing: the close is already on its way
            return
        came.append(signum)
        app.closeAllWindows()
        QTimer.singleShot(0, app.quit)  # also when the loop has not started yet

    notifier.activated.connect(drain)
    old = {sig: signal.signal(sig, handler) for sig in SIGNAL_EXIT}

    def restore() -> int | None:
        notifier.setEnabled(False)
        for sig, previous in old.items():
            signal.signal(sig, previous)
        signal.set_wakeup_fd(old_fd)
        reader.close()
        writer.close()
        return SIGNAL_EXIT.get(signal.Signals(came[0])) if came else None

    return restore


def run(book: str | None, settings: Settings) -> int:
    """Start the GUI: the reader on `book`, or the library. Returns the exit code
    (130 after Ctrl-C, 143 after SIGTERM: the windows closed as by hand).

    When a reader already runs for this user and data folder, `book` opens there
    (or that window comes forward) and this returns 0 at once."""
    runtime.apply(switch_interval=SWITCH_INTERVAL_S, settle_heap=True)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("m2m-reader")
    app.setDesktopFileName("m2m-reader")  # the desktop entry installer/ puts in the menu
    name = server_name()
    if send_to_running(name, book):
        # Said on the terminal: options given with this start stay unused.
        where = f"opened {book} in the running window" if book else "brought its window forward"
        print(f"m2m-reader is running already: {where}.", file=sys.stderr)
        return 0
    server = InstanceServer(name)
    if not server.listen() and send_to_running(name, book):
        return 0  # another one started at the same moment and won
    i18n.install(app, settings.language)
    app.setWindowIcon(QIcon(str(ICON)))
    theme.apply(app, theme.choose(settings.theme, app))
    theme.follow_system(app, settings.theme)
    i18n.set_fonts(app)
    restore = close_on_signals(app)
    try:
        main = App(settings)
        server.openRequested.connect(main.request)
        if book:
            main.open_book(book)
        else:
            main.show_library()
        app.aboutToQuit.connect(main.shutdown)
        QTimer.singleShot(200, runtime.settle_heap)  # once the first window has painted
        code = int(app.exec())
    finally:
        interrupted = restore()
        server.close()
    return interrupted if interrupted is not None else code
