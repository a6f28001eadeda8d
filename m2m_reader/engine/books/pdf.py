"""PDF books through pypdfium2: page sizes at open, pixels rendered on demand.

Pages render at `RENDER_DPI`, lowered for huge pages so a page never exceeds
`MAX_RENDER_SIDE` pixels on its long side. Page sizes come from the PDF's page boxes
(no rendering at open); a page's size is corrected if its rotation makes the render
differ. PDFium is not thread-safe, even across documents, so every call into it holds
one module-wide lock.
"""

from __future__ import annotations

import hashlib
import threading
from math import ceil
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from ..core.errors import BookError, PageError
from .images import is_double
from .model import Book, Direction, Page
from .pagelist import page_label

RENDER_DPI = 150
MAX_RENDER_SIDE = 3000
_SAMPLE = 1024**2  # bytes hashed from each end of the file for the fingerprint
_PDFIUM = threading.Lock()


def _scale(width_pt: float, height_pt: float) -> float:
    scale = RENDER_DPI / 72
    longest = max(width_pt, height_pt, 1.0)
    return min(scale, MAX_RENDER_SIDE / longest)


def _fingerprint(path: Path) -> str:
    """Hash the size and both ends of the file: the trailer's document ID lives at the end."""
    size = path.stat().st_size
    h = hashlib.sha256(f"pdf\0{size}\0".encode())
    with open(path, "rb") as f:
        h.update(f.read(_SAMPLE))
        if size > 2 * _SAMPLE:
            f.seek(size - _SAMPLE)
        h.update(f.read(_SAMPLE))
    return h.hexdigest()[:32]


def open_pdf(path: Path, fallback: Direction) -> Book:
    """Open a PDF as a book.

    Raises:
        BookError: unreadable, encrypted, damaged or without pages.
    """
    with _PDFIUM:
        try:
            doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            reason = str(exc).rstrip(".")
            if "password" in reason.lower():
                raise BookError(f"{path} is a password-protected PDF; it cannot be read.") from None
            raise BookError(f"{path} is not a readable PDF ({reason}).") from None
        except OSError as exc:
            raise BookError(f"{path} cannot be read ({exc.strerror or exc}).") from None
        try:
            count = len(doc)
            if count == 0:
                raise BookError(f"{path} is a PDF with no pages.")
            pages: list[Page] = []
            scales: list[float] = []
            for i in range(count):
                try:
                    w_pt, h_pt = doc.get_page_size(i)
                except pdfium.PdfiumError:
                    w_pt, h_pt = 0.0, 0.0
                s = _scale(w_pt, h_pt)
                # pypdfium2 sizes the bitmap with ceil(); match it so the size holds after render.
                w, h = (ceil(w_pt * s), ceil(h_pt * s)) if w_pt > 0 and h_pt > 0 else (None, None)
                scales.append(s)
                pages.append(
                    Page(index=i, name=f"page {i + 1}", width=w, height=h, double=is_double(w, h))
                )
            title = (doc.get_metadata_dict(skip_empty=True).get("Title") or "").strip()
        except BookError:
            doc.close()
            raise
        except Exception as exc:  # noqa: BLE001 - damaged documents raise many types
            doc.close()
            raise BookError(f"{path} is a damaged PDF ({exc}).") from None

    def open_image(page: Page) -> Image.Image:
        what = page_label(page, path.name)
        with _PDFIUM:
            try:
                pdf_page = doc[page.index]
                try:
                    im = pdf_page.render(scale=scales[page.index]).to_pil()
                finally:
                    pdf_page.close()
            except Exception as exc:  # noqa: BLE001
                raise PageError(f"{what} cannot be rendered ({exc}).") from None
        im = im if im.mode in ("RGB", "L") else im.convert("RGB")
        if (page.width, page.height) != im.size:
            page.width, page.height = im.size
            page.double = is_double(*im.size)
        return im

    def close() -> None:
        with _PDFIUM:
            doc.close()

    return Book(
        path=path,
        title=title[:300] or path.stem,
        kind="pdf",
        direction=fallback,
        direction_known=False,
        pages=pages,
        open_image=open_image,
        fingerprint=_fingerprint(path),
        close=close,
    )
