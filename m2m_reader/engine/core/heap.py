"""The heap, through glibc's allocator (elsewhere these calls do nothing).

The programs tune it once at their start (`m2m_reader.runtime.tune_malloc`); the engine
calls `release_memory` after it drops cues (they are megabytes and come and go), so a
long session gives the freed memory back to the system.
"""

from __future__ import annotations

import ctypes


class _Libc:
    """glibc, looked up once, or None on another C library."""

    def __init__(self) -> None:
        self._lib: ctypes.CDLL | None = None
        self._looked = False

    def get(self) -> ctypes.CDLL | None:
        if not self._looked:
            self._looked = True
            try:
                lib = ctypes.CDLL("libc.so.6")
                lib.malloc_trim  # noqa: B018 - glibc only: AttributeError elsewhere
                self._lib = lib
            except (OSError, AttributeError):
                self._lib = None
        return self._lib


glibc = _Libc()


def release_memory() -> None:
    """Hand freed heap back to the system (glibc only; elsewhere nothing)."""
    lib = glibc.get()
    if lib is not None:
        lib.malloc_trim(0)
