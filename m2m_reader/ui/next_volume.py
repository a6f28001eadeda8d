"""The book after this one: the next volume or chapter in the same folder.

Books in a folder are ordered as a person numbers them ("Vol 2" before "Vol 10"), by
name with the numbers compared as numbers. A sibling counts when the loaders can open
it: an archive or PDF, or a folder that holds images. The one that would be offered is
opened to be sure (its member list only, no page decoded): a password-protected or
damaged archive is passed over for the one after it, and at most `TRIED` are tried.
This reads the folder and the files, so the reader calls it on a worker.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..engine.books import open_book
from ..engine.books.images import IMAGE_EXTENSIONS, natural_parts
from ..engine.core.errors import M2MError

log = logging.getLogger(__name__)

# What the loaders open besides a folder of images (they tell the kind by content).
BOOK_SUFFIXES = frozenset({".cbz", ".zip", ".cbr", ".rar", ".cb7", ".7z", ".cbt", ".tar", ".pdf"})
natural_key = natural_parts  # "Vol 2" before "Vol 10"
TRIED = 3  # books opened, at most, to find one that opens without a password


def _is_book(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in BOOK_SUFFIXES
    if path.is_dir():
        try:
            return any(p.suffix.lower() in IMAGE_EXTENSIONS for p in path.iterdir())
        except OSError:
            return False
    return False


def opens(path: Path) -> bool:
    """True when the loaders open `path` (as the reader would, without a password).
    Opening reads the member list and page headers; it decodes no page."""
    try:
        book = open_book(path)
    except (M2MError, OSError) as exc:
        log.info("next volume: passing over %s (%s)", path.name, exc)
        return False
    book.close()
    return True


def next_volume(book_path: Path) -> Path | None:
    """The book that follows `book_path` in its folder and opens, or None (the last,
    unknown, or the next `TRIED` cannot be opened)."""
    book_path = Path(book_path)
    folder = book_path.parent
    try:
        siblings = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError:
        return None
    books = sorted(
        (p for p in siblings if p == book_path or _is_book(p)), key=lambda p: natural_key(p.name)
    )
    if book_path not in books:
        return None
    at = books.index(book_path)
    return next((p for p in books[at + 1 : at + 1 + TRIED] if opens(p)), None)
