"""The mixer: a deterministic function of (cues, reading events) → samples.

One mixer serves both sinks. Export schedules page turns at exact sample times
(`turn(page, at=...)`) and pulls every block into a file; live playback calls
`turn(page)` from the UI thread and pulls blocks from the audio callback. Output
depends only on the cues and the event times, never on the block sizes pulled.

Threads: `set_cue`, `turn`, `forget`, `set_volume`, `mute` and `fade_out` may be
called from any thread. They do their heavy work (resampling, fade tables) in the
caller's thread and hand a small command to the audio thread through a deque
(append/popleft are atomic in CPython); `pull` drains it at the top of each block.
While no stream pulls (`pulled_by_stream` False: no sound device, paused, export's own
pulls) the sender applies its command at once, under a lock `pull` then takes too, so
a cue replaced or forgotten is let go of at once, not when a pull comes. The
stream's `pull` holds no lock and allocates no sample buffers: it mixes into
preallocated scratch arrays with numpy `out=` operations. Cues the audio thread lets go
of are parked in a graveyard the other threads empty, so large arrays are never freed
on the audio thread.

Joins: within a scene a page turn is a short equal-power crossfade; a cue that
"continues" starts at the outgoing music's position in the bar, so the beat carries
on. When both cues are stretches of the scene's one track (the music library,
`on_track`), a turn makes no new voice at all: the track goes on where it is, so no bar
is heard twice (a "continue" event). At a scene change the crossfade is longer, the incoming music starts at its
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
import threading
from collections import deque
from collections.abc import Callable
from typing import Literal

import numpy as np

from ..music.base import Cue
from .master import MasterGain
from .prepared import PreparedCue, Voice, equal_power_table, has_stinger, on_track, prepare_audio

__all__ = [
    "STINGER_COOLDOWN_S", "Mixer", "PreparedCue", "TurnKind", "equal_power_table",
    "has_stinger", "on_track", "prepare_audio",
]  # fmt: skip

TurnKind = Literal["turn", "jump"]
STINGER_COOLDOWN_S = 20.0  # at most one stinger this often (native_mixer.c has the same)


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
        self._master = MasterGain(max(1, round(volume_ramp_s * sample_rate)), int(max_block))
        self._max_block = int(max_block)
        self._buf = np.zeros((max_block, 2), np.float32)
        self._gain = np.zeros(max_block, np.float32)
        self._voices = [Voice() for _ in range(voices)]
        self._commands: deque[tuple] = deque()
        # While no stream pulls (no sound device, paused, or a caller's pulls to come),
        # commands are applied as they are sent, under this lock, which `pull` then
        # takes too: queued, every cue replaced or forgotten would stay alive until a
        # pull that may never come. `LiveOutput` sets the flag while its stream runs.
        self._lock = threading.Lock()
        self.pulled_by_stream = False
        self._graveyard: deque[PreparedCue] = deque()
        self._seq = itertools.count()
        # audio-thread state
        self._pending: list[tuple] = []  # (at, seq, command...) sorted
        self._cues: dict[int, PreparedCue] = {}
        self._clock = 0
        self._page: int | None = None
        self._lead: Voice | None = None
        self._waiting = False
        self._stinger_cooldown = round(STINGER_COOLDOWN_S * self.sample_rate)
        self._last_stinger = -(1 << 62)
        self.events: list[tuple[int, str, int]] = []
        self.record_events = record_events

    # ---- any thread -------------------------------------------------------------

    def set_cue(self, page: int, cue: Cue) -> None:
        """Make `cue` page `page`'s music (resampled here, in the caller's thread)."""
        self.collect()
        self._send(("cue", page, self.prepare(cue)))

    def forget(self, page: int) -> None:
        """Drop page `page`'s cue (a voice still playing it finishes its fade)."""
        self._send(("forget", page))

    def turn(self, page: int, kind: TurnKind = "turn", at: int | None = None) -> None:
        """Go to page `page` at sample `at` (default: the start of the next block).

        "turn" is reading on (or back) one page; "jump" goes elsewhere: the incoming
        music starts at its beginning.
        """
        self.collect()
        self._send(("turn", page, kind, at))

    def set_volume(self, volume: float) -> None:
        self._send(("volume", float(max(0.0, volume))))

    def mute(self, muted: bool = True) -> None:
        self._send(("mute", bool(muted)))

    def fade_out(self, seconds: float, at: int | None = None) -> None:
        """Fade everything out over `seconds` from sample `at`; silence after."""
        self._send(("fade_out", max(1, round(seconds * self.sample_rate)), at))

    def _send(self, cmd: tuple) -> None:
        self._commands.append(cmd)
        if not self.pulled_by_stream:
            with self._lock:
                if self.pulled_by_stream:  # a stream started meanwhile: it drains
                    return
                self._drain()
                while self._pending and self._pending[0][0] <= self._clock:
                    self._apply(self._pending.pop(0)[2:])
            self._graveyard.clear()

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
        return self._master.finished

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
            on_track=on_track(cue),
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
        if self.pulled_by_stream:  # the stream's callback: no lock on the audio thread
            self._pull(out)
            return
        with self._lock:
            self._pull(out)

    def _pull(self, out: np.ndarray) -> None:
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
            self._master.set_volume(cmd[1])
        elif what == "mute":
            self._master.set_muted(cmd[1])
        elif what == "fade_out":
            self._master.fade_out(cmd[1])

    def _lead_is(self, cue: PreparedCue) -> bool:
        lead = self._lead
        return lead is not None and lead.active and lead.fading != "out" and lead.cue is cue

    @staticmethod
    def _to_seam(v: Voice) -> int:
        """Samples until the voice's next bar line (bars count from the cue's first
        sample) or its loop end, whichever comes first."""
        cue = v.cue
        assert cue is not None
        to_end = cue.loop_end - v.pos
        return min(to_end, (-v.pos) % cue.bar) if cue.bar > 0 else to_end

    def _start(self, cue: PreparedCue, kind: str, fade: np.ndarray | None = None) -> None:
        """Make `cue` the lead voice; `fade` overrides the crossfade table (an upgrade
        of the playing page starts the new cue from its beginning)."""
        self._waiting = False
        lead = self._lead if self._lead is not None and self._lead.active else None
        start = 0
        if lead is None or lead.fading == "out":
            table = self._start_table if lead is None else self._page_table
            kind_event = "start"
        elif lead.cue is not None and lead.cue.scene != cue.scene:
            table = cue.change_table
            kind_event = "change"
        else:
            old = lead.cue
            assert old is not None
            if fade is None and kind == "turn" and cue.on_track and old.on_track:
                # One track for the whole scene (the library): it goes on where it is.
                if self.record_events:
                    self.events.append((self._clock, "continue", cue.page))
                return
            table = self._page_table
            kind_event = "turn"
            if kind == "turn" and cue.joins == "continue" and cue.bar > 0 and old.bar > 0:
                phase = (lead.pos % old.bar) / old.bar
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

    def _free_voice(self) -> Voice:
        for v in self._voices:
            if not v.active:
                return v
        victim = min(self._voices, key=lambda v: v.gain())
        self._release(victim)
        return victim

    def _release(self, v: Voice) -> None:
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
                assert v.cue is not None
                v.read(buf, self._loop_event(v.cue.page))
                done = v.envelope(gain)
                np.multiply(buf, gain[:, None], out=buf)
                np.add(out, buf, out=out)
                if done:
                    self._release(v)
        self._master.apply(out)

    def _loop_event(self, page: int) -> Callable[[int], None] | None:
        """A voice's `on_loop` when events are recorded: a loop seam at each wrap."""
        if not self.record_events:
            return None
        clock = self._clock
        return lambda filled: self.events.append((clock + filled, "loop", page))
