"""The soundtrack side of the reader: the panel, edits that regenerate, the mood
timeline, the music controls, the offline switch, the settings dialog and messages."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QPoint, Qt
from ui_support import FakeEngine, make_book, ui_dirs  # noqa: F401

from m2m_reader.engine.core import events as ev
from m2m_reader.engine.core import settings as settings_io
from m2m_reader.engine.core.settings import Settings
from m2m_reader.ui.bridge import EngineBridge
from m2m_reader.ui.prefs import Prefs
from m2m_reader.ui.reader_window import ReaderWindow
from m2m_reader.ui.settings_dialog import SettingsDialog


@pytest.fixture
def reader(qtbot, tmp_path, ui_dirs):  # noqa: F811
    settings = Settings()
    bridge = EngineBridge(None, settings)
    bridge.save_settings = False
    bridge.engine = FakeEngine(settings, bridge.on_event)
    win = ReaderWindow(settings, bridge, Prefs(tmp_path / "ui.json"))
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    win.set_layout("single")
    win.set_book(make_book(12, "ltr"))
    qtbot.waitUntil(lambda: win.panel.analysis is not None)
    return win


def test_panel_shows_scene_emotions_directive_and_caption_with_backends(qtbot, reader):
    reader.go_to_page(5)
    panel = reader.panel
    assert "pages 5–8" in panel.scene_title.text()
    assert panel.directive.edit.toPlainText() == "directive 1"
    assert panel.directive.badge.text() == "builtin"
    assert panel.caption.edit.toPlainText() == "caption 5"
    assert "page 6" in panel.caption.title.text()
    assert panel.bars.profile["fear"] == pytest.approx(0.6)
    qtbot.waitUntil(lambda: "Page 6" in panel.now_playing.text())
    assert "composer" in panel.now_playing.text()


def test_editing_the_directive_regenerates_the_scene(qtbot, reader):
    box = reader.panel.directive
    assert not box.regenerate.isEnabled()
    box.edit.setPlainText("a slow cello lament")
    assert box.regenerate.isEnabled()
    qtbot.mouseClick(box.regenerate, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.badge.text() == "edited by you")
    assert ("edit_directive", 0, 3, "a slow cello lament") in reader.bridge.engine.calls
    assert box.edit.toPlainText() == "a slow cello lament"


def test_editing_a_caption_regenerates_the_page(qtbot, reader):
    reader.go_to_page(2)
    box = reader.panel.caption
    box.edit.setPlainText("quiet piano, rain")
    qtbot.mouseClick(box.regenerate, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.badge.text() == "edited by you")
    assert ("edit_caption", 2, "quiet piano, rain") in reader.bridge.engine.calls


def test_a_refresh_does_not_overwrite_text_being_edited(qtbot, reader):
    box = reader.panel.directive
    box.edit.setPlainText("half-typed")
    reader.bridge.on_event(ev.StageDone(stage="caption", key="k", backend="builtin", page=1))
    reader.bridge.refresh_analysis()
    reader.bridge.wait_idle()
    qtbot.wait(50)
    assert box.edit.toPlainText() == "half-typed"


def test_offline_switch_takes_effect_in_the_engine(qtbot, reader):
    engine = reader.bridge.engine
    qtbot.mouseClick(reader.controls.offline, Qt.MouseButton.LeftButton)
    reader.bridge.wait_idle()
    assert reader.settings.offline is True
    assert engine.offline_seen == [True]


def make_reader(qtbot, tmp_path, player):
    settings = Settings()
    bridge = EngineBridge(None, settings)
    bridge.save_settings = False
    bridge.engine = FakeEngine(settings, bridge.on_event, player=player)
    win = ReaderWindow(settings, bridge, Prefs(tmp_path / "ui.json"))
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    win.set_book(make_book(12, "ltr"))
    bridge.wait_idle()
    return win


def test_play_pause_volume_mute_crossfade_reach_the_player(qtbot, tmp_path, ui_dirs):  # noqa: F811
    reader = make_reader(qtbot, tmp_path, "sound")
    controls, player = reader.controls, reader.bridge.engine.player
    qtbot.waitUntil(lambda: controls.play.isChecked())  # the player says it plays
    assert "Pause" in controls.play.text()
    qtbot.mouseClick(controls.play, Qt.MouseButton.LeftButton)
    reader.bridge.wait_idle()
    assert player.paused and not controls.play.isChecked()
    qtbot.mouseClick(controls.play, Qt.MouseButton.LeftButton)
    for value in (10, 20, 30):  # a drag: the player hears the last value
        controls.volume.setValue(value)
    qtbot.mouseClick(controls.mute, Qt.MouseButton.LeftButton)
    controls.crossfade.setValue(3.0)
    qtbot.waitUntil(lambda: player.volume == pytest.approx(0.3))
    reader.bridge.wait_idle()
    names = reader.bridge.engine.names()
    assert [c for c in names if c in ("play", "pause")] == ["pause", "play"]
    assert names.count("set_volume") == 1
    assert player.muted is True and player.crossfade == pytest.approx(3.0)
    assert not player.paused and controls.play.isChecked()
    assert not reader.banner.isVisible()


def test_no_sound_device_keeps_controls_usable_and_says_music_is_off(qtbot, tmp_path, ui_dirs):  # noqa: F811
    reader = make_reader(qtbot, tmp_path, "silent")
    qtbot.waitUntil(lambda: reader.banner.isVisible())
    assert "Music is off" in reader.banner.text() and "no audio output" in reader.banner.text()
    assert "off" in reader.panel.now_playing.text()
    controls = reader.controls
    qtbot.mouseClick(controls.play, Qt.MouseButton.LeftButton)
    controls.volume.setValue(55)
    qtbot.waitUntil(lambda: reader.bridge.engine.player.volume == pytest.approx(0.55))
    assert controls.play.isEnabled() and controls.play.isChecked()  # the choice is kept
    qtbot.keyClick(reader, Qt.Key.Key_Right)  # reading goes on
    assert reader.current_pages() == (1,)


def test_the_real_live_player_without_a_device(qtbot, tmp_path, ui_dirs, monkeypatch):  # noqa: F811
    """The engine's LivePlayer on a device that is not there: a banner, and the volume
    still reaches the player's settings and mixer."""
    from m2m_reader.engine.audio.live import LivePlayer

    settings = Settings()
    bridge = EngineBridge(None, settings)
    bridge.save_settings = False
    engine = FakeEngine(settings, bridge.on_event)
    engine.attach_mixer = lambda mixer: None
    engine.player = LivePlayer(engine, settings, device="no such device m2m")
    assert engine.player.start() is False
    bridge.engine = engine
    win = ReaderWindow(settings, bridge, Prefs(tmp_path / "ui.json"))
    qtbot.addWidget(win)
    win.show()
    win.set_book(make_book(6, "ltr"))
    qtbot.waitUntil(lambda: win.banner.isVisible())
    assert "Music is off" in win.banner.text()
    win.controls.volume.setValue(25)
    qtbot.waitUntil(lambda: settings.volume == pytest.approx(0.25))
    qtbot.mouseClick(win.controls.play, Qt.MouseButton.LeftButton)  # no stream: no crash
    bridge.wait_idle()
    assert not bridge.engine.player.playing


