"""The interfaces of the analysis stages.

Two backend families:

- `TextBackend` ("builtin", "openai"): transcript, scene boundaries, scene directive,
  page caption, and the baseline and section modes' own steps.
- `EmotionBackend` ("builtin", "clip"): an emotion profile per page (and per face).

Each method takes a `CancelToken` and may raise `Cancelled`. A backend that cannot do a
call raises `M2MError` (or `BackendUnavailable`); the pipeline then uses the built-in
backend for that record and marks it so.
"""

from __future__ import annotations

from typing import Protocol

from ..books.model import Book
from ..core.cancel import CancelToken
from .records import PageEmotions, PageInput, PageTranscript, SceneInput, ScenesResult


class TextBackend(Protocol):
    name: str

    def settings_key(self) -> str:
        """What of this backend's settings changes its output (model, prompt hash, ...),
        for cache keys. Never includes a secret."""
        ...

    def transcript(self, book: Book, page: int, cancel: CancelToken) -> PageTranscript:
        """The page's dialogue in reading order with speakers, and its faces."""
        ...

    def scenes(
        self, book: Book, transcripts: list[PageTranscript], cancel: CancelToken
    ) -> ScenesResult:
        """Scene boundaries over the given pages (a prefix of the book when provisional)."""
        ...

    def directive(self, scene: SceneInput, cancel: CancelToken) -> str:
        """M2M-Gen step 3: the scene's music directive (24-60 words)."""
        ...

    def caption(self, page: PageInput, cancel: CancelToken) -> str:
        """M2M-Gen step 4: the page's music caption (20-60 words)."""
        ...

    def page_description(self, book: Book, page: PageInput, cancel: CancelToken) -> str:
        """Baseline step 1: describe the page alone (image and dialogue)."""
        ...

    def section(self, book: Book, section: SceneInput, cancel: CancelToken) -> tuple[str, str]:
        """manga2music's two stages over a group of pages: (analysis, music paragraph)."""
        ...


class EmotionBackend(Protocol):
    name: str

    def settings_key(self) -> str: ...

    def page_emotions(
        self, book: Book, transcript: PageTranscript, cancel: CancelToken
    ) -> PageEmotions:
        """Emotion profile of page `transcript.index` over KangaiSet's seven classes."""
        ...
