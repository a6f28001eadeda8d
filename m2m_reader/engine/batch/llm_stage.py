"""The LLM steps as Ray Data stages of their own, on `ray.data.llm` (`--llm-stage`).

For each step in the engine's order (scene boundaries, directives, captions):

    books ─ask (CPU tasks)─▶ requests ─processor─▶ answers ─gather─▶ books ─answer (CPU tasks)─▶

The requests are the engine's own (the same messages, model and schema as a live
endpoint gets) and the answers are checked and kept by the engine's own code (see
`llm_steps`), so the `analyse` step after finds every record in the cache.

- `vllm`: `vLLMEngineProcessorConfig`: vLLM engine actors holding the model
  (`--llm-model`: a Hugging Face id or a folder), `tensor_parallel` GPUs each (or a
  `gpu_share` of one), `engines` of them per step, answers held to the step's JSON
  schema by vLLM's structured outputs. A request the engine fails on is that record's
  fallback (`should_continue_on_error`), not the run's end.
- `http`: `HttpRequestProcessorConfig` against the OpenAI-compatible endpoint
  (`--llm-base-url`), `engines` workers per step, each with `batch_size` requests in
  flight. The API key is read on each worker, never sent with the stage.

A book with nothing to ask (every record cached, or the book failed) passes through
the processor as one row marked the way `ray.data.llm` marks a failed row, which
every stage of a processor hands on untouched.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.errors import M2MError
from .regroup import Gather

if TYPE_CHECKING:
    from ..core.settings import Settings
    from ..llm.config import LLMConfig
    from .stages import Context, Row

# The modules of the engine are imported where they are used: the HTTP workers and the
# gathering actor start without them.
STEPS = ("scenes", "directive", "caption")  # as `llm_steps.STEPS`
ENGINES = ("http", "vllm")
PASS = "m2m-reader: nothing to ask"  # the marker of a row that passes through
ERROR = "__inference_error__"  # ray.data.llm's column for a failed row
CARRY = ("book_id", "path", "name", "pages", "read_s", "emotions_s", "error", "llm_s",
         "llm_fallbacks")  # fmt: skip
ASKED = ("n_ask", "ask", "digest")
SMALL = 0.1  # CPUs of each CPU actor of a processor (tokenizers, HTTP workers)


@dataclass(frozen=True)
class LLMStage:
    """How the LLM stage runs.

    Args:
        engine: "vllm" (engine actors holding the model) or "http" (an endpoint).
        engines: vLLM engine actors, or HTTP workers, per step (three steps).
        tensor_parallel: GPUs each vLLM engine splits the model over.
        gpu_share: of one GPU for each vLLM engine (tensor_parallel 1 only), so the
            three steps' engines can share one GPU.
        batch_size: requests per batch handed to an engine or a worker.
        max_tokens: the longest answer vLLM may write.
    """

    engine: str
    engines: int = 1
    tensor_parallel: int = 1
    gpu_share: float = 1.0
    batch_size: int = 16
    max_tokens: int = 2048

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise M2MError(f"unknown LLM stage {self.engine!r} (choose from http, vllm)")
        for name in ("engines", "tensor_parallel", "batch_size", "max_tokens"):
            if getattr(self, name) < 1:
                raise M2MError(f"the LLM stage's {name} must be at least 1")
        if not 0 < self.gpu_share <= 1:
            raise M2MError(
                f"--llm-gpu-share must be more than 0 and at most 1, not {self.gpu_share:g}"
            )
        if self.gpu_share < 1 and self.tensor_parallel > 1:
            raise M2MError(
                "--llm-gpu-share shares one GPU: it cannot go with --llm-tensor-parallel"
            )


def require(stage: LLMStage) -> None:
    """Fail at once, in one sentence, when what the stage runs on is not installed."""
    if stage.engine == "vllm" and importlib.util.find_spec("vllm") is None:
        raise M2MError(
            "--llm-stage vllm needs vLLM, which is not installed (run: pip install 'ray[llm]' "
            "vllm, on machines with a CUDA GPU)"
        )
    try:
        import ray.data.llm  # noqa: F401
    except ImportError as exc:
        raise M2MError(
            f"--llm-stage needs Ray's LLM library, which cannot load ({exc}; run: pip install "
            "'ray[llm]', or aiohttp for --llm-stage http)"
        ) from None


def held_cpus(stage: LLMStage | None) -> float:
    """The CPUs the stage's actors hold for the whole run (the other pools share the
    rest): per step the HTTP workers, or vLLM's tokenizer actors and engines."""
    if stage is None:
        return 0.0
    if stage.engine == "http":
        return len(STEPS) * stage.engines * SMALL
    return len(STEPS) * (3 * SMALL + stage.engines * 1.0)


def add_llm_stages(ds: Any, ctx: Context, stage: LLMStage) -> Any:
    """`ds` (one row per book) with the LLM steps' stages after it."""
    import ray

    from .llm_steps import answer_rows, ask_rows

    config = _config(ctx)
    gather = {"carry": CARRY, "failed_column": ERROR}
    for step in STEPS:
        ds = ds.flat_map(ask_rows, fn_kwargs={"ctx": ctx, "step": step}, num_cpus=SMALL)
        ds = _processor(stage, ctx, config)(ds)
        ds = ds.flat_map(Gather, fn_constructor_kwargs=gather,
                         compute=ray.data.ActorPoolStrategy(size=1), num_cpus=0)  # fmt: skip
        ds = ds.map(answer_rows, fn_kwargs={"ctx": ctx, "step": step}, num_cpus=SMALL)
    return ds


