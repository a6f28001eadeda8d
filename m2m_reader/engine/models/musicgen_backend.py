"""The MusicGen music backend: one page's caption in, one `Cue` out (`make_cue`), or
several pages of different scenes in one batch (`make_cues`, for a batch run).

Within a scene (`joins == "continue"` after a MusicGen cue) the music continues from the
tail of the previous cue's audio, as M2M-Gen's conditioning and Babel Bardo's
continuation do; at a scene boundary it starts fresh and the mixer crossfades. The
model is loaded once and kept (a `ModelHolder`) until idle. A GPU out of memory falls
back to a smaller checkpoint, then to the CPU, with a message on the cue; if even that
fails the engine falls back to the composer.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable
from ..music.base import Clip, Cue, CueRequest, Join, MusicPlan
from .device import is_out_of_memory, pick_device
from .holder import ModelHolder
from .musicgen import (
    SMALLER,
    LoadedMusicgen,
    MusicgenSettings,
    Progress,
    generate_long,
    load_musicgen,
    resolve_checkpoint,
)
from .musicgen_windows import generate_long_batch

log = logging.getLogger(__name__)

_TEMPO = re.compile(r"\b(\d{2,3}(?:\.\d+)?)\s*(?:bpm|beats per minute)\b", re.IGNORECASE)
PEAK = 0.98


def caption_tempo(caption: str) -> float | None:
    """A tempo the caption states ("at 120 bpm"), if any and plausible."""
    m = _TEMPO.search(caption or "")
    if not m:
        return None
    bpm = float(m.group(1))
    return bpm if 30 <= bpm <= 300 else None


def plan_of(caption: str, directive: str, seed: int) -> MusicPlan:
    """The composer's plan for the caption when that module exists, else a default plan."""
    try:
        from ..music.plan import plan_for
    except ImportError:
        return MusicPlan()
    try:
        result = plan_for(caption, directive, seed)
    except Exception:  # noqa: BLE001 - the plan only annotates a MusicGen cue
        log.exception("plan_for failed; using a default plan")
        return MusicPlan()
    return result[0] if isinstance(result, tuple) else result


