"""Shared pieces for the GUI tests: offscreen Qt, in-memory books, a fake engine.

Imported by tests/test_ui_*.py. Setting QT_QPA_PLATFORM here, at import (collection)
time, happens before pytest-qt creates the QApplication.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from m2m_reader.engine import doubles  # noqa: E402
from m2m_reader.engine.analysis.emotions import normalise  # noqa: E402
from m2m_reader.engine.analysis.records import Analysis, PageResult, SceneResult  # noqa: E402
from m2m_reader.engine.books.model import Book, Page  # noqa: E402
from m2m_reader.engine.core import events as ev
from m2m_reader.engine.core.errors import PageError  # noqa: E402


def page_colour(index: int) -> tuple[int, int, int]:
    """A distinct, recognisable colour per page, so a test can tell which page shows."""
    return ((index * 53) % 200 + 40, (index * 97) % 200 + 40, (index * 31) % 200 + 40)


def make_book(
    n: int = 10,
    direction: str = "rtl",
    damaged: frozenset[int] = frozenset(),
    wide: frozenset[int] = frozenset(),
    size: tuple[int, int] = (300, 430),
) -> Book:
    """A book whose page i is a solid `page_colour(i)`; `damaged` pages fail to decode."""
    pages = []
    for i in range(n):
        w, h = (size[0] * 2, size[1]) if i in wide else size
        pages.append(Page(index=i, name=f"{i:03d}.png", width=w, height=h, double=i in wide))

    def open_image(page: Page) -> Image.Image:
        if page.index in damaged:
            raise PageError(
                f"page {page.index + 1} ({page.name}) of test book is damaged (bad data)."
            )
        return Image.new("RGB", (page.width or 1, page.height or 1), page_colour(page.index))

    return Book(
        path=Path(f"/tmp/test-book-{n}"),
        title=f"Test book {n}",
        kind="folder",
        direction=direction,  # type: ignore[arg-type]
        pages=pages,
        open_image=open_image,
        fingerprint=f"fp-{n}-{direction}-{sorted(damaged)}-{sorted(wide)}",
        direction_known=True,
    )


def make_analysis(n: int, scene_len: int = 4) -> Analysis:
    scenes = []
    moods = ["happiness", "fear", "sadness", "anger"]
    for k, first in enumerate(range(0, n, scene_len)):
        last = min(n - 1, first + scene_len - 1)
        mood = normalise({moods[k % len(moods)]: 0.6, "neutral": 0.4})
        pages = [
            PageResult(
                index=i, emotions=mood, caption=f"caption {i}", backends={"caption": "builtin"}
            )
            for i in range(first, last + 1)
        ]
        scenes.append(
            SceneResult(
                index=k,
                first_page=first,
                last_page=last,
                directive=f"directive {k}",
                emotions=mood,
                pages=pages,
                backends={"directive": "builtin"},
            )
        )
    return Analysis(title="t", n_pages=n, mode="scene", scenes=scenes)


class FakeOutput:
    def __init__(self, sound: bool) -> None:
        self.stream = object() if sound else None
        self.device_name = "Test speakers" if sound else ""


class FakePlayer:
    """The live player's interface (as `LivePlayer`): records calls, keeps its state."""

    def __init__(self, engine: FakeEngine, sound: bool = True) -> None:
        self.engine = engine
        self.output = FakeOutput(sound)
        self.message = "" if sound else "No sound: this computer has no audio output device."
        self.paused = False
        self.volume = self.crossfade = None
        self.muted = False

    @property
    def playing(self) -> bool:
        return self.output.stream is not None and not self.paused

    def play(self) -> None:
        self.engine._record("play")
        self.paused = False

    def pause(self) -> None:
        self.engine._record("pause")
        self.paused = True

    def set_volume(self, volume: float) -> None:
        self.engine._record("set_volume", volume)
        self.volume = volume

    def set_muted(self, muted: bool) -> None:
        self.engine._record("set_muted", muted)
        self.muted = muted

    def set_crossfade(self, seconds: float) -> None:
        self.engine._record("set_crossfade", seconds)
        self.crossfade = seconds


