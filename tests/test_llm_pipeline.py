"""The OpenAI backend inside the analysis pipeline, against the local fake server:
calls per book, a second run from the cache, fallback, vision transcripts, scene windows."""

from __future__ import annotations

import base64
import io
import json
import socket
import time

import pytest
from PIL import Image

from m2m_reader.engine.analysis.pipeline import analyze
from m2m_reader.engine.analysis.records import Line, PageTranscript
from m2m_reader.engine.core.cancel import NEVER
from m2m_reader.engine.core.errors import BackendUnavailable
from m2m_reader.engine.core.store import MemoryStore
from m2m_reader.engine.llm import LLMConfig, OpenAIText, estimate_tokens
from tests.bookfactory import PageSpec, make_book, three_scene_book
from tests.fake_openai import FakeOpenAI, free_port

KEY = "sk-test-SECRET-0123456789"


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        yield server


def config(base_url: str, **kw) -> LLMConfig:
    settings = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 5.0, **kw}
    return LLMConfig(
        model="text-m", vision_model="vision-m", base_url=base_url, api_key=KEY, **settings
    )


def plain_book(n: int = 24, size: tuple[int, int] = (800, 600)):
    """A book with page images only (no annotations), like any CBZ."""
    return make_book([PageSpec() for _ in range(n)], size=size)


def test_24_page_book_calls_and_second_run_from_cache(fake):
    book = plain_book(24)
    store = MemoryStore()
    result = analyze(book, mode="scene", text=OpenAIText(config(fake.base_url)), store=store)
    stages = fake.stages()
    n_scenes = len(result.scenes)
    assert n_scenes == 4  # the fake starts a scene every 6 pages
    assert stages.count("transcript") == 24
    assert stages.count("scenes") == 1
    assert stages.count("directive") == n_scenes
    assert stages.count("caption") == 24
    assert len(stages) <= 2 * 24 + 2 * n_scenes
    assert result.page(7).caption.startswith("Page7:")
    assert result.page(7).backends["caption"] == "openai"
    assert result.scenes[1].directive.startswith("Directive:")
    assert result.page(7).lines[0].text == "We made it to page 7!"

    before = len(fake.requests)
    again = analyze(book, mode="scene", text=OpenAIText(config(fake.base_url)), store=store)
    assert len(fake.requests) == before  # a second run costs nothing
    assert again.to_dict() == result.to_dict()


def test_annotated_book_needs_no_transcript_calls(fake):
    book = three_scene_book()
    analyze(book, mode="scene", text=OpenAIText(config(fake.base_url)), store=MemoryStore())
    stages = fake.stages()
    assert "transcript" not in stages
    assert stages.count("caption") == len(book)


def test_page_and_section_modes(fake):
    book = three_scene_book()  # 12 pages
    page_mode = analyze(
        book, mode="page", text=OpenAIText(config(fake.base_url)), store=MemoryStore()
    )
    assert fake.stages().count("page_description") == 12
    assert fake.stages().count("caption") == 12
    assert page_mode.scenes[3].directive.startswith("Described:")
    fake.requests.clear()
    section = analyze(
        book, mode="section", text=OpenAIText(config(fake.base_url)), store=MemoryStore()
    )
    stages = fake.stages()  # sections of 8 pages, asked at once
    assert sorted(stages) == ["section_analysis"] * 2 + ["section_music"] * 2
    assert section.page(9).caption.startswith("Section:")
    first = fake.requests[stages.index("section_analysis")]["body"]
    images = [p for p in first["messages"][1]["content"] if p["type"] == "image_url"]
    assert len(images) == 4


def test_a_bad_record_falls_back_alone(fake):
    fake.script.extend(["invalid", "invalid"])  # the first request: the scene boundaries
    told = []
    book = three_scene_book()
    result = analyze(
        book,
        text=OpenAIText(config(fake.base_url)),
        store=MemoryStore(),
        on_fallback=lambda stage, backend, msg: told.append((stage, msg)),
    )
    assert told and told[0][0] == "scenes" and "invalid twice" in told[0][1]
    assert result.scenes[0].backends["scenes"] == "builtin"
    assert all(p.backends["caption"] == "openai" for s in result.scenes for p in s.pages)


def test_endpoint_down_costs_only_a_message():
    backend = OpenAIText(
        config(f"http://127.0.0.1:{free_port()}/v1", max_retries=5, backoff_base=1.0)
    )
    told = []
    started = time.monotonic()
    result = analyze(
        plain_book(24),
        text=backend,
        store=MemoryStore(),
        on_fallback=lambda stage, b, msg: told.append(msg),
    )
    assert time.monotonic() - started < 10
    assert told and all("cannot be reached" in m for m in told)
    assert all(p.backends["caption"] == "builtin" for s in result.scenes for p in s.pages)
    assert all(p.caption for s in result.scenes for p in s.pages)  # the music goes on


def test_transcript_sends_the_page_image_to_the_vision_model(fake):
    book = make_book([PageSpec()], size=(1200, 1800))
    book._open_image = lambda page: Image.new("RGB", (1200, 1800), (200, 180, 160))  # type: ignore[attr-defined]
    backend = OpenAIText(config(fake.base_url, image_max_px=1024))
    t = backend.transcript(book, 0, NEVER)
    body = fake.requests[0]["body"]
    assert body["model"] == "vision-m"
    parts = body["messages"][1]["content"]
    url = next(p["image_url"]["url"] for p in parts if p["type"] == "image_url")
    assert url.startswith("data:image/jpeg;base64,")
    img = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert img.format == "JPEG" and img.size == (683, 1024)
    assert "right to left" in body["messages"][0]["content"]
    assert [ln.speaker for ln in t.lines] == ["Hana", "tall boy"]
    assert t.faces[0].box == (120, 360, 360, 720)  # 0-1000 scaled to the 1200x1800 page
    assert max(t.faces[0].emotions, key=t.faces[0].emotions.get) == "happiness"


