"""Score the built-in (or any) analysis against a book's ground truth.

    python bench/analysis.py [BOOK] [--truth FILE] [--mode scene] [--llm ...]
    python bench/analysis.py --unannotated en|ja   # the sample story, pixels only

BOOK defaults to the bundled sample book; its truth file defaults to
ROOT/groundtruth/TITLE.json beside a Manga109-layout book. The truth holds
`scenes` (each with `first_page`, `last_page`) and `faces` (face id -> emotion).

Scene boundaries: a predicted scene start matches a true one within +-1 page
(one-to-one); precision, recall and F1 over starts other than page 0. Emotions: the
top class of each annotated face against its label (accuracy and macro F1), and of
each page against the majority label of its faces. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from m2m_reader.engine.analysis.emotions import EMOTIONS, dominant  # noqa: E402
from m2m_reader.engine.analysis.pipeline import Analyzer  # noqa: E402
from m2m_reader.engine.books import open_book  # noqa: E402
from m2m_reader.engine.core.store import MemoryStore  # noqa: E402


def default_book() -> Path:
    return next((ROOT / "resources" / "sample" / "annotations").glob("*.xml"))


def truth_for(book_path: Path, title: str) -> Path:
    root = book_path.parent.parent if book_path.suffix == ".xml" else book_path.parent.parent
    return root / "groundtruth" / f"{title}.json"


def boundary_scores(pred: list[int], true: list[int], tol: int = 1) -> dict[str, float]:
    pred = sorted(s for s in set(pred) if s > 0)
    true = sorted(s for s in set(true) if s > 0)
    unmatched = list(true)
    hits = 0
    for p in pred:
        best = min(unmatched, key=lambda t: abs(t - p), default=None)
        if best is not None and abs(best - p) <= tol:
            hits += 1
            unmatched.remove(best)
    precision = hits / len(pred) if pred else 1.0
    recall = hits / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    scores = []
    for e in EMOTIONS:
        tp = sum(1 for p, t in pairs if p == e and t == e)
        fp = sum(1 for p, t in pairs if p == e and t != e)
        fn = sum(1 for p, t in pairs if p != e and t == e)
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("book", nargs="?", type=Path)
    ap.add_argument("--truth", type=Path)
    ap.add_argument("--mode", default="scene")
    ap.add_argument(
        "--unannotated",
        choices=("en", "ja"),
        help="score the sample story's unannotated CBZ instead (text, scenes, emotions; "
        "see bench/reading.py)",
    )
    args = ap.parse_args()
    if args.unannotated:
        import tempfile

        from reading import evaluate

        out = Path(tempfile.mkdtemp(prefix="m2m-analysis-"))
        print(json.dumps(evaluate(out, args.unannotated)))
        return
    book_path = args.book or default_book()
    book = open_book(book_path)
    truth_path = args.truth or truth_for(book_path, book.title)
    truth = json.loads(truth_path.read_text("utf-8"))

    t0 = time.perf_counter()
    analyzer = Analyzer(book, store=MemoryStore())
    analysis = analyzer.run(args.mode)
    seconds = time.perf_counter() - t0

    pred_starts = [s.first_page for s in analysis.scenes]
    true_starts = [s["first_page"] for s in truth["scenes"]]
    scenes = boundary_scores(pred_starts, true_starts)

    labels = truth.get("faces", {})
    face_pairs, page_pairs = [], []
    for i in range(len(book)):
        t = analyzer.transcript(i)
        emo = analyzer.page_emotions(i)[0]
        on_page = []
        for face, prof in zip(t.faces, emo.faces, strict=False):
            if face.id in labels:
                face_pairs.append((dominant(prof), labels[face.id]))
                on_page.append(labels[face.id])
        if on_page:
            page_pairs.append((dominant(emo.profile), Counter(on_page).most_common(1)[0][0]))
    face_acc = sum(p == t for p, t in face_pairs) / len(face_pairs) if face_pairs else None
    page_acc = sum(p == t for p, t in page_pairs) / len(page_pairs) if page_pairs else None

    print(f"book: {book.title} ({len(book)} pages), mode {args.mode}, {seconds:.2f} s")
    print(f"scene starts predicted {pred_starts}")
    print(f"scene starts true      {true_starts}")
    print(f"boundaries: P {scenes['precision']:.2f} R {scenes['recall']:.2f} F1 {scenes['f1']:.2f}")
    if face_acc is not None:
        print(
            f"face emotions: accuracy {face_acc:.2f}, macro F1 {macro_f1(face_pairs):.2f} "
            f"over {len(face_pairs)} faces; page dominant accuracy {page_acc:.2f}"
        )
    print(
        json.dumps(
            {
                "book": book.title,
                "pages": len(book),
                "analysis_s": round(seconds, 3),
                "boundary_precision": round(scenes["precision"], 3),
                "boundary_recall": round(scenes["recall"], 3),
                "boundary_f1": round(scenes["f1"], 3),
                "face_emotion_accuracy": None if face_acc is None else round(face_acc, 3),
                "face_emotion_macro_f1": round(macro_f1(face_pairs), 3) if face_pairs else None,
                "page_emotion_accuracy": None if page_acc is None else round(page_acc, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
