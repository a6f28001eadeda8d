"""RAR and CBR books through rarfile (stored members directly; compressed ones need a
tool such as `unar`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import rarfile

from ..core.errors import BookError
from .members import ENCRYPTED, NO_UNAR, Member, clean_name

_RAR_TOOL: list[bool] = []  # [found], once per process


def rar_tool_found() -> bool:
    """Whether rarfile finds a tool (unar, unrar, 7z, bsdtar) for compressed members."""
    if not _RAR_TOOL:
        try:
            rarfile.tool_setup()
        except rarfile.RarCannotExec:
            _RAR_TOOL.append(False)
        else:
            _RAR_TOOL.append(True)
    return _RAR_TOOL[0]


class RarSource:
    label = "RAR/CBR"

    def __init__(self, path: Path) -> None:
        self._rar = rarfile.RarFile(str(path))
        self._path = path

    def iter_members(self) -> Iterator[Member]:
        infos = [i for i in self._rar.infolist() if not i.is_dir()]
        if not infos and self._rar.needs_password():  # names encrypted too (rar -hp)
            raise BookError(f"{self._path} {ENCRYPTED.book}.")
        for info in infos:
            problem = None
            if info.needs_password():
                problem = ENCRYPTED
            elif info.compress_type != rarfile.RAR_M0 and not rar_tool_found():
                problem = NO_UNAR
            yield Member(
                clean_name(info.filename),
                info.file_size,
                info.compress_size,
                info.CRC,
                info,
                problem,
            )

    def read(self, member: Member, limit: int) -> bytes:
        with self._rar.open(member.ref) as f:
            data: bytes = f.read(limit + 1)
        return data

    def close(self) -> None:
        self._rar.close()
