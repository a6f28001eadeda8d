"""Analysis records cached under content keys, with the built-in backend as fallback.

A record's key is (stage, stage version, backend, backend settings, the book's content,
inputs); a hit is returned as it was stored, with the backend that made it. When a
model-backed stage fails, the built-in backend makes the record (marked with the
backend that really made it), and the failure is told once per kind, not per record.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..core.errors import Cancelled, M2MError
from ..core.store import Store, key
from .records import PageEmotions, SceneInput

log = logging.getLogger("m2m_reader.engine.analysis.pipeline")

STAGE_VERSIONS = {
    "transcript": 1,
    "stats": 1,
    "emotions": 1,
    "scenes": 1,
    "directive": 1,
    "caption": 1,
    "description": 1,
    "section": 1,
}

Fallback = Callable[[str, str, str], None]  # (stage, backend, message)


class RecordCache:
    """The records of one book in a store.

    Args:
        store: where records are kept.
        fingerprint: the book's content fingerprint (part of every key).
        on_fallback: returns who to tell when a backend failed (None: the log).
    """

    def __init__(
        self, store: Store, fingerprint: str, on_fallback: Callable[[], Fallback | None]
    ) -> None:
        self.store = store
        self.fingerprint = fingerprint
        self.on_fallback = on_fallback
        self.computed: Counter[str] = Counter()  # records computed (cache misses) per stage
        self._lock = threading.Lock()
        self._told: set[tuple[str, ...]] = set()

    def record(
        self,
        stage: str,
        backend: Any,
        fallback: Any,
        inputs: Any,
        compute: Callable[[Any], Any],
    ) -> tuple[Any, str]:
        """Cached `compute(backend)`; on a backend error, `compute(fallback)`."""
        backends = [backend] if backend is fallback else [backend, fallback]
        for i, b in enumerate(backends):
            k = key(
                stage,
                STAGE_VERSIONS[stage],
                b.name,
                b.settings_key(),
                self.fingerprint,
                inputs,
            )
            hit = self.store.get_json(k)
            if isinstance(hit, dict) and hit.get("stage") == stage and "data" in hit:
                return hit["data"], hit["backend"]
            try:
                data = compute(b)
            except Cancelled:
                raise
            except M2MError as exc:
                if i + 1 == len(backends):
                    raise
                # Say it once, not once per record: per kind of failure when the backend
                # names one (an LLM endpoint: timeout, HTTP 500, breaker open ...), else
                # per stage and message.
                kind = getattr(exc, "kind", None)
                told = (b.name, str(kind)) if kind else (stage, b.name, str(exc))
                with self._lock:
                    first = told not in self._told
                    self._told.add(told)
                if first:
                    # Told once: by `on_fallback` when there is one, else in the log.
                    tell = self.on_fallback()
                    level = logging.INFO if tell else logging.WARNING
                    log.log(
                        level, "%s: %s failed (%s); using the built-in stage", stage, b.name, exc
                    )
                    if tell:
                        tell(stage, b.name, str(exc))
                else:
                    log.debug("%s: %s failed (%s); using the built-in stage", stage, b.name, exc)
                continue
            with self._lock:
                self.computed[stage] += 1
            record = {
                "stage": stage,
                "version": STAGE_VERSIONS[stage],
                "backend": b.name,
                "data": data,
            }
            self.store.put_json(k, record)
            return data, b.name
        raise AssertionError("unreachable")


def scene_inputs(scene: SceneInput) -> dict[str, Any]:
    return {
        "first": scene.first_page,
        "last": scene.last_page,
        "lines": [ln.prompt_line() for ln in scene.lines],
        "emotions": {k: round(v, 6) for k, v in scene.emotions.items()},
        "brightness": None if scene.brightness is None else round(scene.brightness, 4),
        "previous": scene.previous_emotions
        and {k: round(v, 6) for k, v in scene.previous_emotions.items()},
        "seed": scene.seed,
        **({"visual": scene.visual} if scene.visual else {}),
    }


def emotions_to_dict(e: PageEmotions) -> dict[str, Any]:
    return {"profile": e.profile, "faces": e.faces, "evidence": e.evidence}
