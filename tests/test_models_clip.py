"""CLIP face emotions with a tiny random-weight open_clip model."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")
pytest.importorskip("open_clip")

from models_fixtures import register_tiny_clip, save_tiny_clip_checkpoint  # noqa: E402

from m2m_reader.commands import eval as eval_cmd  # noqa: E402
from m2m_reader.commands import train as train_cmd  # noqa: E402
from m2m_reader.engine.analysis.emotions import EMOTIONS  # noqa: E402
from m2m_reader.engine.analysis.records import FaceReading, PageTranscript  # noqa: E402
from m2m_reader.engine.books.model import Book, Box, Face, Page  # noqa: E402
from m2m_reader.engine.core.cancel import CancelToken  # noqa: E402
from m2m_reader.engine.core.errors import BackendUnavailable, Cancelled, M2MError  # noqa: E402
from m2m_reader.engine.models.clip_emotions import (  # noqa: E402
    ClipEmotions,
    ClipSettings,
    load_clip,
    page_profile,
)
from m2m_reader.engine.models.train_emotion import (  # noqa: E402
    TrainSettings,
    f1_scores,
    load_dataset,
    train,
)

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def tiny() -> str:
    return register_tiny_clip()


def tiny_book(faces: list[Box]) -> Book:
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 255, (300, 400, 3), dtype=np.uint8))
    page = Page(index=0, name="001.png", width=400, height=300,
                faces=[Face(id=f"f{i}", box=b) for i, b in enumerate(faces)])  # fmt: skip
    return Book(path=Path("memory"), title="tiny", kind="folder", direction="rtl", pages=[page],
                open_image=lambda p: image, fingerprint="tiny")  # fmt: skip


def transcript_of(book: Book) -> PageTranscript:
    faces = [
        FaceReading(box=(f.box.xmin, f.box.ymin, f.box.xmax, f.box.ymax), id=f.id)
        for f in book.pages[0].faces
    ]
    return PageTranscript(index=0, faces=faces)


def assert_profile(profile: dict) -> None:
    assert set(profile) == set(EMOTIONS)
    assert all(v >= 0 for v in profile.values())
    assert sum(profile.values()) == pytest.approx(1.0)


def test_zero_shot_page_profile_is_normalised(tiny):
    book = tiny_book([Box(10, 10, 80, 90), Box(200, 50, 260, 120), Box(390, 290, 420, 330)])
    backend = ClipEmotions(ClipSettings(model=tiny, pretrained="", device="cpu"))
    result = backend.page_emotions(book, transcript_of(book), CancelToken())
    assert_profile(result.profile)
    assert len(result.faces) == 3
    for face in result.faces:
        assert_profile(face)
    # "share" profile: each face counts once, so shares are multiples of 1/3.
    assert all(round(v * 3, 6) == round(v * 3) for v in result.profile.values())
    assert "CLIP" in result.evidence[0]


def test_page_without_faces_is_neutral(tiny):
    book = tiny_book([])
    backend = ClipEmotions(ClipSettings(model=tiny, pretrained="", device="cpu"))
    result = backend.page_emotions(book, transcript_of(book), CancelToken())
    assert result.profile["neutral"] == 1.0 and result.faces == []


def test_annotated_page_without_faces_stays_neutral_and_a_plain_one_is_read_by_panel(tiny):
    # An annotated page (no `visual`): no face means none drawn there.
    book = tiny_book([])
    backend = ClipEmotions(ClipSettings(model=tiny, pretrained="", device="cpu", profile="mean"))
    assert backend.page_emotions(book, transcript_of(book), CancelToken()).profile["neutral"] == 1
    # The same page read from its pixels, without a reading's panels: the whole page.
    plain = PageTranscript(index=0, faces=[], visual={"dark": 0.1})
    result = backend.page_emotions(book, plain, CancelToken())
    assert_profile(result.profile)
    assert result.profile["neutral"] < 1.0 and result.faces == []
    assert "no faces: 1 panels read by CLIP" in result.evidence[0]


def _panels_cbz(path: Path) -> Path:
    import io
    import zipfile

    from PIL import ImageDraw

    im = Image.new("L", (600, 800), 255)
    d = ImageDraw.Draw(im)
    d.rectangle((30, 30, 570, 380), outline=0, width=5, fill=200)
    d.rectangle((30, 420, 290, 770), outline=0, width=5, fill=60)
    d.rectangle((320, 420, 570, 770), outline=0, width=5, fill=120)
    for x in range(40, 560, 30):
        d.line((x, 40, x + 100, 370), fill=0, width=2)  # speed lines, no face
    out = io.BytesIO()
    im.save(out, "PNG")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("001.png", out.getvalue())
    return path


def test_clip_reads_the_panels_of_an_unannotated_page_without_faces(tmp_path, tiny):
    from m2m_reader.engine.analysis.pipeline import Analyzer
    from m2m_reader.engine.books import open_book
    from m2m_reader.engine.core.store import MemoryStore
    from m2m_reader.engine.reading.ocr import tessdata_dir

    if tessdata_dir() is None:
        pytest.skip("Tesseract data not installed")
    book = open_book(_panels_cbz(tmp_path / "plain.cbz"))
    assert not book.has_annotations
    clip = ClipEmotions(ClipSettings(model=tiny, pretrained="", device="cpu"))
    analyzer = Analyzer(book, emotions=clip, store=MemoryStore())
    assert analyzer.transcript(0).faces == []
    emotions, by, _ = analyzer.page_emotions(0)
    assert by == "clip"
    assert_profile(emotions.profile)
    assert "no faces: 3 panels read by CLIP" in emotions.evidence[0]
    # "share": each of the three panels counts once.
    assert all(round(v * 3, 6) == round(v * 3) for v in emotions.profile.values())


def test_cancelled_before_reading(tiny):
    book = tiny_book([Box(10, 10, 80, 90)])
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        ClipEmotions(ClipSettings(model=tiny, pretrained="")).page_emotions(
            book, transcript_of(book), token
        )


def test_share_and_mean_profiles():
    probs = np.zeros((4, 7), np.float32)
    probs[:, EMOTIONS.index("neutral")] = 0.4
    probs[0, EMOTIONS.index("happiness")] = 0.6
    probs[1, EMOTIONS.index("happiness")] = 0.6
    probs[2, EMOTIONS.index("fear")] = 0.6
    probs[3, EMOTIONS.index("neutral")] = 1.0
    share = page_profile(probs, "share")
    assert share["happiness"] == 0.5 and share["fear"] == 0.25 and share["neutral"] == 0.25
    mean = page_profile(probs, "mean")
    assert mean["neutral"] > mean["happiness"] > mean["fear"] > 0


def test_fine_tuned_checkpoint_loads(tmp_path, tiny):
    path = save_tiny_clip_checkpoint(tmp_path / "emo.pt")
    book = tiny_book([Box(10, 10, 80, 90)])
    backend = ClipEmotions(ClipSettings(checkpoint=str(path), device="cpu"))
    assert_profile(backend.page_emotions(book, transcript_of(book), CancelToken()).profile)
    assert "emo.pt" in backend.settings_key()


def test_bad_checkpoint_is_one_sentence(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(BackendUnavailable, match="bad.pt"):
        load_clip(ClipSettings(checkpoint=str(bad)))


def test_missing_weights_say_what_to_run(monkeypatch):
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "try_to_load_from_cache", lambda *a, **k: None)
    with pytest.raises(BackendUnavailable, match="models download clip"):
        load_clip(ClipSettings(model="ViT-B-32", pretrained="openai", device="cpu"))


def make_kangaiset(root: Path, per_class: int = 12) -> Path:
    """Two separable synthetic classes: bright faces are happy, dark ones sad."""
    rng = np.random.default_rng(1)
    for emotion, level in (("happiness", 220), ("sadness", 30)):
        folder = root / emotion
        folder.mkdir(parents=True)
        for i in range(per_class):
            pixels = np.clip(rng.normal(level, 20, (40, 40, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / f"{i:03d}.png")
    return root


def test_training_lowers_the_loss(tmp_path, tiny):
    train_set, test_set = load_dataset(make_kangaiset(tmp_path / "kangai"), held_out=0.25)
    assert len(train_set) == 18 and len(test_set) == 6
    lc = load_clip(ClipSettings(model=tiny, pretrained="", device="cpu"))
    losses = train(lc, train_set, TrainSettings(epochs=6, batch_size=6, lr=1e-3))
    assert len(losses) == 6
    assert losses[-1] < losses[0]


def test_f1_scores_match_hand_computation():
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0])
    s = f1_scores(y_true, y_pred)
    assert s["micro_f1"] == pytest.approx(3 / 5)
    # per class F1: class 0 = 2*1/(2+1+1) = .5, class 1 = 2*2/(4+1) = .8, class 2 = 0
    assert s["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert s["weighted_f1"] == pytest.approx((0.5 * 2 + 0.8 * 2 + 0) / 5)


def test_dataset_errors_name_the_folder(tmp_path):
    with pytest.raises(M2MError, match="no face images"):
        load_dataset(tmp_path)
    with pytest.raises(M2MError, match="no such KangaiSet folder"):
        load_dataset(tmp_path / "missing")


def run_cli(module, argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    module.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_train_then_eval_commands(tmp_path, tiny, capsys):
    data = make_kangaiset(tmp_path / "kangai", per_class=8)
    ckpt = tmp_path / "out" / "emo.pt"
    common = ["--model", tiny, "--pretrained", "", "--device", "cpu"]
    assert run_cli(train_cmd, ["train", "emotion", str(data), *common, "--epochs", "2",
                               "--batch-size", "4", "--lr", "1e-4", "--out", str(ckpt)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert ckpt.is_file() and "micro F1" in out
    assert (
        run_cli(eval_cmd, ["eval", "emotion", str(data), *common, "--checkpoint", str(ckpt)]) == 0
    )
    out = capsys.readouterr().out
    for column in ("micro F1", "macro F1", "weighted F1"):
        assert column in out
    assert run_cli(eval_cmd, ["eval", "emotion", str(data), *common, "--zero-shot", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert 0 <= scores["micro_f1"] <= 1 and scores["n"] == 4
