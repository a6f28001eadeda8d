"""tar and CBT books through tarfile (plain, or gzip, bzip2 or xz compressed)."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..core.errors import BookError
from .members import Member, Problem, clean_name

_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


class TarSource:
    """A tar archive (plain, or gzip/bzip2/xz compressed) through tarfile.

    Links, devices and other non-regular members are never read. In a compressed tar
    the members' compressed sizes are unknown, so the archive's size bounds them for
    the expansion check.
    """

    label = "tar/CBT"

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as f:
            head = f.read(8)
        self._compressed = head.startswith(_COMPRESSED_MAGIC)
        self._size = path.stat().st_size
        self._tar = tarfile.open(path, "r:*")

    @property
    def compressed(self) -> bool:
        return self._compressed

    def iter_members(self) -> Iterator[Member]:
        for info in self._tar:
            if info.isdir():
                continue
            csize = self._size if self._compressed else info.size
            member = Member(clean_name(info.name), info.size, csize, info.chksum, info)
            if not info.isreg():
                member.problem = Problem(
                    "is a link or special file, not a page", "holds only links, not pages"
                )
            yield member

    def stream(self, member: Member) -> IO[bytes]:
        f = self._tar.extractfile(member.ref)
        if f is None:
            raise BookError("the member is not a regular file")
        return f

    def read(self, member: Member, limit: int) -> bytes:
        with self.stream(member) as f:
            data: bytes = f.read(limit + 1)
        return data

    def close(self) -> None:
        self._tar.close()
