"""MusicGen through the real loading code, with a tiny random-weight checkpoint."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from models_fixtures import HOP, SAMPLE_RATE, save_tiny_musicgen  # noqa: E402

from m2m_reader.engine.core.cancel import CancelToken  # noqa: E402
from m2m_reader.engine.core.errors import BackendUnavailable, Cancelled  # noqa: E402
from m2m_reader.engine.models import musicgen_backend as mb  # noqa: E402
from m2m_reader.engine.models.musicgen import (  # noqa: E402
    MusicgenSettings,
    generate,
    load_musicgen,
)
from m2m_reader.engine.music.base import CueRequest  # noqa: E402

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_tiny_musicgen(tmp_path_factory.mktemp("musicgen-tiny"))


@pytest.fixture(scope="module")
def lm(checkpoint):
    return load_musicgen(str(checkpoint), device="cpu")


def settings(checkpoint, **kw) -> MusicgenSettings:
    base = dict(model=str(checkpoint), device="cpu", min_seconds=0.1, idle_seconds=0, threads=1)
    base.update(kw)
    return MusicgenSettings(**base)


def spy_generate(lm, monkeypatch):
    """Record every model.generate call's kwargs and raw output."""
    calls: list[tuple[dict, np.ndarray]] = []
    real = lm.model.generate

    def wrapped(**kwargs):
        out = real(**kwargs)
        calls.append((kwargs, out[0, 0].numpy().copy()))
        return out

    monkeypatch.setattr(lm.model, "generate", wrapped)
    return calls


def test_folder_loads_like_a_checkpoint(lm):
    assert lm.sample_rate == SAMPLE_RATE
    assert lm.frame_rate == 50 and lm.hop == HOP
    assert lm.num_codebooks == 4 and lm.device == "cpu" and not lm.melody


def test_cue_has_expected_samples_and_rate(checkpoint):
    backend = mb.MusicgenBackend(settings(checkpoint))
    req = CueRequest(page=3, scene=1, caption="calm piano music", directive="", seconds=1.0)
    cue = backend.make_cue(req, CancelToken())
    assert cue.backend == "musicgen" and cue.joins == "change" and cue.page == 3
    assert cue.clip.sample_rate == SAMPLE_RATE
    assert cue.clip.audio.shape == (50 * HOP, 2)
    assert cue.clip.audio.dtype == np.float32
    assert np.all(np.isfinite(cue.clip.audio)) and np.max(np.abs(cue.clip.audio)) <= 1.0
    assert cue.clip.loop_end == len(cue.clip.audio)


def test_max_new_tokens_is_frame_rate_times_seconds_plus_delay(lm, monkeypatch):
    calls = spy_generate(lm, monkeypatch)
    audio = generate(lm, "happy jazz", 40, MusicgenSettings(), cancel=CancelToken())
    assert calls[0][0]["max_new_tokens"] == 40 + 3
    assert calls[0][0]["guidance_scale"] == 3.0 and calls[0][0]["top_k"] == 250
    assert len(audio) == 40 * HOP


def test_continuation_strips_the_prompt(lm, monkeypatch):
    calls = spy_generate(lm, monkeypatch)
    prompt = np.sin(np.arange(20 * HOP + 100) * 0.05).astype(np.float32)  # not whole frames
    audio = generate(
        lm, "sad slow violin", 30, MusicgenSettings(), prompt=prompt, cancel=CancelToken()
    )
    raw = calls[0][1]
    assert len(raw) == (20 + 30) * HOP  # the model's output holds the 20-frame prompt
    assert len(audio) == 30 * HOP
    np.testing.assert_array_equal(audio, raw[20 * HOP :])


