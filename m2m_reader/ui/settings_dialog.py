"""The settings dialog: backends and their settings, kept in the settings file.

Changes apply through the bridge (off the UI thread, where the engine's subscribers
react) and are saved there. The API key field is masked; when `OPENAI_API_KEY` is set
in the environment the field says so and the environment wins.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..engine.audio.devices import AudioUnavailable, output_devices
from ..engine.core.settings import CHOICES, Settings
from .bridge import EngineBridge

translate = QCoreApplication.translate  # pyside6-lupdate finds translate("Context", "text")

LABELS = {
    "builtin": QT_TRANSLATE_NOOP("SettingsDialog", "Built-in (offline)"),
    "openai": QT_TRANSLATE_NOOP("SettingsDialog", "OpenAI-compatible endpoint"),
    "clip": QT_TRANSLATE_NOOP("SettingsDialog", "CLIP on faces"),
    "auto": QT_TRANSLATE_NOOP("SettingsDialog", "As the text stages"),
    "manga-ocr": QT_TRANSLATE_NOOP("SettingsDialog", "manga-ocr (Japanese)"),
    "magi": QT_TRANSLATE_NOOP("SettingsDialog", "Magi v2 (non-commercial use)"),
    "composer": QT_TRANSLATE_NOOP("SettingsDialog", "Built-in composer"),
    "musicgen": QT_TRANSLATE_NOOP("SettingsDialog", "MusicGen"),
    "library": QT_TRANSLATE_NOOP("SettingsDialog", "My music folder"),
    "features": QT_TRANSLATE_NOOP("SettingsDialog", "Measured features (built in)"),
    "clap": QT_TRANSLATE_NOOP("SettingsDialog", "CLAP model"),
    "rtl": QT_TRANSLATE_NOOP("SettingsDialog", "Right to left"),
    "ltr": QT_TRANSLATE_NOOP("SettingsDialog", "Left to right"),
}
# The window's language and colours ("auto" means the system's here).
WINDOW_LABELS = {
    "language": {
        "auto": QT_TRANSLATE_NOOP("SettingsDialog", "System language"),
        "en": "English",
        "ja": "日本語",
    },
    "theme": {
        "auto": QT_TRANSLATE_NOOP("SettingsDialog", "Follow the system"),
        "dark": QT_TRANSLATE_NOOP("SettingsDialog", "Dark"),
        "light": QT_TRANSLATE_NOOP("SettingsDialog", "Light"),
    },
}


def _window_combo(name: str, value: str) -> QComboBox:
    box = QComboBox()
    for choice in CHOICES[name]:
        box.addItem(translate("SettingsDialog", str(WINDOW_LABELS[name][choice])), choice)
    box.setCurrentIndex(max(0, box.findData(value)))
    return box


def _combo(name: str, value: str) -> QComboBox:
    box = QComboBox()
    for choice in CHOICES[name]:
        box.addItem(translate("SettingsDialog", str(LABELS.get(choice, choice))), choice)
    box.setCurrentIndex(max(0, box.findData(value)))
    return box


# MusicGen takes a size, a Hugging Face id or a local folder: offer the sizes, allow any.
MUSICGEN_SIZES = ("small", "medium", "large", "melody")


def _model_combo(value: str) -> QComboBox:
    box = QComboBox(editable=True)
    box.addItems(list(MUSICGEN_SIZES))
    box.setCurrentText(value)
    box.setToolTip(
        translate(
            "SettingsDialog", "A MusicGen size, a Hugging Face id (owner/name) or a local folder"
        )
    )
    return box


def _output_combo(value: str) -> QComboBox:
    """The sound outputs PortAudio offers, the system default first; a saved device
    that is not there now stays listed, so saving does not lose it."""
    box = QComboBox()
    box.addItem(translate("SettingsDialog", "System default"), "")
    try:
        devices = output_devices()
    except AudioUnavailable as exc:
        devices = []
        box.setToolTip(str(exc))
    for d in devices:
        box.addItem(
            d.label + (translate("SettingsDialog", "  · default") if d.is_default else ""), d.label
        )
    if box.findData(value) < 0:
        box.addItem(translate("SettingsDialog", "%1 (not found now)").replace("%1", value), value)
    box.setCurrentIndex(box.findData(value))
    return box


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, bridge: EngineBridge, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(520)
        self.settings, self.bridge = settings, bridge
        s = settings

        self.text = _combo("text", s.text)
        self.llm_base_url = QLineEdit(s.llm_base_url, placeholderText="https://api.openai.com/v1")
        self.llm_model = QLineEdit(s.llm_model)
        self.llm_timeout = QDoubleSpinBox(suffix=" s", decimals=1, minimum=0.5, maximum=3600.0)
        self.llm_timeout.setValue(s.llm_timeout)
        self._timeout_shown = self.llm_timeout.value()  # the setting, rounded to the box
        self.llm_timeout.setToolTip(
            self.tr(
                "The most one request may take, its retries included; an endpoint that keeps "
                "failing is left for the built-in stage"
            )
        )
        self.llm_api_key = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        if os.environ.get("OPENAI_API_KEY"):
            self.llm_api_key.setPlaceholderText(
                self.tr("Using OPENAI_API_KEY from the environment")
            )
            self.llm_api_key.setEnabled(False)
        else:
            self.llm_api_key.setText(s.llm_api_key)
            self.llm_api_key.setPlaceholderText(self.tr("Not needed for a local server"))
        self.emotions = _combo("emotions", s.emotions)
        self.transcript = _combo("transcript", s.transcript)
        self.transcript.setToolTip(
            self.tr(
                "Who reads pages without annotations: Tesseract (built in), manga-ocr, Magi v2 "
                "or the vision LLM (models download manga-ocr|magi fetches their weights)"
            )
        )
        self.music = _combo("music", s.music)
        self.musicgen_model = _model_combo(s.musicgen_model)
        self.device = QComboBox(editable=True)
        self.device.addItems(["auto", "cpu", "cuda"])
        self.device.setCurrentText(s.device)
        self.device.setToolTip(self.tr("Where the models run: auto, cpu, cuda or cuda:N"))
        self.soundfont = QLineEdit(s.soundfont, placeholderText=self.tr("Find an installed one"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse_soundfont)
        sf_row = QHBoxLayout()
        sf_row.addWidget(self.soundfont, 1)
        sf_row.addWidget(browse)
        self.music_dir = QLineEdit(
            s.music_dir, placeholderText=self.tr("A folder of your own music")
        )
        pick_dir = QPushButton(self.tr("Browse…"))
        pick_dir.clicked.connect(self._browse_music_dir)
        dir_row = QHBoxLayout()
        dir_row.addWidget(self.music_dir, 1)
        dir_row.addWidget(pick_dir)
        self.music_ranker = _combo("music_ranker", s.music_ranker)
        self.audio_device = _output_combo(s.audio_device)
        self.cache_limit = QSpinBox(suffix=" MB")
        self.cache_limit.setRange(0, 1_000_000)
        self.cache_limit.setSingleStep(256)
        self.cache_limit.setValue(s.cache_limit_mb)
        self.offline = QCheckBox(self.tr("Offline: open no network connection at all"))
        self.offline.setChecked(s.offline)
        self.direction = _combo("default_direction", s.default_direction)
        self.language = _window_combo("language", s.language)
        self.language.setToolTip(self.tr("The window's language, from the next start"))
        self.theme = _window_combo("theme", s.theme)

        tabs = QTabWidget()
        tabs.addTab(
            self._form(
                (self.tr("Text stages"), self.text),
                (self.tr("Endpoint"), self.llm_base_url),
                (self.tr("Model"), self.llm_model),
                (self.tr("API key"), self.llm_api_key),
                (self.tr("Timeout"), self.llm_timeout),
                (self.tr("Emotions"), self.emotions),
                (self.tr("Page reading"), self.transcript),
            ),
            self.tr("Analysis"),
        )
        music = self._form(
            (self.tr("Music"), self.music),
            (self.tr("MusicGen model"), self.musicgen_model),
            (self.tr("Compute device"), self.device),
        )
        music.layout().addRow(self.tr("SoundFont"), sf_row)  # type: ignore[union-attr]
        music.layout().addRow(self.tr("Music folder"), dir_row)  # type: ignore[union-attr]
        music.layout().addRow(self.tr("Track picking"), self.music_ranker)  # type: ignore[union-attr]
        music.layout().addRow(self.tr("Sound output"), self.audio_device)  # type: ignore[union-attr]
        tabs.addTab(music, self.tr("Music"))
        tabs.addTab(
            self._form(
                (self.tr("Cache size"), self.cache_limit),
                ("", self.offline),
                (self.tr("Books that do not say"), self.direction),
                (self.tr("Language (next start)"), self.language),
                (self.tr("Colours"), self.theme),
            ),
            self.tr("General"),
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(tabs)
        box.addWidget(buttons)

    @staticmethod
    def _form(*rows: tuple[str, QWidget]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(14, 14, 14, 14)
        form.setVerticalSpacing(10)
        for label, widget in rows:
            form.addRow(label, widget)
        return page

    def _browse_soundfont(self) -> None:
        dialog = QFileDialog(
            self, self.tr("Choose a SoundFont"), filter=self.tr("SoundFonts (*.sf2 *.sf3)")
        )
        dialog.fileSelected.connect(self.soundfont.setText)
        dialog.open()

    def _browse_music_dir(self) -> None:
        dialog = QFileDialog(self, self.tr("Choose your music folder"))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.music_dir.setText)
        dialog.open()

    def values(self) -> dict[str, object]:
        """The settings as the dialog shows them (the key only when typed here)."""
        out: dict[str, object] = {
            "text": self.text.currentData(),
            "llm_base_url": self.llm_base_url.text().strip(),
            "llm_model": self.llm_model.text().strip() or "gpt-4o-mini",
            "llm_timeout": self.settings.llm_timeout
            if self.llm_timeout.value() == self._timeout_shown
            else self.llm_timeout.value(),
            "emotions": self.emotions.currentData(),
            "transcript": self.transcript.currentData(),
            "music": self.music.currentData(),
            "musicgen_model": self.musicgen_model.currentText().strip() or "small",
            "device": self.device.currentText().strip() or "auto",
            "soundfont": self.soundfont.text().strip(),
            "music_dir": self.music_dir.text().strip(),
            "music_ranker": self.music_ranker.currentData(),
            "audio_device": self.audio_device.currentData(),
            "cache_limit_mb": self.cache_limit.value(),
            "offline": self.offline.isChecked(),
            "default_direction": self.direction.currentData(),
            "language": self.language.currentData(),
            "theme": self.theme.currentData(),
        }
        if self.llm_api_key.isEnabled():
            out["llm_api_key"] = self.llm_api_key.text().strip()
        return out

    def accept(self) -> None:
        changed = {k: v for k, v in self.values().items() if getattr(self.settings, k) != v}
        if changed:
            self.bridge.update_settings(changed)
        if "theme" in changed:  # the colours change at once; windows made later agree
            from . import theme

            app = QApplication.instance()
            theme.apply(app, theme.choose(str(changed["theme"]), app))  # type: ignore[arg-type]
        super().accept()
