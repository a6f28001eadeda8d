"""`m2m-reader batch` on a local Ray (2 CPUs) with tiny books: what OUT holds, what a
rerun skips, a book that fails while the rest go on, and a run killed midway.

One Ray serves the module (it takes seconds to start); its workers get their own
cache, data and config folders. The kill -9 test runs only with M2M_SLOW_TESTS=1.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="batch needs Ray: pip install 'm2m-reader[batch]'")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from ray_support import started_ray  # noqa: E402
from test_batch import write_cbz  # noqa: E402

from m2m_reader.cli import main  # noqa: E402
from m2m_reader.engine.batch import (  # noqa: E402
    BatchOptions,
    BookJob,
    Manifest,
    composed_keys,
    find_books,
    outputs,
    outputs_valid,
    run_batch,
)
from m2m_reader.engine.core.settings import Settings  # noqa: E402
from m2m_reader.samplebook.story import parse  # noqa: E402
from m2m_reader.samplebook.write import write_book  # noqa: E402

slow = pytest.mark.skipif(
    os.environ.get("M2M_SLOW_TESTS") != "1", reason="slow: set M2M_SLOW_TESTS=1"
)


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local Ray whose workers keep their files under a folder of their own; yields
    the cache folder they share with the test."""
    with started_ray(ray, tmp_path_factory) as cache:
        yield cache


def _options(src: Path, out: Path, cache: Path, **kw) -> BatchOptions:
    return BatchOptions(source=src, out=out, cache_dir=cache, **kw)