def test_page_in_same_scene_continues_previous_cue(checkpoint, monkeypatch):
    backend = mb.MusicgenBackend(settings(checkpoint, context_seconds=0.4))
    first = backend.make_cue(
        CueRequest(page=0, scene=0, caption="calm piano", directive="", seconds=0.6), CancelToken()
    )
    prompts: list[np.ndarray | None] = []
    real = mb.generate_long

    def spy(lm, text, seconds, s, *, prompt=None, **kw):
        prompts.append(prompt)
        return real(lm, text, seconds, s, prompt=prompt, **kw)

    monkeypatch.setattr(mb, "generate_long", spy)
    req = CueRequest(
        page=1, scene=0, caption="calm piano", directive="", seconds=0.5, joins="continue",
        previous=first,
    )  # fmt: skip
    second = backend.make_cue(req, CancelToken())
    assert second.joins == "continue"
    assert len(second.clip.audio) == 25 * HOP
    np.testing.assert_allclose(prompts[0], first.clip.audio[-int(0.4 * SAMPLE_RATE) :, 0])
    # A new scene starts fresh.
    third = backend.make_cue(
        CueRequest(
            page=2, scene=1, caption="fast rock", directive="", seconds=0.5, previous=second
        ),
        CancelToken(),
    )
    assert third.joins == "change" and prompts[-1] is None
    assert backend.loads == 1


def test_longer_than_a_window_uses_continuation_windows(lm, monkeypatch):
    calls = spy_generate(lm, monkeypatch)
    from m2m_reader.engine.models.musicgen import generate_long

    s = MusicgenSettings(window_seconds=1.0, context_seconds=0.4)
    audio = generate_long(lm, "tense drum beat", 2.5, s, cancel=CancelToken(), seed=1)
    assert len(audio) == 125 * HOP
    assert len(calls) >= 3
    assert all(len(raw) <= 50 * HOP for _, raw in calls)  # prompt + new within one window
    assert "input_values" not in calls[0][0] and "input_values" in calls[1][0]


def test_cancellation_stops_within_half_a_second(checkpoint):
    backend = mb.MusicgenBackend(settings(checkpoint, max_seconds=600, window_seconds=600))
    cancel = CancelToken()
    started = threading.Event()
    result: dict[str, object] = {}

    def progress(page: int, f: float) -> None:
        if f > 0:
            started.set()

    backend.progress = progress

    def job() -> None:
        try:
            backend.make_cue(
                CueRequest(page=0, scene=0, caption="calm", directive="", seconds=300), cancel
            )
            result["outcome"] = "finished"
        except Cancelled:
            result["outcome"] = "cancelled"
        result["t"] = time.monotonic()

    thread = threading.Thread(target=job)
    thread.start()
    assert started.wait(60)
    t0 = time.monotonic()
    cancel.cancel("page turned")
    thread.join(10)
    assert result["outcome"] == "cancelled"
    assert float(result["t"]) - t0 < 0.5  # type: ignore[arg-type]


def test_int8_quantised_decoder_generates(checkpoint):
    lm8 = load_musicgen(str(checkpoint), device="cpu", quantize=True)
    assert lm8.quantized
    kinds = {type(m).__module__ for m in lm8.model.decoder.modules()}
    assert any("quantized" in k for k in kinds)
    audio = generate(lm8, "ambient synth", 10, MusicgenSettings(), cancel=CancelToken())
    assert len(audio) == 10 * HOP and np.all(np.isfinite(audio))


def test_missing_checkpoint_says_what_to_run(tmp_path):
    with pytest.raises(BackendUnavailable) as err:
        load_musicgen("facebook/musicgen-large-not-here", device="cpu")
    assert "m2m-reader models download" in str(err.value)


def test_model_is_freed_when_idle(checkpoint):
    backend = mb.MusicgenBackend(settings(checkpoint, idle_seconds=0.2))
    backend.preload()
    assert backend._holder.loaded
    time.sleep(0.6)
    assert not backend._holder.loaded


