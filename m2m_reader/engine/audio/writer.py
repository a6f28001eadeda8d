"""Writing a soundtrack file: checked up front, written in blocks, renamed at the end.

`check_output` fails before any work when the path cannot be written or its
extension is not one we write. `AudioWriter` writes to a hidden temporary file
beside the target, in blocks (libsndfile 1.2 crashes writing a long Ogg Vorbis in one
call), and only `commit` (or `finish` and `atomic.replace_all`, for a set of files)
renames it to the final name: a cancel, an error or Ctrl-C leaves no half-written
file under that name. MP3 goes through libsndfile when it was built with LAME, else
through an `ffmpeg` subprocess.

The temporaries are locked while their writer lives, and the ones a killed export
left are swept (`temporaries.py`; its names are importable from here too).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from ..core.atomic import publish_mode
from ..core.errors import M2MError
from .temporaries import (  # noqa: F401 - the export's names for them
    STALE_S,
    TAG,
    Held,
    _journal,
    note_export,
    sweep_noted,
    sweep_stale,
    temp_dir,
    temp_file,
)

# extension -> (libsndfile format, subtype)
FORMATS = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".ogg": ("OGG", "VORBIS"),
    ".mp3": ("MP3", "MPEG_LAYER_III"),
}
WRITE_BLOCK = 32768  # frames per libsndfile call
MP3_BITRATE = "192k"  # for the ffmpeg route
DITHER_TABLE = 65537  # frames of dither noise, reused cyclically


class OutputError(M2MError):
    """The soundtrack cannot be written where or how it was asked."""


def mp3_encoder() -> str | None:
    """ "libsndfile", "ffmpeg", or None when nothing here can write MP3."""
    if "MPEG_LAYER_III" in sf.available_subtypes("MP3"):
        return "libsndfile"
    if shutil.which("ffmpeg"):
        return "ffmpeg"
    return None


def disk_reason(path: Path, exc: BaseException | None = None) -> str:
    """Why writing beside `path` failed, in words: the errno when there is one, else
    what the disk says (full, read-only), else the library's message."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return (exc.strerror or os.strerror(exc.errno)).lower()
    folder = path if path.is_dir() else path.parent
    with contextlib.suppress(OSError, AttributeError):
        st = os.statvfs(folder)
        if st.f_flag & os.ST_RDONLY:
            return os.strerror(errno.EROFS).lower()
        if st.f_bavail * st.f_frsize < 64 * 1024:
            return os.strerror(errno.ENOSPC).lower()
    if not os.access(folder, os.W_OK):
        return os.strerror(errno.EACCES).lower()
    return str(exc).strip() or "unknown error" if exc is not None else "unknown error"


def free_bytes(folder: Path) -> int | None:
    """Bytes free for us on the disk of `folder`, or None when it cannot be told."""
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def check_output(path: Path | str, need_bytes: int = 0) -> Path:
    """Make sure `path` can be written as audio, before any work; return it absolute.

    With `need_bytes`, also that its disk has that much room."""
    path = Path(path).expanduser().absolute()
    ext = path.suffix.lower()
    if ext not in FORMATS:
        known = ", ".join(FORMATS)
        raise OutputError(f"cannot export to {path}: unsupported extension {ext!r} (use {known})")
    if ext == ".mp3" and mp3_encoder() is None:
        raise OutputError(f"cannot export to {path}: no MP3 encoder (install ffmpeg, or use .flac)")
    if path.is_dir():
        raise OutputError(f"cannot export to {path}: it is a folder")
    if not path.parent.is_dir():
        raise OutputError(f"cannot export to {path}: the folder {path.parent} does not exist")
    try:
        hold = temp_file(path, ".probe")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {disk_reason(path, exc)}") from None
    hold.remove()
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"cannot write {path}: the existing file is read-only")
    free = free_bytes(path.parent)
    if need_bytes and free is not None and free < need_bytes:
        raise OutputError(
            f"cannot export to {path}: the disk has {_mb(free)} free and the export needs "
            f"about {_mb(need_bytes)}"
        )
    return path


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n < 10e6 else f"{n / 1e6:.0f} MB"


