"""One "prepare for offline" for the app: the library window and the reader ask the same
preparer; the book the reader has open is prepared on the reader's engine (no second
engine), and a book moves between the reader's engine and the background one when
the reader opens or leaves it (offscreen Qt, the real library, engine doubles)."""

from __future__ import annotations

import threading
import time

import pytest
from test_ui_library import folder_book
from ui_support import FakeEngine

from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.library import Library
from m2m_reader.ui.app import App
from m2m_reader.ui.library_source import EngineLibrary
from m2m_reader.ui.prefs import Prefs


class Slow:
    """prepare_all that makes one page's music every `step_s`, until stopped."""

    step_s = 0.0

    def prepare_pages(self, pages, progress, cancel) -> int:
        done = 0
        while done < pages and not (cancel is not None and cancel.cancelled):
            time.sleep(self.step_s)
            done += 1
            if progress is not None:
                progress(done, pages)
        return done


class LiveEngine(Slow, FakeEngine):
    """The reader's engine: it prepares the book it has open."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.prepared: list[str] = []

    def prepare_all(self, progress=None, cancel=None, poll_s=0.1) -> int:
        self.prepared.append(self.book.title)
        return self.prepare_pages(len(self.book), progress, cancel)


class BackgroundEngine(Slow):
    """An engine made by the library for a book the reader does not have open."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.closed = threading.Event()
        self.pages = 0

    def open(self, book, page=0) -> None:
        self.opened.append(book.title)
        self.pages = len(book)

    def prepare_all(self, progress=None, cancel=None) -> int:
        return self.prepare_pages(self.pages, progress, cancel)

    def close(self) -> None:
        self.closed.set()


@pytest.fixture
def app(qtbot, tmp_path):
    made: list[BackgroundEngine] = []

    def make_engine():
        made.append(BackgroundEngine())
        return made[-1]

    settings = Settings()
    source = EngineLibrary(Library(tmp_path / "library.sqlite3"), make_engine=make_engine)
    engine = LiveEngine(settings)
    main = App(settings, Prefs(tmp_path / "ui.json"), source, engine=engine, start_engine=False)
    main.bridge.save_settings = False
    qtbot.addWidget(main.reader)
    qtbot.addWidget(main.library)
    main.made, main.live = made, engine
    yield main
    main.shutdown()


def added(qtbot, app, path) -> str:
    app.library.add_paths([str(path)])
    qtbot.waitUntil(lambda: len(app.library.entries()) >= 1, timeout=10_000)
    return next(e.path for e in app.library.entries() if e.path == str(path.resolve()))


def read(qtbot, app, path) -> None:
    app.open_book(path)
    qtbot.waitUntil(lambda: app.live.book is not None and app.live.book.path == path.resolve(),
                    timeout=10_000)  # fmt: skip


def music_pages(tmp_path, title) -> int:
    return next(
        b.music_pages for b in Library(tmp_path / "library.sqlite3").books() if b.title == title
    )


def test_the_book_the_reader_has_open_is_prepared_on_its_engine(qtbot, tmp_path, app):
    book = folder_book(tmp_path, "Alpha", 6)
    path = added(qtbot, app, book)
    read(qtbot, app, book)
    seen = []
    app.library.prepareProgress.connect(lambda _p, done, total: seen.append((done, total)))
    with qtbot.waitSignal(app.library.prepareFinished, timeout=10_000) as finished:
        app.library.prepare(path)  # asked from the library window
    assert finished.args == [path, 6]
    assert app.made == [] and app.live.prepared == ["Alpha"]  # no second engine
    assert seen[-1] == (6, 6)
    assert music_pages(tmp_path, "Alpha") == 6
    # asked from the reader's soundtrack panel: the same preparer, the same engine
    with qtbot.waitSignal(app.preparer.finished, timeout=10_000):
        app.reader.panel.prepareRequested.emit()
    assert app.made == [] and app.live.prepared == ["Alpha", "Alpha"]


