"""Measure how composed the built-in composer's music is, and whether it sounds like the scene.

    .venv/bin/python bench/music.py [--pages 200] [--no-export] [-v]

On the sample book (resources/sample, built-in analysis) and a generated book (scenes of
3-12 pages in many palettes, as bench/export.py makes it), from the scores the cues are
rendered from and from the rendered audio:

- melody_step_share: melody intervals of one or two semitones, of all intervals
- repeat_share: melody intervals of zero
- bass_pcs_per_100_bars: distinct bass pitch classes in each run of 100 bars (mean)
- bass_pcs_min_scene_30s: the fewest distinct bass pitch classes in a scene of 30 s or more
- near_twin_share: bars whose pitched notes (onset, pitch) match another bar of the same
  scene at Jaccard >= 0.8
- rhythms_per_bar: distinct melody rhythms in a scene over its bars (bar-weighted mean)
- pc_entropy_bits: duration-weighted pitch-class entropy per scene (mean; 3.58 is all 12)
- minor_heard_minor: minor cues whose chroma (constant-Q) finds the plan's tonic, minor
- lra_lu: EBU R128 loudness range of the exported book (ffmpeg ebur128)
- energy_onset_r: within-scene Pearson r of page energy with audio onset density (mean
  over scenes of three pages or more whose energy varies)
- deepest_dip_db: the deepest 25 ms dip under the surrounding 2 s median level inside cues
  with a held part (bowed, blown or sung: strings, pads, choir, organ, a cello's melody),
  no drums and no detached articulation, looped twice (detached_dip_db: the same in
  pizzicato or staccato cues, short by design)
- caption_words_honoured: of named instruments, articulations, "solo", "no drums" and
  tempo words in 30 captions, the share the score (or plan) carries out
- story_fit: scenes of calm, comedy, fear at night, anger, grief, hope and surprise whose
  directive (the built-in writer) gives a fitting mode and tempo
- rt_factor: seconds of music per second of one core (process time), at 44.1 kHz, with
  the font the composer finds, and (rt_factor_by_font) with each font installed in
  /usr/share/sounds/sf2 and with the built-in synthesiser

Prints one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402

from m2m_reader.engine.core.cancel import NEVER  # noqa: E402
from m2m_reader.engine.music.base import CueRequest  # noqa: E402
from m2m_reader.engine.music.composer import Composer  # noqa: E402
from m2m_reader.engine.music.theory import HELD, key_from_chroma, pitch_class  # noqa: E402

SR = 22050
SAMPLE = ROOT / "resources/sample/annotations/HaruNoMelody.xml"
PITCHED = ("melody", "bass", "harmony", "sustained", "counter")


def _bench_export():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("bench_export", ROOT / "bench/export.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def requests_for(book, analysis) -> list[CueRequest]:  # noqa: ANN001
    """The requests export makes, page by page (the cue recipe's: the same seeds,
    joins and cue lengths as live playback)."""
    from m2m_reader.engine.cue_recipe import book_recipes

    return [recipe.request() for recipe in book_recipes(book, analysis)]


# ---- score measures -------------------------------------------------------------------


class Page:
    def __init__(self, request: CueRequest, plan, score) -> None:  # noqa: ANN001
        self.request, self.plan, self.score = request, plan, score
        self.bar_s = score.bar_seconds
        self.beat_s = self.bar_s / plan.meter

    def notes(self, roles: tuple[str, ...]) -> list:
        return sorted(
            (n for n in self.score.notes if self.score.tracks[n.track].role in roles),
            key=lambda n: (n.start, n.pitch),
        )

    def bar_of(self, t: float) -> int:
        return int(np.floor(t / self.bar_s + 0.02))

    def melody_line(self) -> list:
        """The melody's top line: one note per onset (the highest)."""
        line: dict[float, object] = {}
        for n in self.notes(("melody",)):
            k = round(n.start, 3)
            if k not in line or n.pitch > line[k].pitch:  # type: ignore[attr-defined]
                line[k] = n
        return [line[k] for k in sorted(line)]


