"""ComicInfo.xml: title, reading direction and per-page facts for CBZ/CBR/folders.

Only the fields the reader uses are read. A malformed ComicInfo.xml is ignored (with a
warning in the log) so that a broken sidecar never hides a readable book; one that
declares a DOCTYPE or entities is refused, like all unsafe XML.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..core.errors import BookError, UnsafeInputError
from .model import Direction
from .safety import parse_xml

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageInfo:
    """One `Pages/Page` entry; `image` indexes the book's images in natural order."""

    image: int
    kind: str = "Story"
    double: bool | None = None
    width: int | None = None
    height: int | None = None


@dataclass
class ComicInfo:
    title: str | None = None
    direction: Direction | None = None  # None when the file does not say
    language: str | None = None  # LanguageISO, lower case ("en", "ja")
    series: str | None = None  # Series
    number: str | None = None  # Number within the series ("3", "3.5", "Extra")
    pages: dict[int, PageInfo] = field(default_factory=dict)


def _int(text: str | None) -> int | None:
    try:
        value = int((text or "").strip())
    except ValueError:
        return None
    return value if 0 < value < 1_000_000 else None


def _bool(text: str | None) -> bool | None:
    value = (text or "").strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    return None


def _local(tag: object) -> str:
    # Some writers put the schema namespace on every element.
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_comicinfo(data: bytes, source: str) -> ComicInfo:
    """Read ComicInfo.xml bytes; `source` names the file in messages.

    Raises:
        UnsafeInputError: the XML declares a DOCTYPE or entities, or is too large.
    """
    try:
        root = parse_xml(data, source)
    except UnsafeInputError:
        raise
    except BookError as exc:
        log.warning("ignoring %s: %s", source, exc)
        return ComicInfo()
    info = ComicInfo()
    for child in root:
        tag = _local(child.tag)
        text = (child.text or "").strip()
        if tag == "Title" and text:
            info.title = text[:300]
        elif tag == "LanguageISO" and text:
            info.language = text.lower()[:12]
        elif tag == "Series" and text:
            info.series = text[:300]
        elif tag == "Number" and text:
            info.number = text[:40]
        elif tag == "Manga":
            if text.lower() == "yesandrighttoleft":
                info.direction = "rtl"
            elif text.lower() == "no":
                info.direction = "ltr"
        elif tag == "Pages":
            for el in child:
                if _local(el.tag) != "Page":
                    continue
                index = el.get("Image")
                try:
                    image = int(index or "")
                except ValueError:
                    continue
                if image < 0:
                    continue
                info.pages[image] = PageInfo(
                    image=image,
                    kind=(el.get("Type") or "Story").strip()[:40] or "Story",
                    double=_bool(el.get("DoublePage")),
                    width=_int(el.get("ImageWidth")),
                    height=_int(el.get("ImageHeight")),
                )
    return info