def test_mood_timeline_shows_scenes_ready_pages_and_jumps_on_click(qtbot, reader):
    timeline = reader.timeline
    qtbot.waitUntil(lambda: len(timeline.scenes) == 3)
    assert [s[2] for s in timeline.scenes] == ["happiness", "fear", "sadness"]
    qtbot.waitUntil(lambda: 0 in timeline.ready)  # the fake engine readies the cursor's page
    x = int(timeline.width() * (9.5 / 12))
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(x, 20))
    assert reader.current_pages() == (9,)
    assert timeline.cursor_pages == (9,)


def test_mood_timeline_runs_right_to_left_for_manga(qtbot, reader):
    reader.set_direction("rtl")
    x = int(reader.timeline.width() * 0.05)  # the far left is the end of the book
    qtbot.mouseClick(reader.timeline, Qt.MouseButton.LeftButton, pos=QPoint(x, 20))
    assert reader.current_pages() == (11,)


def test_fallbacks_and_errors_show_without_blocking_reading(qtbot, reader):
    message = "The OpenAI endpoint is unreachable; the built-in writer took over."
    worker = threading.Thread(
        target=reader.bridge.on_event,
        args=(ev.BackendFallback("directive", "openai", "builtin", message),),
    )
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: reader.banner.isVisible())
    assert message in reader.banner.text()
    qtbot.keyClick(reader, Qt.Key.Key_Right)
    assert reader.current_pages() == (1,)
    reader.bridge.on_event(ev.EngineError("No audio device; playing silently."))
    qtbot.waitUntil(lambda: "No audio device" in reader.banner.text())


def test_progress_events_show_in_the_panel(qtbot, reader):
    reader.bridge.on_event(ev.Progress(3, 12, "soundtrack"))
    qtbot.waitUntil(lambda: reader.panel.progress.value() == 3)
    assert "3 of 12" in reader.panel.progress_label.text()


