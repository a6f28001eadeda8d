"""A chat-completions call that either returns a checked answer or raises `M2MError`.

Over `openai.OpenAI` (its own retries off), this adds what the engine needs:
- bounded retries with exponential backoff and jitter on 429, 5xx and timeouts,
  honouring `Retry-After`; a refused connection fails at once and the endpoint is
  treated as down for `down_cooldown` seconds, so a dead server costs only a message;
- a semaphore bounding requests in flight across worker threads;
- structured outputs (`response_format` json_schema, or JSON mode for servers without
  it), the answer parsed and checked on arrival, one retry that shows the model its
  error, then `M2MError`;
- token usage per stage, and a cancel token checked before every attempt and while
  waiting to retry.
The API key is never logged and never appears in an error message.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import openai

from ..cancel import CancelToken
from ..errors import BackendUnavailable, M2MError
from .config import LLMConfig, redact
from .cost import Usage
from .validate import InvalidAnswer, check, parse_json, strict_schema

log = logging.getLogger("m2m_reader.llm")

T = TypeVar("T")
Message = dict[str, Any]


class ChatClient:
    def __init__(self, config: LLMConfig, usage: Usage | None = None) -> None:
        self.config = config
        self.usage = usage or Usage(config)
        self._key = config.resolved_key()
        self._client = openai.OpenAI(
            api_key=self._key,
            base_url=config.base_url or None,
            timeout=config.timeout,
            max_retries=0,
        )
        self._slots = threading.BoundedSemaphore(config.concurrency)
        self._format = config.structured
        self._down_until = 0.0
        self._down_reason = ""
        self._lock = threading.Lock()

    def close(self) -> None:
        self._client.close()

    def complete(
        self,
        *,
        stage: str,
        model: str,
        messages: list[Message],
        schema_name: str,
        schema: dict[str, Any],
        post: Callable[[Any], T],
        cancel: CancelToken,
    ) -> T:
        """Ask, check the answer against `schema` and then `post` (which may raise
        `InvalidAnswer` and returns the final value); ask once more with the error."""
        msgs = _with_schema(messages, schema)
        for attempt in (0, 1):
            content = self._send(stage, model, msgs, schema_name, schema, cancel)
            try:
                value = parse_json(content)
                check(value, schema)
                return post(value)
            except InvalidAnswer as exc:
                problem = redact(str(exc), self._key)
                if attempt == 1:
                    self.usage.add_failure(stage)
                    raise M2MError(
                        f"The {stage} answer from model {model} was invalid twice: {problem}."
                    ) from None
                self.usage.add_invalid(stage)
                log.warning("llm %s: invalid answer, asking again: %s", stage, problem)
                msgs = msgs + [
                    {"role": "assistant", "content": (content or "")[:4000]},
                    {
                        "role": "user",
                        "content": f"That answer is invalid: {problem}. Please answer again "
                        "with only one JSON object that follows the schema.",
                    },
                ]
        raise AssertionError("unreachable")

    # -- transport ---------------------------------------------------------------

    def _send(
        self,
        stage: str,
        model: str,
        messages: list[Message],
        schema_name: str,
        schema: dict[str, Any],
        cancel: CancelToken,
    ) -> str:
        cfg = self.config
        endpoint = cfg.endpoint()
        reason = ""
        attempt = 0
        while True:
            cancel.check()
            self._check_up()
            delay: float | None = None
            started = time.monotonic()
            try:
                with self._slots:
                    cancel.check()
                    response = self._client.chat.completions.create(
                        model=model,
                        messages=messages,  # type: ignore[arg-type]
                        temperature=cfg.temperature,
                        response_format=self._response_format(schema_name, schema),  # type: ignore[arg-type]
                    )
            except openai.APITimeoutError:
                reason = f"no answer within {cfg.timeout:g} s"
            except openai.APIConnectionError as exc:
                if _refused(exc):
                    raise self._mark_down(
                        f"The LLM endpoint {endpoint} cannot be reached."
                    ) from None
                reason = "the connection broke"
            except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
                raise self._mark_down(
                    f"The LLM endpoint {endpoint} refused the API key (HTTP {exc.status_code})."
                ) from None
            except openai.NotFoundError:
                raise BackendUnavailable(
                    f"The LLM endpoint {endpoint} has no model {model!r} (HTTP 404)."
                ) from None
            except openai.APIStatusError as exc:
                status = exc.status_code
                if status == 400 and self._format == "json_schema" and _about_format(exc):
                    log.warning("llm: %s does not take json_schema; using JSON mode", endpoint)
                    self._format = "json_object"
                    continue
                if status not in (408, 409, 429) and status < 500:
                    self.usage.add_failure(stage)
                    detail = redact(_short(exc), self._key)
                    raise M2MError(
                        f"The LLM endpoint {endpoint} rejected the {stage} request "
                        f"(HTTP {status}): {detail}."
                    ) from None
                reason = f"HTTP {status}"
                delay = _retry_after(exc)
            else:
                self.usage.add(stage, model, response.usage, time.monotonic() - started)
                choice = response.choices[0] if response.choices else None
                return (choice.message.content or "") if choice else ""
            if attempt >= cfg.max_retries:
                self.usage.add_failure(stage)
                raise M2MError(
                    f"The LLM endpoint {endpoint} failed the {stage} request "
                    f"{attempt + 1} times ({reason})."
                )
            attempt += 1
            self.usage.add_retry(stage)
            wait = self._backoff(attempt, delay)
            log.warning("llm %s: %s; retry %d in %.2f s", stage, reason, attempt, wait)
            _sleep(wait, cancel)

    def _response_format(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        if self._format == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": strict_schema(schema), "strict": True},
            }
        return {"type": "json_object"}

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        cfg = self.config
        base = min(cfg.backoff_max, cfg.backoff_base * 2 ** (attempt - 1))
        wait = base * (0.5 + random.random() / 2)  # jitter: spread retries of many threads
        if retry_after is not None:
            wait = max(wait, min(retry_after, cfg.backoff_max))
        return wait

    def _mark_down(self, message: str) -> BackendUnavailable:
        with self._lock:
            self._down_until = time.monotonic() + self.config.down_cooldown
            self._down_reason = message
        log.warning("llm: %s", message)
        return BackendUnavailable(message)

    def _check_up(self) -> None:
        with self._lock:
            if time.monotonic() < self._down_until:
                raise BackendUnavailable(self._down_reason)


def _with_schema(messages: list[Message], schema: dict[str, Any]) -> list[Message]:
    """Repeat the schema in the system message, for servers without structured outputs."""
    note = "\n\nAnswer with one JSON object only, following this JSON schema:\n" + json.dumps(
        schema, separators=(",", ":")
    )
    out = [dict(m) for m in messages]
    if out and out[0]["role"] == "system" and isinstance(out[0]["content"], str):
        out[0]["content"] += note
    else:
        out.insert(0, {"role": "system", "content": note.strip()})
    return out


def _refused(exc: BaseException) -> bool:
    """True when no connection could be made at all (refused, unknown host, no route)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError) or type(seen).__name__ == "ConnectError":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _about_format(exc: openai.APIStatusError) -> bool:
    text = _short(exc).lower()
    return "response_format" in text or "json_schema" in text


def _short(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        msg = err.get("message") if isinstance(err, dict) else err
        text = str(msg)
    else:
        text = str(exc.message)
    return " ".join(text.split())[:200]


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after") if exc.response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _sleep(seconds: float, cancel: CancelToken) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        cancel.check()
        time.sleep(min(left, 0.05))
    cancel.check()
