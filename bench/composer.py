"""Benchmark the built-in composer: speed with and without the SoundFont, and whether the
audio says what the plan says (tempo and key estimated back with librosa).

    .venv/bin/python bench/composer.py [--pages N] [--no-check]

Prints one JSON object on its last line: composer_rt_factor (SoundFont, or the synth when
none is installed), composer_rt_factor_synth, composer_rt_factor_soundfont, and with the
check tempo_match, key_match, plan_match (shares of pages).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from m2m_reader.engine.core.cancel import CancelToken  # noqa: E402
from m2m_reader.engine.music.base import CueRequest  # noqa: E402
from m2m_reader.engine.music.composer import Composer  # noqa: E402
from m2m_reader.engine.music.theory import PITCH_NAMES  # noqa: E402

CAPTIONS = [
    "Ethereal orchestral piece with soft piano undertones, interlaced with melancholic violin solos",
    "A playful jazz ensemble with walking bass, brisk 140 BPM in B-flat major",
    "A tense chase with pounding drums and brass, urgent and driving",
    "Calm lofi beat with mellow electric piano and soft drums",
    "A frantic rock track with distorted guitars, bass and drums",
    "A gentle waltz on a music box, tender and warm",
    "Upbeat electronic synthwave with arpeggiated synths",
    "Sad, lonely solo piano, slow and reflective",
    "Heroic orchestral theme with horns and strings, building to a climax",
    "Whimsical folk tune on acoustic guitar and flute",
    "Mysterious ambient pads with a slow pulse, eerie and quiet",
    "Cheerful pop with piano, bass and drums, bright and lively",
]

# Krumhansl–Kessler key profiles.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def estimate_key(mono: np.ndarray, sr: int) -> tuple[int, str]:
    import librosa

    chroma = librosa.feature.chroma_stft(y=mono, sr=sr, n_fft=4096, hop_length=2048).mean(axis=1)
    best = max(
        (
            (np.corrcoef(chroma, np.roll(prof, k))[0, 1], k, mode)
            for k in range(12)
            for mode, prof in (("major", _MAJOR), ("minor", _MINOR))
        ),
    )
    return best[1], best[2]


def key_matches(plan_key: str, plan_mode: str, est: tuple[int, str]) -> bool:
    tonic = PITCH_NAMES.index(plan_key)
    if est == (tonic, plan_mode):
        return True
    relative = (tonic + 9) % 12 if plan_mode == "major" else (tonic + 3) % 12
    other = "minor" if plan_mode == "major" else "major"
    return est == (relative, other)


def tempo_matches(plan_tempo: float, est: float) -> bool:
    return any(abs(est * f - plan_tempo) <= 0.05 * plan_tempo for f in (0.5, 1.0, 2.0))


def estimate_tempo(mono: np.ndarray, sr: int, plan_tempo: float) -> float:
    import librosa

    # Twice around the loop, as a reader who lingers hears it.
    tempo, _ = librosa.beat.beat_track(y=np.tile(mono, 2), sr=sr, start_bpm=120.0)
    return float(np.atleast_1d(tempo)[0])


def speed(composer: Composer, requests: list[CueRequest]) -> float:
    audio_s = wall = 0.0
    for r in requests:
        t0 = time.perf_counter()
        cue = composer.make_cue(r, CancelToken())
        wall += time.perf_counter() - t0
        audio_s += cue.clip.seconds
    return audio_s / wall


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=24)
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    requests = [
        CueRequest(
            page=i,
            scene=i % len(CAPTIONS),
            caption=CAPTIONS[i % len(CAPTIONS)],
            directive="",
            seconds=8 + (i * 7) % 25,
            seed=i // len(CAPTIONS),
        )
        for i in range(args.pages)
    ]
    figures: dict[str, object] = {"pages": len(requests)}
    sf_composer = Composer()
    synth = Composer(soundfont=None)
    speed(synth, requests[:2])  # warm caches and imports
    figures["composer_rt_factor_synth"] = round(speed(synth, requests), 1)
    if sf_composer.renderer.startswith("soundfont"):
        speed(sf_composer, requests[:2])
        figures["composer_rt_factor_soundfont"] = round(speed(sf_composer, requests), 1)
        figures["soundfont"] = sf_composer.renderer.split(":", 1)[1]
    figures["composer_rt_factor"] = figures.get(
        "composer_rt_factor_soundfont", figures["composer_rt_factor_synth"]
    )
    if not args.no_check:
        for label, composer in (("", sf_composer), ("_synth", synth)):
            if label == "" and composer is synth:
                continue
            tempo_ok = key_ok = both = 0
            for r in requests:
                cue = composer.make_cue(r, CancelToken())
                mono = cue.clip.audio.mean(axis=1)
                t_ok = tempo_matches(
                    cue.plan.tempo, estimate_tempo(mono, cue.clip.sample_rate, cue.plan.tempo)
                )
                est_key = estimate_key(mono, cue.clip.sample_rate)
                k_ok = key_matches(cue.plan.key, cue.plan.mode, est_key)
                tempo_ok += t_ok
                key_ok += k_ok
                both += t_ok and k_ok
                if args.verbose:
                    print(
                        label,
                        r.page,
                        cue.plan.tempo,
                        cue.plan.key,
                        cue.plan.mode,
                        t_ok,
                        k_ok,
                        est_key,
                        file=sys.stderr,
                    )
            n = len(requests)
            figures[f"tempo_match{label}"] = round(tempo_ok / n, 3)
            figures[f"key_match{label}"] = round(key_ok / n, 3)
            figures[f"plan_match{label}"] = round(both / n, 3)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
