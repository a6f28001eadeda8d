"""Archive formats behind one small interface: the members, and a reader for one.

ZIP (zipfile), RAR (rarfile, with `unar` for compressed members), 7z (py7zr) and tar
(tarfile). Each source lists its members with what is known without reading them —
name, sizes, CRC, and a `Problem` when the member cannot be read at all (encrypted, a
compression Python cannot read, no tool to extract it) — so a book made only of such
members is refused at once in one sentence, and a book with a few shows those pages as
unreadable with the cause.

The formats: `zip_source`, `rar_source`, `sevenzip_source`, `tar_source`;
`archive.open_source` picks one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """Why a member cannot be read, as said of one page and of a whole book."""

    page: str  # "is encrypted (the archive is password-protected)"
    book: str  # "is password-protected; ..."


ENCRYPTED = Problem(
    "is encrypted (the archive is password-protected)",
    "is password-protected; m2m-reader cannot read encrypted archives "
    "(extract it with its password and open the folder instead)",
)
NO_UNAR = Problem(
    "needs unar to be extracted, and unar is not installed (apt-get install unar)",
    "is a compressed RAR whose pages need unar to be extracted, and unar is not installed "
    "(apt-get install unar)",
)


def unsupported_method(method: str) -> Problem:
    return Problem(
        f"is compressed with {method}, which m2m-reader cannot read",
        f"is compressed with {method}, which m2m-reader cannot read; repack it with "
        "ordinary ZIP (Deflate) compression, e.g. 7z a -tzip NEW.cbz FOLDER/*",
    )


@dataclass
class Member:
    name: str  # "/"-separated, decoded
    size: int  # uncompressed, as declared
    csize: int  # compressed, as declared (or a bound: the whole archive's size)
    crc: object
    ref: Any  # the format's own member object
    problem: Problem | None = None
    raw_name: str | None = None  # the name as zipfile decoded it, when that differs


def clean_name(name: str) -> str:
    """A member name "/"-separated, without the "./" that `tar -C DIR .` puts first."""
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name


__all__ = ["ENCRYPTED", "NO_UNAR", "Member", "Problem", "clean_name", "unsupported_method"]
