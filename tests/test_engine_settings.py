"""Settings reach a running engine: the offline switch at once (no connection after it
is on), and a backend change redoes only what that backend made."""

from __future__ import annotations

import socket
from collections import Counter

import pytest
from bookfactory import PageSpec, make_book, three_scene_book
from fake_openai import FakeOpenAI
from test_engine_doubles import FakeMusic, RecordingMixer, make_engine, wait_for

from m2m_reader.engine.core import events as ev
from m2m_reader.engine.core import offline
from m2m_reader.engine.core.settings import Settings


def small_book(word: str, pages: int = 4):
    """A book of its own content (its own fingerprint): two scenes of `pages // 2`."""
    half = pages // 2
    calm = [PageSpec([("a", f"Good morning, {word}. Tea?"), ("b", "Thanks.")], tone=230)] * half
    run = [PageSpec([("c", f"Run, {word}! Hurry!!"), ("d", "Help!")], tone=60)] * (pages - half)
    return make_book(calm + run, names={"a": "Hana", "b": "Kenta", "c": "Rui", "d": "Mio"})


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def connects(monkeypatch, server):
    """Every connection this process tries to the fake server (before offline mode's
    guard could refuse it)."""
    port = int(server.base_url.rsplit(":", 1)[1].split("/")[0])
    tried = []
    real = socket.socket.connect

    def connect(self, address):
        if isinstance(address, tuple) and address[1:2] == (port,):
            tried.append(address)
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return tried


def captions_by(engine) -> set[str]:
    analysis = engine.analysis()
    return {p.backends.get("caption", "") for s in analysis.scenes for p in s.pages}


def read_all(engine, book) -> None:
    engine.open(book)
    assert engine.prepare_all() == len(book)
    assert engine.wait_idle(30)


def test_the_offline_switch_stops_every_connection_at_once(server, connects):
    settings = Settings(text="openai", llm_base_url=server.base_url)
    events: list = []
    engine = make_engine(events=events, settings=settings)
    try:
        read_all(engine, small_book("online"))
        assert server.requests and connects  # online, the LLM writes the captions
        assert captions_by(engine) == {"openai"}

        settings.offline = True  # as the switch in the reader does
        assert offline.is_offline()  # on before the assignment returns
        requests, tried = len(server.requests), len(connects)
        read_all(engine, small_book("offline"))  # a book the LLM has never seen
        engine.edit_directive(0, 1, "Rain on a window, a lone cello")
        assert engine.prepare_all() == 4 and engine.wait_idle(30)
        assert len(connects) == tried and len(server.requests) == requests
        assert captions_by(engine) == {"builtin"}

        settings.offline = False  # and back: the LLM again, for a new book
        assert not offline.is_offline()
        read_all(engine, small_book("back online"))
        assert len(server.requests) > requests and captions_by(engine) == {"openai"}
    finally:
        engine.close()
    assert not offline.is_offline()
    assert not [e for e in events if isinstance(e, ev.EngineError)]
    assert "sk-test-not-a-key" not in repr(events)


def test_an_llm_change_redoes_directives_and_captions_not_emotions(server):
    settings = Settings()
    music = FakeMusic()
    engine = make_engine(music=music, settings=settings)
    try:
        read_all(engine, three_scene_book())
        before = Counter(engine.analyzer.computed)
        emotions = [p.emotions for s in engine.analysis().scenes for p in s.pages]
        made = len(music.calls)
        assert captions_by(engine) == {"builtin"} and not server.requests

        settings.update({"text": "openai", "llm_base_url": server.base_url})
        assert engine.prepare_all() == 12 and engine.wait_idle(30)
        after = engine.analyzer.computed
        assert captions_by(engine) == {"openai"}
        assert {s.pages[0].backends["caption"] for s in engine.analysis().scenes} == {"openai"}
        # Every page captioned again (a few twice: the LLM's provisional scenes move).
        assert after["caption"] >= before["caption"] + 12
        assert server.stages().count("caption") == after["caption"] - before["caption"]
        assert after["directive"] > before["directive"]
        # The book's annotations give the transcripts; emotions are read from them, so
        # neither is made again, and they are the same.
        for stage in ("transcript", "emotions", "stats"):
            assert after[stage] == before[stage], stage
        assert [p.emotions for s in engine.analysis().scenes for p in s.pages] == emotions
        assert len(music.calls) >= made + 12  # new captions, new music
        made = len(music.calls)

        # Back to the built-in stages: their records and cues are all in the store.
        requests, computed = len(server.requests), sum(after.values())
        settings.text = "builtin"
        assert engine.prepare_all() == 12 and engine.wait_idle(30)
        assert captions_by(engine) == {"builtin"}
        assert sum(engine.analyzer.computed.values()) == computed
        assert len(music.calls) == made and len(server.requests) == requests
    finally:
        engine.close()


