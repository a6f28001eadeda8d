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

import contextlib
import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import openai

from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable, M2MError
from .config import LLMConfig, redact
from .cost import Usage
from .validate import InvalidAnswer, check, parse_json, strict_schema

log = logging.getLogger("m2m_reader.llm")

T = TypeVar("T")
Message = dict[str, Any]

# Kinds of failure the breaker counts; "refused" and "auth" open it at once.
TRANSPORT = ("timeout", "connection", "server", "rate", "body")


class LLMError(M2MError):
    """A request or answer that failed; `kind` says how ("timeout", "connection",
    "server", "rate", "body", "invalid", "rejected"), so a caller can say it once."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class EndpointDown(BackendUnavailable):
    """The endpoint's breaker is open: nothing is sent until it closes."""

    kind = "down"


class _BadBody(Exception):
    """The HTTP answer could not be read as a chat completion."""


class _Dropped(Exception):
    """The connection broke while the answer was arriving."""


class _OutOfTime(Exception):
    """The request's time budget ran out while its answer was arriving."""


class Breaker:
    """The circuit breaker of one endpoint.

    Closed, it counts failures by kind; a success clears the transport kinds, a valid
    answer clears "invalid". When one kind reaches its limit (`breaker_runs`,
    `breaker_timeouts` for timeouts, `max_retries + 1` for 429s, 1 for a refused
    connection or key) it opens: `before()` raises `EndpointDown` with one message.
    After `down_cooldown` seconds one trial request may go (half-open); its success
    closes the breaker, its failure opens it again. While `hold()` is entered (a
    whole-book run), an open breaker stays open.
    """

    def __init__(self, endpoint: str, config: LLMConfig) -> None:
        self.endpoint = endpoint
        self.cooldown = config.down_cooldown
        self._limits = {
            "timeout": config.breaker_timeouts,
            "rate": config.max_retries + 1,
            "refused": 1,
            "auth": 1,
        }
        self._runs_limit = config.breaker_runs
        self._lock = threading.Lock()
        self._runs: Counter[str] = Counter()
        self._open = False
        self._until = 0.0
        self._message = ""
        self._trial = False
        self._held = 0
        self.trips = 0  # times it opened

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._open

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """While inside, an open breaker does not half-open (the rest of a run)."""
        with self._lock:
            self._held += 1
        try:
            yield
        finally:
            with self._lock:
                self._held -= 1

    def before(self) -> bool:
        """Raise `EndpointDown` when open; True when this attempt is the half-open trial."""
        with self._lock:
            if not self._open:
                return False
            if self._held or self._trial or time.monotonic() < self._until:
                raise EndpointDown(self._message)
            self._trial = True
        log.info("llm: trying %s again after %g s", self.endpoint, self.cooldown)
        return True

    def end_trial(self, trial: bool) -> None:
        if trial:
            with self._lock:
                self._trial = False

    def success(self) -> None:
        with self._lock:
            was_open = self._open
            for kind in (*TRANSPORT, "refused", "auth"):
                self._runs.pop(kind, None)
            self._open = self._trial = False
        if was_open:
            log.info("llm: %s answers again", self.endpoint)

    def answered(self) -> None:
        """A valid answer arrived."""
        with self._lock:
            self._runs.pop("invalid", None)

    def failure(self, kind: str, what: str, trial: bool = False, message: str = "") -> str | None:
        """Count one failure of `kind`; the breaker's message when this one opens it."""
        with self._lock:
            self._runs[kind] += 1
            now = time.monotonic()
            if self._open:
                if trial:  # the trial failed: closed again for another cool-down
                    self._until = now + self.cooldown
                    self._trial = False
                return None
            if self._runs[kind] < self._limits.get(kind, self._runs_limit):
                return None
            self._open = True
            self._until = now + self.cooldown
            self.trips += 1
            after = (
                "it is not asked again in this run"
                if self._held
                else f"it is asked again in {self.cooldown:g} s"
            )
            if not message:
                count = self._runs[kind]
                times = "once" if count == 1 else f"{count} times in a row"
                message = (
                    f"The LLM endpoint {self.endpoint} failed {times} ({what}); "
                    f"the built-in stage takes over and {after}."
                )
            self._message = message
            return message


