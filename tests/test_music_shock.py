"""A sudden shock on a page (a surprise spike, a large sound effect) asks for a stinger,
through the one cue recipe that live playback and export share."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from m2m_reader.engine.analysis.emotions import EMOTIONS
from m2m_reader.engine.analysis.records import Analysis, Line, PageResult, SceneResult
from m2m_reader.engine.core.cancel import NEVER
from m2m_reader.engine.cue_recipe import book_recipes
from m2m_reader.engine.music.base import CueRequest
from m2m_reader.engine.music.composer import Composer
from m2m_reader.engine.music.shock import large_sfx, page_shock, surprise_spike

SR = 22050
DIRECTIVE = "A calm piano piece with soft strings at 70 BPM"


def profile(**kw: float) -> dict[str, float]:
    d = dict.fromkeys(EMOTIONS, 0.0)
    d.update(kw)
    d["neutral"] = max(0.0, 1.0 - sum(kw.values()))
    return d


def sfx(text: str, kind: str = "sfx") -> Line:
    return Line(page=0, speaker="sfx", text=text, kind=kind)


def test_a_surprise_spike_is_a_shock_and_a_mild_or_outweighed_surprise_is_not() -> None:
    assert surprise_spike(profile(surprise=0.45, happiness=0.1))
    assert not surprise_spike(profile(surprise=0.2))  # mild
    assert not surprise_spike(profile(surprise=0.35, fear=0.4))  # the page is afraid
    assert not surprise_spike(profile(happiness=0.6))


def test_a_large_bang_is_a_shock_and_a_quiet_or_small_sound_is_not() -> None:
    assert large_sfx([sfx("BOOM!!")])
    assert large_sfx([sfx("ドン")])
    assert not large_sfx([sfx("drip drip")])  # a quiet sound, however large
    assert not large_sfx([sfx("BOOM!!", kind="note")])  # small loose lettering
    assert not large_sfx([Line(page=0, speaker="Haru", text="Boom!")])  # said, not a sound
    assert page_shock(profile(), [sfx("CRASH!")])
    assert not page_shock(profile(happiness=0.3), [])


@pytest.fixture(scope="module")
def composer() -> Composer:
    return Composer(SR, soundfont=None)


def test_a_shocked_page_gets_a_stinger_without_any_word_for_it(composer: Composer) -> None:
    def cue(shock: bool):  # noqa: ANN202
        req = CueRequest(3, 0, "the scene goes on", DIRECTIVE, 8.0, joins="continue", seed=7,
                         shock=shock)  # fmt: skip
        return composer.make_cue(req, NEVER)

    plain, shocked = cue(False), cue(True)
    bar = shocked.clip.bar_samples
    assert plain.clip.loop_start == 0 and not plain.score.intro
    assert shocked.clip.loop_start == 2 * bar and shocked.score.intro

    def level(x: np.ndarray) -> float:
        return float(20 * np.log10(np.sqrt(np.mean(np.square(x, dtype=np.float64))) + 1e-12))

    audio = shocked.clip.audio
    skip = shocked.clip.loop_end - shocked.clip.loop_start  # the same bars without it
    assert level(audio[bar : bar + SR // 10]) > level(audio[skip + bar : skip + bar + SR // 10]) + 6
    # a scene's first page enters with its bridge, not a stinger
    first = composer.make_cue(replace(CueRequest(0, 1, "x", DIRECTIVE, 8.0, seed=7), shock=True),
                              NEVER)  # fmt: skip
    assert first.score.intro_seconds > 0 and shocked.score.intro_seconds == 0


def test_the_recipe_asks_for_a_stinger_where_the_analysis_shows_a_shock() -> None:
    from test_export_support import synthetic_book

    book = synthetic_book(4, words=5, panels=2)
    pages = [
        PageResult(0, emotions=profile(happiness=0.3), caption="calm"),
        PageResult(1, emotions=profile(surprise=0.5), caption="calm"),  # a surprise spike
        PageResult(2, emotions=profile(), caption="calm", lines=[sfx("BANG!")]),
        PageResult(3, emotions=profile(), caption="calm", lines=[sfx("drip")]),
    ]
    analysis = Analysis("t", 4, "scene", [SceneResult(0, 0, 3, DIRECTIVE, pages=pages)])
    recipes = book_recipes(book, analysis)
    assert [r.shock for r in recipes] == [False, True, True, False]
    assert [r.request().shock for r in recipes] == [False, True, True, False]

    class Backend:
        name = "composer"

        def settings_key(self) -> str:
            return "k"

    # the shock is part of the cue's key: a cue made without it is not reused
    assert recipes[1].key(Backend()) != replace(recipes[1], shock=False).key(Backend())
