"""How fast a big book opens: a 500-page CBZ, to the first page decoded.

Builds two 500-page CBZs of manga-like 1100×1600 JPEG pages in a temporary folder — one
plain (page sizes come from each image's header), one with a ComicInfo.xml that gives
sizes — then times `open_book` and `open_book` + `book.image(0)`, median of several runs.
The archive is in the OS file cache after the first run, as it is when a reader reopens
a book. Target: first page decoded in under 300 ms.

    .venv/bin/python bench/open_book.py [--pages 500] [--runs 7]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw

from m2m_reader.engine.books import open_book

WIDTH, HEIGHT = 1100, 1600


def manga_page(seed: int) -> bytes:
    """A JPEG that compresses like a manga page: panels, lines, screentone, balloons."""
    rng = random.Random(seed)
    im = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(im)
    for _ in range(5):
        x0, y0 = rng.randrange(0, WIDTH - 300), rng.randrange(0, HEIGHT - 300)
        x1, y1 = x0 + rng.randrange(200, 500), y0 + rng.randrange(200, 600)
        draw.rectangle((x0, y0, x1, y1), outline=0, width=6)
        for y in range(y0 + 4, y1, 6):  # screentone
            draw.line((x0 + 4, y, x1 - 4, y), fill=rng.choice((90, 160, 230)), width=2)
    for _ in range(300):
        draw.line(
            [(rng.randrange(WIDTH), rng.randrange(HEIGHT)) for _ in range(2)],
            fill=rng.randrange(0, 120),
            width=rng.randrange(1, 4),
        )
    for _ in range(6):
        x, y = rng.randrange(WIDTH - 200), rng.randrange(HEIGHT - 150)
        draw.ellipse((x, y, x + 200, y + 140), fill=255, outline=0, width=3)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def build(path: Path, pages: int, *, comicinfo: bool) -> int:
    variants = [manga_page(i) for i in range(12)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        if comicinfo:
            rows = "".join(
                f'<Page Image="{i}" ImageWidth="{WIDTH}" ImageHeight="{HEIGHT}"/>'
                for i in range(pages)
            )
            zf.writestr(
                "ComicInfo.xml",
                f"<ComicInfo><Manga>YesAndRightToLeft</Manga><Pages>{rows}</Pages></ComicInfo>",
            )
        for i in range(pages):
            zf.writestr(f"vol01/{i + 1}.jpg", variants[i % len(variants)])
    return path.stat().st_size


def measure(path: Path, runs: int) -> dict[str, float]:
    opens: list[float] = []
    firsts: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        book = open_book(path)
        t1 = time.perf_counter()
        book.image(0)
        t2 = time.perf_counter()
        book.close()
        opens.append((t1 - t0) * 1000)
        firsts.append((t2 - t0) * 1000)
    return {
        "open_ms": round(statistics.median(opens), 1),
        "first_page_ms": round(statistics.median(firsts), 1),
        "first_page_max_ms": round(max(firsts), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    figures: dict[str, object] = {"pages": args.pages, "target_first_page_ms": 300}
    with tempfile.TemporaryDirectory() as tmp:
        for label, comicinfo in (("headers", False), ("comicinfo", True)):
            path = Path(tmp) / f"{label}.cbz"
            size = build(path, args.pages, comicinfo=comicinfo)
            result = measure(path, args.runs)
            print(f"{label}: {size / 1024**2:.0f} MiB, {result}")
            figures[label] = {"archive_mib": round(size / 1024**2, 1), **result}
    worst = max(figures[k]["first_page_ms"] for k in ("headers", "comicinfo"))  # type: ignore[index]
    figures["meets_target"] = worst < 300
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
