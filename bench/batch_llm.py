"""Benchmark: the LLM requests of `m2m-reader batch`, with and without `--llm-stage http`.

    .venv/bin/python bench/batch_llm.py [--books 8] [--pages 6] [--delay 0.2] [--engines 1]

A folder of small CBZ books (built-in transcripts, emotions and composer) through
`batch` on a local Ray, twice, each with a cold cache of its own, against the tests'
fake OpenAI-compatible server, which answers every request after `--delay` seconds (a
stand-in for a model's latency):

1. analyse: the `analyse` task asks the endpoint itself (today's default);
2. stage: `--llm-stage http`, the LLM steps as Ray Data stages (Ray's HTTP processor).

For each: the requests the server got, the seconds from the first to the last one and
so the requests per second, the most in flight at once, and the run's wall time. The
same requests both ways (the test checks it), so the ratio is the stage's speed-up on
the LLM's part of the run. Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_openai import FakeOpenAI, good_answer  # noqa: E402 - the tests' server
from test_batch import write_cbz  # noqa: E402 - the tests' book maker


def run(mode: str, src: Path, home: Path, args: argparse.Namespace) -> dict[str, Any]:
    import ray

    from m2m_reader.engine.batch import BatchOptions, run_batch
    from m2m_reader.engine.batch.llm_stage import LLMStage
    from m2m_reader.engine.core.settings import Settings

    times: list[float] = []
    lock = threading.Lock()

    def answer(body: dict[str, Any]) -> str:
        with lock:
            times.append(time.perf_counter())
        return json.dumps(good_answer(body, scene_every=3))

    for name in ("CACHE", "DATA", "CONFIG"):
        os.environ[f"M2M_READER_{name}_DIR"] = str(home / name.lower())
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    with FakeOpenAI(scene_every=3) as fake:
        fake.fault, fake.delay = answer, args.delay
        settings = Settings(text="openai", llm_base_url=fake.base_url, transcript="builtin")
        stage = LLMStage("http", engines=args.engines) if mode == "stage" else None
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False,
                 object_store_memory=300 * 1024**2)  # fmt: skip
        try:
            t0 = time.perf_counter()
            report = run_batch(settings, BatchOptions(source=src, out=home / "out",
                               cache_dir=home / "cache", llm_stage=stage), say=lambda s: None)  # fmt: skip
            wall = time.perf_counter() - t0
        finally:
            ray.shutdown()
        failed = [r["book"] for r in report.records if r["status"] != "ok"]
        span = (times[-1] - times[0]) if len(times) > 1 else 0.0
        return {
            "requests": len(times),
            "llm_span_s": round(span, 2),
            "requests_per_s": round((len(times) - 1) / span, 2) if span else None,
            "max_in_flight": fake.max_in_flight,
            "wall_s": round(wall, 1),
            "failed": failed,
        }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--books", type=int, default=8)
    p.add_argument("--pages", type=int, default=6)
    p.add_argument("--delay", type=float, default=0.2, help="seconds the server takes")
    p.add_argument("--engines", type=int, default=1, help="HTTP workers per step")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="m2m-bench-llm-"))
    try:
        src = work / "in"
        for i in range(args.books):
            write_cbz(src / f"book{i:02d}.cbz", pages=args.pages, book=i)
        result: dict[str, Any] = {"books": args.books, "pages": args.books * args.pages,
                                  "delay_s": args.delay, "engines": args.engines,
                                  "cpus": os.cpu_count()}  # fmt: skip
        for mode in ("analyse", "stage"):
            result[mode] = run(mode, src, work / mode, args)
            print(mode, result[mode], flush=True)
        a, s = result["analyse"]["requests_per_s"], result["stage"]["requests_per_s"]
        result["ratio"] = round(s / a, 2) if a and s else None
        print(json.dumps(result))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
