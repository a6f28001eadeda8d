"""MusicGen pages of different scenes in one `generate` call (a batch run's music),
with the tiny random-weight checkpoint through the real loading code."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from models_fixtures import HOP, save_tiny_musicgen  # noqa: E402

from m2m_reader.engine.batch.manifest import composed_keys, journal_path  # noqa: E402
from m2m_reader.engine.batch.output import Compose  # noqa: E402
from m2m_reader.engine.batch.stages import Context, batch_of, rows_of  # noqa: E402
from m2m_reader.engine.core.cancel import CancelToken  # noqa: E402
from m2m_reader.engine.cue_recipe import CueRecipe  # noqa: E402
from m2m_reader.engine.models.musicgen import MusicgenSettings, load_musicgen  # noqa: E402
from m2m_reader.engine.models.musicgen_backend import MusicgenBackend  # noqa: E402
from m2m_reader.engine.models.musicgen_windows import generate_long_batch  # noqa: E402
from m2m_reader.engine.music.base import CueRequest  # noqa: E402

pytestmark = pytest.mark.models

FRAME_RATE = 50


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_tiny_musicgen(tmp_path_factory.mktemp("musicgen-tiny"))


@pytest.fixture(scope="module")
def lm(checkpoint):
    return load_musicgen(str(checkpoint), device="cpu")


@pytest.fixture
def calls(lm, monkeypatch):
    """Each `model.generate` call's batch (texts), prompt audio and new-token count."""
    seen: list[dict] = []
    real = lm.model.generate

    def wrapped(**kwargs):
        values = kwargs.get("input_values")
        seen.append({
            "batch": int(kwargs["input_ids"].shape[0]),
            "prompt": None if values is None else values[:, 0].numpy().copy(),
            "mask": None if values is None else kwargs["padding_mask"].numpy().copy(),
            "steps": kwargs["max_new_tokens"],
        })  # fmt: skip
        return real(**kwargs)

    monkeypatch.setattr(lm.model, "generate", wrapped)
    return seen


def settings(checkpoint, **kw) -> MusicgenSettings:
    base = dict(model=str(checkpoint), device="cpu", min_seconds=0.1, idle_seconds=0, threads=1)
    base.update(kw)
    return MusicgenSettings(**base)


def backend(checkpoint, lm, **kw) -> MusicgenBackend:
    return MusicgenBackend(settings(checkpoint, **kw), loader=lambda *a: lm)


def request(page: int, scene: int, seconds: float = 0.2, previous=None, seed: int = 7):
    joins = "continue" if previous is not None else "change"
    return CueRequest(page=page, scene=scene, caption="calm piano music", directive="",
                      seconds=seconds, joins=joins, seed=seed, previous=previous)  # fmt: skip


def test_one_call_makes_every_page_at_its_own_length(lm, checkpoint, calls):
    seconds = [0.2, 0.4, 0.3]
    texts = ["calm piano", "tense drum beat", "happy jazz band"]
    audio = generate_long_batch(lm, texts, seconds, settings(checkpoint),
                                cancel=CancelToken(), seed=3)  # fmt: skip
    assert [len(a) for a in audio] == [round(s * FRAME_RATE) * HOP for s in seconds]
    assert [c["batch"] for c in calls] == [3]  # guidance doubles it inside generate
    assert calls[0]["steps"] == 20 + 3  # the longest page, plus the codebook delay


def test_n_pages_of_n_scenes_are_one_generate_call_and_each_continues_its_own_cue(
    lm, checkpoint, calls
):
    b = backend(checkpoint, lm)
    first = b.make_cues([request(0, s) for s in range(4)], CancelToken())
    assert len(calls) == 1 and calls[0]["batch"] == 4 and calls[0]["prompt"] is None
    assert [c.joins for c in first] == ["change"] * 4

    second = b.make_cues([request(1, s, previous=first[s]) for s in range(4)], CancelToken())
    assert len(calls) == 2 and calls[1]["batch"] == 4
    assert [c.joins for c in second] == ["continue"] * 4
    assert [c.clip.audio.shape for c in second] == [(10 * HOP, 2)] * 4  # prompt stripped
    # Each row of the call's audio prompt is the tail of its own scene's previous cue.
    for s, cue in enumerate(first):
        tail = cue.clip.audio.mean(axis=1)
        np.testing.assert_allclose(calls[1]["prompt"][s], tail, atol=1e-6)


