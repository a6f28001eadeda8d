"""Soundtrack export: files, loudness, chapters, stems, atomic output, errors up front."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pytest
import soundfile as sf
from test_export_support import ToneBackend, synthetic_analysis, synthetic_book

from m2m_reader.engine.audio.loudness import integrated_loudness, true_peak_db
from m2m_reader.engine.audio.writer import OutputError
from m2m_reader.engine.core.cancel import CancelToken
from m2m_reader.engine.core.errors import Cancelled, M2MError
from m2m_reader.engine.export import export_soundtrack


def longest_quiet_ms(audio: np.ndarray, sr: int, floor_db: float = -60.0) -> float:
    """The longest run of 10 ms windows quieter than `floor_db` dBFS RMS."""
    win = sr // 100
    m = len(audio) // win
    rms = np.sqrt((audio[: m * win].reshape(m, win, -1) ** 2).mean(axis=(1, 2)))
    quiet = 20 * np.log10(np.maximum(rms, 1e-12)) < floor_db
    best = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        best = max(best, run)
    return best * 10.0


def export(tmp_path, name="soundtrack.wav", n=8, **kw):
    book = synthetic_book(n)
    backend = kw.pop("backend", ToneBackend())
    result = export_soundtrack(book, synthetic_analysis(n, 3), backend, tmp_path / name, **kw)
    return result, backend


def test_wav_export_hits_loudness_and_peak_targets_without_gaps(tmp_path):
    result, backend = export(tmp_path, seconds_per_page="auto")
    audio, sr = sf.read(result.path, dtype="float32")
    assert sr == 44100
    assert len(audio) / sr == pytest.approx(sum(result.page_seconds) + 3.0, abs=0.01)
    assert integrated_loudness(audio, sr) == pytest.approx(-16.0, abs=1.0)
    assert true_peak_db(audio) <= -1.0
    music = audio[: int((len(audio) / sr - 3.0) * sr)]  # up to the final fade-out
    assert longest_quiet_ms(music, sr) < 50
    assert 20 * np.log10(np.abs(audio[-100:]).max() + 1e-12) < -60  # faded out at the end
    # every page asked for its music once, with joins and seeds as documented
    assert [r.page for r in backend.calls] == list(range(8))
    assert [r.joins for r in backend.calls] == ["change", "continue", "continue"] * 2 + [
        "change",
        "continue",
    ]
    assert len({r.seed for r in backend.calls}) == 3  # one seed per scene
    assert backend.calls[0].seed == backend.calls[2].seed != backend.calls[3].seed
    assert backend.calls[1].previous is not None and backend.calls[3].previous is None


def test_chapters_json_and_cue_sheet(tmp_path):
    seen = []
    result, _ = export(tmp_path, seconds_per_page=5, progress=lambda d, t, w: seen.append((d, t)))
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[-1][0] == seen[-1][1]  # a bar that only moves on
    umask = os.umask(0o022)
    os.umask(umask)
    for path in (result.path, result.chapters_path, result.cue_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    doc = json.loads(result.chapters_path.read_text())
    assert result.chapters_path.name == "soundtrack.chapters.json"
    assert doc["audio"] == "soundtrack.wav"
    assert [p["start_s"] for p in doc["pages"]] == [5.0 * i for i in range(8)]
    assert [s["start_s"] for s in doc["scenes"]] == [0.0, 15.0, 30.0]
    assert doc["scenes"][1]["directive"] == "directive of scene 1"
    page = doc["pages"][4]
    assert page["caption"] == "caption of page 4"
    assert page["plan"]["tempo"] == 120.0 and page["plan"]["key"] == "G"
    assert set(page["plan"]) >= {"tempo", "key", "mode", "instruments", "energy"}
    assert doc["loudness"]["integrated_lufs"] == pytest.approx(-16.0, abs=1.0)
    cue = result.cue_path.read_text()
    assert 'FILE "soundtrack.wav" WAVE' in cue
    assert cue.count("TRACK") == 3
    assert "INDEX 01 00:15:00" in cue and "INDEX 01 00:30:00" in cue


@pytest.mark.parametrize("ext", ["flac", "ogg", "mp3"])
def test_other_formats(tmp_path, ext):
    result, _ = export(tmp_path, f"s.{ext}", n=3, seconds_per_page=4)
    info = sf.info(result.path)
    assert info.samplerate == 44100 and info.channels == 2
    assert info.duration == pytest.approx(15.0, abs=0.2)
    assert sorted(os.listdir(tmp_path)) == sorted([f"s.{ext}", "s.chapters.json", "s.cue"])


def test_stems_and_resampled_backend(tmp_path):
    result, _ = export(tmp_path, n=4, seconds_per_page=4, stems=True, backend=ToneBackend(32000))
    stems = sorted(p.name for p in result.stems_dir.iterdir())
    assert stems == [f"page_{i:04d}.wav" for i in range(1, 5)]
    stem, sr = sf.read(result.stems_dir / stems[0])
    assert sr == 32000
    assert integrated_loudness(stem, sr) == pytest.approx(-16.0, abs=1.0)
    assert sf.info(result.path).samplerate == 44100


def test_cancel_leaves_no_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "soundtrack.flac"
    target.write_bytes(b"the old export")
    token = CancelToken()
    with pytest.raises(Cancelled):
        export(
            tmp_path, "soundtrack.flac", stems=True, backend=ToneBackend(cancel_at=5), cancel=token
        )
    assert os.listdir(tmp_path) == ["soundtrack.flac"]
    assert target.read_bytes() == b"the old export"


def test_ctrl_c_leaves_no_file(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        export(tmp_path, "s.ogg", backend=ToneBackend(interrupt_at=2))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "name, message",
    [
        ("missing/soundtrack.wav", "does not exist"),
        ("afile.txt/soundtrack.wav", "does not exist"),
        ("soundtrack.aac", "unsupported extension"),
        ("adir", "unsupported extension"),
        ("adir.wav", "is a folder"),
    ],
)
def test_bad_output_fails_before_any_work(tmp_path, name, message):
    (tmp_path / "afile.txt").write_text("x")
    (tmp_path / "adir.wav").mkdir()
    (tmp_path / "adir").mkdir()
    backend = ToneBackend()
    with pytest.raises(OutputError, match=message):
        export(tmp_path, name, backend=backend)
    assert backend.calls == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder_fails_before_any_work(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    backend = ToneBackend()
    try:
        with pytest.raises(OutputError, match="cannot write"):
            export(folder, "s.wav", backend=backend)
    finally:
        folder.chmod(0o700)
    assert backend.calls == []


def test_unwritable_system_path_fails_before_any_work():
    backend = ToneBackend()
    with pytest.raises(OutputError):
        export_soundtrack(synthetic_book(2), synthetic_analysis(2), backend, "/proc/m2m-test.wav")
    assert backend.calls == []


def test_bad_settings_and_mismatched_analysis(tmp_path):
    book = synthetic_book(4)
    with pytest.raises(M2MError, match="seconds per page"):
        export_soundtrack(
            book, synthetic_analysis(4), ToneBackend(), tmp_path / "a.wav", seconds_per_page="fast"
        )
    with pytest.raises(M2MError, match="covers 3 of 4 pages"):
        export_soundtrack(book, synthetic_analysis(3), ToneBackend(), tmp_path / "a.wav")
    assert os.listdir(tmp_path) == []
