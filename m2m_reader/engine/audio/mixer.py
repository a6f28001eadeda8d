"""The mixer: a deterministic function of (cues, reading events) → samples.

One mixer serves both sinks. Export schedules page turns at exact sample times
(`turn(page, at=...)`) and pulls every block into a file; live playback calls
`turn(page)` from the UI thread and pulls blocks from the audio callback. Output
depends only on the cues and the event times, never on the block sizes pulled.

Threads: `set_cue`, `turn`, `forget`, `set_volume`, `mute` and `fade_out` may be
called from any thread. They do their heavy work (resampling, fade tables) in the
caller's thread and hand a small command to the audio thread through a deque
(append/popleft are atomic in CPython); `pull` drains it at the top of each block.
`pull` holds no lock and allocates no sample buffers: it mixes into preallocated
scratch arrays with numpy `out=` operations. Cues the audio thread lets go of are
parked in a graveyard the other threads empty, so large arrays are never freed on
the audio thread.

Joins: within a scene a page turn is a short equal-power crossfade; a cue that
"continues" starts at the outgoing music's position in the bar, so the beat carries
on. At a scene change the crossfade is longer, the incoming music starts at its
beginning, and the fade length is a whole number of its bars, so the fade lands on
its bar line. Each voice loops [loop_start, loop_end) while the reader lingers.

Transitions and stingers: a composer's scene-first cue opens with a bridge into its
downbeat, which the whole-bar scene fade spans; a continuing cue with an intro carries a
stinger (`has_stinger`), played at most once per `STINGER_COOLDOWN_S` — within the
cool-down the cue starts in its loop's copy of those bars, the same music without it.

Upgrades: a new cue for the page playing now (the full cue after a quick one, or
MusicGen's after the composer's stand-in) waits for the playing cue's next bar line
(or its loop point when it has no bars), then starts from its beginning with a short
equal-power crossfade: the music changes on the beat, never mid-bar.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..music.base import Cue

TurnKind = Literal["turn", "jump"]
STINGER_COOLDOWN_S = 20.0  # at most one stinger this often (native_mixer.c has the same)
_MIN_LOOP = 2048  # shorter loop bodies are tiled up to this, to bound work per block


def equal_power_table(length: int) -> np.ndarray:
    """sin(π/2 · i/length) for i in 0..length: fade-in gains; reversed, fade-out gains.

    sin² + cos² = 1, so two uncorrelated signals crossfaded this way keep their power.
    """
    i = np.arange(length + 1, dtype=np.float64)
    return np.sin(0.5 * math.pi * i / max(length, 1)).astype(np.float32)


def has_stinger(cue: Cue) -> bool:
    """Whether the cue's intro is a one-time stinger: a composer's continuing cue with
    an intro (`composer.py`: the stinger over the loop's first bars, then the loop
    turned by those bars, so `audio[loop_end - loop_start:]` is the same music without
    it). Read from fields the cue store keeps, so a stored cue plays the same."""
    return cue.backend == "composer" and cue.joins == "continue" and cue.clip.loop_start > 0


def prepare_audio(cue: Cue, sample_rate: int, channels: int) -> tuple[np.ndarray, int, int, int]:
    """`cue` at `sample_rate` with `channels`, its loop kept seamless: (audio, loop_start,
    loop_end, samples per bar). The audio is C-contiguous float32 and ends at loop_end;
    a loop body shorter than `_MIN_LOOP` is tiled up to it."""
    clip = cue.clip
    audio = clip.audio if clip.audio.ndim == 2 else clip.audio.reshape(len(clip.audio), 1)
    ls, le = int(clip.loop_start), int(clip.loop_end)
    if not 0 <= ls < le <= len(audio):
        ls, le = 0, len(audio)
    bar = int(clip.bar_samples)
    if clip.sample_rate != sample_rate:
        # Imported only when a cue needs it (MusicGen's 32 kHz): scipy.signal costs
        # ~60 MB and a long hold of the interpreter lock, which the UI feels.
        from scipy.signal import resample_poly

        g = math.gcd(sample_rate, clip.sample_rate)
        up, down = sample_rate // g, clip.sample_rate // g
        ratio = up / down
        # pad by whole multiples of `down` input samples, so the padding maps to a
        # whole number of output samples and the body stays on the output grid
        pad = down * -(-32 // down)
        head = audio[:ls]
        if ls:  # the intro, followed by what really follows it: the loop start
            ext = np.concatenate([head, audio[ls + np.arange(pad) % (le - ls)]])
            head = resample_poly(ext, up, down, axis=0)[: round(ls * ratio)]
        # the loop body resampled circularly, so its end runs into its start
        n = le - ls
        ext = audio[ls + np.arange(-pad, n + pad) % n]
        off = pad * up // down
        body = resample_poly(ext, up, down, axis=0)[off : off + round(n * ratio)]
        audio = np.concatenate([head, body])
        ls, le = len(head), len(audio)
        bar = round(bar * ratio)
    if le - ls < _MIN_LOOP:
        reps = -(-_MIN_LOOP // (le - ls))
        audio = np.concatenate([audio[:le]] + [audio[ls:le]] * (reps - 1))
        le = len(audio)
    if channels == 1:
        audio = audio.mean(axis=1, keepdims=True)
    elif audio.shape[1] != channels:  # mono repeated, extra channels dropped
        audio = audio[:, np.arange(channels) % audio.shape[1]]
    audio = np.ascontiguousarray(audio[:le], dtype=np.float32)
    return audio, ls, le, bar


@dataclass
class PreparedCue:
    """A cue at the mixer's rate, ready for the audio thread."""

    page: int
    scene: int
    joins: str
    audio: np.ndarray  # (n, channels) float32, C-contiguous
    loop_start: int
    loop_end: int
    bar: int  # samples per bar at the mixer rate, 0 when unknown
    change_table: np.ndarray  # equal-power table for a scene change into this cue
    stinger: bool = False  # its intro is a stinger (`has_stinger`)


