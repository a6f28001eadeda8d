"""What a music backend takes and gives: a plan, a clip, a cue.

A `CueRequest` asks for one page's music; a backend answers with a `Cue`: an audio
clip with loop points on bar lines, the plan it followed, and how it joins the previous
page's music. The mixer only ever sees cues.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from ..core.cancel import CancelToken

Join = Literal["continue", "change"]


@dataclass
class MusicPlan:
    """The musical reading of a caption: what the composer commits to."""

    tempo: float = 96.0  # beats per minute
    key: str = "C"  # tonic pitch class: C, C#, D, ... B
    mode: Literal["major", "minor"] = "major"
    instruments: list[str] = field(default_factory=lambda: ["piano"])
    energy: float = 0.5  # 0 calm .. 1 intense
    texture: str = "sparse"  # e.g. sparse, flowing, dense
    feel: str = "straight"  # e.g. straight, swing, waltz, driving, rubato
    style: str = "ambient"  # e.g. ambient, jazz, orchestral, rock, lofi
    meter: int = 4  # beats per bar
    lead: str = ""  # the instrument that sings the melody, when the text names one
    articulations: list[str] = field(default_factory=list)  # staccato, legato, tremolo, ...
    colour: list[str] = field(default_factory=list)  # sound under the music: vinyl, rain

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> MusicPlan:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


@dataclass
class Clip:
    """Stereo float32 audio with a seamless loop region [loop_start, loop_end)."""

    audio: np.ndarray  # shape (n, 2), float32, in [-1, 1]
    sample_rate: int
    loop_start: int = 0
    loop_end: int = 0  # 0 means: the whole clip loops
    bar_samples: int = 0  # length of one bar, for landing changes on bar lines

    def __post_init__(self) -> None:
        if self.audio.ndim == 1:
            self.audio = np.stack([self.audio, self.audio], axis=1)
        self.audio = np.ascontiguousarray(self.audio, dtype=np.float32)
        if self.loop_end <= 0 or self.loop_end > len(self.audio):
            self.loop_end = len(self.audio)

    @property
    def seconds(self) -> float:
        return len(self.audio) / self.sample_rate


@dataclass
class CueRequest:
    page: int
    scene: int
    caption: str
    directive: str
    seconds: float  # how long the page is expected to be read
    joins: Join = "change"
    seed: int = 0
    previous: Cue | None = None  # the previous page's cue, for continuation
    # Which page of its scene this is (0 first); the composer walks the scene's form with
    # it. None: the page number stands in, so consecutive pages still move on.
    scene_page: int | None = None
    # A sudden shock on the page (a surprise spike, a large sound effect: `shock.py`):
    # a continuing page gets a stinger on its first downbeat.
    shock: bool = False


@dataclass
class Cue:
    page: int
    scene: int
    clip: Clip
    plan: MusicPlan
    joins: Join
    backend: str
    warnings: list[str] = field(default_factory=list)
    score: Any = None  # the composer's `Score` the clip was rendered from (for --midi)


class MusicBackend(Protocol):
    name: str

    def make_cue(self, request: CueRequest, cancel: CancelToken) -> Cue:
        """Make one page's music. Raises `Cancelled` when `cancel` fires."""
        ...