def _config(ctx: Context) -> Any:
    from ..core.settings import Settings

    return llm_config(Settings(**ctx.settings))


def llm_config(settings: Settings) -> LLMConfig:
    """The endpoint settings of the run's `OpenAIText`, as `make_text` makes them (so
    the same cache keys). Only what is public of it travels with the stages."""
    from ..llm.config import LLMConfig

    return LLMConfig.from_env(
        model=settings.llm_model,
        base_url=settings.llm_base_url or None,
        timeout=settings.llm_timeout,
    )


class Preprocess:
    """A request row → what the processor sends: vLLM's messages and sampling
    parameters, or the HTTP body the engine's client would post."""

    def __init__(self, engine: str, temperature: float, max_tokens: int) -> None:
        self.engine, self.temperature, self.max_tokens = engine, temperature, max_tokens

    def __call__(self, row: Row) -> Row:
        if not row["request"]:
            return {ERROR: PASS, "answer": ""}
        request = json.loads(row["request"])
        fmt = request["response_format"]
        if self.engine == "http":
            body = {"model": request["model"], "messages": request["messages"],
                    "temperature": self.temperature, "response_format": fmt}  # fmt: skip
            return {"payload": body, "answer": "", ERROR: ""}
        if fmt.get("type") == "json_schema":
            structured = {"json": fmt["json_schema"]["schema"]}
        else:
            structured = {"json_object": True}
        sampling = {"temperature": self.temperature, "max_tokens": self.max_tokens,
                    "structured_outputs": structured}  # fmt: skip
        return {"messages": request["messages"], "sampling_params": sampling, "answer": "",
                ERROR: ""}  # fmt: skip


def http_answer(row: Row) -> Row:
    """The content of an HTTP answer, read as the engine's client reads one; an error
    body, or an answer without content, is no answer."""
    from ..llm.answer import BadBody, completion

    try:
        content, _ = completion(json.dumps(row["http_response"]).encode())
    except (BadBody, TypeError, ValueError):
        content = ""
    return {**{k: row.get(k) for k in (*CARRY, *ASKED)}, "answer": content or "", ERROR: ""}


def vllm_answer(row: Row) -> Row:
    answer = str(row.get("generated_text") or "")
    return {**{k: row.get(k) for k in (*CARRY, *ASKED)}, "answer": answer, ERROR: ""}


def _processor(stage: LLMStage, ctx: Context, config: Any) -> Any:
    from ray.data.llm import build_processor

    pre = Preprocess(stage.engine, config.temperature, stage.max_tokens)
    light = {"num_cpus": SMALL}
    if stage.engine == "http":
        return build_processor(_http_config(stage, ctx, config), preprocess=pre,
                               postprocess=http_answer, preprocess_map_kwargs=light,
                               postprocess_map_kwargs=light)  # fmt: skip
    return build_processor(_vllm_config(stage, config), preprocess=pre, postprocess=vllm_answer,
                           preprocess_map_kwargs=light, postprocess_map_kwargs=light)  # fmt: skip


def _http_config(stage: LLMStage, ctx: Context, config: Any) -> Any:
    from ray.data.llm import HttpRequestProcessorConfig, HttpRequestStageConfig

    url, _, query = config.connection()
    if query:
        raise M2MError(
            "--llm-stage http cannot send the query of the LLM base URL (it may hold a key): "
            "give the endpoint without one"
        )
    return HttpRequestProcessorConfig(
        url=f"{url}/chat/completions",
        session_factory=Session(ctx),
        max_retries=config.max_retries,
        base_retry_wait_time_in_s=config.backoff_base,
        concurrency=stage.engines,
        batch_size=stage.batch_size,
        http_request_stage=HttpRequestStageConfig(num_cpus=SMALL),
    )


def _vllm_config(stage: LLMStage, config: Any) -> Any:
    from ray.data.llm import (
        ChatTemplateStageConfig,
        DetokenizeStageConfig,
        TokenizerStageConfig,
        vLLMEngineProcessorConfig,
    )

    engine: dict[str, Any] = {"tensor_parallel_size": stage.tensor_parallel}
    placement = None
    if stage.gpu_share < 1:  # several engines on one GPU, each with its share of memory
        engine["gpu_memory_utilization"] = round(0.9 * stage.gpu_share, 3)
        placement = {"bundle_per_worker": {"GPU": stage.gpu_share}}
    return vLLMEngineProcessorConfig(
        model_source=config.model,
        engine_kwargs=engine,
        placement_group_config=placement,
        concurrency=stage.engines,
        batch_size=stage.batch_size,
        should_continue_on_error=True,
        chat_template_stage=ChatTemplateStageConfig(num_cpus=SMALL),
        tokenize_stage=TokenizerStageConfig(num_cpus=SMALL),
        detokenize_stage=DetokenizeStageConfig(num_cpus=SMALL),
    )


class Session:
    """The HTTP workers' sessions: the API key and the base URL's user and password
    are read on the worker (as the engine's client reads them), so no secret travels
    with the stage; one time budget per request (`llm_timeout`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def __call__(self) -> Any:
        import aiohttp

        settings = self.ctx.make_settings()
        config = llm_config(settings).with_(api_key=settings.api_key() or None)
        _, auth, _ = config.connection()
        headers = {} if auth else {"Authorization": f"Bearer {config.resolved_key()}"}
        return aiohttp.ClientSession(
            headers=headers,
            auth=aiohttp.BasicAuth(*auth) if auth else None,
            timeout=aiohttp.ClientTimeout(total=config.timeout),
        )


__all__ = ["ENGINES", "LLMStage", "add_llm_stages", "held_cpus", "require"]
