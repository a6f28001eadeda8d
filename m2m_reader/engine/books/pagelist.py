"""From a list of image names (folder or archive) to pages and a lazy page decoder.

Shared by the folder and archive loaders: ComicInfo's `Pages` hides `Deleted` pages and
marks spreads; otherwise a wide image is a spread. Sizes come from ComicInfo, else from
the image header (`size_of`), else they are filled in when the page is first decoded.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image

from .comicinfo import ComicInfo
from .images import decode, is_double
from .model import Page

SizeReader = Callable[[str], tuple[int, int] | None]


def build_pages(names: list[str], info: ComicInfo, size_of: SizeReader | None) -> list[Page]:
    """Make pages in reading order from image names already in natural order.

    Args:
        names: image names; position `i` is ComicInfo's `Image="i"`.
        info: the book's ComicInfo (empty if none).
        size_of: reads one image's (width, height) from its header, or None to defer.
    """
    pages: list[Page] = []
    for i, name in enumerate(names):
        meta = info.pages.get(i)
        if meta is not None and meta.kind.lower() == "deleted":
            continue
        width = height = None
        if meta is not None and meta.width and meta.height:
            width, height = meta.width, meta.height
        elif size_of is not None:
            size = size_of(name)
            if size is not None:
                width, height = size
        double = meta.double if meta is not None and meta.double is not None else None
        page = Page(
            index=len(pages),
            name=name,
            width=width,
            height=height,
            double=double if double is not None else is_double(width, height),
            kind=meta.kind if meta is not None else "Story",
        )
        pages.append(page)
    return pages


def page_label(page: Page, source: str) -> str:
    """How messages name a page: 'page 3 (003.jpg) of book.cbz'."""
    return f"page {page.index + 1} ({page.name}) of {source}"


class PageOpener:
    """`Book`'s page decoder in two steps: `read` the bytes, then `decode` them.

    `Book.image` calls `read` under the book's lock (archive handles are not
    thread-safe) and `decode` outside it, so pages decode in parallel. `read_bytes`
    raises `PageError` itself for members it cannot read. A page whose size was unknown
    gets it on its first whole decode, and becomes a spread if it is wide.
    """

    def __init__(self, read_bytes: Callable[[Page], bytes], source: str) -> None:
        self.read = read_bytes
        self._source = source

    def decode(self, page: Page, data: bytes, draft: tuple[int, int] | None = None) -> Image.Image:
        im = decode(data, page_label(page, self._source), draft)
        if draft is None and (page.width is None or page.height is None):
            page.width, page.height = im.width, im.height
            page.double = page.double or is_double(im.width, im.height)
        return im

    def __call__(self, page: Page) -> Image.Image:
        return self.decode(page, self.read(page))


def make_opener(read_bytes: Callable[[Page], bytes], source: str) -> PageOpener:
    """Wrap a byte reader into `Book`'s page decoder (see `PageOpener`)."""
    return PageOpener(read_bytes, source)
