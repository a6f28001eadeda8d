"""The music library backend: index a folder, pick per scene, continue and loop a track."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_export_support import synthetic_analysis, synthetic_book

from m2m_reader.engine.audio.loudness import integrated_loudness
from m2m_reader.engine.backends.choice import make_music
from m2m_reader.engine.core.cancel import NEVER
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.export import export_soundtrack
from m2m_reader.engine.music.base import CueRequest
from m2m_reader.engine.musiclib import LibraryBackend, MusicIndex

SR = 22050


def make_track(path: Path, bpm: float, minor: bool, level: float, bright: bool,
               seconds: float = 24.0, seed: int = 0) -> None:  # fmt: skip
    """A tonal track in A: a chord a bar (i-iv-v-i), a kick on each beat, accents on
    the downbeat; `bright` adds square-wave overtones and noise hits."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    beat = 60.0 / bpm
    y = np.zeros(n)
    third = 2 ** ((3 if minor else 4) / 12)
    for k in range(int(seconds / (4 * beat)) + 1):
        a, b = int(k * 4 * beat * SR), min(n, int((k + 1) * 4 * beat * SR))
        if a >= n:
            break
        f = 220.0 * 2 ** ((0, 5, 7, 0)[k % 4] / 12)
        tt = t[a:b] - t[a]
        env = np.exp(-tt * (2.0 if bright else 0.5))
        for m in (1, third, 1.5):
            y[a:b] += 0.2 * np.sin(2 * np.pi * f * m * tt) * env
            if bright:
                y[a:b] += 0.08 * np.sign(np.sin(2 * np.pi * 2 * f * m * tt)) * env
    for k in range(int(seconds / beat)):
        a = int(k * beat * SR)
        m = min(int(0.08 * SR), n - a)
        tt = np.arange(m) / SR
        acc = 1.0 if k % 4 == 0 else 0.5
        y[a : a + m] += (
            acc * (0.6 if bright else 0.3) * np.sin(2 * np.pi * 60 * tt) * np.exp(-tt * 40)
        )
        if bright:
            y[a : a + m] += acc * 0.3 * rng.standard_normal(m) * np.exp(-tt * 60)
    y = y / np.abs(y).max() * level
    sf.write(path, np.stack([y, y], 1).astype(np.float32), SR)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("music")
    (root / "calm").mkdir()
    (root / "loud" / "deeper").mkdir(parents=True)
    make_track(root / "calm" / "morning.wav", 72, False, 0.3, False)
    make_track(root / "calm" / "evening.flac", 80, False, 0.3, False, seed=1)
    make_track(root / "loud" / "deeper" / "battle.ogg", 150, True, 0.9, True)
    make_track(root / "sorrow.wav", 66, True, 0.25, False)
    (root / "broken.mp3").write_bytes(b"this is not audio at all" * 100)
    (root / "notes.txt").write_text("not music")
    return root


