"""`m2m-reader batch --llm-stage`: the LLM steps as Ray Data stages on `ray.data.llm`.

- In one process: the requests the stage collects are the ones the engine sends a live
  endpoint, and the answers, stored by the engine's own code, make the same analysis;
  a second pass finds everything in the cache.
- On a local Ray (2 CPUs), end to end through Ray's HTTP processor against the fake
  OpenAI server: the directives and captions it answered are in the chapters JSON, every
  request came from the stage (none from the analyse step), and a caption answered too
  short is the built-in's while the book is written.
- vLLM: asked for without it, one sentence at once; with a GPU and vLLM, for real.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, good_answer, stage_of, user_text, words
from ray_support import started_ray
from test_batch import write_cbz

from m2m_reader.cli import main
from m2m_reader.engine.analysis.pipeline import Analyzer
from m2m_reader.engine.backends.choice import make_text
from m2m_reader.engine.batch.llm_stage import STEPS
from m2m_reader.engine.batch.llm_steps import answer_rows, ask_rows
from m2m_reader.engine.batch.stages import Context, analyzer, backend
from m2m_reader.engine.books import open_book
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.core.store import MemoryStore

BOOK_ROW = {"book_id": 0, "name": "a", "pages": 4, "read_s": 0.0, "emotions_s": 0.0, "error": ""}


def _settings(fake: FakeOpenAI) -> Settings:
    return Settings(text="openai", llm_base_url=fake.base_url, transcript="builtin")


def _backends(ctx: Context, book: Path) -> tuple[list[str], list[str]]:
    """Who made each directive and each caption, as the analyse step finds them."""
    with open_book(book) as b:
        analysis = analyzer(b, ctx, backend("answered", ctx)).run()
    return ([s.backends["directive"] for s in analysis.scenes],
            [p.backends["caption"] for s in analysis.scenes for p in s.pages])  # fmt: skip


def _ctx(settings: Settings, cache: Path, llm_stage: str) -> Context:
    return Context(settings=settings.as_dict(public=True), cache_dir=str(cache),
                   out=str(cache.parent / "out"), llm_stage=llm_stage)  # fmt: skip


def _sent(body: dict[str, Any]) -> str:
    return json.dumps([body["model"], body["messages"], body["response_format"]], sort_keys=True)


def test_the_stage_asks_what_the_engine_asks_and_its_answers_make_the_same_analysis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stage-test")
    book = write_cbz(tmp_path / "a.cbz", pages=4, book=1)
    with FakeOpenAI(scene_every=2) as fake:
        settings = _settings(fake)
        with open_book(book) as b:  # the engine against a live endpoint
            live = Analyzer(b, text=make_text(settings, print), store=MemoryStore()).run()
        sent = sorted(_sent(r["body"]) for r in fake.requests)
        fake.requests.clear()

        ctx = _ctx(settings, tmp_path / "cache", "http")
        row: dict[str, Any] = {**BOOK_ROW, "path": str(book)}
        asked = []
        for step in STEPS:
            rows = ask_rows(row, ctx, step)
            requests = {r["digest"]: json.loads(r["request"]) for r in rows if r["request"]}
            asked += [_sent(q) for q in requests.values()]
            answers = {d: json.dumps(good_answer(q, scene_every=2)) for d, q in requests.items()}
            row = answer_rows({**row, "asked": len(answers), "answers": json.dumps(answers)},
                              ctx, step)  # fmt: skip
            assert not row["error"] and row["llm_fallbacks"] == 0
        assert sorted(asked) == sent  # the same requests: model, messages, schema
        with open_book(book) as b:
            staged = analyzer(b, ctx, backend("answered", ctx)).run()
        assert staged.to_dict() == live.to_dict()
        assert len(staged.scenes) == 2 and staged.scenes[1].directive.startswith("Directive:")
        for step in STEPS:  # all in the cache now: nothing to ask
            assert [r["request"] for r in ask_rows(row, ctx, step)] == [""]
        assert fake.requests == []


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local Ray (as test_batch_ray's) whose workers keep their files apart."""
    ray = pytest.importorskip("ray", reason="batch needs Ray: pip install 'm2m-reader[batch]'")
    pytest.importorskip("ray.data.llm", reason="the HTTP processor needs aiohttp")
    with started_ray(ray, tmp_path_factory) as cache:
        yield cache


