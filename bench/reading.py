"""Score page reading on the sample story's unannotated CBZ (pixels only, built-in, offline).

    python bench/reading.py [--lang en|ja] [--out DIR] [--pages N] [--first-music [--runs N]]
    python bench/reading.py --real BOOK     # a real scan: dialogue found, emotions seen
                                            # (scored when BOOK/truth.json says what it says)

Writes the CBZ and its truth (m2m_reader.samplebook.unannotated) unless DIR holds
them, analyses the book cold with the built-in backends, and scores:

- text: character error rate (edit distance over the truth's length) of all text and
  of dialogue alone (balloons and captions, no sound effects), pages in reading order;
- dialogue recovered: the share of pages with balloons on which at least 80 % of the
  balloons are matched by a read text with a character error rate of at most 0.25;
- scenes: boundary precision, recall and F1 (a start within one page, as in
  bench/analysis.py);
- emotions: for each true scene, whether the leading non-neutral emotion of the pages
  read matches the leading non-neutral emotion drawn on its faces;
- time: page reading seconds per page (cold), and bad images (blank, all black, a
  30000-pixel strip) read without error;
- faces: the built-in face finder's precision and recall against the annotated
  sample book's face boxes.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from analysis import boundary_scores  # noqa: E402

from m2m_reader.engine.analysis.emotions import EMOTIONS, mix  # noqa: E402
from m2m_reader.engine.analysis.pipeline import Analyzer  # noqa: E402
from m2m_reader.engine.books import open_book  # noqa: E402
from m2m_reader.engine.core.store import MemoryStore  # noqa: E402
from m2m_reader.engine.reading import PageReader  # noqa: E402
from m2m_reader.samplebook.unannotated import write_unannotated  # noqa: E402

DIALOGUE = ("speech", "shout", "thought", "narration")


def distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def norm(text: str, lang: str) -> str:
    """Whitespace and the width of punctuation (！ and ! are the same letter) aside."""
    joiner = "" if lang == "ja" else " "
    return joiner.join(unicodedata.normalize("NFKC", text).split())


def lead_of(profile: dict[str, float]) -> str:
    return max((e for e in EMOTIONS if e != "neutral"), key=lambda e: profile[e])


def faces_on_sample() -> dict[str, float]:
    """The built-in face finder against the annotated sample book's face boxes: a found
    face is right when its centre lies in a true face not matched yet."""
    import numpy as np

    from m2m_reader.engine.reading.faces import BlobFaces

    book = open_book(ROOT / "resources" / "sample" / "annotations" / "HaruNoMelody.xml")
    finder, tp, fp, fn = BlobFaces(), 0, 0, 0
    for i in range(len(book)):
        found = [b for b, _ in finder.detect(np.asarray(book.image(i).convert("L")))]
        truth = [f.box for f in book.pages[i].faces]
        used: set[int] = set()
        for x0, y0, x1, y1 in found:
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            hit = [
                k
                for k, t in enumerate(truth)
                if k not in used and t.xmin <= cx <= t.xmax and t.ymin <= cy <= t.ymax
            ]
            if hit:
                tp += 1
                used.add(hit[0])
            else:
                fp += 1
        fn += len(truth) - len(used)
    return {
        "face_precision": round(tp / max(1, tp + fp), 3),
        "face_recall": round(tp / max(1, tp + fn), 3),
    }


def bad_images(reader: PageReader) -> dict[str, float]:
    """Seconds to read each bad image; raises if any fails."""
    out = {}
    for name, im in (
        ("blank", Image.new("L", (1200, 1700), 255)),
        ("black", Image.new("L", (1200, 1700), 0)),
        ("strip_30000px", Image.new("L", (800, 30000), 235)),
        ("tiny", Image.new("L", (3, 2), 128)),
    ):
        t0 = time.perf_counter()
        reader.read(im)
        out[name] = round(time.perf_counter() - t0, 3)
    return out


def _real_truth(path: Path) -> dict | None:
    """A real book's truth when a person wrote one: DIR/truth.json, or BOOK.truth.json."""
    for t in (path / "truth.json", path.with_suffix(".truth.json")):
        if t.is_file():
            return json.loads(t.read_text("utf-8"))
    return None


