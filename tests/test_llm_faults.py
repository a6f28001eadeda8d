"""A broken LLM endpoint costs seconds, not minutes: the time budget per request, the
circuit breaker, size-capped and checked HTTP answers, one message per kind of failure,
the concurrency limit really used — against the local fake server through the real
`openai` client, and through the `m2m-reader analyze` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from m2m_reader.engine.analysis.emotions import neutral_profile
from m2m_reader.engine.analysis.pipeline import analyze
from m2m_reader.engine.analysis.records import Line, PageInput, SceneInput
from m2m_reader.engine.backends.choice import make_text
from m2m_reader.engine.books import open_book
from m2m_reader.engine.core.cancel import NEVER
from m2m_reader.engine.core.errors import BackendUnavailable, M2MError
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.core.store import MemoryStore
from m2m_reader.engine.llm import LLMConfig, OpenAIText
from m2m_reader.engine.llm import client as client_mod
from m2m_reader.engine.llm.client import EndpointDown, LLMError
from tests.bookfactory import PageSpec, make_book
from tests.fake_openai import FakeOpenAI
from tests.ui_support import ui_dirs  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "annotations" / "HaruNoMelody.xml"
KEY = "sk-test-SECRET-0123456789"


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        yield server


def make_backend(base_url: str, **kw) -> OpenAIText:
    settings = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 5.0, **kw}
    return OpenAIText(LLMConfig(model="m", base_url=base_url, api_key=KEY, **settings))


def scene() -> SceneInput:
    lines = [Line(p, "Hana", f"line on page {p}") for p in range(3)]
    return SceneInput(index=0, first_page=0, last_page=2, lines=lines, emotions=neutral_profile())


def page_input() -> PageInput:
    s = scene()
    return PageInput(1, s, s.lines[1:2], neutral_profile(), "soft piano")


# -- one request ---------------------------------------------------------------------


def test_a_hung_endpoint_costs_one_timeout_per_request_then_none(fake):
    fake.fault = "hang"
    backend = make_backend(fake.base_url, timeout=0.5, max_retries=3)
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"no answer within 0.5 s") as first:
        backend.directive(scene(), NEVER)
    assert first.value.kind == "timeout"
    assert time.monotonic() - started < 1.5  # not one timeout per retry
    assert len(fake.requests) == 1
    with pytest.raises(EndpointDown, match="failed 2 times in a row .no answer within 0.5 s"):
        backend.caption(page_input(), NEVER)  # the second timeout opens the breaker
    started = time.monotonic()
    with pytest.raises(EndpointDown):
        backend.caption(page_input(), NEVER)
    assert time.monotonic() - started < 0.1 and len(fake.requests) == 2  # nothing sent


def test_the_timeout_bounds_retries_and_their_waits(fake):
    fake.fault = "drop"
    # Waits are 0.5-1 s (jitter): each is longer than the whole budget, so no retry goes
    # out (with 0.6 s one sometimes did, with too little time left, and timed out).
    backend = make_backend(
        fake.base_url, timeout=0.4, max_retries=5, backoff_base=1.0, backoff_max=1.0
    )
    started = time.monotonic()
    with pytest.raises(LLMError, match="the connection broke") as info:
        backend.directive(scene(), NEVER)
    assert time.monotonic() - started < 1.2  # five retries with 1 s waits would take 30 s
    assert info.value.kind == "connection" and 1 <= len(fake.requests) <= 2


@pytest.mark.parametrize(
    "fault, kind, runs",
    [("drop", "connection", 3), (500, "server", 3), (429, "rate", 4), ("garbage", "body", 3)]
    + [("huge", "body", 3), ("huge_stream", "body", 3)],
)
def test_each_fault_opens_the_breaker_after_a_short_run(fake, fault, kind, runs):
    fake.fault = fault
    backend = make_backend(fake.base_url, max_retries=3)
    with pytest.raises(EndpointDown) as info:
        backend.directive(scene(), NEVER)  # one request: its retries are the run
    assert f"failed {runs} times in a row" in str(info.value)
    assert len(fake.requests) == runs
    for _ in range(5):  # then nothing more is sent, and each says the same sentence
        with pytest.raises(EndpointDown) as again:
            backend.caption(page_input(), NEVER)
        assert str(again.value) == str(info.value)
    assert len(fake.requests) == runs
    assert backend.cost["by_stage"]["directive"]["failures"] == 1


@pytest.mark.parametrize(
    "body, why",
    [
        (b"<html><body>502 Bad Gateway</body></html>", "not JSON"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        (b'{"choices": [{"message": {"content": "trunc', "not JSON"),
        (b'{"hello": "world"}', "not a chat completion"),
        (b'{"error": {"message": "overloaded"}}', "not a chat completion"),
        (b'{"choices": "none"}', "not a chat completion"),
        (b"[1, 2, 3]", "not a chat completion"),
        (b'{"choices": [{"message": {"content": {"caption": "x"}}}]}', "content is not text"),
    ],
)
def test_a_malformed_http_body_is_a_failure_never_a_traceback(fake, body, why):
    fake.script.append(body)
    backend = make_backend(fake.base_url, max_retries=0)
    with pytest.raises(LLMError, match=why) as info:
        backend.directive(scene(), NEVER)
    assert info.value.kind == "body"
    assert backend.directive(scene(), NEVER).startswith("Directive:")  # one is not a run


def test_a_5_mb_answer_is_refused_without_reading_it_all(fake):
    fake.script.extend(["huge_stream"])
    backend = make_backend(fake.base_url, max_retries=0, max_answer_bytes=200_000)
    with pytest.raises(LLMError, match="over the 0.2 MB allowed"):
        backend.caption(page_input(), NEVER)
    fake.script.append("huge")
    with pytest.raises(LLMError, match="an answer of 5.0 MB, over the 0.2 MB allowed"):
        backend.caption(page_input(), NEVER)
    assert backend.caption(page_input(), NEVER).startswith("Page1:")


def test_answers_that_break_the_schema_three_records_running_open_it(fake):
    fake.fault = "malformed"  # the model answers, but never JSON
    backend = make_backend(fake.base_url)
    for _ in range(2):
        with pytest.raises(LLMError, match="invalid twice"):
            backend.caption(page_input(), NEVER)
    with pytest.raises(EndpointDown, match="answers that broke the schema"):
        backend.caption(page_input(), NEVER)
    assert len(fake.requests) == 6
    fake.fault = None  # a valid answer between invalid ones clears the run
    backend = make_backend(fake.base_url)
    fake.script.extend(["malformed"] * 4 + ["good"] + ["malformed"] * 4)
    for expect in (LLMError, LLMError, None, LLMError, LLMError):
        if expect is None:
            assert backend.caption(page_input(), NEVER).startswith("Page1:")
        else:
            with pytest.raises(expect):
                backend.caption(page_input(), NEVER)


def test_a_long_lived_engine_tries_again_after_the_cool_down(fake):
    fake.fault = 500
    backend = make_backend(fake.base_url, down_cooldown=0.3)
    with pytest.raises(EndpointDown, match="asked again in 0.3 s"):
        backend.directive(scene(), NEVER)
    sent = len(fake.requests)
    time.sleep(0.35)
    with pytest.raises(EndpointDown):  # half-open: one trial request, it fails, open again
        backend.directive(scene(), NEVER)
    assert len(fake.requests) == sent + 1
    with pytest.raises(EndpointDown):
        backend.directive(scene(), NEVER)
    assert len(fake.requests) == sent + 1
    fake.fault = None  # the server is back
    time.sleep(0.35)
    assert backend.directive(scene(), NEVER).startswith("Directive:")
    assert backend.caption(page_input(), NEVER).startswith("Page1:")  # closed again


def test_a_whole_run_keeps_an_open_breaker_open(fake):
    fake.fault = 500
    backend = make_backend(fake.base_url, down_cooldown=0.1)
    with backend.whole_run():
        with pytest.raises(EndpointDown, match="not asked again in this run"):
            backend.directive(scene(), NEVER)
        sent = len(fake.requests)
        fake.fault = None
        time.sleep(0.2)
        with pytest.raises(EndpointDown):
            backend.directive(scene(), NEVER)
        assert len(fake.requests) == sent
    assert backend.directive(scene(), NEVER).startswith("Directive:")  # after the run


# -- a whole book ----------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["hang", "drop", 500, 429, "garbage", "huge"])
def test_a_broken_endpoint_costs_the_sample_book_seconds(fake, fault):
    fake.fault = fault
    timeout = 1.0
    told: list[tuple[str, str]] = []
    book = open_book(SAMPLE)
    backend = make_backend(fake.base_url, timeout=timeout, backoff_base=0.05, backoff_max=0.2)
    started = time.monotonic()
    with book:
        result = analyze(
            book,
            text=backend,
            store=MemoryStore(),
            on_fallback=lambda stage, b, msg: told.append((stage, msg)),
        )
    elapsed = time.monotonic() - started
    pages = [p for s in result.scenes for p in s.pages]
    assert len(pages) == len(book) == 24
    assert all(p.caption and p.backends["caption"] == "builtin" for p in pages)
    assert len(fake.requests) <= 10
    if fault == "hang":  # the book-wide scenes call, then the directives at once
        assert elapsed < 2 * timeout + 5
        assert len(told) == 2 and "no answer within 1 s" in told[0][1]
    else:
        assert elapsed < 8
        assert len(told) == 1  # one message for the whole book
    assert "the built-in stage takes over" in told[-1][1]
    assert "not asked again in this run" in told[-1][1]


def test_the_reader_asks_a_failing_endpoint_again_after_the_cool_down(fake, tmp_path):
    from m2m_reader.engine.core import events as ev
    from m2m_reader.engine.core.cache import DiskCache
    from tests.bookfactory import three_scene_book
    from tests.test_engine_doubles import make_engine

    fake.fault = 500
    events: list = []
    backend = make_backend(fake.base_url, down_cooldown=0.5)
    engine = make_engine(text=backend, events=events, store=DiskCache(tmp_path, limit_mb=0))
    book = three_scene_book()
    try:
        engine.open(book)
        assert engine.prepare_all() == len(book) and engine.wait_idle(30)
        captions = {p.backends["caption"] for s in engine.analysis().scenes for p in s.pages}
        assert captions == {"builtin"}  # every page captioned all the same
        assert len(fake.requests) <= 6
        told = [e for e in events if isinstance(e, ev.BackendFallback) and e.stage != "music"]
        assert len(told) == 1 and "asked again in 0.5 s" in told[0].message
        fake.fault = None  # the server is back; after the cool-down the reader asks again
        time.sleep(0.6)
        engine.open(book)
        assert engine.prepare_all() == len(book) and engine.wait_idle(30)
        captions = {p.backends["caption"] for s in engine.analysis().scenes for p in s.pages}
        assert captions == {"openai"}
    finally:
        engine.close()


def test_the_concurrency_limit_is_what_a_run_uses(fake):
    fake.delay = 0.15
    book = make_book([PageSpec() for _ in range(12)], size=(200, 150))  # no annotations
    started = time.monotonic()
    result = analyze(book, text=make_backend(fake.base_url, concurrency=4), store=MemoryStore())
    elapsed = time.monotonic() - started
    assert fake.max_in_flight == 4  # four at once, never more
    n = len(fake.requests)
    assert n == 12 + 1 + len(result.scenes) + 12
    assert elapsed < n * 0.15 * 0.75  # one at a time takes n * 0.15 s at least
    assert [p.caption.split()[0] for s in result.scenes for p in s.pages] == [
        f"Page{i}:" for i in range(12)
    ]  # answers land on their own pages, in order


def test_one_at_a_time_when_the_limit_is_one(fake):
    fake.delay = 0.05
    analyze(make_book([PageSpec() for _ in range(6)], size=(200, 150)),
            text=make_backend(fake.base_url, concurrency=1), store=MemoryStore())  # fmt: skip
    assert fake.max_in_flight == 1


# -- settings and the command line -------------------------------------------------------


def test_the_llm_timeout_setting_reaches_the_backend(fake):
    told = []
    s = Settings(text="openai", llm_base_url=fake.base_url, llm_timeout=2.5)
    backend = make_text(s, lambda *a: told.append(a))
    assert isinstance(backend, OpenAIText) and backend.config.timeout == 2.5
    assert Settings().llm_timeout == 60.0
    with pytest.raises(BackendUnavailable, match="must be a number of seconds above 0"):
        LLMConfig(base_url=fake.base_url, timeout=0)
    assert told == []


def cli(args: list[str], env: dict[str, str], tmp: Path) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")},
        "M2M_READER_CONFIG_DIR": str(tmp / "config"),
        "M2M_READER_CACHE_DIR": str(tmp / "cache"),
        "M2M_READER_DATA_DIR": str(tmp / "data"),
        **env,
    }
    cmd = [sys.executable, "-m", "m2m_reader.cli", *args]
    return subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_analyze_with_llm_timeout_against_a_hung_server(fake, tmp_path):
    fake.fault = "hang"
    out = tmp_path / "analysis.json"
    started = time.monotonic()
    run = cli(
        ["analyze", str(SAMPLE), "--llm", "openai", "--llm-timeout", "1", "-o", str(out)],
        {"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": KEY},
        tmp_path,
    )
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stderr
    assert elapsed < 15 and len(fake.requests) <= 10
    assert "Traceback" not in run.stderr
    warnings = [ln for ln in run.stderr.splitlines() if ln.startswith(("m2m-reader:", "WARNING"))]
    assert len(warnings) == 2, run.stderr  # the first timeout, then the breaker: once each
    # The breaker's line says the built-in stage makes the rest, not just "that record".
    assert "takes over" in warnings[-1] and "made that record" not in warnings[-1], warnings
    pages = [p for s in json.loads(out.read_text())["scenes"] for p in s["pages"]]
    assert len(pages) == 24 and all(p["caption"] for p in pages)


def test_llm_timeout_must_be_seconds(tmp_path):
    run = cli(["analyze", str(SAMPLE), "--llm-timeout", "0"], {}, tmp_path)
    assert run.returncode == 2
    assert "--llm-timeout: must be more than 0 seconds, not 0" in run.stderr
    run = cli(["analyze", str(SAMPLE), "--llm-timeout", "soon"], {}, tmp_path)
    assert run.returncode == 2 and "'soon' is not a number of seconds" in run.stderr


def test_every_fault_still_raises_only_m2m_errors(fake):
    """A broken server never makes the backend raise anything the pipeline would not
    catch (the pipeline falls back on M2MError only)."""
    backend = make_backend(fake.base_url, max_retries=1, breaker_runs=100, breaker_timeouts=100)
    faults = ["drop", 500, 502, 408, "garbage", "huge", b"{}", b"null", b'{"choices": [1]}', 429]
    for fault in faults:
        fake.script.extend([fault, fault])
        with pytest.raises(M2MError):
            backend.caption(page_input(), NEVER)


def test_the_settings_dialog_sets_the_llm_timeout(qtbot, ui_dirs):  # noqa: F811
    from m2m_reader.ui.bridge import EngineBridge
    from m2m_reader.ui.settings_dialog import SettingsDialog

    settings = Settings(llm_timeout=2.56)
    dialog = SettingsDialog(settings, EngineBridge(None, settings))
    qtbot.addWidget(dialog)
    assert dialog.llm_timeout.text() == "2.6 s"
    assert dialog.values()["llm_timeout"] == 2.56  # shown rounded, kept as it was
    dialog.llm_timeout.setValue(12)
    assert dialog.values()["llm_timeout"] == 12.0


def test_an_unexpected_error_reading_an_answer_is_a_failure(fake, monkeypatch):
    backend = make_backend(fake.base_url, max_retries=0)

    def broken(*args, **kwargs):
        raise ValueError(f"bad header in {fake.base_url}?api_key={KEY}")

    monkeypatch.setattr(client_mod, "read_body", broken)  # the body cannot be read
    with pytest.raises(LLMError, match=r"could not be read \(ValueError\)") as info:
        backend.caption(page_input(), NEVER)
    assert info.value.kind == "body" and KEY not in str(info.value)
