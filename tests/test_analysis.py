"""The built-in analysis: what a person reading `m2m-reader analyze` would check."""

from __future__ import annotations

import json

import pytest
from bookfactory import PageSpec, make_book, three_scene_book

from m2m_reader.cli import main
from m2m_reader.engine.analysis.edits import EditStore
from m2m_reader.engine.analysis.emotions import dominant
from m2m_reader.engine.analysis.pipeline import Analyzer, analyze
from m2m_reader.engine.analysis.records import Analysis
from m2m_reader.engine.analysis.text_cues import line_profile
from m2m_reader.engine.core.errors import M2MError
from m2m_reader.engine.core.store import MemoryStore


def words(text: str) -> int:
    return len(text.split())


def test_three_scenes_are_found_with_their_moods() -> None:
    a = analyze(three_scene_book())
    assert [(s.first_page, s.last_page) for s in a.scenes] == [(0, 3), (4, 7), (8, 11)]
    assert dominant(a.scenes[1].emotions) == "fear"
    assert dominant(a.scenes[2].emotions) == "sadness"


def test_directives_and_captions_have_paper_lengths_and_share_the_scene_music() -> None:
    a = analyze(three_scene_book())
    for scene in a.scenes:
        assert 24 <= words(scene.directive) <= 60, scene.directive
        keys = set()
        for page in scene.pages:
            assert 20 <= words(page.caption) <= 60, page.caption
            # the caption names the directive's key and tempo: "in C minor at 151 BPM"
            key_tempo = page.caption.split(" in ", 1)[1].split(",")[0]
            assert key_tempo.split(" at ")[0] in scene.directive
            keys.add(key_tempo)
        assert len(keys) == 1  # one key and tempo through the scene
    assert a.scenes[1].directive != a.scenes[2].directive


def test_captions_follow_the_page_energy() -> None:
    calm = [("a", "Hello."), ("b", "Hi.")]
    loud = [("a", "Run! Help!! They're coming!"), ("b", "Hurry, faster!!")]
    book = make_book([PageSpec(calm), PageSpec(calm), PageSpec(loud), PageSpec(calm)])
    a = analyze(book)
    assert len(a.scenes) >= 1
    caps = [a.page(i).caption for i in range(4)]
    assert "building" in caps[2] and "building" not in caps[0]


def test_text_cues_english_and_japanese() -> None:
    assert dominant(line_profile("Hahaha, that's so funny!")) == "happiness"
    assert dominant(line_profile("I'm sorry... goodbye.")) == "sadness"
    assert dominant(line_profile("Run! They're coming!")) == "fear"
    assert dominant(line_profile("What?! No way!")) == "surprise"
    assert dominant(line_profile("Ew, gross. Disgusting.")) == "disgust"
    assert dominant(line_profile("Shut up, you idiot!")) == "anger"
    assert dominant(line_profile("ごめんね…さよなら")) == "sadness"
    assert dominant(line_profile("助けて！逃げて！")) == "fear"
    assert dominant(line_profile("The bus leaves at nine.")) == "neutral"


def test_modes_page_and_section() -> None:
    book = three_scene_book()
    page = analyze(book, mode="page")
    assert len(page.scenes) == len(book)
    assert all(s.first_page == s.last_page for s in page.scenes)
    # the baseline describes each page alone: keys drift across pages of one scene
    assert len({s.directive.split(" in ")[1].split(" at ")[0] for s in page.scenes[:4]}) > 1
    section = analyze(book, mode="section")
    assert [(s.first_page, s.last_page) for s in section.scenes] == [(0, 7), (8, 11)]
    assert "genre:" in section.scenes[0].reason
    assert all(p.caption == section.scenes[0].directive for p in section.scenes[0].pages)
    with pytest.raises(M2MError):
        analyze(book, mode="chapter")


def test_cached_rerun_computes_nothing() -> None:
    book = three_scene_book()
    store = MemoryStore()
    first = Analyzer(book, store=store)
    a1 = first.run()
    assert sum(first.computed.values()) > 0
    second = Analyzer(book, store=store)
    a2 = second.run()
    assert sum(second.computed.values()) == 0
    assert a1.to_dict() == a2.to_dict()


def test_edit_overrides_survives_rerun_and_regenerates_only_dependents() -> None:
    book = three_scene_book()
    store, edits = MemoryStore(), EditStore.in_memory()
    before = Analyzer(book, store=store, edits=edits).run()
    edits.set_directive(4, 7, "A lone kazoo wobbles over timpani in F minor at 90 BPM. Absurd.")
    again = Analyzer(book, store=store, edits=edits)
    after = again.run()
    assert after.scenes[1].directive.startswith("A lone kazoo")
    assert after.scenes[1].edited == ["directive"]
    assert all("kazoo" in p.caption for p in after.scenes[1].pages)
    # only the edited scene's four captions were recomputed
    assert again.computed == {"caption": 4}
    assert after.scenes[0].to_dict() == before.scenes[0].to_dict()
    edits.set_caption(0, "Just birdsong and a kettle.")
    edits.set_scenes([0, 6])
    third = Analyzer(book, store=store, edits=edits).run()
    assert third.page(0).caption == "Just birdsong and a kettle."
    assert [(s.first_page, s.last_page) for s in third.scenes] == [(0, 5), (6, 11)]


