"""Benchmark the soundtrack export and check what it writes.

    .venv/bin/python bench/export.py [--pages 200] [--no-sample] [--keep DIR]

Measures the composer alone (seconds of audio per second of compute, one core), the
export of the sample book (resources/sample/annotations/*.xml, through the real
command: book, built-in analysis, composer, mixer, file) and of a synthetic 200-page
book (pages with text and panels, scenes of 3-12 pages, captions in many styles).
Then reads the written files back and checks them: the longest near-silence
(10 ms windows under -60 dBFS, outside the final fade-out), clicks at every crossfade
and loop seam (the largest second difference within 2 samples of the seam over the
largest elsewhere within 200 ms; above 2 is a click), integrated loudness and true
peak (ours and ffmpeg's ebur128), and whether the music is what the plan says:
per page, tempo by librosa beat tracking (within 5%, or a factor of two) and key by
chroma against Krumhansl-Kessler profiles (the plan's key or its relative).

Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from m2m_reader.engine.audio.loudness import LoudnessMeter, TruePeakMeter  # noqa: E402
from m2m_reader.engine.core.cancel import NEVER  # noqa: E402
from m2m_reader.engine.music.base import CueRequest  # noqa: E402
from m2m_reader.engine.music.theory import key_from_chroma, pitch_class  # noqa: E402

STYLES = [
    (
        "A warm slice-of-life scene with acoustic guitar and light piano",
        [
            "gentle guitar and piano, relaxed",
            "the guitar duo continues, a little brighter",
            "soft piano takes the lead, calm and warm",
        ],
    ),
    (
        "A tense chase: pounding drums, low strings and brass, urgent",
        [
            "driving drums and brass, urgent",
            "the chase builds, relentless percussion",
            "strings surge over the drums, intense",
        ],
    ),
    (
        "A melancholy farewell for solo piano and cello, slow",
        [
            "slow piano, mournful cello",
            "the cello sings alone, sorrowful",
            "quiet piano chords, fading",
        ],
    ),
    (
        "A playful comedy with pizzicato strings and clarinet, bouncy",
        [
            "bouncy pizzicato and clarinet, playful",
            "the clarinet giggles along, light",
            "a cheeky woodwind figure, bright",
        ],
    ),
    (
        "Mysterious night scene with ambient pads and soft bells, eerie",
        ["eerie pads, slow pulse", "soft bells over a dark pad", "a hushed, uneasy drone"],
    ),
]


def composer(sample_rate: int):  # noqa: ANN201
    from m2m_reader.engine.music.composer import Composer

    return Composer(sample_rate=sample_rate, soundfont="auto")


def composer_rt_factor(sample_rate: int) -> float:
    c = composer(sample_rate)
    c.make_cue(CueRequest(0, 0, "warm piano", "calm", 4.0), NEVER)  # warm up
    audio = compute = 0.0
    for i, (directive, captions) in enumerate(STYLES * 2):
        req = CueRequest(i, i, captions[i % 3], directive, 12.0, "change", seed=i)
        t0 = time.process_time()
        cue = c.make_cue(req, NEVER)
        compute += time.process_time() - t0
        audio += cue.clip.seconds
    return audio / compute


def synthetic(n_pages: int):  # noqa: ANN201
    from test_export_support import synthetic_book

    from m2m_reader.engine.analysis.records import Analysis, PageResult, SceneResult

    book = synthetic_book(n_pages, words=20, panels=5)
    rng = np.random.default_rng(7)
    scenes: list[SceneResult] = []
    first = 0
    while first < n_pages:
        last = min(n_pages, first + int(rng.integers(3, 13))) - 1
        directive, captions = STYLES[len(scenes) % len(STYLES)]
        pages = [
            PageResult(index=i, caption=captions[(i - first) % 3]) for i in range(first, last + 1)
        ]
        scenes.append(SceneResult(len(scenes), first, last, directive=directive, pages=pages))
        first = last + 1
    return book, Analysis("Synthetic", n_pages, "scene", scenes)


def read(path: Path) -> tuple[np.ndarray, int]:
    audio, sr = sf.read(path, dtype="float32", always_2d=True)
    return audio, sr


def longest_gap_ms(audio: np.ndarray, sr: int, fade_s: float) -> float:
    audio = audio[: len(audio) - int(fade_s * sr)]
    win = sr // 100
    m = len(audio) // win
    rms = np.sqrt((audio[: m * win].reshape(m, win, -1) ** 2).mean(axis=(1, 2)))
    quiet = rms < 10 ** (-60 / 20)
    best = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        best = max(best, run)
    return best * 10.0


def click_ratios(audio: np.ndarray, sr: int, events: list[tuple[float, str, int]]) -> np.ndarray:
    """Per seam: the largest |second difference| within 2 samples of it over the
    largest elsewhere within 200 ms. A discontinuity is an isolated spike (ratio well
    over 1); a note starting on the bar line is not, its attack lasts for milliseconds."""
    mono = audio.mean(axis=1).astype(np.float64)
    d2 = np.abs(np.diff(mono, 2))
    around = int(0.2 * sr)
    out = []
    for t, _kind, _page in events:
        i = round(t * sr) - 1  # d2[k] is centred on sample k + 1
        if i < around or i + around >= len(d2):
            continue
        local = d2[i - 2 : i + 3].max()
        ctx = max(d2[i - around : i - 2].max(), d2[i + 3 : i + around].max())
        out.append(local / max(ctx, 1e-9))
    return np.asarray(out)


def ffmpeg_ebur128(path: Path) -> tuple[float | None, float | None]:
    if not shutil.which("ffmpeg"):
        return None, None
    run = subprocess.run(
        ["ffmpeg", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True,
    )  # fmt: skip
    tail = run.stderr[run.stderr.rfind("Summary") :]
    lufs = re.search(r"I:\s+(-?[\d.]+) LUFS", tail)
    peak = re.search(r"Peak:\s+(-?[\d.]+) dBFS", tail)
    return (float(lufs.group(1)) if lufs else None, float(peak.group(1)) if peak else None)


def estimate_key(mono: np.ndarray, sr: int) -> tuple[int, str]:
    import librosa

    return key_from_chroma(librosa.feature.chroma_cqt(y=mono, sr=sr, hop_length=2048).mean(axis=1))


def key_ok(plan_key: str, plan_mode: str, est: tuple[int, str]) -> bool:
    tonic = pitch_class(plan_key)
    k, mode = est
    if mode == plan_mode:
        return k == tonic
    relative = (tonic + 9) % 12 if plan_mode == "major" else (tonic + 3) % 12
    return k == relative


def tempo_ok(plan: float, est: float) -> bool:
    return any(abs(est - plan * f) <= 0.05 * plan * f for f in (0.5, 1.0, 2.0))


def plan_match(path: Path, chapters: dict) -> dict:
    import librosa

    audio, sr = read(path)
    mono = librosa.resample(audio.mean(axis=1), orig_sr=sr, target_sr=22050)
    sr = 22050
    tempo_hits = key_hits = both = n = 0
    for page in chapters["pages"]:
        skip = 3.0 if page["joins"] == "change" else 0.8  # past the crossfade
        a, b = int((page["start_s"] + skip) * sr), int(page["end_s"] * sr)
        if b - a < 4 * sr:
            continue
        seg = mono[a:b]
        tempo = float(np.atleast_1d(librosa.beat.beat_track(y=seg, sr=sr)[0])[0])
        t_ok = tempo_ok(page["plan"]["tempo"], tempo)
        k_ok = key_ok(page["plan"]["key"], page["plan"]["mode"], estimate_key(seg, sr))
        n += 1
        tempo_hits += t_ok
        key_hits += k_ok
        both += t_ok and k_ok
    return {
        "pages_checked": n,
        "tempo_match_fraction": round(tempo_hits / n, 3) if n else None,
        "key_match_fraction": round(key_hits / n, 3) if n else None,
        "plan_match_fraction": round(both / n, 3) if n else None,
    }


def checks(path: Path, chapters_path: Path, events) -> dict:  # noqa: ANN001
    chapters = json.loads(chapters_path.read_text())
    audio, sr = read(path)
    meter, peak = LoudnessMeter(sr), TruePeakMeter()
    meter.add(audio)
    peak.add(audio)
    peak.finish()
    ratios = click_ratios(audio, sr, events)
    ff_lufs, ff_peak = ffmpeg_ebur128(path)
    return {
        "duration_s": round(len(audio) / sr, 1),
        "max_silence_gap_ms": longest_gap_ms(audio, sr, chapters["fade_out_s"]),
        "seams_checked": len(ratios),
        "click_ratio_max": round(float(ratios.max()), 2) if len(ratios) else None,
        "clicks": int((ratios > 2.0).sum()),
        "integrated_lufs": round(meter.integrated(), 2),
        "true_peak_dbtp": round(peak.db, 2),
        "ffmpeg_lufs": ff_lufs,
        "ffmpeg_true_peak_dbtp": ff_peak,
        **plan_match(path, chapters),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--no-sample", action="store_true")
    ap.add_argument("--keep", type=Path, help="write the exports here instead of a temp folder")
    args = ap.parse_args()
    out_dir = args.keep or Path(tempfile.mkdtemp(prefix="m2m-bench-export-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    from m2m_reader.engine.export import export_soundtrack

    sr = 44100
    figures: dict = {"composer_rt_factor": round(composer_rt_factor(sr), 1)}
    print(f"composer: {figures['composer_rt_factor']}x real time", file=sys.stderr)

    figures["sample_export_s"] = None
    samples = sorted(glob.glob(str(ROOT / "resources/sample/annotations/*.xml")))
    if samples and not args.no_sample:
        from m2m_reader.cli import main as cli

        target = out_dir / "sample.wav"
        t0 = time.perf_counter()
        code = cli(["export", samples[0], "-o", str(target), "--no-cache", "--offline"])
        figures["sample_export_s"] = round(time.perf_counter() - t0, 1)
        if code == 0:
            chapters = target.with_name("sample.chapters.json")
            doc = json.loads(chapters.read_text())
            events = [(p["start_s"], "page", p["index"]) for p in doc["pages"][1:]]
            figures["sample"] = checks(target, chapters, events)
        print(f"sample: {figures.get('sample')}", file=sys.stderr)

    book, analysis = synthetic(args.pages)
    target = out_dir / f"synthetic{args.pages}.wav"
    t0 = time.perf_counter()
    result = export_soundtrack(book, analysis, composer(sr), target, sample_rate=sr)
    figures[f"export_{args.pages}_pages_s"] = round(time.perf_counter() - t0, 1)
    figures["export_timings_s"] = {k: round(v, 1) for k, v in result.timings.items()}
    figures["synthetic"] = checks(target, result.chapters_path, result.events)
    print(f"synthetic: {figures['synthetic']}", file=sys.stderr)
    s = figures["synthetic"]
    for key in ("max_silence_gap_ms", "integrated_lufs", "true_peak_dbtp", "plan_match_fraction"):
        figures[key] = s[key]
    figures["click_ratio_max"] = s["click_ratio_max"]
    if not args.keep:
        shutil.rmtree(out_dir, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