def melody_intervals(pages: list[Page]) -> tuple[float, float]:
    steps = repeats = total = 0
    for p in pages:
        line = p.melody_line()
        for a, b in zip(line, line[1:], strict=False):
            d = abs(b.pitch - a.pitch)
            total += 1
            steps += d in (1, 2)
            repeats += d == 0
    return steps / max(1, total), repeats / max(1, total)


def bass_bars(pages: list[Page]) -> list[set[int]]:
    """Pitch classes of the bass, bar by bar through the book."""
    out = []
    for p in pages:
        bars: list[set[int]] = [set() for _ in range(p.score.bars)]
        for n in p.notes(("bass",)):
            b = p.bar_of(n.start)
            if 0 <= b < len(bars):
                bars[b].add(n.pitch % 12)
        out += bars
    return out


def bass_per_100(pages: list[Page]) -> float:
    bars = bass_bars(pages)
    runs = [set().union(*bars[i : i + 100]) for i in range(0, max(1, len(bars) - 99), 50)]
    return float(np.mean([len(r) for r in runs])) if runs else 0.0


def by_scene(pages: list[Page]) -> dict[int, list[Page]]:
    scenes: dict[int, list[Page]] = defaultdict(list)
    for p in pages:
        scenes[p.request.scene].append(p)
    return scenes


def bass_min_scene(pages: list[Page]) -> tuple[int | None, float | None]:
    counts = []
    for scene in by_scene(pages).values():
        if sum(p.score.bars * p.bar_s for p in scene) >= 30.0:
            counts.append(len(set().union(*bass_bars(scene))))
    return (min(counts), float(np.mean(counts))) if counts else (None, None)


def bar_signatures(p: Page) -> list[frozenset]:
    sigs: list[set] = [set() for _ in range(p.score.bars)]
    for n in p.notes(PITCHED):
        b = p.bar_of(n.start)
        if 0 <= b < len(sigs):
            beat = (n.start - b * p.bar_s) / p.beat_s
            sigs[b].add((round(beat * 4), n.pitch))
    return [frozenset(s) for s in sigs]


def near_twins(pages: list[Page]) -> float:
    twins = total = 0
    for scene in by_scene(pages).values():
        sigs = [s for p in scene for s in bar_signatures(p) if s]
        for i, a in enumerate(sigs):
            total += 1
            twins += any(len(a & b) / len(a | b) >= 0.8 for j, b in enumerate(sigs) if j != i and b)
    return twins / max(1, total)


def rhythms_per_bar(pages: list[Page]) -> float:
    distinct = bars = 0
    for scene in by_scene(pages).values():
        seen: set = set()
        n_bars = 0
        for p in scene:
            per_bar: list[list[int]] = [[] for _ in range(p.score.bars)]
            for n in p.melody_line():
                b = p.bar_of(n.start)
                if 0 <= b < len(per_bar):
                    per_bar[b].append(round((n.start - b * p.bar_s) / p.beat_s * 4))
            seen |= {tuple(r) for r in per_bar}
            n_bars += p.score.bars
        distinct += len(seen)
        bars += n_bars
    return distinct / max(1, bars)


def pc_entropy(pages: list[Page]) -> float:
    out = []
    for scene in by_scene(pages).values():
        w = np.zeros(12)
        for p in scene:
            for n in p.notes(PITCHED):
                w[n.pitch % 12] += n.dur
        if w.sum() > 0:
            q = w[w > 0] / w.sum()
            out.append(float(-(q * np.log2(q)).sum()))
    return float(np.mean(out)) if out else 0.0


# ---- audio measures -------------------------------------------------------------------


def heard_minor(audio: np.ndarray, sr: int, plan) -> bool:  # noqa: ANN001
    import librosa

    chroma = librosa.feature.chroma_cqt(y=audio.mean(axis=1), sr=sr, hop_length=2048)
    k, mode = key_from_chroma(chroma.mean(axis=1))
    return mode == "minor" and k == pitch_class(plan.key)


def onset_density(audio: np.ndarray, sr: int) -> float:
    import librosa

    mono = audio.mean(axis=1)
    onsets = librosa.onset.onset_detect(y=mono, sr=sr, hop_length=256, units="time")
    return len(onsets) / (len(mono) / sr)