def test_a_folder_becomes_soundtracks_and_a_broken_book_is_reported(
    local_ray: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end: every book's audio, chapters and CUE, the same as `export` writes;
    the broken book is in the manifest with its reason, the others are done."""
    src, out = tmp_path / "in", tmp_path / "out"
    write_cbz(src / "a.cbz", pages=3, book=1)
    write_cbz(src / "series" / "b.cbz", pages=2, book=2)
    (src / "broken.cbz").write_bytes(b"this is no archive")
    first = parse()[0]  # a Manga109 root of one title: the sample story's first two spreads
    write_book(src / "m109", [replace(first, spreads=first.spreads[:2])])

    report = run_batch(Settings(), _options(src, out, local_ray))

    records = {r["book"]: r for r in report.records}
    assert sorted(records) == ["a", "broken", "m109/HaruNoMelody", "series/b"]
    assert records["broken"]["status"] == "failed"
    assert "broken.cbz" in records["broken"]["error"]
    for name, pages in (("a", 3), ("series/b", 2), ("m109/HaruNoMelody", 2)):
        r = records[name]
        assert r["status"] == "ok", r["error"]
        assert (r["pages"], r["cues"], r["composed"], r["composed_by_writer"]) == (
            pages,
            pages,
            pages,
            0,
        )
        assert outputs_valid(outputs(out, BookJob(r["path"], name), "flac"), pages) is None
    lines = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    assert sorted(x["book"] for x in lines) == sorted(records)
    assert len(composed_keys(out)) == len(set(composed_keys(out))) == 7
    progress = capsys.readouterr().out
    assert "4 books: 0 finished already, 4 to do" in progress and "FAILED" in progress

    # What export writes for the same book, with the same cache: the same chapters, the
    # same samples, and no cue composed again.
    alone = tmp_path / "alone"
    alone.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("M2M_READER_CACHE_DIR", str(local_ray))
        assert main(["export", str(src / "a.cbz"), "-o", str(alone / "a.flac")]) == 0
    assert "music for 3 of 3 pages came from the cache" in capsys.readouterr().out
    mine, theirs = (
        outputs(out, find_books(src)[0], "flac"),
        outputs(alone, find_books(src)[0], "flac"),
    )
    assert json.loads(mine["chapters"].read_text()) == json.loads(theirs["chapters"].read_text())
    assert np.array_equal(sf.read(mine["audio"])[0], sf.read(theirs["audio"])[0])


def test_a_rerun_skips_finished_books_and_redoes_a_damaged_one(
    local_ray: Path, tmp_path: Path
) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(3):
        write_cbz(src / f"b{i}.cbz", pages=2, book=10 + i)
    first = run_batch(Settings(), _options(src, out, local_ray))
    assert not first.failed and first.skipped == 0
    journal = composed_keys(out)

    t0 = time.perf_counter()
    again = run_batch(Settings(), _options(src, out, local_ray))
    assert (again.skipped, again.records) == (3, [])
    assert time.perf_counter() - t0 < 2.0  # nothing to do: no Ray work at all

    audio = outputs(out, find_books(src)[1], "flac")["audio"]
    data, rate = sf.read(audio)
    sf.write(audio, data[: len(data) // 2], rate)  # cut short, as by a full disk
    third = run_batch(Settings(), _options(src, out, local_ray))
    assert third.skipped == 2
    assert [(r["book"], r["status"], r["composed"]) for r in third.records] == [("b1", "ok", 0)]
    assert composed_keys(out) == journal  # its cues came from the cache
    assert sf.info(str(audio)).frames == len(data)
    assert Manifest(out).records["b1"]["status"] == "ok"


def test_the_llm_stages_run_on_the_workers_against_the_endpoint(
    local_ray: Path, tmp_path: Path
) -> None:
    """`--llm openai`: each page's transcript (the vision model) and caption, each scene's
    directive, asked of the endpoint by the workers; a forced rerun asks nothing."""
    from fake_openai import FakeOpenAI

    src, out = tmp_path / "in", tmp_path / "out"
    write_cbz(src / "talk.cbz", pages=3, book=7)
    with FakeOpenAI() as fake:
        settings = Settings(text="openai", llm_base_url=fake.base_url, llm_model="text-m")
        report = run_batch(settings, _options(src, out, local_ray))
        (record,) = report.records
        assert record["status"] == "ok", record["error"]
        assert record["backends"]["text"] == "openai"
        stages = fake.stages()
        assert stages.count("transcript") == 3 and stages.count("caption") == 3
        assert stages.count("directive") == record["scenes"]
        chapters = json.loads(outputs(out, find_books(src)[0], "flac")["chapters"].read_text())
        assert chapters["pages"][0]["caption"].startswith("Page")  # the endpoint's words

        asked = len(fake.requests)
        again = run_batch(settings, _options(src, out, local_ray, force=True))
        assert [r["status"] for r in again.records] == ["ok"]
        assert len(fake.requests) == asked  # every answer came from the cache


@pytest.mark.models
def test_musicgen_actors_hold_the_model_and_the_writer_composes_nothing(
    local_ray: Path, tmp_path: Path
) -> None:
    """`--music musicgen` (a tiny random-weight checkpoint, on the CPU): the music
    actors make every cue; the writer finds them all in the cache."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from models_fixtures import save_tiny_musicgen

    checkpoint = save_tiny_musicgen(tmp_path / "musicgen-tiny")
    src, out = tmp_path / "in", tmp_path / "out"
    write_cbz(src / "m.cbz", pages=2, book=30)
    settings = Settings(music="musicgen", musicgen_model=str(checkpoint), device="cpu")
    report = run_batch(settings, _options(src, out, local_ray, seconds=6.0))
    (record,) = report.records
    assert record["status"] == "ok", record["error"]
    assert record["backends"]["music"] == "musicgen"
    assert (record["composed"], record["composed_by_writer"]) == (2, 0)
    chapters = json.loads(outputs(out, find_books(src)[0], "flac")["chapters"].read_text())
    assert [p["backend"] for p in chapters["pages"]] == ["musicgen", "musicgen"]


def _descendants(pid: int) -> list[int]:
    """The processes started under `pid`, however deep (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@slow
def test_a_killed_run_finishes_on_rerun_and_composes_nothing_twice(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(6):
        write_cbz(src / f"k{i}.cbz", pages=4, book=20 + i)
    env = {**os.environ, "M2M_READER_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "m2m_reader.cli", "batch", str(src), "-o", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:  # the first finished book
        if line.startswith(b"[1/"):
            break
    started = _descendants(proc.pid)  # the local Ray this run started
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    for pid in started:  # what the kill left behind (Ray's agents outlive their node)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    done_before = len(Manifest(out).records)
    assert done_before < 6

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=280)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{done_before} finished already" in rerun.stdout
    records = Manifest(out).records
    assert len(records) == 6 and all(r["status"] == "ok" for r in records.values())
    for job in find_books(src):
        assert outputs_valid(outputs(out, job, "flac"), 4) is None
    keys = composed_keys(out)
    assert len(keys) == len(set(keys)) == 24
    assert np.isfinite(sum(r["duration_s"] for r in records.values()))


def test_a_model_chosen_on_a_machine_without_a_gpu_still_finishes(
    local_ray: Path, tmp_path: Path
) -> None:
    """CLIP chosen on 2 CPUs and no GPU: its actors, the composer's and the tasks between
    them all get a CPU share (at a whole CPU each, the run waited for ever). Without
    CLIP's weights here the actors fall back to the built-in emotions, as export does."""
    src, out = tmp_path / "in", tmp_path / "out"
    write_cbz(src / "a.cbz", pages=2, book=30)
    report = run_batch(Settings(emotions="clip", device="cpu"), _options(src, out, local_ray))
    assert [(r["book"], r["status"]) for r in report.records] == [("a", "ok")]
    assert outputs_valid(outputs(out, find_books(src)[0], "flac"), 2) is None
