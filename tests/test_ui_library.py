"""The library window: adding by path and by drop, covers, progress, recent, remove,
opening a book; and `m2m-reader gui` refusing a missing book."""

from __future__ import annotations

import argparse

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from ui_support import ui_dirs  # noqa: F401

from m2m_reader.commands import gui
from m2m_reader.engine.errors import M2MError
from m2m_reader.ui.library_source import JsonLibrary
from m2m_reader.ui.library_window import COVER, LibraryWindow


def folder_book(root, name, pages=3):
    folder = root / name
    folder.mkdir()
    for i in range(pages):
        Image.new("RGB", (200, 290), (40 + 60 * i, 90, 140)).save(folder / f"{i + 1:02d}.png")
    return folder


@pytest.fixture
def library(qtbot, tmp_path, ui_dirs):  # noqa: F811
    win = LibraryWindow(JsonLibrary(tmp_path / "lib"))
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
    fresh = LibraryWindow(JsonLibrary(tmp_path / "lib"))
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
    library.runner.wait()
    assert sorted(e.title for e in JsonLibrary(tmp_path / "lib").entries()) == ["Three", "Two"]


def test_activating_a_card_asks_to_open_it_at_the_saved_page(qtbot, tmp_path, library):
    library.add_paths([str(folder_book(tmp_path, "Alpha", 5))])
    qtbot.waitUntil(lambda: len(library.entries()) == 1)
    library.record_progress(library.entries()[0].path, 3)
    with qtbot.waitSignal(library.openRequested) as opened:
        library.grid.activated.emit(library.model.index(0, 0))
    assert opened.args[1] == 3 and opened.args[0].endswith("Alpha")


def test_gui_command_refuses_a_missing_book(tmp_path):
    parser = argparse.ArgumentParser()
    gui.register(parser.add_subparsers())
    args = parser.parse_args(["gui", str(tmp_path / "missing.cbz")])
    with pytest.raises(M2MError, match="missing.cbz does not exist"):
        args.func(args)
