"""What a track sounds like, from a bounded excerpt: tempo, beats, key, loudness, mood.

Only `EXCERPT_S` seconds from about a third of the way in are decoded and analysed, so
indexing costs the same for a 3-minute song and a 20-minute suite. The numbers:

- tempo and beat grid: the onset envelope's autocorrelation (librosa's estimate) and
  Ellis's dynamic-programming beat tracker (`dsp`); the downbeat is the beat phase (of
  four) with the strongest onsets; bars are four beats.
- key and mode: the excerpt's mean chroma against the Krumhansl–Kessler profiles.

All in numpy (`dsp`): librosa, numba and its compiled beat tracker cost seconds of CPU
just to import, more than analysing a dozen tracks; librosa is only a decoder of last
resort (`decode`).
- loudness (BS.1770 integrated, LUFS) and loudness range (LU, 10th to 95th percentile of
  3 s short-term loudness), with the project's own meter.
- brightness: the mean spectral centroid over half the sample rate (0..1).
- onset density: onsets per second.
- arousal and valence (0..1): a weighted reading of the above (see `mood`); a guess that
  ranks tracks well enough for picking, not a model of emotion.
- loop points: two bar lines a whole number of 4-bar phrases apart whose bars sound most
  alike (chroma and timbre); the playing side crossfades a few milliseconds across the
  seam, so the loop never clicks. The phrase start is the 4-bar line where the level
  rises most, where music is meant to begin.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..audio.loudness import LoudnessMeter, k_weighting
from ..music.theory import key_and_strength
from . import dsp

ANALYSIS_SR = 22050
EXCERPT_S = 30.0
HOP = 512
BEATS_PER_BAR = 4
PHRASE_BARS = 4
MIN_LOOP_BARS = 8
FEATURES_VERSION = 3

PITCHES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


class UnreadableTrack(Exception):
    """A file that no decoder present can read."""


@dataclass
class TrackFeatures:
    path: str  # relative to the music folder, with / separators
    duration: float
    tempo: float
    beats: list[float]  # beat times in the excerpt, seconds from the track's start
    downbeat: int  # index into `beats` of the first downbeat
    key: str
    mode: str  # major or minor
    key_strength: float  # correlation with the best key profile (-1..1)
    lufs: float
    lra: float
    brightness: float
    onset_density: float
    arousal: float
    valence: float
    loop_start: float  # seconds, on a bar line
    loop_end: float  # seconds, on a bar line a whole number of phrases later
    loop_score: float  # similarity of the bars either side of the seam (0..1)
    phrase_start: float  # where music starts when the track is picked
    excerpt: list[float] = field(default_factory=list)  # [start, end] analysed, seconds

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrackFeatures:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})

    @property
    def bar_s(self) -> float:
        return BEATS_PER_BAR * 60.0 / self.tempo


def warm() -> None:
    """Run the analysis once on a few seconds of noise, so worker processes forked after
    this share what it imports and builds (filterbanks, scipy's filters) from the start."""
    import tempfile

    import soundfile as sf

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warm.wav"
        sf.write(
            path, (0.1 * rng.standard_normal((ANALYSIS_SR * 4, 2))).astype(np.float32), ANALYSIS_SR
        )
        try:
            analyse(path, "warm.wav")
        except UnreadableTrack:
            pass


def track_duration(path: Path) -> float:
    import soundfile as sf

    try:
        info = sf.info(str(path))
        return info.frames / info.samplerate
    except (RuntimeError, sf.LibsndfileError, OSError):
        pass
    try:
        import audioread

        with audioread.audio_open(str(path)) as f:
            return float(f.duration)
    except Exception as exc:  # noqa: BLE001 - every decoder failure is the same to us
        raise UnreadableTrack(f"no decoder reads it ({type(exc).__name__})") from None


def decode(path: Path, start_s: float, seconds: float | None, sr: int) -> np.ndarray:
    """(n, 2) float32 at `sr` from `start_s` for `seconds` (None: to the end).

    libsndfile reads WAV, FLAC, Ogg and MP3 and seeks without decoding what it skips;
    anything else (M4A/AAC) goes through audioread (ffmpeg or GStreamer)."""
    import soundfile as sf

    try:
        with sf.SoundFile(str(path)) as f:
            rate = f.samplerate
            f.seek(min(int(start_s * rate), max(f.frames - 1, 0)))
            frames = -1 if seconds is None else int(seconds * rate)
            audio = f.read(frames, dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError, OSError):
        try:
            import librosa

            mono_or_stereo, rate = librosa.load(
                str(path), sr=None, mono=False, offset=start_s, duration=seconds
            )
        except Exception as exc:  # noqa: BLE001
            raise UnreadableTrack(f"no decoder reads it ({type(exc).__name__})") from None
        audio = np.atleast_2d(mono_or_stereo).T.astype(np.float32)
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    audio = audio[:, :2]
    if rate != sr and len(audio):
        import soxr

        audio = soxr.resample(audio, rate, sr).astype(np.float32)
    return np.ascontiguousarray(audio, dtype=np.float32)


def excerpt_window(duration: float) -> tuple[float, float]:
    if duration <= EXCERPT_S:
        return 0.0, duration
    start = min(duration * 0.3, duration - EXCERPT_S)
    return start, start + EXCERPT_S


def analyse(path: Path, rel: str) -> TrackFeatures:
    """The features of the track at `path`. Raises `UnreadableTrack`."""
    duration = track_duration(path)
    a, b = excerpt_window(duration)
    stereo = decode(path, a, b - a, ANALYSIS_SR)
    if len(stereo) < ANALYSIS_SR * 2:
        raise UnreadableTrack("shorter than two seconds")
    y = stereo.mean(axis=1)
    if not np.isfinite(y).all() or float(np.abs(y).max()) < 1e-4:
        raise UnreadableTrack("silent or damaged audio")
    sr = ANALYSIS_SR
    power = dsp.stft_power(y, HOP)
    spec = np.sqrt(power)
    onset_env = dsp.onset_strength(power, HOP)
    tempo = dsp.tempo(onset_env, sr, HOP) or 100.0
    beat_frames = dsp.beat_frames(onset_env, tempo, sr, HOP)
    tempo = _fold_tempo(tempo)
    if len(beat_frames) < 2 * BEATS_PER_BAR:  # no beat found: a grid at the tempo
        beat_frames = np.arange(0, spec.shape[1], 60.0 / tempo * sr / HOP).astype(int)
    beat_times = beat_frames * (HOP / sr)
    downbeat = _downbeat(onset_env, beat_frames)

    chroma = dsp.chroma(power, sr)
    key, mode, strength = _key(chroma.mean(axis=1))
    lufs, lra = _loudness(stereo, sr)
    centroid = dsp.centroid(power, sr)
    rms = np.sqrt(power.sum(axis=0))  # relative: only compared with itself
    brightness = float(np.average(centroid, weights=rms + 1e-9) / (sr / 2))
    density = dsp.onset_count(onset_env, sr, HOP) / (len(y) / sr)
    arousal, valence = mood(tempo, density, lufs, brightness, mode, strength)

    mfcc = dsp.mfcc(dsp.to_db(dsp.mel_filters(sr) @ power))
    bars = beat_frames[downbeat::BEATS_PER_BAR]
    loop_a, loop_b, loop_score = _loop(bars, chroma, mfcc)
    phrase = _phrase_start(bars, rms, loop_a)

    def t(frame: int) -> float:
        return round(a + frame * HOP / sr, 4)

    return TrackFeatures(
        path=rel,
        duration=round(duration, 3),
        tempo=round(tempo, 2),
        beats=[round(a + float(x), 4) for x in beat_times],
        downbeat=int(downbeat),
        key=key,
        mode=mode,
        key_strength=round(strength, 3),
        lufs=round(lufs, 2),
        lra=round(lra, 2),
        brightness=round(brightness, 4),
        onset_density=round(density, 3),
        arousal=round(arousal, 3),
        valence=round(valence, 3),
        loop_start=t(loop_a),
        loop_end=t(loop_b),
        loop_score=round(loop_score, 3),
        phrase_start=t(phrase),
        excerpt=[round(a, 3), round(b, 3)],
    )


def _fold_tempo(tempo: float) -> float:
    while tempo > 180:
        tempo /= 2
    while tempo < 55:
        tempo *= 2
    return tempo


def _downbeat(onset_env: np.ndarray, beats: np.ndarray) -> int:
    """The beat phase (0..3) whose beats carry the most onset strength."""
    strength = onset_env[np.clip(beats, 0, len(onset_env) - 1)]
    phases = [strength[p::BEATS_PER_BAR].mean() if len(strength[p::BEATS_PER_BAR]) else 0.0
              for p in range(BEATS_PER_BAR)]  # fmt: skip
    return int(np.argmax(phases))


def _key(chroma_mean: np.ndarray) -> tuple[str, str, float]:
    tonic, mode, strength = key_and_strength(chroma_mean)
    return PITCHES[tonic], mode, strength


def _loudness(stereo: np.ndarray, sr: int) -> tuple[float, float]:
    """Integrated loudness and loudness range, from one K-weighted pass."""
    steps = loudness_steps(stereo, sr)
    lufs = integrated_from_steps(steps, sr, 2)
    short = short_term_loudness(stereo, sr, steps=steps)
    short = short[short > -70]
    lra = float(np.percentile(short, 95) - np.percentile(short, 10)) if len(short) > 2 else 0.0
    return (lufs if math.isfinite(lufs) else -70.0), lra


def loudness_steps(audio: np.ndarray, sr: int) -> np.ndarray:
    """K-weighted mean square (summed over channels) per 100 ms step (BS.1770), as
    `LoudnessMeter` keeps them, in one vectorised pass over a whole signal."""
    from scipy.signal import sosfilt

    x = audio if audio.ndim == 2 else audio[:, None]
    y = sosfilt(k_weighting(sr).astype(np.float32), np.ascontiguousarray(x.T, np.float32), axis=-1)
    sq = np.square(y, dtype=np.float64).sum(axis=0)
    step = round(0.1 * sr)
    n = len(sq) // step
    return sq[: n * step].reshape(n, step).mean(axis=1)


def integrated_from_steps(steps: np.ndarray, sr: int, channels: int) -> float:
    """Gated integrated loudness (LUFS) from `loudness_steps`."""
    meter = LoudnessMeter(sr, channels)
    meter._steps = list(steps)
    return meter.integrated()


def short_term_loudness(
    audio: np.ndarray, sr: int, window_s: float = 3.0, step_s: float = 1.0,
    steps: np.ndarray | None = None,
) -> np.ndarray:  # fmt: skip
    """Loudness (LUFS) of `window_s` windows every `step_s` (BS.1770 K-weighted);
    `steps` from `loudness_steps` when already measured."""
    steps = loudness_steps(audio, sr) if steps is None else steps
    per = max(1, round(window_s / 0.1))
    hop = max(1, round(step_s / 0.1))
    if len(steps) < per:
        return np.array([])
    z = np.convolve(steps, np.ones(per) / per, mode="valid")[::hop]
    with np.errstate(divide="ignore"):
        return -0.691 + 10 * np.log10(np.maximum(z, 1e-12))


def mood(
    tempo: float, density: float, lufs: float, brightness: float, mode: str, strength: float
) -> tuple[float, float]:
    """Arousal and valence (0..1) from tempo, onsets, level, brightness and mode."""

    def unit(x: float, lo: float, hi: float) -> float:
        return min(1.0, max(0.0, (x - lo) / (hi - lo)))

    # Tempo counts least: beat trackers often halve or double slow music's tempo.
    arousal = (
        0.15 * unit(tempo, 60, 160)
        + 0.35 * unit(density, 0.5, 6.0)
        + 0.3 * unit(lufs, -30, -10)
        + 0.2 * unit(brightness, 0.04, 0.25)
    )
    sure = unit(strength, 0.2, 0.8)
    valence = (
        0.5 + (0.3 if mode == "major" else -0.3) * (0.4 + 0.6 * sure)
        + 0.2 * (unit(brightness, 0.04, 0.25) - 0.5)
        + 0.1 * (unit(tempo, 60, 160) - 0.5)
    )  # fmt: skip
    return arousal, min(1.0, max(0.0, valence))


def _bar_vectors(bars: np.ndarray, chroma: np.ndarray, mfcc: np.ndarray) -> np.ndarray:
    """One unit vector of chroma and timbre per bar (between consecutive bar lines)."""
    vecs = []
    for s, e in zip(bars[:-1], bars[1:], strict=False):
        e = max(e, s + 1)
        c = chroma[:, s:e].mean(axis=1)
        m = mfcc[1:, s:e].mean(axis=1)
        v = np.concatenate([c / (np.linalg.norm(c) + 1e-9), 0.5 * m / (np.linalg.norm(m) + 1e-9)])
        vecs.append(v / (np.linalg.norm(v) + 1e-9))
    return np.array(vecs)


def _loop(bars: np.ndarray, chroma: np.ndarray, mfcc: np.ndarray) -> tuple[int, int, float]:
    """(start frame, end frame, score): bar lines i < j, (j - i) a whole number of
    phrases of at least MIN_LOOP_BARS, where the two bars after i and after j sound most
    alike (longer loops win ties). Falls back to the whole excerpt's bars."""
    n_frames = chroma.shape[1]
    if len(bars) < 3:
        return 0, n_frames - 1, 0.0
    vec = _bar_vectors(bars, chroma, mfcc)
    best = (-1.0, 0, len(bars) - 1)
    shortest = MIN_LOOP_BARS if len(vec) > MIN_LOOP_BARS else PHRASE_BARS  # slow music
    for i in range(len(vec)):
        for j in range(i + shortest, len(vec), PHRASE_BARS):
            span = min(2, len(vec) - j)
            sim = float(np.mean([vec[i + k] @ vec[j + k] for k in range(span)]))
            sim += 0.002 * (j - i)  # a longer loop repeats less often
            if sim > best[0]:
                best = (sim, i, j)
    if best[0] < 0:  # too few bars for a phrase loop: loop the bars there are
        return int(bars[0]), int(bars[-1]), 0.0
    return int(bars[best[1]]), int(bars[best[2]]), min(1.0, max(0.0, best[0]))


def _phrase_start(bars: np.ndarray, rms: np.ndarray, loop_start: int) -> int:
    """The 4-bar line at or before the loop start where the level rises most."""
    lines = [int(b) for b in bars[::PHRASE_BARS] if b <= loop_start] or [int(bars[0])]
    if len(lines) == 1:
        return lines[0]

    def rise(f: int) -> float:
        before = rms[max(0, f - 40) : f].mean() if f > 0 else 0.0
        return float(rms[f : f + 40].mean() - before)

    return max(lines, key=rise)
