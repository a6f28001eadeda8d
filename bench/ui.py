"""UI responsiveness: page paint after a key press, start-up, and event-loop blocking.

    .venv/bin/python bench/ui.py [BOOK]      (default: the sample book; offscreen Qt)

- page_paint_ms: key press → the preloaded next page painted (median and max of turns).
- startup_s: a fresh process started → library window shown (engine built meanwhile).
- max_ui_block_ms: the worst lateness of a 5 ms QTimer probe on the UI thread while the
  real engine prepares the whole soundtrack flat out (cold cache) and pages turn, in
  the real event loop; ui_block_p99_ms its 99th percentile. ui_own_work_max_ms: the
  most CPU time the UI thread itself spent between two probes (its own work, Qt's
  included); the rest of a lateness is waiting for a core or the interpreter lock,
  which on a loaded machine (see the load average) is most of it. M2M_BENCH_WHERE=1 prints
  where the UI thread is when it is more than 40 ms late.
- strip_frame_p95_ms: the vertical strip scrolled through a 30000-px webtoon (fifteen
  800x2000 JPEG pages) at 40 px a frame: the time of each frame (scroll, paint, events),
  95th percentile and worst.
- thumbs_all_shown_s: a 300-page CBZ (1000x1440 JPEG pages, cold cache), open for half
  a second: the thumbnail strip opened → every thumbnail shown; thumbs_max_ui_block_ms the worst
  lateness of the 5 ms probe meanwhile, thumbs_ui_own_work_max_ms the UI thread's own
  CPU time between two probes.
Prints one JSON object on its last line.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "resources" / "sample" / "images" / "HaruNoMelody"

STARTUP_CHILD = """
import sys, time, json
from PySide6.QtWidgets import QApplication
from PySide6.QtCore import QTimer
app = QApplication(sys.argv[:1])
from m2m_reader.engine.core import settings as s
from m2m_reader.ui import theme
from m2m_reader import runtime
from m2m_reader.ui.app import App, SWITCH_INTERVAL_S
runtime.apply(switch_interval=SWITCH_INTERVAL_S, settle_heap=True)
theme.apply(app)
main = App(s.load())
main.show_library()
def shown():
    if main.library.isVisible() and main.library.grid.isVisible() or main.library.empty.isVisible():
        print(json.dumps({"shown": time.time()}), flush=True)
        main.shutdown()
        app.quit()
    else:
        QTimer.singleShot(1, shown)
