"""Find a General MIDI SoundFont and render scores through it with tinysoundfont.

Rendering is offline: notes are turned into a sorted list of MIDI events and the synth is
asked for exactly the samples between one event and the next. No audio device is opened.

A General MIDI font's instruments are not recorded at one level: in TimGM6mb the piano
plays 17 dB under the harp at the same velocity. So each track's channel volume is set
from a measured level of its instrument (one reference note per program and register,
measured once per renderer): a track's `gain` is then its level in the mix whatever the
font, and the chords are heard under the melody instead of vanishing.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np

from ..core.cancel import NEVER, CancelToken
from ..core.errors import BackendUnavailable
from .compose import Score

log = logging.getLogger(__name__)

ENV_VAR = "M2M_READER_SOUNDFONT"
SEARCH_DIRS = (
    "/usr/share/sounds/sf2",
    "/usr/share/sounds/sf3",
    "/usr/share/soundfonts",
    "/usr/local/share/soundfonts",
    "/usr/share/sounds/sf2/fluid",
    "~/.local/share/soundfonts",
    "~/.local/share/sounds/sf2",
    "~/.soundfonts",
    "~/Library/Audio/Sounds/Banks",
    "C:/soundfonts",
)
# The system's own choice first (Debian's alternatives link), then well-known General MIDI fonts.
PREFERRED = (
    "default-GM.sf2",
    "default-GM.sf3",
    "FluidR3_GM.sf2",
    "MuseScore_General.sf3",
    "MuseScore_General.sf2",
    "GeneralUser GS v1.471.sf2",
    "TimGM6mb.sf2",
)
EXTENSIONS = (".sf2", ".sf3")


def _usable(p: Path) -> bool:
    try:
        return p.is_file() and p.suffix.lower() in (*EXTENSIONS, ".sfo") and p.stat().st_size > 1024
    except OSError:
        return False


def find_soundfont(setting: str | Path | None = None) -> Path | None:
    """The SoundFont to use: the setting, then $M2M_READER_SOUNDFONT, then the usual places.

    A setting or variable naming a folder is searched like the usual places.
    """
    explicit = [s for s in (setting, os.environ.get(ENV_VAR)) if s]
    for entry in explicit:
        p = Path(entry).expanduser()
        if _usable(p):
            return p.resolve()
    dirs = [Path(e).expanduser() for e in explicit] + [Path(d).expanduser() for d in SEARCH_DIRS]
    for d in dirs:
        if not d.is_dir():
            continue
        for name in PREFERRED:
            if _usable(d / name):
                return (d / name).resolve()
        try:
            found = sorted(p for p in d.iterdir() if p.suffix.lower() in EXTENSIONS and _usable(p))
        except OSError:
            continue
        if found:
            return found[0].resolve()
    return None


REFERENCE_DB = -42.0  # RMS of a reference note (velocity 100, full volume) a gain of 1 aims at
_PROBE_SECONDS = 1.0  # a beat or two: a piano's level includes some of its decay
_FLUSH_FRAMES = 8192  # longer than tinysoundfont's quick release
_DRUM_PROBE = (36, 38, 42)  # kick, snare, closed hat: the kit's level is its backbeat's


def channel_volume(gain: float, measured_db: float) -> int:
    """The MIDI channel volume (CC7) that plays an instrument measured at `measured_db` at
    `gain` times the reference level. TinySoundFont's volume curve is cubic in CC7 (60 dB
    per decade of the controller); an instrument too quiet to reach its level plays at
    full volume."""
    amp = max(gain, 1e-4) * 10 ** ((REFERENCE_DB - measured_db) / 20)
    return int(min(127, max(1, round(127 * amp ** (1 / 3)))))


class SoundFontRenderer:
    """Renders a `Score` through one SoundFont. Raises BackendUnavailable if it cannot load."""

    def __init__(self, path: str | Path, sample_rate: int = 44100) -> None:
        self.path = Path(path)
        self.sample_rate = sample_rate
        try:
            import tinysoundfont
        except ImportError as e:
            raise BackendUnavailable(
                "The SoundFont renderer needs the tinysoundfont package (pip install tinysoundfont)."
            ) from e
        self._tsf = tinysoundfont
        try:
            # One synth, loaded once: parsing a full General MIDI font (FluidR3 is 148 MB)
            # costs more than rendering a page. Renders take turns on it (the lock), and
            # each starts from silence (`_fresh`), so the same score gives the same samples.
            self._synth = tinysoundfont.Synth(samplerate=sample_rate, gain=-6.0)
            self._sfid = self._synth.sfload(str(self.path), max_voices=128)
            self._synth.program_select(0, self._sfid, 0, 0)
        except Exception as e:  # tinysoundfont raises several types for damaged files
            raise BackendUnavailable(f"The SoundFont {self.path} cannot be loaded ({e}).") from e
        self._lock = threading.Lock()
        self._levels: dict[tuple[int, bool, int], float] = {}

    def _fresh(self):  # noqa: ANN202
        """The shared synth with no voice sounding and every channel at its defaults.

        `reset` only starts a quick release on the sounding voices; rendering a moment of
        silence lets them end, so nothing of the last render reaches the next one.
        """
        synth = self._synth
        synth.soundfonts[self._sfid].reset()
        scratch = np.zeros((_FLUSH_FRAMES, 2), dtype=np.float32)
        synth.generate_simple(_FLUSH_FRAMES, memoryview(scratch.data).cast("B"))
        return synth

    def level_db(self, program: int, is_drums: bool, pitch: int) -> float:
        """RMS level (dB) of a reference note of `program` at `pitch` (drums: a backbeat hit)."""
        key = (program, is_drums, pitch)
        if key not in self._levels:
            with self._lock:
                self._levels[key] = self._measure(program, is_drums, pitch)
        return self._levels[key]

    def _measure(self, program: int, is_drums: bool, pitch: int) -> float:
        synth, sfid = self._fresh(), self._sfid
        try:
            synth.program_select(0, sfid, 0, program, is_drums=is_drums)
        except RuntimeError:
            synth.program_select(0, sfid, 0, 0, is_drums=is_drums)
        synth.control_change(0, 7, 127)
        for note in _DRUM_PROBE if is_drums else (pitch,):
            synth.noteon(0, note, 100)
        out = np.zeros((int(_PROBE_SECONDS * self.sample_rate), 2), dtype=np.float32)
        synth.generate_simple(len(out), memoryview(out.data).cast("B"))
        rms = float(np.sqrt(np.mean(out.astype(np.float64) ** 2)))
        return 20 * np.log10(rms) if rms > 1e-7 else REFERENCE_DB

    def render(self, score: Score, n_samples: int, cancel: CancelToken = NEVER) -> np.ndarray:
        """Stereo float32 audio of `n_samples` frames: the score and its ringing tails."""
        levels = {
            tr.channel: self.level_db(tr.program, tr.is_drums, (tr.low + tr.high) // 2)
            for tr in score.tracks
        }
        with self._lock:
            return self._render(score, n_samples, levels, cancel)

    def _render(
        self, score: Score, n_samples: int, levels: dict[int, float], cancel: CancelToken
    ) -> np.ndarray:
        sr = self.sample_rate
        synth, sfid = self._fresh(), self._sfid
        for tr in score.tracks:
            try:
                synth.program_select(tr.channel, sfid, 0, tr.program, is_drums=tr.is_drums)
            except RuntimeError:  # a font without this program: fall back to the piano
                synth.program_select(tr.channel, sfid, 0, 0, is_drums=tr.is_drums)
            synth.control_change(tr.channel, 7, channel_volume(tr.gain, levels[tr.channel]))
            synth.control_change(tr.channel, 10, int(round(64 + tr.pan * 63)))
        events: list[tuple[int, int, int, int, int]] = []  # (sample, on?, channel, key, velocity)
        for n in score.notes:
            ch = score.tracks[n.track].channel
            on = int(n.start * sr)
            events.append((on, 1, ch, n.pitch, n.vel))
            events.append((max(on + 1, int((n.start + n.dur) * sr)), 0, ch, n.pitch, 0))
        events.sort()  # note-offs sort before note-ons at the same sample
        out = np.zeros((n_samples, 2), dtype=np.float32)
        raw = memoryview(out.data).cast("B")
        pos = 0
        next_check = sr
        for when, on, ch, key, vel in events:
            when = min(when, n_samples)
            if when > pos:
                synth.generate_simple(when - pos, raw[pos * 8 : when * 8])
                pos = when
                if pos >= next_check:
                    cancel.check()
                    next_check = pos + sr
            if on:
                synth.noteon(ch, key, vel)
            else:
                synth.noteoff(ch, key)
        if pos < n_samples:
            synth.notes_off()
            synth.generate_simple(n_samples - pos, raw[pos * 8 :])
        return out
