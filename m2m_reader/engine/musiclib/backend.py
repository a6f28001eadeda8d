"""The music library backend: a person's own tracks, picked per scene and looped.

Per scene, the ranker picks the track that fits the scene's directive best (not one
heard in the last scenes). The scene's music starts at the track's phrase start and
plays on to its loop end, then loops its loop (bar lines a whole number of phrases
apart) for as long as the reader stays. A page turn within the scene makes the mixers go
on in the track where it is (`audio.prepared.on_track`): nothing restarts and no bar is
heard twice, however long the reader stayed. Each page's own cue (page k starts k
pages' worth of whole bars in, see `locate`) is what plays when the reader jumps to
that page; `track_at` says where the music really is a given time into the scene.
Everything is on one grid of whole bars (`bar_samples`), so loop seams stay on the
beat; the loop body's last milliseconds are crossfaded into what precedes its start, so the jump
back never clicks. Scene changes crossfade on bar lines in the mixer.

Each track is brought to `TRACK_LUFS` (the export then normalises the whole mix).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable
from ..music.base import Clip, Cue, CueRequest
from ..music.plan import plan_for
from .features import TrackFeatures, decode
from .index import MusicIndex, Progress
from .pick import FeatureRanker, Ranker, choose, want_for

log = logging.getLogger(__name__)

VERSION = 1
TRACK_LUFS = -18.0
MAX_GAIN_DB = 12.0
SEAM_S = 0.012  # the crossfade that closes the loop
CACHED_TRACKS = 3


@dataclass
class LibraryCue(Cue):
    """A cue cut from a library track: which track, and where in it the clip starts."""

    track: str = ""  # relative to the music folder
    offset_s: float = 0.0  # track time of the clip's first sample


@dataclass
class _Sequence:
    """A track as it plays: `pre` (phrase start to loop start), then `body` looped."""

    pre: np.ndarray
    body: np.ndarray
    bar: int  # samples per bar
    start_s: float  # track time of pre[0]
    loop_start_s: float

    def clip_from(self, virtual: int) -> tuple[np.ndarray, int, int, float]:
        """Audio from `virtual` (a whole number of bars) to the loop end, then the body
        once more as the loop region: (audio, loop_start, loop_end, track time)."""
        n_pre, n_body = len(self.pre), len(self.body)
        if virtual < n_pre:
            head = self.pre[virtual:]
            at = self.start_s + virtual / self.rate
        else:
            w = (virtual - n_pre) % n_body
            head = self.body[w:]
            at = self.loop_start_s + w / self.rate
        audio = np.concatenate([head, self.body])
        return audio, len(head), len(audio), at

    rate: int = 48000


class LibraryBackend:
    """Music from the tracks under `music_dir` (indexed on start; see `MusicIndex`)."""

    name = "library"

    def __init__(
        self,
        music_dir: Path | str,
        ranker: Ranker | None = None,
        sample_rate: int = 48000,
        index: MusicIndex | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.sample_rate = sample_rate
        self.index = index or MusicIndex(music_dir)
        self.music_dir = self.index.music_dir
        result = self.index.scan(progress)
        self.tracks: list[TrackFeatures] = result.tracks
        self.skipped = result.skipped
        if not self.tracks:
            raise BackendUnavailable(
                f"the music folder {self.music_dir} holds no track it can read"
            )
        self.ranker: Ranker = ranker or FeatureRanker()
        self._picks: dict[int, tuple[str, str]] = {}  # scene -> (want text, track path)
        self._audio: OrderedDict[str, _Sequence] = OrderedDict()
        self._lock = threading.Lock()

    def settings_key(self) -> str:
        rk = getattr(self.ranker, "settings_key", lambda: self.ranker.name)()
        return f"library-{VERSION}:{self.music_dir}:{self.index.digest()}:{rk}:{self.sample_rate}"

    # ---- picking --------------------------------------------------------------

    def track_for_scene(self, scene: int, directive: str, caption: str = "") -> TrackFeatures:
        want = want_for(directive, caption)
        by_path = {t.path: t for t in self.tracks}
        with self._lock:
            known = self._picks.get(scene)
            if known is not None and known[0] == want.text and known[1] in by_path:
                return by_path[known[1]]
            recent = [self._picks[s][1] for s in sorted(self._picks) if scene - 3 < s < scene]
            recent += [self._picks[s][1] for s in sorted(self._picks) if scene < s < scene + 3]
            track, _ = choose(want, self.tracks, self.ranker, recent)
            self._picks[scene] = (want.text, track.path)
        return track

    # ---- audio ----------------------------------------------------------------

    def _sequence(self, t: TrackFeatures) -> _Sequence:
        with self._lock:
            seq = self._audio.get(t.path)
            if seq is not None:
                self._audio.move_to_end(t.path)
                return seq
        seq = self._load(t)
        with self._lock:
            self._audio[t.path] = seq
            while len(self._audio) > CACHED_TRACKS:
                self._audio.popitem(last=False)
        return seq

    def _grid(self, t: TrackFeatures) -> tuple[int, int, int]:
        """(samples per bar, bars in the loop, bars from phrase start to loop start) at
        the backend's rate: the track's bars made a whole number of samples."""
        sr = self.sample_rate
        n_bars = max(1, round((t.loop_end - t.loop_start) / t.bar_s))
        bar = max(1, round((t.loop_end - t.loop_start) * sr / n_bars))
        return bar, n_bars, max(0, round((t.loop_start - t.phrase_start) / (bar / sr)))

    def _load(self, t: TrackFeatures) -> _Sequence:
        sr = self.sample_rate
        bar, n_bars, pre_bars = self._grid(t)
        seam = max(1, round(SEAM_S * sr))
        start_s = max(0.0, t.loop_start - pre_bars * bar / sr)
        lead_in = min(start_s, 2 * SEAM_S)
        read_from = start_s - lead_in
        audio = decode(self.music_dir / t.path, read_from, (t.loop_end - read_from) + 0.1, sr)
        off = round(lead_in * sr)
        loop_a = off + pre_bars * bar
        body_len = n_bars * bar
        if loop_a + body_len > len(audio):  # a short read: loop what there is, in bars
            body_len = max(bar, (len(audio) - loop_a) // bar * bar)
        pre = audio[off:loop_a].copy()
        body = audio[loop_a : loop_a + body_len].copy()
        if len(body) < body_len:
            body = np.concatenate([body, np.zeros((body_len - len(body), 2), np.float32)])
        # Close the loop: the body's end fades into what comes just before its start,
        # so the jump back to the start continues the waveform.
        if loop_a >= seam:
            fade = np.linspace(0.0, 1.0, seam, dtype=np.float32)[:, None]
            body[-seam:] = body[-seam:] * (1 - fade) + audio[loop_a - seam : loop_a] * fade
        gain = 10 ** (min(MAX_GAIN_DB, TRACK_LUFS - t.lufs) / 20)
        return _Sequence(pre * gain, body * gain, bar, start_s, t.loop_start, rate=sr)

    # ---- cues -----------------------------------------------------------------

    def locate(self, request: CueRequest) -> tuple[TrackFeatures, int, float]:
        """Which track a request's cue comes from, where along the scene's sequence it
        starts (samples, whole bars) and at what time in the track. Cheap: no audio.

        Page k of a scene starts k pages' worth of whole bars in (each page taken as
        long as this one's cue), so a page's cue is the same whichever way the reader
        came to it, and the store's key for it needs nothing of the pages before."""
        track = self.track_for_scene(request.scene, request.directive, request.caption)
        bar, n_bars, pre_bars = self._grid(track)
        sr = self.sample_rate
        k = 0 if request.joins == "change" else max(0, request.scene_page or 0)
        per_page = max(1, round(request.seconds * sr) // bar) * bar
        virtual = k * per_page
        return track, virtual, self._time_in(track, virtual)

    def _time_in(self, track: TrackFeatures, virtual: int) -> float:
        """Track time `virtual` samples into the scene's sequence (phrase start, on to
        the loop end, then the loop again and again)."""
        bar, n_bars, pre_bars = self._grid(track)
        sr = self.sample_rate
        n_pre, n_body = pre_bars * bar, n_bars * bar
        if virtual < n_pre:
            return max(0.0, track.loop_start - n_pre / sr) + virtual / sr
        return track.loop_start + ((virtual - n_pre) % n_body) / sr

    def track_at(self, request: CueRequest, played_s: float) -> tuple[str, float]:
        """The request's scene's track and where in it the music is `played_s` seconds
        after the scene began: the mixers go on in the track at page turns within a
        scene, so this, not the page's own cue start, is where a page's music starts
        (export's chapters). Cheap: no audio."""
        track = self.track_for_scene(request.scene, request.directive, request.caption)
        virtual = max(0, round(played_s * self.sample_rate))
        return track.path, round(self._time_in(track, virtual), 3)

    def make_cue(self, request: CueRequest, cancel: CancelToken) -> LibraryCue:
        cancel.check()
        track, virtual, _ = self.locate(request)
        seq = self._sequence(track)
        cancel.check()
        bar, sr = seq.bar, self.sample_rate
        audio, loop_start, loop_end, at_s = seq.clip_from(virtual)
        plan, _ = plan_for(request.caption, request.directive, request.seed)
        plan.tempo = round(60.0 * 4 * sr / bar, 2)
        plan.key, plan.mode = track.key, "minor" if track.mode == "minor" else "major"
        clip = Clip(audio, sr, loop_start=loop_start, loop_end=loop_end, bar_samples=bar)
        return LibraryCue(
            page=request.page,
            scene=request.scene,
            clip=clip,
            plan=plan,
            joins=request.joins,
            backend=self.name,
            track=track.path,
            offset_s=round(at_s, 3),
        )
