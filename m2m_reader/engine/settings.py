"""The settings: declared once, typed, defaults in one place, with a change signal.

`Settings` is a dataclass; assigning a field validates it and tells subscribers
(`settings.subscribe(callback)`, called as `callback(name, value)`). `load()` and
`save()` keep it as versioned JSON in `paths.config_dir()/settings.json`; older
versions are upgraded on load by the functions in `_UPGRADES`.

The API key: `api_key()` prefers the `OPENAI_API_KEY` environment variable. A key a
person stores lives only in the settings file, written with 0600 permissions; it is
never part of `repr()`, `as_dict(public=True)` or any log line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from . import paths
from .atomic import atomic_writer
from .errors import M2MError

log = logging.getLogger(__name__)

VERSION = 2
FILE_NAME = "settings.json"
SECRET_FIELDS = frozenset({"llm_api_key"})

# Fields limited to a set of values: name -> allowed values.
CHOICES: dict[str, tuple[str, ...]] = {
    "text": ("builtin", "openai"),
    "emotions": ("builtin", "clip"),
    "music": ("composer", "musicgen"),
    "default_direction": ("rtl", "ltr"),
    "reader_layout": ("auto", "single", "double", "scroll"),
    "reader_fit": ("page", "width", "height", "none"),
}

Subscriber = Callable[[str, Any], None]


class SettingsError(M2MError):
    """A setting got a value it cannot take."""


@dataclass
class Settings:
    """Every setting of the app and engine, with its default."""

    # Analysis and music backends.
    text: str = "builtin"
    llm_base_url: str = ""  # empty: the OpenAI default endpoint
    llm_model: str = "gpt-4o-mini"
    llm_api_key: str = field(default="", repr=False)  # prefer the OPENAI_API_KEY variable
    emotions: str = "builtin"
    music: str = "composer"
    musicgen_model: str = "small"
    device: str = "auto"  # torch device for models: auto, cpu, cuda, cuda:1 ...
    soundfont: str = ""  # a .sf2 file; empty: look for an installed one, else the built-in synth
    # Cache and network.
    cache_limit_mb: int = 2048
    offline: bool = False
    # Playback.
    # The sound output: a device's label ("name (host API)"), name, index or host API
    # (see devices.pick_output); empty: the system default.
    audio_device: str = ""
    volume: float = 0.8
    muted: bool = False
    crossfade_s: float = 1.5
    # Reader.
    default_direction: str = "rtl"
    reader_layout: str = "single"
    reader_fit: str = "page"
    reader_zoom: float = 1.0
    reader_cover_offset: bool = True  # double layout: the first page alone

    def __post_init__(self) -> None:
        object.__setattr__(self, "_subscribers", [])
        object.__setattr__(self, "_lock", threading.Lock())
        for f in fields(self):
            object.__setattr__(self, f.name, _check(f.name, getattr(self, f.name)))
        object.__setattr__(self, "_ready", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if not getattr(self, "_ready", False):
            object.__setattr__(self, name, value)
            return
        if name not in _FIELD_TYPES:
            raise SettingsError(f"there is no setting called {name!r}")
        value = _check(name, value)
        with self._lock:
            old = getattr(self, name)
            object.__setattr__(self, name, value)
            subscribers = list(self._subscribers)
        if old != value:
            for callback in subscribers:
                try:
                    callback(name, value)
                except Exception:  # a broken subscriber must not break the others
                    log.exception("settings subscriber failed on %s", name)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(name, value)` after every change; returns an unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def api_key(self) -> str:
        """The LLM key: the OPENAI_API_KEY environment variable, else the stored one."""
        return os.environ.get("OPENAI_API_KEY") or self.llm_api_key

    def as_dict(self, public: bool = True) -> dict[str, Any]:
        """The settings as plain values; `public=True` leaves secrets out."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if not (public and f.name in SECRET_FIELDS)
        }

    def update(self, values: dict[str, Any]) -> None:
        """Set several settings; unknown names are refused."""
        for name, value in values.items():
            setattr(self, name, value)


