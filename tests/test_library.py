"""The library: books with covers and progress in sqlite; prepare a soundtrack for offline."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image
from test_engine_doubles import make_engine

from m2m_reader.engine.books import open_book
from m2m_reader.engine.core.errors import BookError
from m2m_reader.engine.library import Library, LibraryError, PrepareService


def folder_book(root, name="My Comic", pages=6):
    folder = root / name
    folder.mkdir(parents=True)
    for i in range(pages):
        Image.new("RGB", (600, 900), (40 * i % 255, 120, 200)).save(folder / f"{i + 1:03d}.png")
    return folder


def engine():
    return make_engine()


def test_add_reads_title_pages_and_a_small_cover(tmp_path):
    lib = Library()
    entry = lib.add(folder_book(tmp_path))
    assert (entry.title, entry.pages, entry.page, entry.music_pages) == ("My Comic", 6, 0, 0)
    cover = Image.open(io.BytesIO(entry.cover))
    assert cover.format == "PNG" and max(cover.size) <= 256
    assert lib.books() == [entry]


def test_adding_again_keeps_one_entry_and_the_progress(tmp_path):
    lib = Library()
    path = folder_book(tmp_path)
    first = lib.add(path)
    lib.set_progress(first.id, 3)
    again = lib.add(path)
    assert again.id == first.id and again.page == 3
    assert len(lib.books()) == 1


def test_the_same_manga109_book_by_its_xml_or_its_images_is_one_entry(sample_book_path):
    lib = Library()
    by_xml = lib.add(sample_book_path)
    by_images = lib.add(sample_book_path.parents[1] / "images" / sample_book_path.stem)
    assert by_images.id == by_xml.id
    assert len(lib.books()) == 1


def test_recently_opened_first_and_progress(tmp_path):
    lib = Library()
    a = lib.add(folder_book(tmp_path, "A"))
    lib.add(folder_book(tmp_path, "B"))
    lib.set_progress(a.id, 5)
    books = lib.books()
    assert [x.title for x in books] == ["A", "B"]
    assert books[0].progress == 1.0 and books[1].progress == 0.0


def test_the_library_persists_in_the_data_folder(tmp_path):
    Library().add(folder_book(tmp_path))
    assert [b.title for b in Library().books()] == ["My Comic"]


def test_errors_are_one_clear_sentence(tmp_path):
    lib = Library()
    with pytest.raises(LibraryError, match="there is no book 42 in the library"):
        lib.get(42)
    with pytest.raises(LibraryError, match="no book 7"):
        lib.set_progress(7, 1)
    with pytest.raises(BookError):
        lib.add(tmp_path / "missing.cbz")
    assert lib.books() == []


def test_a_damaged_database_is_reported(tmp_path):
    bad = tmp_path / "library.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LibraryError, match="library database is damaged"):
        Library(bad)


def test_remove(tmp_path):
    lib = Library()
    entry = lib.add(folder_book(tmp_path))
    lib.remove(entry.id)
    assert lib.books() == []


def test_prepare_for_offline_computes_the_whole_soundtrack(tmp_path):
    lib = Library()
    entry = lib.add(folder_book(tmp_path, pages=8))
    seen = []
    e = engine()
    try:
        assert lib.prepare(entry.id, e, progress=lambda d, t: seen.append((d, t))) == 8
    finally:
        e.close()
    book = lib.get(entry.id)
    assert book.offline_ready and book.cached_fraction == 1.0
    assert seen[-1] == (8, 8) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    # Reading it again needs no music job: everything is cached.
    e = engine()
    try:
        e.open(open_book(entry.path))
        assert e.prepare_all() == 8
        assert e.stats.music_jobs == 0
    finally:
        e.close()


def test_prepare_in_the_background_reports_when_done(tmp_path):
    lib = Library()
    entry = lib.add(folder_book(tmp_path, pages=5))
    done = threading.Event()
    results = []

    def finished(result):
        results.append(result)
        done.set()

    PrepareService(lib, engine).submit(entry.id, on_done=finished)
    assert done.wait(30)
    assert results == [5] and lib.get(entry.id).offline_ready


def test_prepare_of_a_missing_book_reports_the_error(tmp_path):
    lib = Library()
    done = threading.Event()
    results = []
    PrepareService(lib, engine).submit(99, on_done=lambda r: (results.append(r), done.set()))
    assert done.wait(10)
    assert isinstance(results[0], LibraryError)


def test_books_asked_together_are_prepared_one_at_a_time_on_one_worker(tmp_path):
    lib = Library()
    entries = [lib.add(folder_book(tmp_path, f"Book {i}", pages=3)) for i in range(3)]
    live, most, made = [0], [0], []
    lock = threading.Lock()

    def counted_engine():
        e = engine()
        made.append(e)
        real_prepare, real_close = e.prepare_all, e.close

        def prepare_all(*args, **kwargs):
            with lock:
                live[0] += 1
                most[0] = max(most[0], live[0])
            try:
                return real_prepare(*args, **kwargs)
            finally:
                with lock:
                    live[0] -= 1

        e.prepare_all, e.close = prepare_all, real_close
        return e

    service = PrepareService(lib, counted_engine)
    results = []
    stopped = service.submit(entries[2].id, on_done=results.append)
    stopped.cancel("the person changed their mind")  # still queued: never started
    for entry in entries[:2]:
        service.submit(entry.id, on_done=results.append)
    assert service.wait_idle(60)
    assert sorted(results) == [0, 3, 3] and most[0] == 1 and len(made) == 2
    assert [lib.get(e.id).offline_ready for e in entries] == [True, True, False]
