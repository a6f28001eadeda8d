"""The crossfade setting applies to the music playing now, not only to the next session."""

from __future__ import annotations

import numpy as np

from m2m_reader.engine.audio.live import LivePlayer
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.doubles import FakeEngine
from m2m_reader.engine.music.base import Clip, Cue, MusicPlan

RATE = 48000


def cue(page: int, scene: int, level: float) -> Cue:
    audio = np.full((RATE * 8, 2), level, np.float32)
    return Cue(page, scene, Clip(audio, RATE), MusicPlan(), "change", "test")


def fade_seconds(player: LivePlayer, settings: Settings, crossfade_s: float) -> float:
    """Play page 0, set the crossfade, change scene to page 1 and time the fade."""
    mixer = player.mixer
    mixer.set_cue(0, cue(0, 0, 0.5))
    mixer.set_cue(1, cue(1, 1, 0.1))
    mixer.turn(0, "jump")
    block = np.zeros((1024, 2), np.float32)
    for _ in range(20):  # past the start fade
        mixer.pull(block)
    settings.crossfade_s = crossfade_s  # while page 0 plays, with page 1 ready
    mixer.turn(1, "turn")
    out = []
    for _ in range(int(8 * RATE / 1024)):
        mixer.pull(block)
        out.append(block[:, 0].copy())
    left = np.concatenate(out)
    moving = np.flatnonzero(np.abs(left - left[-1]) > 1e-3)  # (the volume scales both)
    return (moving[-1] + 1) / RATE


def test_a_new_crossfade_length_applies_to_the_playing_mixer() -> None:
    settings = Settings(crossfade_s=1.0)
    player = LivePlayer(FakeEngine(), settings)
    try:
        before = fade_seconds(player, settings, 1.0)
        after = fade_seconds(player, settings, 4.0)
    finally:
        player.close()
    assert abs(before - 1.0) < 0.05
    assert abs(after - 4.0) < 0.05