_FIELD_TYPES: dict[str, str] = {f.name: str(f.type) for f in fields(Settings)}


def _check(name: str, value: Any) -> Any:
    """Validate (and gently coerce) one value for setting `name`."""
    kind = _FIELD_TYPES[name]
    if name == "audio_device" and (value is None or type(value) is int):
        # An index or null (the default), as files before the output's label kept it.
        value = "" if value is None else str(value)
    try:
        if kind == "bool":
            if not isinstance(value, bool):
                raise TypeError
        elif kind == "int":
            if isinstance(value, bool):
                raise TypeError
            value = int(value)
        elif kind == "int | None":
            value = None if value is None else int(value)
        elif kind == "float":
            if isinstance(value, bool):
                raise TypeError
            value = float(value)
        elif kind == "str":
            if not isinstance(value, str):
                raise TypeError
    except (TypeError, ValueError):
        raise SettingsError(
            f"setting {name} must be a {kind}, not {type(value).__name__}"
        ) from None
    if name in CHOICES and value not in CHOICES[name]:
        raise SettingsError(f"setting {name} must be one of {', '.join(CHOICES[name])}")
    if name == "musicgen_model" and not value.strip():
        # small/medium/large/melody, a Hugging Face id (owner/name) or a local folder:
        # the model loader says which it cannot find, so no fixed list here.
        raise SettingsError("setting musicgen_model cannot be empty")
    if name == "volume" and not 0.0 <= value <= 1.0:
        raise SettingsError("setting volume must be between 0 and 1")
    if name in ("crossfade_s", "cache_limit_mb") and value < 0:
        raise SettingsError(f"setting {name} cannot be negative")
    if name == "reader_zoom" and value <= 0:
        raise SettingsError("setting reader_zoom must be positive")
    return value


def _upgrade_1(d: dict[str, Any]) -> dict[str, Any]:
    # Version 1 called the music backend setting "music_backend" and the volume a percentage.
    if "music_backend" in d:
        d["music"] = d.pop("music_backend")
    if "volume" in d and isinstance(d["volume"], int | float) and d["volume"] > 1:
        d["volume"] = d["volume"] / 100.0
    return d


_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _upgrade_1}


def settings_path() -> Path:
    return paths.config_dir() / FILE_NAME


def load(path: Path | None = None) -> Settings:
    """Read the settings; a missing file gives the defaults.

    A file that cannot be read is set aside as `settings.json.bad` with a warning, so a
    damaged file never stops the app from starting; a bad single value is skipped.
    """
    path = path or settings_path()
    if not path.exists():
        return Settings()
    try:
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        log.warning("settings file %s is unreadable (%s); using defaults", path, exc)
        with contextlib.suppress(OSError):
            path.replace(path.with_name(path.name + ".bad"))
        return Settings()
    version = data.pop("version", 1)
    version = version if isinstance(version, int) and 1 <= version <= VERSION else 1
    while version < VERSION:
        data = _UPGRADES[version](data)
        version += 1
    settings = Settings()
    for name, value in data.items():
        if name not in _FIELD_TYPES:
            log.info("ignoring unknown setting %s in %s", name, path)
            continue
        try:
            object.__setattr__(settings, name, _check(name, value))
        except SettingsError as exc:
            log.warning("%s: %s; keeping the default", path, exc)
    return settings


def save(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings atomically, readable only by their owner (they may hold a key)."""
    path = path or settings_path()
    data = {"version": VERSION, **settings.as_dict(public=False)}
    if not data.get("llm_api_key"):
        data.pop("llm_api_key", None)
    blob = json.dumps(data, indent=2, sort_keys=True).encode("utf-8")
    with atomic_writer(path, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)  # mkstemp's default, made explicit
        fh.write(blob)
    return path
