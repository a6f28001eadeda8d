"""Page images as the chat API takes them: downscaled JPEG in a base64 data URL."""

from __future__ import annotations

import base64
import io
import math

from PIL import Image

from ..books.model import Book


def scaled_size(width: int, height: int, max_px: int) -> tuple[int, int]:
    scale = min(1.0, max_px / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def page_data_url(book: Book, index: int, max_px: int) -> str:
    """Page `index` as `data:image/jpeg;base64,...`, its long side at most `max_px`.

    Raises `PageError` (an `M2MError`) when the page cannot be decoded.
    """
    image = book.image(index)
    return data_url(image, max_px)


def data_url(image: Image.Image, max_px: int) -> str:
    img = image.convert("RGB")
    size = scaled_size(img.width, img.height, max_px)
    if size != (img.width, img.height):
        img = img.resize(size, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def image_tokens(width: int, height: int, detail: str = "high") -> int:
    """OpenAI's published count for one image: 85 for low detail; for high detail the
    image is fitted in 2048 px, its short side brought down to 768 px, and each 512 px
    tile costs 170 on top of the 85."""
    if detail == "low":
        return 85
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        s = 2048 / max(w, h)
        w, h = w * s, h * s
    if min(w, h) > 768:
        s = 768 / min(w, h)
        w, h = w * s, h * s
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)
