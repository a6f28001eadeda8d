"""Benchmark: exporting a book the reader prepared for offline reuses its music.

    .venv/bin/python bench/prepared_export.py [BOOK] [--keep DIR]

Through the real commands, each in a process of its own with its own cache, data and
config folders (the built-in backends, offline):

1. cold: `export BOOK -o cold.wav` with an empty cache (it composes every page);
2. prepared: `library add BOOK`, `library prepare ID`, then `export BOOK -o warm.wav`
   with the cache the prepare filled.

Reports the wall times (and the CPU times of the two exports, which a machine busy
with other work moves less), how many cues the prepared export composed (from its
"music for N of M pages came from the cache" line), the prepared export's time over
the cold one (the target is 0.4 or less), and whether the two files hold the same
audio (the largest sample difference). Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "resources/sample/annotations/HaruNoMelody.xml"
FROM_CACHE = re.compile(r"music for (\d+) of (\d+) pages came from the cache")


def run(home: Path, *args: str) -> tuple[float, float, str]:
    """`m2m-reader ARGS` with `home`'s folders; (wall seconds, CPU seconds, stdout)."""
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        env[f"M2M_READER_{name}_DIR"] = str(home / name.lower())
    code = "import sys; from m2m_reader.cli import main; sys.exit(main(sys.argv[1:]))"
    t0, cpu0 = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if done.returncode != 0:
        sys.exit(f"m2m-reader {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return wall, cpu, done.stdout


def _children_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def composed(stdout: str, pages: int) -> int:
    found = FROM_CACHE.search(stdout)
    return pages - int(found.group(1)) if found else pages


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("book", nargs="?", type=Path, default=SAMPLE)
    ap.add_argument("--keep", type=Path, help="keep the folders and exports here")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="m2m-bench-prepared-"))
    base.mkdir(parents=True, exist_ok=True)
    book = str(args.book.resolve())
    try:
        cold_s, cold_cpu, out = run(
            base / "cold", "export", book, "-o", str(base / "cold.wav"), "--offline"
        )
        pages = json.loads((base / "cold.chapters.json").read_text())["pages"]
        print(f"cold export: {cold_s:.1f} s, {len(pages)} pages", file=sys.stderr)
        home = base / "prepared"
        run(home, "library", "add", book)
        prepare_s, _, out = run(home, "library", "prepare", "1", "--offline")
        print(f"library prepare: {prepare_s:.1f} s ({out.strip()})", file=sys.stderr)
        warm_s, warm_cpu, out = run(home, "export", book, "-o", str(base / "warm.wav"), "--offline")
        jobs = composed(out, len(pages))
        print(f"prepared export: {warm_s:.1f} s, {jobs} cues composed", file=sys.stderr)
        cold, sr = sf.read(base / "cold.wav", dtype="float32")
        warm, sr2 = sf.read(base / "warm.wav", dtype="float32")
        same = sr == sr2 and cold.shape == warm.shape
        diff = float(np.abs(cold - warm).max()) if same else None
        figures = {
            "book": args.book.name,
            "pages": len(pages),
            "cold_export_s": round(cold_s, 2),
            "library_prepare_s": round(prepare_s, 2),
            "prepared_export_s": round(warm_s, 2),
            "prepared_over_cold": round(warm_s / cold_s, 3),
            "cold_export_cpu_s": round(cold_cpu, 2),
            "prepared_export_cpu_s": round(warm_cpu, 2),
            "prepared_over_cold_cpu": round(warm_cpu / cold_cpu, 3),
            "prepared_export_compose_jobs": jobs,
            "same_audio_max_diff": diff,
        }
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
