"""Books: one call opens any supported book.

    from m2m_reader.engine.books import open_book
    with open_book("One Piece 01.cbz") as book:
        first = book.image(0)

Supported: a folder of images, CBZ/ZIP, CBR/RAR, CB7/7z, CBT/tar, PDF, and Manga109
(its `ROOT/annotations/TITLE.xml` or `ROOT/images/TITLE`). The format is recognised
from the file's first bytes, not its extension, since CBR files are often ZIPs and the
other way round.

Reading direction: from the book when it says (ComicInfo `Manga`, Manga109 is always
right to left), else the caller's `direction`, else `DEFAULT_DIRECTION`.
`Book.direction_known` tells whether the book said.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..core.errors import BookError
from .archive import ArchiveKind, open_archive
from .folder import open_folder
from .manga109 import find_manga109, open_manga109
from .model import Body, Book, Box, Character, Direction, Face, Frame, Page, TextBox
from .pdf import open_pdf

if TYPE_CHECKING:
    from ..core.settings import Settings

__all__ = [
    "DEFAULT_DIRECTION",
    "default_direction",
    "Body",
    "Book",
    "Box",
    "Character",
    "Direction",
    "Face",
    "Frame",
    "Page",
    "TextBox",
    "check_book_path",
    "open_book",
]

# Books that do not say are read left to right unless the caller's setting says otherwise.
DEFAULT_DIRECTION: Direction = "ltr"

_RAR_MAGIC = b"Rar!\x1a\x07"
_7Z_MAGIC = b"7z\xbc\xaf\x27\x1c"
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")


def _is_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except Exception:  # noqa: BLE001 - a damaged stream is simply not a tar
        return False


def _sniff(path: Path) -> ArchiveKind | Literal["pdf"] | None:
    try:
        with open(path, "rb") as f:
            head = f.read(1024)
    except OSError as exc:
        raise BookError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    if head.startswith(_RAR_MAGIC):
        return "cbr"
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"PK"):
        return "cbz"
    if head.startswith(_7Z_MAGIC):
        return "cb7"
    if head[257:262] == b"ustar":
        return "cbt"
    if head.startswith(_COMPRESSED_MAGIC) and _is_tar(path):
        return "cbt"
    if zipfile.is_zipfile(path):  # e.g. a self-extracting ZIP
        return "cbz"
    if path.suffix.lower() in (".cbt", ".tar") and _is_tar(path):  # a pre-POSIX tar
        return "cbt"
    return None


def check_book_path(path: str | Path) -> None:
    """Fail at once, before any work, when a book's path names nothing.

    Raises:
        BookError: "no such file: PATH".
    """
    if not Path(path).expanduser().exists():
        raise BookError(f"no such file: {path}")


def default_direction(settings: Settings) -> Direction:
    """The direction for a book that does not say its own: the `default_direction`
    setting. The window, export, prepare-for-offline and batch all open books with it,
    so they read a book's pages (and its balloons) in the same order."""
    return "ltr" if settings.default_direction == "ltr" else "rtl"


def open_book(path: str | Path, *, direction: Direction | None = None) -> Book:
    """Open a book without decoding its pages.

    Args:
        path: a folder of images, a CBZ/ZIP, CBR/RAR, CB7/7z, CBT/tar or PDF file, or a
            Manga109 book's
            annotation file or image folder.
        direction: reading direction to use when the book does not say.

    Returns:
        The book; close it (or use `with`) to release the file.

    Raises:
        BookError: one sentence naming the file and why it cannot be opened.
        UnsafeInputError: the book was refused as unsafe (a `BookError`).
    """
    path = Path(path).expanduser()
    fallback: Direction = direction or DEFAULT_DIRECTION
    if direction not in (None, "rtl", "ltr"):
        raise BookError(f"Reading direction must be 'rtl' or 'ltr', not {direction!r}.")
    if not path.exists():
        raise BookError(f"{path} does not exist.")
    found = find_manga109(path)
    if found is not None:
        return open_manga109(found)
    if path.is_dir():
        return open_folder(path, fallback)
    if not path.is_file():
        raise BookError(f"{path} is neither a file nor a folder.")
    kind = _sniff(path)
    if kind == "pdf":
        return open_pdf(path, fallback)
    if kind is not None:
        return open_archive(path, kind, fallback)
    if path.suffix.lower() == ".xml":
        raise BookError(
            f"{path} is not a Manga109 annotation file (expected ROOT/annotations/TITLE.xml)."
        )
    raise BookError(
        f"{path} is not a book m2m-reader can open "
        "(a folder of images, CBZ, CBR, CB7, CBT, PDF or Manga109)."
    )
