"""The LLM steps of a batch run as requests and answers, through the engine's own code.

The engine's `OpenAIText` writes each request (prompts, schema, model) and checks each
answer; here its client is handed a transport (`Answers`) in place of an endpoint:

- `ask_rows`: the book's records of one step are walked through the `Analyzer`, over
  a store that keeps nothing (`Scratch`). A record not in the cache makes the engine
  send its request, which the transport stops (`Unasked`): the request, exactly as the
  endpoint would have got it, becomes a row for the LLM stage (`llm_stage`).
- `answer_rows`: the same walk with the answers the LLM stage got. The engine parses
  and checks each one and keeps the record in the shared cache under its own key, so
  the `analyse` step finds it there. A request left without an answer (the model
  failed on it) and an answer that breaks the schema or the word counts go to the
  engine's fallback: the built-in stage makes that record, as when a live endpoint
  fails; the book goes on and counts it (`llm_fallbacks`).

The steps follow the engine's data flow, each needing the one before in the cache:
scene boundaries (one request per window of pages), then a directive per scene, then
a caption per page (its prompt holds the scene's directive).
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..analysis.edits import EditStore
from ..analysis.pipeline import Analyzer
from ..analysis.whole_book import scene_list
from ..books import default_direction, open_book
from ..core.settings import Settings
from ..core.store import MemoryStore, Store, key
from ..llm.client import LLMError, Message
from .llm_stage import STEPS, llm_config
from .stages import Context, Row, backend, failure

ASK_COLUMNS = ("n_ask", "ask", "digest", "request")
NO_SCENE = json.dumps({"scenes": []})  # a window's placeholder answer while asking


class Unasked(Exception):  # noqa: N818 - not an error: a request to send
    """A request the transport has no answer for, stopped to be sent by the stage."""

    def __init__(self, request: dict[str, Any], digest: str) -> None:
        super().__init__(request["stage"])
        self.request, self.digest = request, digest


def request_digest(request: dict[str, Any]) -> str:
    return key("llm-request", request)


class Answers:
    """The transport of `OpenAIText` in a batch run: the answers the LLM stage got,
    by request. A request of stage `collect` without one raises `Unasked`; any other
    fails as an endpoint's would (`LLMError`), and the built-in stage makes its record
    (earlier steps' fallbacks are found in the cache that way)."""

    def __init__(self, answers: dict[str, str] | None = None, collect: str = "") -> None:
        self.answers = dict(answers or {})
        self.collect = collect
        self.missed: dict[str, int] = {}  # requests without an answer, per stage

    def __call__(self, stage: str, model: str, messages: list[Message], fmt: Any) -> str:
        request = {"stage": stage, "model": model, "messages": messages, "response_format": fmt}
        digest = request_digest(request)
        if digest in self.answers:
            return self.answers[digest]
        if stage == self.collect:
            raise Unasked(request, digest)
        self.missed[stage] = self.missed.get(stage, 0) + 1
        raise LLMError(f"The LLM stage has no valid answer to this {stage} request.", "unanswered")


class Scratch:
    """The shared cache to read, a memory to write: what asking computes is dropped."""

    def __init__(self, store: Store) -> None:
        self.store, self.mine = store, MemoryStore()

    def get_json(self, k: str) -> Any | None:
        mine = self.mine.get_json(k)
        return mine if mine is not None else self.store.get_json(k)

    def put_json(self, k: str, value: Any) -> None:
        self.mine.put_json(k, value)

    def get_audio(self, k: str) -> Any:
        return self.mine.get_audio(k) or self.store.get_audio(k)

    def put_audio(self, k: str, audio: Any, rate: int, meta: dict[str, Any]) -> None:
        self.mine.put_audio(k, audio, rate, meta)


def answered_text(s: Settings, answers: Answers | None = None) -> Any:
    """The run's `OpenAIText` (the same settings, so the same cache keys, as the one
    `make_text` starts) answered by `answers` (none: every record from the cache)."""
    from ..llm import OpenAIText

    return OpenAIText(llm_config(s), transport=answers or Answers())


def walk(step: str, a: Analyzer) -> list[Unasked]:
    """Every record of `step` for the book, in the engine's order and with the
    engine's inputs; returns the requests stopped for the LLM stage."""
    stopped: list[Unasked] = []

    def each(make: Any) -> None:
        try:
            make()
        except Unasked as u:
            stopped.append(u)

    if step == "scenes":
        each(a.scenes)
        return stopped
    result, _, _ = a.scenes()
    scenes = scene_list(a, result)
    for s in scenes:
        if step == "directive":
            each(lambda s=s: a.directive(s))
            continue
        text, _, _ = a.directive(s)
        for i in range(s.first_page, s.last_page + 1):
            each(lambda i=i, s=s, text=text: a.page_result(i, s, text))
    return stopped


def requests(step: str, a: Analyzer, answers: Answers) -> list[Unasked]:
    """The requests of `step` the cache lacks. The scene boundaries are one record of
    several requests (one per window of pages) that do not depend on each other's
    answers: while asking, each window found is answered 'no new scene' (in the
    scratch store) so that the next is found."""
    found: dict[str, Unasked] = {}
    while True:
        stopped = walk(step, a)
        found.update((u.digest, u) for u in stopped if u.digest not in found)
        if step != "scenes" or not stopped:
            return list(found.values())
        answers.answers.update((u.digest, NO_SCENE) for u in stopped)
        a.forget()


def _analyzer(book: Any, ctx: Context, answers: Answers, store: Store) -> Analyzer:
    text = answered_text(Settings(**ctx.settings), answers)
    source = getattr(backend("answered", ctx), "transcript_source", None)
    if source is not None:  # the run's transcripts: their keys are the source's
        setattr(text, "transcript_source", source)  # noqa: B010
    return Analyzer(
        book,
        text=text,
        emotions=backend("emotions", ctx),
        store=store,
        edits=EditStore(book.fingerprint),
    )


def _base(row: Row) -> Row:
    return {k: v for k, v in row.items() if k not in (*ASK_COLUMNS, "answer", "answers", "asked")}


def ask_rows(row: Row, ctx: Context, step: str) -> list[Row]:
    """A book's row → one row per request of `step` it needs (`request`: JSON), or one
    row without a request (`request` empty: nothing to ask, or the book failed)."""
    base = _base(row)
    base.setdefault("llm_s", 0.0)
    base.setdefault("llm_fallbacks", 0)
    alone = [{**base, "n_ask": 1, "ask": 0, "digest": "", "request": ""}]
    if row["error"]:
        return alone
    t0 = time.perf_counter()
    try:
        with open_book(row["path"], direction=default_direction(ctx.make_settings())) as book:
            answers = Answers(collect=step)
            found = requests(step, _analyzer(book, ctx, answers, Scratch(ctx.store())), answers)
    except Exception as exc:  # noqa: BLE001 - reported in the manifest, the run goes on
        return [{**alone[0], "error": f"{step}: {failure(exc)}"}]
    base["llm_s"] = float(base["llm_s"]) + time.perf_counter() - t0
    if not found:
        return [{**alone[0], "llm_s": base["llm_s"]}]
    return [
        {
            **base,
            "n_ask": len(found),
            "ask": k,
            "digest": u.digest,
            "request": json.dumps(u.request),
        }
        for k, u in enumerate(found)
    ]


def answer_rows(row: Row, ctx: Context, step: str) -> Row:
    """A gathered book row: its records of `step` made from the answers and kept in the
    cache (the ones without a valid answer by the built-in stage)."""
    out = _base(row)
    answers = Answers(json.loads(row.get("answers") or "{}"))
    if row["error"] or not int(row.get("asked") or 0):
        return out  # failed before, or every record of the step was in the cache
    t0 = time.perf_counter()
    try:
        with open_book(row["path"], direction=default_direction(ctx.make_settings())) as book:
            walk(step, _analyzer(book, ctx, answers, ctx.store()))
    except Exception as exc:  # noqa: BLE001 - reported in the manifest, the run goes on
        out["error"] = f"{step}: {failure(exc)}"
    out["llm_s"] = float(out.get("llm_s") or 0) + time.perf_counter() - t0
    out["llm_fallbacks"] = int(out.get("llm_fallbacks") or 0) + answers.missed.get(step, 0)
    return out


__all__ = ["STEPS", "Answers", "Unasked", "answer_rows", "answered_text", "ask_rows"]
