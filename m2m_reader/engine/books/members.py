"""Archive formats behind one small interface: the members, and a reader for one.

ZIP (zipfile), RAR (rarfile, with `unar` for compressed members), 7z (py7zr) and tar
(tarfile). Each source lists its members with what is known without reading them —
name, sizes, CRC, and a `Problem` when the member cannot be read at all (encrypted, a
compression Python cannot read, no tool to extract it) — so a book made only of such
members is refused at once in one sentence, and a book with a few shows those pages as
unreadable with the cause.

ZIP names written without the UTF-8 flag are raw bytes in the writer's code page:
cp437 by the standard, UTF-8 from many Unix tools, cp932 (Shift-JIS) from Japanese
archivers. `zip_names` chooses per archive (see there); a `\\` inside a Shift-JIS
character ("表" is 0x95 0x5C) is never taken for a folder separator.
"""

from __future__ import annotations

import struct
import tarfile
import threading
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import rarfile

from ..core.errors import BookError


@dataclass(frozen=True)
class Problem:
    """Why a member cannot be read, as said of one page and of a whole book."""

    page: str  # "is encrypted (the archive is password-protected)"
    book: str  # "is password-protected; ..."


ENCRYPTED = Problem(
    "is encrypted (the archive is password-protected)",
    "is password-protected; m2m-reader cannot read encrypted archives "
    "(extract it with its password and open the folder instead)",
)
NO_UNAR = Problem(
    "needs unar to be extracted, and unar is not installed (apt-get install unar)",
    "is a compressed RAR whose pages need unar to be extracted, and unar is not installed "
    "(apt-get install unar)",
)


def unsupported_method(method: str) -> Problem:
    return Problem(
        f"is compressed with {method}, which m2m-reader cannot read",
        f"is compressed with {method}, which m2m-reader cannot read; repack it with "
        "ordinary ZIP (Deflate) compression, e.g. 7z a -tzip NEW.cbz FOLDER/*",
    )


@dataclass
class Member:
    name: str  # "/"-separated, decoded
    size: int  # uncompressed, as declared
    csize: int  # compressed, as declared (or a bound: the whole archive's size)
    crc: object
    ref: Any  # the format's own member object
    problem: Problem | None = None
    raw_name: str | None = None  # the name as zipfile decoded it, when that differs


def clean_name(name: str) -> str:
    """A member name "/"-separated, without the "./" that `tar -C DIR .` puts first."""
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name


# ZIP ----------------------------------------------------------------------------------

_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_UNICODE_PATH_EXTRA = 0x7075
_ZIP_METHODS = {
    1: "Shrink",
    6: "Implode",
    9: "Deflate64",
    10: "PKWARE DCL Implode",
    18: "IBM TERSE",
    19: "IBM LZ77",
    93: "Zstandard",
    94: "MP3",
    95: "XZ",
    96: "WinZip JPEG",
    97: "WavPack",
    98: "PPMd",
}


def _zip_readable_methods() -> set[int]:
    methods = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
    for method, module in ((zipfile.ZIP_BZIP2, "bz2"), (zipfile.ZIP_LZMA, "lzma")):
        try:
            __import__(module)
        except ImportError:  # pragma: no cover - a Python built without them
            continue
        methods.add(method)
    return methods


_ZIP_READABLE = _zip_readable_methods()

# cp437 bytes that stand for Latin letters (é, ü, ñ, ß...): what a Western DOS or
# Windows tool writes. Box drawing, Greek and maths (0xA6-0xFF but ß) are not file names.
_CP437_LETTERS = frozenset(range(0x80, 0xA6)) | {0xE1}


def _is_ascii_letter(b: int | None) -> bool:
    return b is not None and (0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A)


def implausible_cp437(raw: bytes) -> bool:
    """True when `raw`, read as cp437, is not text a person would have typed.

    Accented letters stand next to ASCII letters ("Café", "Noël"); Shift-JIS pairs give
    runs of symbols, and a lead byte before a `\\` ("表" = 0x95 0x5C).
    """
    for i, b in enumerate(raw):
        if b < 0x80:
            continue
        if b not in _CP437_LETTERS:
            return True
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if nxt == 0x5C:
            return True
        prev = raw[i - 1] if i else None
        if not (_is_ascii_letter(prev) or _is_ascii_letter(nxt)):
            return True
    return False


