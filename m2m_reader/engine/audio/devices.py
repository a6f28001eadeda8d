"""Audio output devices through sounddevice (PortAudio), for the player and settings.

Everything here survives a machine with no sound: sounddevice not installed, PortAudio
missing, or no output device all become `AudioUnavailable` with one clear sentence,
and the app keeps working silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.errors import M2MError


class AudioUnavailable(M2MError):
    """No sound output: the reader goes on silently (export still works)."""


@dataclass(frozen=True)
class OutputDevice:
    index: int
    name: str
    host_api: str
    channels: int
    default_rate: float
    is_default: bool

    @property
    def label(self) -> str:
        """How the settings name it: the device and its host API ("system (JACK Audio
        Connection Kit)"); names alone repeat across host APIs."""
        return f"{self.name} ({self.host_api})"


def sounddevice_module() -> Any:
    """The sounddevice module, or `AudioUnavailable` saying why not."""
    try:
        import sounddevice
    except ImportError:
        raise AudioUnavailable(
            "No sound: the sounddevice package is not installed (pip install sounddevice)."
        ) from None
    except OSError:
        raise AudioUnavailable(
            "No sound: the PortAudio library is missing (install libportaudio2)."
        ) from None
    return sounddevice


def output_devices() -> list[OutputDevice]:
    """Every device that can play, default first."""
    sd = sounddevice_module()
    try:
        devices = sd.query_devices()
        apis = sd.query_hostapis()
        default_out = sd.default.device[1]
    except Exception as exc:  # noqa: BLE001 - PortAudio errors come in several types
        raise AudioUnavailable(f"No sound: the audio system did not answer ({exc}).") from None
    out = []
    for i, d in enumerate(devices):
        if d["max_output_channels"] <= 0:
            continue
        out.append(
            OutputDevice(
                index=i,
                name=str(d["name"]),
                host_api=str(apis[d["hostapi"]]["name"]),
                channels=int(d["max_output_channels"]),
                default_rate=float(d["default_samplerate"]),
                is_default=i == default_out,
            )
        )
    out.sort(key=lambda d: not d.is_default)
    return out


def pick_output(device: int | str | None = None) -> OutputDevice:
    """The device to play on. `device` is an index (a number or its digits), a device's
    label as the settings store it, a device's name or a part of it, or a host API's
    name or a part of it ("JACK", "PulseAudio"); None or "" is the system default.
    Raises `AudioUnavailable` when there is no such device, or none at all."""
    devices = output_devices()
    if not devices:
        raise AudioUnavailable("No sound: this computer has no audio output device.")
    if device is None or device == "":
        return devices[0]
    if isinstance(device, str) and device.strip().isdigit():
        device = int(device)
    if isinstance(device, int):
        found = [d for d in devices if d.index == device]
    else:
        want = device.strip().lower()
        tests = (
            lambda d: d.label.lower() == want,
            lambda d: d.name.lower() == want,
            lambda d: want in d.name.lower(),
            lambda d: want in d.host_api.lower(),
        )
        found = []
        for matches in tests:  # the most exact test that finds any device wins
            found = [d for d in devices if matches(d)]
            if found:
                break
    if found:
        return found[0]  # the default device first, when it matches
    names = "; ".join(f"{d.index}: {d.label}" for d in devices)
    raise AudioUnavailable(f"No audio output device {device!r}; there are {names}.")
