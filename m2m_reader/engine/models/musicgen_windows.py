"""MusicGen's long generation: windows of `generate_batch`, for one text or several.

A page longer than one window (`settings.window_seconds`, prompt included) is made
window by window, each prompted with the tail (`settings.context_seconds`) of the audio
so far. Several pages go through the same windows together: in each window the pages
whose prompts are alike share one `generate` call (`prompt_groups`), the longest page's
frames generated and the others cut from them, so N pages of a batch run cost one call
per window rather than N (classifier-free guidance doubles each call's batch inside).
"""

from __future__ import annotations

import threading

import numpy as np

from ..core.cancel import CancelToken
from .device import require_torch
from .musicgen import LoadedMusicgen, MusicgenSettings, Progress, generate_batch

# One generation at a time per process: the RNG seed is global, and two jobs on one
# model would only slow each other down.
_GENERATE_LOCK = threading.Lock()


def generate_long_batch(
    lm: LoadedMusicgen,
    texts: list[str],
    seconds: list[float],
    settings: MusicgenSettings,
    *,
    prompts: list[np.ndarray | None] | None = None,
    cancel: CancelToken,
    progress: Progress | None = None,
    seed: int | None = None,
) -> list[np.ndarray]:
    """`generate_long` for several texts at once: window by window, the outputs whose
    prompts are alike share one `generate_batch` call (see `prompt_groups`).

    A batch draws from one random stream seeded once with `seed`, so an output made in
    a batch differs from the same text made alone with the same seed; both are valid.
    A batch of one is exactly `generate_long`.
    """
    torch = require_torch()
    total = [max(1, round(s * lm.frame_rate)) for s in seconds]
    window = max(2, round(settings.window_seconds * lm.frame_rate))
    context = max(1, min(round(settings.context_seconds * lm.frame_rate), window // 2))
    tails: list[np.ndarray | None] = list(prompts) if prompts is not None else [None] * len(texts)
    parts: list[list[np.ndarray]] = [[] for _ in texts]
    done = [0] * len(texts)
    with _GENERATE_LOCK:
        if settings.threads > 0:
            torch.set_num_threads(settings.threads)
        if seed is not None:
            torch.manual_seed(seed)
        while any(d < t for d, t in zip(done, total, strict=True)):
            for i, tail in enumerate(tails):
                tails[i] = (
                    tail[-context * lm.hop :] if tail is not None and len(tail) >= lm.hop else None
                )
            todo = [i for i in range(len(texts)) if done[i] < total[i]]
            for group in prompt_groups(todo, [_frames(tails[i], lm.hop) for i in todo]):
                shortest = min(_frames(tails[i], lm.hop) for i in group)
                room = window if lm.melody else window - shortest
                ns = [min(total[i] - done[i], room) for i in group]
                before, made, whole = sum(done), sum(ns), sum(total)

                def report(
                    f: float, before: int = before, made: int = made, whole: int = whole
                ) -> None:
                    if progress is not None:
                        progress((before + f * made) / whole)

                group_prompts = [t for i in group if (t := tails[i]) is not None] or None
                audio = generate_batch(
                    lm, [texts[i] for i in group], ns, settings, prompts=group_prompts,
                    cancel=cancel, progress=report,
                )  # fmt: skip
                for i, n, part in zip(group, ns, audio, strict=True):
                    parts[i].append(part)
                    done[i] += n
                    tail = tails[i]
                    tails[i] = part if tail is None else np.concatenate([tail, part])
    return [np.concatenate(p) for p in parts]


def _frames(prompt: np.ndarray | None, hop: int) -> int:
    return 0 if prompt is None else len(prompt) // hop


def prompt_groups(items: list[int], prompt_frames: list[int]) -> list[list[int]]:
    """Split `items` into the ones that can share a `generate` call: those without a
    prompt together, and prompts grouped longest first, each group's prompts at least
    half as long as its longest (they are cut to the group's shortest).

    >>> prompt_groups([0, 1, 2, 3], [0, 500, 400, 100])
    [[0], [1, 2], [3]]
    """
    groups: list[list[int]] = []
    fresh = [i for i, f in zip(items, prompt_frames, strict=True) if f == 0]
    if fresh:
        groups.append(fresh)
    longest = 0
    ranked = sorted(
        ((f, i) for i, f in zip(items, prompt_frames, strict=True) if f > 0), key=lambda x: -x[0]
    )
    for f, i in ranked:
        if not groups or groups[-1] is fresh or 2 * f < longest:
            groups.append([])
            longest = f
        groups[-1].append(i)
    return groups


__all__ = ["generate_long_batch", "prompt_groups"]
