"""Where the transcript of a page without annotations comes from (the `transcript` setting).

- auto: the text backend's own (the vision LLM with `--llm openai`, else the built-in reader);
- builtin: the built-in page reader (Tesseract), whatever the text backend;
- manga-ocr: the built-in region finder, each region read by manga-ocr;
- magi: Magi v2 reading the whole page (panels, texts, speakers, OCR);
- openai: the vision LLM, whatever the text backend.

`backend_choice.make_text` hangs the chosen source on the text backend it makes, as
`transcript_source`, so every place that builds an `Analyzer` from a text backend (the
engine, the commands, a settings change) gets it without knowing of it. A model-backed
page reader is a `ReaderTranscript`: the analysis gives it its own cached readings of
the book (`bind`), and the built-in reader stays the fallback when it fails on a page.
"""

from __future__ import annotations

from typing import Any

from ..books.model import Book
from ..core.cancel import CancelToken
from ..core.store import Store
from .builtin import VERSION, BuiltinText
from .page_reading import PageReadings, transcript_from_reading
from .records import PageTranscript

CHOICES = ("auto", "builtin", "manga-ocr", "magi", "openai")


class ReaderTranscript(BuiltinText):
    """Transcripts read from the pixels by `page_reader` (the built-in one when None).

    Args:
        name: the backend's name, as records show it (manga-ocr, magi, builtin).
        page_reader: anything with `settings_key()` and `read(image, direction,
            language) -> PageReading` (a `PageReader` with another OCR, a `MagiReader`).
    """

    def __init__(self, name: str, page_reader: Any = None, read_page: Any = None) -> None:
        super().__init__(read_page)
        self.name = name
        self.page_reader = page_reader

    def settings_key(self) -> str:
        reader = self.page_reader.settings_key() if self.page_reader is not None else "builtin"
        return f"{VERSION}:{reader}"

    def bind(self, read_page: Any) -> ReaderTranscript:
        """This source reading pages through `read_page` (one book's cached readings)."""
        return ReaderTranscript(self.name, self.page_reader, read_page)

    def transcript(self, book: Book, page: int, cancel: CancelToken) -> PageTranscript:
        cancel.check()
        p = book.pages[page]
        if self.read_page is None or p.texts or p.faces or book.has_annotations:
            return super().transcript(book, page, cancel)
        reading = self.read_page(page)
        if reading is None:
            return super().transcript(book, page, cancel)
        t = transcript_from_reading(page, reading)
        # One line per read text, in the same order: the reader's speakers, when it knows.
        for line, read in zip(t.lines, reading.texts, strict=False):
            if getattr(read, "speaker", ""):
                line.speaker = read.speaker
        return t


def transcript_source(text: Any, book: Book, store: Store, builtin: BuiltinText, own: Any) -> Any:
    """The backend that makes the transcripts of `book`'s unannotated pages: the source
    hung on `text`, else `own` (the analysis's text backend)."""
    source = getattr(text, "transcript_source", None)
    if source is None:
        return own
    if isinstance(source, ReaderTranscript):
        if source.page_reader is None:
            return builtin
        return source.bind(PageReadings(book, store, reader=source.page_reader).get)
    return source
