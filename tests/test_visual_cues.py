"""Emotions of pages read from pixels: words (English, Japanese), shouts, sound effects
and pictures, with no speaker known."""

from __future__ import annotations

from m2m_reader.engine.analysis.emotions import arousal, dominant
from m2m_reader.engine.analysis.records import Line, PageTranscript
from m2m_reader.engine.analysis.visual_cues import read_page_emotions, sfx_arousal

BRIGHT = {"brightness": 0.9, "dark": 0.05}
NIGHT = {"brightness": 0.2, "dark": 0.85, "speed_lines": 0.6, "black_panels": 0.5}


def _page(lines: list[tuple[str, str]], visual: dict[str, float]) -> PageTranscript:
    return PageTranscript(
        index=0,
        lines=[Line(0, "sfx" if k == "sfx" else "unknown", t, kind=k) for k, t in lines],
        visual=dict(visual),
    )


def lead(page: PageTranscript) -> str:
    profile = read_page_emotions(page).profile
    return max((e for e in profile if e != "neutral"), key=lambda e: profile[e])


def test_words_lead_in_english_and_japanese() -> None:
    assert lead(_page([("balloon", "Hahaha! That was so fun!")], BRIGHT)) == "happiness"
    assert lead(_page([("balloon", "I'm sorry... goodbye.")], BRIGHT)) == "sadness"
    assert lead(_page([("balloon", "助けて！怖い！")], NIGHT)) == "fear"
    assert lead(_page([("balloon", "ありがとう、嬉しい！")], BRIGHT)) == "happiness"
    assert lead(_page([("balloon", "ごめん…さよなら。")], BRIGHT)) == "sadness"


def test_a_plain_question_is_not_surprise_and_a_bare_cheer_takes_the_pictures_sign() -> None:
    calm = read_page_emotions(_page([("balloon", "Is Ren coming by this morning?")], BRIGHT))
    assert dominant(calm.profile) == "neutral" and calm.profile["surprise"] < 0.05
    assert lead(_page([("balloon", "Breakfast is ready!")], BRIGHT)) == "happiness"
    assert lead(_page([("balloon", "Over there!")], NIGHT)) == "fear"


def test_capitals_throughout_are_lettering_not_shouting() -> None:
    upper = read_page_emotions(_page([("balloon", "GOOD MORNING! THE SEA IS CALM.")], BRIGHT))
    lower = read_page_emotions(_page([("balloon", "Good morning! The sea is calm.")], BRIGHT))
    assert abs(upper.profile["surprise"] - lower.profile["surprise"]) < 0.02
    shout = read_page_emotions(_page([("shout", "Give it back!")], BRIGHT))
    talk = read_page_emotions(_page([("balloon", "Give it back!")], BRIGHT))
    assert arousal(shout.profile) > arousal(talk.profile)


def test_sound_effects_and_pictures_raise_arousal_where_words_are_few() -> None:
    quiet = read_page_emotions(_page([], BRIGHT))
    crash = read_page_emotions(_page([("sfx", "CRASH!!")], {**BRIGHT, "sfx_loudness": 0.8}))
    night = read_page_emotions(_page([], NIGHT))
    assert dominant(quiet.profile) == "neutral"
    assert arousal(crash.profile) > arousal(quiet.profile)
    assert lead(_page([], NIGHT)) == "fear" and night.profile["fear"] >= 0.3
    assert "dark page" in night.evidence
    assert sfx_arousal("ドン！", 0.5)[1] > sfx_arousal("ポタ…", 0.5)[1]
    assert sfx_arousal("drip... drip...", 0.9)[0] == "sadness"


def test_captions_of_read_pages_answer_their_lettering() -> None:
    from m2m_reader.engine.analysis.writer import page_shows

    crash = page_shows([Line(0, "sfx", "CRASH!", kind="sfx")])
    drip = page_shows([Line(0, "sfx", "drip... drip...", kind="sfx")])
    assert "sharp accent" in crash and "CRASH!" in crash
    assert "soft" in drip
    assert "shout" in page_shows([Line(0, "unknown", "Stop!", kind="shout")])
    assert page_shows([Line(0, "Haru", "Hello")]) == ""  # annotated pages: as before


def test_a_silent_page_painted_in_full_colour_is_not_sad() -> None:
    dim = {"brightness": 0.55, "dark": 0.1}
    assert lead(_page([], dim)) == "sadness"  # a dim grey page with no words
    assert lead(_page([], {**dim, "colour": 0.6})) == "happiness"  # lively colour


def test_enough_as_a_measure_is_not_anger() -> None:
    assert lead(_page([("balloon", "...mmm probably not strong enough.")], BRIGHT)) != "anger"
    assert lead(_page([("balloon", "That's enough!")], BRIGHT)) == "anger"
