"""The page table under concurrency: invalidations racing cue deliveries never raise,
and a cue made before its page's inputs changed never becomes the page's music."""

from __future__ import annotations

import random
import threading
import time

import numpy as np
from bookfactory import three_scene_book
from test_engine_doubles import FakeMusic, make_engine, wait_for

from m2m_reader.engine.analysis.records import PageResult
from m2m_reader.engine.core import events as ev
from m2m_reader.engine.cue_recipe import CueRecipe
from m2m_reader.engine.music.base import Clip, Cue, MusicPlan
from m2m_reader.engine.session.lookahead import ram_pages
from m2m_reader.engine.session.page_table import PageInfo, PageTable

PAGES = 12


def _info(page: int) -> PageInfo:
    scene, first = page // 4, page // 4 * 4
    recipe = CueRecipe(page, scene, first, "c", "d", 8.0, 1)
    return PageInfo(page, scene, first, first + 3, "d", PageResult(index=page), recipe)


def _cue(page: int) -> Cue:
    return Cue(
        page, page // 4, Clip(np.zeros((8, 2), np.float32), 8000), MusicPlan(), "change", "t"
    )


def _hammer(threads: list[threading.Thread], seconds: float) -> None:
    for t in threads:
        t.start()
    time.sleep(seconds)


def test_invalidations_racing_deliveries_never_raise_and_drop_stale_cues():
    table = PageTable()
    stop = threading.Event()
    errors: list[BaseException] = []

    def guarded(fn):
        def run():
            try:
                while not stop.is_set():
                    fn()
            except BaseException as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)

        return threading.Thread(target=run, daemon=True)

    rng = random.Random(1)

    def deliver():
        p = rng.randrange(PAGES)
        gen = table.generation(p)
        if table.accept(_info(p), f"k{p}", gen, lambda i: True):
            table.deliver(_cue(p), gen, final=True, keep=p in ram_pages(3))
        table.todo(PAGES, ram_pages(3))  # what the planner and the UI read meanwhile
        table.without_cue(ram_pages(3))
        table.cues(), table.ready(), table.keys(), table.infos()

    def invalidate():
        table.invalidate([rng.randrange(PAGES) for _ in range(3)])

    def renew():
        table.renew_cues(lambda info: f"new{info.page}")
        time.sleep(0.001)

    threads = [guarded(deliver), guarded(deliver), guarded(invalidate), guarded(renew)]
    _hammer(threads, 1.0)
    stop.set()
    for t in threads:
        t.join(5)
    assert errors == []
    # Every page that counts as ready has the analysis its cue was made from.
    infos = table.infos()
    assert all(p in infos for p in table.ready())
    # A cue whose work started before its page changed is dropped, however late it lands.
    gen = table.generation(5)
    table.invalidate([5])
    assert table.accept(_info(5), "k5", gen, lambda i: True) is None
    assert not table.deliver(_cue(5), gen, final=True, keep=True)
    assert 5 not in table.ready() and table.cue(5) is None


def test_edits_racing_the_engine_cues_and_turns_raise_nothing_and_end_on_the_new_caption():
    events: list = []
    music = FakeMusic(delay=0.002)
    music.name = "musicgen"  # a slow backend's name: its pages get the composer's stand-ins
    engine = make_engine(music=music, events=events)
    try:
        engine.open(three_scene_book())
        assert wait_for(lambda: 0 in engine.ready_pages(), 60)
        stop = threading.Event()
        errors: list[BaseException] = []

        def edits():
            i = 0
            while not stop.is_set():
                engine.edit_caption(i % 4, f"edit {i}")
                i += 1
                time.sleep(0.01)

        def turns():
            rng = random.Random(2)
            while not stop.is_set():
                engine.set_cursor(rng.randrange(PAGES), rng.choice(["turn", "jump"]))
                engine.cue_keys(), engine.analysis()
                time.sleep(0.005)

        def run(fn):
            def body():
                try:
                    fn()
                except BaseException as exc:  # noqa: BLE001 - the test reports it
                    errors.append(exc)

            return threading.Thread(target=body, daemon=True)

        threads = [run(edits), run(turns)]
        _hammer(threads, 2.0)
        stop.set()
        for t in threads:
            t.join(10)
        assert errors == []
        engine.edit_caption(0, "a slow cello under rain")
        assert engine.prepare_all() == PAGES and engine.wait_idle(60)
        failures = [e.message for e in events if isinstance(e, ev.EngineError)]
        assert failures == []
        page = engine.analysis().page(0)
        assert page.caption == "a slow cello under rain"
        assert any(r.page == 0 and r.caption == "a slow cello under rain" for r in music.requests)
    finally:
        engine.close()