QTimer.singleShot(0, shown)
app.exec()
"""


def startup_s(env: dict[str, str]) -> float:
    runs = []
    for _ in range(3):
        t0 = time.time()
        out = subprocess.run([sys.executable, "-c", STARTUP_CHILD], env=env, capture_output=True,
                             text=True, timeout=120, check=True).stdout  # fmt: skip
        runs.append(json.loads(out.strip().splitlines()[-1])["shown"] - t0)
    return statistics.median(runs)


def watch_blocks(last_probe, clock) -> None:
    """Diagnosis (M2M_BENCH_WHERE=1): print where the UI thread is when the probe is
    more than 40 ms late, to stderr."""
    import threading
    import traceback

    main_id = threading.main_thread().ident

    def run() -> None:
        reported = -1
        while True:
            time.sleep(0.01)
            late = clock.elapsed() - last_probe()
            if late > 40 and last_probe() != reported:
                reported = last_probe()
                frames = sys._current_frames()
                frame = frames.get(main_id)
                stack = "".join(traceback.format_stack(frame, limit=12)) if frame else "?"
                names = {t.ident: t.name for t in threading.enumerate()}
                # The other threads' innermost frames: one of them may hold the GIL.
                others = "".join(
                    f"  [{names.get(ident, ident)}]\n" + "".join(traceback.format_stack(f)[-3:])
                    for ident, f in frames.items()
                    if ident not in (main_id, threading.get_ident())
                )
                print(
                    f"--- UI thread {late} ms late:\n{stack}--- others:\n{others}",
                    file=sys.stderr,
                    flush=True,
                )

    threading.Thread(target=run, daemon=True).start()


def watch_slots() -> Callable[[], None]:
    """Diagnosis (M2M_BENCH_SLOTS=1): time every Python callback the UI thread's event
    loop makes (slots, events, timers); the returned function prints the slowest to
    stderr, by the UI thread's own CPU time (waiting for the interpreter lock or for a
    core does not count) and by wall time."""
    import collections

    base = len(inspect_stack())
    starts: dict[int, tuple[float, float]] = {}
    worst: collections.Counter[str] = collections.Counter()
    count: collections.Counter[str] = collections.Counter()
    slow: list[tuple[float, str]] = []

    def profile(frame, event, _arg) -> None:
        if event not in ("call", "return"):
            return
        depth = 0
        f = frame
        while f is not None:
            depth += 1
            f = f.f_back
        if depth != base + 1:
            return
        if event == "call":
            starts[id(frame)] = (time.thread_time(), time.perf_counter())
            return
        t0 = starts.pop(id(frame), None)
        if t0 is None:
            return
        ms = (time.thread_time() - t0[0]) * 1000
        wall = (time.perf_counter() - t0[1]) * 1000
        code = frame.f_code
        name = f"{Path(code.co_filename).name}:{code.co_firstlineno} {code.co_name}"
        count[name] += 1
        worst[name] = max(worst[name], ms)
        if ms > 15:
            slow.append((ms, f"{name} (wall {wall:.0f} ms)"))

    sys.setprofile(profile)

    def report() -> None:
        sys.setprofile(None)
        print("--- UI callbacks over 15 ms of CPU (ms, callback):", file=sys.stderr)
        for ms, name in sorted(slow, reverse=True)[:25]:
            print(f"  {ms:7.1f}  {name}", file=sys.stderr)
        print("--- the slowest callbacks (worst CPU ms, calls):", file=sys.stderr)
        for name, ms in worst.most_common(15):
            print(f"  {ms:7.1f}  {count[name]:6d}  {name}", file=sys.stderr)

    return report


def inspect_stack() -> list[object]:
    """The frames of the caller's stack (the profiler counts depths from here)."""
    frames = []
    f = sys._getframe(2)
    while f is not None:
        frames.append(f)
        f = f.f_back
    return frames


def make_strip(folder: Path, pages: int = 15, size: tuple[int, int] = (800, 2000)) -> Path:
    """A webtoon chapter: tall JPEG pages with panels and lines to decode and scale."""
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(pages):
        im = Image.new("RGB", size, (250, 250, 248))
        draw = ImageDraw.Draw(im)
        for k in range(0, size[1], 400):
            draw.rectangle((40, k + 30, size[0] - 40, k + 370), outline=(20, 20, 20), width=4)
            for j in range(0, 300, 12):
                draw.line((60, k + 50 + j, size[0] - 60, k + 60 + j), fill=(i * 13 % 255, 90, 140))
        im.save(folder / f"{i:03d}.jpg", quality=88)
    return folder


def make_cbz(path: Path, pages: int = 300, size: tuple[int, int] = (1000, 1440)) -> Path:
    """A long volume: JPEG pages with panels, stored in a CBZ."""
    import io
    import zipfile

    from PIL import Image, ImageDraw

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(pages):
            im = Image.new("L", size, 245)
            draw = ImageDraw.Draw(im)
            for k in range(4):
                top = 40 + k * (size[1] - 80) // 4
                draw.rectangle((40, top, size[0] - 40, top + 300), outline=20, width=5)
                draw.ellipse(
                    (100 + i % 300, top + 40, 400 + i % 300, top + 200), outline=40, width=3
                )
            blob = io.BytesIO()
            im.save(blob, "JPEG", quality=85)
            zf.writestr(f"{i:04d}.jpg", blob.getvalue())
    return path


