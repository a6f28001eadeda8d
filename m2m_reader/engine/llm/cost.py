"""Token accounting: what was spent, per stage and per book, and what a book would cost.

`Usage` adds up every response's `usage.prompt_tokens` / `completion_tokens` by stage and
model (thread-safe); `summary()` is the dict the CLI and UI show. Per-book figures are
`usage.since(snapshot)` around that book's run. `estimate_tokens(book, mode)` predicts a
run from the book alone, before spending anything and without any network.
"""

from __future__ import annotations

import math
import threading
from dataclasses import asdict, dataclass
from typing import Any

from ..books.model import Book
from . import schemas
from .config import LLMConfig
from .images import image_tokens, scaled_size
from .prompts import load

STAGES = tuple(schemas.ALL)


@dataclass
class StageUsage:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0  # transport retries (429, 5xx, timeouts)
    invalid: int = 0  # answers rejected on arrival and asked again
    failures: int = 0  # requests that ended in an error
    unreported: int = 0  # responses without a usage block (some local servers)
    seconds: float = 0.0


class Usage:
    def __init__(self, config: LLMConfig | None = None) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._stages: dict[str, StageUsage] = {}
        self._models: dict[str, list[int]] = {}  # model -> [prompt, completion]

    def _stage(self, stage: str) -> StageUsage:
        return self._stages.setdefault(stage, StageUsage())

    def add(self, stage: str, model: str, usage: Any, seconds: float) -> None:
        """Count one answered call; `usage` is the answer's usage block (a dict or an
        object with `prompt_tokens` and `completion_tokens`) or None."""
        prompt = _tokens(usage, "prompt_tokens")
        completion = _tokens(usage, "completion_tokens")
        with self._lock:
            s = self._stage(stage)
            s.calls += 1
            s.prompt_tokens += prompt
            s.completion_tokens += completion
            s.seconds += seconds
            s.unreported += usage is None
            m = self._models.setdefault(model, [0, 0])
            m[0] += prompt
            m[1] += completion

    def add_retry(self, stage: str) -> None:
        with self._lock:
            self._stage(stage).retries += 1

    def add_invalid(self, stage: str) -> None:
        with self._lock:
            self._stage(stage).invalid += 1

    def add_failure(self, stage: str) -> None:
        with self._lock:
            self._stage(stage).failures += 1

    @property
    def calls(self) -> int:
        with self._lock:
            return sum(s.calls for s in self._stages.values())

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "stages": {k: asdict(v) for k, v in self._stages.items()},
                "models": {k: list(v) for k, v in self._models.items()},
            }

    def summary(self) -> dict[str, Any]:
        """Calls and tokens in all, by stage, and in USD when the model's price is known."""
        return self._summarise(self.snapshot())

    def since(self, before: dict[str, Any]) -> dict[str, Any]:
        """The summary of what was spent after `before = usage.snapshot()`."""
        now = self.snapshot()
        stages = {
            k: {f: v[f] - before["stages"].get(k, {}).get(f, 0) for f in v}
            for k, v in now["stages"].items()
        }
        models = {
            k: [
                v[0] - before["models"].get(k, [0, 0])[0],
                v[1] - before["models"].get(k, [0, 0])[1],
            ]
            for k, v in now["models"].items()
        }
        return self._summarise({"stages": stages, "models": models})

    def _summarise(self, snap: dict[str, Any]) -> dict[str, Any]:
        stages = {k: v for k, v in snap["stages"].items() if any(v.values())}
        out: dict[str, Any] = {
            "calls": sum(v["calls"] for v in stages.values()),
            "prompt_tokens": sum(v["prompt_tokens"] for v in stages.values()),
            "completion_tokens": sum(v["completion_tokens"] for v in stages.values()),
            "by_stage": {k: {f: round(x, 3) for f, x in v.items()} for k, v in stages.items()},
        }
        out["total_tokens"] = out["prompt_tokens"] + out["completion_tokens"]
        out["usd"] = _usd(self.config, snap["models"])
        return out


def _tokens(usage: Any, name: str) -> int:
    """A token count of a usage block; 0 when it is missing or not a whole number."""
    value = usage.get(name) if isinstance(usage, dict) else getattr(usage, name, None)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        return 0
    return int(min(value, 10**9))


def _usd(config: LLMConfig | None, models: dict[str, list[int]]) -> float | None:
    if config is None:
        return None
    total = 0.0
    for model, (prompt, completion) in models.items():
        price = config.price(model)
        if price is None:
            if prompt or completion:
                return None
            continue
        total += (prompt * price[0] + completion * price[1]) / 1e6
    return round(total, 4)


# -- estimate before spending ---------------------------------------------------------


def text_tokens(text: str) -> int:
    """Rough tokens of `text`: about 4 Latin characters, or 1 CJK character, a token."""
    ascii_chars = sum(1 for c in text if ord(c) < 128)
    return math.ceil(ascii_chars / 4 + (len(text) - ascii_chars) * 1.1)


