"""Pass 1 of an export: every page's cue (from the store, else made by the backend, as
the cue recipe asks for it), the mixer driven along the timeline, the raw float32 mix
written beside the target and measured."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf

from ..audio.loudness import LoudnessMeter, normalize
from ..audio.mixer import Mixer
from ..audio.timeline import PageChapter, Timeline
from ..core.cancel import CancelToken
from ..core.store import Store
from ..cue_recipe import CueRecipe, load_cue, save_cue
from ..music.base import Cue, MusicBackend
from ..music.midi import PageScore
from .files import write_error
from .progress import PROGRESS_UNITS, Progress, share

MIX_BLOCK = 32768  # frames per pull: the mix pass costs per block as well as per sample


def compose_and_mix(
    recipes: list[CueRecipe],
    keys: list[str],
    backend: MusicBackend,
    store: Store | None,
    timeline: Timeline,
    seconds: list[float],
    raw: BinaryIO,
    out_path: Path,
    stems_tmp: Path | None,
    loudness: tuple[float, float],
    crossfade_scene_s: float,
    crossfade_page_s: float,
    report: Progress,
    cancel: CancelToken,
    scores: list[PageScore] | None = None,
) -> tuple[list[PageChapter], Mixer, float, int]:
    """Pass 1: every page's cue (from the store, else made), the mixer driven along
    the timeline, raw float32 written. Returns the chapters, the mixer, the loudness
    and how many cues were made."""
    sr = timeline.sample_rate
    mixer = Mixer(
        sr, 2, crossfade_scene_s, crossfade_page_s, record_events=True, max_block=MIX_BLOCK
    )
    meter = LoudnessMeter(sr, 2)
    block = np.zeros((MIX_BLOCK, 2), np.float32)

    def pull_until(stop: int) -> None:
        while mixer.clock < stop:
            cancel.check()
            out = block[: min(MIX_BLOCK, stop - mixer.clock)]
            mixer.pull(out)
            try:
                out.tofile(raw)
            except OSError as exc:
                raise write_error(out_path, exc) from None
            meter.add(out)

    chapters: list[PageChapter] = []
    previous: Cue | None = None
    composed = 0
    n = len(recipes)
    stored = read_ahead(store, recipes, keys)
    for i, recipe in enumerate(recipes):
        cancel.check()
        report(share(0, i, n), PROGRESS_UNITS, f"music for page {i + 1} of {n}")
        cue = next(stored)
        if cue is None:
            cue = backend.make_cue(recipe.request(previous, backend), cancel)
            composed += 1
            cancel.check()
            if store is not None:
                save_cue(store, keys[i], cue)
        if scores is not None:
            score = cue.score
            score_for = getattr(backend, "score_for", None)  # the composer's own scores
            if score is None and callable(score_for):
                _, score, _ = score_for(recipe.request())
            if score is not None:
                title = recipe.directive if recipe.joins == "change" else ""
                scores.append(
                    PageScore(i, recipe.scene, timeline.starts[i] / sr, seconds[i], cue.plan, score, title)
                )  # fmt: skip
        chapters.append(
            PageChapter(i, recipe.scene, seconds[i], recipe.caption, cue.plan, cue.backend, recipe.joins, list(cue.warnings))
        )  # fmt: skip
        track_at = getattr(backend, "track_at", None)  # the music library: which track, where
        if callable(track_at):  # (the mixer goes on in the scene's track at page turns)
            played = (timeline.starts[i] - timeline.starts[recipe.first]) / sr
            where = track_at(recipe.request(None, backend), played)
            chapters[-1].track, chapters[-1].track_offset_s = where
        if stems_tmp is not None:
            stem, _ = normalize(cue.clip.audio, cue.clip.sample_rate, *loudness)
            try:
                sf.write(
                    stems_tmp / f"page_{i + 1:04d}.wav",
                    stem,
                    cue.clip.sample_rate,
                    subtype="PCM_16",
                )
            except (sf.SoundFileError, OSError) as exc:
                raise write_error(out_path, exc) from None
        mixer.set_cue(i, cue)
        mixer.turn(i, "turn", at=timeline.starts[i])
        if i:
            mixer.forget(i - 1)
        previous = cue
        pull_until(timeline.page_end(i))
    mixer.fade_out(timeline.tail / sr, at=timeline.end)
    pull_until(timeline.total)
    return chapters, mixer, meter.integrated(), composed


def read_ahead(
    store: Store | None, recipes: list[CueRecipe], keys: list[str]
) -> Iterator[Cue | None]:
    """Each page's cue from `store` (None where it is not there), the next page's read
    and decoded on a thread while the caller mixes this one."""
    if store is None:
        yield from (None for _ in recipes)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="m2m-export-read") as pool:
        ahead = pool.submit(load_cue, store, recipes[0], keys[0]) if recipes else None
        for i in range(len(recipes)):
            assert ahead is not None
            cue = ahead.result()
            if i + 1 < len(recipes):
                ahead = pool.submit(load_cue, store, recipes[i + 1], keys[i + 1])
            yield cue
