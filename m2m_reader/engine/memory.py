"""Memory hand-back for long sessions: cues are megabytes and come and go (glibc only)."""

from __future__ import annotations

import ctypes
from typing import Any


def _libc() -> Any:
    global _LIBC
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL("libc.so.6")
            _LIBC.malloc_trim  # noqa: B018 - glibc only
        except (OSError, AttributeError):
            _LIBC = False
    return _LIBC


def tune_malloc() -> None:
    """glibc: serve large blocks (cues are megabytes) by mmap, always, so that freeing
    one gives the memory back; by default the threshold grows after the first frees
    and long sessions keep freed cues in the heap. Few arenas for the worker threads."""
    libc = _libc()
    if libc:
        libc.mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD: 1 MB, fixed
        libc.mallopt(-8, 2)  # M_ARENA_MAX


def release_memory() -> None:
    """Hand freed heap back to the system (glibc only)."""
    libc = _libc()
    if libc:
        libc.malloc_trim(0)


_LIBC: Any = None
