"""One cue recipe: live playback, prepare-for-offline and export ask for the same music."""

from __future__ import annotations

import pytest
from test_engine_doubles import FakeMusic

from m2m_reader.engine.analysis.edits import EditStore
from m2m_reader.engine.analysis.pipeline import Analyzer
from m2m_reader.engine.books import open_book
from m2m_reader.engine.core.cache import DiskCache
from m2m_reader.engine.core.settings import Settings
from m2m_reader.engine.cue_recipe import CUE_BUCKETS, CueRecipe, bucket, scene_seed
from m2m_reader.engine.export import export_soundtrack
from m2m_reader.engine.library import Library
from m2m_reader.engine.reading_time import seconds_for_page
from m2m_reader.engine.session.engine import Engine
from m2m_reader.engine.session.reading_speed import ReadingSpeed

FIELDS = ("page", "scene", "caption", "directive", "seconds", "joins", "seed", "scene_page")


def fields(request) -> tuple:
    return tuple(getattr(request, f) for f in FIELDS)


def export(book, store, tmp_path, music, name="s.wav", **kw):
    analysis = Analyzer(book, store=store, edits=EditStore.in_memory()).run("scene")
    return export_soundtrack(
        book, analysis, music, tmp_path / name, sample_rate=8000, store=store, **kw
    )


@pytest.fixture
def prepared(sample_book_path):
    """The sample book prepared for offline by a reader whose turns taught the engine
    they read twice as fast as the estimate: (book, store, live requests, live keys)."""
    lib = Library()
    entry = lib.add(sample_book_path)
    store = DiskCache(limit_mb=0)
    music = FakeMusic()
    speed = ReadingSpeed(persist=False)
    speed.factor = 0.5
    engine = Engine(Settings(), store=store, music=music, speed=speed, audio=False,
                    edits_in_memory=True)  # fmt: skip
    try:
        assert lib.prepare(entry.id, engine) == entry.pages
        keys = engine.cue_keys()
    finally:
        engine.close()
    assert lib.get(entry.id).offline_ready
    book = open_book(sample_book_path)
    yield book, store, music.requests, keys
    book.close()


def test_every_page_gets_the_same_request_and_key_live_and_in_export(prepared, tmp_path):
    book, _, live_requests, live_keys = prepared
    cold = FakeMusic()  # an export that finds nothing prepared
    result = export(book, DiskCache(limit_mb=0, root=tmp_path / "cold"), tmp_path, cold)
    assert result.composed == len(book) == len(cold.requests)
    assert result.cue_keys == [live_keys[p] for p in range(len(book))]
    for request in cold.requests:
        live = {fields(r) for r in live_requests if r.page == request.page}
        assert fields(request) in live, f"page {request.page}"
        # the cue is as long as the page's reading time at the default speed, rounded up
        assert request.seconds == bucket(seconds_for_page(book.pages[request.page]))
    seeds = {r.scene: r.seed for r in cold.requests}
    assert len(set(seeds.values())) == len(seeds) > 1  # one seed per scene


def test_export_after_prepare_composes_nothing_and_sounds_the_same(prepared, tmp_path):
    book, store, _, live_keys = prepared
    music = FakeMusic()
    warm = export(book, store, tmp_path, music, stems=True)
    assert warm.composed == 0 and music.requests == []
    assert warm.cue_keys == [live_keys[p] for p in range(len(book))]
    assert len(list(warm.stems_dir.glob("page_*.wav"))) == len(book)
    # the same soundtrack as an export that made every cue itself
    cold = export(book, DiskCache(limit_mb=0, root=tmp_path / "cold"), tmp_path, FakeMusic(),
                  name="cold.wav")  # fmt: skip
    assert cold.composed == len(book)
    assert warm.page_starts_s == cold.page_starts_s
    assert warm.integrated_lufs == pytest.approx(cold.integrated_lufs, abs=0.01)
    assert [c.tempo for c in warm.plans] == [c.tempo for c in cold.plans]