def make_clip(audio: np.ndarray, sample_rate: int, tempo: float | None, meter: int) -> Clip:
    """Mono audio to a stereo clip, peak-limited, looping whole or on the last full bar."""
    audio = np.nan_to_num(np.asarray(audio, dtype=np.float32))
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak > PEAK:
        audio = audio * (PEAK / peak)
    bar = 0
    loop_end = len(audio)
    if tempo:
        bar = round(sample_rate * 60.0 / tempo * meter)
        if bar and len(audio) >= bar:
            loop_end = (len(audio) // bar) * bar
    return Clip(audio=audio, sample_rate=sample_rate, loop_end=loop_end, bar_samples=bar)


def batch_seed(requests: Sequence[CueRequest]) -> int:
    """The seed of a batch: its one request's seed, or a hash of all of them with their
    pages and scenes, in order (the same batch draws the same music)."""
    if len(requests) == 1:
        return requests[0].seed
    text = ",".join(f"{r.seed}:{r.scene}:{r.page}" for r in requests)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF


class MusicgenBackend:
    """`MusicBackend` named "musicgen".

    Args:
        settings: model, device and generation settings.
        progress: called with (page, fraction done) while a cue is made.
        loader: how to load a checkpoint (tests and the bench pass their own).
    """

    name = "musicgen"

    def __init__(
        self,
        settings: MusicgenSettings | None = None,
        progress: Callable[[int, float], None] | None = None,
        loader: Callable[[str, str, str, bool], LoadedMusicgen] = load_musicgen,
    ) -> None:
        self.settings = settings or MusicgenSettings()
        self.progress = progress
        self._loader = loader
        self._checkpoint = resolve_checkpoint(self.settings.model)
        self._device = self.settings.device
        self._dtype = self.settings.dtype
        self._holder: ModelHolder[LoadedMusicgen] = ModelHolder(
            self._load, self.settings.idle_seconds
        )
        self._most = sys.maxsize  # pages per call: halved when a batch runs out of memory

    def settings_key(self) -> str:
        return f"musicgen:{self.settings.key()}"

    @property
    def loads(self) -> int:
        """How many times a model was loaded (one per reading session when all goes well)."""
        return self._holder.loads

    def preload(self) -> None:
        """Load the model now (e.g. when a book opens) rather than on the first cue."""
        with self._holder.use():
            pass

    def close(self) -> None:
        self._holder.free()

    def _load(self) -> LoadedMusicgen:
        return self._loader(self._checkpoint, self._device, self._dtype, self.settings.quantize)

    def make_cue(self, request: CueRequest, cancel: CancelToken) -> Cue:
        """Make one page's music. Raises `Cancelled` when `cancel` fires."""
        cancel.check()
        text, seconds = self._text_and_seconds(request)
        prompt, rate = self._continuation(request)
        warnings: list[str] = []

        def report(f: float) -> None:
            if self.progress is not None:
                self.progress(request.page, f)

        audio, rate = self._generate(
            text, seconds, prompt, rate, request.seed, cancel, report, warnings
        )
        cancel.check()
        return self._cue(request, audio, rate, prompt is not None, warnings)

    def make_cues(self, requests: Sequence[CueRequest], cancel: CancelToken) -> list[Cue]:
        """Make several pages' music at once (a batch run's pages of different scenes):
        their windows share `generate` calls (`generate_long_batch`). Raises `Cancelled`.

        A batch is seeded once from its requests' seeds (`batch_seed`), so a page made
        in a batch may differ from the same page made alone by `make_cue`; both are the
        page's music under the same cache key, and whichever was kept is used from then
        on. A batch of one is `make_cue`. On a GPU out of memory the batch is made in
        halves (and later batches no larger) before a smaller model is tried.
        """
        cancel.check()
        cues: list[Cue] = []
        todo = list(requests)
        while todo:
            chunk, todo = todo[: self._most], todo[self._most :]
            cues.extend(self._make_batch(chunk, cancel))
        return cues

    def _make_batch(self, requests: list[CueRequest], cancel: CancelToken) -> list[Cue]:
        if len(requests) == 1:
            return [self.make_cue(requests[0], cancel)]
        asked = [self._text_and_seconds(r) for r in requests]
        prompts = [self._continuation(r) for r in requests]
        pages = [r.page for r in requests]

        def report(f: float) -> None:
            if self.progress is not None:
                for page in pages:
                    self.progress(page, f)

        try:
            with self._holder.use() as lm:
                if lm.melody:  # the prompt conditions; batching those is not supported
                    return [self.make_cue(r, cancel) for r in requests]
                audio = generate_long_batch(
                    lm, [t for t, _ in asked], [s for _, s in asked], self.settings,
                    prompts=[p if r == lm.sample_rate else None for p, r in prompts],
                    cancel=cancel, progress=report, seed=batch_seed(requests),
                )  # fmt: skip
                rate = lm.sample_rate
        except BackendUnavailable:
            raise
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            self._most = max(1, len(requests) // 2)
            log.warning(
                "MusicGen ran out of memory with %d pages at once; making %d at a time",
                len(requests), self._most,
            )  # fmt: skip
            half = len(requests) // 2
            return self._make_batch(requests[:half], cancel) + self._make_batch(
                requests[half:], cancel
            )
        cancel.check()
        return [
            self._cue(r, a, rate, p is not None, [])
            for r, a, (p, _) in zip(requests, audio, prompts, strict=True)
        ]

    def _text_and_seconds(self, request: CueRequest) -> tuple[str, float]:
        s = self.settings
        seconds = min(max(request.seconds, s.min_seconds), s.max_seconds)
        text = request.caption.strip() or request.directive.strip() or "calm background music"
        return text, seconds

    def _cue(
        self,
        request: CueRequest,
        audio: np.ndarray,
        rate: int,
        continued: bool,
        warnings: list[str],
    ) -> Cue:
        plan = plan_of(request.caption, request.directive, request.seed)
        tempo = caption_tempo(request.caption)
        if tempo:
            plan = replace(plan, tempo=tempo)
        clip = make_clip(audio, rate, tempo, plan.meter)
        joins: Join = "continue" if continued else "change"
        return Cue(request.page, request.scene, clip, plan, joins, self.name, warnings)

    def _continuation(self, request: CueRequest) -> tuple[np.ndarray | None, int]:
        """The previous MusicGen cue's tail (mono) when this page continues its scene."""
        prev = request.previous
        if request.joins != "continue" or prev is None or prev.backend != self.name:
            return None, 0
        clip = prev.clip
        n = int(self.settings.context_seconds * clip.sample_rate)
        tail = clip.audio[-n:].mean(axis=1)
        return np.ascontiguousarray(tail, dtype=np.float32), clip.sample_rate

    def _generate(
        self,
        text: str,
        seconds: float,
        prompt: np.ndarray | None,
        prompt_rate: int,
        seed: int,
        cancel: CancelToken,
        report: Progress,
        warnings: list[str],
    ) -> tuple[np.ndarray, int]:
        while True:
            try:
                with self._holder.use() as lm:
                    use_prompt = prompt if prompt_rate == lm.sample_rate else None
                    audio = generate_long(
                        lm, text, seconds, self.settings, prompt=use_prompt,
                        cancel=cancel, progress=report, seed=seed,
                    )  # fmt: skip
                    return audio, lm.sample_rate
            except BackendUnavailable:
                raise
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                message = self._fall_back()
                if message is None:
                    raise BackendUnavailable(
                        "MusicGen ran out of memory even with the small model on the CPU.",
                        str(exc),
                    ) from exc
                log.warning("%s", message)
                warnings.append(message)

    def _fall_back(self) -> str | None:
        """Step down after out-of-memory: a smaller checkpoint, then the CPU."""
        device = pick_device(self._device)
        smaller = SMALLER.get(self._checkpoint)
        if device != "cpu" and smaller:
            message = f"MusicGen {self._checkpoint} ran out of GPU memory; trying {smaller}."
            self._checkpoint = smaller
        elif device != "cpu":
            message = f"MusicGen ran out of GPU memory; running {self._checkpoint} on the CPU."
            self._device, self._dtype = "cpu", "float32"
        else:
            return None
        self._holder.replace_loader(self._load)
        return message
