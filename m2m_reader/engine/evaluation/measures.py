"""What an exported soundtrack is, measured: per page, per seam, against a truth.

Everything here reads the export's audio and its chapters JSON (`NAME.chapters.json`:
pages with start and end times, captions, plans, scenes with directives); a truth file
adds the book's real scenes and their moods (see docs/evaluate.md for its format). The
audio is analysed mono at `SR`. The figures and their limits are in docs/evaluate.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..musiclib import dsp
from ..musiclib.features import (
    PITCHES,
    _key,
    mood,
    short_term_loudness,
)
from ..musiclib.pick import want_for
from .frames import HOP, SR, Frames, frames_over, page_excerpt, read_soundtrack

SEAM_WINDOW_S = 1.5
FADE_SCENE_S = 3.0  # export's default crossfades: measure after them
FADE_PAGE_S = 0.8

# Mood words of a truth scene (or a directive) -> KangaiSet's emotion classes.
EMOTION_WORDS: list[tuple[str, str]] = [
    (r"ang|fury|furious|rage|battle|fight|fierce", "anger"),
    (r"fear|scar|dread|terr|chase|tense|suspense|horror|panic|danger", "fear"),
    (r"sad|sorrow|grief|parting|farewell|tear|melanchol|lonel|loss|mourn", "sadness"),
    (r"surpris|shock|sudden", "surprise"),
    (r"disgust|revuls", "disgust"),
    (r"happ|joy|comed|fun|play|hope|bright|cheer|triumph|uplift|warm", "happiness"),
    (r"calm|peace|quiet|morning|gentle|serene|still|neutral|everyday", "neutral"),
]


def emotion_of_text(text: str) -> str:
    """The emotion class a mood text names first (neutral when it names none)."""
    low = text.lower()
    hits = [(m.start(), name) for pat, name in EMOTION_WORDS if (m := re.search(pat, low))]
    return min(hits)[1] if hits else "neutral"


@dataclass
class PageMeasure:
    index: int
    scene: int
    start_s: float
    end_s: float
    tempo: float
    key: str
    mode: str
    plan_tempo: float | None
    plan_key: str | None
    plan_mode: str | None
    tempo_match: bool
    key_match: str  # "same", "relative", "other" or "" (no plan key)
    lufs: float
    arousal: float
    valence: float
    intended_arousal: float
    intended_valence: float
    track: str | None = None
    emotion: str = "neutral"  # what the page's music was asked to carry
    clap: float | None = None


@dataclass
class Seam:
    at_s: float
    page: int  # the page that starts here
    kind: str  # "scene" or "page"
    level_step_db: float
    spectral_distance: float
    chroma_distance: float
    click_ratio: float  # the largest sample step at the turn over the music's own 99.9th


@dataclass
class Evaluation:
    title: str
    duration_s: float
    integrated_lufs: float
    lra: float
    loudness_curve: list[tuple[float, float]]  # (seconds, short-term LUFS)
    pages: list[PageMeasure]
    seams: list[Seam]
    similarity: np.ndarray  # page x page cosine similarity of the music
    repetition: dict[str, Any]
    truth: dict[str, Any] | None = None  # boundary P/R/F1, emotion accuracy, scene fit
    notes: list[str] = field(default_factory=list)  # what was skipped, and why
    fad: float | None = None
    timings: dict[str, float] = field(default_factory=dict)


def load_audio(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    try:
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError):
        from ..musiclib.features import decode

        return decode(path, 0.0, None, 48000), 48000
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    return audio[:, :2], rate


def _lufs(steps: np.ndarray, a_s: float, b_s: float) -> float:
    """Ungated K-weighted loudness of [a_s, b_s) from the 100 ms steps of the whole
    soundtrack (for pages and level steps)."""
    part = steps[max(0, int(round(a_s * 10))) : max(0, int(round(b_s * 10)))]
    if not len(part):
        return -70.0
    return float(-0.691 + 10 * math.log10(max(float(part.mean()), 1e-12)))


def tempo_matches(found: float, plan: float, tolerance: float = 0.06) -> bool:
    """Within `tolerance` of the plan's tempo, or of its double or half."""
    return any(abs(found / (plan * k) - 1) <= tolerance for k in (0.5, 1.0, 2.0))


