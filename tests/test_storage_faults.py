"""Storage faults: a full or read-only cache, a full output or data disk, killed exports,
sidecars that land with their audio, and what outputs look like on disk.

The real-disk tests mount a small tmpfs (or a read-only bind mount) and skip, saying
why, where mounting is not permitted; the fault-injection tests always run.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from test_export_support import ToneBackend, synthetic_analysis, synthetic_book

from m2m_reader.engine.audio import writer as writer_mod
from m2m_reader.engine.audio.writer import OutputError
from m2m_reader.engine.core import atomic
from m2m_reader.engine.core import cache as cache_mod
from m2m_reader.engine.core.cache import CacheError, DiskCache
from m2m_reader.engine.export import export_soundtrack, write_error
from m2m_reader.engine.export import soundtrack as export_mod

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "annotations" / "HaruNoMelody.xml"
TESTS = Path(__file__).resolve().parent


# -- real disks ---------------------------------------------------------------------


def _mount(args: list[str], where: Path) -> None:
    run = subprocess.run(["mount", *args, str(where)], capture_output=True, text=True)
    if run.returncode != 0:
        pytest.skip(f"cannot mount here ({run.stderr.strip() or 'mount failed'})")


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path):
    """Mount a tmpfs of the given size; returns its folder."""
    mounted: list[Path] = []

    def make(size: str = "256k", name: str = "disk") -> Path:
        where = tmp_path / name
        where.mkdir()
        _mount(["-t", "tmpfs", "-o", f"size={size}", "tmpfs"], where)
        mounted.append(where)
        return where

    yield make
    for where in mounted:
        _umount(where)


def fill(folder: Path) -> None:
    """Fill the disk of `folder` to the last byte."""
    with open(folder / "filler", "wb", buffering=0) as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 4096)


@pytest.fixture
def read_only(tmp_path):
    """A read-only bind mount of a folder: `make(source)` returns the read-only view."""
    mounted: list[Path] = []

    def make(source: Path) -> Path:
        view = tmp_path / f"{source.name}-ro"
        view.mkdir()
        _mount(["--bind", "-o", "ro", str(source)], view)
        mounted.append(view)
        if os.access(view, os.W_OK) and _writable(view):  # old mount: ro needs a remount
            _mount(["-o", "remount,bind,ro"], view)
        return view

    yield make
    for view in mounted:
        _umount(view)


def _writable(folder: Path) -> bool:
    try:
        (folder / ".probe").write_bytes(b"")
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


def run_cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "m2m_reader.cli", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, env={**os.environ, **env},
    )  # fmt: skip


def user_dirs(base: Path, **where: Path) -> dict[str, str]:
    dirs = {name: base / name.lower() for name in ("CACHE", "DATA", "CONFIG")}
    dirs.update({k.upper(): v for k, v in where.items()})
    return {f"M2M_READER_{k}_DIR": str(v) for k, v in dirs.items()}


def _tone(n: int = 4800) -> np.ndarray:
    t = np.arange(n) / 48000
    mono = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.stack([mono, mono], axis=1)


# -- the cache ----------------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_cache_that_cannot_be_written_goes_on_with_one_warning(
    tmp_path, monkeypatch, caplog, code
):
    cache = DiskCache(tmp_path / "cache", limit_mb=0)
    cache.put_json("old", {"kept": True})

    @contextlib.contextmanager
    def failing(path, mode="wb", public=False):
        raise atomic.StorageError(path, OSError(code, os.strerror(code)))
        yield  # pragma: no cover

    monkeypatch.setattr(cache_mod, "atomic_writer", failing)
    with caplog.at_level(logging.WARNING, logger="m2m_reader.engine.core.cache"):
        for i in range(20):
            cache.put_json(f"new{i}", {"i": i})  # never raises
        cache.put_audio("cue", _tone(), 48000, {})
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1, lines
    assert f"cannot be written ({os.strerror(code).lower()}); going on without caching" in lines[0]
    assert cache.get_json("old") == {"kept": True}  # reads still work
    assert cache.get_json("new3") is None and cache.get_audio("cue") is None
    assert cache.skipped_writes == 21 and cache.skipped_audio == 1

    # Space was freed: after the pause, writing works again, without another warning.
    monkeypatch.undo()
    monkeypatch.setattr(cache, "_retry_at", 0.0)
    cache.put_json("later", [1])
    assert cache.get_json("later") == [1]
    assert len(caplog.records) == 1


def test_entries_that_cannot_be_evicted_do_not_stop_writes(tmp_path, monkeypatch, caplog):
    cache = DiskCache(tmp_path / "cache", limit_mb=0.05)
    real_unlink = Path.unlink

    def unlink(self, missing_ok=False):
        if self.suffix in (".json", ".audio"):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with caplog.at_level(logging.WARNING, logger="m2m_reader.engine.core.cache"):
        for i in range(10):
            cache.put_json(f"k{i}", "x" * 20_000)  # past the limit: eviction fails
    assert [r.getMessage() for r in caplog.records] == [
        f"cannot prune the cache at {cache.root}: permission denied"
    ]
    assert all(cache.get_json(f"k{i}") == "x" * 20_000 for i in range(10))


def test_a_full_cache_disk_keeps_reads_and_skips_writes(small_disk, caplog):
    disk = small_disk("256k")
    cache = DiskCache(disk / "cache", limit_mb=0)
    cache.put_json("before", {"page": 1})
    fill(disk)
    again = DiskCache(disk / "cache", limit_mb=0)
    with caplog.at_level(logging.WARNING, logger="m2m_reader.engine.core.cache"):
        again.put_audio("big", np.tile(_tone(48000), (4, 1)), 48000, {})
        again.put_json("after", {"page": 2})
    assert again.get_json("before") == {"page": 1}
    assert again.get_json("after") is None
    assert again.write_error == "no space left on device"
    assert len(caplog.records) == 1
    leftovers = [p.name for p in (disk / "cache").rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []  # a failed write leaves no temp file taking the space


def test_a_read_only_cache_reads_and_says_why_it_cannot_prune(tmp_path, read_only, caplog):
    source = tmp_path / "cache"
    DiskCache(source, limit_mb=0).put_json("k", {"v": 1})
    cache = DiskCache(read_only(source), limit_mb=0)
    with caplog.at_level(logging.WARNING, logger="m2m_reader.engine.core.cache"):
        assert cache.get_json("k") == {"v": 1}
        cache.put_json("k2", 2)
        cache.put_json("k3", 3)
    assert cache.write_error == "read-only file system" and len(caplog.records) == 1
    with pytest.raises(CacheError, match="cannot prune the cache at .*: read-only file system"):
        cache.prune(0)


def test_a_cache_folder_that_cannot_be_made_is_no_error(tmp_path, read_only):
    empty = tmp_path / "empty"
    empty.mkdir()
    cache = DiskCache(read_only(empty) / "cache", limit_mb=0)
    assert cache.get_json("k") is None and cache.entries() == [] and cache.stats().entries == 0
    assert cache.write_error is None  # looking is no reason to warn
    cache.put_json("k", 1)
    assert cache.write_error == "read-only file system"
    assert cache.get_json("k") is None


def test_analysis_on_a_full_cache_disk_exits_0(tmp_path, small_disk):
    disk = small_disk("256k")
    fill(disk)
    out = tmp_path / "analysis.json"
    run = run_cli("analyze", str(SAMPLE), "-o", str(out), env=user_dirs(tmp_path, cache=disk / "c"))
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.count("cannot be written (no space left on device)") == 1
    assert json.loads(out.read_text())["pages"]
    assert out.stat().st_mode & 0o777 == 0o666 & ~atomic.UMASK  # like any file a person makes


def test_library_prepare_on_a_full_cache_ends_and_says_so(tmp_path, small_disk):
    from PIL import Image

    book = tmp_path / "Three Pages"
    book.mkdir()
    for i in range(3):
        Image.new("L", (60, 90), 40 + 60 * i).save(book / f"{i + 1:03d}.png")
    disk = small_disk("256k")
    fill(disk)
    env = user_dirs(tmp_path, cache=disk / "c")
    assert run_cli("library", "add", str(book), env=env).returncode == 0
    t0 = time.monotonic()
    run = run_cli("library", "prepare", "1", env=env, timeout=240)
    assert time.monotonic() - t0 < 200
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.count("going on without caching") == 1
    assert "music for 0 of 3 pages of Three Pages is kept for offline reading" in run.stderr
    listing = run_cli("library", "ls", env=env).stdout
    assert "music   0%" in listing  # not "offline ready": nothing was kept


# -- export: full disks, killed runs, the set of files ------------------------------


def export(folder: Path, name: str = "soundtrack.wav", n: int = 6, **kw):
    backend = kw.pop("backend", ToneBackend())
    return export_soundtrack(
        synthetic_book(n), synthetic_analysis(n, 3), backend, folder / name, **kw
    )


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_export_to_a_full_disk_fails_with_one_sentence(small_disk):
    disk = small_disk("256k")
    fill(disk)
    with pytest.raises(OutputError) as err:
        export(disk)
    message = str(err.value)
    assert message.startswith(f"cannot export to {disk / 'soundtrack.wav'}: the disk has ")
    assert "\n" not in message
    assert sorted(os.listdir(disk)) == ["filler"]


def test_a_disk_that_fills_during_export_leaves_the_old_files(small_disk, monkeypatch):
    disk = small_disk("2m")
    (disk / "soundtrack.wav").write_bytes(b"the old export")
    (disk / "soundtrack.chapters.json").write_text("old chapters")
    monkeypatch.setattr(export_mod, "space_needed", lambda *a: 0)  # the up-front check passes
    with pytest.raises(OutputError, match="no space left on device"):
        export(disk, n=12, stems=True)
    assert sorted(os.listdir(disk)) == ["soundtrack.chapters.json", "soundtrack.wav"]
    assert (disk / "soundtrack.wav").read_bytes() == b"the old export"


def test_export_command_on_a_full_disk_exits_1(tmp_path, small_disk):
    disk = small_disk("256k")
    fill(disk)
    run = run_cli("export", str(SAMPLE), "-o", str(disk / "s.ogg"), "--seconds-per-page", "2",
                  env=user_dirs(tmp_path))  # fmt: skip
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(f"m2m-reader: error: cannot export to {disk / 's.ogg'}: the disk has")
    assert "Traceback" not in run.stderr and sorted(os.listdir(disk)) == ["filler"]


def test_failing_chapters_write_keeps_the_old_set(tmp_path, monkeypatch):
    first = export(tmp_path)
    old = {p: p.read_bytes() for p in (first.path, first.chapters_path, first.cue_path)}
    real = export_mod.stage

    def stage(held, final, text):
        if final.name.endswith(".chapters.json"):
            raise write_error(final, OSError(errno.ENOSPC, "No space left on device"))
        return real(held, final, text)

    monkeypatch.setattr(export_mod, "stage", stage)
    with pytest.raises(OutputError, match="chapters.json: no space left on device"):
        export(tmp_path, seconds_per_page=5.0)  # a different soundtrack
    assert {p: p.read_bytes() for p in old} == old  # never new audio with old chapters
    assert temporaries(tmp_path) == []


def test_failing_chapters_write_on_a_first_export_leaves_no_audio(tmp_path, monkeypatch):
    def stage(held, final, text):
        raise write_error(final, OSError(errno.EIO, "Input/output error"))

    monkeypatch.setattr(export_mod, "stage", stage)
    with pytest.raises(OutputError, match="input/output error"):
        export(tmp_path, stems=True)
    assert os.listdir(tmp_path) == []


def test_a_failed_rename_puts_the_old_set_back(tmp_path, monkeypatch):
    finals = [tmp_path / n for n in ("a.json", "a.cue", "a_stems", "a.wav")]
    for f in finals[:2] + finals[3:]:
        f.write_text(f"old {f.name}")
    (tmp_path / "a_stems").mkdir()
    (tmp_path / "a_stems" / "page_0001.wav").write_text("old stem")
    new = []
    for f in finals:
        t = tmp_path / f".new-{f.name}"
        if f.name == "a_stems":
            t.mkdir()
            (t / "page_0001.wav").write_text("new stem")
        else:
            t.write_text(f"new {f.name}")
        new.append(t)
    real = os.replace

    def replace(src, dst):
        if Path(src).name == ".new-a.wav":
            raise OSError(errno.EIO, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(OSError):
        atomic.replace_all(list(zip(new, finals, strict=True)))
    monkeypatch.undo()
    assert [f.read_text() for f in finals if f.is_file()] == [
        "old a.json",
        "old a.cue",
        "old a.wav",
    ]
    assert (tmp_path / "a_stems" / "page_0001.wav").read_text() == "old stem"
    assert sorted(os.listdir(tmp_path)) == sorted(f.name for f in finals)


SLOW_EXPORT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from test_export_support import ToneBackend, synthetic_analysis, synthetic_book
    from m2m_reader.engine.export import export_soundtrack

    class Slow(ToneBackend):
        def make_cue(self, request, cancel):
            time.sleep(0.3)
            return super().make_cue(request, cancel)

    export_soundtrack(synthetic_book(40), synthetic_analysis(40, 5), Slow(),
                      Path({target!r}), stems=True)
    """
)


