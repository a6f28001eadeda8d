"""The composer's music says its key: a listener (or a chroma key finder) hears the plan's
key, and a minor key sounds minor. Also: SoundFont instruments are levelled, so chords are
heard under the melody whatever the font's own sample levels."""

from __future__ import annotations

import numpy as np
import pytest

from m2m_reader.engine.core.cancel import NEVER
from m2m_reader.engine.music.base import CueRequest
from m2m_reader.engine.music.composer import Composer
from m2m_reader.engine.music.soundfont import find_soundfont
from m2m_reader.engine.music.theory import key_from_chroma, pitch_class

SCENES = [
    (
        "The playful jazz ensemble with piano, upright bass, drums and clarinet in A major",
        "A",
        "major",
    ),  # noqa: E501
    ("A rock band with distorted guitar, bass and drums, urgent, in C minor", "C", "minor"),
    ("Driving strings, brass and taiko drums in F-sharp minor", "F#", "minor"),
    ("The solo piano and mournful cello in G minor, slow", "G", "minor"),
    ("Warm strings, piano and flute in E-flat major", "D#", "major"),
    ("Lo-fi hip hop with electric piano, bass and drums in B minor", "B", "minor"),
]
RENDERERS = ["synth"] + (["auto"] if find_soundfont() else [])


def chroma(audio: np.ndarray, sr: int) -> np.ndarray:
    """Mean constant-Q chroma (C = 0), as audio key finders measure it."""
    librosa = pytest.importorskip("librosa")
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    return librosa.feature.chroma_cqt(y=mono, sr=sr, hop_length=2048).mean(axis=1)


@pytest.fixture(scope="module", params=RENDERERS)
def composer(request: pytest.FixtureRequest) -> Composer:
    return Composer(sample_rate=22050, soundfont=None if request.param == "synth" else "auto")


@pytest.mark.parametrize(("directive", "key", "mode"), SCENES)
def test_music_is_in_the_planned_key_and_mode(
    composer: Composer, directive: str, key: str, mode: str
) -> None:
    hits = 0
    for page in range(3):
        req = CueRequest(page, 0, "the scene goes on", directive, 12.0, "continue", seed=11)
        cue = composer.make_cue(req, NEVER)
        assert (cue.plan.key, cue.plan.mode) == (key, mode)
        c = chroma(cue.clip.audio, cue.clip.sample_rate)
        tonic = pitch_class(key)
        k, m = key_from_chroma(c)
        relative = (tonic + 9) % 12 if mode == "major" else (tonic + 3) % 12
        hits += (k, m) == (tonic, mode) or (m != mode and k == relative)
        if mode == "minor":  # the minor third is heard, not overpowered by the major one
            assert c[(tonic + 3) % 12] > c[(tonic + 4) % 12], (page, np.round(c / c.max(), 2))
    assert hits >= 2, f"{directive!r}: the key was heard on {hits} of 3 pages"


@pytest.mark.skipif(not find_soundfont(), reason="no General MIDI SoundFont installed")
def test_soundfont_instruments_play_at_their_track_level() -> None:
    from m2m_reader.engine.music.arrange import Track
    from m2m_reader.engine.music.compose import Note, Score
    from m2m_reader.engine.music.soundfont import SoundFontRenderer

    renderer = SoundFontRenderer(find_soundfont(), 22050)
    levels = []
    for name, program in (("piano", 0), ("harp", 46), ("flute", 73), ("strings", 48)):
        track = Track(name, program, "harmony", 0, 0.0, 0.7, 60, 72)
        score = Score([track], [Note(0.0, 1.0, 66, 90, 0)], bars=1, bar_seconds=1.0)
        audio = renderer.render(score, 22050)
        levels.append(20 * np.log10(np.sqrt(np.mean(audio.astype(np.float64) ** 2))))
    # Raw, this font's piano is 17 dB under its harp; levelled, they are within a few dB.
    assert max(levels) - min(levels) < 6.0, np.round(levels, 1)


def test_pizzicato_strings_are_plucked_not_held() -> None:
    from m2m_reader.engine.music.plan import plan_for

    plan, _ = plan_for("bouncy pizzicato, playful", "A comedy with pizzicato strings and clarinet")
    assert "pizzicato strings" in plan.instruments
    assert "strings" not in plan.instruments  # held string chords would blur the bounce
