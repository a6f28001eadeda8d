"""The soak's memory figures: what kind of memory the reader holds, glibc's view of its
heap, the cues' audio the engine holds, and (M2M_SOAK_TRACE=N: tracemalloc with N
frames) the source lines holding the most. See bench/soak.py."""

from __future__ import annotations

import contextlib
import ctypes
import os
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TRACE_TOP = 12  # source lines listed per census with M2M_SOAK_TRACE

__all__ = ["TRACE_TOP", "engine_holders", "largest_holder", "malloc_kb", "memory_kb", "top_lines"]


def memory_kb() -> dict[str, int]:
    """The reader's resident memory by kind: anonymous (the heap), file and shared
    memory pages (a composer's cue is mapped from /dev/shm)."""
    out = {"anon": 0, "file": 0, "shmem": 0}
    with contextlib.suppress(OSError), open("/proc/self/status") as fh:
        for line in fh:
            for kind in out:
                if line.startswith(f"Rss{kind.capitalize()}:"):
                    out[kind] = int(line.split()[1])
    return out


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost",
    )]  # fmt: skip


def malloc_kb() -> dict[str, int]:
    """glibc's view of the heap: in use, free but kept, and mmapped blocks ({} elsewhere)."""
    try:
        fn = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return {}
    fn.restype = _MallInfo2
    info = fn()
    return {"in_use": info.uordblks // 1024, "free_kept": info.fordblks // 1024,
            "mmapped": info.hblkhd // 1024}  # fmt: skip


def engine_holders(engine: Any) -> dict[str, float]:
    """The cues' audio the engine holds: in its page table and in the mixer (MB)."""
    table = getattr(engine, "_table", None)
    cues = table.cues() if table is not None else []
    out: dict[str, float] = {
        "table_cues": len(cues),
        "table_mb": round(sum(c.clip.audio.nbytes for _, c in cues) / 2**20, 1),
        "ready": len(engine.ready_pages()),
        "music_jobs": engine.stats.music_jobs,
    }
    mixer = engine.mixer
    if mixer is not None:
        arrays = [a for _, a in getattr(mixer, "_live", {}).values()]  # the C mixer's
        arrays += [c.audio for c in getattr(mixer, "_cues", {}).values()]  # the numpy one's
        arrays += [c.audio for c in getattr(mixer, "_graveyard", ())]
        out["mixer_cues"] = len(arrays)
        out["mixer_mb"] = round(sum(a.nbytes for a in arrays) / 2**20, 1)
    return out


def top_lines(n: int) -> list[list[Any]]:
    """The `n` source lines holding most traced memory: [file:line, MB, blocks]."""
    snap = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    top = snap.statistics("lineno")[:n]
    root = str(ROOT) + os.sep
    return [
        [
            f"{s.traceback[0].filename.replace(root, '')}:{s.traceback[0].lineno}",
            round(s.size / 2**20, 1),
            s.count,
        ]  # fmt: skip
        for s in top
    ]


def largest_holder(samples: list[dict], peak: dict) -> str:
    """What held the most at the RSS peak, in words: the mixer's or the page table's
    cues, the top traced source line (M2M_SOAK_TRACE, at the census nearest the
    peak), or else the rest of the memory by kind."""
    engine = peak.get("engine", {})
    kinds = peak.get("memory_kb", {})
    cues_mb = engine.get("mixer_mb", 0) + engine.get("table_mb", 0)
    found: list[tuple[float, str]] = [
        (engine.get("mixer_mb", 0), f"the mixer's cues: {engine.get('mixer_cues', 0)}"),
        (engine.get("table_mb", 0), f"the page table's cues: {engine.get('table_cues', 0)}"),
        (kinds.get("anon", 0) / 1024 - cues_mb, "the rest of the heap (anonymous)"),
        (kinds.get("file", 0) / 1024, "file pages (libraries, mapped files)"),
        (kinds.get("shmem", 0) / 1024, "shared memory (cues mapped from the composer)"),
    ]
    traced = [s for s in samples if s.get("top")]
    if traced:
        near = min(traced, key=lambda s: abs(s["t"] - peak["t"]))
        where, mb, blocks = near["top"][0]
        found.append((mb, f"{where} ({blocks} blocks, traced at {near['t']} s)"))
    mb, what = max(found)
    return f"{what}, {mb:.1f} MB" if mb > 0 else ""
