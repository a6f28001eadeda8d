"""The book after this one: the next volume or chapter in the same folder.

Books in a folder are ordered as a person numbers them ("Vol 2" before "Vol 10"), by
name with the numbers compared as numbers. A sibling counts when the loaders can open
it: an archive or PDF, or a folder that holds images. This reads the folder, so the
reader calls it on a worker.
"""

from __future__ import annotations

from pathlib import Path

from ..engine.books.images import IMAGE_EXTENSIONS, natural_parts

# What the loaders open besides a folder of images (they tell the kind by content).
BOOK_SUFFIXES = frozenset({".cbz", ".zip", ".cbr", ".rar", ".cb7", ".7z", ".cbt", ".tar", ".pdf"})
natural_key = natural_parts  # "Vol 2" before "Vol 10"


def _is_book(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in BOOK_SUFFIXES
    if path.is_dir():
        try:
            return any(p.suffix.lower() in IMAGE_EXTENSIONS for p in path.iterdir())
        except OSError:
            return False
    return False


def next_volume(book_path: Path) -> Path | None:
    """The book that follows `book_path` in its folder, or None (the last, or unknown)."""
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
    return books[at + 1] if at + 1 < len(books) else None
