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


def _dir(env: str, default: str) -> Path:
    path = Path(os.environ.get(env) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    return _dir("M2M_READER_CACHE_DIR", platformdirs.user_cache_dir(APP))


def data_dir() -> Path:
    return _dir("M2M_READER_DATA_DIR", platformdirs.user_data_dir(APP))


def config_dir() -> Path:
    return _dir("M2M_READER_CONFIG_DIR", platformdirs.user_config_dir(APP))
