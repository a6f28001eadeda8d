"""Atomic file writes: write a temporary file beside the target, fsync, rename.

A reader of the target sees the old content or the new, never a torn file; a crash
leaves at most a stray `.tmp-*` file, never a half-written file under the final name.

A write that fails for want of space, a read-only disk or permission raises
`StorageError`: an `M2MError` (one sentence naming the file and the cause, which the
command line prints without a traceback) that is also an `OSError` with the original
errno, so code that goes on without the file (the cache) still catches it as one.

`replace_all` puts a set of files, each already written under a temporary name, in
place together: all are renamed or none, the old versions restored if a rename fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from .errors import M2MError


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _umask()  # read once, at import: umask cannot be read without setting it


def publish_mode(path: Path | str, folder: bool = False) -> None:
    """Give a file (or folder) made by mkstemp (0600) the permissions of any file a
    person makes: 0666 (0777 for a folder) less the umask."""
    os.chmod(path, (0o777 if folder else 0o666) & ~UMASK)


class StorageError(M2MError, OSError):
    """A file cannot be written: the disk is full or read-only, or permission is denied."""

    def __init__(self, path: Path | str, exc: OSError) -> None:
        reason = (exc.strerror or str(exc)).lower()
        OSError.__init__(self, exc.errno, reason, str(path))
        self.message = f"cannot write {path}: {reason}"

    def __str__(self) -> str:
        return self.message


def storage_error(path: Path | str, exc: OSError) -> StorageError:
    """`exc` as a `StorageError` about `path` (unchanged when it already is one)."""
    return exc if isinstance(exc, StorageError) else StorageError(path, exc)


@contextlib.contextmanager
def atomic_writer(path: Path, mode: str = "wb", public: bool = False) -> Iterator[IO]:
    """Open a temporary file next to `path`; on a clean exit it replaces `path`.

    The file is private (0600) unless `public` (an output a person asked for: the usual
    permissions, see `publish_mode`). Raises `StorageError` when the file cannot be
    written (nothing is left behind).
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".tmp-{path.name}.", dir=path.parent)
    except OSError as exc:
        raise storage_error(path, exc) from None
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if public:
            publish_mode(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
            raise storage_error(path, exc) from None
        raise


def write_bytes(path: Path, data: bytes, public: bool = False) -> None:
    with atomic_writer(path, "wb", public) as fh:
        fh.write(data)


def write_text(path: Path, text: str, public: bool = False) -> None:
    """Write `text` (UTF-8) to `path` atomically; `public` for an output a person asked
    for (the usual permissions), else private."""
    write_bytes(path, text.encode("utf-8"), public)


def replace_all(moves: Sequence[tuple[Path, Path]]) -> None:
    """Rename each (temporary, final) pair: all of them, or none.

    The finals' old versions are kept aside first (as hard links where the file
    system has them, so a final file name is never missing); if any rename fails, the
    new files are removed, the old ones put back and the error raised. The temporaries
    are gone either way.
    """
    done: list[tuple[Path, Path | None, bool]] = []  # (final, its old version, placed)
    try:
        for tmp, final in moves:
            spare = None
            if final.exists() or final.is_symlink():
                spare = _spare_name(final)
                if final.is_dir() or not _link(final, spare):
                    os.replace(final, spare)
            done.append((final, spare, False))
            os.replace(tmp, final)
            done[-1] = (final, spare, True)
    except BaseException:
        for final, spare, placed in reversed(done):
            if placed and (spare is None or final.is_dir()):
                _remove(final)
            if spare is not None:
                try:
                    os.replace(spare, final)
                except OSError:
                    continue  # the old version stays under its spare name: nothing is lost
                with contextlib.suppress(OSError):
                    if os.path.samefile(spare, final):  # a link to the same file: rename no-op
                        os.unlink(spare)
        for tmp, _final in moves:
            _remove(tmp)
        raise
    for _final, spare, _placed in done:
        if spare is not None:
            _remove(spare)


def _spare_name(final: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".old-{final.name}.", dir=final.parent)
    os.close(fd)
    os.unlink(name)
    return Path(name)


def _link(src: Path, dst: Path) -> bool:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        return False
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()
