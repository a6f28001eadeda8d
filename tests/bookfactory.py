"""Books built in memory for tests: pages with texts, faces, bodies and frames, and
page images of a chosen grey tone, with no files involved."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from m2m_reader.engine.books.model import Body, Book, Box, Character, Face, Frame, Page, TextBox
from m2m_reader.engine.core.errors import PageError


@dataclass
class PageSpec:
    lines: list[tuple[str, str]] = field(default_factory=list)  # (character id, text)
    present: list[str] = field(default_factory=list)  # character ids with faces
    tone: int = 230  # background grey level
    damaged: bool = False


def make_book(
    specs: list[PageSpec],
    names: dict[str, str] | None = None,
    title: str = "Test",
    direction: str = "rtl",
    size: tuple[int, int] = (800, 600),
) -> Book:
    names = names or {}
    pages = []
    w, h = size
    for i, spec in enumerate(specs):
        texts, faces, bodies = [], [], []
        ids = iter(range(10_000))
        for j, (who, text) in enumerate(spec.lines):
            x = w - 80 - 60 * j
            texts.append(TextBox(f"{i:04x}{next(ids):04x}", Box(x, 40, x + 50, 140), text, who))
        for j, who in enumerate(sorted(set(spec.present) | {who for who, _ in spec.lines})):
            x = w - 100 - 120 * j
            faces.append(Face(f"f{i:03x}{j:04x}", Box(x, 200, x + 60, 260), who))
            bodies.append(Body(f"b{i:03x}{j:04x}", Box(x - 20, 200, x + 80, 500), who))
        pages.append(
            Page(
                index=i,
                name=f"{i:03d}.png",
                width=w,
                height=h,
                double=w > 1.2 * h,
                texts=texts,
                faces=faces,
                bodies=bodies,
                frames=[Frame(f"fr{i:06x}", Box(10, 10, w - 10, h - 10))],
            )
        )

    def open_image(page: Page) -> Image.Image:
        spec = specs[page.index]
        if spec.damaged:
            raise PageError(f"{page.name}: the image is damaged")
        img = Image.new("L", (w // 4, h // 4), spec.tone)
        return img

    chars = {cid: Character(cid, names.get(cid, cid)) for s in specs for cid, _ in s.lines}
    chars.update({cid: Character(cid, names.get(cid, cid)) for s in specs for cid in s.present})
    fp = hashlib.sha256(repr([(s.lines, s.present, s.tone) for s in specs]).encode()).hexdigest()
    return Book(
        path=Path(f"/virtual/{title}"),
        title=title,
        kind="memory",
        direction=direction,  # type: ignore[arg-type]
        pages=pages,
        open_image=open_image,
        fingerprint=fp,
        characters=chars,
        direction_known=True,
    )


def three_scene_book() -> Book:
    """A calm breakfast, a chase at night, a sad goodbye: 4 + 4 + 4 pages."""
    calm = [
        PageSpec(
            [("a", "Good morning! The tea is ready."), ("b", "Thanks, it smells nice.")], tone=235
        )
        for _ in range(4)
    ]
    chase = [
        PageSpec([("c", "Run! They're coming!"), ("d", "Help! Faster, hurry!!")], tone=60)
        for _ in range(4)
    ]
    sad = [
        PageSpec([("a", "I'm sorry... goodbye."), ("d", "Don't go... I'll miss you.")], tone=150)
        for _ in range(4)
    ]
    return make_book(calm + chase + sad, names={"a": "Hana", "b": "Kenta", "c": "Rui", "d": "Mio"})


# Archives as real tools write them -----------------------------------------------------


def rar5_renamed(data: bytes, renames: dict[str, str]) -> bytes:
    """A copy of a RAR5 archive with members renamed (same length), header CRCs redone.

    RAR5 blocks are: CRC32 (4 bytes), header size (vint), header; the CRC covers the
    size and the header. File data is untouched, so the archive stays valid.
    """
    import zlib

    def vint(buf: bytes, at: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            b = buf[at]
            at += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value, at

    out = bytearray(data)
    at = 8  # after the signature
    while at < len(out):
        size, body = vint(out, at + 4)
        end = body + size
        header = bytes(out[at + 4 : end])
        _, p = vint(out, body)  # type
        flags, p = vint(out, p)
        if flags & 1:
            _, p = vint(out, p)
        data_size = 0
        if flags & 2:
            data_size, p = vint(out, p)
        for old, new in renames.items():
            assert len(old) == len(new)
            if old.encode() in header:
                header = header.replace(old.encode(), new.encode())
                out[at + 4 : end] = header
                out[at : at + 4] = zlib.crc32(header).to_bytes(4, "little")
        at = end + data_size
    return bytes(out)


def zip_raw_names(path: Path, members: list[tuple[bytes, bytes]]) -> Path:
    """A stored ZIP whose names are raw bytes with no UTF-8 flag, as Windows Japanese
    archivers (Explorer on a Japanese system, Lhaplus, Explzh) write cp932 names."""
    import struct
    import zlib

    local = bytearray()
    central = bytearray()
    for name, data in members:
        crc = zlib.crc32(data)
        offset = len(local)
        fields = (20, 0, 0, 0, 0x21, crc, len(data), len(data), len(name), 0)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + name + data
        central += (
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, offset) + name
        )
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(local), 0
    )
    path.write_bytes(bytes(local + central + end))
    return path


def tool(name: str) -> str:
    """The path of an archiving tool the test needs, or skip the test without it."""
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (installer/setup.sh --dev)")
    return found


def run(*cmd: str | Path, cwd: Path) -> None:
    """Run a tool that writes a book (its output kept quiet; a failure raises)."""
    subprocess.run([str(c) for c in cmd], cwd=cwd, check=True, capture_output=True)