# Typical answer lengths in tokens (from the word limits, JSON included).
_ANSWER = {
    "transcript": 320,
    "scenes": 20,  # per scene listed
    "directive": 90,
    "caption": 80,
    "page_description": 120,
    "section_analysis": 120,
    "section_music": 110,
}
_LINES_PER_PAGE = 8  # for books without annotations
_CHARS_PER_LINE = 40


def estimate_tokens(
    book: Book,
    mode: str = "scene",
    config: LLMConfig | None = None,
    scene_pages: int = 6,
    section_pages: int = 8,
) -> dict[str, Any]:
    """Calls and tokens a run over `book` in `mode` ("scene", "page", "section") would
    spend, assuming scenes of `scene_pages` pages (sections of `section_pages` in the
    section mode). Opens no connection."""
    cfg = config or LLMConfig()
    n = len(book)
    if mode == "section":
        scene_pages = section_pages
    n_scenes = max(1, math.ceil(n / scene_pages))
    fixed = {name: _template_tokens(name) for name in STAGES}
    per_page = [_page_dialogue_tokens(book, i) for i in range(n)]
    image = [_page_image_tokens(book, i, cfg) for i in range(n)]
    budget = math.ceil(cfg.max_dialogue_chars / 4)
    scene_dialogue = min(budget, math.ceil(sum(per_page) / n_scenes)) if n else 0
    stages: dict[str, dict[str, int]] = {}

    def add(stage: str, calls: int, prompt: int, completion: int) -> None:
        if calls:
            stages[stage] = {
                "calls": calls,
                "prompt_tokens": prompt,
                "completion_tokens": completion,
            }

    if not book.has_annotations:
        add("transcript", n, n * fixed["transcript"] + sum(image), n * _ANSWER["transcript"])
    if mode == "scene":
        step = cfg.scene_window - cfg.scene_overlap
        windows = 1 if n <= cfg.scene_window else 1 + math.ceil((n - cfg.scene_window) / step)
        covered = sum(per_page) + windows * cfg.scene_overlap * (sum(per_page) // max(n, 1))
        add(
            "scenes",
            windows,
            windows * fixed["scenes"] + covered,
            n_scenes * _ANSWER["scenes"] + windows * 10,
        )
        add(
            "directive",
            n_scenes,
            n_scenes * (fixed["directive"] + scene_dialogue),
            n_scenes * _ANSWER["directive"],
        )
        add(
            "caption",
            n,
            n * (fixed["caption"] + scene_dialogue + _ANSWER["directive"]),
            n * _ANSWER["caption"],
        )
    elif mode == "page":
        add(
            "page_description",
            n,
            n * fixed["page_description"] + sum(image) + sum(per_page),
            n * _ANSWER["page_description"],
        )
        add(
            "caption",
            n,
            n * (fixed["caption"] + _ANSWER["page_description"]) + sum(per_page),
            n * _ANSWER["caption"],
        )
    elif mode == "section":
        shown = min(cfg.section_images, scene_pages)
        mean_image = math.ceil(sum(image) / n) if n else 0
        add(
            "section_analysis",
            n_scenes,
            n_scenes * (fixed["section_analysis"] + scene_dialogue + shown * mean_image),
            n_scenes * _ANSWER["section_analysis"],
        )
        add(
            "section_music",
            n_scenes,
            n_scenes * (fixed["section_music"] + _ANSWER["section_analysis"]),
            n_scenes * _ANSWER["section_music"],
        )
    else:
        raise ValueError(f"unknown mode {mode!r}")
    prompt = sum(s["prompt_tokens"] for s in stages.values())
    completion = sum(s["completion_tokens"] for s in stages.values())
    price = cfg.price()
    return {
        "mode": mode,
        "pages": n,
        "scenes_assumed": n_scenes,
        "model": cfg.model,
        "calls": sum(s["calls"] for s in stages.values()),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "by_stage": stages,
        "usd": round((prompt * price[0] + completion * price[1]) / 1e6, 4) if price else None,
    }


def _template_tokens(name: str) -> int:
    prompt = load(name)
    schema = schemas.ALL[name]
    raw = prompt.system.template + prompt.user.template + str(schema)
    return text_tokens(raw) + 20


def _page_dialogue_tokens(book: Book, index: int) -> int:
    page = book.pages[index]
    if not book.has_annotations:
        return text_tokens("x" * (_LINES_PER_PAGE * _CHARS_PER_LINE))
    rows = [f"PAGE {index} {book.speaker_name(t.speaker)}: {t.text}" for t in page.texts]
    return text_tokens("\n".join(rows)) + 4


def _page_image_tokens(book: Book, index: int, cfg: LLMConfig) -> int:
    page = book.pages[index]
    w, h = (page.width or 1000), (page.height or 1414)
    return image_tokens(*scaled_size(w, h, cfg.image_max_px), detail=cfg.image_detail)