def test_settings_dialog_saves_backends_and_masks_the_key(qtbot, ui_dirs):  # noqa: F811
    settings = Settings()
    bridge = EngineBridge(None, settings)
    dialog = SettingsDialog(settings, bridge)
    qtbot.addWidget(dialog)
    assert dialog.llm_api_key.echoMode() == dialog.llm_api_key.EchoMode.Password
    dialog.text.setCurrentIndex(dialog.text.findData("openai"))
    dialog.llm_base_url.setText("http://localhost:11434/v1")
    dialog.llm_model.setText("llama3.1")
    dialog.llm_api_key.setText("sk-test-123")
    dialog.music.setCurrentIndex(dialog.music.findData("musicgen"))
    dialog.soundfont.setText("/usr/share/sounds/sf2/FluidR3_GM.sf2")
    dialog.cache_limit.setValue(512)
    dialog.accept()
    bridge.wait_idle()
    qtbot.waitUntil(lambda: settings_io.settings_path().exists(), timeout=3000)
    bridge.wait_idle()
    saved = settings_io.load()
    assert (saved.text, saved.llm_model, saved.music) == ("openai", "llama3.1", "musicgen")
    assert saved.llm_base_url == "http://localhost:11434/v1"
    assert saved.cache_limit_mb == 512
    assert saved.llm_api_key == "sk-test-123"


def test_settings_dialog_picks_the_sound_output(qtbot, ui_dirs, monkeypatch):  # noqa: F811
    from m2m_reader.engine.audio.devices import AudioUnavailable, OutputDevice
    from m2m_reader.ui import settings_dialog

    outputs = [
        OutputDevice(0, "default", "ALSA", 2, 48000.0, True),
        OutputDevice(5, "system", "JACK Audio Connection Kit", 2, 48000.0, False),
    ]
    monkeypatch.setattr(settings_dialog, "output_devices", lambda: outputs)
    settings = Settings()
    dialog = SettingsDialog(settings, EngineBridge(None, settings))
    qtbot.addWidget(dialog)
    box = dialog.audio_device
    items = [box.itemText(i) for i in range(box.count())]
    assert items == ["System default", "default (ALSA)  · default",
                     "system (JACK Audio Connection Kit)"]  # fmt: skip
    assert box.currentData() == "" and "audio_device" not in _changed(dialog, settings)
    box.setCurrentIndex(2)
    assert _changed(dialog, settings) == {"audio_device": "system (JACK Audio Connection Kit)"}

    # A saved output that is unplugged now stays chosen; with no PortAudio, the
    # default is offered and the tooltip says why.
    def no_sound():
        raise AudioUnavailable("No sound: the PortAudio library is missing")

    monkeypatch.setattr(settings_dialog, "output_devices", no_sound)
    unplugged = Settings(audio_device="USB headset (ALSA)")
    dialog = SettingsDialog(unplugged, EngineBridge(None, unplugged))
    qtbot.addWidget(dialog)
    box = dialog.audio_device
    assert box.currentText() == "USB headset (ALSA) (not found now)"
    assert "audio_device" not in _changed(dialog, unplugged)
    assert box.itemText(0) == "System default" and "PortAudio" in box.toolTip()


def _changed(dialog, settings):
    return {k: v for k, v in dialog.values().items() if getattr(settings, k) != v}


def test_settings_dialog_uses_the_environment_key(qtbot, ui_dirs, monkeypatch):  # noqa: F811
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    dialog = SettingsDialog(Settings(), EngineBridge(None, Settings()))
    qtbot.addWidget(dialog)
    assert not dialog.llm_api_key.isEnabled()
    assert "environment" in dialog.llm_api_key.placeholderText()
    assert "llm_api_key" not in dialog.values()


