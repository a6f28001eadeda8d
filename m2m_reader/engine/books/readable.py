"""Which pages of a book can be read: for commands that must not work on nothing.

`export` and `analyze` ask `require_readable_page` before any work (one decode for a
sound book) and list what `Book.unreadable` found afterwards.
"""

from __future__ import annotations

from ..core.errors import BookError
from .model import Book

SHOWN = 10  # unreadable pages listed one by one; the rest are counted


def require_readable_page(book: Book) -> None:
    """Raise when no page of `book` decodes, naming the first page and its cause.

    Raises:
        BookError: "no page of BOOK can be read: page 1 (001.jpg) of BOOK is ...".
    """
    if book.first_readable() is not None:
        return
    failures = book.unreadable()
    first = next(iter(failures.values()), "its pages cannot be decoded").rstrip(".")
    more = len(failures) - 1
    tail = f" (and {more} more page{'s' if more > 1 else ''} cannot be read either)" if more else ""
    raise BookError(f"no page of {book.path.name} can be read: {first}{tail}.")


def unreadable_lines(failures: dict[int, str]) -> list[str]:
    """The reasons, one line a page, at most `SHOWN` and a count of the others."""
    lines = [reason for _, reason in list(failures.items())[:SHOWN]]
    if len(failures) > SHOWN:
        lines.append(f"{len(failures) - SHOWN} more pages cannot be read")
    return lines


def unreadable_records(book: Book, failures: dict[int, str]) -> list[dict[str, object]]:
    """The unreadable pages as records for a JSON file (index from 0, name, reason)."""
    return [
        {"index": i, "name": book.pages[i].name, "reason": reason} for i, reason in failures.items()
    ]
