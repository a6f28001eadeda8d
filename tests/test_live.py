"""Live playback: the stream callback pulls the mixer; no device means silence, not a crash."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from bookfactory import three_scene_book
from test_engine_doubles import FakeMusic, wait_for

from m2m_reader.engine.audio import live
from m2m_reader.engine.audio import native as native_mixer
from m2m_reader.engine.audio.devices import AudioUnavailable, output_devices, pick_output
from m2m_reader.engine.audio.live import LiveOutput, LivePlayer
from m2m_reader.engine.audio.mixer import Mixer
from m2m_reader.engine.core.cache import DiskCache
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.doubles import NullStream, null_sounddevice
from m2m_reader.engine.session.engine import Engine
from m2m_reader.engine.session.reading_speed import ReadingSpeed


def desktop_sounddevice():
    """A desktop's outputs: the ALSA default, an HDMI output and a JACK server's."""
    return null_sounddevice(
        devices=(("default", 0), ("HDA Intel PCH: HDMI 0 (hw:0,3)", 0), ("system", 1)),
        apis=("ALSA", "JACK Audio Connection Kit"),
    )


def make_engine():
    return Engine(
        Settings(),
        audio=False,
        store=DiskCache(limit_mb=0),
        music=FakeMusic(),
        speed=ReadingSpeed(persist=False),
        edits_in_memory=True,
    )


def test_no_portaudio_means_one_clear_line_and_the_engine_goes_on(monkeypatch, caplog):
    def broken():
        raise AudioUnavailable(
            "No sound: the PortAudio library is missing (install libportaudio2)."
        )

    monkeypatch.setattr(live, "sounddevice_module", broken)
    engine = make_engine()
    try:
        player = LivePlayer(engine, Settings(), native=False)
        assert player.start() is False
        assert player.message.startswith("No sound: the PortAudio library is missing")
        assert [r.message for r in caplog.records if r.levelname == "WARNING"] == [player.message]
        engine.open(three_scene_book())
        assert wait_for(lambda: engine.cue(0) is not None)
        engine.set_cursor(1)
        player.close()
    finally:
        engine.close()


def test_portaudio_import_error_becomes_audio_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import raises ImportError
    with pytest.raises(AudioUnavailable, match="sounddevice package is not installed"):
        output_devices()


def test_unknown_device_is_named_in_the_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", null_sounddevice())
    with pytest.raises(AudioUnavailable, match="No audio output device 7; there are 0: Fake Out"):
        LiveOutput(Mixer(), device=7).start()


def test_an_output_is_found_by_label_index_name_or_host_api(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", desktop_sounddevice())
    assert pick_output("").name == pick_output(None).name == "default"
    assert pick_output("JACK").index == 2  # a host API, as people call it
    assert pick_output("system (JACK Audio Connection Kit)").index == 2  # what settings keep
    assert pick_output("hdmi").index == 1  # a part of a name
    assert pick_output("1").index == pick_output(1).index == 1  # an index
    assert pick_output("Default").index == 0  # a whole name before a part of another
    with pytest.raises(AudioUnavailable, match=r"'USB'; there are 0: default \(ALSA\);"):
        pick_output("USB")


def test_devices_command_lists_the_outputs_and_says_why_there_are_none(monkeypatch, capsys):
    from m2m_reader.cli import main

    monkeypatch.setitem(sys.modules, "sounddevice", desktop_sounddevice())
    assert main(["devices"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "  0: default (ALSA), 2 channels, 48000 Hz  (system default)"
    assert lines[2] == "  2: system (JACK Audio Connection Kit), 2 channels, 48000 Hz"
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    assert main(["devices"]) != 0
    assert "sounddevice package is not installed" in capsys.readouterr().err


def test_changing_the_output_setting_moves_the_music_at_once(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "sounddevice", desktop_sounddevice())
    engine = make_engine()
    try:
        settings = Settings()
        player = LivePlayer(engine, settings, native=False)
        assert player.start() and NullStream.last.device == 0
        first = NullStream.last
        settings.audio_device = "system (JACK Audio Connection Kit)"
        moved = NullStream.last
        assert moved is not first and moved.device == 2 and first._stop.is_set()
        assert player.output.device_name == "system" and player.playing
        assert wait_for(lambda: len(moved.blocks) > 5)
        player.pause()
        settings.audio_device = "USB headset"  # not plugged in
        assert "No audio output device 'USB headset'" in player.message
        assert caplog.records[-1].message == player.message
        again = NullStream.last  # the output that played goes on, still paused
        assert again is not moved and again.device == 2 and not player.playing
        player.play()
        assert wait_for(lambda: len(again.blocks) > 5)
        player.close()
    finally:
        engine.close()


def test_the_callback_plays_the_engine_music_and_turns(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", null_sounddevice())
    engine = make_engine()
    try:
        settings = Settings(volume=1.0)
        player = LivePlayer(engine, settings, native=False)
        engine.open(three_scene_book())
        assert wait_for(lambda: engine.cue(0) is not None and 4 in engine.ready_pages())
        assert player.start()
        stream = NullStream.last
        assert wait_for(lambda: len(stream.blocks) > 20)
        engine.set_cursor(4, "jump")
        assert wait_for(lambda: len(stream.blocks) > 200)
        player.close()
        audio = np.concatenate(stream.blocks)
        assert not np.isnan(audio).any()  # every sample was written by the mixer
        assert np.abs(audio[150 * 1024 : 200 * 1024]).max() > 0.05  # music is playing
        assert player.output.callbacks == len(stream.blocks)
        assert len(player.output.callback_durations()) == len(stream.blocks)
    finally:
        engine.close()


@pytest.mark.parametrize("native", [False, True])
def test_volume_and_mute_settings_follow_live(monkeypatch, native):
    if native and native_mixer.available():
        pytest.skip(native_mixer.available())
    monkeypatch.setitem(sys.modules, "sounddevice", null_sounddevice())
    engine = make_engine()
    try:
        settings = Settings(volume=1.0)
        player = LivePlayer(engine, settings, native=native)
        engine.open(three_scene_book())
        assert wait_for(lambda: engine.cue(0) is not None)
        out = np.zeros((4800, 2), np.float32)
        for _ in range(5):
            player.mixer.pull(out)
        loud = np.abs(out).max()
        settings.muted = True
        for _ in range(3):
            player.mixer.pull(out)
        assert loud > 0.05 and np.abs(out).max() == 0.0
        settings.muted = False
        settings.volume = 0.25
        for _ in range(3):
            player.mixer.pull(out)
        assert np.abs(out).max() == pytest.approx(loud * 0.25, rel=0.2)
        player.close()
    finally:
        engine.close()


def test_underruns_are_counted(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", null_sounddevice())
    monkeypatch.setattr(NullStream, "underflow_every", 10)
    out = LiveOutput(Mixer())
    out.start()
    assert wait_for(lambda: out.callbacks >= 100)
    out.stop()
    assert out.underruns >= 5


def _jack_device_or_skip(native: bool):
    """The JACK server's output, for a test that mixes natively or not; skips the test
    when there is no JACK server or (native) no native mixer."""
    try:
        device = next((d for d in output_devices() if "JACK" in d.host_api), None)
    except AudioUnavailable:
        device = None
    if device is None:
        pytest.skip("no JACK server (jackd --no-realtime -d dummy -r 48000 -p 1024)")
    if native and native_mixer.available():
        pytest.skip(native_mixer.available())
    return device


@pytest.mark.audio
@pytest.mark.parametrize("native", [False, True])
def test_real_stream_on_the_jack_dummy_device(native):
    device = _jack_device_or_skip(native)
    engine = make_engine()
    try:
        player = LivePlayer(engine, Settings(), device=device.index, native=native)
        assert player.output.native is native
        engine.open(three_scene_book())
        assert player.start(), player.message
        assert wait_for(lambda: player.output.callbacks > 30, timeout=10)
        engine.set_cursor(1)
        assert wait_for(lambda: player.output.callbacks > 60, timeout=10)
        player.pause()  # no callbacks while paused; they resume on play
        paused_at = player.output.callbacks
        assert not wait_for(lambda: player.output.callbacks > paused_at + 3, timeout=0.5)
        player.play()
        assert wait_for(lambda: player.output.callbacks > paused_at + 10, timeout=10)
        player.close()
        assert player.mixer.clock > 30 * 1024
        durations = player.output.callback_durations()
        assert len(durations) == min(player.output.callbacks, live.RING)
        assert 0 < np.percentile(durations, 99) < player.output.block_seconds / 4
        if native:
            assert player.mixer.held_cues <= len(engine.ready_pages())
    finally:
        engine.close()


@pytest.mark.audio
@pytest.mark.parametrize("native", [False, True])
def test_a_new_output_takes_over_the_same_mixer_on_the_jack_device(native):
    """Choosing an output closes the stream and opens another on the same mixer: the
    music goes on from where it was (here JACK's output chosen again, by its host API)."""
    device = _jack_device_or_skip(native)
    engine = make_engine()
    try:
        settings = Settings(audio_device=str(device.index))
        player = LivePlayer(engine, settings, native=native)
        engine.open(three_scene_book())
        assert player.start(), player.message
        assert wait_for(lambda: player.output.callbacks > 20, timeout=10)
        first, clock = player.output.stream, player.mixer.clock
        settings.audio_device = "JACK"
        assert player.output.stream is not first and player.message == ""
        assert player.output.device_name == device.name
        at = player.output.callbacks
        assert wait_for(lambda: player.output.callbacks > at + 20, timeout=10)
        assert player.mixer.clock > clock + 20 * 1024  # the same mixer plays on
        player.close()
    finally:
        engine.close()
