"""The engine ahead of the cursor: order of work, cache reuse, jumps, edits, fallbacks."""

from __future__ import annotations

import pytest
from bookfactory import PageSpec, make_book, three_scene_book
from test_engine_doubles import FakeMusic, RecordingMixer, make_engine, wait_for

from m2m_reader.engine.analysis.pipeline import analyze
from m2m_reader.engine.core import events as ev
from m2m_reader.engine.core.settings import Settings


def long_book(n: int = 40):
    moods = [
        ("a", "Good morning, the tea is ready."),
        ("c", "Run! They're coming!!"),
        ("d", "I'm sorry... goodbye."),
    ]
    return make_book(
        [PageSpec([moods[(i // 8) % 3]], tone=60 + 20 * ((i // 8) % 3)) for i in range(n)]
    )


@pytest.fixture
def events():
    return []


def test_the_page_under_the_cursor_gets_music_first_then_the_pages_ahead(events):
    music = FakeMusic()
    engine = make_engine(music, events=events)
    try:
        engine.open(long_book(), page=17)
        assert engine.prepare_all() == 40
        # Two analysis threads may finish page 18 a moment before page 17.
        # A page may be redone when the final scene boundaries differ from the
        # provisional ones: the order is that of the first time each page is made.
        first_made = list(dict.fromkeys(music.calls))
        assert 17 in first_made[:2]
        assert sorted(first_made[:4]) == [17, 18, 19, 20]
        # Every page has music.
        assert set(music.calls) == set(range(40))
        ready = [e.page for e in events if isinstance(e, ev.CueReady)]
        assert 17 in ready[:2] and set(ready) == set(range(40))
        # The last progress event is sent just after the last cue is counted.
        assert wait_for(
            lambda: any(isinstance(e, ev.Progress) and e.done == e.total == 40 for e in events)
        )
    finally:
        engine.close()


def test_reopening_a_cached_book_computes_nothing():
    first = make_engine()
    first.open(three_scene_book())
    first.prepare_all()
    assert first.stats.music_jobs >= 12 and first.stats.analysis_records > 0
    first.close()
    music = FakeMusic()
    again = make_engine(music)
    try:
        again.open(three_scene_book())
        assert again.prepare_all() == 12
        assert again.wait_idle(10)
        assert again.stats.analysis_records == 0
        assert again.stats.music_jobs == 0 and music.calls == []
        assert again.stats.cues_from_cache == 12
    finally:
        again.close()


def test_engine_analysis_matches_the_whole_book_pipeline():
    book = three_scene_book()
    engine = make_engine()
    try:
        engine.open(book)
        engine.prepare_all()
        assert engine.wait_idle(10)
        got = engine.analysis()
    finally:
        engine.close()
    want = analyze(three_scene_book())
    assert not got.provisional
    assert [(s.first_page, s.last_page) for s in got.scenes] == [
        (s.first_page, s.last_page) for s in want.scenes
    ]
    assert [s.directive for s in got.scenes] == [s.directive for s in want.scenes]
    assert [p.caption for s in got.scenes for p in s.pages] == [
        p.caption for s in want.scenes for p in s.pages
    ]


def test_pages_of_one_scene_continue_and_a_new_scene_changes():
    music = FakeMusic()
    engine = make_engine(music)
    try:
        engine.open(three_scene_book())
        engine.prepare_all()
    finally:
        engine.close()
    joins = {r.page: r.joins for r in music.requests}
    assert joins[0] == "change" and joins[1] == "continue" and joins[4] == "change"
    assert len({r.seed for r in music.requests if r.scene == 1}) == 1


def _started_next(music: FakeMusic, mark: int, page: int) -> bool:
    """Whether, of the generations started from `music.calls[mark]` on, `page` was the
    first one to be finished: the others before it were interrupted (at most one, the
    one under way)."""
    after = music.calls[mark:]
    if page not in after:
        return False
    before = after[: after.index(page)]
    return len(before) <= 1 and all(p in music.interrupted for p in before)


def test_a_jump_interrupts_far_work_and_serves_the_new_page_next():
    music = FakeMusic(delay=1.0)
    analysed_at = {}  # page -> how many generations had started when its analysis was done

    class Events(list):
        def append(self, e):
            super().append(e)
            if isinstance(e, ev.StageDone) and e.stage == "caption":
                analysed_at.setdefault(e.page, len(music.calls))

    engine = make_engine(music, events=Events())
    try:
        engine.open(long_book(60))
        assert wait_for(lambda: engine.cue(0) is not None)
        engine.set_cursor(45, kind="jump")
        assert wait_for(lambda: engine.cue(45) is not None, timeout=20)
        # While page 45 is analysed the music thread may go on with other pages; from
        # the moment it can be made, nothing else is finished first: what was under
        # way is interrupted and page 45 is the next generation.
        assert _started_next(music, analysed_at[45], 45)
        # The page after it likewise, once it is analysed.
        assert wait_for(lambda: 46 in music.calls, timeout=10)
        assert _started_next(music, max(analysed_at[46], music.calls.index(45) + 1), 46)
    finally:
        engine.close()


def test_a_jump_cancels_a_running_generation_far_from_the_cursor():
    music = FakeMusic(delay=1.0)
    engine = make_engine(music)
    try:
        engine.open(long_book(60), page=0)
        # Let it reach idle work: a page well outside the look-ahead.
        engine.set_cursor(58, "jump")
        assert wait_for(lambda: 58 in music.calls, timeout=20)
        engine.set_cursor(2, "jump")
        assert wait_for(lambda: 2 in music.calls, timeout=20)
        assert music.interrupted, "the generation for the far page went on"
    finally:
        engine.close()


def test_cues_and_turns_reach_the_mixer():
    mixer = RecordingMixer()
    engine = make_engine()
    try:
        engine.attach_mixer(mixer)
        engine.open(three_scene_book())
        assert wait_for(lambda: 0 in mixer.cues and 1 in mixer.cues)
        engine.set_cursor(1)
        engine.set_cursor(9, "jump")
        assert mixer.turns[-2:] == [(1, "turn"), (9, "jump")]
        assert wait_for(lambda: 9 in mixer.cues)
    finally:
        engine.close()


def test_editing_a_caption_redoes_only_that_page(events):
    music = FakeMusic()
    engine = make_engine(music, events=events)
    try:
        engine.open(three_scene_book())
        engine.prepare_all()
        assert engine.wait_idle(10)
        before = len(music.calls)
        engine.edit_caption(5, "a lone kazoo plays a march")
        assert wait_for(lambda: len(music.calls) == before + 1 and 5 in engine.ready_pages())
        assert engine.wait_idle(10)
        assert music.calls[before:] == [5]
        assert music.requests[-1].caption == "a lone kazoo plays a march"
        assert engine.analysis().page(5).caption == "a lone kazoo plays a march"
        assert engine.analysis().page(5).edited == ["caption"]
    finally:
        engine.close()


def test_editing_a_directive_redoes_that_scene_only():
    music = FakeMusic()
    engine = make_engine(music)
    try:
        engine.open(three_scene_book())
        engine.prepare_all()
        assert engine.wait_idle(10)
        scene = engine.analysis().scene_of(5)
        before = len(music.calls)
        engine.edit_directive(scene.first_page, scene.last_page, "a brass band in the rain")
        assert engine.prepare_all() == 12
        assert engine.wait_idle(10)
        assert sorted(music.calls[before:]) == list(range(scene.first_page, scene.last_page + 1))
        assert engine.analysis().scene_of(5).directive == "a brass band in the rain"
    finally:
        engine.close()


def test_a_failing_music_backend_is_an_event_not_a_crash(events):
    engine = make_engine(FakeMusic(fail=True), events=events)
    try:
        engine.open(three_scene_book())
        assert wait_for(
            lambda: any(isinstance(e, (ev.BackendFallback, ev.EngineError)) for e in events),
            timeout=30,
        )
    finally:
        engine.close()


def test_openai_text_in_offline_mode_falls_back_with_a_message(events):
    settings = Settings(text="openai", offline=True)
    engine = make_engine(events=events, settings=settings)
    try:
        assert engine.text.name == "builtin"
        fallback = next(e for e in events if isinstance(e, ev.BackendFallback))
        assert (fallback.stage, fallback.backend, fallback.fallback) == (
            "text",
            "openai",
            "builtin",
        )
        assert "offline" in fallback.message
    finally:
        engine.close()


def test_opening_another_book_drops_the_first_books_work():
    music = FakeMusic(delay=0.05)
    engine = make_engine(music)
    try:
        engine.open(long_book(40))
        assert wait_for(lambda: len(music.calls) >= 2)
        book = three_scene_book()
        engine.open(book)
        assert engine.prepare_all() == 12
        assert engine.wait_idle(10)
        want = analyze(three_scene_book())
        captions = [p.caption for s in want.scenes for p in s.pages]
        assert [engine.page_info(p).result.caption for p in range(12)] == captions
        assert engine.analysis().title == book.title
    finally:
        engine.close()


def test_a_page_analysed_while_the_engine_closes_is_dropped_quietly(events, monkeypatch):
    engine = make_engine(events=events)
    engine.open(three_scene_book())
    assert wait_for(lambda: engine.page_info(0) is not None, 20)
    info = engine.page_info(0)
    planner = engine._planner
    planner.invalidate([0])  # as if page 0's analysis were still to land
    gen = planner.table.generation(0)
    engine.close()
    before = len(events)
    # What a worker finishing at that moment calls: no pool takes more work.
    planner.page_done(info, gen)
    planner.find_cue(info, "k", gen)

    def closing(*args, **kwargs):  # the engine closes between the check and the submit
        planner.closed = True
        raise RuntimeError("pool music is closed")

    planner.closed = False
    monkeypatch.setattr(engine._pools.music, "submit", closing)
    planner.page_done(info, gen)
    assert planner.closed
    assert [e for e in events[before:] if isinstance(e, ev.EngineError)] == []