class AudioWriter:
    """Block writer for `path`; use as a context manager and call `commit()` (or
    `finish()`, then rename the file it returns with the rest of a set).

    16-bit PCM gets TPDF dither from a fixed table, so output is reproducible. A full
    or read-only disk raises `OutputError` (one sentence), and nothing is left behind.
    """

    def __init__(self, path: Path, sample_rate: int, channels: int = 2) -> None:
        self.path = Path(path)
        ext = self.path.suffix.lower()
        fmt, subtype = FORMATS[ext]
        self.encoder = "libsndfile"
        if ext == ".mp3" and mp3_encoder() == "ffmpeg":
            fmt, subtype, self.encoder = "WAV", "FLOAT", "ffmpeg"
        self._file: sf.SoundFile | None = None
        self._encoded: Held | None = None
        try:
            self._held = temp_file(self.path, ".part")
        except OSError as exc:
            raise self._error(exc) from None
        os.close(self._held.take_fd())
        publish_mode(self._held.path)
        try:
            self._file = sf.SoundFile(
                str(self._held.path), "w", samplerate=sample_rate, channels=channels,
                format=fmt, subtype=subtype,
            )  # fmt: skip
        except (sf.SoundFileError, OSError) as exc:
            self._held.remove()
            raise self._error(exc) from None
        self._dither: np.ndarray | None = None
        self._dpos = 0
        if subtype == "PCM_16":  # TPDF, ±1 LSB, from a fixed table: reproducible and cheap
            rng = np.random.default_rng(0)
            shape = (DITHER_TABLE, channels)
            self._dither = ((rng.random(shape) - rng.random(shape)) / 32768).astype(np.float32)
        self.frames = 0

    def _error(self, exc: BaseException) -> OutputError:
        return OutputError(f"cannot write {self.path}: {disk_reason(self.path, exc)}")

    def write(self, block: np.ndarray) -> None:
        assert self._file is not None, "writer is closed"
        block = np.array(block, dtype=np.float32)
        if self._dither is not None:
            a = 0
            while a < len(block):  # continue the table where the last block stopped
                take = min(len(block) - a, DITHER_TABLE - self._dpos)
                block[a : a + take] += self._dither[self._dpos : self._dpos + take]
                a += take
                self._dpos = (self._dpos + take) % DITHER_TABLE
        np.clip(block, -1.0, 1.0, out=block)
        try:
            for a in range(0, len(block), WRITE_BLOCK):
                self._file.write(block[a : a + WRITE_BLOCK])
        except (sf.SoundFileError, OSError) as exc:
            self.abort()
            raise self._error(exc) from None
        self.frames += len(block)

    def finish(self) -> Path:
        """Finish the file (encoded, fsynced) under its temporary name and return that
        name; it is still locked, and removed by `abort` or on leaving the `with`."""
        assert self._file is not None, "writer is closed"
        try:
            self._file.close()
        except (sf.SoundFileError, OSError) as exc:
            self._file = None
            self.abort()
            raise self._error(exc) from None
        self._file = None
        done = self._held
        if self.encoder == "ffmpeg":
            try:
                self._encoded = done = temp_file(self.path, ".enc")
            except OSError as exc:
                self.abort()
                raise self._error(exc) from None
            os.close(done.take_fd())
            cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(self._held.path)]
            cmd += ["-codec:a", "libmp3lame", "-b:a", MP3_BITRATE, "-f", "mp3", str(done.path)]
            run = subprocess.run(cmd, capture_output=True, text=True)
            self._held.remove()
            if run.returncode != 0:
                self.abort()
                line = (run.stderr.strip().splitlines() or ["unknown error"])[-1]
                raise OutputError(f"cannot write {self.path}: ffmpeg failed: {line}")
            publish_mode(done.path)
        try:
            with open(done.path, "rb") as fh:
                os.fsync(fh.fileno())
        except OSError as exc:
            self.abort()
            raise self._error(exc) from None
        return done.path

    def commit(self) -> Path:
        """Finish the file and move it to its final name."""
        done = self.finish()
        try:
            os.replace(done, self.path)
        except OSError as exc:
            self.abort()
            raise self._error(exc) from None
        self.release()
        return self.path

    def release(self) -> None:
        """Let go of the temporary (after it was renamed into place)."""
        for held in (self._held, self._encoded):
            if held is not None:
                held.release()

    def abort(self) -> None:
        """Close and delete the temporary files; the final name is untouched."""
        if self._file is not None:
            with contextlib.suppress(Exception):
                self._file.close()
            self._file = None
        for held in (self._held, self._encoded):
            if held is not None:
                held.remove()

    def __enter__(self) -> AudioWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None or self._file is not None:
            self.abort()