@pytest.fixture()
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("M2M_READER_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_index_reads_features_skips_bad_files_and_rescans_incrementally(
    library, data_dir, tmp_path
):
    folder = tmp_path / "lib"
    folder.mkdir()
    for p in library.rglob("*"):
        if p.is_file():
            (folder / p.relative_to(library)).parent.mkdir(parents=True, exist_ok=True)
            (folder / p.relative_to(library)).write_bytes(p.read_bytes())
    seen = []
    index = MusicIndex(folder)
    result = index.scan(lambda done, total, what: seen.append((done, total)), workers=1)
    by = {t.path: t for t in result.tracks}
    assert sorted(by) == [
        "calm/evening.flac",
        "calm/morning.wav",
        "loud/deeper/battle.ogg",
        "sorrow.wav",
    ]
    assert [p for p, _ in result.skipped] == ["broken.mp3"]
    assert seen[-1] == (5, 5) and index.path.is_relative_to(data_dir)

    battle, morning, sorrow = by["loud/deeper/battle.ogg"], by["calm/morning.wav"], by["sorrow.wav"]
    assert battle.tempo == pytest.approx(150, rel=0.04)
    assert morning.tempo == pytest.approx(72, rel=0.04) or morning.tempo == pytest.approx(
        144, rel=0.04
    )
    assert (morning.key, morning.mode) == ("A", "major")
    assert (battle.key, battle.mode) == ("A", "minor")
    assert battle.arousal > morning.arousal + 0.3 and battle.onset_density > morning.onset_density
    assert morning.valence > sorrow.valence + 0.2
    assert battle.lufs > morning.lufs + 2 and battle.brightness > morning.brightness
    for t in by.values():  # loops on beats, a whole number of 4-bar phrases long
        assert min(abs(np.array(t.beats) - t.loop_start)) < 0.01
        bars = (t.loop_end - t.loop_start) / t.bar_s
        assert bars > 3.9 and abs(bars / 4 - round(bars / 4)) < 0.1, bars
        assert t.excerpt[0] <= t.phrase_start <= t.loop_start < t.loop_end <= t.excerpt[1]

    # unchanged: nothing analysed, the broken file not tried again
    t0 = time.perf_counter()
    again = MusicIndex(folder).scan(workers=1)
    assert time.perf_counter() - t0 < 0.5 and again.analysed == 0 and again.skipped == []
    assert [t.to_dict() for t in again.tracks] == [t.to_dict() for t in result.tracks]
    # one changed, one removed, one added
    make_track(folder / "sorrow.wav", 90, True, 0.25, False)
    os.utime(folder / "sorrow.wav", ns=(1, 10**18))
    (folder / "calm" / "evening.flac").unlink()
    make_track(folder / "new.wav", 120, False, 0.5, True)
    changed = MusicIndex(folder).scan(workers=1)
    assert (changed.analysed, changed.removed) == (2, 1)
    assert {t.path: t for t in changed.tracks}["sorrow.wav"].tempo == pytest.approx(90, rel=0.04)


@pytest.fixture(scope="module")
def backend(library, tmp_path_factory) -> LibraryBackend:
    index = MusicIndex(library, tmp_path_factory.mktemp("idx") / "index.json")
    return LibraryBackend(library, index=index, sample_rate=SR)


def request(page, scene, directive, scene_page=0, seconds=8.0):
    return CueRequest(page=page, scene=scene, caption="", directive=directive, seconds=seconds,
                      joins="change" if scene_page == 0 else "continue", scene_page=scene_page)  # fmt: skip


def test_scenes_get_fitting_tracks_and_neighbours_do_not_repeat(backend):
    picks = [
        backend.make_cue(request(i, i, d), NEVER).track
        for i, d in enumerate([
            "A calm, peaceful morning with gentle piano",
            "Furious battle, fierce pounding drums, rage",
            "Sorrowful, melancholy farewell in the rain",
            "Calm, quiet and gentle evening",
            "Calm, serene and gentle night",
        ])
    ]  # fmt: skip
    assert all(p.startswith("calm/") for p in (picks[0], picks[3], picks[4]))
    assert picks[1] == "loud/deeper/battle.ogg" and picks[2] == "sorrow.wav"
    assert picks[4] != picks[3]  # two calm scenes in a row: the other calm track


def test_pages_of_a_scene_continue_the_track_and_loop_without_a_click(backend):
    first = backend.make_cue(request(10, 10, "Furious battle, fierce drums"), NEVER)
    second = backend.make_cue(request(11, 10, "Furious battle, fierce drums", 1), NEVER)
    bar = first.clip.bar_samples
    assert first.track == second.track and bar == second.clip.bar_samples
    assert 60 * 4 * SR / bar == pytest.approx(150, rel=0.04)
    step = second.offset_s - first.offset_s
    assert step > 0 and (step * SR / bar) == pytest.approx(round(step * SR / bar), abs=0.01)
    # the second page's audio is the first page's, a whole number of bars on
    near = round(step * SR)  # offsets are in milliseconds: find the exact sample
    k = min(range(near - 40, near + 40),
            key=lambda j: float(np.abs(second.clip.audio[:2048] - first.clip.audio[j : j + 2048]).sum()))  # fmt: skip
    assert k % bar == 0
    np.testing.assert_allclose(second.clip.audio[:SR], first.clip.audio[k : k + SR], atol=1e-6)
    for cue in (first, second):
        a, ls, le = cue.clip.audio, cue.clip.loop_start, cue.clip.loop_end
        assert le == len(a) and (le - ls) % bar == 0 and ls % bar == 0
        body_steps = np.abs(np.diff(a[ls:le, 0]))
        assert abs(a[le - 1, 0] - a[ls, 0]) <= np.percentile(body_steps, 99.9) + 1e-4


