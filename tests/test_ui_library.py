"""The library window: adding by path and by drop, covers, progress, recent, remove,
opening a book, the offline badge checked against the cache; and `m2m-reader gui`
refusing a missing book."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from ui_support import ui_dirs  # noqa: F401

from m2m_reader.commands import gui
from m2m_reader.engine.core.cache import DiskCache
from m2m_reader.engine.core.errors import M2MError
from m2m_reader.engine.library import Library
from m2m_reader.ui.library_source import EngineLibrary
from m2m_reader.ui.library_window import COVER, LibraryWindow


def folder_book(root, name, pages=3):
    folder = root / name
    folder.mkdir()
    for i in range(pages):
        Image.new("RGB", (200, 290), (40 + 60 * i, 90, 140)).save(folder / f"{i + 1:02d}.png")
    return folder


class PreparingEngine:
    """An engine double for "prepare for offline": music for every page, step by step,
    each cue written to the real cache (the test's cache folder) under its key."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, int]] = []
        self.closed = False
        self.keys: dict[int, str] = {}

    def open(self, book, page=0) -> None:
        self.opened.append((book.title, page))
        self.pages = len(book)
        self.title = book.title

    def prepare_all(self, progress=None, cancel=None) -> int:
        cache = DiskCache()
        for done in range(self.pages + 1):
            if done:
                key = f"cue-{self.title}-{done - 1}"
                cache.put_audio(key, np.zeros((2205, 2), np.float32), 22050, {})
                self.keys[done - 1] = key
            if progress is not None:
                progress(done, self.pages)
        return self.pages

    def cue_keys(self) -> dict[int, str]:
        return dict(self.keys)

    def close(self) -> None:
        self.closed = True


def source(tmp_path, engines=None):
    def make_engine():
        engine = PreparingEngine()
        if engines is not None:
            engines.append(engine)
        return engine

    return EngineLibrary(Library(tmp_path / "lib.sqlite3"), make_engine=make_engine)


@pytest.fixture
def library(qtbot, tmp_path, ui_dirs):  # noqa: F811
    win = LibraryWindow(source(tmp_path))
    qtbot.addWidget(win)
    win.show()
    return win


def test_add_shows_a_card_with_cover_and_persists(qtbot, tmp_path, library):
    assert library.empty.isVisible()
    library.add_paths([str(folder_book(tmp_path, "Alpha", 4))])
    qtbot.waitUntil(lambda: len(library.entries()) == 1)
    entry = library.entries()[0]
    assert (entry.title, entry.pages) == ("Alpha", 4)
    qtbot.waitUntil(lambda: library.model.item(0).data(COVER) is not None)
    assert not library.empty.isVisible()
    fresh = LibraryWindow(source(tmp_path))
    qtbot.addWidget(fresh)
    fresh.reload()
    qtbot.waitUntil(lambda: [e.title for e in fresh.entries()] == ["Alpha"])


def test_drop_a_folder_adds_it(qtbot, tmp_path, library):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder_book(tmp_path, "Dropped")))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    library.dropEvent(event)  # what Qt calls when a drag is released on the window
    assert event.isAccepted()
    qtbot.waitUntil(lambda: [e.title for e in library.entries()] == ["Dropped"])


def test_a_bad_book_shows_a_message_not_a_crash(qtbot, tmp_path, library):
    bad = tmp_path / "nothing.cbz"
    bad.write_bytes(b"not a zip at all")
    library.add_paths([str(bad)])
    qtbot.waitUntil(lambda: library.banner.isVisible())
    assert "nothing.cbz" in library.banner.text()
    assert library.entries() == []


def test_progress_recent_and_remove(qtbot, tmp_path, library):
    for name in ("One", "Two", "Three"):
        library.add_paths([str(folder_book(tmp_path, name))])
    qtbot.waitUntil(lambda: len(library.entries()) == 3)
    by_title = {e.title: e for e in library.entries()}
    library.record_progress(by_title["Two"].path, 2)
    library.record_progress(by_title["Three"].path, 1)
    assert by_title["Two"].progress == pytest.approx(1.0)
    library.set_recent_only(True)
    assert library.visible_titles() == ["Three", "Two"]  # newest first, unread hidden
    library.set_recent_only(False)
    row = next(r for r in range(3) if library.model.item(r).text() == "One")
    library.grid.setCurrentIndex(library.model.index(row, 0))
    library.remove_selected()
    assert sorted(e.title for e in library.entries()) == ["Three", "Two"]
    library.writer.wait()
    kept = source(tmp_path).entries()
    assert sorted(e.title for e in kept) == ["Three", "Two"]
    assert {e.title: e.page for e in kept} == {"Two": 2, "Three": 1}
    assert [e.title for e in kept][0] == "Three"  # the library's recent order


def test_activating_a_card_asks_to_open_it_at_the_saved_page(qtbot, tmp_path, library):
    library.add_paths([str(folder_book(tmp_path, "Alpha", 5))])
    qtbot.waitUntil(lambda: len(library.entries()) == 1)
    library.record_progress(library.entries()[0].path, 3)
    with qtbot.waitSignal(library.openRequested) as opened:
        library.grid.activated.emit(library.model.index(0, 0))
    assert opened.args[1] == 3 and opened.args[0].endswith("Alpha")