def test_prompts_of_unequal_length_are_cut_to_the_shortest_keeping_their_ends(
    lm, checkpoint, calls
):
    rng = np.random.default_rng(0)
    prompts = [rng.uniform(-0.5, 0.5, n * HOP).astype(np.float32) for n in (12, 8)]
    audio = generate_long_batch(lm, ["calm piano", "sad slow violin"], [0.1, 0.1],
                                settings(checkpoint), prompts=list(prompts),
                                cancel=CancelToken(), seed=1)  # fmt: skip
    assert [len(a) for a in audio] == [5 * HOP, 5 * HOP]
    (call,) = calls
    assert call["prompt"].shape == (2, 8 * HOP)
    assert call["mask"].all()  # nothing padded: the model continues music, not silence
    np.testing.assert_allclose(call["prompt"][0], prompts[0][-8 * HOP :])
    np.testing.assert_allclose(call["prompt"][1], prompts[1])


def test_long_pages_go_window_by_window_together(lm, checkpoint, calls):
    s = settings(checkpoint, window_seconds=0.4, context_seconds=0.1)
    audio = generate_long_batch(lm, ["calm piano", "happy jazz"], [0.7, 0.3], s,
                                cancel=CancelToken(), seed=2)  # fmt: skip
    assert [len(a) for a in audio] == [35 * HOP, 15 * HOP]
    # Window 1: both pages, 20 frames; window 2: the long page's 15, after 5 of prompt.
    assert [(c["batch"], c["steps"] - 3) for c in calls] == [(2, 20), (1, 15)]
    assert calls[1]["prompt"].shape == (1, 5 * HOP)


def test_a_batch_of_one_is_the_page_made_alone(lm, checkpoint):
    b = backend(checkpoint, lm)
    alone = b.make_cue(request(2, 1, seed=11), CancelToken())
    (batched,) = b.make_cues([request(2, 1, seed=11)], CancelToken())
    np.testing.assert_array_equal(alone.clip.audio, batched.clip.audio)


def test_out_of_memory_halves_the_batch_before_a_smaller_model(lm, checkpoint, monkeypatch):
    sizes: list[int] = []
    real = lm.model.generate

    def small_gpu(**kwargs):
        sizes.append(int(kwargs["input_ids"].shape[0]))
        if sizes[-1] > 2:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(**kwargs)

    monkeypatch.setattr(lm.model, "generate", small_gpu)
    b = backend(checkpoint, lm)
    cues = b.make_cues([request(0, s) for s in range(4)], CancelToken())
    assert [c.scene for c in cues] == [0, 1, 2, 3]
    assert sizes == [4, 2, 2] and b.loads == 1  # the same model, two pages a call
    b.make_cues([request(1, s) for s in range(4)], CancelToken())
    assert sizes[3:] == [2, 2]  # later batches start at the size that fitted


def _rows(scenes: dict[int, int], seconds: float = 0.2) -> dict:
    rows = []
    for scene, first in scenes.items():
        recipes = [CueRecipe(page=first + k, scene=scene, first=first, caption="calm piano",
                             directive="", seconds=seconds, seed=100 + scene)
                   for k in range(3)]  # fmt: skip
        rows.append({"book_id": 0, "name": "book", "scene": scene, "error": "",
                     "recipes": json.dumps([asdict(r) for r in recipes])})  # fmt: skip
    return batch_of(rows)


def test_compose_makes_page_k_of_every_scene_in_one_call_and_skips_cached_cues(
    lm, checkpoint, calls, tmp_path
):
    ctx = Context(settings={"music": "musicgen", "musicgen_model": str(checkpoint),
                            "device": "cpu"}, cache_dir=str(tmp_path / "cache"),
                  out=str(tmp_path / "out"))  # fmt: skip
    journal_path(tmp_path / "out").parent.mkdir(parents=True)
    compose = Compose(ctx)
    compose.backend = backend(checkpoint, lm)

    # Scene 0 alone first: its three pages, one call each.
    (row,) = rows_of(compose(_rows({0: 0})))
    assert (row["cues"], row["composed"], len(calls)) == (3, 3, 3)

    # Scenes 0 and 1: scene 0's cues come from the cache, scene 1's are made.
    del calls[:]
    rows = rows_of(compose(_rows({0: 0, 1: 3})))
    assert [(r["cues"], r["composed"], r["error"]) for r in rows] == [(3, 0, ""), (3, 3, "")]
    assert len(calls) == 3

    # Two new scenes of three pages: three calls of two pages, not six of one.
    del calls[:]
    rows = rows_of(compose(_rows({2: 6, 3: 9})))
    assert [(r["cues"], r["composed"]) for r in rows] == [(3, 3), (3, 3)]
    assert [c["batch"] for c in calls] == [2, 2, 2]
    assert [c["prompt"] is None for c in calls] == [True, False, False]
    keys = composed_keys(tmp_path / "out")
    assert len(keys) == 12 and len(set(keys)) == 12  # every cue made once, journalled
