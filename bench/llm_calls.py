"""Calls, cache reuse and failure cost of the OpenAI backend, against the local fake server.

    python bench/llm_calls.py [--pages 24]

A book of PAGES page images without annotations (so transcripts go to the vision model)
runs through the whole scene-mode pipeline three times: with a fresh cache, again with
the same cache, and against an endpoint that is down. The fake server starts a scene
every 6 pages. Figures: calls per stage, calls per page and per scene, the second run's
calls, seconds for the dead endpoint, and the dry-run estimate's calls. The last line is
one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from m2m_reader.engine.analysis.pipeline import analyze  # noqa: E402
from m2m_reader.engine.llm import LLMConfig, OpenAIText, estimate_tokens  # noqa: E402
from m2m_reader.engine.store import MemoryStore  # noqa: E402
from tests.bookfactory import PageSpec, make_book  # noqa: E402
from tests.fake_openai import FakeOpenAI, free_port  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=24)
    args = parser.parse_args()
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
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
