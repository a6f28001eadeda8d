"""Writing a soundtrack file: checked up front, written in blocks, renamed at the end.

`check_output` fails before any work when the path cannot be written or its
extension is not one we write. `AudioWriter` writes to a hidden temporary file
beside the target, in blocks (libsndfile 1.2 crashes writing a long Ogg Vorbis in one
call), and only `commit` renames it to the final name: a cancel, an error or Ctrl-C
leaves no half-written file under that name. MP3 goes through libsndfile when it was
built with LAME, else through an `ffmpeg` subprocess.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import M2MError

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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _umask()  # read once: mkstemp makes 0600 files, exports should look like any other


def publish_mode(path: Path, folder: bool = False) -> None:
    """Give a file (or folder) made by mkstemp the usual permissions."""
    os.chmod(path, (0o777 if folder else 0o666) & ~UMASK)


class OutputError(M2MError):
    """The soundtrack cannot be written where or how it was asked."""


def mp3_encoder() -> str | None:
    """ "libsndfile", "ffmpeg", or None when nothing here can write MP3."""
    if "MPEG_LAYER_III" in sf.available_subtypes("MP3"):
        return "libsndfile"
    if shutil.which("ffmpeg"):
        return "ffmpeg"
    return None


def check_output(path: Path | str) -> Path:
    """Make sure `path` can be written as audio, before any work; return it absolute."""
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
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputError(f"cannot write {path}: {reason.lower()}") from None
    os.close(fd)
    os.unlink(probe)
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"cannot write {path}: the existing file is read-only")
    return path


class AudioWriter:
    """Block writer for `path`; use as a context manager and call `commit()`.

    16-bit PCM gets TPDF dither from a fixed table, so output is reproducible.
    """

    def __init__(self, path: Path, sample_rate: int, channels: int = 2) -> None:
        self.path = Path(path)
        ext = self.path.suffix.lower()
        fmt, subtype = FORMATS[ext]
        self.encoder = "libsndfile"
        if ext == ".mp3" and mp3_encoder() == "ffmpeg":
            fmt, subtype, self.encoder = "WAV", "FLOAT", "ffmpeg"
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".part", dir=self.path.parent
        )
        os.close(fd)
        self._tmp = Path(tmp)
        publish_mode(self._tmp)
        self._file: sf.SoundFile | None = sf.SoundFile(
            tmp, "w", samplerate=sample_rate, channels=channels, format=fmt, subtype=subtype
        )
        self._dither: np.ndarray | None = None
        self._dpos = 0
        if subtype == "PCM_16":  # TPDF, ±1 LSB, from a fixed table: reproducible and cheap
            rng = np.random.default_rng(0)
            shape = (DITHER_TABLE, channels)
            self._dither = ((rng.random(shape) - rng.random(shape)) / 32768).astype(np.float32)
        self.frames = 0

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
        for a in range(0, len(block), WRITE_BLOCK):
            self._file.write(block[a : a + WRITE_BLOCK])
        self.frames += len(block)

    def commit(self) -> Path:
        """Finish the file and move it to its final name."""
        assert self._file is not None, "writer is closed"
        self._file.close()
        self._file = None
        done = self._tmp
        if self.encoder == "ffmpeg":
            done = self._tmp.with_suffix(".mp3.part")
            cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(self._tmp)]
            cmd += ["-codec:a", "libmp3lame", "-b:a", MP3_BITRATE, "-f", "mp3", str(done)]
            run = subprocess.run(cmd, capture_output=True, text=True)
            self._tmp.unlink(missing_ok=True)
            self._tmp = done
            if done.exists():
                publish_mode(done)
            if run.returncode != 0:
                self.abort()
                line = (run.stderr.strip().splitlines() or ["unknown error"])[-1]
                raise OutputError(f"cannot write {self.path}: ffmpeg failed: {line}")
        with open(done, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(done, self.path)
        return self.path

    def abort(self) -> None:
        """Close and delete the temporary file; the final name is untouched."""
        if self._file is not None:
            with contextlib.suppress(Exception):
                self._file.close()
            self._file = None
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> AudioWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is not None or self._file is not None:
            self.abort()
