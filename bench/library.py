"""Benchmark the music library backend and the evaluation report.

    .venv/bin/python bench/library.py [--tracks 12] [--minutes 3] [--keep DIR]

1. A folder of tracks of clearly different moods (calm, comedy, fear, anger, sorrow,
   hope; two of each) is made by the project's composer from mood directives, each
   `--minutes` long (a composed minute looped), in WAV, FLAC and Ogg.
2. Indexing: tracks per second for the whole folder on two worker processes (the
   first track of each worker pays librosa's start-up), and a re-scan of the unchanged
   folder; the re-scan is also timed on 1000 hard links to those tracks.
3. Scene fit: six scenes (calm, fear, anger, sorrow, hope, calm) ask for music through
   mood directives; a scene fits when its track is from the folder of its mood.
4. The sample book exported with the library backend (built-in analysis), then
   `m2m-reader evaluate` on it with the sample's ground truth: integrated loudness,
   the largest click ratio at any seam, scenes whose music fits their true mood, and
   the report's time.

Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from m2m_reader.engine.core.cancel import NEVER  # noqa: E402
from m2m_reader.engine.music.base import CueRequest  # noqa: E402

MOODS = {
    "calm": ["Very slow calm ambient at 60 BPM, soft sustained pads and gentle piano, quiet and sparse, in F major",
             "Serene quiet morning at 64 BPM, soft strings and harp, gentle and still, in D major"],
    "comedy": ["Fast playful comedy at 150 BPM, bouncy staccato pizzicato, woodblock and brass, loud and cheerful, in G major",
               "Cheerful fun swing jazz at 140 BPM, lively piano, drums and trumpet, happy and busy, in C major"],
    "fear": ["Tense dark suspense at 96 BPM, tremolo low strings, fearful dread, dissonant, in C minor",
             "Scary horror night chase at 132 BPM, pounding low drums and tense strings, in E minor"],
    "anger": ["Furious battle at 168 BPM, fierce pounding drums and distorted guitar, loud rage, in D minor",
              "Angry aggressive rock at 160 BPM, loud drums and electric guitar, fierce and driving, in A minor"],
    "sorrow": ["Very slow sad farewell at 58 BPM, quiet solo cello and piano, sorrowful, in A minor",
               "Sorrowful grief at 62 BPM, slow mournful strings, soft, lonely and dark, in B minor"],
    "hope": ["Hopeful uplifting sunrise at 100 BPM, warm bright strings and piano rising, in D major",
             "Triumphant hopeful ending at 108 BPM, warm bright orchestra and horns, uplifting, in E-flat major"],
}  # fmt: skip
SCENES = [
    ("calm", "A calm, peaceful morning: gentle, quiet and soft"),
    ("fear", "Fear in the dark: tense, scary dread as something follows"),
    ("anger", "Anger boils over: a furious, fierce fight"),
    ("sorrow", "Sorrow at the parting: sad, melancholy tears"),
    ("hope", "Hope returns: a warm, uplifting new day"),
    ("calm", "Calm again: a serene, quiet evening"),
]
TRUTH_MOOD = {"calm morning": "calm", "comedy": "comedy", "night chase": "fear",
              "sad parting": "sorrow", "hopeful ending": "hope"}  # fmt: skip


def make_folder(root: Path, minutes: float, per_mood: int) -> Path:
    from m2m_reader.engine.music.composer import Composer

    composer = Composer(sample_rate=44100, soundfont="auto")
    exts = [".wav", ".flac", ".ogg"]
    n = 0
    for mood, directives in MOODS.items():
        (root / mood).mkdir(parents=True, exist_ok=True)
        for k, directive in enumerate((directives * per_mood)[:per_mood]):
            cue = composer.make_cue(CueRequest(n, n, directive, directive, 48.0, seed=k), NEVER)
            a = cue.clip.audio
            loop = a[cue.clip.loop_start : cue.clip.loop_end]
            reps = int(np.ceil(minutes * 60 * 44100 / len(loop)))
            track = np.concatenate([a[: cue.clip.loop_start]] + [loop] * reps)[
                : int(minutes * 60 * 44100)
            ]
            # in blocks: libsndfile's Vorbis encoder crashes on one long write
            with sf.SoundFile(root / mood / f"{mood}_{k}{exts[n % 3]}", "w", 44100, 2) as f:
                for at in range(0, len(track), 65536):
                    f.write(track[at : at + 65536])
            n += 1
    return root


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the index workers)."""
    import resource

    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, default=12, help="tracks in the folder (two per mood)")
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--keep", type=Path, help="keep the folder, export and report here")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="m2m-library-bench-"))
    os.environ["M2M_READER_DATA_DIR"] = str(work / "data")
    os.environ.setdefault("M2M_READER_CACHE_DIR", str(work / "cache"))
    per_mood = max(1, args.tracks // len(MOODS))
    music = work / "music"
    if not music.exists():
        t0 = time.perf_counter()
        make_folder(music, args.minutes, per_mood)
        print(f"made {per_mood * len(MOODS)} tracks in {time.perf_counter() - t0:.1f} s")

    from m2m_reader.engine.musiclib import LibraryBackend, MusicIndex

    index = MusicIndex(music)
    if index.path.exists():
        index.path.unlink()
        index = MusicIndex(music)
    cpu0 = _cpu()
    t0 = time.perf_counter()
    result = index.scan(workers=2)
    index_s = time.perf_counter() - t0
    index_cpu_s = _cpu() - cpu0
    n = len(result.tracks)
    t0 = time.perf_counter()
    again = MusicIndex(music).scan(workers=2)
    rescan_s = time.perf_counter() - t0
    assert again.analysed == 0
    print(f"indexed {n} tracks of {args.minutes:g} min in {index_s:.2f} s ({n / index_s:.2f} tracks/s); "
          f"re-scan {rescan_s * 1000:.1f} ms")  # fmt: skip

    # re-scan of 1000 unchanged tracks: hard links to the folder's tracks, indexed once
    # by copying their entries (the features of a link are its target's)
    many = work / "many"
    if many.exists():
        shutil.rmtree(many)
    many.mkdir()
    files = sorted(p for p in music.rglob("*") if p.is_file())
    big = MusicIndex(many)
    for i in range(1000):
        src = files[i % len(files)]
        dst = many / f"{i:04d}{src.suffix}"
        os.link(src, dst)
        entry = dict(index._entries[src.relative_to(music).as_posix()])
        st = dst.stat()
        entry.update(size=st.st_size, mtime_ns=st.st_mtime_ns)
        big._entries[dst.name] = entry
    big._save()
    t0 = time.perf_counter()
    thousand = MusicIndex(many).scan(workers=2)
    rescan_1000_s = time.perf_counter() - t0
    assert thousand.analysed == 0 and len(thousand.tracks) == 1000
    print(f"re-scan of 1000 unchanged tracks: {rescan_1000_s:.3f} s")

    backend = LibraryBackend(music, index=MusicIndex(music))
    fits = []
    for i, (mood, directive) in enumerate(SCENES):
        track = backend.track_for_scene(i, directive)
        fits.append(track.path.split("/")[0] == mood)
        print(f"scene {i + 1} {mood:7s} -> {track.path} {'fits' if fits[-1] else 'DOES NOT FIT'}")

    # the sample book: export through the real command, then evaluate it
    book = next((ROOT / "resources" / "sample" / "annotations").glob("*.xml"))
    truth = ROOT / "resources" / "sample" / "groundtruth" / f"{book.stem}.json"
    out = work / "sample.flac"
    cli = [sys.executable, "-m", "m2m_reader.cli"]
    t0 = time.perf_counter()
    subprocess.run(cli + ["export", str(book), "-o", str(out), "--music", "library",
                          "--music-dir", str(music)], check=True)  # fmt: skip
    export_s = time.perf_counter() - t0
    report = work / "sample.report.html"
    figures = work / "sample.report.json"
    cpu0 = _cpu()
    t0 = time.perf_counter()
    subprocess.run(cli + ["evaluate", str(out), "--truth", str(truth), "-o", str(report),
                          "--json", str(figures)], check=True)  # fmt: skip
    report_s = time.perf_counter() - t0
    report_cpu_s = _cpu() - cpu0
    doc = json.loads(figures.read_text())
    chapters = json.loads(out.with_name(out.stem + ".chapters.json").read_text())
    truth_doc = json.loads(truth.read_text())
    for sc in chapters["scenes"]:  # what the analysis asked for, and what it got
        tracks = sorted(
            {p.get("track", "") for p in chapters["pages"] if p["scene"] == sc["index"]}
        )
        print(f"sample's scene {sc['index'] + 1} (pages {sc['first_page'] + 1}-{sc['last_page'] + 1}): "
              f"{' '.join(sc['directive'].split()[:12])}... -> {tracks}")  # fmt: skip
    sample_fits = 0
    for s in truth_doc["scenes"]:
        tracks = {p.get("track", "") for p in chapters["pages"]
                  if s["first_page"] <= p["index"] <= s["last_page"]}  # fmt: skip
        majority = max(tracks, key=lambda t: sum(p.get("track") == t for p in chapters["pages"]
                                                  if s["first_page"] <= p["index"] <= s["last_page"]))  # fmt: skip
        ok = majority.split("/")[0] == TRUTH_MOOD.get(s["mood"])
        sample_fits += ok
        print(f"sample scene {s['mood']!r}: {sorted(tracks)} {'fits' if ok else 'DOES NOT FIT'}")
    seams = doc["seams"]
    print(json.dumps({
        "tracks": n,
        "track_minutes": args.minutes,
        "index_s": round(index_s, 2),
        "index_tracks_per_s": round(n / index_s, 2),
        "index_cpu_s_per_track": round(index_cpu_s / n, 3),
        "index_tracks_per_s_on_2_free_cores": round(2 * n / index_cpu_s, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "rescan_unchanged_s": round(rescan_s, 4),
        "rescan_1000_unchanged_s": round(rescan_1000_s, 3),
        "scene_fit": f"{sum(fits)}/{len(fits)}",
        "sample_scene_fit_by_folder": f"{sample_fits}/{len(truth_doc['scenes'])}",
        "sample_scene_fit_by_audio_mood": f"{doc['truth']['scenes_fitting']}/{len(doc['truth']['scene_fit'])}",
        "sample_export_s": round(export_s, 1),
        "sample_lufs": doc["integrated_lufs"],
        "sample_max_click_ratio": max(v["max_click_ratio"] or 0 for v in seams.values()),
        "sample_boundary_f1": round(doc["truth"]["boundaries"]["f1"], 3),
        "report_s": round(report_s, 1),
        "report_cpu_s": round(report_cpu_s, 1),
        "report_in_process_s": doc["timings"].get("total_s"),
    }))  # fmt: skip
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
