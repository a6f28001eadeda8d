"""The LLM client against a local chat-completions server, through the real `openai` client:
structured outputs, checks on arrival, retries, timeouts, a dead endpoint, concurrency."""

from __future__ import annotations

import threading
import time

import pytest

from m2m_reader.engine.analysis.emotions import neutral_profile
from m2m_reader.engine.analysis.records import Line, PageInput, SceneInput
from m2m_reader.engine.core.cancel import NEVER, CancelToken
from m2m_reader.engine.core.errors import BackendUnavailable, Cancelled, M2MError
from m2m_reader.engine.llm import LLMConfig, OpenAIText
from tests.fake_openai import FakeOpenAI, free_port, stage_of

KEY = "sk-test-SECRET-0123456789"


@pytest.fixture
def fake():
    with FakeOpenAI(slow_seconds=1.5) as server:
        yield server


def make_backend(base_url: str, **kw) -> OpenAIText:
    settings = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 5.0, **kw}
    return OpenAIText(LLMConfig(model="test-model", base_url=base_url, api_key=KEY, **settings))


def scene(first: int = 0, last: int = 2) -> SceneInput:
    lines = [Line(p, "Hana", f"line on page {p}") for p in range(first, last + 1)]
    return SceneInput(
        index=0, first_page=first, last_page=last, lines=lines, emotions=neutral_profile()
    )


def page_input(index: int = 1) -> PageInput:
    s = scene()
    return PageInput(
        index=index,
        scene=s,
        lines=s.lines[index : index + 1],
        emotions=neutral_profile(),
        directive="soft piano",
    )


def test_directive_request_carries_model_schema_and_key(fake):
    backend = make_backend(fake.base_url)
    text = backend.directive(scene(), NEVER)
    assert text.startswith("Directive:") and 24 <= len(text.split()) <= 60
    (req,) = fake.requests
    body = req["body"]
    assert body["model"] == "test-model"
    assert req["headers"]["authorization"] == f"Bearer {KEY}"
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["required"] == ["directive"] and schema["additionalProperties"] is False
    user = body["messages"][-1]["content"]
    assert "<dialogue>\nPAGE 0 Hana: line on page 0\nPAGE 1 Hana: line on page 1" in user
    assert "faces have: 100% neutral" in user
    assert backend.cost["by_stage"]["directive"]["calls"] == 1
    assert backend.cost["prompt_tokens"] > 0


def test_caption_prompt_has_directive_and_page(fake):
    backend = make_backend(fake.base_url)
    caption = backend.caption(page_input(1), NEVER)
    assert caption.startswith("Page1:")
    user = fake.requests[0]["body"]["messages"][-1]["content"]
    assert "<directive>\nsoft piano\n</directive>" in user
    assert user.rstrip().endswith("Generate a music description for page 1.")


@pytest.mark.parametrize("bad", ["malformed", "invalid", "short"])
def test_bad_answer_is_retried_once_with_the_error_shown(fake, bad):
    fake.script.extend([bad, "good"])
    backend = make_backend(fake.base_url)
    caption = backend.caption(page_input(), NEVER)
    assert caption.startswith("Page1:")
    assert len(fake.requests) == 2
    retry = fake.requests[1]["body"]["messages"]
    assert retry[-2]["role"] == "assistant"
    assert retry[-1]["role"] == "user" and "That answer is invalid" in retry[-1]["content"]
    expected = {
        "malformed": "not valid JSON",
        "invalid": "unexpected field",
        "short": "20 to 60 words",
    }
    assert expected[bad] in retry[-1]["content"]
    assert backend.cost["by_stage"]["caption"]["invalid"] == 1


def test_invalid_twice_raises_m2m_error(fake):
    fake.script.extend(["invalid", "malformed", "good"])
    backend = make_backend(fake.base_url)
    with pytest.raises(M2MError, match="invalid twice"):
        backend.directive(scene(), NEVER)
    assert len(fake.requests) == 2


@pytest.mark.parametrize("status", [429, 500])
def test_transient_status_is_retried_with_backoff(fake, status):
    fake.script.extend([status, "good"])
    backend = make_backend(fake.base_url)
    assert backend.directive(scene(), NEVER).startswith("Directive:")
    assert len(fake.requests) == 2
    assert backend.cost["by_stage"]["directive"]["retries"] == 1


