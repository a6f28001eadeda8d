"""`m2m-reader cache ls|size|prune|clear` on the user's cache folder."""

from __future__ import annotations

import numpy as np

from m2m_reader.cli import main
from m2m_reader.engine.core.cache import DiskCache


def fill():
    cache = DiskCache(limit_mb=0)
    for i in range(3):
        cache.put_json(f"record{i}", {"caption": "x" * 1000})
    cache.put_audio("cue0", np.zeros((48000, 2), np.float32), 48000, {})
    return cache


def test_size_and_ls(capsys):
    fill()
    assert main(["cache", "size"]) == 0
    out = capsys.readouterr().out
    assert "in 4 entries (3 records, 1 cues)" in out and "limit 2.0 GB" in out
    assert main(["cache", "ls", "--kind", "audio"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("cue0") and "audio" in lines[0]
    assert lines[-1].startswith("1 entries")


def test_prune_to_a_limit_keeps_the_most_recent(capsys):
    cache = fill()
    cache.get_audio("cue0")  # the most recently used
    assert main(["cache", "prune", "--limit", "0.001"]) == 0
    assert "freed" in capsys.readouterr().out
    assert DiskCache(limit_mb=0).stats().bytes <= 1024 * 1024 * 0.001 + 5000


def test_prune_refuses_a_negative_limit(capsys):
    assert main(["cache", "prune", "--limit", "-3"]) == 1
    assert "--limit must be a size in MB" in capsys.readouterr().err


def test_clear(capsys):
    fill()
    assert main(["cache", "clear"]) == 0
    assert DiskCache(limit_mb=0).stats().entries == 0
