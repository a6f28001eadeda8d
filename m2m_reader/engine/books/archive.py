"""CBZ/ZIP and CBR/RAR books: pages read from the archive one member at a time.

Opening reads the member list, ComicInfo.xml and (for ZIP) each image's header for its
size; it decodes no page. RAR members are extracted by rarfile, which reads stored
members itself and calls an external tool (`unar` on Debian) for compressed ones, so a
CBR's page sizes are read lazily, on first decode, instead of spawning a process per
page at open.
"""

from __future__ import annotations

import hashlib
import posixpath
import zipfile
from pathlib import Path
from typing import Any, Literal

import rarfile

from ..errors import BookError, PageError, UnsafeInputError
from .comicinfo import ComicInfo, parse_comicinfo
from .images import is_page_name, natural_key, read_size
from .model import Book, Direction, Page
from .pagelist import build_pages, make_opener, page_label
from .safety import MAX_MEMBER_BYTES, MAX_XML_BYTES, MemberInfo, check_archive

ArchiveKind = Literal["cbz", "cbr"]


def _open_archive(path: Path, kind: ArchiveKind) -> Any:
    label = "ZIP/CBZ" if kind == "cbz" else "RAR/CBR"
    try:
        if kind == "cbz":
            return zipfile.ZipFile(path)
        return rarfile.RarFile(str(path))
    except rarfile.PasswordRequired:
        raise BookError(f"{path} is an encrypted RAR archive; it cannot be read.") from None
    except rarfile.NeedFirstVolume:
        raise BookError(f"{path} is not the first volume of a multi-part RAR.") from None
    except OSError as exc:
        raise BookError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    except Exception as exc:  # noqa: BLE001 - zipfile/rarfile raise many types on damage
        raise BookError(f"{path} is not a readable {label} archive ({_reason(exc)}).") from None


def _reason(exc: BaseException) -> str:
    text = str(exc).split("\n")[0].strip().rstrip(".")
    return text[:200] or type(exc).__name__


def _read_member(archive: Any, info: Any, limit: int) -> bytes:
    with archive.open(info) as f:
        data: bytes = f.read(limit + 1)
    return data


def _fingerprint(kind: str, infos: list[Any]) -> str:
    """Hash names, sizes and CRCs: content-based, yet needs no decompression."""
    h = hashlib.sha256(kind.encode())
    for info in sorted(infos, key=lambda i: i.filename):
        crc = getattr(info, "CRC", None)
        h.update(f"{info.filename}\0{info.file_size}\0{crc}\n".encode(errors="surrogateescape"))
    return h.hexdigest()[:32]


def _comicinfo(archive: Any, infos: list[Any], source: Path) -> ComicInfo:
    candidates = [
        i
        for i in infos
        if posixpath.basename(i.filename.replace("\\", "/")).lower() == "comicinfo.xml"
    ]
    if not candidates:
        return ComicInfo()
    info = min(candidates, key=lambda i: i.filename.count("/"))  # the one nearest the root
    where = f"{info.filename} in {source}"
    if info.file_size > MAX_XML_BYTES:
        raise UnsafeInputError(f"{where} is larger than {MAX_XML_BYTES // 1024**2} MiB; refused.")
    try:
        data = _read_member(archive, info, MAX_XML_BYTES)
    except Exception:  # noqa: BLE001 - a damaged sidecar must not hide the book
        return ComicInfo()
    return parse_comicinfo(data, where)


def open_archive(path: Path, kind: ArchiveKind, fallback: Direction) -> Book:
    """Open a CBZ/ZIP (`kind="cbz"`) or CBR/RAR (`kind="cbr"`) as a book.

    Raises:
        BookError: unreadable, encrypted, or holds no images.
        UnsafeInputError: escaping member paths, archive bombs, unsafe ComicInfo.xml.
    """
    archive = _open_archive(path, kind)
    try:
        try:
            infos = [i for i in archive.infolist() if not i.is_dir()]
        except Exception as exc:  # noqa: BLE001
            raise BookError(f"{path} has a damaged member list ({_reason(exc)}).") from None
        check_archive(
            str(path), (MemberInfo(i.filename, i.file_size, i.compress_size) for i in infos)
        )
        by_name: dict[str, Any] = {}
        for info in infos:
            if is_page_name(info.filename):
                by_name.setdefault(info.filename, info)
        names = sorted(by_name, key=natural_key)
        if not names:
            raise BookError(f"{path} holds no page images.")
        comic = _comicinfo(archive, infos, path)

        def size_of(name: str) -> tuple[int, int] | None:
            try:
                with archive.open(by_name[name]) as f:
                    return read_size(f)
            except Exception:  # noqa: BLE001 - the page will report it when decoded
                return None

        pages = build_pages(names, comic, size_of if kind == "cbz" else None)
        if not pages:
            raise BookError(f"{path} has no pages left once Deleted pages are hidden.")
    except BaseException:
        archive.close()
        raise

    def read_bytes(page: Page) -> bytes:
        info = by_name[page.name]
        what = page_label(page, path.name)
        if info.file_size > MAX_MEMBER_BYTES:
            raise PageError(f"{what} is larger than {MAX_MEMBER_BYTES // 1024**2} MiB; refused.")
        try:
            data = _read_member(archive, info, MAX_MEMBER_BYTES)
        except rarfile.RarCannotExec:
            raise PageError(
                f"{what} needs an unrar tool to extract; install unar (apt-get install unar)."
            ) from None
        except Exception as exc:  # noqa: BLE001 - damaged members raise many types
            raise PageError(f"{what} cannot be read from the archive ({_reason(exc)}).") from None
        if len(data) > MAX_MEMBER_BYTES:
            raise PageError(f"{what} expands past {MAX_MEMBER_BYTES // 1024**2} MiB; refused.")
        return data

    return Book(
        path=path,
        title=comic.title or path.stem,
        kind=kind,
        direction=comic.direction or fallback,
        direction_known=comic.direction is not None,
        pages=pages,
        open_image=make_opener(read_bytes, path.name),
        fingerprint=_fingerprint(kind, infos),
        close=archive.close,
    )
