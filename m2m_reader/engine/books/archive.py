"""Archive books — CBZ/ZIP, CBR/RAR, CB7/7z, CBT/tar: pages read one member at a time.

Opening reads the member list, ComicInfo.xml and, where it is cheap (ZIP, plain tar),
each image's header for its size; it decodes no page. RAR members are extracted by
rarfile, which reads stored members itself and calls an external tool (`unar` on
Debian) for compressed ones; 7z members come from py7zr, compressed tars from tarfile:
their page sizes are read lazily, on first decode.

Every format passes the same checks (engine/books/safety.py): escaping member paths,
member count, declared total size and expansion ratio. A book whose pages cannot be
read at all (encrypted, a compression Python cannot read, no tool to extract them) is
refused at once in one sentence; a book with some such pages opens, and those pages
say why when decoded.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import rarfile

from ..core.errors import BookError, PageError, UnsafeInputError
from .comicinfo import ComicInfo, parse_comicinfo
from .images import is_page_name, natural_key, read_size
from .members import ENCRYPTED, Member
from .model import Book, Direction, Page
from .pagelist import build_pages, make_opener, page_label
from .rar_source import RarSource
from .safety import MAX_MEMBER_BYTES, MAX_XML_BYTES, MemberInfo, check_archive, member_escapes
from .sevenzip_source import SIDECAR_SCAN_BYTES, SevenZipSource
from .tar_source import TarSource
from .zip_source import ZipSource

log = logging.getLogger(__name__)

ArchiveKind = Literal["cbz", "cbr", "cb7", "cbt"]
_LABELS = {"cbz": "ZIP/CBZ", "cbr": "RAR/CBR", "cb7": "7z/CB7", "cbt": "tar/CBT"}
_INFO_REPR = re.compile(r"<\w*(?:Info|File)\b[^>]*>")


Source = ZipSource | RarSource | SevenZipSource | TarSource


def open_source(path: Path, kind: ArchiveKind) -> Source:
    """The source for `kind`; format errors propagate."""
    if kind == "cbz":
        return ZipSource(path)
    if kind == "cbr":
        return RarSource(path)
    if kind == "cb7":
        return SevenZipSource(path)
    if kind == "cbt":
        return TarSource(path)
    raise ValueError(kind)


def _open_source(path: Path, kind: ArchiveKind) -> Source:
    label = _LABELS[kind]
    try:
        return open_source(path, kind)
    except rarfile.PasswordRequired:
        raise BookError(f"{path} {ENCRYPTED.book}.") from None
    except rarfile.NeedFirstVolume:
        raise BookError(f"{path} is not the first volume of a multi-part RAR.") from None
    except OSError as exc:
        raise BookError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    except Exception as exc:  # noqa: BLE001 - archive libraries raise many types on damage
        if type(exc).__name__ == "PasswordRequired":  # py7zr: names encrypted too (7z -mhe)
            raise BookError(f"{path} {ENCRYPTED.book}.") from None
        raise BookError(
            f"{path} is not a readable {label} archive ({short_reason(exc)})."
        ) from None


def short_reason(exc: BaseException) -> str:
    """An exception as a short clause, without library object reprs."""
    text = _INFO_REPR.sub("the member", str(exc).split("\n")[0].strip()).rstrip(".")
    return text[:200] or type(exc).__name__


def _read_error(exc: BaseException) -> str:
    """Why reading a member failed, as a clause after the page's name."""
    name = type(exc).__name__
    text = str(exc).lower()
    if isinstance(exc, rarfile.PasswordRequired) or name == "PasswordRequired":
        return "is encrypted (the archive is password-protected)"
    if isinstance(exc, RuntimeError) and "encrypted" in text:
        return "is encrypted (the archive is password-protected)"
    if isinstance(exc, rarfile.RarCannotExec):
        return "needs unar to be extracted, and unar is not installed (apt-get install unar)"
    if isinstance(exc, rarfile.RarExecError):
        return (
            f"could not be extracted by the RAR tool ({short_reason(exc)}); "
            "installing unar (apt-get install unar) may help"
        )
    if isinstance(exc, NotImplementedError) or name == "UnsupportedCompressionMethodError":
        return f"uses a compression m2m-reader cannot read ({short_reason(exc)})"
    if "crc" in text:
        return "is damaged in the archive (its checksum does not match)"
    return f"cannot be read from the archive ({short_reason(exc)})"


def _fingerprint(kind: str, members: list[Member]) -> str:
    """Hash names, sizes and CRCs: content-based, yet needs no decompression."""
    h = hashlib.sha256(kind.encode())
    for m in sorted(members, key=lambda m: m.name):
        h.update(f"{m.name}\0{m.size}\0{m.crc}\n".encode(errors="surrogateescape"))
    return h.hexdigest()[:32]


