"""`m2m-reader evaluate`: the figures of a soundtrack whose truth the test knows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from m2m_reader.cli import main
from m2m_reader.engine.audio.loudness import integrated_loudness
from m2m_reader.engine.evaluation.embedding import frechet_distance
from m2m_reader.engine.evaluation.measures import boundary_scores, evaluate

SR = 22050
PAGE_S = 8.0
# (scene, bpm, key, mode): two scenes of two pages
PAGES = [
    (0, 120, "A", "minor"),
    (0, 120, "A", "minor"),
    (1, 90, "C", "major"),
    (1, 90, "C", "major"),
]


def chord_track(
    seconds: float, bpm: float, root_hz: float, minor: bool, level: float
) -> np.ndarray:
    n = int(seconds * SR)
    t = np.arange(n) / SR
    third = 2 ** ((3 if minor else 4) / 12)
    y = sum(0.2 * np.sin(2 * np.pi * root_hz * m * t) for m in (1, third, 1.5, 2))
    beat = 60.0 / bpm
    for k in range(int(seconds / beat)):
        a = int(k * beat * SR)
        m = min(int(0.06 * SR), n - a)
        tt = np.arange(m) / SR
        y[a : a + m] += (
            (1.0 if k % 4 == 0 else 0.6) * np.sin(2 * np.pi * 70 * tt) * np.exp(-tt * 50)
        )
    return (y / np.abs(y).max() * level).astype(np.float32)


@pytest.fixture()
def export(tmp_path) -> Path:
    """A four-page soundtrack and its chapters; page 2 is half as loud, and a click sits
    at the turn to page 4."""
    roots = {"A": 220.0, "C": 261.63}
    parts = []
    for i, (_, bpm, key, mode) in enumerate(PAGES):
        parts.append(chord_track(PAGE_S, bpm, roots[key], mode == "minor", 0.25 if i == 1 else 0.5))
    y = np.concatenate(parts)
    turn = int(3 * PAGE_S * SR)
    y[turn] += 0.9
    path = tmp_path / "book.wav"
    sf.write(path, np.stack([y, y], 1), SR)
    chapters = {
        "format": "m2m-reader/chapters", "version": 1, "title": "Test book", "audio": path.name,
        "mode": "scene", "sample_rate": SR, "duration_s": len(y) / SR,
        "scenes": [{"index": 0, "first_page": 0, "last_page": 1, "start_s": 0.0, "end_s": 16.0,
                    "directive": "Furious battle, fierce drums, rage"},
                   {"index": 1, "first_page": 2, "last_page": 3, "start_s": 16.0, "end_s": 32.0,
                    "directive": "A calm, peaceful morning, gentle piano"}],
        "pages": [{"index": i, "scene": s, "start_s": i * PAGE_S, "end_s": (i + 1) * PAGE_S,
                   "seconds": PAGE_S, "caption": "", "joins": "change" if i in (0, 2) else "continue",
                   "plan": {"tempo": bpm, "key": key, "mode": mode}, "backend": "test",
                   "warnings": [], "track": f"{key}.wav", "track_offset_s": 0.0}
                  for i, (s, bpm, key, mode) in enumerate(PAGES)],
    }  # fmt: skip
    path.with_name("book.chapters.json").write_text(json.dumps(chapters))
    return path


def truth(scenes: list[tuple[int, int, str]]) -> dict:
    return {"title": "Test book", "scenes": [{"first_page": a, "last_page": b, "mood": m}
                                              for a, b, m in scenes]}  # fmt: skip


def test_measures_find_the_plan_the_seams_and_the_truth(export):
    chapters = json.loads(export.with_name("book.chapters.json").read_text())
    ev = evaluate(export, chapters, truth([(0, 1, "angry battle"), (2, 3, "calm morning")]))
    assert [p.tempo_match for p in ev.pages] == [True] * 4
    assert [p.key_match for p in ev.pages] == ["same"] * 4
    assert [(s.page, s.kind) for s in ev.seams] == [(1, "page"), (2, "scene"), (3, "page")]
    steps = {s.page: s for s in ev.seams}
    assert steps[1].level_step_db == pytest.approx(-6.0, abs=0.7)  # page 2 is half as loud
    assert steps[2].level_step_db > 2.5  # back to full level (other chord, other weighting)
    assert steps[3].click_ratio > 3 and steps[1].click_ratio < 3 and steps[2].click_ratio < 3
    # the scene change moves harmony far more than the page turn within a scene
    assert steps[2].chroma_distance > 5 * steps[3].chroma_distance
    loud = integrated_loudness(sf.read(export)[0], SR)
    assert ev.integrated_lufs == pytest.approx(loud, abs=0.05)
    assert ev.truth["boundaries"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert ev.truth["emotion_accuracy"] == 1.0  # anger, then neutral, as the directives say
    assert ev.repetition["tracks"] == 2 and ev.repetition["tracks_in_several_scenes"] == {}
    # a truth that disagrees scores lower
    other = evaluate(export, chapters, truth([(0, 3, "sad parting")]))
    assert other.truth["boundaries"]["precision"] == 0.0 and other.truth["emotion_accuracy"] == 0.0


def test_boundary_scores_match_within_one_page():
    assert boundary_scores([0, 5, 9], [0, 4, 12]) == pytest.approx(
        {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    )
    assert boundary_scores([0], [0])["f1"] == 1.0


def test_frechet_distance_is_zero_for_the_same_set_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((200, 4))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert frechet_distance(a, a + 2.0) == pytest.approx(16.0, rel=0.05)


def test_command_writes_a_self_contained_report(export, tmp_path, capsys):
    t = tmp_path / "truth.json"
    t.write_text(json.dumps(truth([(0, 1, "angry battle"), (2, 3, "calm morning")])))
    out, figures = tmp_path / "report.html", tmp_path / "figures.json"
    code = main(["evaluate", str(export), "--truth", str(t), "-o", str(out), "--json", str(figures),
                 "--no-models"])  # fmt: skip
    assert code == 0
    page = out.read_text()
    assert page.count("<svg") >= 5 and "<link" not in page and "<script" not in page
    assert "Mood timeline" in page and "Transitions" in page and "F1" in page
    doc = json.loads(figures.read_text())
    assert doc["truth"]["boundaries"]["f1"] == 1.0 and doc["seams"]["scene"]["count"] == 1
    assert "skipped (--no-models)" in capsys.readouterr().out


def test_command_says_what_is_missing(export, tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nothing.wav")]) == 1
    assert "no such soundtrack" in capsys.readouterr().err
    export.with_name("book.chapters.json").unlink()
    assert main(["evaluate", str(export)]) == 1
    assert "no such chapters file" in capsys.readouterr().err


def test_clap_agreement_and_fad_with_a_tiny_model(export, tmp_path):
    pytest.importorskip("transformers")
    from test_musiclib_clap import save_tiny_clap

    model = save_tiny_clap(tmp_path / "clap")
    ref = tmp_path / "reference"
    ref.mkdir()
    for k, hz in enumerate((196.0, 247.0, 330.0)):
        y = chord_track(24.0, 100 + 10 * k, hz, k % 2 == 0, 0.5)
        sf.write(ref / f"r{k}.wav", np.stack([y, y], 1), SR)
    figures = tmp_path / "f.json"
    code = main(["evaluate", str(export), "-o", str(tmp_path / "r.html"), "--json", str(figures),
                 "--clap-model", str(model), "--reference", str(ref)])  # fmt: skip
    assert code == 0
    doc = json.loads(figures.read_text())
    assert doc["clap_mean"] is not None and -1 <= doc["clap_mean"] <= 1
    assert doc["fad"] is not None and np.isfinite(doc["fad"]) and doc["fad"] >= 0
    assert "CLAP agreement per page" in (tmp_path / "r.html").read_text()