def deepest_dip(audio: np.ndarray, sr: int) -> float:
    looped = np.tile(audio.mean(axis=1), 2).astype(np.float64)
    win = sr // 40
    m = len(looped) // win
    rms = np.sqrt((looped[: m * win].reshape(m, win) ** 2).mean(axis=1)) + 1e-9
    db = 20 * np.log10(rms)
    half = 40  # 1 s either side
    dips = [np.median(db[i - half : i + half]) - db[i] for i in range(half, m - half)]
    return float(max(dips)) if dips else 0.0


def has_held_part(score) -> bool:  # noqa: ANN001
    """Sustained music: a held part (bowed, blown or sung), the melody included (its
    breaths are answered by the accompaniment), and no drums (between hits, drummed music
    dips by nature) and no detached articulation (pizzicato, staccato: short by design;
    `detached_dip_db` reports those)."""
    if any(t.role in ("drums", "perc") for t in score.tracks):
        return False
    return any(t.instrument in HELD and t.role in PITCHED for t in score.tracks)


def detached(plan) -> bool:  # noqa: ANN001
    return bool({"pizzicato", "staccato"} & set(plan.articulations))


def pearson(x: list[float], y: list[float]) -> float | None:
    if len(x) < 3 or np.std(x) < 0.02 or np.std(y) < 1e-9:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def lra_of(path: Path) -> float | None:
    if not shutil.which("ffmpeg"):
        return None
    run = subprocess.run(
        ["ffmpeg", "-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True,
    )  # fmt: skip
    tail = run.stderr[run.stderr.rfind("Summary") :]
    m = re.search(r"LRA:\s+(-?[\d.]+) LU", tail)
    return float(m.group(1)) if m else None


# ---- caption words --------------------------------------------------------------------


def _prog(score, program: int, role: str | None = None) -> bool:  # noqa: ANN001
    return any(
        t.program == program and not t.is_drums and (role is None or t.role == role)
        for t in score.tracks
    )


def _short(score, program: int) -> bool:  # noqa: ANN001
    """Notes of the track with `program` sound for under half their spacing (staccato)."""
    for ti, t in enumerate(score.tracks):
        if t.program != program or t.is_drums:
            continue
        notes = sorted((n for n in score.notes if n.track == ti), key=lambda n: n.start)
        onsets = sorted({round(n.start, 3) for n in notes})
        if len(onsets) < 3:
            continue
        gap = float(np.median(np.diff(onsets)))
        return float(np.median([n.dur for n in notes])) < 0.55 * gap
    return False


def _tremolo(score) -> bool:  # noqa: ANN001
    beat = score.bar_seconds / 4
    for ti, t in enumerate(score.tracks):
        if t.program == 44 and not t.is_drums:
            return True  # the font's tremolo strings
        starts = sorted(n.start for n in score.notes if n.track == ti and not t.is_drums)
        if len(starts) > 16 and float(np.median(np.diff(starts))) <= beat / 4 + 1e-3:
            by_pitch = defaultdict(list)
            for n in score.notes:
                if n.track == ti:
                    by_pitch[n.pitch].append(n.start)
            if max(len(v) for v in by_pitch.values()) > 8:
                return True
    return False


def _legato(score) -> bool:  # noqa: ANN001
    line = sorted(
        (n for n in score.notes if score.tracks[n.track].role == "melody"), key=lambda n: n.start
    )
    pairs = [(a, b) for a, b in zip(line, line[1:], strict=False) if b.start - a.start > 0.05]
    return bool(pairs) and np.mean([a.start + a.dur >= b.start for a, b in pairs]) >= 0.8


def _drums(score) -> bool:  # noqa: ANN001
    return any(t.is_drums for t in score.tracks)


def _brush(score) -> bool:  # noqa: ANN001
    return any(t.is_drums and t.program == 40 for t in score.tracks)


def _solo(score, program: int) -> bool:  # noqa: ANN001
    return {t.program for t in score.tracks} == {program} and not _drums(score)


def _colour(plan, name: str) -> bool:  # noqa: ANN001
    return name in getattr(plan, "colour", [])


# (caption, [(word, check(plan, score))])
CAPTIONS: list[tuple[str, list[tuple[str, object]]]] = [
    ("Thundering taiko drums and a shakuhachi melody, tense", [
        ("taiko", lambda p, s: _prog(s, 116)), ("shakuhachi", lambda p, s: _prog(s, 77, "melody"))]),
    ("A koto plays softly over a shamisen, calm spring morning", [
        ("koto", lambda p, s: _prog(s, 107)), ("shamisen", lambda p, s: _prog(s, 106))]),
    ("Rolling timpani under low brass, ominous", [("timpani", lambda p, s: _prog(s, 47))]),
    ("A muted trumpet over brushed drums in a smoky jazz club", [
        ("muted trumpet", lambda p, s: _prog(s, 59, "melody")), ("brushed", lambda p, s: _brush(s))]),
    ("Solo piano, slow and sad", [
        ("solo piano", lambda p, s: _solo(s, 0)), ("slow", lambda p, s: p.tempo <= 80)]),
    ("Staccato strings, urgent and fast", [
        ("staccato", lambda p, s: _short(s, 48) or _short(s, 45)), ("fast", lambda p, s: p.tempo >= 120)]),
    ("Pizzicato strings tiptoe in a comic scene", [("pizzicato", lambda p, s: _prog(s, 45))]),
    ("Tremolo strings shiver in the dark, fearful", [("tremolo", lambda p, s: _tremolo(s))]),
    ("A legato violin melody over soft piano, tender", [
        ("violin", lambda p, s: _prog(s, 40, "melody")), ("legato", lambda p, s: _legato(s))]),
    ("The mournful cello sings alone over quiet piano chords", [
        ("cello", lambda p, s: _prog(s, 42, "melody"))]),
    ("Lo-fi beat with vinyl crackle and mellow electric piano", [
        ("vinyl crackle", lambda p, s: _colour(p, "vinyl")), ("electric piano", lambda p, s: _prog(s, 4))]),
    ("Gentle rain and a music box lullaby, no drums", [
        ("rain", lambda p, s: _colour(p, "rain")), ("music box", lambda p, s: _prog(s, 10)),
        ("no drums", lambda p, s: not _drums(s))]),
    ("An accordion waltz in a village square", [("accordion", lambda p, s: _prog(s, 21))]),
    ("A bagpipe calls across the highlands", [("bagpipe", lambda p, s: _prog(s, 109))]),
    ("Sitar and tabla drone, meditative", [("sitar", lambda p, s: _prog(s, 104))]),
    ("A banjo picks a bouncy tune", [("banjo", lambda p, s: _prog(s, 105))]),
    ("Steel drums on a sunny beach, upbeat", [("steel drums", lambda p, s: _prog(s, 114))]),
    ("A harmonica wails over acoustic guitar, lonely", [
        ("harmonica", lambda p, s: _prog(s, 22)), ("acoustic guitar", lambda p, s: _prog(s, 24))]),
    ("Church organ and choir, solemn", [
        ("organ", lambda p, s: _prog(s, 19)), ("choir", lambda p, s: _prog(s, 52))]),
    ("A solo flute, breathy and free", [("solo flute", lambda p, s: _solo(s, 73))]),
    ("Tubular bells toll slowly, grief", [
        ("tubular bells", lambda p, s: _prog(s, 14)), ("slowly", lambda p, s: p.tempo <= 80)]),
    ("Xylophone and marimba bounce in a cartoon chase", [
        ("xylophone", lambda p, s: _prog(s, 13)), ("marimba", lambda p, s: _prog(s, 12))]),
    ("A fretless bass and vibraphone, late night", [
        ("fretless bass", lambda p, s: _prog(s, 35)), ("vibraphone", lambda p, s: _prog(s, 11))]),
    ("Harpsichord and recorder, a courtly dance", [
        ("harpsichord", lambda p, s: _prog(s, 6)), ("recorder", lambda p, s: _prog(s, 74))]),
    ("An ocarina tune, light and playful, no drums", [
        ("ocarina", lambda p, s: _prog(s, 79)), ("no drums", lambda p, s: not _drums(s))]),
    ("Pan flute over a warm string pad, slow", [
        ("pan flute", lambda p, s: _prog(s, 75)), ("slow", lambda p, s: p.tempo <= 80)]),
    ("A tenor saxophone ballad with brushes", [
        ("saxophone", lambda p, s: _prog(s, 65) or _prog(s, 66)), ("brushes", lambda p, s: _brush(s))]),
    ("A french horn calls over tremolo strings", [
        ("french horn", lambda p, s: _prog(s, 60)), ("tremolo", lambda p, s: _tremolo(s))]),
    ("A celesta and harp, dreamy and legato", [
        ("celesta", lambda p, s: _prog(s, 8)), ("harp", lambda p, s: _prog(s, 46)),
        ("legato", lambda p, s: _legato(s))]),
    ("Staccato bassoon and clarinet, quick and comic", [
        ("staccato", lambda p, s: _short(s, 70) or _short(s, 71)),
        ("bassoon", lambda p, s: _prog(s, 70)), ("quick", lambda p, s: p.tempo >= 120)]),
]  # fmt: skip


def caption_words(composer: Composer, verbose: bool) -> tuple[float, int]:
    hits = total = 0
    for i, (caption, checks) in enumerate(CAPTIONS):
        plan, score, _ = composer.score_for(CueRequest(i, i, caption, "", 12.0, seed=3))
        for word, check in checks:
            ok = bool(check(plan, score))  # type: ignore[operator]
            hits += ok
            total += 1
            if verbose and not ok:
                print(f"  not honoured: {word!r} in {caption!r}", file=sys.stderr)
    return hits / total, total


# ---- story fit ------------------------------------------------------------------------


def story_fit(composer: Composer, verbose: bool) -> float:
    """Scenes of a story, through the built-in writer's palette and directive to a plan."""
    from m2m_reader.engine.analysis.emotions import EMOTIONS
    from m2m_reader.engine.analysis.writer import choose_palette, directive, scene_music

    def prof(**kw: float) -> dict[str, float]:
        d = {e: 0.0 for e in EMOTIONS}
        d.update(kw)
        d["neutral"] = max(0.0, 1.0 - sum(kw.values()))
        return d

    sad = prof(sadness=0.5)
    # (name, profile, brightness, previous, mode wanted, tempo lo, tempo hi)
    story = [
        ("calm", prof(happiness=0.05), 0.7, None, "major", 60, 100),
        ("comedy", prof(happiness=0.35, surprise=0.2), 0.7, None, "major", 100, 170),
        ("fear at night", prof(fear=0.45), 0.2, None, "minor", 50, 96),
        ("anger", prof(anger=0.5), 0.6, None, "minor", 120, 180),
        ("grief", sad, 0.5, None, "minor", 40, 80),
        ("hope after grief", prof(happiness=0.3), 0.7, sad, "major", 60, 110),
        ("surprise alone", prof(surprise=0.4), 0.6, sad, None, 0, 999),
    ]
    ok = 0
    for name, profile, light, previous, mode, lo, hi in story:
        palette = choose_palette(profile, light, previous)
        music = scene_music(palette, name)
        text = directive(music, profile, ["Haru"], 6, 4, light)
        plan, _, _ = composer.score_for(CueRequest(0, 0, "", text, 12.0, seed=1))
        good = (mode is None or plan.mode == mode) and lo <= plan.tempo <= hi
        if name == "surprise alone":
            good = palette.name != "hopeful"
        ok += good
        if verbose:
            print(f"  {name}: {palette.name} {plan.mode} {plan.tempo:.0f} {good}", file=sys.stderr)
    return ok / len(story)


# ---- the book -------------------------------------------------------------------------


def measure_book(label: str, book, analysis, out_dir: Path, export: bool, verbose: bool) -> dict:  # noqa: ANN001
    composer = Composer(SR)
    pages: list[Page] = []
    minor = minor_ok = 0
    dips: list[float] = []
    detached_dips: list[float] = []
    energy: dict[int, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for r in requests_for(book, analysis):
        plan, score, _ = composer.score_for(r)
        cue = composer.make_cue(r, NEVER)
        pages.append(Page(r, plan, score))
        # the loop: what plays while the page is read (a scene's bridge is heard once)
        audio = cue.clip.audio[cue.clip.loop_start : cue.clip.loop_end]
        if plan.mode == "minor":
            minor += 1
            minor_ok += heard_minor(audio, SR, plan)
        if has_held_part(score):
            (detached_dips if detached(plan) else dips).append(deepest_dip(audio, SR))
        e, d = energy[r.scene]
        e.append(plan.energy)
        d.append(onset_density(np.tile(audio, (2, 1)), SR))
    steps, repeats = melody_intervals(pages)
    rs = [x for e, d in energy.values() if (x := pearson(e, d)) is not None]
    bass_min, bass_mean = bass_min_scene(pages)
    figures = {
        "pages": len(pages),
        "bars": sum(p.score.bars for p in pages),
        "melody_step_share": round(steps, 3),
        "repeat_share": round(repeats, 3),
        "bass_pcs_per_100_bars": round(bass_per_100(pages), 2),
        "bass_pcs_min_scene_30s": bass_min,
        "bass_pcs_mean_scene_30s": round(bass_mean, 2) if bass_mean is not None else None,
        "near_twin_share": round(near_twins(pages), 3),
        "rhythms_per_bar": round(rhythms_per_bar(pages), 3),
        "pc_entropy_bits": round(pc_entropy(pages), 3),
        "minor_cues": minor,
        "minor_heard_minor": round(minor_ok / minor, 3) if minor else None,
        "energy_onset_r": round(float(np.mean(rs)), 3) if rs else None,
        "energy_onset_scenes": len(rs),
        "deepest_dip_db": round(max(dips), 1) if dips else None,
        "dip_cues": len(dips),
        "detached_dip_db": round(max(detached_dips), 1) if detached_dips else None,
        "detached_dip_cues": len(detached_dips),
    }
    if export:
        from m2m_reader.engine.export import export_soundtrack

        target = out_dir / f"{label}.flac"
        export_soundtrack(book, analysis, Composer(SR), target, sample_rate=SR)
        figures["lra_lu"] = lra_of(target)
    return figures


def rt_factor(requests: list[CueRequest], soundfont: object = "auto") -> float:
    composer = Composer(44100, soundfont=soundfont)  # type: ignore[arg-type]
    composer.make_cue(requests[0], NEVER)  # warm up
    audio = compute = 0.0
    for r in requests:
        t0 = time.process_time()
        cue = composer.make_cue(r, NEVER)
        compute += time.process_time() - t0
        audio += cue.clip.seconds
    return audio / compute


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--no-export", action="store_true", help="skip the loudness range")
    ap.add_argument("--no-sample", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    out_dir = Path(tempfile.mkdtemp(prefix="m2m-bench-music-"))
    figures: dict = {}
    try:
        if not args.no_sample and SAMPLE.exists():
            from m2m_reader.engine.analysis.pipeline import analyze
            from m2m_reader.engine.books import open_book

            with open_book(SAMPLE) as book:
                analysis = analyze(book)
                figures["sample"] = measure_book(
                    "sample", book, analysis, out_dir, not args.no_export, args.verbose
                )
            print(f"sample: {figures['sample']}", file=sys.stderr)
        book, analysis = _bench_export().synthetic(args.pages)
        figures["synthetic"] = measure_book(
            f"synthetic{args.pages}", book, analysis, out_dir, not args.no_export, args.verbose
        )
        print(f"synthetic: {figures['synthetic']}", file=sys.stderr)
        composer = Composer(SR)
        share, n = caption_words(composer, args.verbose)
        figures["caption_words_honoured"] = round(share, 3)
        figures["caption_words"] = n
        figures["story_fit"] = round(story_fit(composer, args.verbose), 3)
        requests = requests_for(book, analysis)[:30]
        figures["rt_factor"] = round(rt_factor(requests), 1)
        figures["soundfont"] = composer.renderer
        # each General MIDI font installed, and the built-in synthesiser
        fonts = sorted({f.resolve() for f in Path("/usr/share/sounds/sf2").glob("*.sf2")})
        by_font = {f.name: round(rt_factor(requests, f), 1) for f in fonts}
        by_font["synth"] = round(rt_factor(requests, None), 1)
        figures["rt_factor_by_font"] = by_font
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
