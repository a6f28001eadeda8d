"""Where m2m-reader keeps its files.

platformdirs' per-user folders, each overridable by an environment variable (tests
and portable installs set them): M2M_READER_CACHE_DIR (computed, evictable),
M2M_READER_DATA_DIR (the library and a person's edits: never evicted),
M2M_READER_CONFIG_DIR (settings).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "m2m-reader"


def _dir(env: str, default: str, create: bool = True) -> Path:
    path = Path(os.environ.get(env) or default)
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(create: bool = True) -> Path:
    """The cache folder; `create=False` leaves making it to the caller (the cache, which
    goes on without one on a full or read-only disk)."""
    return _dir("M2M_READER_CACHE_DIR", platformdirs.user_cache_dir(APP), create)


def data_dir() -> Path:
    return _dir("M2M_READER_DATA_DIR", platformdirs.user_data_dir(APP))


def config_dir() -> Path:
    return _dir("M2M_READER_CONFIG_DIR", platformdirs.user_config_dir(APP))
