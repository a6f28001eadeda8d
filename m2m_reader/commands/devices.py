"""`m2m-reader devices`: the sound outputs PortAudio offers, to choose one for playback.

What a line shows (an index, or the label in parentheses, or the host API alone)
is what `play --device` and the `audio_device` setting take.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..engine.audio.devices import output_devices


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "devices",
        help="list the sound outputs (for play --device and the settings)",
        description="List the sound outputs PortAudio offers, the system default first. "
        "`play --device` and the audio_device setting take an index, a label, a part of "
        "a name, or a host API such as JACK.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    devices = output_devices()  # AudioUnavailable is an M2MError: one clear line
    if not devices:
        print("no sound outputs")
        return 1
    for d in devices:
        mark = "  (system default)" if d.is_default else ""
        print(f"{d.index:>3}: {d.label}, {d.channels} channels, {d.default_rate:.0f} Hz{mark}")
    return 0