def test_listing_shows_progress_and_the_soundtrack_badge(qtbot, tmp_path, library):
    path = str(folder_book(tmp_path, "Alpha", 4))
    library.add_paths([path])
    qtbot.waitUntil(lambda: len(library.entries()) == 1)
    entry = library.entries()[0]
    library.record_progress(entry.path, 3)
    library.record_music(entry.path, 2, 4)  # the reader's engine has music for 2 pages
    library.writer.wait()
    fresh = LibraryWindow(source(tmp_path))
    qtbot.addWidget(fresh)
    fresh.reload()
    qtbot.waitUntil(lambda: len(fresh.entries()) == 1)
    shown = fresh.entries()[0]
    assert (shown.page, shown.progress, shown.cached) == (3, 1.0, 0.5)
    assert not shown.offline_ready
    qtbot.waitUntil(lambda: fresh.model.item(0).data(COVER) is not None)
    assert not fresh.model.item(0).data(COVER).isNull()


def test_prepare_for_offline_shows_progress_and_the_ready_badge(qtbot, tmp_path, ui_dirs):  # noqa: F811
    engines: list[PreparingEngine] = []
    win = LibraryWindow(source(tmp_path, engines))
    qtbot.addWidget(win)
    win.show()
    win.add_paths([str(folder_book(tmp_path, "Alpha", 5))])
    qtbot.waitUntil(lambda: len(win.entries()) == 1)
    win.grid.setCurrentIndex(win.model.index(0, 0))
    seen: list[tuple[int, int]] = []
    win.prepareProgress.connect(lambda _p, done, total: seen.append((done, total)))
    with qtbot.waitSignal(win.prepareFinished, timeout=10_000):
        qtbot.mouseClick(win.prepare_button, Qt.MouseButton.LeftButton)
    assert seen[-1] == (5, 5) and len(seen) == 6
    qtbot.waitUntil(lambda: win.entries()[0].offline_ready)  # once seen in the cache
    assert "ready to read offline" in win.statusBar().currentMessage()
    assert engines[0].opened == [("Alpha", 0)] and engines[0].closed
    assert source(tmp_path).entries()[0].offline_ready  # kept in the library


def test_the_offline_badge_goes_when_the_cache_loses_the_music(qtbot, tmp_path, ui_dirs):  # noqa: F811
    win = LibraryWindow(source(tmp_path))
    qtbot.addWidget(win)
    win.add_paths([str(folder_book(tmp_path, "Alpha", 4))])
    qtbot.waitUntil(lambda: len(win.entries()) == 1)
    with qtbot.waitSignal(win.prepareFinished, timeout=10_000):
        win.prepare(win.entries()[0].path)
    qtbot.waitUntil(lambda: win.entries()[0].offline_ready)
    cache = DiskCache()
    for entry in cache.entries()[:1]:  # the size limit evicted one page's cue
        entry.path.unlink()
    win.reload()
    qtbot.waitUntil(lambda: not win.entries()[0].offline_ready)
    assert win.entries()[0].cached == pytest.approx(0.75)
    cache.clear()  # `m2m-reader cache prune` or a cleared cache
    win.reload()
    qtbot.waitUntil(lambda: win.entries()[0].cached == 0.0)
    assert not win.entries()[0].offline_ready


def test_music_only_reported_is_never_offline(qtbot, tmp_path, library):
    """A count of pages with music (the live reader's) without cues in the cache shows
    a share, never the offline badge."""
    library.add_paths([str(folder_book(tmp_path, "Alpha", 2))])
    qtbot.waitUntil(lambda: len(library.entries()) == 1)
    library.record_music(library.entries()[0].path, 2, 2)
    library.writer.wait()
    assert not library.entries()[0].offline_ready
    library.reload()
    qtbot.waitUntil(lambda: library.entries()[0].cached == 1.0)
    assert not library.entries()[0].offline_ready


def test_gui_command_refuses_a_missing_book(tmp_path):
    parser = argparse.ArgumentParser()
    gui.register(parser.add_subparsers())
    args = parser.parse_args(["gui", str(tmp_path / "missing.cbz")])
    with pytest.raises(M2MError, match="missing.cbz does not exist"):
        args.func(args)


def test_music_the_reader_made_counts_once_its_cues_are_seen_in_the_cache(qtbot, tmp_path, library):
    library.add_paths([str(folder_book(tmp_path, "Alpha", 2))])
    qtbot.waitUntil(lambda: len(library.entries()) == 1)
    path = library.entries()[0].path
    cache = DiskCache()
    for page in range(2):  # the live engine's cues, in the cache under their keys
        cache.put_audio(f"live-{page}", np.zeros((2205, 2), np.float32), 22050, {})
    library.record_music(path, 2, 2)
    library.record_cues(path, {0: "live-0", 1: "live-1"})
    library.writer.wait()
    library.reload()
    qtbot.waitUntil(lambda: library.entries()[0].offline_ready)
