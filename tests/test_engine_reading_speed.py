"""Reading speed: learned from turns, not from jumps or pauses; it sets the look-ahead."""

from __future__ import annotations

from bookfactory import PageSpec, make_book

from m2m_reader.engine.reading_time import seconds_for_page
from m2m_reader.engine.session.reading_speed import ReadingSpeed


def page():
    return make_book([PageSpec([("a", "Hello there, how are you today?")])]).pages[0]


def test_a_fast_reader_is_learned():
    speed = ReadingSpeed(persist=False)
    p = page()
    expected = seconds_for_page(p)
    for _ in range(20):
        assert speed.learn(p, expected / 2)
    assert 0.5 <= speed.factor < 0.6
    assert speed.seconds(p) < 0.6 * expected


def test_pauses_and_flips_are_ignored():
    speed = ReadingSpeed(persist=False)
    p = page()
    assert not speed.learn(p, 600.0)  # left the book open
    assert not speed.learn(p, 0.2)  # flipping through
    assert speed.factor == 1.0 and speed.turns == 0


def test_the_speed_is_kept_between_sessions(tmp_path):
    path = tmp_path / "speed.json"
    speed = ReadingSpeed(path)
    p = page()
    for _ in range(5):
        speed.learn(p, seconds_for_page(p) * 1.5)
    speed.save()
    again = ReadingSpeed(path)
    assert again.factor == round(speed.factor, 4) and again.turns == 5


def test_a_damaged_speed_file_is_ignored(tmp_path):
    path = tmp_path / "speed.json"
    path.write_text("{oops")
    assert ReadingSpeed(path).factor == 1.0


def test_turns_teach_the_engine_and_jumps_do_not(monkeypatch):
    from test_engine import long_book, make_engine

    from m2m_reader.engine.session import lookahead

    clock = [1000.0]
    monkeypatch.setattr(lookahead.time, "monotonic", lambda: clock[0])

    def ahead() -> int:  # the pages the engine keeps ready ahead of the cursor
        return len(lookahead.window(engine.book, engine.cursor, engine.speed.seconds))

    engine = make_engine()
    try:
        engine.open(long_book(30))
        window_before = ahead()
        for p in range(1, 11):  # a quick reader: two seconds a page
            clock[0] += 2.0
            engine.set_cursor(p, "turn")
        clock[0] += 2.0
        engine.set_cursor(25, "jump")
        clock[0] += 2.0
        engine.set_cursor(0, "jump")
        assert engine.speed.turns == 10
        assert engine.speed.factor < 0.6
        # Faster reading: the same seconds of look-ahead cover more pages.
        assert ahead() > window_before
    finally:
        engine.close()
