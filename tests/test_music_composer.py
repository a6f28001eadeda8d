"""The composer backend: cues with bar-aligned, seamless loops, seeded and cancellable."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from m2m_reader.engine.core.cancel import CancelToken
from m2m_reader.engine.core.errors import Cancelled
from m2m_reader.engine.music.base import CueRequest
from m2m_reader.engine.music.composer import Composer
from m2m_reader.engine.music.soundfont import find_soundfont

SR = 22050  # half rate keeps the tests quick; the code is rate-agnostic
HAS_SF = find_soundfont() is not None
RENDERERS = ["synth"] + (["soundfont"] if HAS_SF else [])


@pytest.fixture(scope="module", params=RENDERERS)
def composer(request: pytest.FixtureRequest) -> Composer:
    return Composer(SR, soundfont=None if request.param == "synth" else "auto")


def req(caption: str, seconds: float = 6.0, **kw: object) -> CueRequest:
    args: dict = {"page": 0, "scene": 0, "caption": caption, "directive": "", "seconds": seconds}
    args.update(kw)
    return CueRequest(**args)


def test_cue_is_stereo_bars_and_plan(composer: Composer) -> None:
    cue = composer.make_cue(req("A calm piano piece at 90 BPM", seconds=5.0), CancelToken())
    clip = cue.clip
    assert clip.audio.dtype == np.float32 and clip.audio.shape[1] == 2
    assert clip.sample_rate == SR
    bar = round(4 * 60 / 90 * SR)
    assert clip.bar_samples == bar
    assert len(clip.audio) == 2 * bar  # 5 s rounds up to two bars of 2.67 s
    assert (clip.loop_start, clip.loop_end) == (0, len(clip.audio))
    assert cue.plan.tempo == 90 and cue.backend == "composer"
    rms = float(np.sqrt(np.mean(clip.audio**2)))
    assert 0.02 < rms < 0.3 and np.abs(clip.audio).max() < 1.0


@pytest.mark.parametrize(("seconds", "bars"), [(0.5, 2), (10.0, 4), (10.7, 5), (300.0, 24)])
def test_length_rounds_up_to_whole_bars_within_limits(seconds: float, bars: int) -> None:
    composer = Composer(SR, soundfont=None)
    cue = composer.make_cue(req("Piano at 90 BPM", seconds=seconds), CancelToken())
    assert len(cue.clip.audio) == bars * cue.clip.bar_samples  # a bar is 2.67 s; 64 s max


def test_same_request_same_audio(composer: Composer) -> None:
    r = req("A playful jazz ensemble with walking bass, brisk 140 BPM in B-flat major", seed=7)
    a = composer.make_cue(r, CancelToken()).clip.audio
    b = composer.make_cue(r, CancelToken()).clip.audio
    assert np.array_equal(a, b)
    c = composer.make_cue(req(r.caption, seed=8), CancelToken()).clip.audio
    assert not np.array_equal(a[: len(c)], c[: len(a)])


@pytest.mark.parametrize(
    "caption",
    [
        "A frantic rock chase with distorted guitars and drums",
        "Ethereal ambient pads and slow piano, lots of space",
        "A playful jazz ensemble with walking bass and brushed drums",
        "Sad strings, slow",
    ],
)
def test_loop_seam_is_as_smooth_as_the_music(composer: Composer, caption: str) -> None:
    audio = composer.make_cue(req(caption, seconds=8), CancelToken()).clip.audio
    looped = np.concatenate([audio, audio])
    steps = np.abs(np.diff(looped, axis=0)).max(axis=1)
    n = len(audio)
    seam = steps[n - 1]
    around = np.concatenate([steps[n - 400 : n - 1], steps[n : n + 400]])
    # Cutting the ringing tail instead of folding it back makes held strings jump 2-4x this.
    assert seam <= np.percentile(around, 99)
    # and no silent hole anywhere in the loop (50 ms windows)
    w = SR // 20
    windows = looped[: (len(looped) // w) * w].reshape(-1, w, 2)
    assert np.sqrt((windows**2).mean(axis=(1, 2))).min() > 1e-3


def test_pages_of_a_scene_share_key_tempo_instruments_and_follow_energy(composer: Composer) -> None:
    directive = "A melancholic piano and strings piece with a slow, steady pulse"
    calm = composer.make_cue(
        req("The piano continues, soft and quiet", directive=directive, page=1), CancelToken()
    )
    loud = composer.make_cue(
        req("The strings swell, intense and urgent", directive=directive, page=2), CancelToken()
    )
    for field in ("key", "mode", "tempo", "instruments", "style", "meter"):
        assert getattr(calm.plan, field) == getattr(loud.plan, field)
    assert loud.plan.energy > calm.plan.energy
    rms = [float(np.sqrt(np.mean(c.clip.audio**2))) for c in (calm, loud)]
    assert rms[1] > rms[0] * 1.5  # energy is heard


def test_joins_and_warnings_pass_through() -> None:
    composer = Composer(SR, soundfont=None)
    cue = composer.make_cue(
        req("", directive="Jazz trio", joins="continue", page=4, scene=2), CancelToken()
    )
    assert cue.joins == "continue" and (cue.page, cue.scene) == (4, 2)
    assert any("empty" in w for w in cue.warnings)


def test_broken_soundfont_falls_back_to_the_synth(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = tmp_path / "broken.sf2"
    bad.write_bytes(b"RIFF" + b"\x00" * 5000)
    with caplog.at_level(logging.WARNING):
        composer = Composer(SR, soundfont=bad)
    assert composer.renderer == "synth"
    assert len([r for r in caplog.records if "synthesiser" in r.getMessage()]) == 1
    cue = composer.make_cue(req("Calm piano"), CancelToken())
    assert any("broken.sf2" in w for w in cue.warnings)
    assert np.abs(cue.clip.audio).max() > 0.01

    missing = Composer(SR, soundfont=tmp_path / "nowhere.sf2")
    assert missing.renderer == "synth"
    assert any("does not exist" in w for w in missing.make_cue(req("x"), CancelToken()).warnings)


@pytest.mark.skipif(not HAS_SF, reason="no General MIDI SoundFont installed")
def test_installed_soundfont_is_used() -> None:
    assert Composer(SR).renderer.startswith("soundfont:")


def test_cancelled_token_raises(composer: Composer) -> None:
    token = CancelToken()
    token.cancel("page turned")
    with pytest.raises(Cancelled):
        composer.make_cue(req("Calm piano"), token)


def test_cancel_during_render_stops_early() -> None:
    composer = Composer(SR, soundfont=None)
    token = CancelToken()
    calls = {"n": 0}

    class Flaky(CancelToken):
        def check(self) -> None:
            calls["n"] += 1
            if calls["n"] > 2:
                token.cancel("jump")
            token.check()

    with pytest.raises(Cancelled):
        composer.make_cue(req("A frantic rock chase with drums", seconds=60), Flaky())


def test_a_render_leaves_nothing_behind_for_the_next(composer: Composer) -> None:
    """The SoundFont is loaded once and shared by renders: a render between two of the
    same request changes none of its samples (no voice or channel setting carries over)."""
    r = req("A playful jazz ensemble with walking bass and brushed drums", seed=3)
    first = composer.make_cue(r, CancelToken()).clip.audio
    composer.make_cue(req("Driving strings, brass and taiko drums, tremolo", seed=4), CancelToken())
    assert np.array_equal(first, composer.make_cue(r, CancelToken()).clip.audio)