def test_the_llm_stage_on_ray_answers_every_directive_and_caption(
    local_ray: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from m2m_reader.engine.batch import BatchOptions, run_batch
    from m2m_reader.engine.batch.llm_stage import LLMStage

    src, out = tmp_path / "in", tmp_path / "out"
    write_cbz(src / "a.cbz", pages=3, book=1)
    write_cbz(src / "b.cbz", pages=2, book=2)

    def answer(body: dict[str, Any]) -> str:
        if stage_of(body) == "caption" and "for page 1" in user_text(body):
            return json.dumps({"caption": words(3)})  # too short, in every book
        return json.dumps(good_answer(body, scene_every=2))

    with FakeOpenAI(scene_every=2) as fake:
        fake.fault = answer
        options = BatchOptions(source=src, out=out, cache_dir=local_ray,
                               llm_stage=LLMStage("http", batch_size=4))  # fmt: skip
        report = run_batch(_settings(fake), options)
        n = len(fake.requests)
        for name in ("a", "b"):  # what the analyse step found (it asks for nothing)
            directives, captions = _backends(_ctx(_settings(fake), local_ray, "http"),
                                             src / f"{name}.cbz")  # fmt: skip
            assert set(directives) == {"openai"}
            assert captions[1] == "builtin" and set(captions) - {captions[1]} == {"openai"}
        assert len(fake.requests) == n
    assert [r["status"] for r in report.records] == ["ok", "ok"], report.failed
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [m["llm_fallbacks"] for m in sorted(manifest, key=lambda m: m["book"])] == [1, 1]
    agents = {r["headers"].get("user-agent", "") for r in fake.requests}
    assert all(a.startswith("Python/") and "aiohttp" in a for a in agents), agents  # the stage's
    assert sorted(fake.stages()).count("caption") == 5
    assert fake.stages().count("directive") == 3  # a: pages 0-1 and 2; b: one scene
    assert all(r["headers"]["authorization"] == "Bearer sk-batch-test" for r in fake.requests)
    for name, scenes in (("a", 2), ("b", 1)):
        chapters = json.loads((out / f"{name}.chapters.json").read_text())
        assert [s["directive"].split()[0] for s in chapters["scenes"]] == ["Directive:"] * scenes
        for k, page in enumerate(chapters["pages"]):  # page 1: the built-in caption
            assert page["caption"].startswith(f"Page{k}:") == (k != 1), page["caption"]
    assert "2 books: 0 finished already, 2 to do" in capsys.readouterr().out


def test_asking_for_vllm_without_it_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed here")
    write_cbz(tmp_path / "in" / "a.cbz")
    args = ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--llm", "openai",
            "--transcript", "builtin", "--llm-stage", "vllm", "--llm-model", "Qwen/Qwen2.5-0.5B-Instruct"]  # fmt: skip
    assert main(args) != 0
    err = capsys.readouterr().err
    assert "--llm-stage vllm needs vLLM, which is not installed (run: pip install" in err
    assert not (tmp_path / "out").exists()  # failed before anything started


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--llm-stage", "vllm"], "add --llm openai"),
        (["--llm", "openai", "--llm-stage", "http", "--mode", "page"], "leave out --llm-stage"),
        (
            ["--llm", "openai", "--llm-stage", "vllm", "--transcript", "builtin"],
            "needs --llm-model",
        ),
        (
            ["--llm", "openai", "--llm-stage", "vllm", "--llm-model", "m"],
            "add --transcript builtin",
        ),
        (
            ["--llm", "openai", "--llm-stage", "http", "--llm-gpu-share", "0"],
            "--llm-gpu-share must",
        ),
    ],
)
def test_an_llm_stage_that_cannot_run_is_one_sentence(
    extra: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_cbz(tmp_path / "in" / "a.cbz")
    assert main(["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), *extra]) != 0
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


@pytest.mark.gpu
@pytest.mark.weights
@pytest.mark.network
def test_the_vllm_stage_for_real(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """vLLM engine actors holding a small instruct model (M2M_VLLM_MODEL) write the
    directives and captions of a book; none falls back to the built-in stage."""
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("vLLM is not installed")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    from m2m_reader.engine.batch import BatchOptions, run_batch
    from m2m_reader.engine.batch.llm_stage import LLMStage

    model = os.environ.get("M2M_VLLM_MODEL", "Qwen/Qwen2.5-0.5B-Instruct")
    write_cbz(tmp_path / "in" / "a.cbz", pages=3, book=1)
    settings = Settings(text="openai", llm_model=model, transcript="builtin")
    stage = LLMStage("vllm", gpu_share=0.3)  # the three steps' engines on one GPU
    options = BatchOptions(source=tmp_path / "in", out=tmp_path / "out",
                           cache_dir=tmp_path / "cache", llm_stage=stage)  # fmt: skip
    report = run_batch(settings, options)
    assert [r["status"] for r in report.records] == ["ok"], report.failed
    directives, captions = _backends(_ctx(settings, tmp_path / "cache", "vllm"),
                                     tmp_path / "in" / "a.cbz")  # fmt: skip
    assert set(directives) == set(captions) == {"openai"}  # the model's, none built in
    chapters = json.loads((tmp_path / "out" / "a.chapters.json").read_text())
    assert all(len(s["directive"].split()) >= 10 for s in chapters["scenes"])
