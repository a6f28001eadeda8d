"""ZIP and CBZ books through zipfile: the members, their names as their writer meant
them, and which ones Python can read.

ZIP names written without the UTF-8 flag are raw bytes in the writer's code page:
cp437 by the standard, UTF-8 from many Unix tools, cp932 (Shift-JIS) from Japanese
archivers. `zip_names` chooses per archive (see there); a `\\` inside a Shift-JIS
character ("表" is 0x95 0x5C) is never taken for a folder separator.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .members import ENCRYPTED, Member, clean_name, unsupported_method

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
