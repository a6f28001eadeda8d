"""Reading captions and directives into music plans."""

from __future__ import annotations

import pytest

from m2m_reader.engine.music.plan import plan_for

ETHEREAL = (
    "Ethereal orchestral piece with soft piano undertones, interlaced with melancholic violin solos"
)
JAZZ = "A playful jazz ensemble with walking bass, brisk 140 BPM in B-flat major"


def test_explicit_tempo_and_key_win() -> None:
    plan, warnings = plan_for(JAZZ)
    assert plan.tempo == 140
    assert (plan.key, plan.mode) == ("A#", "major")
    assert plan.style == "jazz"
    assert plan.feel == "swing"
    assert {"piano", "upright bass", "drums"} <= set(plan.instruments)
    assert warnings == []


@pytest.mark.parametrize(
    ("text", "key", "mode"),
    [
        ("A dark theme in D minor", "D", "minor"),
        ("Bright tune in the key of F# major", "F#", "major"),
        ("Eb major fanfare for brass", "D#", "major"),
        ("A ballad in G", "G", None),
    ],
)
def test_explicit_keys(text: str, key: str, mode: str | None) -> None:
    plan, _ = plan_for(text)
    assert plan.key == key
    if mode:
        assert plan.mode == mode


def test_lower_case_a_minor_key_is_a_mode_not_a_key() -> None:
    # "in a minor key" must not be read as A minor, so two seeds may pick different keys.
    keys = {plan_for("A lullaby in a minor key", seed=s)[0].key for s in range(6)}
    assert len(keys) > 1
    assert plan_for("A lullaby in a minor key")[0].mode == "minor"


def test_free_llm_text_gives_a_sensible_plan() -> None:
    plan, warnings = plan_for(ETHEREAL)
    assert plan.style == "orchestral"
    assert plan.mode == "minor"  # melancholic
    assert {"piano", "violin", "strings"} <= set(plan.instruments)
    assert plan.energy < 0.4
    assert warnings == []


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Slow, gentle and calm piano", 60, 80),
        ("Brisk, upbeat piano tune", 110, 130),
        ("A frantic chase with drums", 140, 170),
    ],
)
def test_tempo_words(text: str, low: float, high: float) -> None:
    for seed in range(4):
        assert low <= plan_for(text, seed=seed)[0].tempo <= high


def test_mood_words_set_mode_and_energy() -> None:
    sad, _ = plan_for("A sad and lonely melody")
    happy, _ = plan_for("A happy, cheerful melody")
    tense, _ = plan_for("Intense, urgent, thunderous battle music")
    calm, _ = plan_for("Soft, gentle, calm music")
    assert sad.mode == "minor" and happy.mode == "major"
    assert tense.energy > 0.8 > 0.3 > calm.energy
    assert plan_for("Calm music, slowly building to a crescendo")[0].energy > calm.energy


@pytest.mark.parametrize(
    ("text", "instrument"),
    [
        ("a lone cello", "cello"),
        ("harp arpeggios", "harp"),
        ("a music box melody", "music box"),
        ("clarinet and oboe duet", "clarinet"),
        ("warm synth pads", "synth pad"),
        ("a distant choir", "choir"),
        ("muted trumpet", "muted trumpet"),
        ("marimba and glockenspiel", "marimba"),
        ("church organ", "organ"),
        ("accordion waltz", "accordion"),
        ("acoustic guitar strumming", "acoustic guitar"),
        ("electric guitar solo", "electric guitar"),
    ],
)
def test_instrument_words(text: str, instrument: str) -> None:
    assert instrument in plan_for(text)[0].instruments


def test_style_defaults_fill_missing_roles() -> None:
    assert set(plan_for("some lofi music")[0].instruments) >= {"electric piano", "bass", "drums"}
    assert set(plan_for("an orchestral piece")[0].instruments) >= {"strings", "horn", "flute"}
    assert set(plan_for("loud rock")[0].instruments) >= {"bass", "drums"}
    assert "drums" not in plan_for("rock music without drums")[0].instruments


def test_waltz_is_in_three() -> None:
    plan, _ = plan_for("A gentle waltz for strings")
    assert plan.meter == 3 and plan.feel == "waltz"


@pytest.mark.parametrize("caption", ["", "   ", "lorem ipsum dolor", "?!..."])
def test_empty_or_unusable_caption_still_gives_a_plan_with_a_warning(caption: str) -> None:
    plan, warnings = plan_for(caption)
    assert plan.tempo > 0 and plan.instruments
    assert len(warnings) == 1
    plan, warnings = plan_for(caption, directive=JAZZ)
    assert plan.style == "jazz" and plan.tempo == 140
    assert len(warnings) == 1


def test_scene_directive_sets_what_pages_share() -> None:
    directive = "A melancholic piano and strings piece for a quiet farewell"
    captions = [
        "The piano continues, soft and tender",
        "The strings swell, urgent and intense, as she runs",
        "A frantic chase at 170 BPM with trumpets in E major",  # the page must not break the scene
        "",
    ]
    plans = [plan_for(c, directive, seed=3)[0] for c in captions]
    assert len({(p.key, p.mode, p.tempo, tuple(p.instruments), p.style) for p in plans}) == 1
    assert plans[1].energy > plans[0].energy + 0.3


def test_same_words_same_plan() -> None:
    assert plan_for(ETHEREAL, seed=5) == plan_for(ETHEREAL, seed=5)


def test_an_instrument_playing_chords_does_not_sing() -> None:
    directive = "A melancholy farewell for solo piano and cello, slow"
    assert plan_for("the cello sings alone, sorrowful", directive, 1)[0].lead == "cello"
    # the page says the scene's lead (the solo piano) comps: the cello sings
    assert plan_for("quiet piano chords, fading", directive, 1)[0].lead == "cello"
    assert plan_for("soft piano chords, a quiet violin", "", 1)[0].lead != "piano"