def test_a_book_preparing_in_the_background_moves_to_the_reader_when_it_opens(qtbot, tmp_path, app):
    book = folder_book(tmp_path, "Beta", 8)
    path = added(qtbot, app, book)
    Slow.step_s = 0.15
    try:
        seen = []
        app.library.prepareProgress.connect(lambda _p, done, total: seen.append(done))
        app.library.prepare(path)
        qtbot.waitUntil(lambda: len(seen) >= 2, timeout=10_000)
        assert app.made[0].opened == ["Beta"]
        with qtbot.waitSignal(app.library.prepareFinished, timeout=20_000) as finished:
            read(qtbot, app, book)
        assert app.made[0].closed.is_set() and len(app.made) == 1
        assert app.live.prepared == ["Beta"]  # went on on the reader's engine
        assert finished.args == [path, 8] and seen[-1] == 8
    finally:
        Slow.step_s = 0.0


def test_a_book_the_reader_leaves_while_it_prepares_goes_on_in_the_background(qtbot, tmp_path, app):
    first = folder_book(tmp_path, "Gamma", 8)
    other = folder_book(tmp_path, "Delta", 2)
    path = added(qtbot, app, first)
    read(qtbot, app, first)
    Slow.step_s = 0.15
    try:
        seen = []
        app.library.prepareProgress.connect(lambda _p, done, total: seen.append(done))
        app.reader.panel.prepareRequested.emit()
        qtbot.waitUntil(lambda: len(seen) >= 2, timeout=10_000)
        with qtbot.waitSignal(app.library.prepareFinished, timeout=20_000) as finished:
            read(qtbot, app, other)
        assert app.live.prepared == ["Gamma"]
        assert [e.opened for e in app.made] == [["Gamma"]] and app.made[0].closed.is_set()
        assert finished.args == [path, 8]
    finally:
        Slow.step_s = 0.0


def test_stopping_from_the_library_stops_the_readers_engine_too(qtbot, tmp_path, app):
    book = folder_book(tmp_path, "Epsilon", 40)
    path = added(qtbot, app, book)
    read(qtbot, app, book)
    Slow.step_s = 0.05
    try:
        seen = []
        app.library.prepareProgress.connect(lambda _p, done, total: seen.append(done))
        app.reader.panel.prepareRequested.emit()
        qtbot.waitUntil(lambda: len(seen) >= 2, timeout=10_000)
        entry = next(e for e in app.library.entries() if e.path == path)
        assert [a.text() for a in app.library.context_menu([entry]).actions()][1] == (
            "Stop preparing"
        )
        with qtbot.waitSignal(app.library.prepareFinished, timeout=10_000) as finished:
            app.library.prepare_entries([entry])  # asked again: it stops
        assert finished.args[1] < 40 and app.made == []
    finally:
        Slow.step_s = 0.0


def test_a_manga109_book_added_by_its_images_is_one_book_for_the_reader_and_the_library(
    qtbot, tmp_path, app, sample_book_path
):
    images = sample_book_path.parents[1] / "images" / sample_book_path.stem
    path = added(qtbot, app, images)
    app.open_book(str(images))  # it opens as its XML
    qtbot.waitUntil(lambda: app.live.book is not None, timeout=10_000)
    assert app.live.book.path.resolve() != images.resolve()
    app.reader.go_to_page(5)
    with qtbot.waitSignal(app.library.prepareFinished, timeout=10_000) as finished:
        app.library.prepare(path)  # the card's path: still the reader's book
    assert app.made == [] and finished.args[1] == len(app.live.book)
    app.library.writer.wait(5000)
    (kept,) = Library(tmp_path / "library.sqlite3").books()
    assert kept.path == path and kept.page == 5  # the reader's progress reached its row


def test_a_prepare_that_fails_says_so_in_the_reader(qtbot, tmp_path, app):
    book = folder_book(tmp_path, "Zeta", 3)
    path = added(qtbot, app, book)
    read(qtbot, app, book)

    def broken(progress=None, cancel=None, poll_s=0.1):
        raise RuntimeError("the composer broke")

    app.live.prepare_all = broken
    with qtbot.waitSignal(app.preparer.finished, timeout=10_000) as finished:
        app.reader.panel.prepareRequested.emit()
    assert finished.args[0] == path and "the composer broke" in finished.args[1]
    qtbot.waitUntil(app.reader.banner.isVisible)
    assert "the composer broke" in app.reader.banner.text()