def test_retries_are_bounded(fake):
    fake.script.extend([500] * 10)
    backend = make_backend(fake.base_url, max_retries=2)
    with pytest.raises(M2MError, match="3 times"):
        backend.directive(scene(), NEVER)
    assert len(fake.requests) == 3


def test_slow_answer_times_out_within_the_budget(fake):
    fake.script.extend(["slow", "good"])
    backend = make_backend(fake.base_url, timeout=0.4)
    started = time.monotonic()
    with pytest.raises(M2MError, match="no answer within 0.4 s"):
        backend.directive(scene(), NEVER)
    assert time.monotonic() - started < 1.2  # did not wait for the slow answer
    assert len(fake.requests) == 1  # the timeout is the whole request's, retries included
    assert backend.directive(scene(), NEVER).startswith("Directive:")  # the next one is fine


def test_unknown_model_and_refused_key_are_unavailable(fake):
    backend = make_backend(fake.base_url)
    fake.script.append(404)
    with pytest.raises(BackendUnavailable, match="no model 'test-model'"):
        backend.directive(scene(), NEVER)
    fake.script.append(401)
    with pytest.raises(BackendUnavailable, match="refused the API key"):
        backend.directive(scene(), NEVER)


def test_server_without_json_schema_gets_json_mode(fake):
    fake.script.append("no_schema")
    backend = make_backend(fake.base_url)
    assert backend.directive(scene(), NEVER).startswith("Directive:")
    assert backend.caption(page_input(), NEVER).startswith("Page1:")
    formats = [r["body"]["response_format"]["type"] for r in fake.requests]
    assert formats == ["json_schema", "json_object", "json_object"]
    system = fake.requests[1]["body"]["messages"][0]["content"]
    assert '"required":["directive"]' in system  # the schema is in the prompt too


def test_endpoint_down_fails_fast_and_stays_down():
    backend = make_backend(f"http://127.0.0.1:{free_port()}/v1", max_retries=5, backoff_base=1.0)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match="cannot be reached"):
        backend.directive(scene(), NEVER)
    first = time.monotonic() - started
    with pytest.raises(BackendUnavailable, match="cannot be reached"):
        backend.caption(page_input(), NEVER)
    assert first < 1.0  # no backoff on a refused connection
    assert backend.cost["calls"] == 0


def test_concurrency_is_bounded(fake):
    fake.delay = 0.2
    backend = make_backend(fake.base_url, concurrency=2)
    threads = [threading.Thread(target=backend.directive, args=(scene(), NEVER)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(fake.requests) == 6
    assert fake.max_in_flight == 2


def test_cancelled_token_sends_nothing(fake):
    token = CancelToken()
    token.cancel("jumped away")
    backend = make_backend(fake.base_url)
    with pytest.raises(Cancelled):
        backend.directive(scene(), token)
    assert fake.requests == []


def test_cancel_during_backoff_stops_retrying(fake):
    fake.script.extend([500] * 5)
    backend = make_backend(fake.base_url, backoff_base=5.0, backoff_max=5.0)
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        backend.directive(scene(), token)
    assert time.monotonic() - started < 2.0
    assert len(fake.requests) == 1


def test_section_runs_both_stages(fake):
    backend = make_backend(fake.base_url)

    class NoImages:
        def image(self, index):
            from m2m_reader.engine.core.errors import PageError

            raise PageError(f"page {index} is damaged")

    analysis, music = backend.section(NoImages(), scene(0, 5), NEVER)  # type: ignore[arg-type]
    assert analysis.startswith("genre: drama; atmosphere: quiet tension; focus: dialogue")
    assert music.startswith("Section:")
    assert [stage_of(r["body"]) for r in fake.requests] == ["section_analysis", "section_music"]
    assert "genre: drama" in fake.requests[1]["body"]["messages"][-1]["content"]


def test_section_genre_outside_the_list_is_rejected(fake):
    fake.script.extend(["invalid", "invalid"])
    backend = make_backend(fake.base_url)

    class Blank:
        def image(self, index):
            from PIL import Image

            return Image.new("L", (300, 400), 255)

    with pytest.raises(M2MError, match="genre must be one of"):
        backend.section(Blank(), scene(), NEVER)  # type: ignore[arg-type]