def test_a_killed_export_leaves_nothing_for_good(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    script = SLOW_EXPORT.format(tests=str(TESTS), target=str(out / "soundtrack.flac"))
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end:
            mixes = [p for p in out.glob(".*.mix") if p.stat().st_size > 0]
            if mixes and list(out.glob(".*.stems/page_0002.wav")):
                break
            assert proc.poll() is None, "the export ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("the export never started mixing")
        # while it runs, its temporaries are its own: a sweep does not touch them
        held = temporaries(out)
        for p in out.iterdir():
            os.utime(p, (time.time() - 60, time.time() - 60))
        assert writer_mod.sweep_stale(out) == [] and writer_mod.sweep_noted() == []
        assert temporaries(out) == held
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = temporaries(out)
    assert any(n.endswith(".mix") for n in left) and any(n.endswith(".stems") for n in left)
    time.sleep(writer_mod.STALE_S + 0.2)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = export(elsewhere, "other.wav")  # the next export, in another folder
    assert os.listdir(out) == []  # nothing left where the killed one wrote
    assert sorted(os.listdir(elsewhere)) == ["other.chapters.json", "other.cue", "other.wav"]
    assert result.path.exists()
    assert list(writer_mod._journal().iterdir()) == []  # and no note of either export


def test_the_sweep_leaves_young_and_foreign_files(tmp_path):
    young = tmp_path / ".s.flac.m2m-abcdefgh.part"
    young.write_bytes(b"being written")
    foreign = tmp_path / ".download.part"
    foreign.write_bytes(b"someone else's")
    old_style = tmp_path / ".s.flac.k3j4h5g6.mix"  # left by an export before the lock
    old_style.write_bytes(b"x")
    os.utime(foreign, (0, 0))
    os.utime(old_style, (0, 0))
    assert writer_mod.sweep_stale(tmp_path) == [old_style]
    assert young.exists() and foreign.exists()


# -- the CUE sheet and permissions --------------------------------------------------


@pytest.mark.parametrize(
    "name, token",
    [
        ('say "hi".wav', "'say \"hi\".wav'"),
        ('say"hi".wav', 'say"hi".wav'),
        ("plain name.wav", '"plain name.wav"'),
    ],
)
def test_the_cue_sheet_names_the_audio_beside_it(tmp_path, name, token):
    result = export(tmp_path, name, n=3)
    sheet = result.cue_path.read_text()
    line = next(x for x in sheet.splitlines() if x.startswith("FILE "))
    assert line == f"FILE {token} WAVE"
    assert (result.cue_path.parent / name).exists()
    assert result.cue_path.stat().st_mode & 0o777 == 0o666 & ~atomic.UMASK
    assert result.path.stat().st_mode & 0o777 == 0o666 & ~atomic.UMASK


def test_cuetools_reads_the_file_name_with_a_quote(tmp_path):
    cueconvert = subprocess.run(["which", "cueconvert"], capture_output=True, text=True).stdout
    if not cueconvert.strip():
        pytest.skip("cuetools is not installed (apt-get install cuetools)")
    result = export(tmp_path, 'say"hi".wav', n=3)
    toc = subprocess.run(["cueconvert", "-i", "cue", "-o", "toc", str(result.cue_path)],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert 'FILE "say"hi".wav"' in toc  # the TOC quotes it again, the name whole


def test_a_full_data_disk_is_one_sentence_and_exit_1(tmp_path, small_disk):
    disk = small_disk("256k")
    fill(disk)
    env = user_dirs(tmp_path, data=disk / "data")
    for command in (["edit", str(SAMPLE), "directive", "2", "Ethereal strings"],
                    ["library", "add", str(SAMPLE)]):  # fmt: skip
        run = run_cli(*command, env=env)
        assert run.returncode == 1, command
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("m2m-reader: error: "), run.stderr
        assert str(disk / "data") in lines[0] and "disk is full" in lines[0]


def test_an_atomic_write_to_a_full_disk_names_the_file_and_the_cause(small_disk):
    disk = small_disk("256k")
    fill(disk)
    target = disk / "settings.json"
    with pytest.raises(atomic.StorageError) as err:
        atomic.write_text(target, "x" * 100_000)
    assert str(err.value) == f"cannot write {target}: no space left on device"
    assert err.value.errno == errno.ENOSPC and isinstance(err.value, OSError)
    assert sorted(os.listdir(disk)) == ["filler"]


def test_prepare_stops_when_a_page_fails_again_and_again(tmp_path):
    from PIL import Image
    from test_engine_doubles import FakeMusic, make_engine

    from m2m_reader.engine.core.store import MemoryStore
    from m2m_reader.engine.library import Library, LibraryError

    class BrokenOnPage3(FakeMusic):
        def make_cue(self, request, cancel):
            if request.page == 2:
                raise RuntimeError("the synth broke")
            return super().make_cue(request, cancel)

    book = tmp_path / "My Comic"
    book.mkdir()
    for i in range(6):
        Image.new("L", (60, 90), 30 * i).save(book / f"{i + 1:03d}.png")
    lib = Library()
    entry = lib.add(book)
    music = BrokenOnPage3()
    engine = make_engine(music=music, store=MemoryStore())
    t0 = time.monotonic()
    try:
        with pytest.raises(LibraryError) as err:
            lib.prepare(entry.id, engine)
    finally:
        engine.close()
    assert time.monotonic() - t0 < 60
    assert str(err.value).startswith("preparing My Comic stopped after 5 of 6 pages: ")
    assert "the synth broke" in str(err.value)
    assert lib.get(entry.id).music_pages == 5


def test_a_data_folder_on_a_read_only_disk_is_one_sentence(tmp_path, read_only):
    empty = tmp_path / "empty"
    empty.mkdir()
    data = read_only(empty) / "data"
    run = run_cli("library", "ls", env=user_dirs(tmp_path, data=data))
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [f"m2m-reader: error: {data}: read-only file system"]
