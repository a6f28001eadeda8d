"""A music backend that fails for good gives way to the composer for the session, and
the person reads why: the failure's sentence with its longer explanation."""

from __future__ import annotations

from bookfactory import three_scene_book
from test_engine_doubles import FakeMusic, make_engine

from m2m_reader.engine.backends.choice import explain, make_emotions
from m2m_reader.engine.core import events as ev
from m2m_reader.engine.core.errors import BackendUnavailable, Cancelled
from m2m_reader.engine.core.settings import Settings


class BrokenMusic(FakeMusic):
    """Starts, then fails on every cue with a short sentence and a longer detail."""

    name = "broken"

    def make_cue(self, request, cancel):
        raise BackendUnavailable(
            "The broken backend stopped.", detail="Reconnect its device and start again."
        )


def test_a_failing_backend_hands_over_to_the_composer_and_says_why():
    events: list = []
    engine = make_engine(BrokenMusic(), events=events)
    try:
        engine.open(three_scene_book())
        assert engine.prepare_all() == 12  # the composer made every page's music
        fallbacks = [e for e in events if isinstance(e, ev.BackendFallback)]
        assert [(f.stage, f.backend, f.fallback) for f in fallbacks] == [
            ("music", "broken", "composer")
        ]
        assert fallbacks[0].message == (
            "The broken backend stopped. Reconnect its device and start again."
        )
        assert engine.music.name == "composer"
        assert {engine.cue(0).backend} == {"composer"}
        assert not [e for e in events if isinstance(e, ev.EngineError)]
    finally:
        engine.close()


def test_a_backend_that_cannot_start_is_explained_in_full(monkeypatch):
    import m2m_reader.engine.models.clip_emotions as clip

    def broken_clip(*a, **k):
        raise BackendUnavailable("CLIP cannot start.", detail="Its weights are not on disk.")

    monkeypatch.setattr(clip, "ClipEmotions", broken_clip)
    heard = []
    emotions = make_emotions(Settings(emotions="clip"), lambda *f: heard.append(f))
    assert emotions.name == "builtin"
    assert heard == [
        ("emotions", "clip", "builtin", "CLIP cannot start. Its weights are not on disk.")
    ]


def test_explain_says_the_sentence_then_the_detail_once():
    assert explain(BackendUnavailable("No key.", detail="Set OPENAI_API_KEY.")) == (
        "No key. Set OPENAI_API_KEY."
    )
    assert explain(BackendUnavailable("No key.")) == "No key."
    assert explain(Cancelled("stop")).startswith("internal error")
