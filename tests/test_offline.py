"""Offline mode opens no network connection: proved with a connect that fails the test."""

from __future__ import annotations

import os
import socket

import pytest
from bookfactory import three_scene_book
from test_engine_doubles import make_engine

from m2m_reader.engine.core import events as ev
from m2m_reader.engine.core import offline
from m2m_reader.engine.core.settings import Settings


@pytest.fixture
def no_connect(monkeypatch):
    attempts = []

    def connect(self, address):
        attempts.append(address)
        raise AssertionError(f"network connection attempted in offline mode: {address}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    return attempts


def test_a_book_read_offline_with_an_llm_configured_makes_no_connection(no_connect, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used")
    settings = Settings(text="openai", llm_base_url="http://127.0.0.1:9/v1", offline=True)
    events = []
    engine = make_engine(events=events, settings=settings)
    try:
        engine.open(three_scene_book())
        assert engine.prepare_all() == 12
        engine.set_cursor(5, "jump")
        assert engine.wait_idle(10)
    finally:
        engine.close()
    assert no_connect == []
    assert not [e for e in events if isinstance(e, ev.EngineError)]
    assert any(isinstance(e, ev.BackendFallback) and e.backend == "openai" for e in events)
    assert "sk-test-not-used" not in repr(events)


def test_the_guard_refuses_internet_connections_only_while_offline(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        with offline.offline():
            assert offline.is_offline()
            with pytest.raises(offline.OfflineViolation, match="127.0.0.1 was refused"):
                socket.create_connection(("127.0.0.1", port), timeout=2)
            assert os.environ["HF_HUB_OFFLINE"] == "1"
        assert not offline.is_offline()
        socket.create_connection(("127.0.0.1", port), timeout=2).close()  # online again
        # The model libraries may use the Hub again, as before.
        assert "HF_HUB_OFFLINE" not in os.environ and os.environ["TRANSFORMERS_OFFLINE"] == "0"
    finally:
        server.close()


def test_an_offline_engine_turns_the_guard_on_until_it_closes():
    engine = make_engine(settings=Settings(offline=True))
    assert offline.is_offline()
    engine.close()
    assert not offline.is_offline()
