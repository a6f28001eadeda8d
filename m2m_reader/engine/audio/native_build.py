"""Building and loading the native mixer (native_mixer.c): once, with the system's C
compiler, loaded with cffi.

Building needs a C compiler (`cc`) and nothing else: no Python headers. The library is
built on first use (or by `python -m m2m_reader.engine.audio.native`, which the
installer runs) beside the source, or in the user cache when that is read-only, under a
name holding the source's hash, so an edited source is rebuilt. With no compiler,
`available()` says why and live playback keeps the Python mixer.
`M2M_READER_NATIVE_MIXER=0` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..core.errors import M2MError

SOURCE = Path(__file__).with_name("native_mixer.c")
CFLAGS = ("-O2", "-std=c11", "-fPIC", "-shared", "-ffp-contract=off")
LIBS = ("-lm", "-lpthread")
ABI = 2  # must match M2M_ABI in the source

HEADER = SOURCE.with_name("native_mixer.h")  # the declarations C and cffi share


class NativeUnavailable(M2MError):
    """The C mixer cannot be used here (the reason is the message)."""


# ---- building and loading ----------------------------------------------------------


def library_name() -> str:
    """The built library's file name: the source, flags and platform hashed in it."""
    h = hashlib.sha256(SOURCE.read_bytes() + HEADER.read_bytes())
    h.update(" ".join(CFLAGS + LIBS + (sys.platform,)).encode())
    suffix = ".dll" if sys.platform == "win32" else ".dylib" if sys.platform == "darwin" else ".so"
    return f"m2m_mixer-{h.hexdigest()[:16]}{suffix}"


def build_dirs() -> list[Path]:
    """Where the library may be: beside the source, else the user cache."""
    from ..core.paths import cache_dir

    return [SOURCE.parent / "_native", cache_dir(create=False) / "native"]  # build() makes it


def compiler() -> str | None:
    for name in (os.environ.get("CC", ""), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return name
    return None


def build(dest: Path) -> Path:
    """Compile the library into `dest` (atomically: a half-written one is never loaded)."""
    cc = compiler()
    if cc is None:
        raise NativeUnavailable("no C compiler (install gcc) to build the native mixer")
    dest.mkdir(parents=True, exist_ok=True)
    final = dest / library_name()
    fd, tmp = tempfile.mkstemp(prefix=".build-", suffix=final.suffix, dir=dest)
    os.close(fd)
    try:
        done = subprocess.run(
            [cc, *CFLAGS, "-o", tmp, str(SOURCE), *LIBS],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise NativeUnavailable(
                f"the native mixer did not compile ({cc}): {done.stderr.strip()[-400:]}"
            )
        os.replace(tmp, final)
        for old in dest.glob("m2m_mixer-*"):  # builds of older sources
            if old != final:
                with contextlib.suppress(OSError):
                    old.unlink()
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return final


def find_or_build() -> Path:
    """The library for this source: found, else built where we may write."""
    name = library_name()
    dirs = build_dirs()
    for d in dirs:
        if (d / name).is_file():
            return d / name
    errors = []
    for d in dirs:
        try:
            return build(d)
        except NativeUnavailable:
            raise
        except OSError as exc:  # a read-only install: try the next place
            errors.append(f"{d}: {exc}")
    raise NativeUnavailable("nowhere to build the native mixer: " + "; ".join(errors))


@lru_cache(maxsize=1)
def _load() -> tuple[Any, Any]:
    if os.environ.get("M2M_READER_NATIVE_MIXER", "1") == "0":
        raise NativeUnavailable("turned off (M2M_READER_NATIVE_MIXER=0)")
    try:
        import cffi
    except ImportError:
        raise NativeUnavailable("the cffi package is not installed") from None
    path = find_or_build()
    ffi = cffi.FFI()
    ffi.cdef(HEADER.read_text())
    try:
        lib = ffi.dlopen(str(path))
    except OSError:  # damaged (a disk error, a copy cut short): built again, once
        try:
            path = build(path.parent)
            lib = ffi.dlopen(str(path))
        except OSError as exc:
            raise NativeUnavailable(f"the native mixer did not load: {exc}") from None
    if lib.m2m_abi() != ABI:
        raise NativeUnavailable(f"{path.name} is for another version of m2m-reader")
    return ffi, lib


def load() -> tuple[Any, Any]:
    """(ffi, lib) of the native mixer, or `NativeUnavailable` saying why not."""
    try:
        return _load()
    except NativeUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged library must not stop the reader
        raise NativeUnavailable(f"the native mixer failed to load: {exc}") from None


def available() -> str:
    """ "" when the native mixer can be used, else why not."""
    try:
        load()
    except NativeUnavailable as exc:
        return str(exc)
    return ""


def now() -> float:
    """The clock the native mixer stamps its events and callbacks with (CLOCK_MONOTONIC,
    the same as `time.perf_counter` and `time.monotonic` on Linux)."""
    return float(load()[1].m2m_now())
