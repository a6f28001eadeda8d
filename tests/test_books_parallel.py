"""Pages of one book decode in parallel; reading their bytes stays one at a time."""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from m2m_reader.engine.books import open_book, pagelist
from m2m_reader.engine.books.safety import MAX_PIXELS
from m2m_reader.engine.core.errors import PageError


def jpeg(width: int, height: int, shade: int = 128) -> bytes:
    blob = io.BytesIO()
    Image.new("L", (width, height), shade).save(blob, "JPEG", quality=90)
    return blob.getvalue()


def make_cbz(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_two_pages_decode_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two threads are inside the decoder together: the book's lock is not held there."""
    path = make_cbz(tmp_path / "p.cbz", {f"{i}.jpg": jpeg(40, 60, 20 * i) for i in range(4)})
    both_inside = threading.Barrier(2, timeout=5)
    real = pagelist.decode

    def meeting(data: bytes, what: str, draft: tuple[int, int] | None = None) -> Image.Image:
        both_inside.wait()  # breaks (BrokenBarrierError) if decodes were serial
        return real(data, what, draft)

    monkeypatch.setattr(pagelist, "decode", meeting)
    results: dict[int, object] = {}
    with open_book(path) as book:
        reading = []
        real_read = book._open_image.read
        inside = [0]
        guard = threading.Lock()

        def counted_read(page):  # noqa: ANN001, ANN202
            with guard:
                inside[0] += 1
                reading.append(inside[0])
            try:
                return real_read(page)
            finally:
                with guard:
                    inside[0] -= 1

        book._open_image.read = counted_read

        def decode(i: int) -> None:
            try:
                results[i] = book.image(i).getpixel((5, 5))
            except Exception as exc:  # noqa: BLE001 - handed to the assertion below
                results[i] = exc

        threads = [threading.Thread(target=decode, args=(i,)) for i in (1, 3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert not any(isinstance(v, Exception) for v in results.values()), results
    assert abs(results[1] - 20) <= 3 and abs(results[3] - 60) <= 3
    assert reading and max(reading) == 1  # the archive was read by one thread at a time


def test_draft_decodes_a_jpeg_small_and_keeps_the_page_size(tmp_path: Path) -> None:
    path = make_cbz(tmp_path / "d.cbz", {"1.jpg": jpeg(1000, 1440), "2.jpg": jpeg(1000, 1440)})
    with open_book(path) as book:
        small = book.image(0, draft=(120, 170))
        assert small.size == (125, 180)  # an eighth of each side
        assert (book.pages[0].width, book.pages[0].height) == (1000, 1440)
        assert book.image(1).size == (1000, 1440)


def test_draft_keeps_the_safety_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pixel limit is on the stored size, and a damaged page is still recorded."""
    good = jpeg(400, 400)
    path = make_cbz(tmp_path / "s.cbz", {"1.jpg": good, "2.jpg": good[:150]})
    with open_book(path) as book:
        with pytest.raises(PageError, match=r"page 2 \(2.jpg\) of s.cbz"):
            book.image(1, draft=(50, 50))
        assert list(book.unreadable()) == [1]
        monkeypatch.setattr("m2m_reader.engine.books.images.MAX_PIXELS", 400 * 399)
        with pytest.raises(PageError, match="megapixel limit; refused"):
            book.image(0, draft=(50, 50))
    assert MAX_PIXELS > 400 * 400
