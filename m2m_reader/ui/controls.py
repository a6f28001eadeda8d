"""Music controls for the soundtrack panel: play/pause, mute, volume, crossfade, offline.

Play/pause, mute, volume and crossfade go to the engine's live player through the
bridge (off the UI thread: starting or stopping a stream can take a while); the player
keeps volume, mute and crossfade in the settings. The offline switch is a setting.
The play button follows what the player reports (`AudioState`); with no sound device
the controls stay usable and keep the person's choices for when sound comes back.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QLabel, QSlider, QToolButton, QWidget

from ..engine.core.settings import Settings
from .bridge import AudioState, EngineBridge


class PlayerControls(QWidget):
    def __init__(self, settings: Settings, bridge: EngineBridge, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.bridge = bridge
        self.play = _toggle(self.tr("▶  Play"), self.tr("Play or pause the music (P)"))
        self.mute = _toggle("", self.tr("Mute"))
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setToolTip(self.tr("Volume"))
        self.volume.setRange(0, 100)
        self.crossfade = QDoubleSpinBox()
        self.crossfade.setToolTip(self.tr("Crossfade between pages, in seconds"))
        self.crossfade.setRange(0.0, 10.0)
        self.crossfade.setSingleStep(0.5)
        self.crossfade.setSuffix(" s")
        self.crossfade.setFixedWidth(84)
        self.offline = _toggle(
            self.tr("Offline"),
            self.tr("Offline: no network at all; the cache and local backends only"),
        )

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
        volume = QLabel(self.tr("Volume"))
        volume.setProperty("role", "muted")
        grid.addWidget(volume, 1, 0)
        grid.addWidget(self.volume, 1, 1, 1, 2)
        fade = QLabel(self.tr("Crossfade"))
        fade.setProperty("role", "muted")
        grid.addWidget(fade, 2, 0)
        grid.addWidget(self.crossfade, 2, 1)
        grid.setColumnStretch(3, 1)

        self.play.toggled.connect(self._play)
        self.mute.toggled.connect(self._mute)
        # A dragged slider sends dozens of values: the player hears the last, 40 ms later.
        self._volume_timer = QTimer(self, singleShot=True, interval=40)
        self._volume_timer.timeout.connect(
            lambda: bridge.player("set_volume", self.volume.value() / 100)
        )
        self.volume.valueChanged.connect(lambda _v: self._volume_timer.start())
        self.crossfade.valueChanged.connect(lambda v: bridge.player("set_crossfade", float(v)))
        self.offline.toggled.connect(lambda on: bridge.set_setting("offline", on))
        bridge.settingChanged.connect(self._setting_changed)
        bridge.audioState.connect(self.show_state)
        self.sound: bool | None = None  # unknown until the player answers

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

    def show_state(self, state: AudioState) -> None:
        """Follow the player: the play button shows whether music really plays. With no
        sound the button is left as the person set it."""
        self.sound = state.sound
        if state.sound and self.play.isChecked() != state.playing:
            self.play.blockSignals(True)
            self.play.setChecked(state.playing)
            self.play.blockSignals(False)
        self._show_play()

    def _play(self, on: bool) -> None:
        self._show_play()
        self.bridge.player("play" if on else "pause")

    def _show_play(self) -> None:
        self.play.setText(self.tr("❚❚  Pause") if self.play.isChecked() else self.tr("▶  Play"))

    def _mute(self, on: bool) -> None:
        self._show_mute()
        self.bridge.player("set_muted", on)

    def _show_mute(self) -> None:
        self.mute.setText(self.tr("Unmute") if self.mute.isChecked() else self.tr("Mute"))


def _toggle(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setCheckable(True)
    return button
