"""7z and CB7 books through py7zr, extracted ahead of the reader in background passes
(a solid block can only be decompressed from its start)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

from ..core.errors import BookError
from .members import ENCRYPTED, Member, clean_name

KEEP_BYTES = 256 * 1024**2  # extracted pages kept in memory
SIDECAR_SCAN_BYTES = 32 * 1024**2  # ComicInfo.xml is awaited only this far into the archive
_WAIT_S = 0.5


class _Stop(Exception):
    """Raised inside py7zr's writes to end an extraction pass early."""


class _Pass(threading.Thread):
    """One extraction pass over a 7z archive on its own handle, in archive order.

    Each member is handed to the source the moment py7zr has finished (and checked)
    it, so the first pages are there long before the pass ends.
    """

    def __init__(self, source: SevenZipSource, targets: list[str]) -> None:
        super().__init__(name="m2m-7z", daemon=True)
        self.source = source
        self.targets = set(targets)
        self.first = source.position(targets[0])
        self.at = self.first  # archive position of the member being extracted
        self.current: str | None = None
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self._ordered = targets

    def run(self) -> None:
        import py7zr
        from py7zr.io import Py7zIO, WriterFactory

        source, stop, run = self.source, self.stop, self

        class Sink(Py7zIO):
            def __init__(self, name: str) -> None:
                self.name = name
                self.parts: list[bytes] = []
                self.length = 0
                run.current = name
                run.at = source.position(name)

            def write(self, s: bytes | bytearray) -> int:
                if stop.is_set():
                    raise _Stop
                if self.length <= source.limit:  # past the limit: counted, not kept
                    self.parts.append(bytes(s))
                self.length += len(s)
                return len(s)

            def read(self, size: int | None = None) -> bytes:
                return b""

            def seek(self, offset: int, whence: int = 0) -> int:
                return 0

            def flush(self) -> None:
                return None

            def size(self) -> int:
                return self.length

            def close(self) -> None:  # py7zr: this member is complete and its CRC checked
                source._keep(self.name, b"".join(self.parts), self.length)
                run.current = None

        class Factory(WriterFactory):
            def create(self, filename: str) -> Py7zIO:
                return Sink(filename)

        try:
            with py7zr.SevenZipFile(source.path, mode="r") as archive:
                archive.extract(targets=self._ordered, factory=Factory())
        except _Stop:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the page that waits
            self.error = exc
        finally:
            with source.changed:
                source.changed.notify_all()


class SevenZipSource:
    """A 7z archive through py7zr.

    A solid 7z block must be decompressed from its start to reach any member, and
    py7zr does that at a few MB/s, so members are not extracted one by one: a read
    starts a pass that extracts the pages from there on in the background and keeps
    them in memory (at most `KEEP_BYTES`, the least recently read given up first;
    the pass pauses once `KEEP_BYTES / 2` wait unread ahead). A page that is not
    kept and not coming starts a new pass from that page.
    """

    label = "7z/CB7"

    def __init__(self, path: Path) -> None:
        import py7zr

        self.path = path
        self.limit = 0
        self._size = path.stat().st_size
        with py7zr.SevenZipFile(path, mode="r") as archive:
            self._encrypted = archive.needs_password()
            self._infos = [i for i in archive.list() if not i.is_directory]
        self._order = [i.filename for i in self._infos]
        self._index = {n: i for i, n in enumerate(self._order)}
        self._sizes = {i.filename: int(i.uncompressed or 0) for i in self._infos}
        self.changed = threading.Condition()
        self._kept: OrderedDict[str, tuple[bytes, int]] = OrderedDict()
        self._kept_bytes = 0
        self._unread_bytes = 0  # kept by the current pass since the last read
        self._pass: _Pass | None = None
        self._closed = False
        self.readable: set[str] = set()  # the names worth extracting (pages); all if empty

    def iter_members(self) -> Iterator[Member]:
        for info in self._infos:
            csize = info.compressed if info.compressed is not None else self._size
            yield Member(
                name=clean_name(info.filename),
                size=int(info.uncompressed or 0),
                csize=int(csize),
                crc=info.crc32,
                ref=info.filename,
                problem=ENCRYPTED if self._encrypted else None,
            )

    def position(self, name: str) -> int:
        return self._index.get(name, -1)

    def ahead(self, member: Member) -> int:
        """Bytes stored before `member` in archive order (what reaching it costs)."""
        return sum(self._sizes[n] for n in self._order[: self.position(member.ref)])

    def read(self, member: Member, limit: int) -> bytes:
        name = member.ref
        where = self.position(name)
        self.limit = max(self.limit, limit)
        starts = 0
        with self.changed:
            while True:
                if self._closed:
                    raise BookError("the book is closed")
                if name in self._kept:
                    self._kept.move_to_end(name)
                    self._unread_bytes = 0
                    data, length = self._kept[name]
                    return data if length <= limit else data + b"\0"  # too big: refused
                run = self._pass
                coming = (
                    run is not None
                    and run.is_alive()
                    and not run.stop.is_set()
                    and name in run.targets
                    and run.at <= where
                )
                if not coming:
                    failed = None if run is None or run.is_alive() else run.error
                    if failed is not None and run is not None:
                        if name in run.targets and run.current in (None, name):
                            raise failed  # on this page, or before any (a password, a header)
                    if starts >= 2:
                        raise BookError("py7zr did not extract it")
                    starts += 1
                    self._start(name)
                self.changed.wait(_WAIT_S)

    def _start(self, name: str) -> None:
        if self._pass is not None:
            self._pass.stop.set()
        at = self.position(name)
        targets = [
            n for n in self._order[at:] if n == name or not self.readable or n in self.readable
        ]
        self._unread_bytes = 0
        self._pass = _Pass(self, targets)
        self._pass.start()

    def _keep(self, name: str, data: bytes, length: int) -> None:
        with self.changed:
            if self._closed:
                self._pass_stop()
                return
            if name not in self._kept:
                self._kept[name] = (data, length)
                self._kept_bytes += len(data)
                self._unread_bytes += len(data)
            while self._kept_bytes > KEEP_BYTES and len(self._kept) > 1:
                _, (old, _) = self._kept.popitem(last=False)
                self._kept_bytes -= len(old)
            if self._unread_bytes > KEEP_BYTES // 2 and self._pass is not None:
                self._pass.stop.set()  # far enough ahead of the reader
            self.changed.notify_all()

    def _pass_stop(self) -> None:
        if self._pass is not None:
            self._pass.stop.set()

    def close(self) -> None:
        with self.changed:
            self._closed = True
            run = self._pass
            self._kept.clear()
            self._kept_bytes = 0
            self.changed.notify_all()
        if run is not None:
            run.stop.set()
            run.join(timeout=5)
