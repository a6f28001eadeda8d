"""One HTTP answer of a chat-completions endpoint, read and judged here: size-capped,
within the request's deadline, parsed as a chat completion; and the failures of the
HTTP library sorted into what the client does next (refused, timed out, about the
response format, told when to retry)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import openai


class BadBody(Exception):
    """The HTTP answer could not be read as a chat completion."""


class Dropped(Exception):
    """The connection broke while the answer was arriving."""


class OutOfTime(Exception):
    """The request's time budget ran out while its answer was arriving."""


class Streamed(Protocol):
    """An HTTP answer whose body arrives in chunks (openai's streamed response)."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    def iter_bytes(self) -> Iterator[bytes]: ...


def read_body(response: Streamed, deadline: float, cap: int) -> bytes:
    """The body, refused past `cap` bytes and past the deadline."""
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise BadBody(f"an answer of {_size(int(length))}, over the {_size(cap)} allowed")
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > cap:
                raise BadBody(f"an answer over the {_size(cap)} allowed")
            if time.monotonic() > deadline:
                raise OutOfTime()
            chunks.append(chunk)
    except (BadBody, OutOfTime):
        raise
    except Exception as exc:  # noqa: BLE001 - the HTTP library's read errors
        if _timed_out(exc):
            raise OutOfTime() from None
        raise Dropped() from None
    return b"".join(chunks)


def completion(blob: bytes) -> tuple[str, dict[str, Any] | None]:
    """The content and usage of a chat-completion body, or `BadBody` saying why not."""
    try:
        body = json.loads(blob)
    except ValueError:
        raise BadBody("an answer that is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
        raise BadBody("an answer that is not a chat completion")
    usage = body.get("usage")
    usage = usage if isinstance(usage, dict) else None
    if not body["choices"]:
        return "", usage
    choice = body["choices"][0]
    message = choice.get("message") if isinstance(choice, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if content is not None and not isinstance(content, str):
        raise BadBody("an answer whose message content is not text")
    return content or "", usage


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n} bytes"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return
        yield seen
        seen = seen.__cause__ or seen.__context__


def refused(exc: BaseException) -> bool:
    """True when no connection could be made at all (refused, unknown host, no route)."""
    return any(
        isinstance(e, ConnectionRefusedError) or type(e).__name__ == "ConnectError"
        for e in _chain(exc)
    )


def _timed_out(exc: BaseException) -> bool:
    return any(isinstance(e, TimeoutError) or "Timeout" in type(e).__name__ for e in _chain(exc))


def about_format(exc: openai.APIStatusError) -> bool:
    text = short(exc).lower()
    return "response_format" in text or "json_schema" in text


def short(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        msg = err.get("message") if isinstance(err, dict) else err
        text = str(msg)
    else:
        text = str(exc.message)
    return " ".join(text.split())[:200]


def retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after") if exc.response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
