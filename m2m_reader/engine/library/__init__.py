"""The library: the store of the books a person added (`store`, with its schema steps in
`migrations`) and the one service that prepares books for offline reading (`prepare`)."""

from __future__ import annotations

from .prepare import PrepareEngine, PrepareService, prepare_book
from .store import (
    COVER_PX,
    FILE_NAME,
    SCHEMA_VERSION,
    STATE_KEYS,
    Library,
    LibraryBook,
    LibraryError,
    cover_png,
)

__all__ = [
    "COVER_PX",
    "FILE_NAME",
    "SCHEMA_VERSION",
    "STATE_KEYS",
    "Library",
    "LibraryBook",
    "LibraryError",
    "PrepareEngine",
    "PrepareService",
    "cover_png",
    "prepare_book",
]
