"""The built-in music backend: plan, compose, render, loop.

`Composer` is what a reader hears with no GPU, no key and no network. It reads the page
caption and scene directive into a plan, composes whole bars for the page's reading time
(rounded up to bars, at least two, at most about a minute — a reader who lingers hears the
loop), renders them through a General MIDI SoundFont when one is installed, else through the
built-in synthesiser, and folds the ringing tail back onto the loop start.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable
from .base import Clip, Cue, CueRequest, MusicPlan
from .compose import Score, compose
from .fx import REVERB, TAIL_SECONDS, add_colour, fold_loop, level_gain, loop_reverb, soft_limit
from .plan import plan_for, stable_hash
from .shock import SHOCK_WORDS
from .soundfont import SoundFontRenderer, find_soundfont
from .synth import SynthRenderer
from .transition import bridge, bridge_bars, stinger

log = logging.getLogger(__name__)

VERSION = 4  # bump when the same request makes other music: it is part of cue keys
MAX_SECONDS = 64.0
MIN_BARS = 2
SHOCK = SHOCK_WORDS  # a shock in the caption's words also asks for a stinger


class Composer:
    """Procedural composer; `renderer` says which sound source plays ("soundfont:<path>" or "synth")."""

    name = "composer"

    def __init__(self, sample_rate: int = 44100, soundfont: str | Path | None = "auto") -> None:
        self.sample_rate = sample_rate
        self._notice: list[str] = []
        self._soundfont: SoundFontRenderer | None = None
        self._synth = SynthRenderer(sample_rate)
        if soundfont is None:
            self.renderer = "synth"
            return
        path = find_soundfont() if soundfont == "auto" else Path(soundfont).expanduser()
        if path is None:
            message = (
                "No General MIDI SoundFont is installed; the built-in synthesiser plays instead."
            )
            log.info(message)
            self.renderer = "synth"
            self._notice.append(message)
            return
        if not path.is_file():
            message = (
                f"The SoundFont {path} does not exist; the built-in synthesiser plays instead."
            )
        else:
            try:
                self._soundfont = SoundFontRenderer(path, sample_rate)
                self.renderer = f"soundfont:{path}"
                return
            except BackendUnavailable as e:
                message = f"{str(e).rstrip('.')}; the built-in synthesiser plays instead."
        log.warning(message)
        self._notice.append(message)
        self.renderer = "synth"

    def settings_key(self) -> str:
        """What changes this backend's audio for the same request (for cue keys)."""
        return f"composer-{VERSION}:{self.renderer}"

    def score_for(self, request: CueRequest) -> tuple[MusicPlan, Score, list[str]]:
        """The plan and the score a request's cue is rendered from (and the plan's warnings).

        The score is what `export --midi` writes and what `bench/music.py` measures.
        """
        plan, warnings = plan_for(request.caption, request.directive, request.seed)
        bar_seconds = plan.meter * 60.0 / plan.tempo
        max_bars = max(MIN_BARS, int(MAX_SECONDS // bar_seconds))
        seconds = request.seconds if math.isfinite(request.seconds) else MAX_SECONDS
        wanted = math.ceil(max(0.0, seconds) / bar_seconds - 1e-6)
        bars = min(max_bars, max(MIN_BARS, wanted))
        # Harmony is shared by every page of a scene; melody and small variations are the page's.
        scene_text = request.directive.strip() or request.caption.strip()
        harmony_seed = stable_hash("harmony", scene_text, request.seed)
        melody_seed = stable_hash("melody", request.caption, request.page, request.seed)
        # Each page of a scene goes on where the one before it (of about its length) ended
        # in the scene's form: four bars are one phrase.
        position = request.scene_page if request.scene_page is not None else request.page
        phrases = max(1, round(bars / 4))
        score = compose(
            plan, bars, melody_seed, harmony_seed, start_phrase=max(0, position) * phrases
        )
        return plan, score, warnings

    def make_cue(self, request: CueRequest, cancel: CancelToken) -> Cue:
        """Compose and render one page's music. Raises `Cancelled` when `cancel` fires.

        A scene's first cue after another scene begins with a transition segment (a
        bridge bar into the downbeat, `transition.py`); the book's first cue starts
        from silence and needs none. A continuing page with a shock (`request.shock`:
        a surprise spike or a large sound effect, or a caption that tells of one) gets
        a stinger on its first downbeat (the mixer keeps them 20 s apart).
        """
        cancel.check()
        plan, score, warnings = self.score_for(request)
        sr = self.sample_rate
        bars = score.bars
        bar_samples = int(round(score.bar_seconds * sr))
        over = 0  # how far into the loop the once-only notes ring
        if request.joins == "change" and request.scene > 0:
            n_bridge = bridge_bars(score.bar_seconds)
            tracks, intro = bridge(plan, score, n_bridge)
            score = replace(score, tracks=tracks, intro=intro,
                            intro_seconds=n_bridge * bar_samples / sr)  # fmt: skip
            over = bar_samples  # the bridge rings into the scene's first bar
        elif request.joins == "continue" and (request.shock or SHOCK.search(request.caption)):
            tracks, intro = stinger(plan, score)
            score = replace(score, tracks=tracks, intro=intro)
            over = 2 * bar_samples  # the stinger is on the second bar's downbeat
        cancel.check()
        loop_len = bars * bar_samples
        audio = self._render(score, loop_len + int(TAIL_SECONDS * sr), cancel)
        cancel.check()
        audio = loop_reverb(fold_loop(audio, loop_len), sr, plan.style)
        seed = stable_hash("colour", request.caption, request.page, request.seed)
        if plan.colour:
            audio = add_colour(audio, sr, plan.colour, seed)
        gain = level_gain(audio, plan.energy)
        loop_start = 0
        if score.intro:  # a bridge or a stinger, heard once
            audio = self._with_intro(score, plan, audio, over, seed, cancel)
            loop_start = len(audio) - loop_len
        audio = soft_limit(audio * gain)
        cancel.check()
        clip = Clip(audio, sr, loop_start=loop_start, loop_end=len(audio), bar_samples=bar_samples)
        return Cue(
            page=request.page,
            scene=request.scene,
            clip=clip,
            plan=plan,
            joins=request.joins,
            backend=self.name,
            warnings=warnings + self._notice,
            score=score,
        )

    def _with_intro(
        self,
        score: Score,
        plan: MusicPlan,
        loop: np.ndarray,
        over: int,
        seed: int,
        cancel: CancelToken,
    ) -> np.ndarray:
        """The score's once-only notes (a bridge before the loop, or a stinger over its
        first bars): the bridge, then the loop's first `over` samples with those notes
        ringing into them, then the loop turned by `over` (played from then on). What
        is heard once is never at the loop's seam, and `audio[loop_end - loop_start:]`
        is the same music without it (the mixer plays that within a stinger's cool-down)."""
        sr = self.sample_rate
        intro_n = round(score.intro_seconds * sr)
        room = REVERB.get(plan.style, (1.6, 0.2))[0]
        # Rendered past its tails into silence, so the circular room is one from silence.
        n = intro_n + over + int((TAIL_SECONDS + room) * sr)
        dry = self._render(replace(score, notes=score.intro), n, cancel)
        cancel.check()
        wet = loop_reverb(dry, sr, plan.style)[: intro_n + over]
        head = wet[:intro_n]
        if plan.colour and intro_n:  # the loop has its colour; the bridge gets its own
            head = add_colour(head, sr, plan.colour, seed ^ 0xB1D6E)
        ring = wet[intro_n:]  # what rings on into the loop, faded out by its end
        k = len(ring) // 8
        ring[-k:] *= np.cos(0.5 * np.pi * np.arange(1, k + 1) / k)[:, None].astype(np.float32)
        return np.concatenate([head, loop[:over] + ring, loop[over:], loop[:over]])

    def _render(self, score: Score, n_samples: int, cancel: CancelToken) -> np.ndarray:
        if self._soundfont is not None:
            return self._soundfont.render(score, n_samples, cancel)
        return self._synth.render(score, n_samples, cancel)