def test_edits_persist_on_disk(tmp_path) -> None:
    path = tmp_path / "edits.sqlite3"
    EditStore("fp", path).set_caption(3, "  soft   rain  ")
    again = EditStore("fp", path)
    assert again.caption(3) == "soft rain"
    again.close()
    path.write_bytes(b"{broken" * 200)  # set aside, not an error (see test_edits_store.py)
    assert EditStore("fp", path).all() == {}
    assert list(tmp_path.glob("edits.sqlite3.bad-*"))


def test_damaged_page_does_not_stop_the_analysis() -> None:
    specs = [PageSpec([("a", "Hi!")]), PageSpec([("a", "Hello")], damaged=True), PageSpec()]
    a = analyze(make_book(specs))
    assert a.n_pages == 3 and a.page(1).caption


def test_failing_backend_falls_back_per_record() -> None:
    from m2m_reader.engine.analysis.builtin import BuiltinText

    class Broken(BuiltinText):
        name = "broken-llm"

        def directive(self, scene, cancel):  # type: ignore[no-untyped-def]
            raise M2MError("the endpoint is down")

    told = []
    a = analyze(
        three_scene_book(),
        text=Broken(),
        on_fallback=lambda stage, b, msg: told.append((stage, b, msg)),
    )
    assert all(s.backends["directive"] == "builtin" for s in a.scenes)
    assert all(p.backends["caption"] == "broken-llm" for s in a.scenes for p in s.pages)
    assert told and told[0][:2] == ("directive", "broken-llm")


def test_analysis_json_round_trips() -> None:
    a = analyze(three_scene_book())
    blob = json.loads(json.dumps(a.to_dict()))
    assert blob["format"] == "m2m-reader/analysis"
    assert Analysis.from_dict(blob).to_dict() == a.to_dict()
    s0 = blob["scenes"][0]
    assert {"first_page", "last_page", "directive", "pages"} <= set(s0)
    assert {"index", "emotions", "caption"} <= set(s0["pages"][0])
    assert abs(sum(s0["pages"][0]["emotions"].values()) - 1) < 1e-3


def test_cli_analyze_writes_json_and_fails_cleanly(tmp_path, capsys) -> None:
    from PIL import Image

    folder = tmp_path / "book"
    folder.mkdir()
    for i in range(4):
        Image.new("L", (300, 400), 230 if i < 2 else 30).save(folder / f"{i + 1}.png")
    out = tmp_path / "analysis.json"
    assert main(["analyze", str(folder), "-o", str(out), "--records", str(tmp_path / "r")]) == 0
    printed = capsys.readouterr().out
    assert "Scene 1  pages 1-2" in printed and "Scene 2  pages 3-4" in printed
    blob = json.loads(out.read_text())
    assert [s["first_page"] for s in blob["scenes"]] == [0, 2]
    assert (tmp_path / "r" / "captions.json").exists()
    assert main(["analyze", str(tmp_path / "missing.cbz")]) == 1
    err = capsys.readouterr().err
    assert "missing.cbz" in err and "Traceback" not in err
    assert main(["analyze", str(folder), "-o", str(tmp_path / "no" / "a.json")]) == 1


def test_cli_edit_then_analyze_uses_the_edit(tmp_path, capsys) -> None:
    from PIL import Image

    folder = tmp_path / "book"
    folder.mkdir()
    for i in range(6):
        Image.new("L", (300, 400), 230 if i < 3 else 30).save(folder / f"{i + 1}.png")
    assert main(["edit", str(folder), "caption", "2", "Solo harp, very soft, in E minor."]) == 0
    assert (
        main(["edit", str(folder), "directive", "2", "Thunderous taiko at 150 BPM in D minor."])
        == 0
    )
    out = tmp_path / "a.json"
    assert main(["analyze", str(folder), "-o", str(out)]) == 0
    blob = json.loads(out.read_text())
    assert blob["scenes"][0]["pages"][1]["caption"] == "Solo harp, very soft, in E minor."
    assert blob["scenes"][1]["directive"].startswith("Thunderous taiko")
    assert "taiko" in blob["scenes"][1]["pages"][0]["caption"]
    assert main(["edit", str(folder), "caption", "99", "x"]) == 1
    assert main(["edit", str(folder), "clear"]) == 0
    capsys.readouterr()


def test_sample_book_scenes_and_emotions_match_its_ground_truth(sample_book_path) -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from analysis import boundary_scores  # the bench's scorer: +-1 page, one-to-one

    from m2m_reader.engine.books import open_book

    book = open_book(sample_book_path)
    truth = json.loads(
        (sample_book_path.parents[1] / "groundtruth" / f"{book.title}.json").read_text()
    )
    a = analyze(book)
    scores = boundary_scores(
        [s.first_page for s in a.scenes], [s["first_page"] for s in truth["scenes"]]
    )
    assert scores["f1"] >= 0.8
    moods = {s["first_page"]: s["mood"] for s in truth["scenes"]}
    sad = next(s for s in a.scenes if "part" in moods.get(s.first_page, ""))
    assert dominant(sad.emotions) in ("sadness", "neutral") and sad.emotions["sadness"] > 0.2


def test_cli_dry_run_estimates_llm_cost_without_spending(
    sample_book_path, capsys, monkeypatch
) -> None:
    import socket

    def no_network(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the dry run opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-dry-run-secret")
    assert main(["analyze", str(sample_book_path), "--llm", "openai", "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert "would spend" in out and "caption 24 calls" in out
    assert "sk-dry-run-secret" not in out + err
