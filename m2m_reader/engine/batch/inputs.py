"""What a batch run works on: the books under a folder, or those a list file names.

A folder is walked recursively. A book is:

- an archive or a PDF (by its extension: CBZ/ZIP, CBR/RAR, CB7/7z, CBT/tar, PDF);
- a folder holding page images (its subfolders are not walked: they are its own);
- each title a Manga109 root's `books.txt` names (`ROOT/images/TITLE`); the root is
  not walked further.

A list file (`.txt`, `.list`, `.lst`) names one book per line (relative paths are
relative to the list file's folder; blank lines and `#` comments are skipped).

Each book gets a name, its output's path under OUT without the extension: its path
under the input folder (a Manga109 title: `ROOT/TITLE`), or for a list file its file
name, with `-2`, `-3`... when two books would share one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..books.images import IMAGE_EXTENSIONS
from ..core.errors import M2MError

BOOK_SUFFIXES = frozenset({".cbz", ".zip", ".cbr", ".rar", ".cb7", ".7z", ".cbt", ".tar", ".pdf"})
LIST_SUFFIXES = frozenset({".txt", ".list", ".lst"})


@dataclass(frozen=True)
class BookJob:
    """One book of a run: its path, and the name its outputs are written under."""

    path: str
    name: str  # POSIX-style, relative to OUT, no extension

    def source(self) -> tuple[int, int]:
        """(size, modification time in ns) of the book's file, or of a folder's newest
        page: what tells a finished book from one changed since."""
        p = Path(self.path)
        if p.is_dir():
            sizes = [(f.stat().st_size, f.stat().st_mtime_ns) for f in _pages_in(p)]
            return sum(s for s, _ in sizes), max((m for _, m in sizes), default=0)
        st = p.stat()
        return st.st_size, st.st_mtime_ns


def find_books(source: Path | str, skip: Path | None = None) -> list[BookJob]:
    """The books of `source` (a folder or a list file), in a stable order.

    Args:
        source: the folder of books, or the list file.
        skip: a folder not to look into (the run's output folder, when it is inside).

    Raises:
        M2MError: `source` does not exist, is neither a folder nor a list file, or
            holds no book.
    """
    source = Path(source).expanduser().absolute()
    if not source.exists():
        raise M2MError(f"no such file or folder: {source}")
    if source.is_dir():
        jobs = _walk(source, skip.resolve() if skip is not None else None)
    elif source.suffix.lower() in LIST_SUFFIXES:
        jobs = _listed(source)
    else:
        raise M2MError(
            f"{source} is neither a folder of books nor a list file (.txt, one book a line)"
        )
    if not jobs:
        raise M2MError(f"{source} holds no book (archives, PDFs, image folders or Manga109)")
    return jobs


def _pages_in(folder: Path) -> list[Path]:
    try:
        return sorted(
            f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_EXTENSIONS
        )
    except OSError:
        return []


def _manga109_titles(root: Path) -> list[str] | None:
    """The titles of a Manga109 root (ROOT/books.txt beside ROOT/images), else None."""
    listing = root / "books.txt"
    if not (listing.is_file() and (root / "images").is_dir()):
        return None
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise M2MError(f"{listing} cannot be read ({exc})") from None
    return [t.strip() for t in lines if t.strip() and (root / "images" / t.strip()).is_dir()]


def _walk(top: Path, skip: Path | None) -> list[BookJob]:
    jobs: list[BookJob] = []
    for folder, dirs, files in os.walk(top):
        here = Path(folder)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and (skip is None or (here / d).resolve() != skip)
        )
        rel = here.relative_to(top)
        titles = _manga109_titles(here)
        if titles is not None:
            jobs += [BookJob(str(here / "images" / t), _name(rel / t)) for t in titles]
            dirs[:] = []
            continue
        if here != top and any(Path(f).suffix.lower() in IMAGE_EXTENSIONS for f in files):
            jobs.append(BookJob(str(here), _name(rel)))
            dirs[:] = []
            continue
        for f in sorted(files):
            if Path(f).suffix.lower() in BOOK_SUFFIXES and not f.startswith("."):
                jobs.append(BookJob(str(here / f), _name(rel / Path(f).stem)))
    if not jobs and any(f.suffix.lower() in IMAGE_EXTENSIONS for f in _pages_in(top)):
        jobs.append(BookJob(str(top), top.name or "book"))  # the folder is one book
    return jobs


def _listed(listing: Path) -> list[BookJob]:
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise M2MError(f"{listing} cannot be read ({exc})") from None
    jobs: list[BookJob] = []
    taken: set[str] = set()
    for line in lines:
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        path = Path(entry).expanduser()
        if not path.is_absolute():
            path = listing.parent / path
        stem = path.stem if path.suffix.lower() in BOOK_SUFFIXES else path.name
        name, n = stem or "book", 2
        while name in taken:
            name, n = f"{stem}-{n}", n + 1
        taken.add(name)
        jobs.append(BookJob(str(path), name))
    return jobs


def _name(rel: Path) -> str:
    return rel.as_posix() if str(rel) not in ("", ".") else "book"


__all__ = ["BOOK_SUFFIXES", "BookJob", "find_books"]
