"""Page images: which names count, their order, their size, and safe decoding."""

from __future__ import annotations

import io
import re
import warnings
from typing import IO

from PIL import Image, UnidentifiedImageError

from ..errors import PageError
from .safety import MAX_PIXELS

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp"})
# A page wider than this (width / height) is a two-page spread.
DOUBLE_ASPECT = 1.2

_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting "2.jpg" before "10.jpg", case-insensitively, path by path."""
    parts: list[tuple[int, int | str]] = []
    for chunk in _DIGITS.split(name.replace("\\", "/").lower()):
        if not chunk:
            continue
        parts.append((0, int(chunk)) if chunk.isdigit() else (1, chunk))
    return tuple(parts)


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


def read_size(stream: IO[bytes]) -> tuple[int, int] | None:
    """Read only an image's header and return (width, height), or None if unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(stream) as im:
                return im.size
    except Exception:  # noqa: BLE001 - any failure here just means "size unknown"
        return None


def decode(data: bytes, what: str) -> Image.Image:
    """Decode one page image to RGB (or L for greyscale), refusing decompression bombs.

    Args:
        data: the encoded image.
        what: the page as a person would name it ("page 3 (003.jpg) of book.cbz").

    Raises:
        PageError: the image is damaged, not an image, or over the pixel limit.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im = Image.open(io.BytesIO(data))
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise PageError(
                    f"{what} is {w}×{h} pixels, over the {MAX_PIXELS // 1_000_000} megapixel "
                    "limit; refused."
                )
            if w <= 0 or h <= 0:
                raise PageError(f"{what} has no pixels.")
            im.seek(0)  # first frame of an animated GIF/WebP
            im.load()
            return _normalise(im)
    except PageError:
        raise
    except Image.DecompressionBombError:
        raise PageError(
            f"{what} is a decompression bomb, over the {MAX_PIXELS // 1_000_000} megapixel "
            "limit; refused."
        ) from None
    except UnidentifiedImageError:
        raise PageError(f"{what} is not an image Pillow can read.") from None
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
