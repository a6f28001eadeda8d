"""The settings: declared once, typed, defaults in one place, with a change signal.

`Settings` is a dataclass; assigning a field validates it and tells subscribers
(`settings.subscribe(callback)`, called as `callback(name, value)`); `update()` sets
several at once, all or none, and tells subscribers once every value is in place. `load()`
and `save()` keep it as versioned JSON in `paths.config_dir()/settings.json`; older
versions are upgraded on load by the functions in `_UPGRADES`.

A bad value in the file (`1e400`, a string where a number goes, a backend that does not
exist) is skipped with one warning line and the default used; the rest of the file is
read. What the app could not use (bad values, settings it does not know) is written
back unchanged by `save()` until the person sets that setting, so nothing they wrote is
lost.

The API key: `api_key()` prefers the `OPENAI_API_KEY` environment variable. A key a
person stores lives only in the settings file, written with 0600 permissions; it is
never part of `repr()`, `as_dict(public=True)` or any log line.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    # auto: the text backend's own transcripts (the vision LLM with text=openai)
    "transcript": ("auto", "builtin", "manga-ocr", "magi", "openai"),
    "music": ("composer", "musicgen", "library"),
    "music_ranker": ("features", "clap"),
    "default_direction": ("rtl", "ltr"),
    "reader_layout": ("auto", "single", "double", "scroll"),
    "reader_fit": ("page", "width", "height", "none"),
    "language": ("auto", "en", "ja"),
    "theme": ("auto", "dark", "light"),
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
    llm_timeout: float = 60.0  # seconds one LLM request may take, its retries included
    emotions: str = "builtin"
    transcript: str = "auto"  # who reads pages without annotations (see CHOICES)
    music: str = "composer"
    musicgen_model: str = "small"
    # The music library backend: a folder of the person's own tracks, and how a track is
    # picked for a scene (features built in, or a CLAP model; empty: LAION's music CLAP).
    music_dir: str = ""
    music_ranker: str = "features"
    clap_model: str = ""
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
    # The window's language: "auto" follows the system locale (read at start).
    language: str = "auto"
    # The window's colours: "auto" follows the system's light or dark preference.
    theme: str = "auto"

    if TYPE_CHECKING:  # set by __post_init__; not settings (at run time no fields)
        _subscribers: list[Subscriber] = field(init=False, repr=False, compare=False)
        _lock: threading.Lock = field(init=False, repr=False, compare=False)
        _kept: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_subscribers", [])
        object.__setattr__(self, "_lock", threading.Lock())
        # Values from the file the app could not use, by name: written back by `save()`
        # until the setting is set (see `load`).
        object.__setattr__(self, "_kept", {})
        for f in fields(self):
            object.__setattr__(self, f.name, _check(f.name, getattr(self, f.name)))
        object.__setattr__(self, "_ready", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if not getattr(self, "_ready", False):
            object.__setattr__(self, name, value)
            return
        if name not in _FIELD_TYPES:
            raise SettingsError(f"there is no setting called {name!r}")
        self._assign({name: _check(name, value)})

    def _assign(self, values: dict[str, Any]) -> None:
        """Set checked values together, then tell subscribers of each real change."""
        changed = []
        with self._lock:
            for name, value in values.items():
                self._kept.pop(name, None)  # the person's new value replaces the file's
                if getattr(self, name) != value:
                    object.__setattr__(self, name, value)
                    changed.append((name, value))
            subscribers = list(self._subscribers)
        for name, value in changed:
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
        """Set several settings, all or none (a bad value or unknown name is refused
        before any is set); subscribers hear of each change once all are in place."""
        checked = {}
        for name, value in values.items():
            if name not in _FIELD_TYPES:
                raise SettingsError(f"there is no setting called {name!r}")
            checked[name] = _check(name, value)
        self._assign(checked)


_FIELD_TYPES: dict[str, str] = {f.name: str(f.type) for f in fields(Settings)}


def _check(name: str, value: Any) -> Any:
    """Validate (and gently coerce) one value for setting `name`."""
    kind = _FIELD_TYPES[name]
    if name == "audio_device" and (value is None or type(value) is int):
        # An index or null (the default), as files before the output's label kept it.
        value = "" if value is None else str(value)
    if kind in ("int", "float", "int | None"):
        value = _number(name, kind, value)
    elif kind == "bool" and not isinstance(value, bool):
        raise SettingsError(f"setting {name} must be true or false, not {_shown(value)}")
    elif kind == "str" and not isinstance(value, str):
        raise SettingsError(f"setting {name} must be a str, not {type(value).__name__}")
    if name in CHOICES and value not in CHOICES[name]:
        raise SettingsError(
            f"setting {name} must be one of {', '.join(CHOICES[name])}, not {_shown(value)}"
        )
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


def _number(name: str, kind: str, value: Any) -> int | float | None:
    """A finite number for setting `name` (whole for an int); text is not a number."""
    if value is None and kind == "int | None":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(f"setting {name} must be a number, not {_shown(value)}")
    if not math.isfinite(value):
        raise SettingsError(f"setting {name} must be a finite number, not {value}")
    if kind == "float":
        return float(value)
    if value != int(value):
        raise SettingsError(f"setting {name} must be a whole number, not {value}")
    return int(value)


def _shown(value: Any) -> str:
    """A bad value as a warning shows it: short, and its type."""
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '…' if len(text) > 40 else text}"


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
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
        log.warning("settings file %s is unreadable (%s); using defaults", path, exc)
        with contextlib.suppress(OSError):
            path.replace(path.with_name(path.name + ".bad"))
        return Settings()
    version = data.pop("version", 1)
    kept_version = None
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        log.info(
            "settings file %s is from a newer version (%d); reading what it shares", path, version
        )
        kept_version = version
    else:
        version = version if isinstance(version, int) and 1 <= version <= VERSION else 1
        try:
            while version < VERSION:
                data = _UPGRADES[version](data)
                version += 1
        except Exception as exc:  # noqa: BLE001 - a bad value an upgrade trips on
            log.warning("settings file %s could not be upgraded (%s); using defaults", path, exc)
            return Settings()
    settings = Settings()
    for name, value in data.items():
        if name not in _FIELD_TYPES:
            log.info("keeping unknown setting %s in %s", name, path)
            settings._kept[name] = value
            continue
        try:
            object.__setattr__(settings, name, _check(name, value))
        except SettingsError as exc:
            log.warning("%s: %s; using the default, %r", path, exc, getattr(settings, name))
            settings._kept[name] = value
    if kept_version is not None:
        settings._kept["version"] = kept_version  # saved as it came: the newer app reads it
    return settings


def save(settings: Settings, path: Path | None = None) -> Path:
    """Write the settings atomically, readable only by their owner (they may hold a key)."""
    path = path or settings_path()
    with settings._lock:  # a consistent copy while another thread sets values
        data = {"version": VERSION, **settings.as_dict(public=False), **settings._kept}
    if not data.get("llm_api_key"):
        data.pop("llm_api_key", None)
    blob = json.dumps(data, indent=2, sort_keys=True).encode("utf-8")
    with atomic_writer(path, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)  # mkstemp's default, made explicit
        fh.write(blob)
    return path