def key_relation(key: str, mode: str, plan_key: str, plan_mode: str) -> str:
    if key == plan_key and mode == plan_mode:
        return "same"
    try:
        a, b = PITCHES.index(key), PITCHES.index(plan_key)
    except ValueError:
        return "other"
    if mode != plan_mode and (b - a) % 12 == (3 if mode == "major" else 9):
        return "relative"
    return "other"


def boundary_scores(pred: list[int], true: list[int], tolerance: int = 1) -> dict[str, float]:
    """Precision, recall and F1 of scene starts (page 0 left out), matched one-to-one
    within `tolerance` pages."""
    p = sorted(s for s in set(pred) if s > 0)
    t = sorted(s for s in set(true) if s > 0)
    used: set[int] = set()
    hits = 0
    for s in p:
        match = next((x for x in t if x not in used and abs(x - s) <= tolerance), None)
        if match is not None:
            used.add(match)
            hits += 1
    precision = hits / len(p) if p else (1.0 if not t else 0.0)
    recall = hits / len(t) if t else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _cos_distance(a: np.ndarray, b: np.ndarray) -> float:
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na < 1e-9 or nb < 1e-9:
        return 0.0 if na < 1e-9 and nb < 1e-9 else 1.0
    return float(1 - a @ b / (na * nb))


def evaluate(
    audio_path: Path, chapters: dict[str, Any], truth: dict[str, Any] | None = None,
    analysis: dict[str, Any] | None = None,
) -> Evaluation:  # fmt: skip
    """Measure the soundtrack at `audio_path` against its `chapters` (and `truth`)."""
    import time

    t0 = time.perf_counter()
    track = read_soundtrack(audio_path)
    y = track.mono
    spans = [page_excerpt(p["start_s"], p["end_s"]) for p in chapters["pages"]]
    for prev, p in zip(chapters["pages"][:-1], chapters["pages"][1:], strict=False):
        spans += seam_windows(prev, p)[1:]
    with dsp.one_blas_thread():
        fr = frames_over(y, spans)
    timings = {"decode_features_s": time.perf_counter() - t0}

    steps = track.steps  # K-weighted mean square per 100 ms
    integrated = track.integrated_lufs
    short = short_term_loudness(np.zeros((0, 2)), track.rate, steps=steps)
    curve = [(float(i + 3.0), float(v)) for i, v in enumerate(short)]  # window ends
    loud = short[short > -70]
    lra = float(np.percentile(loud, 95) - np.percentile(loud, 10)) if len(loud) > 2 else 0.0

    page_emotions = _analysis_emotions(analysis)
    scenes = {s["index"]: s for s in chapters.get("scenes", [])}
    pages: list[PageMeasure] = []
    vectors = []
    for p, (ea, eb) in zip(chapters["pages"], spans, strict=False):
        a, b = fr.frame(ea), fr.frame(eb)
        b = max(b, a + 8)
        seg_onsets = fr.onset[a:b]
        tempo = dsp.tempo(seg_onsets, SR, HOP) if len(seg_onsets) > 16 else 0.0
        key, mode, strength = _key(fr.chroma[:, a:b].mean(axis=1))
        lufs = _lufs(steps, p["start_s"], p["end_s"])
        n_onsets = dsp.onset_count(seg_onsets, SR, HOP)
        seconds = max(0.1, (b - a) * HOP / SR)
        bright = float(np.average(fr.centroid[a:b], weights=fr.rms[a:b] + 1e-9) / (SR / 2))
        arousal, valence = mood(tempo or 100.0, n_onsets / seconds, lufs, bright, mode, strength)
        plan = p.get("plan", {})
        directive = scenes.get(p["scene"], {}).get("directive", "")
        want = want_for(directive, p.get("caption", ""))
        plan_tempo, plan_key, plan_mode = plan.get("tempo"), plan.get("key"), plan.get("mode")
        pages.append(
            PageMeasure(
                index=p["index"], scene=p["scene"], start_s=p["start_s"], end_s=p["end_s"],
                tempo=round(tempo, 1), key=key, mode=mode,
                plan_tempo=plan_tempo, plan_key=plan_key, plan_mode=plan_mode,
                tempo_match=bool(plan_tempo and tempo and tempo_matches(tempo, plan_tempo)),
                key_match=key_relation(key, mode, plan_key, plan_mode or "major") if plan_key else "",
                lufs=round(lufs, 2), arousal=round(arousal, 3), valence=round(valence, 3),
                intended_arousal=round(want.arousal, 3), intended_valence=round(want.valence, 3),
                track=p.get("track"),
                emotion=page_emotions.get(p["index"]) or emotion_of_text(f"{directive} {p.get('caption', '')}"),
            )
        )  # fmt: skip
        c = fr.chroma[:, a:b].mean(axis=1)
        m = fr.mfcc[1:, a:b].mean(axis=1)
        v = np.concatenate([c / (np.linalg.norm(c) + 1e-9), m / (np.linalg.norm(m) + 1e-9)])
        vectors.append(v / (np.linalg.norm(v) + 1e-9))
    timings["pages_s"] = time.perf_counter() - t0 - timings["decode_features_s"]

    seams = _seams(chapters, steps, y, fr)
    sim = np.array(vectors) @ np.array(vectors).T if vectors else np.zeros((0, 0))
    repetition = _repetition(pages, sim)
    ev = Evaluation(
        title=chapters.get("title") or audio_path.stem,
        duration_s=track.duration_s,
        integrated_lufs=integrated,
        lra=lra,
        loudness_curve=curve,
        pages=pages,
        seams=seams,
        similarity=sim,
        repetition=repetition,
        timings=timings,
    )
    if truth is not None:
        ev.truth = score_truth(pages, chapters, truth)
    return ev