def test_a_fixed_seconds_per_page_is_another_request(prepared, tmp_path):
    book, store, _, _ = prepared
    music = FakeMusic()
    fixed = CUE_BUCKETS[-1]
    result = export(book, store, tmp_path, music, seconds_per_page=fixed)
    assert result.page_seconds == [fixed] * len(book)
    # Pages whose own reading time rounds up to the same cue length find it prepared;
    # the others are another request, made now.
    differ = [p for p in range(len(book)) if bucket(seconds_for_page(book.pages[p])) != fixed]
    assert sorted(r.page for r in music.requests) == differ
    assert result.composed == len(differ)
    assert all(r.seconds == fixed for r in music.requests)


def test_the_recipe_of_a_page():
    from test_export_support import synthetic_book

    book = synthetic_book(6, words=40, panels=6)  # 3 + 10 + 4.8 s: a 17.8 s page
    first = CueRecipe.for_page(book, 3, 1, 3, "rain on the window", "quiet piano")
    second = CueRecipe.for_page(book, 4, 1, 3, "rain on the window", "quiet piano")
    assert (first.joins, second.joins) == ("change", "continue")
    assert first.seed == second.seed == scene_seed(book.fingerprint, 3)
    assert first.seed != scene_seed(book.fingerprint, 0)
    assert first.seconds == CUE_BUCKETS[-1]  # longer pages loop the longest cue
    assert CueRecipe.for_page(book, 3, 1, 3, "", "", setting=7).seconds == 8.0
    assert second.request().scene_page == 1
    music = FakeMusic()
    assert first.key(music) != second.key(music)
    assert first.key(music) == CueRecipe.for_page(book, 3, 1, 3, "rain on the window",
                                                  "quiet piano").key(music)  # fmt: skip


def test_the_commands_export_a_prepared_book_from_the_cache(tmp_path, capsys):
    from PIL import Image

    from m2m_reader.cli import main

    book = tmp_path / "book"
    book.mkdir()
    for i in range(3):
        Image.new("L", (60, 90), 40 + 60 * i).save(book / f"{i + 1:03d}.png")
    assert main(["library", "add", str(book)]) == 0
    assert main(["library", "prepare", "1", "--offline"]) == 0
    capsys.readouterr()
    assert main(["export", str(book), "-o", str(tmp_path / "s.wav"), "--offline"]) == 0
    assert "music for 3 of 3 pages came from the cache" in capsys.readouterr().out
    # a fixed reading time whose cue length differs is composed, not taken from the cache
    assert main(["export", str(book), "-o", str(tmp_path / "t.wav"), "--offline",
                 "--seconds-per-page", "30"]) == 0  # fmt: skip
    assert "came from the cache" not in capsys.readouterr().out


def test_a_page_analysed_while_the_final_scenes_land_is_prepared_from_them(tmp_path):
    import threading
    import time

    from bookfactory import PageSpec, make_book

    from m2m_reader.engine.analysis.builtin import BuiltinText
    from m2m_reader.engine.analysis.records import ScenesResult
    from m2m_reader.engine.core.store import MemoryStore

    slow = threading.Event()

    class MovingScenes(BuiltinText):
        """One scene while the first pages are read; two once the whole book is. Page
        6's caption takes a while the first time, so the final scenes land meanwhile."""

        name = "moving"

        def scenes(self, book, transcripts, cancel, **kw):
            if len(transcripts) < len(book):
                return ScenesResult(starts=[0], provisional=True)
            return ScenesResult(starts=[0, 5])

        def caption(self, page, cancel):
            if page.index == 6 and not slow.is_set():
                slow.set()
                time.sleep(1.5)
            return super().caption(page, cancel)

    book = make_book([PageSpec([("a", f"Line {i}.")]) for i in range(12)])
    store, music = MemoryStore(), FakeMusic()
    engine = Engine(Settings(), store=store, music=music, text=MovingScenes(), audio=False,
                    speed=ReadingSpeed(persist=False), edits_in_memory=True)  # fmt: skip
    try:
        engine.open(book)
        assert engine.prepare_all() == 12 and slow.is_set()
        keys = engine.cue_keys()
    finally:
        engine.close()
    analysis = Analyzer(book, text=MovingScenes(), store=store).run("scene")
    assert [(s.first_page, s.last_page) for s in analysis.scenes] == [(0, 4), (5, 11)]
    result = export_soundtrack(book, analysis, music, tmp_path / "s.wav", sample_rate=8000,
                               store=store)  # fmt: skip
    assert result.composed == 0 and result.cue_keys == [keys[p] for p in range(12)]