def _valid(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _unicode_path(info: zipfile.ZipInfo, raw: bytes) -> str | None:
    """Info-ZIP's Unicode Path extra field (0x7075), when it matches the raw name."""
    extra = info.extra
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, i)
        body = extra[i + 4 : i + 4 + size]
        i += 4 + size
        if tag != _UNICODE_PATH_EXTRA or len(body) < 5 or body[0] != 1:
            continue
        (crc,) = struct.unpack_from("<I", body, 1)
        if crc != zlib.crc32(raw):
            return None
        try:
            return body[5:].decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def zip_names(infos: list[zipfile.ZipInfo]) -> list[str]:
    """The member names as their writer meant them.

    Flagged UTF-8 names and Info-ZIP's Unicode Path field are taken as they are. The
    other non-ASCII names are decoded together, as one archiver wrote them all: UTF-8
    when every one is valid UTF-8; else cp932 when every one is valid Shift-JIS and at
    least one is not plausible cp437 text; else cp437, the standard's code page.
    """
    raws: list[bytes | None] = []
    for info in infos:
        if info.flag_bits & _UTF8_FLAG:
            raws.append(None)
        else:
            raws.append(info.orig_filename.encode("cp437"))
    unflagged = [r for r in raws if r is not None and not r.isascii()]
    encoding = "cp437"
    if unflagged:
        if all(_valid(r, "utf-8") for r in unflagged):
            encoding = "utf-8"
        elif all(_valid(r, "cp932") for r in unflagged) and any(
            implausible_cp437(r) for r in unflagged
        ):
            encoding = "cp932"
    names: list[str] = []
    for info, raw in zip(infos, raws, strict=True):
        if raw is None:
            name = info.filename
        else:
            name = _unicode_path(info, raw) or raw.decode(
                encoding if _valid(raw, encoding) else "cp437"
            )
            name = name.split("\x00", 1)[0]
        names.append(clean_name(name))
    return names


class ZipSource:
    label = "ZIP/CBZ"

    def __init__(self, path: Path) -> None:
        self._zip = zipfile.ZipFile(path)

    def iter_members(self) -> Iterator[Member]:
        infos = [i for i in self._zip.infolist() if not i.is_dir()]
        for info, name in zip(infos, zip_names(infos), strict=True):
            problem = None
            if info.flag_bits & _ENCRYPTED_FLAG:
                problem = ENCRYPTED
            elif info.compress_type not in _ZIP_READABLE:
                method = _ZIP_METHODS.get(info.compress_type, f"method {info.compress_type}")
                problem = unsupported_method(method)
            raw = clean_name(info.filename)
            yield Member(
                name=name,
                size=info.file_size,
                csize=info.compress_size,
                crc=info.CRC,
                ref=info,
                problem=problem,
                raw_name=raw if raw != name else None,
            )

    def stream(self, member: Member) -> IO[bytes]:
        return self._zip.open(member.ref)

    def read(self, member: Member, limit: int) -> bytes:
        with self._zip.open(member.ref) as f:
            data: bytes = f.read(limit + 1)
        return data

    def close(self) -> None:
        self._zip.close()


# RAR ----------------------------------------------------------------------------------

_RAR_TOOL: list[bool] = []  # [found], once per process


def rar_tool_found() -> bool:
    """Whether rarfile finds a tool (unar, unrar, 7z, bsdtar) for compressed members."""
    if not _RAR_TOOL:
        try:
            rarfile.tool_setup()
        except rarfile.RarCannotExec:
            _RAR_TOOL.append(False)
        else:
            _RAR_TOOL.append(True)
    return _RAR_TOOL[0]


class RarSource:
    label = "RAR/CBR"

    def __init__(self, path: Path) -> None:
        self._rar = rarfile.RarFile(str(path))
        self._path = path

    def iter_members(self) -> Iterator[Member]:
        infos = [i for i in self._rar.infolist() if not i.is_dir()]
        if not infos and self._rar.needs_password():  # names encrypted too (rar -hp)
            raise BookError(f"{self._path} {ENCRYPTED.book}.")
        for info in infos:
            problem = None
            if info.needs_password():
                problem = ENCRYPTED
            elif info.compress_type != rarfile.RAR_M0 and not rar_tool_found():
                problem = NO_UNAR
            yield Member(
                clean_name(info.filename),
                info.file_size,
                info.compress_size,
                info.CRC,
                info,
                problem,
            )

    def read(self, member: Member, limit: int) -> bytes:
        with self._rar.open(member.ref) as f:
            data: bytes = f.read(limit + 1)
        return data

    def close(self) -> None:
        self._rar.close()


