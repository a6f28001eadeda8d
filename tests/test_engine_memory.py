"""Only the cues near the cursor stay in memory; the rest wait in the store."""

from __future__ import annotations

from bookfactory import three_scene_book
from test_engine_doubles import FakeMusic, wait_for

from m2m_reader.engine.core.cache import DiskCache
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.session.engine import RAM_CUES, Engine
from m2m_reader.engine.session.reading_speed import ReadingSpeed


def test_a_prepared_book_keeps_few_cues_in_memory_and_the_next_page_ready(tmp_path):
    engine = Engine(Settings(), store=DiskCache(root=tmp_path), music=FakeMusic(),
                    speed=ReadingSpeed(persist=False), edits_in_memory=True, audio=False)  # fmt: skip
    try:
        book = three_scene_book()
        engine.open(book)
        engine.prepare_all()
        assert len(engine.ready_pages()) == len(book)
        in_memory = [p for p in range(len(book)) if engine.cue(p) is not None]
        assert 0 < len(in_memory) <= RAM_CUES
        assert {0, 1} <= set(in_memory)
        engine.set_cursor(len(book) - 2, "jump")
        assert wait_for(lambda: engine.cue(len(book) - 1) is not None)  # from the store
        assert wait_for(lambda: engine.cue(0) is None)  # far behind now: only in the store
    finally:
        engine.close()