def _comicinfo(source: Source, members: list[Member], path: Path) -> ComicInfo:
    candidates = [
        m
        for m in members
        if posixpath.basename(m.name).lower() == "comicinfo.xml" and m.problem is None
    ]
    if not candidates:
        return ComicInfo()
    member = min(candidates, key=lambda m: m.name.count("/"))  # the one nearest the root
    where = f"{member.name} in {path}"
    if member.size > MAX_XML_BYTES:
        raise UnsafeInputError(f"{where} is larger than {MAX_XML_BYTES // 1024**2} MiB; refused.")
    if isinstance(source, SevenZipSource) and source.ahead(member) > SIDECAR_SCAN_BYTES:
        # A solid 7z would be decompressed up to it before the book could open.
        log.info("%s: not reading %s, stored after the pages of a solid 7z", path, member.name)
        return ComicInfo()
    try:
        data = source.read(member, MAX_XML_BYTES)
    except Exception:  # noqa: BLE001 - a damaged sidecar must not hide the book
        return ComicInfo()
    return parse_comicinfo(data, where)


def _list_members(source: Source, path: Path) -> list[Member]:
    """All members, checked for escaping paths and bombs as they are listed."""
    members: list[Member] = []

    def listed() -> Iterator[MemberInfo]:
        for m in source.iter_members():
            members.append(m)
            if m.raw_name is not None and member_escapes(m.raw_name):
                raise UnsafeInputError(
                    f"{path} holds a member whose path escapes the archive "
                    f"({m.raw_name!r}); refused."
                )
            yield MemberInfo(m.name, m.size, m.csize)

    try:
        check_archive(str(path), listed())
    except BookError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise BookError(f"{path} has a damaged member list ({short_reason(exc)}).") from None
    return members


def _refuse_unreadable(path: Path, members: list[Member], pages: list[Member]) -> None:
    """One sentence when no page (or, with no pages, no member) can be read at all."""
    pool = pages or members
    if pool and all(m.problem is not None for m in pool):
        problem, _ = Counter(m.problem for m in pool if m.problem).most_common(1)[0]
        if pages or problem.page.startswith("is encrypted"):
            raise BookError(f"{path} {problem.book}.")


def _sizes(source: Source, by_name: dict[str, Member]) -> Callable[[str], tuple[int, int] | None]:
    """Each page's size read from its image header, or None where it cannot be."""

    def size_of(name: str) -> tuple[int, int] | None:
        member = by_name[name]
        if member.problem is not None or not isinstance(source, ZipSource | TarSource):
            return None
        try:
            with source.stream(member) as f:
                return read_size(f)
        except Exception:  # noqa: BLE001 - the page will report it when decoded
            return None

    return size_of


def open_archive(path: Path, kind: ArchiveKind, fallback: Direction) -> Book:
    """Open an archive of page images as a book.

    Raises:
        BookError: unreadable, encrypted, compressed in a way Python cannot read, or
            holding no images.
        UnsafeInputError: escaping member paths, archive bombs, unsafe ComicInfo.xml.
    """
    source = _open_source(path, kind)
    try:
        members = _list_members(source, path)
        by_name: dict[str, Member] = {}
        for m in members:
            if is_page_name(m.name):
                by_name.setdefault(m.name, m)
        _refuse_unreadable(path, members, list(by_name.values()))
        names = sorted(by_name, key=natural_key)
        if not names:
            raise BookError(f"{path} holds no page images.")
        if isinstance(source, SevenZipSource):  # extract the pages only
            source.readable = set(by_name[n].ref for n in names)
        comic = _comicinfo(source, members, path)

        # Page sizes from the headers where reaching a member is cheap: ZIP, plain tar.
        cheap = isinstance(source, ZipSource) or (
            isinstance(source, TarSource) and not source.compressed
        )
        pages = build_pages(names, comic, _sizes(source, by_name) if cheap else None)
        if not pages:
            raise BookError(f"{path} has no pages left once Deleted pages are hidden.")
    except BaseException:
        source.close()
        raise

    def read_bytes(page: Page) -> bytes:
        member = by_name[page.name]
        what = page_label(page, path.name)
        if member.problem is not None:
            raise PageError(f"{what} {member.problem.page}.")
        if member.size > MAX_MEMBER_BYTES:
            raise PageError(f"{what} is larger than {MAX_MEMBER_BYTES // 1024**2} MiB; refused.")
        try:
            data: bytes = source.read(member, MAX_MEMBER_BYTES)
        except Exception as exc:  # noqa: BLE001 - damaged members raise many types
            raise PageError(f"{what} {_read_error(exc)}.") from None
        if len(data) > MAX_MEMBER_BYTES:
            raise PageError(f"{what} expands past {MAX_MEMBER_BYTES // 1024**2} MiB; refused.")
        return data

    return Book(
        path=path,
        title=comic.title or path.stem,
        kind=kind,
        direction=comic.direction or fallback,
        direction_known=comic.direction is not None,
        language=comic.language,
        series=comic.series,
        number=comic.number,
        pages=pages,
        open_image=make_opener(read_bytes, path.name),
        fingerprint=_fingerprint(kind, members),
        close=source.close,
    )
