"""Endpoint settings for the OpenAI-compatible text backend.

One typed record with its defaults in one place. The API key comes from the caller or
the environment's `OPENAI_API_KEY`; it is kept out of `repr()`, out of `public()` (what
goes into cache keys, logs and records) and out of every error message. A key put inside
the base URL (`http://user:sk-...@host/v1`, `?api_key=...`) is a secret too: `connection()`
takes it out of the URL the client sees (user:password becomes HTTP basic auth, the query
becomes query parameters of every request) and `secrets()` names what `redact` masks.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from ..core.errors import BackendUnavailable

OPENAI_URL = "https://api.openai.com/v1"
NO_KEY = "no-key-needed"  # local servers ignore the key but the client wants one

# Public list prices in USD per million tokens (input, output), OpenAI, 2024-2025.
# Only used to show an estimate; unknown models show tokens alone.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}


class BadSetting(BackendUnavailable, ValueError):
    """An endpoint setting that cannot be used; `str()` says which and why."""


@dataclass(frozen=True)
class LLMConfig:
    """Settings of one endpoint.

    Args:
        model: the chat model for text steps (scenes, directive, caption, section).
        vision_model: the model for steps that send page images (transcript, baseline
            description, section analysis); defaults to `model`.
        base_url: an OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (Ollama);
            None means OpenAI itself.
        api_key: the key; never logged, cached or shown.
        timeout: seconds one request may take in all, its retries and their waits
            included (`--llm-timeout`, the `llm_timeout` setting).
        max_retries: retries after a 429, a 5xx, a dropped connection or an unreadable
            body, while the timeout leaves time (not after refused connections).
        concurrency: requests in flight at once, across threads; a whole-book run asks
            this many at once.
        max_answer_bytes: an HTTP answer larger than this is refused.
        breaker_runs: failures of one kind in a row (no success between) that open the
            endpoint's circuit breaker: the built-in stage then makes the records;
            `breaker_timeouts` for timeouts, `max_retries + 1` for 429s.
        down_cooldown: seconds an open breaker stays open before one trial request
            (in a long-lived engine; a whole-book run keeps it open to its end).
        structured: "json_schema" (structured outputs) or "json_object" for servers that
            only know JSON mode; the schema is in the prompt either way.
    """

    model: str = "gpt-4o-mini"
    vision_model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    max_retries: int = 3
    concurrency: int = 4
    temperature: float = 0.4
    image_max_px: int = 1024
    image_detail: Literal["low", "high", "auto"] = "high"
    structured: Literal["json_schema", "json_object"] = "json_schema"
    backoff_base: float = 0.5  # seconds before the first retry; doubles each time
    backoff_max: float = 8.0
    down_cooldown: float = 30.0  # an open breaker fails fast this long, then tries once
    max_answer_bytes: int = 1_000_000
    breaker_runs: int = 3
    breaker_timeouts: int = 2
    scene_window: int = 40  # pages per scene-boundary call
    scene_overlap: int = 8  # pages shared by neighbouring windows
    max_dialogue_chars: int = 12000  # dialogue budget per prompt
    section_images: int = 4  # page images sent with a section's analysis

    def __post_init__(self) -> None:
        if self.scene_window < 4 or not 0 <= self.scene_overlap < self.scene_window // 2:
            raise ValueError("scene_window must be >= 4 and scene_overlap < scene_window / 2")
        if self.concurrency < 1 or self.max_retries < 0:
            raise ValueError("concurrency >= 1 and max_retries >= 0 are required")
        if (
            isinstance(self.timeout, bool)
            or not isinstance(self.timeout, int | float)
            or not math.isfinite(self.timeout)
            or self.timeout <= 0
        ):
            raise BadSetting(
                f"The LLM timeout must be a number of seconds above 0, not {self.timeout!r}."
            )
        if self.max_answer_bytes < 1 or self.breaker_runs < 1 or self.breaker_timeouts < 1:
            raise ValueError("max_answer_bytes, breaker_runs and breaker_timeouts must be >= 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> LLMConfig:
        """Settings from `OPENAI_API_KEY`, `OPENAI_BASE_URL` and `M2M_LLM_MODEL`,
        with explicit overrides (None overrides are ignored)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        if env.get("OPENAI_API_KEY"):
            values["api_key"] = env["OPENAI_API_KEY"]
        if env.get("OPENAI_BASE_URL"):
            values["base_url"] = env["OPENAI_BASE_URL"]
        if env.get("M2M_LLM_MODEL"):
            values["model"] = env["M2M_LLM_MODEL"]
        if env.get("M2M_LLM_VISION_MODEL"):
            values["vision_model"] = env["M2M_LLM_VISION_MODEL"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> LLMConfig:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def vision(self) -> str:
        return self.vision_model or self.model

    @property
    def is_openai(self) -> bool:
        return self.base_url is None or "api.openai.com" in self.base_url

    def endpoint(self) -> str:
        """The base URL without credentials or query, safe to show and to hash."""
        return public_url(self.base_url or OPENAI_URL)

    def connection(self) -> tuple[str, tuple[str, str] | None, dict[str, str]]:
        """(base URL without credentials or query, basic-auth (user, password) from the
        URL or None, the URL's query parameters): what the HTTP client is given, so no
        URL it logs carries a secret."""
        parts = urlsplit(self.base_url or OPENAI_URL)
        try:
            port = parts.port
        except ValueError:
            raise BackendUnavailable(
                f"The LLM base URL {public_url(self.base_url or '')} has a port that is not "
                "a number."
            ) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BackendUnavailable(
                f"The LLM base URL {public_url(self.base_url or '')} is not an http:// or "
                "https:// address."
            )
        host = parts.hostname
        if ":" in host:
            host = f"[{host}]"  # an IPv6 address
        netloc = f"{host}:{port}" if port else host
        url = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        auth = None
        if parts.username is not None or parts.password is not None:
            auth = (unquote(parts.username or ""), unquote(parts.password or ""))
        return url, auth, dict(parse_qsl(parts.query, keep_blank_values=True))

    def secrets(self) -> list[str]:
        """Every secret these settings hold, to be masked wherever text is shown: the key,
        and the user, password and query values of the base URL."""
        out = [self.api_key or ""]
        if self.base_url:
            parts = urlsplit(self.base_url)
            for raw in (parts.username, parts.password):
                if raw:
                    out += [raw, unquote(raw)]
            for name, value in parse_qsl(parts.query, keep_blank_values=True):
                if value and (_SECRET_NAME.search(name) or len(value) >= 12):
                    out.append(value)
            # the raw query too, in case a value is quoted differently when shown
            for piece in parts.query.split("&"):
                name, _, value = piece.partition("=")
                if value and (_SECRET_NAME.search(name) or len(value) >= 12):
                    out.append(value)
        return sorted({s for s in out if s and s != NO_KEY and len(s) >= 3}, key=len, reverse=True)

    def resolved_key(self) -> str:
        """The key to send; raises `BackendUnavailable` when OpenAI itself has none."""
        if self.api_key:
            return self.api_key
        if self.is_openai:
            raise BackendUnavailable(
                "The OpenAI backend has no API key: set OPENAI_API_KEY, or set OPENAI_BASE_URL "
                "to a local server such as Ollama."
            )
        return NO_KEY

    def public(self) -> dict[str, object]:
        """What of these settings changes the output or is worth showing: no secret."""
        return {
            "endpoint": self.endpoint(),
            "model": self.model,
            "vision_model": self.vision,
            "temperature": self.temperature,
            "image_max_px": self.image_max_px,
            "image_detail": self.image_detail,
            "structured": self.structured,
            "scene_window": self.scene_window,
            "scene_overlap": self.scene_overlap,
            "max_dialogue_chars": self.max_dialogue_chars,
            "section_images": self.section_images,
        }

    def price(self, model: str | None = None) -> tuple[float, float] | None:
        if not self.is_openai:
            return None  # a local server costs no money
        return PRICES.get(model or self.model)


def public_url(url: str) -> str:
    """`url` without user:password, query or fragment."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # e.g. a port that is not a number
        return "(an unreadable URL)"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-]{6,})")
_SECRET_NAME = re.compile(r"key|token|secret|pass|auth|sig|cred", re.I)
# user:password@ in any URL, and secret-looking query values (api_key=..., token=...)
_URL_USERINFO = re.compile(r"(?<=://)[^/\s@]+@")
_URL_SECRET_QUERY = re.compile(
    r"([?&][^=&\s]*(?:key|token|secret|pass|auth|sig|cred)[^=&\s]*=)[^&\s#\"']+", re.I
)


def redact(text: str, *secrets: str | None) -> str:
    """`text` with each secret, the credentials of any URL in it and anything shaped
    like an OpenAI key blanked out."""
    for secret in sorted((s for s in secrets if s and s != NO_KEY), key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _URL_USERINFO.sub("***@", text)
    text = _URL_SECRET_QUERY.sub(r"\1***", text)
    return _KEYLIKE.sub("sk-***", text)
