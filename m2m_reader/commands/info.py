"""`m2m-reader info BOOK`: what a book is, as the loader sees it, without decoding pages."""

from __future__ import annotations

import argparse
from typing import Any

from ..engine.books import Book, check_book_path, open_book


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "info",
        help="describe a book (kind, direction, pages, spreads, annotations)",
        description="Describe a book: kind, reading direction, pages, spreads and annotations.",
    )
    parser.add_argument("book", help="a folder of images, CBZ, CBR, CB7, CBT, PDF or Manga109 book")
    parser.add_argument(
        "--direction",
        choices=("rtl", "ltr"),
        default=None,
        help="reading direction to assume when the book does not say",
    )
    parser.add_argument(
        "--pages",
        action="store_true",
        help="also list the pages in reading order: number, name, size, spreads",
    )
    parser.set_defaults(func=run)


def describe(book: Book) -> list[str]:
    """The lines `info` prints, one fact each."""
    pages = book.pages
    doubles = [p.index + 1 for p in pages if p.double]
    texts = sum(len(p.texts) for p in pages)
    spoken = sum(1 for p in pages for t in p.texts if t.speaker is not None)
    faces = sum(len(p.faces) for p in pages)
    frames = sum(len(p.frames) for p in pages)
    source = "from the book" if book.direction_known else "from the setting"
    names = ", ".join(sorted(c.name for c in book.characters.values())) or "none named"
    lines = [
        f"title:      {book.title}",
        f"path:       {book.path}",
        f"kind:       {book.kind}",
        f"direction:  {book.direction} ({source})",
        f"pages:      {len(pages)}",
        f"double:     {len(doubles)}" + (f" ({_ranges(doubles)})" if doubles else ""),
        f"characters: {len(book.characters)} ({names})",
        f"texts:      {texts} annotated, {spoken} with a speaker",
        f"faces:      {faces} annotated",
        f"frames:     {frames} annotated",
        f"fingerprint: {book.fingerprint}",
    ]
    return lines


def page_lines(book: Book) -> list[str]:
    """One line per page in reading order: its number, its name in the book, its size."""
    width = max(len(p.name) for p in book.pages)
    digits = len(str(len(book.pages)))
    lines = []
    for p in book.pages:
        size = f"{p.width}×{p.height}" if p.width and p.height else "size read on first view"
        extra = "  spread" if p.double else ""
        if p.kind and p.kind != "Story":
            extra += f"  {p.kind}"
        lines.append(f"{p.index + 1:>{digits}}  {p.name:<{width}}  {size}{extra}")
    return lines


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] → '1-3, 7' (page numbers from 1, as a person counts)."""
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    if len(out) > 12:
        out = [*out[:12], "…"]
    return ", ".join(out)


def run(args: argparse.Namespace) -> int:
    check_book_path(args.book)
    from ..engine.books import default_direction
    from ..engine.core import settings as settings_io

    direction = args.direction or default_direction(settings_io.load())
    with open_book(args.book, direction=direction) as book:
        for line in describe(book):
            print(line)
        if args.pages:
            print("\nreading order:")
            for line in page_lines(book):
                print(f"  {line}")
    return 0