class ChatClient:
    def __init__(self, config: LLMConfig, usage: Usage | None = None) -> None:
        self.config = config
        self.usage = usage or Usage(config)
        self._key = config.resolved_key()
        self._secrets = [self._key, *config.secrets()]
        _mask_http_logs(self._secrets)
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
                    except (openai.APITimeoutError, _OutOfTime):
                        kind, what = "timeout", f"no answer within {cfg.timeout:g} s"
                    except _Dropped:
                        kind, what = "connection", "the connection broke during the answer"
                    except openai.APIConnectionError as exc:
                        if _refused(exc):
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
                        if status == 400 and self._format == "json_schema" and _about_format(exc):
                            log.info("llm: %s does not take json_schema; using JSON mode", endpoint)
                            self._format = "json_object"
                            self.breaker.success()
                            continue
                        if status not in (408, 409, 429) and status < 500:
                            self.usage.add_failure(stage)
                            detail = self.redact(_short(exc))
                            raise LLMError(
                                f"The LLM endpoint {endpoint} rejected the {stage} request "
                                f"(HTTP {status}): {detail}.",
                                "rejected",
                            ) from None
                        kind = "rate" if status == 429 else "server"
                        what = f"HTTP {status}"
                        delay = _retry_after(exc)
                    except _BadBody as exc:
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
    ) -> tuple[str, Any]:
        """One HTTP attempt: (the answer's content, its usage block or None)."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise _OutOfTime()
        with self._client.chat.completions.with_streaming_response.create(
            model=model,
            messages=messages,  # type: ignore[arg-type]
            temperature=self.config.temperature,
            response_format=self._response_format(schema_name, schema),  # type: ignore[arg-type]
            timeout=left,
        ) as response:
            blob = self._read(response, deadline)
        return _completion(blob)

    def _read(self, response: Any, deadline: float) -> bytes:
        """The body, refused past `max_answer_bytes` and past the deadline."""
        cap = self.config.max_answer_bytes
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            raise _BadBody(f"an answer of {_size(int(length))}, over the {_size(cap)} allowed")
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > cap:
                    raise _BadBody(f"an answer over the {_size(cap)} allowed")
                if time.monotonic() > deadline:
                    raise _OutOfTime()
                chunks.append(chunk)
        except (_BadBody, _OutOfTime):
            raise
        except Exception as exc:  # noqa: BLE001 - the HTTP library's read errors
            if _timed_out(exc):
                raise _OutOfTime() from None
            raise _Dropped() from None
        return b"".join(chunks)

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

    def _down(self, kind: str, message: str, trial: bool) -> EndpointDown:
        opened = self.breaker.failure(kind, "", trial, message=message)
        if opened:
            log.info("llm: %s", opened)
        return EndpointDown(message)


def _completion(blob: bytes) -> tuple[str, Any]:
    """The content and usage of a chat-completion body, or `_BadBody` saying why not."""
    try:
        body = json.loads(blob)
    except ValueError:
        raise _BadBody("an answer that is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
        raise _BadBody("an answer that is not a chat completion")
    usage = body.get("usage")
    usage = usage if isinstance(usage, dict) else None
    if not body["choices"]:
        return "", usage
    choice = body["choices"][0]
    message = choice.get("message") if isinstance(choice, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if content is not None and not isinstance(content, str):
        raise _BadBody("an answer whose message content is not text")
    return content or "", usage


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n} bytes"


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


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return
        yield seen
        seen = seen.__cause__ or seen.__context__


def _refused(exc: BaseException) -> bool:
    """True when no connection could be made at all (refused, unknown host, no route)."""
    return any(
        isinstance(e, ConnectionRefusedError) or type(e).__name__ == "ConnectError"
        for e in _chain(exc)
    )


def _timed_out(exc: BaseException) -> bool:
    return any(isinstance(e, TimeoutError) or "Timeout" in type(e).__name__ for e in _chain(exc))


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


# -- secrets in the HTTP libraries' logs ----------------------------------------------

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_HTTP_LOGGERS = ("httpx2", "httpx", "httpcore2", "httpcore", "openai", "openai._base_client")


class _MaskSecrets(logging.Filter):
    """Masks every known secret (and URL credentials) in records of the HTTP loggers."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot format is left alone
            return True
        with _SECRETS_LOCK:
            secrets = list(_SECRETS)
        clean = redact(text, *secrets)
        if clean != text:
            record.msg, record.args = clean, None
        return True


_FILTER = _MaskSecrets()


def _mask_http_logs(secrets: list[str]) -> None:
    with _SECRETS_LOCK:
        _SECRETS.update(s for s in secrets if len(s) >= 4)  # not every "x" of a log line
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
