"""Limits and checks that keep hostile or broken books from hurting the reader.

Nothing is ever extracted to disk, but archive member names are still checked: a
name that escapes (absolute, `..`, a drive letter) marks an archive made to attack
extracting tools, and such an archive is refused as a whole.

Limits (chosen so that real books pass with a wide margin):

- an archive may declare at most `MAX_ARCHIVE_TOTAL` (4 GiB) of uncompressed data and
  `MAX_MEMBERS` (100,000) members;
- a member may not expand more than `MAX_MEMBER_RATIO` (200×) when it is larger than
  `RATIO_CHECK_FROM` (50 MiB): real JPEG/PNG pages compress less than 2×;
- one page image may hold at most `MAX_MEMBER_BYTES` (512 MiB) of encoded data and
  `MAX_PIXELS` (150 megapixels, below Pillow's own bomb limit);
- an XML file (annotations, ComicInfo) may be at most `MAX_XML_BYTES` (64 MiB) and may
  carry no DOCTYPE: no DTD, no entities, no network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..core.errors import BookError, PageError, UnsafeInputError

MAX_ARCHIVE_TOTAL = 4 * 1024**3
MAX_MEMBERS = 100_000
MAX_MEMBER_RATIO = 200
RATIO_CHECK_FROM = 50 * 1024**2
MAX_MEMBER_BYTES = 512 * 1024**2
MAX_PIXELS = 150_000_000
MAX_XML_BYTES = 64 * 1024**2

_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class MemberInfo:
    """What the safety checks need to know about one archive member."""

    name: str
    file_size: int
    compress_size: int


def member_escapes(name: str) -> bool:
    """True when `name`, extracted naively, would land outside the target folder."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or _DRIVE.match(norm) or "\x00" in norm:
        return True
    return any(part == ".." for part in norm.split("/"))


def check_archive(source: str, members: Iterable[MemberInfo]) -> None:
    """Refuse an archive whose member paths escape or whose sizes are absurd.

    Raises:
        UnsafeInputError: one sentence naming `source` and the offending member.
    """
    total = 0
    count = 0
    for m in members:
        count += 1
        if count > MAX_MEMBERS:
            raise UnsafeInputError(f"{source} has more than {MAX_MEMBERS:,} members; refused.")
        if member_escapes(m.name):
            raise UnsafeInputError(
                f"{source} holds a member whose path escapes the archive ({m.name!r}); refused."
            )
        if m.file_size < 0 or m.compress_size < 0:
            raise UnsafeInputError(f"{source} declares a negative size for {m.name!r}; refused.")
        if m.file_size > RATIO_CHECK_FROM and m.file_size > MAX_MEMBER_RATIO * max(
            m.compress_size, 1
        ):
            raise UnsafeInputError(
                f"{source} member {m.name!r} expands {m.file_size // max(m.compress_size, 1):,} "
                f"times to {m.file_size / 1024**2:,.0f} MiB, an archive bomb; refused."
            )
        total += m.file_size
        if total > MAX_ARCHIVE_TOTAL:
            raise UnsafeInputError(
                f"{source} would expand to more than {MAX_ARCHIVE_TOTAL // 1024**3} GiB; refused."
            )


_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, source: str) -> etree._Element:
    """Parse untrusted XML safely and return its root element.

    A DOCTYPE (and so any DTD or entity) is refused outright rather than ignored, so
    no later code can be tricked into resolving one.

    Raises:
        UnsafeInputError: the XML is too large or declares a DOCTYPE/entities.
        BookError: the XML is not well-formed.
    """
    if len(data) > MAX_XML_BYTES:
        raise UnsafeInputError(
            f"{source} is {len(data) / 1024**2:,.0f} MiB of XML, over the "
            f"{MAX_XML_BYTES // 1024**2} MiB limit; refused."
        )
    if _DOCTYPE.search(data):
        raise UnsafeInputError(f"{source} declares a DOCTYPE or entities; refused.")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise BookError(f"{source} is not well-formed XML{line}.") from None
    except (ValueError, etree.LxmlError) as exc:
        raise BookError(f"{source} cannot be read as XML: {exc}.") from None
    if root is None:
        raise BookError(f"{source} is empty XML.")
    # Encodings other than UTF-8 (e.g. UTF-16) slip past the byte scan above.
    doc = root.getroottree().docinfo
    if doc.doctype or doc.internalDTD is not None:
        raise UnsafeInputError(f"{source} declares a DOCTYPE or entities; refused.")
    return root


def read_page_file(path: Path, what: str) -> bytes:
    """A page image file's bytes, refused past `MAX_MEMBER_BYTES`; `what` names it in errors."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_MEMBER_BYTES + 1)
    except OSError as exc:
        raise PageError(f"{what} cannot be read ({exc.strerror or exc}).") from None
    if len(data) > MAX_MEMBER_BYTES:
        raise PageError(f"{what} is larger than {MAX_MEMBER_BYTES // 1024**2} MiB; refused.")
    return data
