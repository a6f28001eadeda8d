"""The built-in composer as a backend, and what of a music backend's settings changes
its audio.

Both the backend choice (`choice`) and the composer's child process (`music_process`)
build the composer from here, so neither imports the other to do it.
"""

from __future__ import annotations

from ..core.settings import Settings
from ..music.base import MusicBackend


def make_composer(settings: Settings) -> MusicBackend:
    """The composer, at 48 kHz, with the SoundFont the settings name."""
    from ..music.composer import Composer

    try:
        return Composer(sample_rate=48000, soundfont=settings.soundfont or "auto")
    except TypeError:  # a composer that takes no SoundFont setting
        return Composer()


def music_settings_key(music: object) -> str:
    """What of the music backend's settings changes its audio (for cue keys)."""
    key_fn = getattr(music, "settings_key", None)
    if callable(key_fn):
        return str(key_fn())
    return str(getattr(music, "renderer", ""))


__all__ = ["make_composer", "music_settings_key"]
