"""The disk cache: round trips, verification on read, LRU eviction, kill -9 safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from m2m_reader.engine.core.cache import DiskCache
from m2m_reader.engine.core.store import key


@pytest.fixture
def cache(tmp_path):
    return DiskCache(tmp_path / "cache", limit_mb=0)


def _tone(seconds: float = 1.0, rate: int = 48000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.5 * np.sin(2 * np.pi * 440 * t)
    return np.stack([mono, -mono], axis=1).astype(np.float32)


def test_json_round_trip_and_miss(cache):
    k = key("caption", 1, "builtin", "page 3")
    assert cache.get_json(k) is None
    record = {"caption": "a quiet piano, rain on the window", "n": 3, "ok": True}
    cache.put_json(k, record)
    assert cache.get_json(k) == record
    assert (cache.hits, cache.misses) == (1, 1)


def test_audio_round_trip_keeps_samples_and_meta(cache):
    audio = _tone()
    cache.put_audio("cue1", audio, 48000, {"loop_start": 10, "loop_end": 40000})
    got, rate, meta = cache.get_audio("cue1")
    assert rate == 48000 and got.shape == audio.shape and got.dtype == np.float32
    assert np.max(np.abs(got - audio)) < 1e-5
    assert meta == {"loop_start": 10, "loop_end": 40000}
    path = next(cache.objects.rglob("cue1.audio"))
    assert path.stat().st_size < audio.nbytes / 2  # FLAC really compresses


def test_a_persisted_entry_survives_a_new_cache_object(cache):
    cache.put_json("k", [1, 2, 3])
    assert DiskCache(cache.root, limit_mb=0).get_json("k") == [1, 2, 3]


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_damaged_entry_is_a_miss_and_removed(cache, damage):
    cache.put_audio("cue", _tone(0.2), 48000, {})
    path = next(cache.objects.rglob("cue.audio"))
    blob = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "flip":
        path.write_bytes(blob[:-100] + bytes([blob[-100] ^ 0xFF]) + blob[-99:])
    else:
        path.write_bytes(b"not a cache entry")
    assert cache.get_audio("cue") is None
    assert not path.exists()


def test_json_and_audio_under_one_key_do_not_collide(cache):
    cache.put_json("same", {"a": 1})
    cache.put_audio("same", _tone(0.1), 48000, {})
    assert cache.get_json("same") == {"a": 1}
    assert cache.get_audio("same") is not None


def test_odd_keys_stay_inside_the_cache(cache):
    cache.put_json("../../escape/me", 1)
    assert cache.get_json("../../escape/me") == 1
    assert all(p.is_relative_to(cache.objects) for p in cache.root.rglob("*"))


def test_least_recently_used_is_evicted_first(tmp_path):
    cache = DiskCache(tmp_path / "c", limit_mb=0)
    payload = "x" * 100_000
    for i in range(5):
        cache.put_json(f"k{i}", payload)
    # Give each entry a distinct age, then read k0 so it becomes the most recent.
    for i, entry in enumerate(sorted(cache.entries(), key=lambda e: e.key)):
        os.utime(entry.path, (1000 + i, 1000 + i))
    assert cache.get_json("k0") == payload
    entry_size = cache.entries()[0].size
    freed = cache.prune(limit_bytes=2 * entry_size)
    assert freed == 3 * entry_size
    left = {e.key for e in cache.entries()}
    assert left == {"k0", "k4"}


def test_the_limit_is_kept_on_write(tmp_path):
    cache = DiskCache(tmp_path / "c", limit_mb=1)
    for i in range(40):
        cache.put_json(f"k{i}", "y" * 100_000)
    assert cache.size() <= 1024 * 1024
    assert cache.stats().bytes == cache.size()
    assert cache.get_json("k39") is not None  # the newest is kept


def test_stats_and_clear(cache):
    cache.put_json("a", 1)
    cache.put_audio("b", _tone(0.1), 48000, {})
    stats = cache.stats()
    assert (stats.entries, stats.json_entries, stats.audio_entries) == (2, 1, 1)
    assert stats.bytes > 0
    cache.clear()
    assert cache.stats().entries == 0 and cache.get_json("a") is None


def test_stale_temp_files_are_swept(cache):
    cache.put_json("a", 1)
    stray = cache.objects / "aa" / ".tmp-aa.json.xyz"
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"half")
    os.utime(stray, (0, 0))
    assert [e.key for e in cache.entries()] == ["a"]
    assert not stray.exists()


WRITER = textwrap.dedent(
    """
    import sys, numpy as np
    from m2m_reader.engine.core.cache import DiskCache
    cache = DiskCache(sys.argv[1], limit_mb=2)
    audio = (np.random.default_rng(0).random((48000, 2), dtype=np.float32) - 0.5)
    i = 0
    print("ready", flush=True)
    while True:
        cache.put_json(f"j{i % 50}", {"i": i, "text": "z" * (i % 5000)})
        cache.put_audio(f"a{i % 20}", audio, 48000, {"i": i})
        i += 1
    """
)


@pytest.mark.parametrize("delay", [0.3, 0.7, 1.1])
def test_kill_9_mid_writes_never_leaves_a_usable_torn_entry(tmp_path, delay):
    root = tmp_path / "c"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # Plant a torn entry too, as a crash on a filesystem without ordered writes might.
    cache = DiskCache(root, limit_mb=2)
    good = next(root.rglob("*.audio"))
    torn = root / "objects" / "to" / "torn.audio"
    torn.parent.mkdir(exist_ok=True)
    torn.write_bytes(good.read_bytes()[:5000])
    for entry in cache.entries():
        if entry.kind == "json":
            value = cache.get_json(entry.key)
            assert value is None or set(value) == {"i", "text"}
        else:
            got = cache.get_audio(entry.key)
            assert got is None or got[0].shape == (48000, 2)
    assert cache.get_audio("torn") is None and not torn.exists()
    assert cache.stats().hits > 0
