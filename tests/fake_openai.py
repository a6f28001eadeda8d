"""A local stand-in for an OpenAI-compatible server, for tests through the real client.

`FakeOpenAI` serves POST /v1/chat/completions on 127.0.0.1 from a thread. By default it
answers every request with a valid answer for the requested schema; `script` holds
behaviours for the next requests, consumed in order:

    "good"       a valid answer
    "malformed"  text that is not JSON
    "invalid"    JSON that breaks the schema
    "short"      valid JSON whose text is too short (3 words)
    "slow"       a valid answer after `slow_seconds`
    429, 500,    that HTTP status with an error body (429 with Retry-After: 0)
    401, 404
    "no_schema"  400 saying response_format json_schema is unsupported
    callable     f(body) -> the answer's content string

and the faults of a broken server:

    "hang"       accept the request and never answer (until the server closes)
    "drop"       read the request, then close the connection without a word
    "garbage"    HTTP 200 with a body that is not JSON (declared application/json)
    "huge"       HTTP 200 with a well-formed chat completion of 5 MB
    "huge_stream" the same 5 MB without a Content-Length, sent until the client stops
    bytes        HTTP 200 with exactly that body (declared application/json)

`fault` sets the behaviour of every request once the script is used up (e.g.
`fake.fault = "hang"` or `fake.fault = 500`): an endpoint that is broken for good.

Every request is recorded (`requests`: parsed body and headers) so tests check the
model, the messages, the images and the response_format schema.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WORDS = (
    "warm felt piano and soft brushed drums at a gentle medium tempo with a patient upright "
    "bass line carrying a calm hopeful mood while light strings swell and settle again "
    "under quiet moments of tender reflection"
).split()


def words(n: int, lead: str = "") -> str:
    out = ([lead] if lead else []) + [WORDS[i % len(WORDS)] for i in range(n - bool(lead))]
    return " ".join(out)


def stage_of(body: dict[str, Any]) -> str:
    """The step a request is for: its json_schema name, or its schema's first field."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return fmt["json_schema"]["name"]
    system = body["messages"][0]["content"]
    schema = json.loads(system[system.rindex("\n") + 1 :])
    names = tuple(schema["properties"])
    return {
        ("lines", "faces"): "transcript",
        ("scenes",): "scenes",
        ("directive",): "directive",
        ("caption",): "caption",
        ("description",): "page_description",
        ("genre", "atmosphere", "focus", "plot"): "section_analysis",
        ("music",): "section_music",
    }[names]


def user_text(body: dict[str, Any]) -> str:
    """The text of the first user message (its text parts, for vision requests)."""
    content = [m for m in body["messages"] if m["role"] == "user"][0]["content"]
    if isinstance(content, str):
        return content
    return "\n".join(p["text"] for p in content if p.get("type") == "text")


def good_answer(body: dict[str, Any], scene_every: int = 6) -> dict[str, Any]:
    stage = stage_of(body)
    text = user_text(body)
    if stage == "transcript":
        page = int(re.search(r"Page (\d+)", text).group(1))  # type: ignore[union-attr]
        emo = {e: 0.0 for e in ("anger", "disgust", "fear", "neutral", "sadness", "surprise")}
        return {
            "lines": [
                {"speaker": "Hana", "text": f"We made it to page {page}!"},
                {"speaker": "tall boy", "text": "Finally."},
            ],
            "faces": [
                {
                    "box": {"x0": 100, "y0": 200, "x1": 300, "y1": 400},
                    "emotions": {**emo, "happiness": 0.6, "neutral": 0.2},
                }
            ],
        }
    if stage == "scenes":
        m = re.search(r"pages (\d+) to (\d+)", text)
        first, last = int(m.group(1)), int(m.group(2))  # type: ignore[union-attr]
        starts = [p for p in range(first, last + 1) if p % scene_every == 0] or [first]
        return {"scenes": [{"start_page": p, "reason": "the place changes"} for p in starts]}
    if stage == "directive":
        return {"directive": words(30, "Directive:")}
    if stage == "caption":
        page = re.search(r"for page (\d+)", text).group(1)  # type: ignore[union-attr]
        return {"caption": words(25, f"Page{page}:")}
    if stage == "page_description":
        return {"description": words(30, "Described:")}
    if stage == "section_analysis":
        return {
            "genre": "drama",
            "atmosphere": "quiet tension",
            "focus": "dialogue",
            "plot": "Two friends argue.",
        }
    return {"music": words(30, "Section:")}


