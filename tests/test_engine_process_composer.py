"""The composer in a child process: same music as in-process, same cache keys, cancellable."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from m2m_reader.engine.backends.choice import ProcessComposer, make_composer, music_settings_key
from m2m_reader.engine.core.cancel import CancelToken
from m2m_reader.engine.core.errors import Cancelled
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.music.base import CueRequest


@pytest.fixture(scope="module")
def composer():
    pc = ProcessComposer(Settings())
    yield pc
    pc.close()


def request(page: int = 0, seconds: float = 8.0) -> CueRequest:
    return CueRequest(
        page, 0, "a gentle piano waltz in the morning light", "soft piano", seconds, seed=7
    )


def test_the_same_cue_and_key_as_the_composer_in_process(composer):
    local = make_composer(Settings())
    assert composer.name == local.name
    assert composer.settings_key() == music_settings_key(local)
    here = local.make_cue(request(), CancelToken())
    there = composer.make_cue(request(), CancelToken())
    assert there.clip.sample_rate == here.clip.sample_rate
    assert np.array_equal(there.clip.audio, here.clip.audio)
    assert (there.clip.loop_start, there.clip.loop_end) == (
        here.clip.loop_start,
        here.clip.loop_end,
    )


def test_a_cancelled_cue_raises_cancelled_and_the_next_one_works(composer):
    token = CancelToken()
    threading.Timer(0.02, token.cancel).start()
    with pytest.raises(Cancelled):
        # A long cue, so the cancel lands while it is being made.
        composer.make_cue(request(1, seconds=600.0), token)
    cue = composer.make_cue(request(2), CancelToken())
    assert cue.page == 2 and cue.clip.seconds >= 8.0


def _leftovers() -> set[str]:
    from m2m_reader.engine.backends.music_process import PREFIX, shm_dir

    return {n for n in os.listdir(shm_dir()) if n.startswith(PREFIX)}


def test_samples_come_through_shared_memory_and_leave_no_file_behind(composer):
    before = _leftovers()
    cue = composer.make_cue(request(3), CancelToken())
    assert cue.clip.audio.shape[1] == 2 and np.abs(cue.clip.audio).max() > 0.01
    cue.clip.audio[0, 0] = 0.0  # the parent's own memory: writable
    token = CancelToken()
    threading.Timer(0.02, token.cancel).start()
    with pytest.raises(Cancelled):
        composer.make_cue(request(4, seconds=600.0), token)
    assert _leftovers() <= before
