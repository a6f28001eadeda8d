"""The settings dialog and the offline switch, through the bridge, against the real
engine (the headless builder: built-in analysis, quick music): what the person sets
reaches the running engine."""

from __future__ import annotations

import pytest
from fake_openai import FakeOpenAI
from PySide6.QtCore import Qt
from test_engine_doubles import make_engine
from test_engine_settings import offline_connections, small_book
from ui_support import ui_dirs  # noqa: F401

from m2m_reader.engine.core import offline
from m2m_reader.engine.core.settings import Settings
from m2m_reader.ui.bridge import EngineBridge
from m2m_reader.ui.controls import PlayerControls
from m2m_reader.ui.settings_dialog import SettingsDialog


@pytest.fixture
def live(qtbot, ui_dirs, monkeypatch):  # noqa: F811
    """A bridge with a real engine on a 4-page book, every page's music ready."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-key")
    settings = Settings()
    bridge = EngineBridge(None, settings)
    bridge.save_settings = False
    engine = make_engine(settings=settings, on_event=bridge.on_event)
    bridge.attach(engine)
    with qtbot.waitSignal(bridge.analysisChanged, timeout=10_000):
        bridge.open(small_book("bridge"))
    bridge.prepare_all()
    qtbot.waitUntil(lambda: bridge.ready_pages == {0, 1, 2, 3}, timeout=20_000)
    yield bridge, engine, settings
    bridge.close()
    assert engine._closed


def captions(analysis) -> set[str]:
    """Who wrote the captions (none while the scenes are being found again)."""
    scenes = analysis.scenes if analysis is not None else []
    return {p.backends.get("caption", "") for s in scenes for p in s.pages}


def test_the_dialog_changes_the_running_engines_text_stages(qtbot, live):
    bridge, engine, settings = live
    with FakeOpenAI() as server:
        dialog = SettingsDialog(settings, bridge)
        qtbot.addWidget(dialog)
        dialog.text.setCurrentIndex(dialog.text.findData("openai"))
        dialog.llm_base_url.setText(server.base_url)
        dialog.llm_model.setText("local-model")
        dialog.accept()
        bridge.wait_idle()
        assert engine.settings_applied(10)
        assert engine.text.name == "openai"
        # What the panel shows comes round again, captioned by the endpoint.
        seen = []
        bridge.analysisChanged.connect(lambda a: seen.append(a))
        bridge.prepare_all()
        qtbot.waitUntil(lambda: bool(seen) and captions(seen[-1]) == {"openai"}, timeout=20_000)
        assert {r["body"]["model"] for r in server.requests} == {"local-model"}
        qtbot.waitUntil(lambda: bridge.ready_pages == {0, 1, 2, 3}, timeout=20_000)


def test_the_offline_switch_reaches_the_engine_and_no_connection_follows(qtbot, live, monkeypatch):
    bridge, engine, settings = live
    with FakeOpenAI() as server:
        bridge.update_settings({"text": "openai", "llm_base_url": server.base_url})
        bridge.wait_idle()
        assert engine.settings_applied(10) and engine.text.name == "openai"
        assert engine.prepare_all() == 4 and engine.wait_idle(30)
        assert captions(engine.analysis()) == {"openai"}

        made = offline_connections(monkeypatch)  # connections made while offline mode is on
        controls = PlayerControls(settings, bridge)
        qtbot.addWidget(controls)
        qtbot.mouseClick(controls.offline, Qt.MouseButton.LeftButton)
        bridge.wait_idle()
        assert settings.offline is True and offline.is_offline()
        assert engine.text.name == "builtin"  # before the switch's call returned
        requests = len(server.requests)
        # A new directive needs new captions: the built-in writer makes them now.
        bridge.edit_directive(2, 3, "A storm at sea, drums and low brass")
        bridge.wait_idle()
        bridge.prepare_all()
        qtbot.waitUntil(lambda: bridge.ready_pages >= {2, 3}, timeout=20_000)
        assert engine.prepare_all() == 4 and engine.wait_idle(30)
        assert made == [] and len(server.requests) == requests
        analysis = engine.analysis()
        assert captions(analysis) <= {"openai", "builtin"}
        assert {analysis.page(p).backends["caption"] for p in (2, 3)} == {"builtin"}
        assert analysis.scene_of(2).directive == "A storm at sea, drums and low brass"