BAD_FOR = {
    "transcript": {"lines": "none"},
    "scenes": {"scenes": [{"start": 1}]},
    "directive": {"directive": 42},
    "caption": {"caption": "x", "extra": True},
    "page_description": {},
    "section_analysis": {"genre": "opera", "atmosphere": "a", "focus": "visual", "plot": "b"},
    "section_music": {"tune": "x"},
}


class FakeOpenAI:
    def __init__(self, slow_seconds: float = 2.0, scene_every: int = 6) -> None:
        self.script: deque[Any] = deque()
        self.requests: list[dict[str, Any]] = []
        self.slow_seconds = slow_seconds
        self.scene_every = scene_every
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = 0.0  # seconds added to every answer (for concurrency tests)
        self.fault: Any = None  # what every request gets once the script is used up
        self.huge_bytes = 5_000_000
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def close(self) -> None:
        self._closing.set()  # hung requests end
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stages(self) -> list[str]:
        return [stage_of(r["body"]) for r in self.requests]

    def _next(self) -> Any:
        with self._lock:
            return self.script.popleft() if self.script else (self.fault or "good")

    def _answer(
        self, body: dict[str, Any], what: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if isinstance(what, int):
            headers = {"Retry-After": "0"} if what == 429 else {}
            error = {"error": {"message": f"fake error {what}", "type": "fake", "code": what}}
            return what, error, headers
        if what == "no_schema":
            msg = "response_format json_schema is not supported by this server"
            return 400, {"error": {"message": msg, "type": "invalid_request_error"}}, {}
        if what == "slow":
            time.sleep(self.slow_seconds)
        if callable(what):
            content = what(body)
        elif what == "malformed":
            content = "Sure! Here is the answer: {not json"
        elif what == "invalid":
            content = json.dumps(BAD_FOR[stage_of(body)])
        elif what == "short":
            key = next(iter(good_answer(body, self.scene_every)))
            content = json.dumps({key: "far too short"})
        elif what == "huge":
            content = "x" * self.huge_bytes
        else:
            content = json.dumps(good_answer(body, self.scene_every))
        prompt = len(json.dumps(body["messages"])) // 4
        completion = max(1, len(content) // 4)
        reply = {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
        return 200, reply, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                with fake._lock:
                    fake.requests.append(
                        {
                            "path": self.path,
                            "body": body,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                        }
                    )
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    if fake.delay:
                        time.sleep(fake.delay)
                    what = fake._next() if self.path.startswith("/v1/chat/completions") else None
                    if what == "hang":
                        fake._closing.wait(120)
                        self.close_connection = True
                        return
                    if what == "drop":
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    if what == "huge_stream":  # HTTP/1.0: the body ends when the connection does
                        self.close_connection = True
                        self.send_response(200)
                        self.send_header("Content-Type", "application/json")
                        self.end_headers()
                        self.wfile.write(b'{"choices": [{"message": {"content": "')
                        for _ in range(fake.huge_bytes // 65536):
                            self.wfile.write(b"x" * 65536)
                        return
                    if what is None:
                        status, reply, headers = 404, {"error": {"message": "no route"}}, {}
                    elif isinstance(what, bytes):
                        status, reply, headers = 200, {}, {}
                    else:
                        status, reply, headers = fake._answer(body, what)
                    blob = what if isinstance(what, bytes) else json.dumps(reply).encode()
                    if what == "garbage":
                        status, blob = 200, b"<html>\x00\xff\xfe upstream error <b>oops"
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(blob)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(blob)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass  # the client gave up (timeout and size-cap tests)
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

        return Handler


def free_port() -> int:
    """A port nothing listens on (bound then released), for 'endpoint down' tests."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


Answer = Callable[[dict[str, Any]], str]