def transcripts(n: int) -> list[PageTranscript]:
    return [PageTranscript(index=i, lines=[Line(i, "Hana", f"talk {i}")]) for i in range(n)]


def test_long_books_use_overlapping_windows_merged(fake):
    book = plain_book(100, size=(80, 60))
    backend = OpenAIText(config(fake.base_url, scene_window=40, scene_overlap=8))
    result = backend.scenes(book, transcripts(100), NEVER)
    users = [r["body"]["messages"][1]["content"] for r in fake.requests]
    assert [u.splitlines()[0] for u in users] == [
        "The transcript of pages 0 to 39:",
        "The transcript of pages 32 to 71:",
        "The transcript of pages 64 to 99:",
    ]
    assert result.starts == list(range(0, 100, 6))
    assert result.reasons[12] == "the place changes"
    assert not result.provisional


def test_provisional_scenes_over_the_first_pages(fake):
    backend = OpenAIText(config(fake.base_url))
    result = backend.scenes(plain_book(100, size=(80, 60)), transcripts(20), NEVER)
    assert result.provisional and result.starts == [0, 6, 12, 18]
    assert len(fake.requests) == 1
    assert "PAGE 3 Hana: talk 3" in fake.requests[0]["body"]["messages"][1]["content"]


def test_scene_start_outside_the_pages_is_retried(fake):
    fake.script.append(lambda body: '{"scenes": [{"start_page": 500, "reason": "x"}]}')
    backend = OpenAIText(config(fake.base_url))
    result = backend.scenes(plain_book(10, size=(80, 60)), transcripts(10), NEVER)
    assert result.starts == [0, 6]
    assert (
        "start_page 500 is not one of the pages 0 to 9"
        in fake.requests[1]["body"]["messages"][-1]["content"]
    )


def test_offline_refuses_to_start_without_a_socket(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("a socket was opened in offline mode")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(BackendUnavailable) as info:
        OpenAIText(config("http://127.0.0.1:9/v1"), offline=True)
    assert str(info.value) == "The OpenAI backend is off in offline mode."
    # The estimate is offline too.
    assert estimate_tokens(plain_book(24), "scene")["calls"] > 0


def test_no_key_for_openai_is_one_clear_sentence():
    with pytest.raises(BackendUnavailable, match="no API key: set OPENAI_API_KEY"):
        OpenAIText(LLMConfig.from_env({}))


def test_estimate_matches_the_calls_of_a_run(fake):
    book = plain_book(24)
    estimate = estimate_tokens(book, "scene", config(fake.base_url), scene_pages=6)
    analyze(book, text=OpenAIText(config(fake.base_url)), store=MemoryStore())
    assert estimate["calls"] == len(fake.requests) == 53
    assert {k: v["calls"] for k, v in estimate["by_stage"].items()} == {
        "transcript": 24,
        "scenes": 1,
        "directive": 4,
        "caption": 24,
    }
    assert estimate["usd"] is None  # a local server costs no money
    priced = estimate_tokens(book, "scene", LLMConfig(model="gpt-4o-mini"))
    assert priced["usd"] is not None and 0 < priced["usd"] < 1
    annotated = estimate_tokens(three_scene_book(), "section")
    assert "transcript" not in annotated["by_stage"]
    assert annotated["by_stage"]["section_analysis"]["calls"] == 2


def test_usage_is_counted_per_stage_and_per_book(fake):
    backend = OpenAIText(config(fake.base_url))
    analyze(three_scene_book(), text=backend, store=MemoryStore())
    mark = backend.usage.snapshot()
    analyze(plain_book(6), text=backend, store=MemoryStore())
    second = backend.usage.since(mark)
    total = backend.cost
    assert total["calls"] == len(fake.requests)
    assert second["calls"] == 6 + 1 + 1 + 6  # transcripts, scenes, one scene, captions
    assert second["by_stage"]["transcript"]["calls"] == 6
    assert total["by_stage"]["caption"]["calls"] == 12 + 6
    assert total["prompt_tokens"] == sum(
        len(json.dumps(r["body"]["messages"])) // 4 for r in fake.requests
    )


def test_settings_key_follows_model_and_prompt_files(fake, tmp_path):
    import shutil

    from m2m_reader.engine.llm.prompts import prompts_dir

    shutil.copytree(prompts_dir(), tmp_path / "p")
    base = OpenAIText(config(fake.base_url), prompts_folder=tmp_path / "p").settings_key()
    other_model = OpenAIText(
        config(fake.base_url).with_(model="other"), prompts_folder=tmp_path / "p"
    )
    assert other_model.settings_key() != base
    caption = tmp_path / "p" / "caption.md"
    caption.write_text(caption.read_text() + "\nPlease be brief.\n")
    edited = OpenAIText(config(fake.base_url), prompts_folder=tmp_path / "p").settings_key()
    assert edited != base
    assert KEY not in base and "SECRET" not in edited