def thumbnails_shown(app, win, open_book, cbz: Path) -> tuple[float, float, float]:
    """(Seconds until every thumbnail of the book shows, worst UI lateness in ms, the
    most CPU time in ms the UI thread itself spent between two probes.)"""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    win.set_vertical(False)
    win.finder.show_thumbnails(False)  # opened below, once the book shows
    win.set_book(open_book(cbz))
    settle = QEventLoop()  # the book's first page shown, as before a person presses T
    QTimer.singleShot(500, settle.quit)
    settle.exec()
    clock = QElapsedTimer()
    clock.start()
    last, worst = [0], [0.0]
    cpu, own = [time.thread_time()], [0.0]

    def probe() -> None:
        now = clock.elapsed()
        worst[0] = max(worst[0], now - last[0] - 5)
        last[0] = now
        used = time.thread_time()
        own[0] = max(own[0], (used - cpu[0]) * 1000)
        cpu[0] = used

    timer = QTimer(interval=5, timerType=Qt.TimerType.PreciseTimer)
    timer.timeout.connect(probe)
    loop = QEventLoop()
    win.thumbs_model.allShown.connect(loop.quit)
    QTimer.singleShot(30_000, loop.quit)
    t0 = time.perf_counter()
    last[0] = clock.elapsed()
    cpu[0] = time.thread_time()
    timer.start()
    if os.environ.get("M2M_BENCH_WHERE"):
        watch_blocks(lambda: last[0], clock)
    win.finder.show_thumbnails(True)
    loop.exec()
    seconds = time.perf_counter() - t0
    timer.stop()
    if win.thumbs_model.shown_count() < len(win.book):
        seconds = float("inf")
    return seconds, worst[0], own[0]


def strip_frames(app, win, open_book, folder: Path) -> list[float]:
    """Frame times (ms) scrolling the strip of the book in `folder` from top to bottom."""
    win.set_book(open_book(folder))
    if not win.vertical:
        win.set_vertical(True)
    strip = win.strip
    end = time.monotonic() + 10
    while time.monotonic() < end and win.images.cached(0) is None:
        app.processEvents()
        time.sleep(0.002)
    frames = []
    y = 0.0
    while y < strip.max_y():
        t0 = time.perf_counter()
        y += 40
        strip.scroll_to(y, animate=False)
        strip.repaint()
        app.processEvents()
        frames.append((time.perf_counter() - t0) * 1000)
        time.sleep(max(0.0, 0.016 - (time.perf_counter() - t0)))  # 60 frames a second
    return frames


