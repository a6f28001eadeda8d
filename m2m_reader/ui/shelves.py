"""How the library arranges its books: series, search and sort (plain functions).

A book's series is the one it names (ComicInfo `Series`), else the folder it sits in
when that folder holds several books of the library whose titles or file names begin
alike ("Tsuki 01", "Tsuki 02"; "vol1.cbz", "vol2.cbz"): a folder of volumes is a series,
a lone book or a Downloads folder of unrelated books is not. Within a series, books go
by their number ("1", "2", "10", "10.5" in that order, not as text), then by title.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from pathlib import Path

from .library_source import LibraryEntry

SORTS = ("recent", "title", "series", "added", "progress")
SAME_START = 3  # characters volumes of one series share at the start of their names
_DIGITS = re.compile(r"(\d+)")


def natural(text: str) -> tuple:
    """A key that orders "Vol 2" before "Vol 10"."""
    return tuple(int(part) if part.isdigit() else part.casefold() for part in _DIGITS.split(text))


def number_key(entry: LibraryEntry) -> tuple:
    try:
        return (0, float(entry.number), natural(entry.title))
    except ValueError:
        return (
            1 if entry.number else 2,
            natural(entry.number or entry.title),
            natural(entry.title),
        )


def _alike(names: list[str]) -> bool:
    start = os.path.commonprefix([n.casefold().strip() for n in names])
    return len(start.strip()) >= SAME_START


def series_of(entries: list[LibraryEntry]) -> dict[str, str]:
    """Each book's series name by path ("" for a book that is in none)."""
    unnamed: dict[Path, list[LibraryEntry]] = defaultdict(list)
    for e in entries:
        if not e.series:
            unnamed[Path(e.path).parent].append(e)
    out = {e.path: e.series for e in entries}
    for folder, books in unnamed.items():
        titles = [b.title for b in books]
        files = [Path(b.path).stem for b in books]
        if len(books) > 1 and (_alike(titles) or _alike(files)):
            for b in books:
                out[b.path] = folder.name
    return out


def groups(entries: list[LibraryEntry]) -> list[tuple[str, int]]:
    """The series with their book counts, by name."""
    counts = Counter(s for s in series_of(entries).values() if s)
    return sorted(counts.items(), key=lambda item: natural(item[0]))


def matches(entry: LibraryEntry, series: str, query: str) -> bool:
    """Whether every word of `query` is in the book's title, series or file name."""
    words = query.casefold().split()
    if not words:
        return True
    haystack = " ".join((entry.title, series, entry.number, Path(entry.path).name)).casefold()
    return all(w in haystack for w in words)


def ordered(entries: list[LibraryEntry], sort: str, series: dict[str, str]) -> list[LibraryEntry]:
    """`entries` in the order `sort` (one of SORTS) asks; "recent" keeps the library's
    own order (last opened, then last added) with books never opened after the rest."""
    if sort == "title":
        return sorted(entries, key=lambda e: natural(e.title))
    if sort == "series":
        return sorted(
            entries,
            key=lambda e: (not series[e.path], natural(series[e.path] or e.title), number_key(e)),
        )
    if sort == "added":
        return sorted(entries, key=lambda e: -e.added)
    if sort == "progress":
        return sorted(entries, key=lambda e: (-e.progress, natural(e.title)))
    return sorted(entries, key=lambda e: (-e.last_read, -e.added))