def _analysis_emotions(analysis: dict[str, Any] | None) -> dict[int, str]:
    """Page -> dominant emotion from an analysis.json, when one is given."""
    if not analysis:
        return {}
    out = {}
    for scene in analysis.get("scenes", []):
        for p in scene.get("pages", []):
            emo = p.get("emotions") or {}
            if emo:
                out[int(p["index"])] = max(emo, key=lambda e: emo[e])
    return out


def seam_windows(
    prev: dict[str, Any], p: dict[str, Any]
) -> tuple[str, tuple[float, float], tuple[float, float]]:
    """A seam's kind and the windows (seconds) before it and after its crossfade."""
    t, w = p["start_s"], SEAM_WINDOW_S
    kind = "scene" if p["scene"] != prev["scene"] else "page"
    fade = FADE_SCENE_S if kind == "scene" else FADE_PAGE_S
    before = (max(0.0, t - w), t)
    after = (t + fade, t + fade + w)
    if after[1] > p["end_s"] + fade:  # a short page: what there is of it
        after = (t + fade, max(t + fade + 0.2, p["end_s"]))
    return kind, before, after


def _seams(chapters: dict[str, Any], steps: np.ndarray, y: np.ndarray, fr: Frames) -> list[Seam]:
    out = []
    pages = chapters["pages"]
    for prev, p in zip(pages[:-1], pages[1:], strict=False):
        t = p["start_s"]
        kind, before, after = seam_windows(prev, p)
        step = _lufs(steps, *after) - _lufs(steps, *before)
        fa = slice(fr.frame(before[0]), fr.frame(before[1]))
        fb = slice(fr.frame(after[0]), fr.frame(after[1]))
        spec_d = _cos_distance(
            10 ** (fr.mel_db[:, fa].mean(axis=1) / 10), 10 ** (fr.mel_db[:, fb].mean(axis=1) / 10)
        )
        chroma_d = _cos_distance(fr.chroma[:, fa].mean(axis=1), fr.chroma[:, fb].mean(axis=1))
        i = int(t * SR)
        around = np.abs(np.diff(y[max(0, i - SR // 20) : i + SR // 20]))
        body = np.abs(np.diff(y[max(0, i - 2 * SR) : i + 2 * SR]))
        ref = float(np.percentile(body, 99.9)) if len(body) else 0.0
        click = float(around.max() / ref) if len(around) and ref > 1e-6 else 0.0
        out.append(Seam(round(t, 3), p["index"], kind, round(step, 2), round(spec_d, 4),
                        round(chroma_d, 4), round(click, 2)))  # fmt: skip
    return out


def _repetition(pages: list[PageMeasure], sim: np.ndarray) -> dict[str, Any]:
    """How much the music repeats: tracks used in more than one scene, and page pairs
    in different scenes whose music is near-identical (cosine ≥ 0.98)."""
    by_track: dict[str, set[int]] = {}
    for p in pages:
        if p.track:
            by_track.setdefault(p.track, set()).add(p.scene)
    reused = {t: sorted(s) for t, s in by_track.items() if len(s) > 1}
    pairs = close = 0
    for i in range(len(pages)):
        for j in range(i + 1, len(pages)):
            if pages[i].scene != pages[j].scene:
                pairs += 1
                close += bool(sim[i, j] >= 0.98)
    return {
        "tracks": len(by_track),
        "tracks_in_several_scenes": reused,
        "cross_scene_pairs": pairs,
        "near_identical_cross_scene_share": round(close / pairs, 3) if pairs else 0.0,
    }


def score_truth(
    pages: list[PageMeasure], chapters: dict[str, Any], truth: dict[str, Any]
) -> dict[str, Any]:
    """Scene-boundary P/R/F1, page emotion accuracy and scene fit against a truth."""
    true_scenes = truth.get("scenes", [])
    pred_starts = [s["first_page"] for s in chapters.get("scenes", [])]
    true_starts = [s["first_page"] for s in true_scenes]
    result: dict[str, Any] = {"boundaries": boundary_scores(pred_starts, true_starts),
                              "true_starts": true_starts, "predicted_starts": pred_starts}  # fmt: skip

    def true_scene(page: int) -> dict[str, Any] | None:
        return next((s for s in true_scenes if s["first_page"] <= page <= s["last_page"]), None)

    explicit = {int(p["index"]): p["emotion"] for p in truth.get("page_emotions", [])}
    pairs = []
    for p in pages:
        s = true_scene(p.index)
        label = explicit.get(p.index) or (
            s and (s.get("emotion") or emotion_of_text(s.get("mood", "")))
        )
        if label:
            pairs.append((p.emotion, label))
    result["emotion_accuracy"] = (
        round(sum(a == b for a, b in pairs) / len(pairs), 3) if pairs else None
    )
    result["emotion_pairs"] = len(pairs)
    # Scene fit: does each true scene's music sound more like its own mood than like
    # the other scenes' moods (arousal and valence of the audio against each mood's)?
    moods = []
    for s in true_scenes:
        text = s.get("mood", "") or s.get("emotion", "")
        w = want_for(text)
        moods.append((w.arousal, w.valence))
    fits = []
    for k, s in enumerate(true_scenes):
        on = [p for p in pages if s["first_page"] <= p.index <= s["last_page"]]
        if not on or not moods:
            continue
        a = float(np.mean([p.arousal for p in on]))
        v = float(np.mean([p.valence for p in on]))
        nearest = min(range(len(moods)), key=lambda j: math.dist((a, v), moods[j]))
        fits.append({"scene": k, "mood": s.get("mood", ""), "arousal": round(a, 3),
                     "valence": round(v, 3), "fits": nearest == k or moods[nearest] == moods[k],
                     "tracks": sorted({p.track for p in on if p.track})})  # fmt: skip
    result["scene_fit"] = fits
    result["scenes_fitting"] = sum(f["fits"] for f in fits)
    return result
