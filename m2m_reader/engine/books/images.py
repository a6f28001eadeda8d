"""Page images: which names count, their order, their size, and safe decoding."""

from __future__ import annotations

import io
import re
import warnings
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

from ..core.errors import PageError
from .safety import MAX_PIXELS

try:  # JPEG XL pages: the plugin registers itself with Pillow on import
    import pillow_jxl  # noqa: F401
except ImportError:  # pragma: no cover - a dependency; without it .jxl pages say so
    pass

IMAGE_EXTENSIONS = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",
        ".png",
        ".webp",
        ".gif",
        ".bmp",
        ".avif",
        ".tif",
        ".tiff",
        ".jxl",
    }
)
# A page wider than this (width / height) is a two-page spread.
DOUBLE_ASPECT = 1.2
# EXIF orientations that turn the picture a quarter turn (width and height swap).
_QUARTER_TURNS = frozenset({5, 6, 7, 8})
_ORIENTATION = 0x0112

_DIGITS = re.compile(r"(\d+)")

NaturalKey = tuple[tuple[int, tuple[tuple[int, int | str], ...]], ...]


def natural_parts(part: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for one name: numbers compare as numbers ("ch 9" < "Ch 10"), case ignored."""
    out: list[tuple[int, int | str]] = []
    for chunk in _DIGITS.split(part.lower()):
        if chunk:
            out.append((0, int(chunk)) if chunk.isdigit() else (1, chunk))
    return tuple(out)


def natural_key(name: str) -> tuple[NaturalKey, str]:
    """Sort key for page paths in reading order.

    Folder by folder: the files of a folder come before its subfolders (so a root
    `cover.jpg` leads), numbers compare as numbers ("Chapter 2" before "Chapter 10",
    "1" before "1.5" before "2"), letters case-insensitively; the exact name breaks ties.
    """
    parts = [p for p in name.replace("\\", "/").split("/") if p]
    key = tuple((0 if i == len(parts) - 1 else 1, natural_parts(p)) for i, p in enumerate(parts))
    return key, name


def is_page_name(name: str) -> bool:
    """True for an image member or file name that should become a page.

    Hidden files, macOS resource forks (`__MACOSX/`, `._x.jpg`) and non-images are skipped.
    """
    norm = name.replace("\\", "/")
    parts = [p for p in norm.split("/") if p]
    if not parts:
        return False
    if any(p.startswith(".") or p == "__MACOSX" for p in parts):
        return False
    dot = parts[-1].rfind(".")
    return dot > 0 and parts[-1][dot:].lower() in IMAGE_EXTENSIONS


def is_double(width: int | None, height: int | None) -> bool:
    return bool(width and height and width / height > DOUBLE_ASPECT)


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation (1 upright .. 8), read without decoding the pixels."""
    if im.format == "TIFF":  # Pillow's TIFF reader turns the picture itself
        return 1
    if im.format == "PNG":  # Pillow would decode a PNG to look for a late eXIf chunk
        raw = im.info.get("exif")
        if not raw:
            return 1
        exif = Image.Exif()
        exif.load(raw)
    else:
        exif = im.getexif()
    value = exif.get(_ORIENTATION, 1)
    return value if isinstance(value, int) else 1


def read_size(stream: IO[bytes]) -> tuple[int, int] | None:
    """Read only an image's header and return its (width, height) as shown, or None.

    The EXIF orientation is applied: a photo stored sideways with orientation 6 is as
    tall as it is shown, which is what spread detection needs.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(stream) as im:
                w, h = im.size
                return (h, w) if _orientation(im) in _QUARTER_TURNS else (w, h)
    except Exception:  # noqa: BLE001 - any failure here just means "size unknown"
        return None


def decode(data: bytes, what: str, draft: tuple[int, int] | None = None) -> Image.Image:
    """Decode one page image to RGB (or L for greyscale), refusing decompression bombs.

    With `draft` (width, height), a JPEG is decoded at the smallest of 1/2, 1/4 or 1/8
    of its size that stays at least that big (for thumbnails); other formats whole. The
    pixel limit applies to the stored size either way.

    Args:
        data: the encoded image.
        what: the page as a person would name it ("page 3 (003.jpg) of book.cbz").

    Raises:
        PageError: the image is damaged, not an image, or over the pixel limit.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opened = Image.open(io.BytesIO(data))
            w, h = opened.size
            if w * h > MAX_PIXELS:
                raise PageError(
                    f"{what} is {w}×{h} pixels, over the {MAX_PIXELS // 1_000_000} megapixel "
                    "limit; refused."
                )
            if w <= 0 or h <= 0:
                raise PageError(f"{what} has no pixels.")
            opened.seek(0)  # first frame of an animated GIF/WebP
            if draft is not None and opened.format == "JPEG":
                opened.draft(opened.mode, draft)
            opened.load()
            im: Image.Image = opened
            if _orientation(im) != 1:
                im = ImageOps.exif_transpose(im)
            return _normalise(im)
    except PageError:
        raise
    except Image.DecompressionBombError:
        raise PageError(
            f"{what} is a decompression bomb, over the {MAX_PIXELS // 1_000_000} megapixel "
            "limit; refused."
        ) from None
    except UnidentifiedImageError:
        raise PageError(
            f"{what} is not an image m2m-reader can read "
            "(JPEG, PNG, WebP, AVIF, JPEG XL, TIFF, GIF or BMP)."
        ) from None
    except Exception as exc:  # noqa: BLE001 - decoders raise many types on damaged data
        reason = str(exc).split("\n")[0].rstrip(".") or type(exc).__name__
        raise PageError(f"{what} is damaged ({reason}).") from None


def _normalise(im: Image.Image) -> Image.Image:
    if im.mode in ("RGB", "L"):
        return im
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    if im.mode in ("1", "I;16", "I;16B", "I;16L", "I", "F"):
        if im.mode in ("I", "F", "I;16", "I;16B", "I;16L"):
            return im.convert("I").point(lambda v: v / 256).convert("L")
        return im.convert("L")
    return im.convert("RGB")
