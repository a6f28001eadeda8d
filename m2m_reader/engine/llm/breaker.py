"""The circuit breaker of one LLM endpoint: a short run of failures of one kind opens
it, and then every request fails at once with one sentence (`EndpointDown`), so the
pipeline's built-in stage makes the rest."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator

from ..core.errors import BackendUnavailable
from .config import LLMConfig

log = logging.getLogger("m2m_reader.llm")

# Kinds of failure the breaker counts; "refused" and "auth" open it at once.
TRANSPORT = ("timeout", "connection", "server", "rate", "body")


class EndpointDown(BackendUnavailable):
    """The endpoint's breaker is open: nothing is sent until it closes."""

    kind = "down"


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