# 7z -----------------------------------------------------------------------------------

KEEP_BYTES = 256 * 1024**2  # extracted pages kept in memory
SIDECAR_SCAN_BYTES = 32 * 1024**2  # ComicInfo.xml is awaited only this far into the archive
_WAIT_S = 0.5


class _Stop(Exception):
    """Raised inside py7zr's writes to end an extraction pass early."""


class _Pass(threading.Thread):
    """One extraction pass over a 7z archive on its own handle, in archive order.

    Each member is handed to the source the moment py7zr has finished (and checked)
    it, so the first pages are there long before the pass ends.
    """

    def __init__(self, source: SevenZipSource, targets: list[str]) -> None:
        super().__init__(name="m2m-7z", daemon=True)
        self.source = source
        self.targets = set(targets)
        self.first = source.position(targets[0])
        self.at = self.first  # archive position of the member being extracted
        self.current: str | None = None
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self._ordered = targets

    def run(self) -> None:
        import py7zr
        from py7zr.io import Py7zIO, WriterFactory

        source, stop, run = self.source, self.stop, self

        class Sink(Py7zIO):
            def __init__(self, name: str) -> None:
                self.name = name
                self.parts: list[bytes] = []
                self.length = 0
                run.current = name
                run.at = source.position(name)

            def write(self, s: bytes | bytearray) -> int:
                if stop.is_set():
                    raise _Stop
                if self.length <= source.limit:  # past the limit: counted, not kept
                    self.parts.append(bytes(s))
                self.length += len(s)
                return len(s)

            def read(self, size: int | None = None) -> bytes:
                return b""

            def seek(self, offset: int, whence: int = 0) -> int:
                return 0

            def flush(self) -> None:
                return None

            def size(self) -> int:
                return self.length

            def close(self) -> None:  # py7zr: this member is complete and its CRC checked
                source._keep(self.name, b"".join(self.parts), self.length)
                run.current = None

        class Factory(WriterFactory):
            def create(self, filename: str) -> Py7zIO:
                return Sink(filename)

        try:
            with py7zr.SevenZipFile(source.path, mode="r") as archive:
                archive.extract(targets=self._ordered, factory=Factory())
        except _Stop:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the page that waits
            self.error = exc
        finally:
            with source.changed:
                source.changed.notify_all()