def test_a_music_change_redoes_the_cues_not_the_analysis():
    settings = Settings()
    fake = FakeMusic()
    engine = make_engine(music=fake, settings=settings)
    mixer = RecordingMixer()
    engine.attach_mixer(mixer)
    try:
        read_all(engine, small_book("music", pages=2))  # the composer takes a while
        before = Counter(engine.analyzer.computed)
        captions = [p.caption for s in engine.analysis().scenes for p in s.pages]
        assert {c.backend for c in mixer.cues.values()} == {"fake"}
        made = len(fake.calls)

        # The built-in composer with its own synthesiser (no such SoundFont).
        settings.soundfont = "/no/such/font.sf2"
        assert engine.prepare_all() == 2 and engine.wait_idle(60)
        assert engine.music.name == "composer"
        assert engine.analyzer.computed == before  # nothing of the analysis again
        assert [p.caption for s in engine.analysis().scenes for p in s.pages] == captions
        assert {engine.cue(p).backend for p in range(2)} == {"composer"}
        assert {c.backend for c in mixer.cues.values()} == {"composer"}
        assert len(fake.calls) == made  # the old backend made no more

        # A setting the composer does not use rebuilds nothing.
        composer = engine.music
        settings.musicgen_model = "medium"
        assert engine.settings_applied(10) and engine.music is composer
    finally:
        engine.close()


def test_a_backend_that_cannot_start_is_one_fallback_and_the_book_still_reads():
    settings = Settings()
    events: list = []
    engine = make_engine(events=events, settings=settings)
    try:
        read_all(engine, small_book("no key"))
        settings.text = "openai"  # no key, no server: the built-in stages stay
        assert engine.prepare_all() == 4 and engine.wait_idle(30)
    finally:
        engine.close()
    fallbacks = [e for e in events if isinstance(e, ev.BackendFallback)]
    assert [(e.stage, e.backend, e.fallback) for e in fallbacks] == [("text", "openai", "builtin")]
    assert fallbacks[0].message.endswith(".") and "\n" not in fallbacks[0].message
    assert not [e for e in events if isinstance(e, ev.EngineError)]


class FearfulEmotions:
    """An emotion backend other than the built-in one: every face afraid."""

    name = "fearful"

    def settings_key(self) -> str:
        return "fearful-1"

    def page_emotions(self, book, transcript, cancel):
        from m2m_reader.engine.analysis.emotions import normalise
        from m2m_reader.engine.analysis.records import PageEmotions

        return PageEmotions(profile=normalise({"fear": 0.9, "neutral": 0.1}))


def test_an_emotion_change_redoes_emotions_and_what_follows_not_transcripts(monkeypatch):
    from m2m_reader.engine.session import replan

    built = []
    monkeypatch.setattr(
        replan, "make_emotions", lambda s, f: built.append(s.emotions) or FearfulEmotions()
    )
    settings = Settings()
    engine = make_engine(settings=settings)
    try:
        read_all(engine, three_scene_book())
        before = Counter(engine.analyzer.computed)
        settings.emotions = "clip"  # built by the stand-in above
        assert engine.prepare_all() == 12 and engine.wait_idle(30)
        after = engine.analyzer.computed
        assert built == ["clip"]
        assert after["emotions"] == before["emotions"] + 12
        assert after["transcript"] == before["transcript"] and after["stats"] == before["stats"]
        assert after["caption"] >= before["caption"] + 12  # captions are written from emotions
        pages = [p for s in engine.analysis().scenes for p in s.pages]
        assert {p.backends["emotions"] for p in pages} == {"fearful"}
        assert all(max(p.emotions, key=p.emotions.get) == "fear" for p in pages)
    finally:
        engine.close()


def test_settings_a_backend_does_not_use_rebuild_nothing_and_the_cache_limit_moves():
    settings = Settings()
    engine = make_engine(settings=settings)
    try:
        read_all(engine, small_book("idle"))
        text, before = engine.text, Counter(engine.analyzer.computed)
        ready = engine.ready_pages()
        settings.update({"llm_model": "another-model", "llm_base_url": "http://127.0.0.1:9/v1"})
        settings.cache_limit_mb = 64
        assert engine.wait_idle(30)
        assert engine.text is text and engine.ready_pages() == ready
        assert engine.analyzer.computed == before
        assert engine.store.limit_bytes == 64 * 1024 * 1024
    finally:
        engine.close()


def offline_connections(monkeypatch) -> list:
    """The addresses of the connections made while offline mode is on, from now on."""
    made: list = []
    real = socket.socket.connect

    def connect(sock, address):
        offline_now = offline.is_offline()
        real(sock, address)
        if offline_now:
            made.append(address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return made


def test_work_in_flight_when_offline_goes_on_opens_no_connection(server, monkeypatch):
    server.delay = 0.2  # every answer takes a while: requests are in flight at the switch
    made = offline_connections(monkeypatch)
    settings = Settings(text="openai", llm_base_url=server.base_url)
    events: list = []
    engine = make_engine(events=events, settings=settings)
    try:
        engine.open(three_scene_book())
        assert wait_for(lambda: server.in_flight > 0, 10)
        settings.offline = True
        assert engine.prepare_all() == 12 and engine.wait_idle(30)
        assert captions_by(engine) == {"builtin"}
    finally:
        engine.close()
    assert made == []
    assert not [e for e in events if isinstance(e, ev.EngineError)]