def test_gpu_out_of_memory_falls_back_to_smaller_then_cpu(checkpoint, monkeypatch):
    import torch

    tried: list[tuple[str, str]] = []

    def loader(name: str, device: str, dtype: str, quantize: bool):
        tried.append((name, device))
        if device != "cpu":
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return load_musicgen(str(checkpoint), device="cpu")

    monkeypatch.setattr(mb, "pick_device", lambda pref: "cpu" if pref == "cpu" else "cuda")
    backend = mb.MusicgenBackend(settings(checkpoint, model="large", device="cuda"), loader=loader)
    cue = backend.make_cue(
        CueRequest(page=0, scene=0, caption="calm", directive="", seconds=0.2), CancelToken()
    )
    assert [n for n, _ in tried] == [
        "facebook/musicgen-large",
        "facebook/musicgen-medium",
        "facebook/musicgen-small",
        "facebook/musicgen-small",
    ]
    assert tried[-1][1] == "cpu"
    assert len(cue.warnings) == 3 and "CPU" in cue.warnings[-1]


def test_caption_tempo_puts_loop_on_a_bar():
    clip = mb.make_clip(np.zeros(SAMPLE_RATE * 3, np.float32), SAMPLE_RATE, 120.0, 4)
    assert clip.bar_samples == 2 * SAMPLE_RATE and clip.loop_end == 2 * SAMPLE_RATE
    assert mb.caption_tempo("a driving beat at 128 BPM with synths") == 128.0
    assert mb.caption_tempo("calm piano") is None


def test_download_refuses_offline(monkeypatch):
    from m2m_reader.engine.core.errors import M2MError
    from m2m_reader.engine.models.download import download

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(M2MError, match="offline"):
        download("small")
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pytest.raises(M2MError, match="unknown model"):
        download("not-a-model", offline=False)


def test_models_ls_lists_local_folders(checkpoint, tmp_path):
    import shutil

    from m2m_reader.engine.models.download import local_models

    shutil.copytree(checkpoint, tmp_path / "my-musicgen")
    (tmp_path / "clip-emotion.pt").write_bytes(b"x")
    found = {m.name: m.kind for m in local_models([tmp_path])}
    assert found["my-musicgen"] == "folder"
    assert found["clip-emotion.pt"] == "emotion-checkpoint"


def test_engine_uses_musicgen_and_clip_end_to_end(checkpoint):
    pytest.importorskip("open_clip")
    from bookfactory import three_scene_book
    from models_fixtures import register_tiny_clip

    from m2m_reader.engine.core.settings import Settings
    from m2m_reader.engine.core.store import MemoryStore
    from m2m_reader.engine.models.clip_emotions import ClipEmotions, ClipSettings
    from m2m_reader.engine.session.engine import Engine
    from m2m_reader.engine.session.reading_speed import ReadingSpeed

    music = mb.MusicgenBackend(settings(checkpoint, min_seconds=0.2, max_seconds=0.4))
    emotions = ClipEmotions(ClipSettings(model=register_tiny_clip(), pretrained="", device="cpu"))
    engine = Engine(Settings(), store=MemoryStore(), music=music, emotions=emotions, audio=False,
                    speed=ReadingSpeed(persist=False), edits_in_memory=True)  # fmt: skip
    try:
        engine.open(three_scene_book())
        assert engine.prepare_all() == 12
        cues = []
        for p in range(12):  # the reader visits every page: its cue comes from the store
            engine.set_cursor(p, "jump")
            deadline = time.monotonic() + 10
            while engine.cue(p) is None and time.monotonic() < deadline:
                time.sleep(0.01)
            cues.append(engine.cue(p))
        assert all(c is not None and c.backend == "musicgen" for c in cues)
        assert all(
            c.clip.sample_rate == SAMPLE_RATE and len(c.clip.audio) == 20 * HOP for c in cues
        )
        assert any(c.joins == "continue" for c in cues)  # pages within a scene continue
        assert cues[0].joins == "change"
        analysis = engine.analysis()
        assert analysis is not None
        assert any("clip" in analysis.page(p).backends.values() for p in range(12))
        assert music.loads == 1  # one model load for the whole reading session
    finally:
        engine.close()
        music.close()