def real_book(path: Path) -> dict:
    """Read a real book: how much dialogue is found, which emotions, how fast; scored
    against its truth.json when there is one (dialogue only: what balloons say)."""
    book = open_book(path)
    analyzer = Analyzer(book, store=MemoryStore())
    truth = _real_truth(path)
    per_page = []
    c0 = time.process_time()
    for i in range(len(book)):
        t0 = time.perf_counter()
        analyzer.readings.get(i)
        per_page.append(round(time.perf_counter() - t0, 3))
    cpu = time.process_time() - c0
    t0 = time.perf_counter()
    analysis = analyzer.run("scene")
    seconds = time.perf_counter() - t0
    with_text, classes = 0, set()
    errs = total = said = found = 0
    for i in range(len(book)):
        t = analyzer.transcript(i)
        talk = [ln for ln in t.lines if ln.kind != "sfx"]
        with_text += bool(talk)
        profile = analyzer.page_emotions(i)[0].profile
        classes.add(max(profile, key=lambda e: profile[e]))
        if profile[lead_of(profile)] >= 0.15:  # a feeling with a real share
            classes.add(lead_of(profile))
        print(
            f"page {i + 1} ({per_page[i]:.2f} s): {lead_of(profile)} "
            f"{profile[lead_of(profile)]:.2f}; "
            + " | ".join(f"[{ln.kind}] {ln.text}" for ln in t.lines)
        )
        if truth and i < len(truth["pages"]):
            want = [norm(w, "en") for w in truth["pages"][i]["dialogue"]]
            got = [norm(ln.text, "en") for ln in talk]
            errs += distance(" ".join(got), " ".join(want))
            total += len(" ".join(want))
            said += len(want)
            found += sum(
                1 for w in want if any(distance(g, w) <= 0.25 * max(1, len(w)) for g in got)
            )
    for s in analysis.scenes:
        print(f"scene {s.index + 1} (pages {s.first_page + 1}-{s.last_page + 1}): {s.directive}")
    figures = {
        "book": str(path),
        "pages": len(book),
        "pages_with_dialogue": with_text,
        "emotion_classes": sorted(classes),
        "scenes": len(analysis.scenes),
        "reading_s_per_page": round(sum(per_page) / max(1, len(book)), 3),
        "reading_cpu_s_per_page": round(cpu / max(1, len(book)), 3),
        "analysis_s": round(seconds, 3),
    }
    if truth:
        figures["dialogue_cer"] = round(errs / max(1, total), 4)
        figures["balloons_read"] = f"{found}/{said}"
    return figures


def first_music_cold(cbz: Path) -> float:
    """Seconds from opening the unannotated CBZ (empty cache, built-in backends) to
    the first audible block, measured as bench/live.py does (simulated pull loop)."""
    import os

    import live

    work = Path(tempfile.mkdtemp(prefix="m2m-reading-live-"))
    for name in ("CACHE", "DATA", "CONFIG"):
        os.environ[f"M2M_READER_{name}_DIR"] = str(work / name.lower())
    from m2m_reader.engine.core.settings import Settings

    live.SAMPLE = cbz
    seconds, _, engine = live.first_music(Settings(offline=True), False, True)
    engine.close()
    return seconds


