"""A chat-completions call that either returns a checked answer or raises `M2MError`.

Over `openai.OpenAI` (its own retries off), this adds what the engine needs:
- one time budget per request (`LLMConfig.timeout`) that its attempts, retries and
  waits share, so a hung endpoint costs one timeout, not one per retry;
- bounded retries with exponential backoff and jitter on 429, 5xx, dropped connections
  and unreadable bodies, honouring `Retry-After`;
- a circuit breaker per endpoint (`Breaker`): a short run of failures of one kind opens
  it, and then every request fails at once with one sentence (`EndpointDown`), so the
  pipeline's built-in stage makes the rest; a whole-book run keeps it open to its end
  (`hold`), a long-lived engine tries once more after `down_cooldown` seconds;
- HTTP answers read by this module, size-capped and parsed here: garbage, truncation or
  a 5 MB body is a failure of kind "body", never a traceback;
- a semaphore bounding requests in flight across worker threads;
- structured outputs (`response_format` json_schema, or JSON mode for servers without
  it), the answer parsed and checked on arrival, one retry that shows the model its
  error, then `M2MError`;
- token usage per stage, and a cancel token checked before every attempt and while
  waiting to retry.
The API key, and any credentials in the base URL, are never logged and never appear in
an error message: the URL the HTTP client sees carries none (see `LLMConfig.connection`),
and the HTTP libraries' log records pass through `redact`.
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
from openai.types.chat import ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat

from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable, M2MError
from .answer import (
    BadBody,
    Dropped,
    OutOfTime,
    about_format,
    completion,
    read_body,
    refused,
    retry_after,
    short,
)
from .breaker import TRANSPORT, Breaker, EndpointDown
from .config import LLMConfig, redact
from .cost import Usage
from .masking import mask_http_logs
from .validate import InvalidAnswer, check, parse_json, strict_schema

log = logging.getLogger("m2m_reader.llm")

T = TypeVar("T")
Message = ChatCompletionMessageParam
# (stage, model, messages, response_format) -> the answer's content: what answers a
# request instead of the endpoint (batch's LLM stage hands in the answers it got).
Transport = Callable[[str, str, list[Message], ResponseFormat], str]


class LLMError(M2MError):
    """A request or answer that failed; `kind` says how ("timeout", "connection",
    "server", "rate", "body", "invalid", "rejected"), so a caller can say it once."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class ChatClient:
    """Args:
    config: the endpoint's settings.
    usage: where calls and tokens are counted.
    transport: answers each request instead of the endpoint (no HTTP client is
        made, no key needed); answers are checked as the endpoint's are.
    """

    def __init__(
        self, config: LLMConfig, usage: Usage | None = None, transport: Transport | None = None
    ) -> None:
        self.config = config
        self.usage = usage or Usage(config)
        self._transport = transport
        self._client: openai.OpenAI | None = None
        self._key = "" if transport is not None else config.resolved_key()
        self._secrets = [self._key, *config.secrets()]
        mask_http_logs(self._secrets)
        if transport is None:
            url, auth, query = config.connection()
            http_client = openai.DefaultHttpxClient(auth=auth) if auth else None
            self._client = openai.OpenAI(
                api_key=self._key,
                base_url=url,
                timeout=config.timeout,
                max_retries=0,
                default_query=query or None,
                http_client=http_client,
            )
        self._slots = threading.BoundedSemaphore(config.concurrency)
        self._format = config.structured
        self.breaker = Breaker(config.endpoint(), config)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def redact(self, text: str) -> str:
        return redact(text, *self._secrets)

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
                result = post(value)
            except InvalidAnswer as exc:
                problem = self.redact(str(exc))
                if attempt == 1:
                    self.usage.add_failure(stage)
                    opened = self.breaker.failure("invalid", "answers that broke the schema")
                    if opened:
                        log.info("llm: %s", opened)
                        raise EndpointDown(opened) from None
                    raise LLMError(
                        f"The {stage} answer from model {model} was invalid twice: {problem}.",
                        "invalid",
                    ) from None
                self.usage.add_invalid(stage)
                log.info("llm %s: invalid answer, asking again: %s", stage, problem)
                msgs = msgs + [
                    {"role": "assistant", "content": (content or "")[:4000]},
                    {
                        "role": "user",
                        "content": f"That answer is invalid: {problem}. Please answer again "
                        "with only one JSON object that follows the schema.",
                    },
                ]
            else:
                self.breaker.answered()
                return result
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
        if self._transport is not None:
            cancel.check()
            return self._transport(
                stage, model, messages, self._response_format(schema_name, schema)
            )
        cfg = self.config
        endpoint = cfg.endpoint()
        deadline: float | None = None  # set when the first attempt goes out
        first = 0.0
        attempt = 0
        while True:
            cancel.check()
            trial = self.breaker.before()
            kind = what = ""
            delay: float | None = None
            try:
                with self._slots:
                    cancel.check()
                    now = time.monotonic()
                    if deadline is None:
                        first, deadline = now, now + cfg.timeout
                    started = now
                    try:
                        content, usage = self._post(model, messages, schema_name, schema, deadline)
                    except (openai.APITimeoutError, OutOfTime):
                        kind, what = "timeout", f"no answer within {cfg.timeout:g} s"
                    except Dropped:
                        kind, what = "connection", "the connection broke during the answer"
                    except openai.APIConnectionError as exc:
                        if refused(exc):
                            raise self._down(
                                "refused", f"The LLM endpoint {endpoint} cannot be reached.", trial
                            ) from None
                        kind, what = "connection", "the connection broke before an answer"
                    except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
                        raise self._down(
                            "auth",
                            f"The LLM endpoint {endpoint} refused the API key "
                            f"(HTTP {exc.status_code}).",
                            trial,
                        ) from None
                    except openai.NotFoundError:
                        raise BackendUnavailable(
                            f"The LLM endpoint {endpoint} has no model {model!r} (HTTP 404)."
                        ) from None
                    except openai.APIStatusError as exc:
                        status = exc.status_code
                        if status == 400 and self._format == "json_schema" and about_format(exc):
                            log.info("llm: %s does not take json_schema; using JSON mode", endpoint)
                            self._format = "json_object"
                            self.breaker.success()
                            continue
                        if status not in (408, 409, 429) and status < 500:
                            self.usage.add_failure(stage)
                            detail = self.redact(short(exc))
                            raise LLMError(
                                f"The LLM endpoint {endpoint} rejected the {stage} request "
                                f"(HTTP {status}): {detail}.",
                                "rejected",
                            ) from None
                        kind = "rate" if status == 429 else "server"
                        what = f"HTTP {status}"
                        delay = retry_after(exc)
                    except BadBody as exc:
                        kind, what = "body", str(exc)
                    except Exception as exc:  # noqa: BLE001 - a failure, never a traceback
                        # (only its type is shown: a message may quote the URL and its query)
                        kind, what = (
                            "body",
                            f"an answer that could not be read ({type(exc).__name__})",
                        )
                    else:
                        self.breaker.success()
                        self.usage.add(stage, model, usage, time.monotonic() - started)
                        return content
            finally:
                self.breaker.end_trial(trial)
            opened = self.breaker.failure(kind, what, trial)
            if opened:
                self.usage.add_failure(stage)
                log.info("llm: %s", opened)
                raise EndpointDown(opened)
            assert deadline is not None
            wait = self._backoff(attempt + 1, delay)
            if attempt >= cfg.max_retries or time.monotonic() + wait >= deadline:
                self.usage.add_failure(stage)
                tries = (
                    f", {attempt + 1} tries in {time.monotonic() - first:.1f} s" if attempt else ""
                )
                raise LLMError(
                    f"The LLM endpoint {endpoint} failed the {stage} request ({what}{tries}).",
                    kind,
                )
            attempt += 1
            self.usage.add_retry(stage)
            log.info("llm %s: %s; retry %d in %.2f s", stage, what, attempt, wait)
            _sleep(wait, cancel)

    def _post(
        self,
        model: str,
        messages: list[Message],
        schema_name: str,
        schema: dict[str, Any],
        deadline: float,
    ) -> tuple[str, dict[str, Any] | None]:
        """One HTTP attempt: (the answer's content, its usage block or None)."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise OutOfTime()
        assert self._client is not None  # made when there is no transport
        with self._client.chat.completions.with_streaming_response.create(
            model=model,
            messages=messages,
            temperature=self.config.temperature,
            response_format=self._response_format(schema_name, schema),
            timeout=left,
        ) as response:
            blob = read_body(response, deadline, self.config.max_answer_bytes)
        return completion(blob)

    def _response_format(self, name: str, schema: dict[str, Any]) -> ResponseFormat:
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

    def _down(self, kind: str, message: str, trial: bool) -> EndpointDown:
        opened = self.breaker.failure(kind, "", trial, message=message)
        if opened:
            log.info("llm: %s", opened)
        return EndpointDown(message)


def _with_schema(messages: list[Message], schema: dict[str, Any]) -> list[Message]:
    """Repeat the schema in the system message, for servers without structured outputs."""
    note = "\n\nAnswer with one JSON object only, following this JSON schema:\n" + json.dumps(
        schema, separators=(",", ":")
    )
    first = messages[0] if messages else None
    if first is not None and first["role"] == "system" and isinstance(first["content"], str):
        return [{"role": "system", "content": first["content"] + note}, *messages[1:]]
    return [{"role": "system", "content": note.strip()}, *messages]


def _sleep(seconds: float, cancel: CancelToken) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        cancel.check()
        time.sleep(min(left, 0.05))
    cancel.check()


__all__ = ["TRANSPORT", "Breaker", "ChatClient", "EndpointDown", "LLMError", "Transport"]