class _Voice:
    __slots__ = ("cue", "pos", "table", "env_pos", "env_len", "fading", "from_gain", "active")

    def __init__(self) -> None:
        self.cue: PreparedCue | None = None
        self.active = False
        self.pos = 0
        self.table: np.ndarray | None = None
        self.env_pos = 0
        self.env_len = 0
        self.fading = ""  # "", "in" or "out"
        self.from_gain = 1.0

    def gain(self) -> float:
        """The gain at the current sample."""
        if self.fading == "in":
            return float(self.table[self.env_pos])  # type: ignore[index]
        if self.fading == "out":
            return self.from_gain * float(self.table[self.env_len - self.env_pos])  # type: ignore[index]
        return 1.0


class Mixer:
    """Mixes page cues into a stream of (n, channels) float32 blocks.

    Args:
        sample_rate: output rate; cues at other rates are resampled in `set_cue`.
        channels: output channels (cues are stereo; 1 mixes them down).
        crossfade_scene_s: nominal crossfade at a scene change (rounded to whole bars).
        crossfade_page_s: crossfade between pages of one scene.
        crossfade_swap_s: crossfade when a page's cue is upgraded while it plays.
        start_fade_s: fade-in when music starts from silence.
        volume_ramp_s: how fast `set_volume` and `mute` move, to avoid clicks.
        max_block: scratch size; larger pulls are processed in pieces of this size.
        voices: voice slots (rapid turning steals the quietest).
        record_events: keep (sample, kind, page) of crossfades and loop seams in
            `events`, for export checks; off for live use.
    """

    def __init__(
        self,
        sample_rate: int = 48000,
        channels: int = 2,
        crossfade_scene_s: float = 3.0,
        crossfade_page_s: float = 0.8,
        crossfade_swap_s: float = 0.12,
        start_fade_s: float = 0.05,
        volume_ramp_s: float = 0.03,
        max_block: int = 8192,
        voices: int = 8,
        record_events: bool = False,
    ) -> None:
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.crossfade_scene = max(1, round(crossfade_scene_s * sample_rate))
        self._page_table = equal_power_table(max(1, round(crossfade_page_s * sample_rate)))
        self._swap_table = equal_power_table(max(1, round(crossfade_swap_s * sample_rate)))
        self._start_table = equal_power_table(max(1, round(start_fade_s * sample_rate)))
        self._scene_tables: dict[int, np.ndarray] = {}
        self._ramp_len = max(1, round(volume_ramp_s * sample_rate))
        self._max_block = int(max_block)
        self._buf = np.zeros((max_block, 2), np.float32)
        self._gain = np.zeros(max_block, np.float32)
        self._idx = np.arange(max_block, dtype=np.float64)
        self._ramp = np.zeros(max_block, np.float64)
        self._voices = [_Voice() for _ in range(voices)]
        self._commands: deque[tuple] = deque()
        self._graveyard: deque[PreparedCue] = deque()
        self._seq = itertools.count()
        # audio-thread state
        self._pending: list[tuple] = []  # (at, seq, command...) sorted
        self._cues: dict[int, PreparedCue] = {}
        self._clock = 0
        self._page: int | None = None
        self._lead: _Voice | None = None
        self._waiting = False
        self._volume = 1.0
        self._muted = False
        self._vol_from = self._vol_to = 1.0
        self._vol_pos = self._vol_len = 0
        self._end_pos = -1  # samples into the final fade-out; -1 when not fading
        self._end_len = 0
        self._stinger_cooldown = round(STINGER_COOLDOWN_S * self.sample_rate)
        self._last_stinger = -(1 << 62)
        self.events: list[tuple[int, str, int]] = []
        self.record_events = record_events

    # ---- any thread -------------------------------------------------------------

    def set_cue(self, page: int, cue: Cue) -> None:
        """Make `cue` page `page`'s music (resampled here, in the caller's thread)."""
        self.collect()
        self._commands.append(("cue", page, self.prepare(cue)))

    def forget(self, page: int) -> None:
        """Drop page `page`'s cue (a voice still playing it finishes its fade)."""
        self._commands.append(("forget", page))

    def turn(self, page: int, kind: TurnKind = "turn", at: int | None = None) -> None:
        """Go to page `page` at sample `at` (default: the start of the next block).

        "turn" is reading on (or back) one page; "jump" goes elsewhere: the incoming
        music starts at its beginning.
        """
        self.collect()
        self._commands.append(("turn", page, kind, at))

    def set_volume(self, volume: float) -> None:
        self._commands.append(("volume", float(max(0.0, volume))))

    def mute(self, muted: bool = True) -> None:
        self._commands.append(("mute", bool(muted)))

    def fade_out(self, seconds: float, at: int | None = None) -> None:
        """Fade everything out over `seconds` from sample `at`; silence after."""
        self._commands.append(("fade_out", max(1, round(seconds * self.sample_rate)), at))

    def collect(self) -> None:
        """Free cues the audio thread has let go of (call from any non-audio thread)."""
        self._graveyard.clear()

    @property
    def clock(self) -> int:
        """Samples pulled so far."""
        return self._clock

    @property
    def finished(self) -> bool:
        """True once the final fade-out has completed."""
        return self._end_pos >= self._end_len > 0

    def prepare(self, cue: Cue) -> PreparedCue:
        """Resample `cue` to the mixer rate keeping its loop seamless."""
        audio, ls, le, bar = prepare_audio(cue, self.sample_rate, self.channels)
        return PreparedCue(
            page=cue.page,
            scene=cue.scene,
            joins=cue.joins,
            audio=audio,
            loop_start=ls,
            loop_end=le,
            bar=bar,
            change_table=self._scene_table(bar),
            stinger=has_stinger(cue),
        )

    def set_crossfades(self, scene_s: float, page_s: float) -> None:
        """New scene-change and page-turn crossfades, from the next fade on.

        The tables are built here (not on the audio thread) and swapped in by single
        attribute assignments, which the audio thread sees whole; a fade under way keeps
        the table it started with. Cues already prepared get their scene-change table
        again (a whole number of their bars near the new length).
        """
        self.crossfade_scene = max(1, round(scene_s * self.sample_rate))
        self._page_table = equal_power_table(max(1, round(page_s * self.sample_rate)))
        for prepared in list(self._cues.values()):
            prepared.change_table = self._scene_table(prepared.bar)

    def _scene_table(self, bar: int) -> np.ndarray:
        """A scene-change fade of whole bars near the nominal length (or the nominal
        length when one bar is too long for that)."""
        length = self.crossfade_scene
        if bar > 0:
            bars = max(1, round(length / bar))
            if bars * bar <= 2 * length:
                length = bars * bar
        table = self._scene_tables.get(length)
        if table is None:
            table = self._scene_tables[length] = equal_power_table(length)
        return table

    # ---- audio thread -----------------------------------------------------------

    def pull(self, out: np.ndarray) -> None:
        """Fill `out` ((n, channels) float32) in place with the next n samples."""
        self._drain()
        n_total = len(out)
        done = 0
        while done < n_total:
            while self._pending and self._pending[0][0] <= self._clock:
                self._apply(self._pending.pop(0)[2:])
            n = min(n_total - done, self._max_block)
            if self._pending:
                n = min(n, self._pending[0][0] - self._clock)
            self._render(out[done : done + n])
            self._clock += n
            done += n

    def _drain(self) -> None:
        """Move commands from other threads into the time-ordered pending list."""
        while self._commands:
            cmd = self._commands.popleft()
            at = None
            if cmd[0] in ("turn", "fade_out"):
                cmd, at = cmd[:-1], cmd[-1]
            at = self._clock if at is None else max(int(at), self._clock)
            bisect.insort(self._pending, (at, next(self._seq), *cmd))

    def _apply(self, cmd: tuple) -> None:
        what = cmd[0]
        if what == "cue":
            _, page, prepared = cmd
            old = self._cues.get(page)
            if old is not None:
                self._graveyard.append(old)
            self._cues[page] = prepared
            if page == self._page and self._waiting:
                self._start(prepared, "turn")
            elif page == self._page and old is not None and self._lead_is(old):
                lead = self._lead
                assert lead is not None
                at = self._clock + self._to_seam(lead)
                bisect.insort(self._pending, (at, next(self._seq), "swap", page, old))
        elif what == "swap":
            # The upgrade's time has come: whatever cue the page has now replaces the
            # one that was playing, if that one still leads.
            _, page, old = cmd
            new = self._cues.get(page)
            if page == self._page and new is not None and new is not old and self._lead_is(old):
                self._start(new, "swap", self._swap_table)
        elif what == "forget":
            old = self._cues.pop(cmd[1], None)
            if old is not None:
                self._graveyard.append(old)
        elif what == "turn":
            _, page, kind = cmd
            self._page = page
            cue = self._cues.get(page)
            if cue is None:
                self._waiting = True  # the current music carries on until it arrives
            elif not self._lead_is(cue):
                self._start(cue, kind)
        elif what == "volume":
            self._volume = cmd[1]
            self._set_ramp()
        elif what == "mute":
            self._muted = cmd[1]
            self._set_ramp()
        elif what == "fade_out":
            self._end_pos, self._end_len = 0, cmd[1]

    def _lead_is(self, cue: PreparedCue) -> bool:
        lead = self._lead
        return lead is not None and lead.active and lead.fading != "out" and lead.cue is cue

    @staticmethod
    def _to_seam(v: _Voice) -> int:
        """Samples until the voice's next bar line (bars count from the cue's first
        sample) or its loop end, whichever comes first."""
        cue = v.cue
        assert cue is not None
        to_end = cue.loop_end - v.pos
        return min(to_end, (-v.pos) % cue.bar) if cue.bar > 0 else to_end

    def _set_ramp(self) -> None:
        current = self._vol_from + (self._vol_to - self._vol_from) * min(
            1.0, self._vol_pos / self._vol_len if self._vol_len else 1.0
        )
        self._vol_from = current
        self._vol_to = 0.0 if self._muted else self._volume
        self._vol_pos, self._vol_len = 0, self._ramp_len

    def _start(self, cue: PreparedCue, kind: str, fade: np.ndarray | None = None) -> None:
        """Make `cue` the lead voice; `fade` overrides the crossfade table (an upgrade
        of the playing page starts the new cue from its beginning)."""
        self._waiting = False
        lead = self._lead if self._lead is not None and self._lead.active else None
        start = 0
        if lead is None or lead.fading == "out":
            table = self._start_table if lead is None else self._page_table
            kind_event = "start"
        elif lead.cue.scene != cue.scene:  # type: ignore[union-attr]
            table = cue.change_table
            kind_event = "change"
        else:
            table = self._page_table
            kind_event = "turn"
            old = lead.cue
            if kind == "turn" and cue.joins == "continue" and cue.bar > 0 and old.bar > 0:  # type: ignore[union-attr]
                phase = (lead.pos % old.bar) / old.bar  # type: ignore[union-attr]
                start = min(int(phase * cue.bar), cue.loop_end - 1)
        if fade is not None and lead is not None:
            table, kind_event, start = fade, kind, 0
        if cue.stinger:
            # Within the cool-down the cue starts in the loop's copy of its intro bars:
            # the same music without the stinger.
            if self._clock - self._last_stinger < self._stinger_cooldown:
                start += cue.loop_end - cue.loop_start
            else:
                self._last_stinger = self._clock
        length = len(table) - 1
        for v in self._voices:
            if v.active and v.fading != "out":
                v.from_gain = v.gain()
                v.fading, v.table, v.env_pos, v.env_len = "out", table, 0, length
        voice = self._free_voice()
        voice.active, voice.cue, voice.pos = True, cue, start
        voice.fading, voice.table, voice.env_pos, voice.env_len = "in", table, 0, length
        self._lead = voice
        if self.record_events:
            self.events.append((self._clock, kind_event, cue.page))

    def _free_voice(self) -> _Voice:
        for v in self._voices:
            if not v.active:
                return v
        victim = min(self._voices, key=lambda v: v.gain())
        self._release(victim)
        return victim

    def _release(self, v: _Voice) -> None:
        if v.cue is not None:
            self._graveyard.append(v.cue)
        v.active, v.cue, v.table, v.fading = False, None, None, ""
        if v is self._lead:
            self._lead = None

    def _render(self, out: np.ndarray) -> None:
        n = len(out)
        out.fill(0.0)
        if n == 0:
            return
        ch = out.shape[1]
        buf = self._buf[:n, :ch]
        gain = self._gain[:n]
        for v in self._voices:
            if v.active:
                self._read(v, buf)
                done = self._envelope(v, gain)
                np.multiply(buf, gain[:, None], out=buf)
                np.add(out, buf, out=out)
                if done:
                    self._release(v)
        self._master(out)

    def _read(self, v: _Voice, buf: np.ndarray) -> None:
        """Copy the voice's next len(buf) samples, wrapping at its loop end."""
        cue = v.cue
        assert cue is not None
        n, filled, pos = len(buf), 0, v.pos
        while filled < n:
            take = min(n - filled, cue.loop_end - pos)
            np.copyto(buf[filled : filled + take], cue.audio[pos : pos + take, : buf.shape[1]])
            filled += take
            pos += take
            if pos >= cue.loop_end:
                pos = cue.loop_start
                if self.record_events:
                    self.events.append((self._clock + filled, "loop", cue.page))
        v.pos = pos

    def _envelope(self, v: _Voice, gain: np.ndarray) -> bool:
        """Fill the voice's gains for this block; True when it has faded out."""
        n = len(gain)
        if not v.fading:
            gain.fill(1.0)
            return False
        table = v.table
        assert table is not None
        m = min(n, v.env_len - v.env_pos)
        if v.fading == "in":
            np.copyto(gain[:m], table[v.env_pos : v.env_pos + m])
            gain[m:] = 1.0
        else:
            hi = v.env_len - v.env_pos
            np.multiply(table[hi - m + 1 : hi + 1][::-1], v.from_gain, out=gain[:m])
            gain[m:] = 0.0
        v.env_pos += m
        if v.env_pos >= v.env_len:
            if v.fading == "out":
                return True
            v.fading, v.table = "", None
        return False

    def _master(self, out: np.ndarray) -> None:
        """Master volume ramp, then the final fade-out (both linear, in place)."""
        n = len(out)
        if self._vol_pos < self._vol_len:
            m = min(n, self._vol_len - self._vol_pos)
            step = (self._vol_to - self._vol_from) / self._vol_len
            self._apply_ramp(out[:m], self._vol_pos + 1, step, self._vol_from)
            out[m:] *= self._vol_to
            self._vol_pos += m
        elif self._vol_to != 1.0:
            out *= self._vol_to
        if self._end_pos >= 0:
            m = max(0, min(n, self._end_len - self._end_pos))
            if m:
                self._apply_ramp(out[:m], self._end_pos, -1.0 / self._end_len, 1.0)
            out[m:] = 0.0
            self._end_pos += m

    def _apply_ramp(self, out: np.ndarray, k0: int, step: float, base: float) -> None:
        """out[i] *= base + step * (k0 + i), computed the same whatever the block split."""
        m = len(out)
        r = self._ramp[:m]
        np.add(self._idx[:m], k0, out=r)
        np.multiply(r, step, out=r)
        np.add(r, base, out=r)
        g = self._gain[:m]
        np.copyto(g, r, casting="same_kind")
        np.multiply(out, g[:, None], out=out)
