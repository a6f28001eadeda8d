"""With nothing pulling the mixer (no sound device, or paused), fast page turns keep only
the cues near the cursor and the voices' in memory: not every cue sent since."""

from __future__ import annotations

import weakref

import numpy as np
import pytest
from bookfactory import PageSpec, make_book
from test_engine_doubles import FakeMusic, wait_for

from m2m_reader.engine.audio import native
from m2m_reader.engine.audio.mixer import Mixer
from m2m_reader.engine.audio.native import NativeMixer
from m2m_reader.engine.core.cache import DiskCache
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.music.base import Clip, Cue, MusicPlan
from m2m_reader.engine.session.engine import RAM_CUES, Engine
from m2m_reader.engine.session.reading_speed import ReadingSpeed
from m2m_reader.engine.session.scheduler import Pool

NO_C_MIXER = pytest.mark.skipif(bool(native.available()), reason=native.available() or "")
VOICES = 8  # the mixers' default: a voice plays (or fades) one cue
RATE = 48000


def held(mixer: Mixer | NativeMixer) -> int:
    """How many cues' audio the mixer keeps alive."""
    if isinstance(mixer, NativeMixer):
        return mixer.held_cues
    alive = list(mixer._cues.values()) + list(mixer._graveyard)
    alive += [v.cue for v in mixer._voices if v.active]
    alive += [c[2] for c in mixer._commands if c[0] == "cue"]
    alive += [c[4] for c in mixer._pending if c[2] == "cue"]
    return len({id(c) for c in alive})


def _cue(page: int, seconds: float = 20.0) -> Cue:
    audio = np.full((int(seconds * RATE), 2), 0.1, np.float32)
    return Cue(page, 0, Clip(audio, RATE, bar_samples=RATE), MusicPlan(), "", "test")


@pytest.mark.parametrize("kind", ["python", pytest.param("native", marks=NO_C_MIXER)])
def test_an_unpulled_mixer_lets_go_of_the_cues_it_is_told_to_forget(kind):
    mixer = NativeMixer(voices=VOICES) if kind == "native" else Mixer(voices=VOICES)
    for page in range(300):  # what the engine sends as the reader turns: a cue, a turn
        mixer.set_cue(page, _cue(page))
        if page >= 5:
            mixer.forget(page - 5)  # evicted: far behind the cursor now
        mixer.turn(page)
        assert held(mixer) <= 5 + VOICES, f"page {page}: {held(mixer)} cues held"
    out = np.zeros((2 * RATE, 2), np.float32)
    mixer.pull(out)  # the device comes back: the page under the cursor plays
    assert np.abs(out[-RATE // 2 :]).max() > 0.05  # after the turn's crossfade


# The cues near the cursor, the voices', and one on its way from each analysis thread.
BOUND = RAM_CUES + VOICES + 2


@NO_C_MIXER
def test_fast_turns_with_no_sound_keep_few_cues_and_the_next_pages_ready(tmp_path):
    specs = [PageSpec([("a", f"Line {i}, and what follows.")], tone=40 + 7 * i) for i in range(24)]
    book = make_book(specs, names={"a": "Hana"})
    engine = Engine(Settings(), store=DiskCache(root=tmp_path), music=FakeMusic(),
                    speed=ReadingSpeed(persist=False), edits_in_memory=True, audio=False)  # fmt: skip
    mixer = NativeMixer(voices=VOICES)
    try:
        engine.attach_mixer(mixer)
        engine.open(book)
        assert engine.prepare_all() == len(book)
        page = 0
        for turn in range(300):  # a reader flicking through the book, again and again
            page = (page + 1) % len(book)
            engine.set_cursor(page, "turn" if page else "jump")
            if turn % 10 == 0:  # now and then the cues near the cursor land meanwhile
                assert wait_for(lambda p=page: engine.cue(p) is not None)
            assert mixer.held_cues <= BOUND, f"turn {turn}: {mixer.held_cues} cues held"
        assert engine.wait_idle()
        assert wait_for(lambda: all(engine.cue(p) is not None for p in (page, page + 1)))
        assert mixer.held_cues <= BOUND
    finally:
        engine.close()


def test_an_idle_worker_keeps_no_cue_it_made():
    pool = Pool("music", 1)
    made: list[weakref.ref] = []

    def make(_token: object) -> Cue:
        cue = _cue(0)
        made.append(weakref.ref(cue))
        return cue

    try:
        pool.submit("cue:0", make, (0, 0), on_done=lambda cue: None)
        assert pool.wait_idle(30)
        assert wait_for(lambda: made and made[0]() is None, timeout=5)  # freed, not kept
    finally:
        pool.close()
