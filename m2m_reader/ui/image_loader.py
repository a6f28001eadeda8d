"""Page images decoded off the UI thread, with the neighbours kept ready.

`PageImages.request(i)` answers at once from a small LRU of decoded pages, or starts
a decode in a QThreadPool and answers later through the `ready` / `failed` signals.
`preload()` decodes the pages around the cursor so that a page turn paints at once.
Workers produce `QImage`s (safe off the GUI thread); only the UI thread makes pixmaps.
A damaged page comes back as `failed(index, reason)`: the reader shows it as damaged
and the rest of the book reads on.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, QSize, QThreadPool, Signal
from PySide6.QtGui import QImage

from ..engine.books.archive import short_reason
from ..engine.books.model import Book
from ..engine.core.errors import M2MError
from .tasks import yield_to_ui

# A page pre-scaled larger than this (48 MB) is not kept: it is painted on the fly.
PRESCALE_MAX_PIXELS = 12_000_000


def to_qimage(im: Image.Image) -> QImage:
    """A deep-copied QImage of a Pillow image (RGB or L; anything else is converted)."""
    if im.mode == "L":
        fmt = QImage.Format.Format_Grayscale8
        stride = im.width
    else:
        if im.mode != "RGB":
            im = im.convert("RGB")
        fmt = QImage.Format.Format_RGB888
        stride = im.width * 3
    data = im.tobytes()
    return QImage(data, im.width, im.height, stride, fmt).copy()


def pil_view(image: QImage) -> Image.Image:
    """A Pillow image over the pixels of a QImage made by `to_qimage` (no copy: keep
    `image` alive while it is used)."""
    mode = "L" if image.format() == QImage.Format.Format_Grayscale8 else "RGB"
    size = (image.width(), image.height())
    pixels = np.frombuffer(image.constBits(), dtype=np.uint8)
    return Image.frombuffer(mode, size, pixels, "raw", mode, image.bytesPerLine(), 1)


def prescale(im: Image.Image, size: QSize | None) -> QImage:
    """The page smoothly scaled to `size`, in the format the screen paints fastest
    (a null image when no size is known). Done on a worker so a page turn only blits.

    Pillow scales, not Qt: Pillow lets go of the interpreter lock while it works, and
    QImage.scaled and convertToFormat hold it throughout (tens of milliseconds for a
    page), which would stall the UI thread as long."""
    if size is None or size.isEmpty() or (size.width(), size.height()) == im.size:
        return QImage()
    w, h = size.width(), size.height()
    if w * h > PRESCALE_MAX_PIXELS:
        return QImage()  # far zoomed in: painted from the page itself, what is in sight
    scaled = im.resize((w, h), Image.Resampling.BICUBIC, reducing_gap=2.0).convert("RGBA")
    # An opaque ARGB32 (premultiplied) pixel is the 32-bit word 0xffRRGGBB.
    data = scaled.tobytes("raw", "BGRA" if sys.byteorder == "little" else "ARGB")
    return QImage(data, w, h, w * 4, QImage.Format.Format_ARGB32_Premultiplied).copy()


class _Relay(QObject):
    """Lives on the UI thread; workers emit through it, so slots run on the UI thread."""

    done = Signal(int, int, QImage, QImage)  # generation, index, image, pre-scaled (or null)
    fail = Signal(int, int, str)  # generation, index, reason


Transform = Callable[[Image.Image], Image.Image]


class _Decode:  # a callable for the pool (see tasks._Job: not a QRunnable)
    def __init__(
        self,
        relay: _Relay,
        book: Book,
        index: int,
        generation: int,
        size: QSize | None,
        transform: Transform | None = None,
    ) -> None:
        self._relay, self._book, self._index, self._gen = relay, book, index, generation
        self._size, self._transform = size, transform

    def __call__(self) -> None:
        yield_to_ui()
        try:
            decoded = self._book.image(self._index)
            if self._transform is not None:  # the reader's crop and colour filters
                decoded = self._transform(decoded)
            image = to_qimage(decoded)
            scaled = prescale(decoded, self._size)
        except M2MError as exc:
            self._relay.fail.emit(self._gen, self._index, str(exc))
        except Exception as exc:  # noqa: BLE001 - a worker must hand back every failure
            name = self._book.pages[self._index].name
            self._relay.fail.emit(
                self._gen,
                self._index,
                f"page {self._index + 1} ({name}) could not be shown ({short_reason(exc)}).",
            )
        else:
            self._relay.done.emit(self._gen, self._index, image, scaled)


class _Rescale:  # a callable for the pool (see tasks._Job: not a QRunnable)
    def __init__(self, relay: _Relay, image: QImage, index: int, generation: int, size: QSize):
        self._relay, self._image, self._index, self._gen, self._size = (
            relay,
            image,
            index,
            generation,
            size,
        )

    def __call__(self) -> None:
        yield_to_ui()
        scaled = prescale(pil_view(self._image), self._size)
        self._relay.done.emit(self._gen, self._index, self._image, scaled)


class PageImages(QObject):
    """Decoded pages of one book: a bounded LRU plus asynchronous decoding.

    Args:
        capacity: pages kept decoded (the cursor's spread and its neighbours).
        pool: the thread pool to decode in; a private two-thread pool by default.
    """

    ready = Signal(int, QImage)
    failed = Signal(int, str)

    def __init__(
        self, capacity: int = 10, pool: QThreadPool | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self._pool = pool or QThreadPool(self)
        if pool is None:
            self._pool.setMaxThreadCount(2)
        self._relay = _Relay(self)
        self._relay.done.connect(self._on_done)
        self._relay.fail.connect(self._on_fail)
        self._book: Book | None = None
        self._gen = 0
        self._cache: OrderedDict[int, QImage] = OrderedDict()
        self._scaled: dict[int, QImage] = {}  # index -> the page pre-scaled for the view
        self._sizes: dict[int, QSize] = {}  # index -> the size the view will paint it at
        self._errors: dict[int, str] = {}
        self._pending: set[int] = set()
        self._transform: Transform | None = None

    def set_transform(self, transform: Transform | None) -> None:
        """Run `transform` on every page after decoding (on the workers); pages already
        decoded are decoded again."""
        self._transform = transform
        book = self._book
        self.set_book(book)

    def set_book(self, book: Book | None) -> None:
        """Switch books; decodes still running for the old one are ignored when they land."""
        self._gen += 1
        self._book = book
        self._cache.clear()
        self._scaled.clear()
        self._sizes.clear()
        self._errors.clear()
        self._pending.clear()

    def cached(self, index: int) -> QImage | None:
        image = self._cache.get(index)
        if image is not None:
            self._cache.move_to_end(index)
        return image

    def scaled(self, index: int) -> QImage | None:
        """The page pre-scaled for the view, if a worker made one."""
        return self._scaled.get(index)

    def set_sizes(self, sizes: dict[int, QSize]) -> None:
        """Tell workers the size the view will paint these pages at (pre-scaling them).

        Pages already decoded at another size are re-scaled in the background."""
        for index, size in sizes.items():
            old = self._sizes.get(index)
            self._sizes[index] = size
            have = self._scaled.get(index)
            if index in self._cache and (have is None or have.size() != size) and old != size:
                self._pool.start(_Rescale(self._relay, self._cache[index], index, self._gen, size))

    def error(self, index: int) -> str | None:
        return self._errors.get(index)

    def request(self, index: int, *, urgent: bool = True) -> QImage | None:
        """The page if decoded; otherwise start decoding it and return None."""
        image = self.cached(index)
        if image is not None or index in self._errors:
            return image
        self._start(index, priority=1 if urgent else 0)
        return None

    def preload(self, indices: Iterable[int]) -> None:
        """Decode these pages in the background (in order) unless already done."""
        for index in indices:
            if index not in self._cache and index not in self._errors:
                self._start(index, priority=0)

    def is_loading(self, index: int) -> bool:
        return index in self._pending

    def wait_idle(self, msecs: int = 5000) -> bool:
        """Block until no decode runs (tests and benchmarks only)."""
        return self._pool.waitForDone(msecs)

    def _start(self, index: int, priority: int) -> None:
        book = self._book
        if book is None or not 0 <= index < len(book) or index in self._pending:
            return
        self._pending.add(index)
        self._pool.start(
            _Decode(self._relay, book, index, self._gen, self._sizes.get(index), self._transform),
            priority,
        )

    def _on_done(self, generation: int, index: int, image: QImage, scaled: QImage) -> None:
        if generation != self._gen:
            return
        if not scaled.isNull() and scaled.size() == self._sizes.get(index):
            self._scaled[index] = scaled
        if index in self._cache and self._cache[index] is image:
            self.ready.emit(index, image)  # a re-scale of a page already decoded
            return
        self._pending.discard(index)
        self._cache[index] = image
        self._cache.move_to_end(index)
        while len(self._cache) > self.capacity:
            old, _ = self._cache.popitem(last=False)
            self._scaled.pop(old, None)
        self.ready.emit(index, image)

    def _on_fail(self, generation: int, index: int, reason: str) -> None:
        if generation != self._gen:
            return
        self._pending.discard(index)
        self._errors[index] = reason
        self.failed.emit(index, reason)
