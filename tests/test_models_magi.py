"""Magi v2 as the transcript backend, through `AutoModel.from_pretrained(...,
trust_remote_code=True)`: Magi's own code cannot be fetched here, so the test writes a
small model folder of the same shape (config.json with an `auto_map`, a configuration
and a modelling file, safetensors weights) whose model answers with Magi's documented
API and output keys, and loads it through the same loader as the real weights."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

pytestmark = pytest.mark.models
pytest.importorskip("torch")
pytest.importorskip("transformers")

from models_fixtures import assert_transcript_falls_back, fake_hub  # noqa: E402

CONFIGURATION = """
from transformers import PretrainedConfig


class FakeMagiConfig(PretrainedConfig):
    model_type = "fake_magi"

    def __init__(self, chapter_wide=True, **kwargs):
        self.chapter_wide = chapter_wide
        super().__init__(**kwargs)
"""

# The page is read from fractions of its size: two panels side by side, a balloon in
# each, a character in each, and a large non-essential text (a sound effect) below.
MODELLING = """
from torch import nn
from transformers import PreTrainedModel

from .configuration_fake_magi import FakeMagiConfig

LINES = ["Where are you going?", "Come back here!", "BOOM"]


class FakeMagiModel(PreTrainedModel):
    config_class = FakeMagiConfig

    def __init__(self, config):
        super().__init__(config)
        self.score = nn.Linear(1, 1)
        self.post_init()
        if not config.chapter_wide:
            self.do_chapter_wide_prediction = None

    def _detect(self, image):
        h, w = image.shape[:2]
        # The saved weight is 1: dialogue is told only when the weights were loaded.
        said = bool(self.score.weight.item() > 0.5)
        return {
            "panels": [[0, 0, w // 2, h], [w // 2, 0, w, h]],
            "texts": [
                [0.6 * w, 0.1 * h, 0.9 * w, 0.2 * h],
                [0.1 * w, 0.3 * h, 0.4 * w, 0.4 * h],
                [0.1 * w, 0.7 * h, 0.45 * w, 0.95 * h],
            ],
            "characters": [[0.6 * w, 0.3 * h, 0.9 * w, 0.9 * h], [0.1 * w, 0.5 * h, 0.4 * w, 0.9 * h]],
            "text_character_associations": [[0, 0], [1, 1]],
            "character_cluster_labels": [0, 1],
            "is_essential_text": [said, said, False],
        }

    def predict_detections_and_associations(self, images, **kwargs):
        return [self._detect(im) for im in images]

    def predict_ocr(self, images, crop_bboxes, **kwargs):
        return [LINES[: len(boxes)] for boxes in crop_bboxes]

    def do_chapter_wide_prediction(self, pages, character_bank, use_tqdm=False, do_ocr=True):
        out = []
        names = list(character_bank["names"])
        for image in pages:
            found = self._detect(image)
            found["character_names"] = [
                names[i] if i < len(names) else "Other" for i in range(len(found["characters"]))
            ]
            if do_ocr:
                found["ocr"] = self.predict_ocr([image], [found["texts"]])[0]
            out.append(found)
        return out
"""


def save_fake_magi(folder: Path, chapter_wide: bool = True, processor: str = "") -> Path:
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "configuration_fake_magi.py").write_text(CONFIGURATION)
    (folder / "modeling_fake_magi.py").write_text(MODELLING)
    config = {
        "model_type": "fake_magi",
        "architectures": ["FakeMagiModel"],
        "chapter_wide": chapter_wide,
        # Magi's own code loads its OCR processor by this name (TrOCRProcessor).
        **({"ocr_pretrained_processor_path": processor} if processor else {}),
        "auto_map": {
            "AutoConfig": "configuration_fake_magi.FakeMagiConfig",
            "AutoModel": "modeling_fake_magi.FakeMagiModel",
        },
    }
    (folder / "config.json").write_text(json.dumps(config))
    save_file(
        {"score.weight": torch.ones(1, 1), "score.bias": torch.zeros(1)},
        str(folder / "model.safetensors"),
        metadata={"format": "pt"},
    )
    return folder


def page() -> Image.Image:
    im = Image.new("L", (600, 800), 255)
    d = ImageDraw.Draw(im)
    d.rectangle((10, 10, 290, 790), outline=0, width=5)
    d.rectangle((310, 10, 590, 790), outline=0, width=5)
    return im


def test_magi_reads_a_page_into_the_page_reading_format(tmp_path: Path) -> None:
    from m2m_reader.engine.models.magi import MagiReader
    from m2m_reader.engine.reading import PageReading

    reader = MagiReader(str(save_fake_magi(tmp_path / "magi")), device="cpu", bank=tmp_path)
    reading = reader.read(page(), "rtl")
    assert [t.text for t in reading.texts] == ["Where are you going?", "Come back here!", "BOOM"]
    assert [t.kind for t in reading.texts] == ["balloon", "balloon", "sfx"]
    assert reading.texts[0].box == (360, 80, 540, 160)
    assert len(reading.panels) == 2 and reading.panels[0].box[0] == 300  # right panel first
    assert all(t.speaker == "" for t in reading.texts)  # no bank: nobody is named
    again = PageReading.from_dict(json.loads(json.dumps(reading.to_dict())))
    assert again.texts[0].text == reading.texts[0].text
    # Left to right: the left panel and its balloon first.
    ltr = reader.read(page(), "ltr")
    assert ltr.panels[0].box[0] == 0 and ltr.texts[0].text == "Come back here!"


def test_a_character_bank_names_the_speakers(tmp_path: Path) -> None:
    from m2m_reader.engine.models.magi import MagiReader

    bank = tmp_path / "bank"
    bank.mkdir()
    for name in ("Haru", "Mio"):
        Image.new("RGB", (32, 48), 200).save(bank / f"{name}.png")
    reader = MagiReader(str(save_fake_magi(tmp_path / "magi")), device="cpu", bank=bank)
    speakers = [t.speaker for t in reader.read(page()).texts]
    assert speakers == ["Haru", "Mio", ""]
    assert "Haru,Mio" in reader.settings_key()


def test_magi_v1_api_without_chapter_prediction_reads_too(tmp_path: Path) -> None:
    from m2m_reader.engine.models.magi import MagiReader

    folder = save_fake_magi(tmp_path / "magi1", chapter_wide=False)
    reading = MagiReader(str(folder), device="cpu", bank=tmp_path).read(page())
    assert [t.text for t in reading.texts][:2] == ["Where are you going?", "Come back here!"]


def test_missing_magi_weights_fall_back_to_the_built_in_reader(tmp_path: Path, monkeypatch):
    assert_transcript_falls_back(tmp_path, monkeypatch, "magi")


def test_the_analysis_takes_its_transcripts_from_magi(tmp_path: Path, monkeypatch) -> None:
    from m2m_reader.engine.analysis.pipeline import Analyzer
    from m2m_reader.engine.backends.choice import make_text
    from m2m_reader.engine.books import open_book
    from m2m_reader.engine.core.settings import Settings
    from m2m_reader.engine.core.store import MemoryStore

    monkeypatch.setenv("M2M_READER_DATA_DIR", str(tmp_path / "data"))
    save_fake_magi(tmp_path / "data" / "models" / "magi")
    bank = tmp_path / "data" / "models" / "magi-characters"
    bank.mkdir()
    Image.new("RGB", (32, 48), 200).save(bank / "Haru.png")
    cbz = tmp_path / "plain.cbz"
    with zipfile.ZipFile(cbz, "w") as z:
        for i in range(2):
            out = io.BytesIO()
            page().save(out, "PNG")
            z.writestr(f"{i + 1:02d}.png", out.getvalue())
    told: list = []
    text = make_text(Settings(transcript="magi", device="cpu"), lambda *a: told.append(a))
    assert told == []
    store = MemoryStore()
    analyzer = Analyzer(open_book(cbz, direction="rtl"), text=text, store=store)
    t = analyzer.transcript(1)
    assert [(ln.speaker, ln.text) for ln in t.lines[:2]] == [
        ("Haru", "Where are you going?"),
        ("unknown", "Come back here!"),
    ]
    assert t.lines[2].kind == "sfx"

    # Cached: a second analysis of the same book asks Magi for nothing.
    def broken(rgb):
        raise AssertionError("read again")

    monkeypatch.setattr(text.transcript_source.page_reader, "predict", broken)
    again = Analyzer(open_book(cbz, direction="rtl"), text=text, store=store)
    assert again.transcript(1).lines == t.lines


def _book(tmp_path: Path):
    from m2m_reader.engine.books import open_book

    cbz = tmp_path / "plain.cbz"
    with zipfile.ZipFile(cbz, "w") as z:
        out = io.BytesIO()
        page().save(out, "PNG")
        z.writestr("01.png", out.getvalue())
    return open_book(cbz, direction="rtl")


def test_a_page_magi_fails_on_is_read_by_the_built_in_reader(tmp_path: Path, monkeypatch):
    from m2m_reader.engine.analysis.pipeline import Analyzer
    from m2m_reader.engine.backends.choice import make_text
    from m2m_reader.engine.core.settings import Settings

    monkeypatch.setenv("M2M_READER_DATA_DIR", str(tmp_path / "data"))
    save_fake_magi(tmp_path / "data" / "models" / "magi")
    text = make_text(Settings(transcript="magi", device="cpu"), lambda *a: None)

    def broken(rgb):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(text.transcript_source.page_reader, "predict", broken)
    told: list = []
    analyzer = Analyzer(_book(tmp_path), text=text, on_fallback=lambda *a: told.append(a))
    t = analyzer.transcript(0)
    assert "Where are you going?" not in [ln.text for ln in t.lines]
    ((stage, backend, message),) = told
    assert (stage, backend) == ("transcript", "magi")
    assert message.startswith("Magi could not read the page (RuntimeError")


def test_choosing_magi_in_a_running_analysis_reads_with_it(tmp_path: Path, monkeypatch):
    from m2m_reader.engine.analysis.pipeline import Analyzer
    from m2m_reader.engine.backends.choice import make_text, signatures
    from m2m_reader.engine.core.settings import Settings

    monkeypatch.setenv("M2M_READER_DATA_DIR", str(tmp_path / "data"))
    save_fake_magi(tmp_path / "data" / "models" / "magi")
    before, after = Settings(), Settings(transcript="magi", device="cpu")
    assert signatures(before)["text"] != signatures(after)["text"]  # the engine rebuilds it
    analyzer = Analyzer(_book(tmp_path))
    assert analyzer.transcripts is analyzer.builtin_text
    analyzer.use_backends(text=make_text(after, lambda *a: None))
    assert analyzer.transcripts.name == "magi"
    assert analyzer.transcript(0).lines[0].text == "Where are you going?"


def test_the_settings_dialog_chooses_the_page_reader(qtbot, tmp_path, monkeypatch):
    pytest.importorskip("pytestqt")
    from m2m_reader.engine.core.settings import Settings
    from m2m_reader.ui.bridge import EngineBridge
    from m2m_reader.ui.settings_dialog import SettingsDialog

    monkeypatch.setenv("M2M_READER_CONFIG_DIR", str(tmp_path))
    settings = Settings(transcript="magi")
    dialog = SettingsDialog(settings, EngineBridge(None, settings))
    qtbot.addWidget(dialog)
    assert dialog.values()["transcript"] == "magi"
    dialog.transcript.setCurrentIndex(dialog.transcript.findData("manga-ocr"))
    assert dialog.values()["transcript"] == "manga-ocr"


def test_the_transcript_can_come_from_another_backend_than_the_text_stages(tmp_path: Path):
    pytest.importorskip("openai")
    from m2m_reader.engine.analysis.pipeline import Analyzer
    from m2m_reader.engine.backends.choice import make_text
    from m2m_reader.engine.core.settings import Settings

    book = _book(tmp_path)
    url = "http://127.0.0.1:9/v1"  # never asked: nothing here reads a page
    told: list = []
    # The vision LLM reads the pages; the built-in rules write the rest.
    text = make_text(Settings(transcript="openai", llm_base_url=url), lambda *a: told.append(a))
    analyzer = Analyzer(book, text=text)
    assert analyzer.text.name == "builtin" and analyzer.transcripts.name == "openai"
    # The LLM writes directives and captions; Tesseract reads the pages.
    text = make_text(Settings(text="openai", transcript="builtin", llm_base_url=url), told.append)
    analyzer = Analyzer(book, text=text)
    assert analyzer.text.name == "openai" and analyzer.transcripts is analyzer.builtin_text
    # auto: the text backend's own, as before the setting existed.
    text = make_text(Settings(text="openai", llm_base_url=url), told.append)
    assert Analyzer(book, text=text).transcripts is text
    assert told == []


def test_magi_finds_its_ocr_processor_locally_or_says_how_to_get_it(tmp_path, monkeypatch):
    from m2m_reader.engine.core.errors import BackendUnavailable
    from m2m_reader.engine.models.magi import MagiReader

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    folder = save_fake_magi(tmp_path / "magi", processor="microsoft/trocr-base-printed")
    with pytest.raises(BackendUnavailable, match="OCR processor.*models download magi"):
        MagiReader(str(folder), device="cpu", bank=tmp_path)
    local = tmp_path / "trocr"
    local.mkdir()
    folder = save_fake_magi(tmp_path / "magi2", processor=str(local))
    reader = MagiReader(str(folder), device="cpu", bank=tmp_path)
    assert reader.read(page()).texts[0].text == "Where are you going?"


def test_models_download_magi_fetches_its_ocr_processor_too(tmp_path, monkeypatch):
    from m2m_reader.engine.models.download import download

    def fetch(repo_id, local_dir):
        if local_dir is None:
            return str(tmp_path / "hub" / repo_id)
        return str(save_fake_magi(Path(local_dir), processor="microsoft/trocr-base-printed"))

    asked = fake_hub(monkeypatch, tmp_path, fetch)
    announced: list = []
    where = download("magi", announce=announced.append)
    assert where == tmp_path / "data" / "models" / "magi"
    assert asked == [("ragavsachdeva/magiv2", where), ("microsoft/trocr-base-printed", None)]
    assert announced == ["ragavsachdeva/magiv2", "microsoft/trocr-base-printed"]


def test_the_command_line_says_in_one_line_what_it_cannot_do(tmp_path, monkeypatch, capsys):
    from m2m_reader.cli import main

    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"M2M_READER_{name}_DIR", str(tmp_path / name.lower()))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["models", "download", "magi"]) == 1
    err = capsys.readouterr().err.strip()
    assert "offline mode is on, so nothing can be downloaded" in err and "\n" not in err
    _book(tmp_path)  # writes plain.cbz
    book = str(tmp_path / "plain.cbz")
    assert main(["analyze", book, "--transcript", "magi", "--no-cache"]) == 0
    err = capsys.readouterr().err
    assert (
        "transcript: the magi backend cannot start: Magi weights are not on this computer; "
        "run `m2m-reader models download magi`"
    ) in err