# The panel as a toggle, and status that tells the truth ----------------------------------
def test_s_and_the_button_bring_the_panel_back_after_it_is_closed(qtbot, reader):
    assert reader.dock.isVisible()
    reader.dock.close()  # the dock's own ✕
    assert not reader.dock.isVisible() and not reader.act_panel.isChecked()
    qtbot.keyClick(reader, Qt.Key.Key_S)
    qtbot.waitUntil(reader.dock.isVisible)
    qtbot.mouseClick(reader.bar.panel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not reader.dock.isVisible())
    qtbot.mouseClick(reader.bar.panel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(reader.dock.isVisible)


def test_the_panel_fits_the_default_window_without_scrolling(qtbot, tmp_path, ui_dirs):  # noqa: F811
    win = make_reader(qtbot, tmp_path, None)
    win.resize(1280, 860)
    qtbot.waitUntil(lambda: win.panel.analysis is not None)
    qtbot.wait(100)
    assert win.panel_scroll.verticalScrollBar().maximum() == 0
    assert win.panel.prepare.isVisible()
    bottom = win.panel.prepare.mapTo(win.panel_scroll.viewport(), QPoint(0, 0)).y()
    assert bottom + win.panel.prepare.height() <= win.panel_scroll.viewport().height()
    assert win.bar.panel_button.isVisible()  # the toolbar does not push its toggle out of sight


def test_no_note_when_nothing_can_be_heard(qtbot, tmp_path, ui_dirs):  # noqa: F811
    win = make_reader(qtbot, tmp_path, "silent")
    qtbot.waitUntil(lambda: win.sound.audio is not None)
    qtbot.keyClick(win, Qt.Key.Key_Right)
    win.bridge.wait_idle()
    qtbot.waitUntil(lambda: "Page 2" in win.panel.now_playing.text())
    assert "♪" not in win.panel.now_playing.text()
    assert "no sound device" in win.panel.now_playing.text()


def test_a_note_while_music_plays(qtbot, tmp_path, ui_dirs):  # noqa: F811
    win = make_reader(qtbot, tmp_path, "sound")
    qtbot.mouseClick(win.controls.play, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.sound.audio is not None and win.sound.audio.playing)
    qtbot.keyClick(win, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: win.panel.now_playing.text().startswith("♪  Page 2"))


def test_a_banner_when_the_sound_device_goes_away(qtbot, tmp_path, ui_dirs):  # noqa: F811
    from m2m_reader.ui.bridge import AudioState

    win = make_reader(qtbot, tmp_path, "sound")
    qtbot.waitUntil(lambda: win.sound.audio is not None and win.sound.audio.sound)
    assert not win.banner.isVisible()
    win.bridge.audioState.emit(AudioState(False, False, "The USB headset was unplugged."))
    assert win.banner.isVisible() and "went away" in win.banner.text()
    assert "unplugged" in win.banner.text()
    assert "♪" not in win.panel.now_playing.text()


def test_new_music_ready_after_a_regenerate(qtbot, reader):
    reader.go_to_page(2)
    reader.panel.caption.edit.setPlainText("Distant thunder, low strings")
    qtbot.mouseClick(reader.panel.caption.regenerate, Qt.MouseButton.LeftButton)
    assert "Regenerating page 3" in reader.statusBar().currentMessage()
    reader.bridge.wait_idle()
    reader.bridge.on_event(ev.CueReady(page=2, backend="composer"))
    qtbot.waitUntil(lambda: "New music ready for page 3" in reader.statusBar().currentMessage())
    assert "new music ready" in reader.panel.now_playing.text().lower()


def test_a_backend_that_cannot_start_says_so_with_its_whole_explanation(qtbot, reader):
    from m2m_reader.engine.backends.choice import explain
    from m2m_reader.engine.core.errors import BackendUnavailable

    why = BackendUnavailable(
        "MusicGen needs the transformers package.",
        "Install it with: pip install 'm2m-reader[musicgen]'; the weights go in the "
        "Hugging Face cache (about 2.4 GB for musicgen-small).",
    )
    reader.bridge.on_event(ev.BackendFallback("music", "musicgen", "composer", explain(why)))
    qtbot.waitUntil(lambda: reader.banner.isVisible())
    text = reader.banner.text()
    assert text.startswith("The chosen music could not start; the built-in composer plays")
    assert "pip install 'm2m-reader[musicgen]'" in text and "2.4 GB" in text
    assert reader.banner._timer.remainingTime() > 10_000  # long enough to read it all


def test_a_taller_window_gives_the_directive_and_caption_more_lines(qtbot, tmp_path, ui_dirs):  # noqa: F811
    win = make_reader(qtbot, tmp_path, None)
    win.resize(1280, 700)
    qtbot.wait(100)
    short = win.panel.directive.edit.height()
    win.resize(1280, 1100)
    qtbot.waitUntil(lambda: win.panel.directive.edit.height() > short + 40)
    assert win.panel_scroll.verticalScrollBar().maximum() == 0
    assert win.panel.caption.edit.height() > short + 40


def test_no_sound_device_is_a_calm_note_not_an_error(qtbot):
    # The engine says "no sound" once (the terminal player prints it); the window tells
    # it through the audio state, as a warning that reading goes on, not a red error.
    from m2m_reader.engine import doubles

    engine = doubles.FakeEngine(player=doubles.FakePlayer(lambda *a: None, sound=False))
    bridge = EngineBridge(engine, Settings())
    errors: list[str] = []
    bridge.error.connect(errors.append)
    bridge.on_event(ev.EngineError(engine.player.message))
    bridge.on_event(ev.EngineError("The cache folder is read-only."))
    qtbot.waitUntil(lambda: bool(errors))
    qtbot.wait(100)
    assert errors == ["The cache folder is read-only."]
