"""Never wait in silence: the composer's cue stands in until MusicGen's is ready, and
the mixer lets the upgrade take over on the playing cue's next bar line."""

from __future__ import annotations

import time

import numpy as np
from test_engine_doubles import FakeMusic, RecordingMixer, wait_for

from m2m_reader.engine.audio.mixer import Mixer, equal_power_table
from m2m_reader.engine.core import events as ev
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.core.store import MemoryStore
from m2m_reader.engine.music.base import Clip, Cue, MusicPlan
from m2m_reader.engine.session.engine import Engine
from m2m_reader.engine.session.reading_speed import ReadingSpeed

SR = 44100


def _cue(audio: np.ndarray, page: int = 0, bar: int = 0) -> Cue:
    return Cue(page, 0, Clip(audio.astype(np.float32), SR, 0, 0, bar), MusicPlan(), "continue", "t")


def _noise(seed: int, n: int) -> np.ndarray:
    return (0.2 * np.random.default_rng(seed).standard_normal((n, 2))).astype(np.float32)


def _pull(m: Mixer, n: int) -> np.ndarray:
    out = np.zeros((n, 2), np.float32)
    m.pull(out)
    return out


def test_upgrade_of_the_playing_page_takes_over_on_the_next_bar_line():
    a, b = _noise(1, 2 * SR), _noise(2, 2 * SR)
    m = Mixer(SR, crossfade_swap_s=0.02, record_events=True)
    fade = round(0.02 * SR)
    m.set_cue(0, _cue(a, bar=1000))
    m.turn(0, at=0)
    first = _pull(m, 10_500)
    m.set_cue(0, _cue(b, bar=1000))  # arrives half-way through a bar
    out = np.concatenate([first, _pull(m, 5000)])
    # the playing cue carries on untouched to its bar line at 11 000 ...
    assert np.array_equal(out[5000:11_000], a[5000:11_000])
    # ... then the new one starts from its beginning with an equal-power crossfade
    table = equal_power_table(fade)
    k = np.arange(fade)
    mix = a[11_000 + k] * table[fade - k, None] + b[k] * table[k, None]
    assert np.allclose(out[11_000 : 11_000 + fade], mix, atol=1e-6)
    assert np.array_equal(out[11_000 + fade : 15_500], b[fade:4500])
    assert (11_000, "swap", 0) in m.events


def test_upgrade_without_bars_takes_over_at_the_loop_point():
    a, b = _noise(3, SR), _noise(4, SR)
    m = Mixer(SR, crossfade_swap_s=0.01)
    m.set_cue(0, _cue(a))
    m.turn(0, at=0)
    first = _pull(m, 30_000)
    m.set_cue(0, _cue(b))
    out = np.concatenate([first, _pull(m, 30_000)])
    assert np.array_equal(out[30_000:SR], a[30_000:SR])  # the loop plays to its end
    fade = round(0.01 * SR)
    assert np.array_equal(out[SR + fade : 60_000], b[fade : 60_000 - SR])


class SlowMusicgen(FakeMusic):
    """A MusicGen stand-in for the tests: slow, and named as the real one.

    `hold(page)` keeps a page's generation going until it is true (at most 30 s): real
    MusicGen on a CPU takes far longer than the composer, whatever the machine's load,
    while this double's fixed delay might not on a loaded machine."""

    name = "musicgen"

    def __init__(self, delay: float, hold=None) -> None:
        super().__init__(delay)
        self.hold = hold

    def settings_key(self) -> str:
        return "slow-musicgen-1"

    def make_cue(self, request, cancel) -> Cue:
        end = time.monotonic() + 30
        while self.hold is not None and not self.hold(request.page) and time.monotonic() < end:
            cancel.check()
            time.sleep(0.005)
        return super().make_cue(request, cancel)


def _engine(store, music, events):
    return Engine(Settings(), store=store, music=music, on_event=events.append, audio=False,
                  speed=ReadingSpeed(persist=False), edits_in_memory=True)  # fmt: skip


def _ready(events, page):
    return [e.backend for e in list(events) if isinstance(e, ev.CueReady) and e.page == page]


def test_composer_stands_in_until_musicgen_is_ready_then_cached_musicgen_plays_at_once():
    from bookfactory import three_scene_book

    store = MemoryStore()
    events: list = []
    # MusicGen's first cue is held until the composer's has come (or 30 s have passed).
    music = SlowMusicgen(delay=1.0, hold=lambda page: page != 0 or "composer" in _ready(events, 0))
    engine = _engine(store, music, events)
    mixer = RecordingMixer()
    engine.attach_mixer(mixer)
    try:
        engine.open(three_scene_book())
        assert wait_for(lambda: engine.cue(0) is not None, 30)
        first = engine.cue(0)
        assert first is not None and first.backend == "composer", first
        assert mixer.cues[0].backend == "composer"
        assert 0 not in engine.ready_pages()  # a stand-in is not the page's music yet
        assert wait_for(lambda: (c := engine.cue(0)) is not None and c.backend == "musicgen", 30)
        assert mixer.cues[0].backend == "musicgen"
        assert _ready(events, 0)[:1] == ["composer"] and _ready(events, 0)[-1] == "musicgen"
        assert 0 in engine.ready_pages()
        # the reader turns on: the next page also upgrades from its stand-in
        engine.set_cursor(1)
        assert wait_for(lambda: (c := engine.cue(1)) is not None and c.backend == "musicgen", 30)
        assert _ready(events, 1)[-1] == "musicgen"
    finally:
        engine.close()

    events2: list = []
    engine2 = _engine(store, SlowMusicgen(delay=3.0), events2)
    try:
        engine2.open(three_scene_book())
        assert wait_for(lambda: engine2.cue(0) is not None, 10)
        assert engine2.cue(0).backend == "musicgen"
        assert _ready(events2, 0) == ["musicgen"]  # no stand-in for a cached page
        assert engine2.stats.music_jobs == 0
    finally:
        engine2.close()


def test_a_fast_backend_gets_no_stand_in():
    from bookfactory import three_scene_book

    events: list = []
    engine = _engine(MemoryStore(), FakeMusic(), events)
    try:
        engine.open(three_scene_book())
        assert wait_for(lambda: engine.cue(0) is not None, 10)
        engine.wait_idle(30)
        assert all(e.backend == "fake" for e in events if isinstance(e, ev.CueReady))
    finally:
        engine.close()
