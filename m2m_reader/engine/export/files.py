"""The files an export writes beside its target: temporaries held until the end, the
sidecars staged under locked temporary names, the disk space asked for up front, and
one sentence for a write that failed."""

from __future__ import annotations

import os
from pathlib import Path

from ..audio.writer import Held, OutputError, disk_reason, mp3_encoder, temp_file
from ..core.atomic import publish_mode


def write_error(path: Path, exc: BaseException) -> OutputError:
    """One sentence for a write beside `path` that failed (full disk, read-only...)."""
    return OutputError(f"cannot write {path}: {disk_reason(path, exc)}")


def space_needed(frames: int, sample_rate: int, ext: str, stems: bool) -> int:
    """About how many bytes an export of `frames` takes on its disk at its peak: the
    raw float mix, the encoded file beside it, the stems and a margin."""
    raw = frames * 2 * 4
    pcm16 = frames * 2 * 2
    ext = ext.lower()
    if ext == ".wav":
        encoded = pcm16
    elif ext == ".flac":
        encoded = pcm16 * 7 // 10
    else:  # Vorbis, MP3: a few hundred kbit/s at most
        encoded = int(frames / sample_rate * 320_000 / 8)
        if ext == ".mp3" and mp3_encoder() == "ffmpeg":
            encoded += frames * 2 * 4  # the ffmpeg route writes a float WAV first
    return raw + encoded + (pcm16 if stems else 0) + 1_000_000


def hold(held: list[Held], h: Held) -> Held:
    held.append(h)
    return h


def stage(held: list[Held], final: Path, text: str) -> Path:
    """`text` written (fsynced, usual permissions) to a locked temporary beside
    `final`; returns the temporary's path, for `replace_all`."""
    try:
        h = hold(held, temp_file(final, ".part"))
        with os.fdopen(h.take_fd(), "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        publish_mode(h.path)
    except OSError as exc:
        raise write_error(final, exc) from None
    return h.path
