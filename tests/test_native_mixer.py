"""The native (C) mixer: the same samples as the Python mixer, cues freed once let go,
a clear reason when it cannot be built, and live playback through it."""

from __future__ import annotations

import random

import numpy as np
import pytest
from test_mixer import make_cue, noise, sine

from m2m_reader.engine.audio import native, native_build
from m2m_reader.engine.audio.mixer import Mixer
from m2m_reader.engine.audio.native import NativeMixer, NativeUnavailable

SR = 44100

pytestmark = pytest.mark.skipif(bool(native.available()), reason=native.available() or "")


def cues(rng: np.random.Generator) -> list:
    """Cues of every shape the engine makes: scenes, bars, intros before loops, another
    sample rate (resampled), a loop shorter than a block, mono-looking stereo, a scene
    of one library track."""
    out = []
    for page in range(12):
        seconds = float(rng.uniform(0.4, 2.5))
        sr = 32000 if page % 5 == 3 else SR
        audio = (
            noise(page, seconds, sr=sr, rms=0.15)
            + sine(110 * (page + 1), seconds, sr=sr)[:, None] * 0.2
        )
        n = len(audio)
        loop = (int(n * 0.2), n) if page % 3 == 1 else (0, 0)
        if page == 7:
            loop = (n - 900, n - 100)  # a very short loop body: tiled
        bar = int(sr * 0.5) if page % 2 == 0 else 0
        joins = "continue" if page % 4 else "change"
        cue = make_cue(audio, page, scene=page // 4, joins=joins, sr=sr, loop=loop, bar=bar)
        if page >= 8:  # the last scene's cues are one track's (the library): turns go on
            cue.backend = "library"
        out.append(cue)
    return out


def script(seed: int):
    """A random reading: (block size to pull, commands to send before it)."""
    rng = np.random.default_rng(seed)
    pyrng = random.Random(seed)
    made = cues(rng)
    steps = []
    for i in range(160):
        cmds = []
        for _ in range(pyrng.choice([0, 0, 1, 2])):
            r = pyrng.random()
            page = pyrng.randrange(12)
            if r < 0.3:
                cmds.append(
                    (
                        "set_cue",
                        page,
                        made[pyrng.randrange(12)] if pyrng.random() < 0.3 else made[page],
                    )
                )
            elif r < 0.6:
                cmds.append(("turn", page, pyrng.choice(["turn", "jump"]), None))
            elif r < 0.7:
                cmds.append(("turn", page, "turn", "future"))
            elif r < 0.78:
                cmds.append(("forget", page))
            elif r < 0.86:
                cmds.append(("set_volume", pyrng.uniform(0.2, 1.2)))
            elif r < 0.92:
                cmds.append(("mute", pyrng.random() < 0.5))
            else:
                cmds.append(("set_crossfades", pyrng.uniform(0.5, 3), pyrng.uniform(0.05, 0.8)))
        if i == 150:
            cmds.append(("fade_out", 0.3, None))
        # The Python mixer takes new crossfades at once, the C one in turn with the other
        # commands: within one block, first is the same for both.
        cmds.sort(key=lambda c: c[0] != "set_crossfades")
        steps.append((pyrng.choice([64, 512, 1024, 1024, 3000, 9000]), cmds))
    return steps


def play(mixer, steps) -> np.ndarray:
    blocks = []
    for size, cmds in steps:
        for cmd in cmds:
            name, *args = cmd
            if name == "turn" and args[2] == "future":
                args[2] = mixer.clock + 777
            if name == "set_crossfades":
                mixer.set_crossfades(*args)
            else:
                getattr(mixer, name)(*args)
        out = np.zeros((size, 2), np.float32)
        mixer.pull(out)
        blocks.append(out)
    return np.concatenate(blocks)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_native_mixer_gives_the_python_mixers_samples(seed):
    steps = script(seed)
    py = Mixer(SR, record_events=True)
    c = NativeMixer(SR, record_events=True)
    a, b = play(py, steps), play(c, steps)
    assert np.abs(a).max() > 0.1  # there was music
    np.testing.assert_allclose(b, a, atol=2e-6, rtol=0)
    assert c.events == py.events
    kinds = {k for _, k, _ in py.events}
    assert {"start", "turn", "change", "loop", "continue"} <= kinds
    assert c.finished and py.finished
    assert c.clock == py.clock


def test_upgrade_waits_for_the_bar_line_like_the_python_mixer():
    bar = SR // 2
    first = make_cue(noise(1, 4), 0, bar=bar)
    better = make_cue(sine(440, 4)[:, None] * np.ones((1, 2)), 0, bar=bar)
    outs, evs = [], []
    for m in (Mixer(SR, record_events=True), NativeMixer(SR, record_events=True)):
        m.set_cue(0, first)
        m.turn(0)
        out = np.zeros((int(1.3 * SR), 2), np.float32)
        m.pull(out[:1000])
        m.set_cue(0, better)
        m.pull(out[1000:])
        outs.append(out)
        evs.append(m.events)
    np.testing.assert_allclose(outs[1], outs[0], atol=2e-6, rtol=0)
    assert evs[0] == evs[1]
    assert (bar, "swap", 0) in evs[1]


def test_cues_let_go_are_freed_and_a_playing_one_is_kept():
    m = NativeMixer(SR)
    out = np.zeros((4096, 2), np.float32)
    m.set_cue(0, make_cue(noise(1, 1), 0))
    m.set_cue(1, make_cue(noise(2, 1), 1))
    m.turn(0)
    m.pull(out)
    assert m.held_cues == 2
    m.forget(0)  # still playing: its audio must stay alive
    m.forget(1)
    m.pull(out)
    assert m.held_cues == 1
    m.set_cue(2, make_cue(noise(3, 1), 2))
    m.turn(2)
    for _ in range(20):  # the old voice fades out (0.8 s)
        m.pull(out)
    assert m.held_cues == 1  # only page 2's
    assert np.abs(out).max() > 0.05


def test_commands_sent_while_nobody_pulls_keep_their_order():
    """More commands than the ring holds, with no stream pulling (paused, or no device):
    none blocks, none is lost, and they take effect in the order they were sent."""
    made = [make_cue(noise(i, 0.5), i, scene=i % 2) for i in range(5)]
    outs, held = [], 0
    for m in (Mixer(SR), NativeMixer(SR)):
        for i in range(3000):
            m.set_cue(i % 5, made[(i * 7) % 5])
            m.turn(i % 5, "jump" if i % 3 else "turn")
            m.forget((i + 2) % 5)
        out = np.zeros((8192, 2), np.float32)
        m.pull(out)
        outs.append(out)
        if isinstance(m, NativeMixer):
            for _ in range(int(2 * SR / 8192)):  # the fades end
                m.pull(np.zeros((8192, 2), np.float32))
            held = m.held_cues
    assert np.abs(outs[0]).max() > 0.01
    np.testing.assert_allclose(outs[1], outs[0], atol=2e-6, rtol=0)
    assert held <= 5 + 1  # the pages' cues and the one playing: the rest were let go


def test_cues_of_other_channel_counts_mix_like_the_python_mixer():
    mono_col = make_cue(noise(1, 1)[:, :1], 0)  # (n, 1)
    three = make_cue(np.concatenate([noise(2, 1), noise(3, 1)[:, :1]], axis=1), 1)  # (n, 3)
    outs = []
    for m in (Mixer(SR), NativeMixer(SR)):
        m.set_cue(0, mono_col)
        m.set_cue(1, three)
        m.turn(0)
        out = np.zeros((SR, 2), np.float32)
        m.pull(out[: SR // 2])
        m.turn(1)
        m.pull(out[SR // 2 :])
        outs.append(out)
    np.testing.assert_allclose(outs[1], outs[0], atol=2e-6, rtol=0)


def test_pull_rejects_a_wrong_buffer():
    m = NativeMixer(SR)
    with pytest.raises(ValueError, match="float32"):
        m.pull(np.zeros((100, 2), np.float64))


def test_no_compiler_is_a_clear_reason(monkeypatch, tmp_path):
    monkeypatch.setattr(native_build, "build_dirs", lambda: [tmp_path / "a"])
    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    with pytest.raises(NativeUnavailable, match="did not compile"):
        native_build.find_or_build()
    monkeypatch.setattr(native_build, "compiler", lambda: None)
    with pytest.raises(NativeUnavailable, match="no C compiler"):
        native_build.find_or_build()
    assert not list((tmp_path / "a").iterdir())  # nothing half-written left behind


def test_an_unwritable_install_builds_in_the_cache(monkeypatch, tmp_path):
    blocker = tmp_path / "site-packages"
    blocker.write_text("")  # a file where the folder would be: mkdir fails, even for root
    monkeypatch.setattr(
        native_build, "build_dirs", lambda: [blocker / "_native", tmp_path / "cache"]
    )
    path = native_build.find_or_build()
    assert path.parent == tmp_path / "cache" and path.is_file()
    assert native_build.find_or_build() == path  # found, not built again


def test_a_damaged_library_is_built_again(monkeypatch, tmp_path):
    d = tmp_path / "n"
    d.mkdir()
    damaged = d / native_build.library_name()
    damaged.write_bytes(b"not a library")
    monkeypatch.setattr(native_build, "build_dirs", lambda: [d])
    native_build._load.cache_clear()
    try:
        native_build.load()
        assert damaged.stat().st_size > 1000
        m = NativeMixer(SR)
        m.set_cue(0, make_cue(noise(1, 1), 0))
        m.turn(0)
        out = np.zeros((4096, 2), np.float32)
        m.pull(out)
        assert np.abs(out).max() > 0.01
    finally:
        native_build._load.cache_clear()


def test_turned_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("M2M_READER_NATIVE_MIXER", "0")
    native_build._load.cache_clear()
    try:
        assert "M2M_READER_NATIVE_MIXER=0" in native.available()
        from m2m_reader.engine.audio.live import make_mixer

        assert isinstance(make_mixer(1.0), Mixer)
        with pytest.raises(NativeUnavailable):
            make_mixer(1.0, native=True)
    finally:
        native_build._load.cache_clear()


@pytest.mark.audio
def test_the_music_goes_on_while_python_is_busy():
    """The native callback needs no interpreter lock: a thread that holds it for half a
    second (a long sort never lets it go) does not stop the callbacks."""
    from test_live import _jack_device_or_skip

    from m2m_reader.engine.audio.live import LiveOutput

    device = _jack_device_or_skip(native=True)
    rng = random.Random(0)
    values = [rng.random() for _ in range(1_500_000)]
    m = NativeMixer(48000, stats_ring=4096)
    m.set_cue(0, make_cue(noise(1, 2, sr=48000), 0, sr=48000))
    m.turn(0)
    out = LiveOutput(m, device=device.index)
    out.start()
    try:
        assert out.native
        deadline = native.now() + 10
        while out.callbacks < 20 and native.now() < deadline:
            pass
        t0 = native.now()
        sorted(values)  # holds the interpreter lock throughout
        t1 = native.now()
        deadline = native.now() + 1
        while native.now() < deadline:
            pass
    finally:
        out.stop()
    assert t1 - t0 > 0.2, "the sort was too quick to show anything"
    starts = m.callback_starts()
    inside = starts[(starts > t0) & (starts < t1)]
    block = 1024 / 48000
    assert len(inside) >= (t1 - t0) / block * 0.7  # callbacks went on during the hold
    assert m.first_audible is not None
    assert out.callback_priority in ("realtime", "nice", "")
