"""Pages of a library scene continue the track where it is: no bar is heard twice at a
page turn, in either mixer, whatever time the reader spends on a page; the chapters'
offsets continue across the scene's pages."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_export_support import synthetic_analysis, synthetic_book
from test_musiclib import SR, make_track

from m2m_reader.engine.audio import native
from m2m_reader.engine.audio.mixer import Mixer
from m2m_reader.engine.core.cancel import NEVER
from m2m_reader.engine.music.base import CueRequest
from m2m_reader.engine.musiclib import LibraryBackend, MusicIndex

BATTLE = "Furious battle, fierce pounding drums, rage"


def unrepeating_track(path: Path, bpm: float, seconds: float, seed: int) -> None:
    """A kick on every beat (accented on the downbeat) under a note of random pitch and a
    noise hit: no two bars alike, so any stretch heard twice is a repeat."""
    rng = np.random.default_rng(seed)
    n, beat = int(seconds * SR), 60.0 / bpm
    y = np.zeros(n)
    for k in range(int(seconds / beat)):
        a = int(k * beat * SR)
        tt = np.arange(min(int(beat * SR), n - a)) / SR
        y[a : a + len(tt)] += (
            0.3 * np.sin(2 * np.pi * 220 * 2 ** (rng.integers(24) / 12) * tt) * np.exp(-3 * tt)
        )
        hit = tt[: int(0.08 * SR)]
        kick = (1.0 if k % 4 == 0 else 0.5) * 0.6 * np.sin(2 * np.pi * 60 * hit) * np.exp(-40 * hit)
        y[a : a + len(hit)] += kick + 0.3 * rng.standard_normal(len(hit)) * np.exp(-60 * hit)
    y *= 0.9 / np.abs(y).max()
    sf.write(path, np.stack([y, y], 1).astype(np.float32), SR)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("music")
    unrepeating_track(root / "battle.wav", 150, 40.0, seed=3)
    make_track(root / "calm.wav", 72, False, 0.3, False, seconds=30.0, seed=4)
    return root


@pytest.fixture(scope="module")
def backend(folder, tmp_path_factory) -> LibraryBackend:
    index = MusicIndex(folder, tmp_path_factory.mktemp("idx") / "index.json")
    return LibraryBackend(folder, index=index, sample_rate=SR)


def best_match(needle: np.ndarray, hay: np.ndarray) -> float:
    """The highest normalised cross-correlation of `needle` anywhere in `hay`."""
    n = len(needle)
    size = 1 << int(np.ceil(np.log2(len(hay) + n)))
    corr = np.fft.irfft(np.fft.rfft(hay, size) * np.conj(np.fft.rfft(needle, size)), size)
    corr = corr[: len(hay) - n + 1]
    energy = np.sqrt(np.convolve(hay**2, np.ones(n), "valid"))
    return float(np.max(corr / (energy * np.linalg.norm(needle) + 1e-12)))


def mixers() -> list:
    out = [Mixer]
    if not native.available():
        out.append(native.NativeMixer)
    return out


@pytest.mark.parametrize("make_mixer", mixers(), ids=lambda m: m.__name__)
def test_a_turn_within_a_scene_goes_on_in_the_track_and_repeats_nothing(backend, make_mixer):
    # Cues made for 4 s pages, read slower (7 s, then 5 s): the music must not go
    # back to where each page's own cue would start.
    cues = [
        backend.make_cue(CueRequest(page=k, scene=0, caption="", directive=BATTLE, seconds=4.0,
                                    joins="change" if k == 0 else "continue", scene_page=k), NEVER)
        for k in range(3)
    ]  # fmt: skip
    assert len({c.track for c in cues}) == 1 and cues[0].track == "battle.wav"
    mixer = make_mixer(SR, record_events=True)
    turns = [0, 7 * SR, 12 * SR]
    for k, cue in enumerate(cues):
        mixer.set_cue(k, cue)
        mixer.turn(k, "turn", at=turns[k])
    out = np.zeros((16 * SR, 2), np.float32)
    mixer.pull(out)
    mono = out[:, 0].astype(np.float64)
    for k in (1, 2):
        # the new page's second second (past where a page crossfade would have ended)
        head = mono[turns[k] + SR : turns[k] + 2 * SR]
        before = mono[SR // 10 : turns[k] - SR // 20]  # what the reader heard before it
        assert best_match(head, before) < 0.9, f"page {k + 1} repeats what was heard"
    assert [k for _, k, _ in mixer.events if k != "loop"] == ["start", "continue", "continue"]
    # and it is the track, on from where it was: one unbroken stretch of it
    track = cues[0].clip.audio[:, 0].astype(np.float64)
    gain = np.linalg.norm(mono[SR : 2 * SR]) / np.linalg.norm(track[SR : 2 * SR])
    np.testing.assert_allclose(mono[SR : 15 * SR], track[SR : 15 * SR] * gain, atol=1e-4)


def test_export_chapters_offsets_continue_across_a_scenes_pages(folder, tmp_path, monkeypatch):
    from m2m_reader.engine.export import export_soundtrack

    monkeypatch.setenv("M2M_READER_DATA_DIR", str(tmp_path / "data"))
    book = synthetic_book(3)
    analysis = synthetic_analysis(3, 3)
    analysis.scenes[0].directive = BATTLE
    backend = LibraryBackend(folder, sample_rate=SR)
    result = export_soundtrack(book, analysis, backend, tmp_path / "out.wav", sample_rate=SR,
                               seconds_per_page=7)  # fmt: skip
    pages = json.loads(result.chapters_path.read_text())["pages"]
    assert [p["track"] for p in pages] == ["battle.wav"] * 3
    for a, b in zip(pages, pages[1:], strict=False):
        # each page starts where the one before left off (the track is longer than both)
        assert b["track_offset_s"] == pytest.approx(a["track_offset_s"] + a["seconds"], abs=0.002)
    audio, sr = sf.read(result.path, dtype="float64")
    track, _ = sf.read(folder / "battle.wav", dtype="float64")
    for p in pages[1:]:  # the audio at each page's start is the track at its offset
        at = round(p["start_s"] * sr) + sr // 10
        t = round(p["track_offset_s"] * sr) + sr // 10
        head = audio[at : at + sr, 0]
        assert best_match(head, track[t - sr // 100 : t + sr + sr // 100, 0]) > 0.98
        assert best_match(head, audio[sr // 10 : round(p["start_s"] * sr) - sr // 20, 0]) < 0.9
