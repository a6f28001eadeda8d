"""Leftovers of issue 16 in the reader window: the strip keeps the page at the reading
line through a resize, and the window never opens a book on an engine it closed
(offscreen Qt)."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from bookfactory import run, tool
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from test_engine_doubles import make_engine
from test_ui_reader import make_window
from ui_support import make_book, ui_dirs  # noqa: F401

from m2m_reader.engine.books import open_book
from m2m_reader.engine.core.settings import Settings
from m2m_reader.ui import next_volume as next_volume_module
from m2m_reader.ui.bridge import EngineBridge
from m2m_reader.ui.next_volume import next_volume
from m2m_reader.ui.page_view import EDGE_STOP_S
from m2m_reader.ui.prefs import Prefs
from m2m_reader.ui.reader_window import ReaderWindow

STRIP = (300, 1200)  # a webtoon page: four times taller than wide


def reading_line(strip):
    """(The page at the reading line, how far down that page the line is, 0-1.)"""
    line = strip.height() / 3
    for i in range(len(strip._tops)):
        rect = strip.page_rect(i)
        if rect.top() <= line < rect.bottom():
            return i, (line - rect.top()) / rect.height()
    raise AssertionError("no page at the reading line")


@pytest.fixture
def win(qtbot, tmp_path, ui_dirs):  # noqa: F811
    w = make_window(qtbot, tmp_path, size=(900, 800))
    w.set_layout("single")
    return w


@pytest.mark.parametrize("size", [(1300, 800), (600, 800), (1300, 500), (700, 950)])
def test_a_resize_keeps_the_page_at_the_reading_line(qtbot, win, size):
    win.set_book(make_book(8, "ltr", size=STRIP))
    strip = win.strip
    assert win.vertical
    # The reading line 40% down page 3.
    strip.scroll_to(strip._tops[3] + 0.4 * strip.page_rect(3).height() - strip.height() / 3,
                    animate=False)  # fmt: skip
    assert reading_line(strip) == (3, pytest.approx(0.4, abs=0.01))
    width = strip.width()
    win.resize(*size)
    qtbot.waitUntil(lambda: strip.width() != width)
    page, frac = reading_line(strip)
    assert (page, frac) == (3, pytest.approx(0.4, abs=0.01))
    assert win.page == 3
    win.resize(900, 800)  # and back
    qtbot.waitUntil(lambda: strip.width() == width)
    assert reading_line(strip) == (3, pytest.approx(0.4, abs=0.01))


def test_at_the_top_of_the_strip_a_resize_keeps_the_top_in_sight(qtbot, win):
    win.set_book(make_book(8, "ltr", size=STRIP))
    strip = win.strip
    win.resize(600, 800)
    qtbot.waitUntil(lambda: strip.width() < 600)
    win.resize(1300, 800)
    qtbot.waitUntil(lambda: strip.width() > 900)
    assert strip.scroll_y() == 0 and win.page == 0


# The next volume -------------------------------------------------------------------


def cbz(path, colour=(90, 90, 200), pages=2):
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(pages):
            blob = io.BytesIO()
            Image.new("RGB", (60, 86), colour).save(blob, "PNG")
            zf.writestr(f"{i:03d}.png", blob.getvalue())
    return path


def locked_cbz(path, tmp_path):
    src = tmp_path / f"src-{path.stem}"
    src.mkdir()
    Image.new("RGB", (60, 86), (200, 90, 90)).save(src / "001.png")
    run(tool("zip"), "-q", "-P", "secret", path, "001.png", cwd=src)
    return path


def test_the_next_volume_passes_over_a_locked_or_damaged_archive(tmp_path):
    series = tmp_path / "series"
    series.mkdir()
    cbz(series / "Vol 1.cbz")
    locked_cbz(series / "Vol 2.cbz", tmp_path)
    (series / "Vol 3.cbz").write_bytes(b"PK\x03\x04 not really a zip")
    cbz(series / "Vol 4.cbz")
    assert next_volume(series / "Vol 1.cbz") == series / "Vol 4.cbz"
    assert next_volume(series / "Vol 2.cbz") == series / "Vol 4.cbz"
    assert next_volume(series / "Vol 4.cbz") is None


def test_only_the_volume_offered_is_opened(tmp_path, monkeypatch):
    for n in range(1, 8):
        cbz(tmp_path / f"Vol {n}.cbz")
    opened = []
    real = next_volume_module.open_book
    monkeypatch.setattr(next_volume_module, "open_book", lambda p: opened.append(p) or real(p))
    assert next_volume(tmp_path / "Vol 2.cbz") == tmp_path / "Vol 3.cbz"
    assert opened == [tmp_path / "Vol 3.cbz"]


def test_at_the_last_page_the_reader_offers_the_volume_that_opens(qtbot, tmp_path, win):
    series = tmp_path / "series"
    series.mkdir()
    first = cbz(series / "Chapter 1.cbz")
    locked_cbz(series / "Chapter 2.cbz", tmp_path)
    cbz(series / "Chapter 3.cbz", (40, 200, 40))
    win.set_book(open_book(first))
    qtbot.waitUntil(lambda: win.finder.next_book is not None)
    qtbot.keyClick(win, Qt.Key.Key_End)
    assert "Chapter 3" in win.statusBar().currentMessage()
    time.sleep(EDGE_STOP_S + 0.05)
    qtbot.keyClick(win, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: win.book.path.name == "Chapter 3.cbz", timeout=5000)
    assert win.banner.isHidden()  # no "password-protected" error on the way


# A book opened after the engine closed ---------------------------------------------


def test_after_the_engine_closed_a_book_still_reads_and_nothing_is_asked_of_it(
    qtbot,
    tmp_path,
    ui_dirs,  # noqa: F811
):
    settings = Settings()
    bridge = EngineBridge(None, settings)
    bridge.save_settings = False
    engine = make_engine(settings=settings, on_event=bridge.on_event)
    bridge.attach(engine)
    win = ReaderWindow(settings, bridge, Prefs(tmp_path / "ui.json"))
    qtbot.addWidget(win)
    win.show()
    errors: list[str] = []
    bridge.error.connect(errors.append)
    win.set_book(make_book(6, "ltr"))
    bridge.wait_idle()
    bridge.close()  # as at shutdown, or before an engine is rebuilt
    assert engine._closed
    win.set_book(make_book(7, "ltr"))
    win.next_spread()
    bridge.wait_idle()
    qtbot.wait(100)  # the bridge's callbacks land
    assert errors == [] and win.banner.isHidden()
    assert win.page == 1 and win.page_label.text().strip() == "2 / 7"
    # A fresh engine attached later starts on the book that is open now.
    fresh = make_engine(settings=settings, on_event=bridge.on_event)
    with qtbot.waitSignal(bridge.analysisChanged, timeout=10_000):
        bridge.attach(fresh)
        win.next_spread()
    bridge.wait_idle()
    assert fresh.book is not None and len(fresh.book) == 7 and errors == []
    bridge.close()


# The thumbnail strip's heading -------------------------------------------------------


def below_heading(dock, first):
    """Where a dock's first part sits under its heading: (inset from the dock's left,
    room between the heading and it)."""
    at = first.mapTo(dock, QPoint(0, 0))
    return at.x(), at.y() - dock.widget().geometry().top()


@pytest.mark.parametrize("grid", [False, True])
def test_the_pages_heading_has_the_room_under_it_of_the_soundtrack_heading(qtbot, win, grid):
    win.set_book(make_book(6, "ltr"))
    win.finder.show_grid(True) if grid else win.finder.show_thumbnails(True)
    qtbot.waitUntil(lambda: win.thumbs.isVisible() and win.panel.isVisible())
    pages = below_heading(win.thumbs_dock, win.thumbs)
    assert pages == below_heading(win.dock, win.panel.scene_title)
    assert pages[1] >= 4  # not glued to the heading
