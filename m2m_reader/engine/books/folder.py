"""A folder of page images (subfolders included), with an optional ComicInfo.xml."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..core.errors import BookError, UnsafeInputError
from .comicinfo import ComicInfo, parse_comicinfo
from .images import IMAGE_EXTENSIONS, is_page_name, natural_key, read_size
from .model import Book, Direction, Page
from .pagelist import build_pages, make_opener, page_label
from .safety import MAX_MEMBERS, MAX_XML_BYTES, read_page_file

_SAMPLE = 4096  # bytes hashed from each end of each image for the fingerprint


def _list_images(root: Path) -> list[str]:
    """Relative POSIX paths of the images under `root`, not following symlinked folders."""
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=None):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__MACOSX"]
        rel_dir = Path(dirpath).relative_to(root)
        for fn in filenames:
            rel = (rel_dir / fn).as_posix()
            if is_page_name(rel) and os.path.isfile(os.path.join(dirpath, fn)):
                found.append(rel)
                if len(found) > MAX_MEMBERS:
                    raise BookError(f"{root} holds more than {MAX_MEMBERS:,} images.")
    return sorted(found, key=natural_key)


def _fingerprint(root: Path, names: list[str]) -> str:
    """Hash names, sizes and a sample of each file's head and tail (content, cheaply)."""
    h = hashlib.sha256(b"folder")
    for name in names:
        p = root / name
        try:
            size = p.stat().st_size
            with open(p, "rb") as f:
                head = f.read(_SAMPLE)
                if size > 2 * _SAMPLE:
                    f.seek(size - _SAMPLE)
                tail = f.read(_SAMPLE)
        except OSError:
            size, head, tail = -1, b"", b""
        h.update(f"{name}\0{size}\0".encode(errors="surrogateescape"))
        h.update(head)
        h.update(tail)
    return h.hexdigest()[:32]


def _comicinfo(root: Path) -> ComicInfo:
    for entry in ("ComicInfo.xml", "comicinfo.xml", "COMICINFO.XML"):
        p = root / entry
        if p.is_file():
            if p.stat().st_size > MAX_XML_BYTES:
                raise UnsafeInputError(
                    f"{p} is larger than {MAX_XML_BYTES // 1024**2} MiB; refused."
                )
            return parse_comicinfo(p.read_bytes(), str(p))
    return ComicInfo()


def open_folder(path: Path, fallback: Direction) -> Book:
    """Open a folder of images as a book, in natural name order.

    Raises:
        BookError: the folder cannot be listed or holds no images.
        UnsafeInputError: its ComicInfo.xml is unsafe.
    """
    try:
        names = _list_images(path)
        comic = _comicinfo(path)
    except OSError as exc:
        raise BookError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    if not names:
        kinds = ", ".join(sorted(e.lstrip(".") for e in IMAGE_EXTENSIONS))
        raise BookError(f"{path} holds no page images ({kinds}).")

    def size_of(name: str) -> tuple[int, int] | None:
        try:
            with open(path / name, "rb") as f:
                return read_size(f)
        except OSError:
            return None

    pages = build_pages(names, comic, size_of)
    if not pages:
        raise BookError(f"{path} has no pages left once Deleted pages are hidden.")

    def read_bytes(page: Page) -> bytes:
        return read_page_file(path / page.name, page_label(page, path.name))

    return Book(
        path=path,
        title=comic.title or path.name,
        kind="folder",
        direction=comic.direction or fallback,
        direction_known=comic.direction is not None,
        language=comic.language,
        series=comic.series,
        number=comic.number,
        pages=pages,
        open_image=make_opener(read_bytes, path.name),
        fingerprint=_fingerprint(path, names),
    )