def main() -> None:
    book_path = Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE
    tmp = Path(tempfile.mkdtemp(prefix="m2m-bench-ui-"))
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for name in ("CONFIG", "DATA", "CACHE"):
        (tmp / name).mkdir()
        env[f"M2M_READER_{name}_DIR"] = str(tmp / name)
    os.environ.update(env)

    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from m2m_reader import runtime
    from m2m_reader.engine.books import open_book
    from m2m_reader.engine.core.settings import Settings
    from m2m_reader.engine.session.engine import Engine
    from m2m_reader.ui import theme
    from m2m_reader.ui.app import SWITCH_INTERVAL_S
    from m2m_reader.ui.bridge import EngineBridge
    from m2m_reader.ui.prefs import Prefs
    from m2m_reader.ui.reader_window import ReaderWindow

    runtime.apply(switch_interval=SWITCH_INTERVAL_S, settle_heap=True)  # as the app does
    app = QApplication(sys.argv[:1])
    theme.apply(app)
    settings = Settings()
    bridge = EngineBridge(None, settings)
    bridge.save_settings = False
    win = ReaderWindow(settings, bridge, Prefs(tmp / "ui.json"))
    win.resize(1280, 860)
    win.show()
    win.set_layout("single")
    book = open_book(book_path)
    win.set_book(book)

    def pump_until(cond, timeout_s: float = 10.0) -> None:
        end = time.monotonic() + timeout_s
        while not cond() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.001)

    # 1. Paint after a key press, with the neighbours preloaded.
    painted = []
    win.view.painted.connect(lambda: painted.append(time.perf_counter()))
    paints = []
    for _ in range(min(12, len(book) - 1)):
        nxt = win.current_pages()[-1] + 1
        pump_until(lambda n=nxt: win.images.cached(n) is not None)
        pump_until(lambda: False, 0.05)
        painted.clear()
        t0 = time.perf_counter()
        QTest.keyClick(win, Qt.Key.Key_Space)
        pump_until(lambda: bool(painted), 2.0)
        if painted:
            paints.append((painted[0] - t0) * 1000)

    # 2. Event-loop latency while the engine works flat out.
    engine = Engine(settings, on_event=bridge.on_event)
    bridge.attach(engine)
    win.go_to_page(0)
    worst = 0.0
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    lateness: list[float] = []

    cpu = [time.thread_time()]
    busy: list[float] = []  # the UI thread's own CPU time between two probes, ms

    def probe() -> None:
        nonlocal worst
        now = clock.elapsed()
        worst = max(worst, now - last[0] - 5)
        lateness.append(now - last[0] - 5)
        last[0] = now
        used = time.thread_time()
        busy.append((used - cpu[0]) * 1000)
        cpu[0] = used

    timer = QTimer(interval=5, timerType=Qt.TimerType.PreciseTimer)
    timer.timeout.connect(probe)
    turner = QTimer(interval=400)
    turner.timeout.connect(win.next_spread)
    pump_until(lambda: False, 0.5)  # let the first open settle before probing
    last[0] = clock.elapsed()
    cpu[0] = time.thread_time()
    timer.start()
    turner.start()
    if os.environ.get("M2M_BENCH_WHERE"):
        watch_blocks(lambda: last[0], clock)
    report = watch_slots() if os.environ.get("M2M_BENCH_SLOTS") else None
    bridge.prepare_all()
    # The real event loop (as the app runs it), left when every page has music.
    loop = QEventLoop()
    done = QTimer(interval=50)
    done.timeout.connect(lambda: len(bridge.ready_pages) >= len(book) and loop.quit())
    done.start()
    QTimer.singleShot(20_000, loop.quit)
    loop.exec()
    done.stop()
    timer.stop()
    turner.stop()
    ready = len(bridge.ready_pages)
    if report is not None:
        report()
    bridge.close()

    # 3. The vertical strip: a 30000-px webtoon scrolled at 60 frames a second, on a
    # fresh engine (the closed one refuses work), the soundtrack following as it scrolls.
    bridge.attach(Engine(settings, on_event=bridge.on_event))
    frames = sorted(strip_frames(app, win, open_book, make_strip(tmp / "strip")))
    bridge.close()  # phase 4 reads without music

    # 4. Thumbnails of a 300-page volume, cold.
    thumbs_s, thumbs_block, thumbs_own = thumbnails_shown(
        app, win, open_book, make_cbz(tmp / "long.cbz")
    )
    win.close()

    print(json.dumps({
        "page_paint_ms": round(statistics.median(paints), 2),
        "page_paint_max_ms": round(max(paints), 2),
        "startup_s": round(startup_s(env), 3),
        "max_ui_block_ms": round(worst, 2),
        "ui_block_p99_ms": round(sorted(lateness)[int(0.99 * (len(lateness) - 1))], 2),
        "ui_own_work_max_ms": round(max(busy), 2),
        "pages_ready_during_probe": ready,
        "strip_frame_p95_ms": round(frames[int(0.95 * (len(frames) - 1))], 2),
        "strip_frame_max_ms": round(frames[-1], 2),
        "strip_frames": len(frames),
        "thumbs_all_shown_s": round(thumbs_s, 2),
        "thumbs_max_ui_block_ms": round(thumbs_block, 2),
        "thumbs_ui_own_work_max_ms": round(thumbs_own, 2),
        "pages": len(book),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
