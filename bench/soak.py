"""Soak: the real reader window turning pages fast for a long time, with the engine at work.

    .venv/bin/python bench/soak.py [--minutes 30] [--pages 300] [--interval 0.2] [--book BOOK]
        [--cache DIR] [--samples FILE]

Builds a 300-page Manga109 book (the sample book's spreads, texts, faces and speakers
repeated, each copy with its own ids) in a temporary folder, then runs the app the way
`m2m-reader BOOK` does — `ui.app.App` with the real engine on its built-in backends,
offline, in a fresh cache — in a child process under offscreen Qt (or the display in
$QT_QPA_PLATFORM). A timer turns to the next spread every `--interval` seconds (back to
the first page after the last). Each second the child reports `sys.getrefcount(None)`
and `sys.getrefcount(True)`, its RSS and its children's (the composer process). The
parent watches: a child that dies from a signal or stops reporting has crashed.

A sound binding that drops references to None (PySide6-Essentials 6.12.0 on CPython
3.11) makes the counts fall by thousands a second and the child die with
"none_dealloc"; a sound one keeps them flat. Try a binding without installing it:
`PYTHONPATH=/tmp/pyside-6.12.0 .venv/bin/python bench/soak.py --minutes 1`.

Prints one JSON object on its last line: turns, minutes, crashed, exit (code or signal),
none_refcount_start/end/min and true_refcount_start/end/min (from a minute in, once the
app has started; none_refcount_launch at the first sample), rss_mb_start/end/max (the
reader), children_rss_mb_max (the composer), pages_with_music, binding; also the count at
each quarter of the run, when every page had its music (music_done_s) and the count's
rise per minute after that (when the run went on a minute longer); the memory at the
RSS peak (rss_peak_s, rss_mb_peak_by_kind: anon/file/shmem; malloc_mb_at_peak: glibc's
heap; engine_at_peak: the cues' audio in the page table and the mixer) and
largest_holder, in words (e.g. "the mixer's cues: 335, 2264.4 MB"). Every sample has
those figures (bench/soak_memory.py). `--samples FILE` writes every per-second sample;
with M2M_SOAK_CENSUS=1 a sample every 15 s also counts what the reader holds (pool jobs,
QImages, QPixmaps, decoded and pre-scaled pages, thumbnails), and with M2M_SOAK_TRACE=N
too (tracemalloc, N frames: slower) it lists the source lines holding the most. `--book
BOOK --cache DIR` reads a book prepared in DIR: every page's music comes from the store,
as in the second pass of a long soak.

On PySide6 6.10 and 6.11 every QPainter opened on a *new* paint device keeps six
references to None that are never given back; the mood timeline used to draw its strip
into a fresh pixmap whenever a page's music was ready (+50,000 over 30 minutes). It now
reuses its pixmap (tests/test_qt_binding.py). A rise is harmless; a fall ends in a crash.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

from soak_memory import (
    TRACE_TOP,
    engine_holders,
    largest_holder,
    malloc_kb,
    memory_kb,
    top_lines,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "resources" / "sample"
TITLE = "Soak"
WARM_UP_S = 60.0


# ---- the book ----------------------------------------------------------------------------


def _sample_root(tmp: Path) -> Path:
    """The bundled sample book, or one drawn now when it is not generated."""
    if (SAMPLE / "annotations" / "HaruNoMelody.xml").is_file():
        return SAMPLE
    out = tmp / "sample"
    subprocess.run([sys.executable, "-m", "m2m_reader.samplebook", str(out)], check=True)
    return out


def build_book(dest: Path, pages: int) -> Path:
    """A Manga109 book of `pages` pages under `dest`; returns its annotations XML."""
    from lxml import etree

    src = _sample_root(dest)
    title = next((src / "annotations").glob("*.xml")).stem
    ann = etree.parse(str(src / "annotations" / f"{title}.xml"))
    rel_path = src / "relationships" / f"{title}.xml"
    rel = etree.parse(str(rel_path)) if rel_path.is_file() else None
    images = sorted((src / "images" / title).iterdir())
    src_pages = ann.getroot().find("pages")
    rel_pages = {p.get("index"): p for p in rel.getroot().iter("page")} if rel is not None else {}
    n = len(src_pages)

    out_images = dest / "images" / TITLE
    out_images.mkdir(parents=True)
    (dest / "annotations").mkdir()
    new_ann = etree.Element("book", title=TITLE)
    new_ann.append(ann.getroot().find("characters"))
    new_pages = etree.SubElement(new_ann, "pages")
    new_rel = etree.Element("book", title=TITLE)
    new_rel_pages = etree.SubElement(new_rel, "pages")
    for i in range(pages):
        k, copy = i % n, i // n
        suffix = f"{copy:02x}" if copy else ""
        page = etree.fromstring(etree.tostring(src_pages[k]))
        page.set("index", str(i))
        for el in page.iter():
            if el.get("id"):
                el.set("id", el.get("id") + suffix)
        new_pages.append(page)
        if k in range(len(images)):
            target = out_images / f"{i:03d}{images[k].suffix}"
            try:
                os.link(images[k], target)
            except OSError:
                shutil.copyfile(images[k], target)
        links = rel_pages.get(str(k))
        if links is not None:
            links = etree.fromstring(etree.tostring(links))
            links.set("index", str(i))
            for el in links.iter("speaker_to_text"):
                el.set("text_id", el.get("text_id", "") + suffix)
                el.set("speaker_id", el.get("speaker_id", "") + suffix)
            new_rel_pages.append(links)
    xml = dest / "annotations" / f"{TITLE}.xml"
    etree.ElementTree(new_ann).write(str(xml), xml_declaration=True, encoding="utf-8")
    if rel is not None:
        (dest / "relationships").mkdir()
        etree.ElementTree(new_rel).write(
            str(dest / "relationships" / f"{TITLE}.xml"), xml_declaration=True, encoding="utf-8"
        )
    return xml


# ---- the child: the reader -----------------------------------------------------------------


def _rss_kb(pid: int | str = "self") -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children_rss_kb() -> int:
    total = 0
    with contextlib.suppress(OSError):
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as fh:
                total += sum(_rss_kb(pid) for pid in fh.read().split())
    return total


def child(book: str, minutes: float, interval: float) -> int:
    """Run the app on `book`, turning pages; one JSON line per second on stdout."""
    from PySide6 import __version__ as binding
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from m2m_reader import runtime
    from m2m_reader.engine.core.settings import Settings
    from m2m_reader.ui import theme
    from m2m_reader.ui.app import SWITCH_INTERVAL_S, App

    runtime.apply(switch_interval=SWITCH_INTERVAL_S, settle_heap=True)  # as ui.app.run does
    frames = int(os.environ.get("M2M_SOAK_TRACE") or 0)
    tracing = frames > 0
    if tracing:
        tracemalloc.start(frames)
    app = QApplication(sys.argv[:1])
    theme.apply(app)
    main = App(Settings(offline=True))
    main.open_book(book)
    app.aboutToQuit.connect(main.shutdown)
    reader = main.reader
    turns = [0]
    t0 = time.monotonic()

    def turn() -> None:
        if reader.book is None:
            return
        if reader.current_pages() and reader.current_pages()[-1] >= len(reader.book) - 1:
            reader.go_to_page(0)
        else:
            reader.next_spread()
        turns[0] += 1

    census_at = [time.monotonic()]

    def census() -> dict[str, int]:
        """What the reader holds (every 15 s: a full look at the heap is slow)."""
        import gc

        names = ("_Job", "_Decode", "_Rescale", "_Thumb", "QImage", "QPixmap", "QRunnable")
        counts = dict.fromkeys(names, 0)
        for obj in gc.get_objects():
            name = type(obj).__name__
            if name in counts:
                counts[name] += 1
        counts["decoded_pages"] = len(reader.images._cache)
        counts["prescaled_pages"] = len(reader.images._scaled)
        counts["thumbnails"] = len(reader.thumbs_model._pixmaps)
        return counts

    def report() -> None:
        engine = main.bridge.engine
        sample = {
            "t": round(time.monotonic() - t0, 2),
            "turns": turns[0],
            "none": sys.getrefcount(None),
            "true": sys.getrefcount(True),
            "rss_kb": _rss_kb(),
            "children_rss_kb": _children_rss_kb(),
            "music": len(main.bridge.ready_pages),
            "binding": binding,
            "memory_kb": memory_kb(),
            "malloc_kb": malloc_kb(),
            "engine": engine_holders(engine) if engine is not None else {},
        }
        if tracing:
            sample["traced_kb"] = tracemalloc.get_traced_memory()[0] // 1024
        if os.environ.get("M2M_SOAK_CENSUS") and time.monotonic() - census_at[0] >= 15:
            census_at[0] = time.monotonic()
            sample["census"] = census()
            if tracing:
                sample["top"] = top_lines(TRACE_TOP)
        print(json.dumps(sample), flush=True)

    turner = QTimer(interval=max(1, int(interval * 1000)))
    turner.timeout.connect(turn)
    turner.start()
    sampler = QTimer(interval=1000)
    sampler.timeout.connect(report)
    sampler.start()
    report()
    QTimer.singleShot(int(minutes * 60_000), app.quit)
    code = int(app.exec())
    report()
    return code


# ---- the parent: watch and summarise ---------------------------------------------------------


def _exit_text(code: int | None) -> str:
    if code is None:
        return "hung"
    if code < 0:
        with contextlib.suppress(ValueError):
            return signal.Signals(-code).name
        return f"signal {-code}"
    return str(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between turns")
    parser.add_argument("--book", help="read this book instead of a generated one")
    parser.add_argument(
        "--cache",
        help="start from a copy of this cache folder (with --book: a book prepared there "
        "reads with every page's music from the store, as after a first pass)",
    )
    parser.add_argument("--samples", help="also write every per-second sample (JSON lines) here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.exit(child(args.child, args.minutes, args.interval))

    tmp = Path(tempfile.mkdtemp(prefix="m2m-soak-"))
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.cache:
        shutil.copytree(args.cache, tmp / "cache")
    for name in ("CONFIG", "DATA", "CACHE"):
        (tmp / name.lower()).mkdir(exist_ok=True)
        env[f"M2M_READER_{name}_DIR"] = str(tmp / name.lower())
    book = args.book or str(build_book(tmp / "book", args.pages))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", book]
    cmd += ["--minutes", str(args.minutes), "--interval", str(args.interval)]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    samples: list[dict] = []
    errors: list[str] = []

    def read_errors() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            errors.append(line.rstrip())
            del errors[:-40]

    threading.Thread(target=read_errors, daemon=True).start()
    # Reported every second: a child silent for a minute is hung (its last sample stands).
    last_seen = [time.monotonic()]

    def read_samples() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with contextlib.suppress(ValueError):
                samples.append(json.loads(line))
                last_seen[0] = time.monotonic()

    reader = threading.Thread(target=read_samples, daemon=True)
    reader.start()
    hung = False
    while proc.poll() is None:
        time.sleep(0.5)
        if time.monotonic() - last_seen[0] > 60 + (120 if not samples else 0):
            hung = True
            proc.kill()
    proc.wait()
    reader.join(5)
    code = None if hung else proc.returncode
    crashed = hung or proc.returncode != 0
    shutil.rmtree(tmp, ignore_errors=True)
    if not samples:
        print("\n".join(errors[-20:]), file=sys.stderr)
        print(json.dumps({"crashed": True, "exit": _exit_text(code), "turns": 0}))
        return
    # The app's start (imports, the engine's first work) adds references for a while:
    # the counts are compared from WARM_UP_S on (from the first sample in a shorter run).
    first = next((i for i, s in enumerate(samples) if s["t"] >= WARM_UP_S), 0)
    nones = [s["none"] for s in samples[first:]]
    trues = [s["true"] for s in samples[first:]]
    rss = [s["rss_kb"] / 1024 for s in samples]
    peak = max(samples, key=lambda s: s["rss_kb"])
    if args.samples:
        Path(args.samples).write_text("".join(json.dumps(s) + "\n" for s in samples))
    # Once every page has its music the engine is idle but for the turns: from then on a
    # count that still climbs is a leak, not the engine's records filling in.
    full = next((s for s in samples if s["music"] >= samples[-1]["music"]), samples[-1])
    idle_min = (samples[-1]["t"] - full["t"]) / 60
    quarters = [samples[min(len(samples) - 1, len(samples) * q // 4)]["none"] for q in (1, 2, 3)]
    if crashed:
        print("\n".join(errors[-20:]), file=sys.stderr)
    print(json.dumps({
        "turns": samples[-1]["turns"],
        "minutes": round((time.monotonic() - started) / 60, 2),
        "minutes_asked": args.minutes,
        "interval_s": args.interval,
        "pages": args.pages if not args.book else None,
        "crashed": crashed,
        "exit": _exit_text(code),
        "none_refcount_launch": samples[0]["none"],
        "warm_up_s": samples[first]["t"],
        "none_refcount_start": nones[0],
        "none_refcount_end": nones[-1],
        "none_refcount_min": min(nones),
        "none_refcount_quarters": quarters,
        "music_done_s": full["t"],
        "none_refcount_at_music_done": full["none"],
        "none_refcount_per_min_after": round((nones[-1] - full["none"]) / idle_min, 1)
        if idle_min >= 1
        else None,
        "rss_mb_at_music_done": round(full["rss_kb"] / 1024, 1),
        "true_refcount_start": trues[0],
        "true_refcount_end": trues[-1],
        "true_refcount_min": min(trues),
        "rss_mb_start": round(rss[0], 1),
        "rss_mb_end": round(rss[-1], 1),
        "rss_mb_max": round(max(rss), 1),
        "rss_peak_s": peak["t"],
        "rss_mb_peak_by_kind": {k: round(v / 1024, 1) for k, v in peak.get("memory_kb", {}).items()},
        "malloc_mb_at_peak": {k: round(v / 1024, 1) for k, v in peak.get("malloc_kb", {}).items()},
        "engine_at_peak": peak.get("engine", {}),
        "largest_holder": largest_holder(samples, peak),
        "children_rss_mb_max": round(max(s["children_rss_kb"] for s in samples) / 1024, 1),
        "pages_with_music": samples[-1]["music"],
        "binding": samples[-1]["binding"],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
