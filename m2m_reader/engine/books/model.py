"""The book model every loader produces and every stage reads.

Coordinates are pixels of the page image as stored (for Manga109, of the two-page
spread). Pages are listed in reading order; `Page.index` is the 0-based position in
that order, which is the page number used everywhere else (analysis, cues, UI).
Images decode lazily through `Book.image()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from PIL import Image

from ..core.errors import PageError

Direction = Literal["rtl", "ltr"]


@dataclass(frozen=True)
class Box:
    xmin: int
    ymin: int
    xmax: int
    ymax: int

    @property
    def width(self) -> int:
        return self.xmax - self.xmin

    @property
    def height(self) -> int:
        return self.ymax - self.ymin

    @property
    def center(self) -> tuple[float, float]:
        return ((self.xmin + self.xmax) / 2, (self.ymin + self.ymax) / 2)


@dataclass(frozen=True)
class Character:
    id: str
    name: str


@dataclass(frozen=True)
class TextBox:
    id: str
    box: Box
    text: str
    speaker: str | None = None  # a Character.id, when known


@dataclass(frozen=True)
class Face:
    id: str
    box: Box
    character: str | None = None  # a Character.id, when known


@dataclass(frozen=True)
class Body:
    id: str
    box: Box
    character: str | None = None


@dataclass(frozen=True)
class Frame:
    id: str
    box: Box


@dataclass
class Page:
    index: int  # position in reading order, 0-based
    name: str  # member or file name in the source, for messages
    width: int | None = None
    height: int | None = None
    double: bool = False  # a two-page spread (shown alone, or split by the reader)
    kind: str = "Story"  # ComicInfo page type, when given
    texts: list[TextBox] = field(default_factory=list)
    faces: list[Face] = field(default_factory=list)
    bodies: list[Body] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)

    @property
    def aspect(self) -> float | None:
        if self.width and self.height:
            return self.width / self.height
        return None


ImageOpener = Callable[[Page], Image.Image]


@runtime_checkable
class TwoStepOpener(Protocol):
    """An opener whose bytes can be read apart from their decoding (`PageOpener`)."""

    def read(self, page: Page) -> bytes: ...

    def decode(
        self, page: Page, data: bytes, draft: tuple[int, int] | None = None
    ) -> Image.Image: ...

    def __call__(self, page: Page) -> Image.Image: ...


class Book:
    """A book: metadata, pages in reading order, and lazy page images.

    Args:
        path: the file or folder the book came from.
        title: a display title.
        kind: the loader that made it ("folder", "cbz", "cbr", "pdf", "manga109").
        direction: reading direction, "rtl" or "ltr".
        pages: pages in reading order.
        open_image: decodes one page; raises `PageError` for a damaged page.
        characters: named characters by id (Manga109, or recovered).
        fingerprint: a stable hash of the book's content, used in cache keys.
        direction_known: True when the direction came from the book itself.
        language: the book's language when it says (ComicInfo `LanguageISO`), else None.
        series, number: the series the book belongs to and its number in it, when the
            book says (ComicInfo `Series`, `Number`), else None.
        close: releases open files.
    """

    def __init__(
        self,
        *,
        path: Path,
        title: str,
        kind: str,
        direction: Direction,
        pages: list[Page],
        open_image: ImageOpener,
        fingerprint: str,
        characters: dict[str, Character] | None = None,
        direction_known: bool = False,
        language: str | None = None,
        close: Callable[[], None] | None = None,
        series: str | None = None,
        number: str | None = None,
    ) -> None:
        self.path = path
        self.title = title
        self.kind = kind
        self.direction: Direction = direction
        self.direction_known = direction_known
        self.language = language  # ISO 639 code from the book (ComicInfo LanguageISO)
        self.series = series
        self.number = number
        self.pages = pages
        self.characters = characters or {}
        self.fingerprint = fingerprint
        self._open_image = open_image
        self._close = close
        self._lock = threading.Lock()  # archive handles are not thread-safe
        self._failures: dict[int, str] = {}  # page index -> why it could not be decoded

    def __len__(self) -> int:
        return len(self.pages)

    def image(self, index: int, *, draft: tuple[int, int] | None = None) -> Image.Image:
        """Decode page `index` (RGB or L). Raises `PageError` if it is damaged.

        Only the reading of the page's bytes holds the book's lock, so different pages
        decode in parallel (for loaders that read bytes apart: folders, archives,
        Manga109; a PDF renders whole under the lock). `draft` (width, height) lets a
        JPEG decode at a fraction of its size no smaller than that (thumbnails).
        """
        page = self.pages[index]
        opener = self._open_image
        try:
            if isinstance(opener, TwoStepOpener):
                with self._lock:
                    data = opener.read(page)
                image = opener.decode(page, data, draft)
            else:
                with self._lock:
                    image = opener(page)
        except PageError as exc:
            with self._lock:
                self._failures[index] = str(exc)
            raise
        with self._lock:
            self._failures.pop(index, None)
        return image

    def unreadable(self, check: Iterable[int] = ()) -> dict[int, str]:
        """Pages that failed to decode so far, each with its one-sentence reason.

        Args:
            check: pages to decode now unless already known to fail (e.g. the pages a
                cached analysis marked damaged, which this run never decoded).
        """
        for index in check:
            if index not in self._failures:
                try:
                    self.image(index)
                except PageError:
                    pass
        with self._lock:
            return dict(sorted(self._failures.items()))

    def first_readable(self) -> int | None:
        """The first page that decodes, or None when no page of the book can be read.

        Costs one decode for a sound book; a book of unreadable pages is tried whole.
        """
        for index in range(len(self.pages)):
            try:
                self.image(index)
            except PageError:
                continue
            return index
        return None

    def speaker_name(self, character_id: str | None) -> str:
        if character_id is None:
            return "unknown"
        ch = self.characters.get(character_id)
        return ch.name if ch else character_id

    @property
    def has_annotations(self) -> bool:
        return any(p.texts or p.faces for p in self.pages)

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self) -> Book:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Book({self.title!r}, {self.kind}, {len(self.pages)} pages, {self.direction})"
