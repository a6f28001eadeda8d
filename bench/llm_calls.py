"""Calls, cache reuse and failure cost of the OpenAI backend, against the local fake server.

    python bench/llm_calls.py [--pages 24]
    python bench/llm_calls.py --faults [--timeout 5] [BOOK]

A book of PAGES page images without annotations (so transcripts go to the vision model)
runs through the whole scene-mode pipeline three times: with a fresh cache, again with
the same cache, and against an endpoint that is down. The fake server starts a scene
every 6 pages. Figures: calls per stage, calls per page and per scene, the second run's
calls, seconds for the dead endpoint, and the dry-run estimate's calls.

`--faults` runs `m2m-reader analyze BOOK --llm openai --llm-timeout TIMEOUT` (the
bundled sample book by default) as a person would, with OPENAI_BASE_URL on the fake
server broken in one way at a time (hangs, drops connections, answers 500, 429 or
garbage, answers 5 MB), and reports per fault: wall seconds, requests the server got,
the exit code, pages captioned and by whom, and the warning lines printed.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from m2m_reader.engine.analysis.pipeline import analyze  # noqa: E402
from m2m_reader.engine.core.store import MemoryStore  # noqa: E402
from m2m_reader.engine.llm import LLMConfig, OpenAIText, estimate_tokens  # noqa: E402
from tests.bookfactory import PageSpec, make_book  # noqa: E402
from tests.fake_openai import FakeOpenAI, free_port  # noqa: E402

SAMPLE = ROOT / "resources" / "sample" / "annotations" / "HaruNoMelody.xml"
FAULTS = ("hang", "drop", 500, 429, "garbage", "huge")


def faults(book: Path, timeout: float) -> dict[str, object]:
    """Each fault mode against the CLI: its figures by mode."""
    out: dict[str, object] = {"book": book.name, "llm_timeout": timeout}
    for fault in FAULTS:
        with FakeOpenAI() as fake, tempfile.TemporaryDirectory() as tmp:
            fake.fault = fault
            env = {
                **os.environ,
                "OPENAI_BASE_URL": fake.base_url,
                "OPENAI_API_KEY": "sk-bench-0123456789",
                "M2M_READER_CONFIG_DIR": f"{tmp}/config",
                "M2M_READER_CACHE_DIR": f"{tmp}/cache",
                "M2M_READER_DATA_DIR": f"{tmp}/data",
            }
            result = Path(tmp) / "analysis.json"
            cmd = [sys.executable, "-m", "m2m_reader.cli", "analyze", str(book)]
            cmd += ["--llm", "openai", "--llm-timeout", f"{timeout:g}", "-o", str(result)]
            started = time.perf_counter()
            run = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
            seconds = time.perf_counter() - started
            pages = [p for s in json.loads(result.read_text())["scenes"] for p in s["pages"]]
            warnings = [ln for ln in run.stderr.splitlines() if ln.startswith("m2m-reader:")]
            out[str(fault)] = {
                "wall_s": round(seconds, 2),
                "requests": len(fake.requests),
                "exit": run.returncode,
                "pages": len(pages),
                "captioned": sum(1 for p in pages if p["caption"]),
                "caption_by": dict(Counter(p["backends"]["caption"] for p in pages)),
                "warnings": len(warnings),
                "tracebacks": run.stderr.count("Traceback"),
                "first_warning": warnings[0][:160] if warnings else "",
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--faults", action="store_true", help="the CLI against broken servers")
    parser.add_argument("--timeout", type=float, default=5.0, help="--llm-timeout for --faults")
    parser.add_argument("book", nargs="?", type=Path, default=SAMPLE)
    args = parser.parse_args()
    if args.faults:
        figures = faults(args.book, args.timeout)
        for key, value in figures.items():
            print(f"{key}: {value}")
        print(json.dumps(figures))
        return
    book = make_book([PageSpec() for _ in range(args.pages)])
    store = MemoryStore()
    figures: dict[str, object] = {"pages": args.pages}
    with FakeOpenAI() as fake:
        cfg = LLMConfig(model="fake", base_url=fake.base_url, api_key="sk-bench")
        backend = OpenAIText(cfg)
        started = time.perf_counter()
        first = analyze(book, text=backend, store=store)
        figures["first_run_s"] = round(time.perf_counter() - started, 3)
        scenes = len(first.scenes)
        calls = len(fake.requests)
        figures.update(
            scenes=scenes,
            first_run_calls=calls,
            calls_by_stage=dict(Counter(fake.stages())),
            budget_calls=2 * args.pages + 2 * scenes,
            calls_per_page=round(calls / args.pages, 3),
            tokens=backend.cost["total_tokens"],
        )
        analyze(book, text=OpenAIText(cfg), store=store)
        figures["second_run_calls"] = len(fake.requests) - calls
    estimate = estimate_tokens(book, "scene", cfg)
    figures["estimate_calls"] = estimate["calls"]
    down = OpenAIText(LLMConfig(model="fake", base_url=f"http://127.0.0.1:{free_port()}/v1"))
    fallbacks: list[str] = []
    started = time.perf_counter()
    result = analyze(
        book, text=down, store=MemoryStore(), on_fallback=lambda s, b, m: fallbacks.append(m)
    )
    figures["endpoint_down_s"] = round(time.perf_counter() - started, 3)
    figures["endpoint_down_fallbacks"] = len(fallbacks)
    figures["endpoint_down_pages_with_captions"] = sum(
        1 for s in result.scenes for p in s.pages if p.caption
    )
    figures.update(in_flight(make_book([PageSpec() for _ in range(12)], size=(200, 150))))
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(json.dumps(figures))


def in_flight(book: object, delay: float = 0.15) -> dict[str, object]:
    """A whole-book run against a server taking `delay` s an answer, one request at a
    time and at the default concurrency: wall seconds and the most in flight."""
    out: dict[str, object] = {"answer_delay_s": delay}
    for concurrency in (1, LLMConfig().concurrency):
        with FakeOpenAI() as fake:
            fake.delay = delay
            cfg = LLMConfig(model="fake", base_url=fake.base_url, concurrency=concurrency)
            started = time.perf_counter()
            analyze(book, text=OpenAIText(cfg), store=MemoryStore())  # type: ignore[arg-type]
            out[f"concurrency_{concurrency}_s"] = round(time.perf_counter() - started, 2)
            out[f"concurrency_{concurrency}_max_in_flight"] = fake.max_in_flight
            out[f"concurrency_{concurrency}_requests"] = len(fake.requests)
    return out


if __name__ == "__main__":
    main()
