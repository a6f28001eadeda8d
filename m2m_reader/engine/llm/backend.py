"""`OpenAIText`: the M2M-Gen text steps on any OpenAI-compatible chat endpoint.

Each method is one step (transcript, scene boundaries, directive, caption, the baseline's
page description, manga2music's section stages) and makes one call (scenes: one per
window of pages; section: two). It holds no state between calls besides usage
counters and the endpoint's circuit breaker, so one page's answer cannot change another's
request. Every failure is an `M2MError`, on which the pipeline uses the built-in backend
for that record; once the breaker is open, every call fails at once (`EndpointDown`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, TypeVar

from openai.types.chat import ChatCompletionContentPartImageParam as ImagePart
from openai.types.chat import ChatCompletionContentPartParam as ContentPart
from openai.types.chat import ChatCompletionContentPartTextParam as TextPart
from PIL import Image

from ..analysis.emotions import EMOTIONS, faces_line, normalise
from ..analysis.records import (
    FaceReading,
    Line,
    PageInput,
    PageTranscript,
    SceneInput,
    ScenesResult,
)
from ..books.model import Book
from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable, PageError
from . import schemas
from .client import ChatClient, Message, Transport
from .config import LLMConfig
from .cost import Usage
from .images import data_url
from .prompts import clean, dialogue_block, load_all
from .validate import InvalidAnswer, check_words

T = TypeVar("T")
VERSION = 1  # bump when the way answers are turned into records changes


class OpenAIText:
    """The `TextBackend` "openai".

    Args:
        config: endpoint settings; by default from the environment (`OPENAI_API_KEY`,
            `OPENAI_BASE_URL`, `M2M_LLM_MODEL`).
        offline: the app's offline flag; when set, the backend refuses to start.
        prompts_folder: where the templates are (default: the repository's `prompts/`).
        transport: answers the requests instead of the endpoint (see `ChatClient`).
    """

    name = "openai"

    def __init__(
        self,
        config: LLMConfig | None = None,
        *,
        offline: bool = False,
        prompts_folder: Path | None = None,
        transport: Transport | None = None,
    ) -> None:
        if offline:
            raise BackendUnavailable("The OpenAI backend is off in offline mode.")
        self.config = config or LLMConfig.from_env()
        self._prompts = load_all(prompts_folder)
        self.usage = Usage(self.config)
        self._client = ChatClient(self.config, self.usage, transport)
        self._key = self._settings_key()

    def close(self) -> None:
        self._client.close()

    @property
    def concurrency(self) -> int:
        """Requests this backend may have in flight at once (the pipeline asks this many)."""
        return self.config.concurrency

    def whole_run(self) -> AbstractContextManager[None]:
        """Inside, a tripped circuit breaker stays open: the built-in stage makes the
        rest of a whole-book run (the pipeline's `run` enters it)."""
        return self._client.breaker.hold()

    @property
    def cost(self) -> dict[str, Any]:
        """Calls and tokens so far, in all and per stage (see `Usage.summary`)."""
        return self.usage.summary()

    def settings_key(self) -> str:
        return self._key

    def _settings_key(self) -> str:
        parts = {
            "version": VERSION,
            "settings": self.config.public(),
            "prompts": {n: p.sha256 for n, p in sorted(self._prompts.items())},
            "schemas": schemas.ALL,
        }
        digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]
        return f"openai:{self.config.model}:{self.config.vision}:{digest}"

    # -- M2M-Gen steps ------------------------------------------------------------

    def transcript(self, book: Book, page: int, cancel: CancelToken) -> PageTranscript:
        cancel.check()
        image = book.image(page)
        # Face boxes are in the book's page coordinates (those of its annotations).
        width = book.pages[page].width or image.width
        height = book.pages[page].height or image.height
        direction = (
            "right to left, top to bottom (Japanese order)"
            if book.direction == "rtl"
            else "left to right, top to bottom"
        )
        system, user = self._prompts["transcript"].render(direction_text=direction, page=str(page))
        messages = _chat(system, [_text(user), self._image(image)])

        def post(v: dict[str, Any]) -> PageTranscript:
            lines = [
                Line(page=page, speaker=" ".join(ln["speaker"].split()) or "unknown", text=t)
                for ln in v["lines"]
                if (t := " ".join(ln["text"].split()))
            ]
            faces = []
            for k, f in enumerate(v["faces"]):
                b = f["box"]
                if b["x1"] <= b["x0"] or b["y1"] <= b["y0"]:
                    raise InvalidAnswer(f"answer.faces[{k}].box must have x0 < x1 and y0 < y1")
                box = (
                    round(b["x0"] * width / 1000),
                    round(b["y0"] * height / 1000),
                    round(b["x1"] * width / 1000),
                    round(b["y1"] * height / 1000),
                )
                emotions = normalise({e: f["emotions"][e] for e in EMOTIONS})
                faces.append(FaceReading(box=box, id=f"llm-{page}-{k}", emotions=emotions))
            return PageTranscript(index=page, lines=lines, faces=faces)

        return self._ask("transcript", messages, post, cancel, vision=True)

    def scenes(
        self, book: Book, transcripts: list[PageTranscript], cancel: CancelToken
    ) -> ScenesResult:
        pages = sorted(t.index for t in transcripts)
        if not pages:
            return ScenesResult(starts=[0], provisional=len(book) > 0)
        lines = [ln for t in sorted(transcripts, key=lambda t: t.index) for ln in t.lines]
        windows = _windows(len(pages), self.config.scene_window, self.config.scene_overlap)
        starts: dict[int, str] = {}
        for k, (lo, hi) in enumerate(windows):
            first, last = pages[lo], pages[hi]
            found = self._scene_window(lines, pages[lo : hi + 1], cancel)
            # Each window owns up to the middle of its overlap with each neighbour.
            half = self.config.scene_overlap // 2
            own_lo = first if k == 0 else pages[lo + half]
            own_hi = last if k == len(windows) - 1 else pages[windows[k + 1][0] + half - 1]
            for start, reason in found.items():
                if own_lo <= start <= own_hi:
                    starts.setdefault(start, reason)
        starts.setdefault(pages[0], "first page")
        return ScenesResult(
            starts=sorted(starts),
            reasons=dict(sorted(starts.items())),
            provisional=pages[-1] < len(book) - 1,
        )

    def _scene_window(
        self, lines: list[Line], pages: list[int], cancel: CancelToken
    ) -> dict[int, str]:
        first, last = pages[0], pages[-1]
        inside = [ln for ln in lines if first <= ln.page <= last]
        block = dialogue_block(
            inside, self.config.max_dialogue_chars * 2, pages=range(first, last + 1)
        )
        system, user = self._prompts["scenes"].render(
            first=str(first), last=str(last), dialogue=block
        )
        messages = _chat(system, user)
        allowed = set(pages)

        def post(v: dict[str, Any]) -> dict[int, str]:
            out: dict[int, str] = {}
            for s in v["scenes"]:
                p = s["start_page"]
                if p not in allowed:
                    raise InvalidAnswer(f"start_page {p} is not one of the pages {first} to {last}")
                out.setdefault(p, " ".join(s["reason"].split())[:200])
            return out

        return self._ask("scenes", messages, post, cancel)

    def directive(self, scene: SceneInput, cancel: CancelToken) -> str:
        system, user = self._prompts["directive"].render(
            first=str(scene.first_page),
            last=str(scene.last_page),
            dialogue=dialogue_block(scene.lines, self.config.max_dialogue_chars),
            faces=faces_line(scene.emotions),
        )
        messages = _chat(system, user)
        lo, hi = schemas.DIRECTIVE_WORDS
        return self._ask(
            "directive",
            messages,
            lambda v: check_words(v["directive"], lo, hi, "directive"),
            cancel,
        )

    def caption(self, page: PageInput, cancel: CancelToken) -> str:
        lines = page.scene.lines or page.lines
        system, user = self._prompts["caption"].render(
            dialogue=dialogue_block(lines, self.config.max_dialogue_chars, focus=page.index),
            faces=faces_line(page.emotions),
            directive=clean(page.directive) or "(none)",
            page=str(page.index),
        )
        messages = _chat(system, user)
        lo, hi = schemas.CAPTION_WORDS
        return self._ask(
            "caption", messages, lambda v: check_words(v["caption"], lo, hi, "caption"), cancel
        )

    # -- baseline and section modes -------------------------------------------------

    def page_description(self, book: Book, page: PageInput, cancel: CancelToken) -> str:
        cancel.check()
        image = book.image(page.index)
        system, user = self._prompts["page_description"].render(
            page=str(page.index),
            dialogue=dialogue_block(page.lines, self.config.max_dialogue_chars),
        )
        messages = _chat(system, [_text(user), self._image(image)])
        lo, hi = schemas.DESCRIPTION_WORDS
        return self._ask(
            "page_description",
            messages,
            lambda v: check_words(v["description"], lo, hi, "description"),
            cancel,
            vision=True,
        )

    def section(self, book: Book, section: SceneInput, cancel: CancelToken) -> tuple[str, str]:
        """manga2music's two stages: an analysis (genre, atmosphere, focus, plot) of the
        pages, then one music paragraph written from it."""
        cancel.check()
        images: list[ContentPart] = []
        for index in _spread(section.first_page, section.last_page, self.config.section_images):
            try:
                images.append(self._image(book.image(index), max_px=768))
            except PageError:
                continue  # a damaged page: analyse the others
        system, user = self._prompts["section_analysis"].render(
            first=str(section.first_page),
            last=str(section.last_page),
            shown=str(len(images)),
            dialogue=dialogue_block(section.lines, self.config.max_dialogue_chars),
            faces=faces_line(section.emotions),
        )
        messages = _chat(system, [_text(user), *images])

        def analysed(v: dict[str, Any]) -> str:
            atmosphere = " ".join(v["atmosphere"].split())
            plot = " ".join(v["plot"].split())
            if not atmosphere or not plot:
                raise InvalidAnswer("atmosphere and plot must not be empty")
            return (
                f"genre: {v['genre']}; atmosphere: {atmosphere}; focus: {v['focus']}; plot: {plot}"
            )

        analysis = self._ask("section_analysis", messages, analysed, cancel, vision=bool(images))
        system, user = self._prompts["section_music"].render(analysis=clean(analysis))
        messages = _chat(system, user)
        lo, hi = schemas.MUSIC_WORDS
        music = self._ask(
            "section_music", messages, lambda v: check_words(v["music"], lo, hi, "music"), cancel
        )
        return analysis, music

    # -- helpers ------------------------------------------------------------------

    def _ask(
        self,
        stage: str,
        messages: list[Message],
        post: Callable[[Any], T],
        cancel: CancelToken,
        vision: bool = False,
    ) -> T:
        return self._client.complete(
            stage=stage,
            model=self.config.vision if vision else self.config.model,
            messages=messages,
            schema_name=stage,
            schema=schemas.ALL[stage],
            post=post,
            cancel=cancel,
        )

    def _image(self, image: Image.Image, max_px: int | None = None) -> ImagePart:
        size = min(max_px or self.config.image_max_px, self.config.image_max_px)
        return {
            "type": "image_url",
            "image_url": {"url": data_url(image, size), "detail": self.config.image_detail},
        }


def _text(text: str) -> TextPart:
    return {"type": "text", "text": text}


def _chat(system: str, user: str | list[ContentPart]) -> list[Message]:
    """The two messages of every request: the prompt's system part, then the user's."""
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _windows(n: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """Inclusive index ranges of `size` covering 0..n-1, neighbours sharing `overlap`."""
    if n <= size:
        return [(0, n - 1)]
    step = size - overlap
    out = []
    lo = 0
    while True:
        hi = min(lo + size - 1, n - 1)
        out.append((lo, hi))
        if hi == n - 1:
            return out
        lo += step


def _spread(first: int, last: int, count: int) -> list[int]:
    n = last - first + 1
    if n <= count:
        return list(range(first, last + 1))
    return sorted({first + round(i * (n - 1) / max(count - 1, 1)) for i in range(count)})
