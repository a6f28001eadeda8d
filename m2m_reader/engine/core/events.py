"""What the engine tells the UI and the command line.

The engine calls its `on_event` callback with one of these, from a worker thread; the
Qt bridge turns them into signals, the terminal player prints them. All are small,
immutable and safe to pass between threads.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StageDone:
    """An analysis stage finished one item (a page, a scene, or the whole book)."""

    stage: str  # "transcript", "scenes", "emotions", "directive", "caption"
    key: str  # the cache key of the record
    backend: str
    page: int | None = None
    scene: int | None = None
    provisional: bool = False  # scenes only: from the first pages, a final answer follows


@dataclass(frozen=True)
class CueReady:
    """A page's music is ready (computed or from the cache)."""

    page: int
    backend: str
    cached: bool = False


@dataclass(frozen=True)
class Progress:
    """Long work: `done` of `total` steps of `what` ("analysis", "soundtrack", ...)."""

    done: int
    total: int
    what: str


@dataclass(frozen=True)
class BackendFallback:
    """A chosen backend could not start or failed; the built-in one took over."""

    stage: str
    backend: str
    fallback: str
    message: str  # one sentence for the person; never holds a secret


@dataclass(frozen=True)
class EngineError:
    """Something failed that the person should see; the engine keeps going."""

    message: str
    page: int | None = None


@dataclass(frozen=True)
class Playing:
    """The live player moved to a page's music."""

    page: int
    scene: int


Event = StageDone | CueReady | Progress | BackendFallback | EngineError | Playing