def evaluate(out: Path, lang: str, pages: int | None = None) -> dict:
    """Write (unless present) and score the unannotated sample CBZ in `out`."""
    name = f"HaruNoMelody-{lang}"
    if not (out / f"{name}.cbz").is_file():
        write_unannotated(out, lang)
    truth = json.loads((out / f"{name}.truth.json").read_text("utf-8"))
    book = open_book(out / f"{name}.cbz")
    analyzer = Analyzer(book, store=MemoryStore())

    t0, c0 = time.perf_counter(), time.process_time()
    read = range(min(len(book), pages or len(book)))
    for i in read:
        analyzer.readings.get(i)
    read_s = (time.perf_counter() - t0) / len(read)
    cpu_s = (time.process_time() - c0) / len(read)

    errs = total = d_errs = d_total = 0
    with_balloons = recovered = 0
    for i in read:
        t = analyzer.transcript(i)
        want = truth["pages"][i]["texts"]
        got_all = norm(" ".join(ln.text for ln in t.lines), lang)
        want_all = norm(" ".join(w["text"] for w in want), lang)
        errs += distance(got_all, want_all)
        total += len(want_all)
        got_d = [norm(ln.text, lang) for ln in t.lines if ln.kind != "sfx"]
        want_d = [norm(w["text"], lang) for w in want if w["kind"] in DIALOGUE]
        d_errs += distance(" ".join(got_d), " ".join(want_d))
        d_total += len(" ".join(want_d))
        if want_d:
            with_balloons += 1
            matched = sum(
                1 for w in want_d if any(distance(g, w) <= 0.25 * max(1, len(w)) for g in got_d)
            )
            recovered += matched >= 0.8 * len(want_d)

    t1 = time.perf_counter()
    analysis = analyzer.run("scene")
    analysis_s = time.perf_counter() - t1
    pred = [s.first_page for s in analysis.scenes]
    true = [s["first_page"] for s in truth["scenes"]]
    scenes = boundary_scores(pred, true)
    right = []
    for s in truth["scenes"]:
        profile = mix(
            [
                analyzer.page_emotions(i)[0].profile
                for i in range(s["first_page"], s["last_page"] + 1)
            ]
        )
        right.append((s["mood"], lead_of(profile), s["lead"]))
    emotions_right = sum(p == t for _, p, t in right)
    reader = analyzer.readings.reader()
    assert reader is not None, "Tesseract is not installed"
    bad = bad_images(reader)

    print(
        f"{name}: {len(book)} pages, reading {read_s:.2f} s/page ({cpu_s:.2f} s of CPU), "
        f"analysis {analysis_s:.2f} s"
    )
    print(f"text CER {errs / max(1, total):.3f}, dialogue CER {d_errs / max(1, d_total):.3f}")
    print(f"dialogue recovered on {recovered}/{with_balloons} pages with balloons")
    print(f"scene starts predicted {pred}, true {true}: F1 {scenes['f1']:.2f}")
    for mood, p, t in right:
        print(f"  {mood}: read {p}, drawn {t}")
    print(f"bad images read in {bad} s")
    return {
        "book": name,
        "pages": len(book),
        "reading_s_per_page": round(read_s, 3),
        "reading_cpu_s_per_page": round(cpu_s, 3),
        "analysis_s": round(analysis_s, 3),
        "cer": round(errs / max(1, total), 4),
        "dialogue_cer": round(d_errs / max(1, d_total), 4),
        "dialogue_recovered": round(recovered / max(1, with_balloons), 3),
        "boundary_precision": round(scenes["precision"], 3),
        "boundary_recall": round(scenes["recall"], 3),
        "boundary_f1": round(scenes["f1"], 3),
        "scene_lead_emotions_right": emotions_right,
        "scenes": len(right),
        "bad_images_s": bad,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lang", default="en", choices=("en", "ja"))
    ap.add_argument("--out", type=Path, help="where the CBZ and its truth are (or go)")
    ap.add_argument("--pages", type=int, help="score only the first N pages' text")
    ap.add_argument("--real", type=Path, help="read a real book instead (no truth)")
    ap.add_argument("--first-music", action="store_true", help="also time the first music, cold")
    ap.add_argument(
        "--runs", type=int, default=1, help="time the first music this many times (median)"
    )
    args = ap.parse_args()
    if args.real:
        print(json.dumps(real_book(args.real)))
        return
    out = args.out or Path(tempfile.mkdtemp(prefix="m2m-reading-"))
    figures = evaluate(out, args.lang, args.pages)
    figures.update(faces_on_sample())
    print(
        f"built-in faces on the annotated sample: {figures['face_precision']} precision, "
        f"{figures['face_recall']} recall"
    )
    if args.first_music:
        runs = [first_music_cold(out / f"{figures['book']}.cbz") for _ in range(max(1, args.runs))]
        figures["first_music_cold_s"] = round(statistics.median(runs), 3)
        figures["first_music_cold_runs_s"] = [round(r, 3) for r in runs]
        print(
            f"first music, cold: {figures['first_music_cold_s']} s"
            + (f" (median of {', '.join(f'{r:.2f}' for r in runs)})" if len(runs) > 1 else "")
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