class SevenZipSource:
    """A 7z archive through py7zr.

    A solid 7z block must be decompressed from its start to reach any member, and
    py7zr does that at a few MB/s, so members are not extracted one by one: a read
    starts a pass that extracts the pages from there on in the background and keeps
    them in memory (at most `KEEP_BYTES`, the least recently read given up first;
    the pass pauses once `KEEP_BYTES / 2` wait unread ahead). A page that is not
    kept and not coming starts a new pass from that page.
    """

    label = "7z/CB7"

    def __init__(self, path: Path) -> None:
        import py7zr

        self.path = path
        self.limit = 0
        self._size = path.stat().st_size
        with py7zr.SevenZipFile(path, mode="r") as archive:
            self._encrypted = archive.needs_password()
            self._infos = [i for i in archive.list() if not i.is_directory]
        self._order = [i.filename for i in self._infos]
        self._index = {n: i for i, n in enumerate(self._order)}
        self._sizes = {i.filename: int(i.uncompressed or 0) for i in self._infos}
        self.changed = threading.Condition()
        self._kept: OrderedDict[str, tuple[bytes, int]] = OrderedDict()
        self._kept_bytes = 0
        self._unread_bytes = 0  # kept by the current pass since the last read
        self._pass: _Pass | None = None
        self._closed = False
        self.readable: set[str] = set()  # the names worth extracting (pages); all if empty

    def iter_members(self) -> Iterator[Member]:
        for info in self._infos:
            csize = info.compressed if info.compressed is not None else self._size
            yield Member(
                name=clean_name(info.filename),
                size=int(info.uncompressed or 0),
                csize=int(csize),
                crc=info.crc32,
                ref=info.filename,
                problem=ENCRYPTED if self._encrypted else None,
            )

    def position(self, name: str) -> int:
        return self._index.get(name, -1)

    def ahead(self, member: Member) -> int:
        """Bytes stored before `member` in archive order (what reaching it costs)."""
        return sum(self._sizes[n] for n in self._order[: self.position(member.ref)])

    def read(self, member: Member, limit: int) -> bytes:
        name = member.ref
        where = self.position(name)
        self.limit = max(self.limit, limit)
        starts = 0
        with self.changed:
            while True:
                if self._closed:
                    raise BookError("the book is closed")
                if name in self._kept:
                    self._kept.move_to_end(name)
                    self._unread_bytes = 0
                    data, length = self._kept[name]
                    return data if length <= limit else data + b"\0"  # too big: refused
                run = self._pass
                coming = (
                    run is not None
                    and run.is_alive()
                    and not run.stop.is_set()
                    and name in run.targets
                    and run.at <= where
                )
                if not coming:
                    failed = run is not None and not run.is_alive() and run.error is not None
                    if failed and name in run.targets and run.current in (None, name):
                        raise run.error  # on this page, or before any (a password, a header)
                    if starts >= 2:
                        raise BookError("py7zr did not extract it")
                    starts += 1
                    self._start(name)
                self.changed.wait(_WAIT_S)

    def _start(self, name: str) -> None:
        if self._pass is not None:
            self._pass.stop.set()
        at = self.position(name)
        targets = [
            n for n in self._order[at:] if n == name or not self.readable or n in self.readable
        ]
        self._unread_bytes = 0
        self._pass = _Pass(self, targets)
        self._pass.start()

    def _keep(self, name: str, data: bytes, length: int) -> None:
        with self.changed:
            if self._closed:
                self._pass_stop()
                return
            if name not in self._kept:
                self._kept[name] = (data, length)
                self._kept_bytes += len(data)
                self._unread_bytes += len(data)
            while self._kept_bytes > KEEP_BYTES and len(self._kept) > 1:
                _, (old, _) = self._kept.popitem(last=False)
                self._kept_bytes -= len(old)
            if self._unread_bytes > KEEP_BYTES // 2 and self._pass is not None:
                self._pass.stop.set()  # far enough ahead of the reader
            self.changed.notify_all()

    def _pass_stop(self) -> None:
        if self._pass is not None:
            self._pass.stop.set()

    def close(self) -> None:
        with self.changed:
            self._closed = True
            run = self._pass
            self._kept.clear()
            self._kept_bytes = 0
            self.changed.notify_all()
        if run is not None:
            run.stop.set()
            run.join(timeout=5)


# tar ----------------------------------------------------------------------------------

_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


class TarSource:
    """A tar archive (plain, or gzip/bzip2/xz compressed) through tarfile.

    Links, devices and other non-regular members are never read. In a compressed tar
    the members' compressed sizes are unknown, so the archive's size bounds them for
    the expansion check.
    """

    label = "tar/CBT"

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as f:
            head = f.read(8)
        self._compressed = head.startswith(_COMPRESSED_MAGIC)
        self._size = path.stat().st_size
        self._tar = tarfile.open(path, "r:*")

    @property
    def compressed(self) -> bool:
        return self._compressed

    def iter_members(self) -> Iterator[Member]:
        for info in self._tar:
            if info.isdir():
                continue
            csize = self._size if self._compressed else info.size
            member = Member(clean_name(info.name), info.size, csize, info.chksum, info)
            if not info.isreg():
                member.problem = Problem(
                    "is a link or special file, not a page", "holds only links, not pages"
                )
            yield member

    def stream(self, member: Member) -> IO[bytes]:
        f = self._tar.extractfile(member.ref)
        if f is None:
            raise BookError("the member is not a regular file")
        return f

    def read(self, member: Member, limit: int) -> bytes:
        with self.stream(member) as f:
            data: bytes = f.read(limit + 1)
        return data

    def close(self) -> None:
        self._tar.close()


def open_source(path: Path, kind: str) -> Any:
    """The source for `kind` ("cbz", "cbr", "cb7", "cbt"); format errors propagate."""
    if kind == "cbz":
        return ZipSource(path)
    if kind == "cbr":
        return RarSource(path)
    if kind == "cb7":
        return SevenZipSource(path)
    if kind == "cbt":
        return TarSource(path)
    raise ValueError(kind)


__all__ = [
    "ENCRYPTED",
    "NO_UNAR",
    "Member",
    "Problem",
    "RarSource",
    "SevenZipSource",
    "TarSource",
    "ZipSource",
    "implausible_cp437",
    "open_source",
    "rar_tool_found",
    "unsupported_method",
    "zip_names",
]
