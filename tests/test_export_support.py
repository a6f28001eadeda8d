"""Test doubles for export: an in-memory book, its analysis, and a tone backend.

`ToneBackend` plays each page as pulsed triads at its plan's tempo and key (a new
scene gets a new tempo and key), with every partial a whole number of cycles per
bar-aligned loop, so its loops are seamless by construction. No tests here.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from m2m_reader.engine.analysis.records import Analysis, PageResult, SceneResult
from m2m_reader.engine.books.model import Book, Box, Frame, Page, TextBox
from m2m_reader.engine.core.cancel import CancelToken
from m2m_reader.engine.music.base import Clip, Cue, CueRequest, MusicPlan

KEYS = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]


def synthetic_book(
    n_pages: int, words: int = 12, panels: int = 4, fingerprint: str = "f00d"
) -> Book:
    pages = []
    for i in range(n_pages):
        texts = (
            [TextBox(f"t{i}", Box(10, 10, 100, 60), " ".join(["word"] * words))] if words else []
        )
        frames = [Frame(f"f{i}-{k}", Box(0, 0, 400, 300)) for k in range(panels)]
        pages.append(Page(i, f"{i:03d}.png", 800, 1200, texts=texts, frames=frames))
    return Book(
        path=Path("/nowhere/synthetic"),
        title="Synthetic",
        kind="folder",
        direction="rtl",
        pages=pages,
        open_image=lambda p: Image.new("L", (8, 8)),
        fingerprint=fingerprint,
    )


def synthetic_analysis(n_pages: int, scene_len: int = 5, mode: str = "scene") -> Analysis:
    scenes = []
    for s, first in enumerate(range(0, n_pages, scene_len)):
        last = min(n_pages, first + scene_len) - 1
        pages = [
            PageResult(index=i, caption=f"caption of page {i}") for i in range(first, last + 1)
        ]
        scenes.append(SceneResult(s, first, last, directive=f"directive of scene {s}", pages=pages))
    return Analysis(title="Synthetic", n_pages=n_pages, mode=mode, scenes=scenes)


class ToneBackend:
    name = "tones"

    def __init__(
        self,
        sample_rate: int = 44100,
        cancel_at: int | None = None,
        interrupt_at: int | None = None,
    ) -> None:
        self.sample_rate = sample_rate
        self.calls: list[CueRequest] = []
        self.cancel_at = cancel_at
        self.interrupt_at = interrupt_at

    def plan_for(self, request: CueRequest) -> MusicPlan:
        tempo = [84.0, 120.0, 100.0, 140.0][request.scene % 4]
        key = KEYS[(request.scene * 7) % 12]
        return MusicPlan(tempo=tempo, key=key, mode="major", energy=0.5)

    def make_cue(self, request: CueRequest, cancel: CancelToken) -> Cue:
        self.calls.append(request)
        if self.cancel_at == request.page:
            cancel.cancel("test")
        if self.interrupt_at == request.page:
            raise KeyboardInterrupt
        cancel.check()
        sr = self.sample_rate
        plan = self.plan_for(request)
        beat = round(60 / plan.tempo * sr)
        bar = 4 * beat
        n = bar * max(1, math.ceil(request.seconds * sr / bar))
        t = np.arange(n) / sr
        env = np.exp(-(np.arange(n) % beat) / (0.12 * sr))
        tonic = 110 * 2 ** (KEYS.index(plan.key) / 12)
        x = np.zeros(n)
        for semis, amp in [(0, 0.5), (12, 0.35), (16, 0.25), (19, 0.25), (24, 0.15)]:
            cycles = round(tonic * 2 ** (semis / 12) * n / sr)  # whole cycles per loop
            x += amp * np.sin(2 * np.pi * cycles / n * np.arange(n))
        x *= 0.15 * (0.3 + 0.7 * env)
        del t
        audio = np.stack([x, 0.9 * x], axis=1).astype(np.float32)
        return Cue(
            request.page, request.scene, Clip(audio, sr, 0, n, bar), plan, request.joins, self.name
        )
