"""The engine's API: what the UI's bridge, the `play` command and the tests call.

`EngineAPI` is the live session as its callers see it (`session.engine.Engine` is the
real one; `doubles.FakeEngine` records calls for UI tests). `CueSink` is what the
engine feeds cues and page turns to (the live mixer, or a test's recorder), and
`Player` the live player's controls. These are protocols: anything with these
methods is one, no base class needed. Nothing here imports Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .analysis.records import Analysis
    from .books.model import Book
    from .core import events as ev
    from .core.cancel import CancelToken
    from .core.settings import Settings
    from .core.store import Store
    from .music.base import Cue
    from .session.page_table import PageInfo

TurnKind = str  # "turn" (to the next or previous page) or "jump" (anywhere else)
Progress = Callable[[int, int], None]  # (pages done, pages in all)
EventSink = Callable[["ev.Event"], None]


class CueSink(Protocol):
    """Takes the engine's cues and the reader's page turns (the mixer)."""

    def set_cue(self, page: int, cue: Cue) -> None: ...

    def forget(self, page: int) -> None: ...

    def turn(self, page: int, kind: str = "turn") -> None: ...


class AudioOutput(Protocol):
    """The player's output stream, as the UI reports it."""

    @property
    def stream(self) -> object | None:
        """The open stream; None when there is no sound device."""
        ...

    @property
    def device_name(self) -> str: ...


class Player(Protocol):
    """The live player's controls (`audio.live.LivePlayer`)."""

    @property
    def output(self) -> AudioOutput: ...

    @property
    def playing(self) -> bool: ...

    @property
    def message(self) -> str:
        """The device's name, or why there is no sound."""
        ...

    def play(self) -> None: ...

    def pause(self) -> None: ...

    def set_volume(self, volume: float) -> None: ...

    def set_muted(self, muted: bool) -> None: ...

    def set_crossfade(self, seconds: float) -> None: ...

    def close(self) -> None: ...


class EngineAPI(Protocol):
    """The live session: a book, the reader's cursor, and music computed ahead of it."""

    on_event: EventSink | None  # told of progress, cues, fallbacks and errors (any thread)

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store:
        """Where the session's records and cues are kept."""
        ...

    @property
    def player(self) -> Player | None:
        """The live player once audio started, else None."""
        ...

    @property
    def cursor(self) -> int: ...

    # -- the book and the cursor
    def open(self, book: Book, page: int = 0) -> None:
        """Start work on `book` with the cursor on `page`."""
        ...

    def set_cursor(self, page: int, kind: TurnKind = "turn") -> None:
        """The reader moved to `page` by a page turn ("turn") or elsewhere ("jump")."""
        ...

    def close(self) -> None: ...

    # -- what the UI reads
    def cue(self, page: int) -> Cue | None:
        """The page's cue if it is ready in memory."""
        ...

    def page_info(self, page: int) -> PageInfo | None: ...

    def ready_pages(self) -> set[int]:
        """The pages whose music is in the store."""
        ...

    def cue_keys(self) -> dict[int, str]:
        """The store key of each page's cue, where it is known."""
        ...

    def analysis(self) -> Analysis | None:
        """The analysis so far (None before the first scenes)."""
        ...

    # -- a person's edits
    def edit_directive(self, first_page: int, last_page: int, text: str | None) -> None: ...

    def edit_caption(self, page: int, text: str | None) -> None: ...

    def reload_edits(self) -> set[str]: ...

    # -- the whole book, audio, tests
    def prepare_all(
        self,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
        poll_s: float = 0.1,
    ) -> int:
        """Compute every page's music; blocks until done. Returns the pages with music."""
        ...

    def start_audio(self, device: int | str | None = None) -> bool:
        """Play live; False when there is no sound (the player says why)."""
        ...

    def attach_mixer(self, mixer: CueSink) -> None: ...

    def wait_idle(self, timeout: float = 60.0) -> bool: ...

    def settings_applied(self, timeout: float | None = None) -> bool: ...


__all__ = ["AudioOutput", "CueSink", "EngineAPI", "EventSink", "Player", "Progress", "TurnKind"]