def test_export_names_tracks_in_chapters_and_hits_minus_16_lufs(library, data_dir, tmp_path):
    book = synthetic_book(6)
    analysis = synthetic_analysis(6, 3)
    analysis.scenes[0].directive = "A calm, peaceful morning with gentle piano"
    analysis.scenes[1].directive = "Furious battle, fierce pounding drums, rage"
    backend = LibraryBackend(library, sample_rate=SR)
    result = export_soundtrack(book, analysis, backend, tmp_path / "out.wav", sample_rate=SR,
                               seconds_per_page=6)  # fmt: skip
    doc = json.loads(result.chapters_path.read_text())
    tracks = [p["track"] for p in doc["pages"]]
    assert tracks[:3] == [tracks[0]] * 3 and tracks[0].startswith("calm/")
    assert tracks[3:] == ["loud/deeper/battle.ogg"] * 3
    offsets = [p["track_offset_s"] for p in doc["pages"]]
    assert offsets[0] < offsets[1] < offsets[2]
    audio, sr = sf.read(result.path, dtype="float32")
    assert integrated_loudness(audio, sr) == pytest.approx(-16.0, abs=0.6)
    # no click: no sample step far beyond what the music itself has
    steps = np.abs(np.diff(audio[:, 0]))
    assert steps.max() < 4 * np.percentile(steps, 99.99) + 1e-3


def test_setting_library_builds_it_and_a_missing_folder_falls_back(library, data_dir, tmp_path):
    said = []
    s = Settings(music="library", music_dir=str(library))
    assert make_music(s, lambda *a: said.append(a)).name == "library" and not said
    s = Settings(music="library", music_dir=str(tmp_path / "nowhere"))
    assert make_music(s, lambda *a: said.append(a)).name == "composer"
    assert said[0][:3] == ("music", "library", "composer") and "does not exist" in said[0][3]


def test_tempo_read_at_double_speed_is_near_not_an_octave_off():
    from m2m_reader.engine.musiclib.pick import tempo_distance

    assert tempo_distance(120, 120) == 0.0
    assert tempo_distance(126, 63) == pytest.approx(0.25)  # a slow track read at double speed
    assert tempo_distance(126, 63) < tempo_distance(90, 63) < tempo_distance(160, 63)


def test_export_and_evaluate_commands_with_your_music(library, tmp_path, monkeypatch, capsys):
    from PIL import Image

    from m2m_reader.cli import main

    for name in ("DATA", "CACHE", "CONFIG"):
        monkeypatch.setenv(f"M2M_READER_{name}_DIR", str(tmp_path / name.lower()))
    book = tmp_path / "book"
    book.mkdir()
    for i in range(3):
        Image.new("L", (60, 90), 40 + 60 * i).save(book / f"{i + 1:03d}.png")
    out = tmp_path / "out.wav"
    code = main(["export", str(book), "-o", str(out), "--seconds-per-page", "4", "--offline",
                 "--music", "library", "--music-dir", str(library)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    # the first export indexes the folder, with a progress bar like export's own
    assert "indexing music: 0%" in err and "indexing music: 100%" in err
    doc = json.loads(out.with_name("out.chapters.json").read_text())
    assert all(p["backend"] == "library" and (library / p["track"]).is_file() for p in doc["pages"])
    assert main(["evaluate", str(out), "--no-models"]) == 0
    assert out.with_name("out.report.html").read_text().count("<svg") >= 5


def test_the_reader_shows_the_folder_being_indexed(library, data_dir):
    # The reader's engine, set to your music: it says how far the folder's indexing has
    # come (the window shows "Indexing your music 2/5"), then plays the library.
    from m2m_reader.engine.core import events as ev
    from m2m_reader.engine.core.store import MemoryStore
    from m2m_reader.engine.session.engine import Engine

    heard: list[ev.Event] = []
    engine = Engine(
        Settings(music="library", music_dir=str(library)),
        store=MemoryStore(),
        on_event=heard.append,
        audio=False,
        edits_in_memory=True,
    )
    try:
        assert engine._backends.music.get().name == "library"
    finally:
        engine.close()
    indexing = [(e.done, e.total) for e in heard
                if isinstance(e, ev.Progress) and e.what == "music library"]  # fmt: skip
    assert indexing, heard
    assert indexing[-1][0] == indexing[-1][1] >= 4  # every file looked at, the last at the end
