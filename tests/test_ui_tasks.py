"""The UI's runner: results come back on the UI thread; the newest cursor wins."""

from __future__ import annotations

import os
import sys
import threading

import pytest
import ui_support  # noqa: F401 - offscreen Qt before the application exists

from m2m_reader.ui.tasks import Runner


def test_turns_faster_than_a_busy_engine_reach_it_once_at_the_newest_page(qtbot):
    runner = Runner(threads=1)
    busy, seen = threading.Event(), []
    runner.run(busy.wait, 10)  # the engine is busy with something else
    for page in range(1, 41):  # forty turns meanwhile
        runner.run_latest("cursor", seen.append, page)
    busy.set()
    assert runner.wait(5000)
    assert seen == [40]
    runner.run_latest("cursor", seen.append, 41)  # nothing waiting: it runs as it comes
    assert runner.wait(5000)
    assert seen == [40, 41]


def test_newest_calls_of_other_keys_each_run(qtbot):
    runner = Runner(threads=1)
    busy, seen = threading.Event(), []
    runner.run(busy.wait, 10)
    for book in ("a", "b"):
        for page in range(3):
            runner.run_latest(("progress", book), lambda b, p: seen.append((b, p)), book, page)
    busy.set()
    assert runner.wait(5000)
    assert sorted(seen) == [("a", 2), ("b", 2)]


def test_the_result_comes_back_on_the_ui_thread(qtbot):
    runner = Runner(threads=1)
    results = []
    ui = threading.get_ident()
    runner.run_latest("k", lambda: threading.get_ident(), on_done=results.append)
    qtbot.waitUntil(lambda: len(results) == 1)
    assert results[0] != ui
    where = []
    runner.run_latest("k", lambda: 1, on_done=lambda _r: where.append(threading.get_ident()))
    qtbot.waitUntil(lambda: len(where) == 1)
    assert where == [ui]


def test_a_jump_merged_with_later_turns_stays_a_jump(qtbot):
    from m2m_reader.ui.bridge import _keep_jump

    runner = Runner(threads=1)
    busy, seen = threading.Event(), []
    runner.run(busy.wait, 10)
    for page, kind in ((3, "turn"), (9, "jump"), (10, "turn")):
        runner.run_latest("cursor", lambda p, k: seen.append((p, k)), page, kind, merge=_keep_jump)
    busy.set()
    assert runner.wait(5000)
    assert seen == [(10, "jump")]


def test_calls_that_are_done_keep_nothing_they_held_alive(qtbot):
    """Thousands of quick calls (page turns, progress writes): once their results are
    delivered, nothing they were given or gave back is still held anywhere."""
    import gc
    import weakref

    class Page:  # stands for a decoded page or a book handed to a call
        pass

    runner = Runner(threads=2)
    held: list[weakref.ref[Page]] = []
    delivered: list[int] = []
    stop = threading.Event()

    def engine_at_work() -> None:  # Python busy on another thread, as the engine is
        while not stop.is_set():
            sum(range(1000))

    busy = threading.Thread(target=engine_at_work)
    busy.start()
    try:
        for i in range(3000):
            page = Page()
            held.append(weakref.ref(page))
            runner.run(lambda p, i=i: i, page, on_done=delivered.append)
            del page
        assert runner.wait(10_000)
    finally:
        stop.set()
        busy.join()
    qtbot.waitUntil(lambda: len(delivered) == 3000)
    gc.collect()
    assert [r for r in held if r() is not None] == []


def test_a_result_for_a_window_deleted_meanwhile_is_dropped(qtbot):
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QWidget

    class Grid(QWidget):
        def __init__(self):
            super().__init__()
            self.child = QWidget(self)
            self.shown: list[object] = []

        def show_entries(self, entries):
            self.child.setObjectName("x")  # raises once the C++ objects are gone
            self.shown.append(entries)

    runner = Runner(threads=1)  # the app's, which outlives the window
    busy = threading.Event()
    window = Grid()
    runner.run(lambda: busy.wait(10) and [1, 2], on_done=window.show_entries)
    alive = Grid()
    runner.run(lambda: [3], on_done=alive.show_entries)
    window.deleteLater()  # the person closed the library window
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    busy.set()
    assert runner.wait(5000)
    qtbot.waitUntil(lambda: alive.shown == [[3]])  # a live window still hears back


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a niceness per thread: Linux")
def test_the_windows_workers_run_below_the_ui_threads_priority(qtbot, tmp_path):
    from PIL import Image

    from m2m_reader.engine.books import open_book
    from m2m_reader.ui.thumbnails import ThumbnailModel

    ui = os.getpriority(os.PRIO_PROCESS, 0)
    runner = Runner(threads=1)
    seen: list[int] = []
    runner.run(lambda: os.getpriority(os.PRIO_PROCESS, 0), on_done=seen.append)
    qtbot.waitUntil(lambda: len(seen) == 1)
    assert seen[0] > ui and os.getpriority(os.PRIO_PROCESS, 0) == ui  # the UI's unchanged

    for i in range(2):
        Image.new("RGB", (60, 90), (i * 90, 40, 40)).save(tmp_path / f"{i}.png")
    niceness: list[int] = []
    real = Image.Image.thumbnail

    def thumbnail(self, *args, **kwargs):  # what the thumbnail thread runs at
        niceness.append(os.getpriority(os.PRIO_PROCESS, 0))
        return real(self, *args, **kwargs)

    Image.Image.thumbnail = thumbnail  # type: ignore[method-assign]
    try:
        model = ThumbnailModel()
        model.set_book(open_book(tmp_path))
        model.load()
        assert model.wait_idle(10_000)
    finally:
        Image.Image.thumbnail = real  # type: ignore[method-assign]
    assert niceness and min(niceness) > seen[0]  # thumbnails below page decoding
