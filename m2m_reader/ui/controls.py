"""Music controls for the toolbar: play/pause, mute, volume, crossfade, offline.

Each control changes a setting through the bridge (off the UI thread, since engine
subscribers react to settings) and, for play/pause, calls the player directly.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QLabel, QSlider, QToolButton, QWidget

from ..engine.settings import Settings
from .bridge import EngineBridge


class PlayerControls(QWidget):
    def __init__(self, settings: Settings, bridge: EngineBridge, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.bridge = bridge
        self.play = QToolButton(
            text="▶  Play", checkable=True, toolTip="Play or pause the music (P)"
        )
        self.mute = QToolButton(checkable=True, toolTip="Mute")
        self.volume = QSlider(Qt.Orientation.Horizontal, toolTip="Volume")
        self.volume.setRange(0, 100)
        self.crossfade = QDoubleSpinBox(toolTip="Crossfade between pages, in seconds")
        self.crossfade.setRange(0.0, 10.0)
        self.crossfade.setSingleStep(0.5)
        self.crossfade.setSuffix(" s")
        self.crossfade.setFixedWidth(84)
        self.offline = QToolButton(text="Offline", checkable=True)
        self.offline.setToolTip("Offline: no network at all; the cache and local backends only")

        self.volume.setValue(round(settings.volume * 100))
        self.mute.setChecked(settings.muted)
        self.crossfade.setValue(settings.crossfade_s)
        self.offline.setChecked(settings.offline)
        self._show_mute()

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 4, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.addWidget(self.play, 0, 0)
        grid.addWidget(self.mute, 0, 1)
        grid.addWidget(self.offline, 0, 2)
        volume = QLabel("Volume")
        volume.setProperty("role", "muted")
        grid.addWidget(volume, 1, 0)
        grid.addWidget(self.volume, 1, 1, 1, 2)
        fade = QLabel("Crossfade")
        fade.setProperty("role", "muted")
        grid.addWidget(fade, 2, 0)
        grid.addWidget(self.crossfade, 2, 1)
        grid.setColumnStretch(3, 1)

        self.play.toggled.connect(self._play)
        self.mute.toggled.connect(self._mute)
        self.volume.valueChanged.connect(lambda v: bridge.set_setting("volume", v / 100))
        self.crossfade.valueChanged.connect(lambda v: bridge.set_setting("crossfade_s", float(v)))
        self.offline.toggled.connect(lambda on: bridge.set_setting("offline", on))
        bridge.settingChanged.connect(self._setting_changed)

    def _setting_changed(self, name: str, value: object) -> None:
        """Follow changes made elsewhere (the settings dialog, the engine)."""
        widget = {"offline": self.offline, "muted": self.mute}.get(name)
        if widget is not None and widget.isChecked() != value:
            widget.blockSignals(True)
            widget.setChecked(bool(value))
            widget.blockSignals(False)
            self._show_mute()
        elif name == "volume" and isinstance(value, float):
            self.volume.blockSignals(True)
            self.volume.setValue(round(value * 100))
            self.volume.blockSignals(False)

    def _play(self, on: bool) -> None:
        self.play.setText("❚❚  Pause" if on else "▶  Play")
        self.bridge.player("play" if on else "pause")

    def _mute(self, on: bool) -> None:
        self._show_mute()
        self.bridge.set_setting("muted", on)

    def _show_mute(self) -> None:
        self.mute.setText("Unmute" if self.mute.isChecked() else "Mute")