class FakeEngine(doubles.FakeEngine):
    """The engine's interface with recorded calls; edits change the analysis and emit.
    `player`: None (no player, as an engine without audio), "sound" or "silent"."""

    def __init__(self, settings=None, on_event=None, player: str | None = None) -> None:
        super().__init__(settings, on_event)
        self.on_event = on_event or (lambda e: None)
        self.calls: list[tuple] = []
        self.player = FakePlayer(self, player == "sound") if player else None
        self.book: Book | None = None
        self._analysis: Analysis | None = None
        self.offline_seen: list[bool] = []
        self.lock = threading.Lock()
        if settings is not None:
            settings.subscribe(self._setting)

    def _setting(self, name, value) -> None:
        if name == "offline":
            self.offline_seen.append(value)

    def _record(self, *call) -> None:
        with self.lock:
            self.calls.append(call)

    def names(self) -> list[str]:
        with self.lock:
            return [c[0] for c in self.calls]

    def open(self, book: Book, page: int = 0) -> None:
        self._record("open", book.title, page)
        self.book = book
        self._analysis = make_analysis(len(book))
        self.on_event(ev.StageDone(stage="scenes", key="k", backend="builtin"))
        self.on_event(ev.CueReady(page=page, backend="composer"))

    def set_cursor(self, page: int, kind: str = "turn") -> None:
        self._record("set_cursor", page, kind)
        self.on_event(ev.CueReady(page=page, backend="composer"))
        self.on_event(ev.Playing(page=page, scene=page // 4))

    def analysis(self) -> Analysis | None:
        return self._analysis

    def edit_directive(self, first: int, last: int, text: str) -> None:
        self._record("edit_directive", first, last, text)
        assert self._analysis is not None
        scene = self._analysis.scene_of(first)
        scene.directive = text
        scene.edited.append("directive")
        self.on_event(ev.StageDone(stage="directive", key="k", backend="person", scene=scene.index))

    def edit_caption(self, page: int, text: str) -> None:
        self._record("edit_caption", page, text)
        assert self._analysis is not None
        result = self._analysis.page(page)
        result.caption = text
        result.edited.append("caption")
        self.on_event(ev.StageDone(stage="caption", key="k", backend="person", page=page))

    def prepare_all(self) -> None:
        self._record("prepare_all")

    def play(self) -> None:
        self._record("play")

    def pause(self) -> None:
        self._record("pause")

    def close(self) -> None:
        self._record("close")


@pytest.fixture
def ui_dirs(tmp_path, monkeypatch):
    """Keep settings, library and cache of a test in its own folders."""
    for name in ("CONFIG", "DATA", "CACHE"):
        folder = tmp_path / name.lower()
        folder.mkdir()
        monkeypatch.setenv(f"M2M_READER_{name}_DIR", str(folder))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return tmp_path


def library_app(qtbot, prefs, library: Path):
    """The app on the real library at `library`, with `prefs` and a fake engine that is
    not started; its windows are closed by qtbot."""
    from m2m_reader.engine.core.settings import Settings
    from m2m_reader.engine.library import Library
    from m2m_reader.ui.app import App
    from m2m_reader.ui.library_source import EngineLibrary

    settings = Settings()
    app = App(
        settings,
        prefs=prefs,
        source=EngineLibrary(Library(library)),
        engine=FakeEngine(settings),
        start_engine=False,
    )
    app.bridge.save_settings = False
    qtbot.addWidget(app.reader)
    qtbot.addWidget(app.library)
    return app


def heard_in_order(calls: list, expected: list) -> bool:
    """The engine heard the reader's cursor moves in order, ending at the last one.
    Moves the engine had not taken yet when the next came are merged into it (the
    bridge sends only the newest of those waiting), so `calls` may skip some."""
    if not calls or calls[-1] != expected[-1]:
        return False
    rest = iter(expected)
    return all(any(call == want for want in rest) for call in calls)
