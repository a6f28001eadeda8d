"""Live playback benchmark: first music, page-turn latency, underruns, callback load, RSS.

    python bench/live.py [--minutes 10] [--pages 200] [--no-jack] [--python-mixer]

Plays through the JACK dummy driver when it can (it starts `jackd --no-realtime -d
dummy -r 48000 -p 1024` if none runs, and stops it after), else through a simulated
real-time pull loop (a thread pulling one block per block period). Steps:

1. cold: an empty cache, the engine started, the sample book opened → the first
   audible block (`first_music_cold_s`);
2. cached: a new engine on the same book → the first audible block
   (`first_music_cached_s`), and a whole reopened book's jobs (`reopen_jobs`);
3. reading: a 200-page book (the sample's pages, cycled) read for `--minutes` with turns
   every 1-6 s and random jumps while the engine computes the whole book flat out:
   turn → crossfade under way (`turn_to_crossfade_ms`, p95 and max), underruns, the
   callback's p99 time over the block period, peak RSS; how long the engine took to
   give every page its music (`engine_busy_s`) and the underruns meanwhile; and the CPU
   time the virtual machine's host stole (`steal_s`), with the underruns that fell while
   it stole at least 10 ms of a CPU (`underruns_during_steal`). With `--pages 1000` the
   engine stays busy for the whole reading.

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "resources" / "sample" / "annotations" / "HaruNoMelody.xml"
BLOCK = 1024
RATE = 48000


class Probe:
    """Stands between the engine and the mixer: notes the first audible block and when
    turns land.

    With the native mixer on a real stream, the C callback mixes and stamps its own
    figures (the first audible block, each crossfade's block start); otherwise `pull`
    wraps the mixer's and measures in Python.
    """

    def __init__(self, mixer: Any) -> None:
        self.mixer = mixer
        self.sample_rate, self.channels = mixer.sample_rate, mixer.channels
        self.native = type(mixer).__name__ == "NativeMixer"
        if not self.native:
            mixer.record_events = True
        self.now = time.perf_counter
        if self.native:
            from m2m_reader.engine.audio.native import now

            self.now = now  # the clock the C callback stamps with
        self._first_audible: float | None = None
        self.turn_asked: float | None = None
        self.turn_latencies: list[float] = []
        self._asked: tuple[float, int, int] | None = None  # native: (time, page, events seen)
        self._seen = 0
        self.starts = np.zeros(1 << 17)  # when each callback began (a 10-minute run fits)
        self.pulls = 0

    @property
    def first_audible(self) -> float | None:
        if self.native and self._first_audible is None:
            return self.mixer.first_audible
        return self._first_audible

    def pull(self, out: np.ndarray) -> None:
        now = time.perf_counter()
        if self.pulls < len(self.starts):
            self.starts[self.pulls] = now
        self.pulls += 1
        self.mixer.pull(out)
        if self._first_audible is None and float(np.abs(out).max()) > 1e-4:
            self._first_audible = now
        events = self.mixer.events
        if len(events) != self._seen:
            new = events[self._seen :]
            self._seen = len(events)
            if self.turn_asked is not None and any(
                k in ("turn", "change", "start") for _, k, _ in new
            ):
                self.turn_latencies.append(now - self.turn_asked)
                self.turn_asked = None
            if len(events) > 10000:
                events.clear()
                self._seen = 0

    def settle_native(self) -> None:
        """Match the last turn asked with the crossfade the C callback started for it."""
        if self._asked is None:
            return
        asked, page, seen = self._asked
        times = self.mixer.event_times()
        for t, kind, p in times[seen:]:
            if p == page and kind in ("turn", "change", "start"):
                self.turn_latencies.append(max(0.0, t - asked))
                self._asked = None
                return

    def read_to(self, engine: Any, page: int, kind: str) -> None:
        """The reader moves: note the time when the page's music is ready to fade in."""
        if self.native:
            self.settle_native()
            self._asked = None
            if engine.cue(page) is not None:
                self._asked = (self.now(), page, len(self.mixer.event_times()))
        elif self.turn_asked is None and engine.cue(page) is not None:
            self.turn_asked = time.perf_counter()
        engine.set_cursor(page, kind)

    # the mixer interface the engine uses
    def turn(self, page: int, kind: str = "turn", at: int | None = None) -> None:
        self.mixer.turn(page, kind, at)

    def set_cue(self, page: int, cue: Any) -> None:
        self.mixer.set_cue(page, cue)

    def forget(self, page: int) -> None:
        self.mixer.forget(page)

    def set_volume(self, v: float) -> None:
        self.mixer.set_volume(v)

    def mute(self, m: bool = True) -> None:
        self.mixer.mute(m)

    def fade_out(self, seconds: float, at: int | None = None) -> None:
        self.mixer.fade_out(seconds, at)


class SimulatedOutput:
    """A real-time pull loop: one block per block period; a late block is an underrun."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.underruns = 0
        self.callbacks = 0
        self.durations: list[float] = []
        self._late: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        from m2m_reader.engine.audio.live import SWITCH_INTERVAL_S

        sys.setswitchinterval(SWITCH_INTERVAL_S)  # as the live output does
        self._thread.start()

    def _run(self) -> None:
        out = np.zeros((BLOCK, 2), np.float32)
        period = BLOCK / RATE
        deadline = time.perf_counter() + period
        while not self._stop.is_set():
            t0 = time.perf_counter()
            self.probe.pull(out)
            t1 = time.perf_counter()
            self.durations.append(t1 - t0)
            self.callbacks += 1
            if t1 > deadline:
                self.underruns += 1
                self._late.append(t1)
                deadline = t1
            time.sleep(max(0.0, deadline - time.perf_counter()))
            deadline += period

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def callback_durations(self) -> np.ndarray:
        return np.array(self.durations)

    def underrun_times(self) -> np.ndarray:
        return np.array(self._late)


class StealMonitor:
    """Time the virtual machine's host takes the CPUs away (/proc/stat's steal column),
    per 50 ms and per CPU. A vCPU stopped by the host stops the audio thread on it (or
    the JACK server's), whatever its priority: an underrun then is not the program's."""

    WINDOW_S = 0.05

    def __init__(self) -> None:
        self.events: list[tuple[float, float]] = []  # (end time, worst CPU's steal ms)
        self.total_ms = 0.0
        self._stop = threading.Event()
        self._ok = os.path.exists("/proc/stat")
        if self._ok:
            threading.Thread(target=self._run, daemon=True).start()

    @staticmethod
    def _read() -> list[int]:
        with open("/proc/stat") as fh:
            return [int(ln.split()[8]) for ln in fh if ln[:3] == "cpu" and ln[3].isdigit()]

    def _run(self) -> None:
        tick = 1000 / os.sysconf("SC_CLK_TCK")
        prev = self._read()
        while not self._stop.wait(self.WINDOW_S):
            cur = self._read()
            per_cpu = [(c - p) * tick for c, p in zip(cur, prev, strict=True)]
            self.total_ms += sum(per_cpu)
            if max(per_cpu) > 0:
                self.events.append((time.perf_counter(), max(per_cpu)))
            prev = cur

    def spans(self) -> list[tuple[str, float, float]]:
        return [(f"steal>={int(ms // 10) * 10}ms", t - self.WINDOW_S, t) for t, ms in self.events]

    def report(self, underrun_times: np.ndarray) -> dict[str, Any]:
        """How much was stolen, and how many underruns fell in a window (or the one
        before) where the host stole at least 10 ms of a CPU."""
        self._stop.set()
        stolen = [t for t, ms in self.events if ms >= 10]
        during = sum(
            any(u - 2 * self.WINDOW_S <= t <= u + self.WINDOW_S for t in stolen)
            for u in underrun_times
        )
        return {"steal_s": round(self.total_ms / 1000, 2),
                "steal_max_ms_per_50ms": max((ms for _, ms in self.events), default=0.0),
                "underruns_during_steal": int(during)}  # fmt: skip


class Tracer:
    """Notes when the engine does each kind of work, and how late a 1 ms sleeper wakes
    (the GIL held by another thread), to see what coincides with each underrun."""

    def __init__(self, engine: Any, probe: Probe, steal: StealMonitor) -> None:
        self.spans: list[tuple[str, float, float]] = []
        self.steal = steal
        self.late: list[tuple[float, float]] = []  # (time, seconds late) over 2 ms
        self._stop = threading.Event()
        self._wrap(engine.store, "put_audio", "cache_write")
        self._wrap(engine.store, "get_audio", "cache_read")
        self._wrap(probe, "set_cue", "mixer_set_cue")
        self._wrap(engine._planner, "schedule", "schedule")
        from m2m_reader.engine.session import cue_maker

        self._wrap(cue_maker, "release_memory", "malloc_trim")
        music = engine.music
        if hasattr(music, "_receive"):
            self._wrap(music, "_receive", "cue_handoff")
        self._wrap_jobs()
        self._gc_start = 0.0
        gc.callbacks.append(self._gc)
        threading.Thread(target=self._gil, daemon=True).start()

    def _wrap_jobs(self) -> None:
        """Every engine job becomes a span named by its kind (the key up to ':')."""
        from m2m_reader.engine.session import scheduler

        submit = scheduler.Pool.submit
        spans = self.spans

        def traced(pool: Any, key: str, fn: Any, *a: Any, **k: Any) -> Any:
            label = "job:" + key.split(":")[0]

            def job(*fa: Any, **fk: Any) -> Any:
                t0 = time.perf_counter()
                try:
                    return fn(*fa, **fk)
                finally:
                    spans.append((label, t0, time.perf_counter()))

            return submit(pool, key, job, *a, **k)

        scheduler.Pool.submit = traced  # type: ignore[method-assign]

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.spans.append((f"gc{info['generation']}", self._gc_start, time.perf_counter()))

    def _wrap(self, obj: Any, name: str, label: str) -> None:
        fn = getattr(obj, name)

        def wrapped(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                self.spans.append((label, t0, time.perf_counter()))

        setattr(obj, name, wrapped)

    def _gil(self) -> None:
        # At the callback's priority, so that waking late means waiting for the GIL.
        from m2m_reader.engine.audio.live import raise_thread_priority

        raise_thread_priority()
        while not self._stop.is_set():
            t0 = time.perf_counter()
            time.sleep(0.001)
            late = time.perf_counter() - t0 - 0.001
            if late > 0.002:
                self.late.append((t0, late))

    def report(self, out: Any) -> dict[str, Any]:
        self._stop.set()
        times = out.underrun_times() if hasattr(out, "underrun_times") else np.array([])
        near: dict[str, int] = {}
        window = 3 * BLOCK / RATE  # the callback notices an xrun up to a few blocks late
        spans = self.spans + self.steal.spans()
        for u in times:
            labels = {lab for lab, a, b in spans if a - window <= u and b >= u - window}
            if any(u - window <= t <= u for t, _ in self.late):
                labels.add("gil_wait>2ms")
            for lab in labels or {"nothing"}:
                near[lab] = near.get(lab, 0) + 1
        late_near: dict[str, int] = {}
        for t, x in self.late:
            if x < 0.008:
                continue
            labels = {lab for lab, a, b in spans if a <= t + x and b >= t}
            for lab in labels or {"nothing"}:
                late_near[lab] = late_near.get(lab, 0) + 1
        lates = np.array([x for _, x in self.late]) * 1000 if self.late else np.zeros(1)
        busy: dict[str, float] = {}
        for lab, a, b in self.spans:
            busy[lab] = max(busy.get(lab, 0.0), (b - a) * 1000)
        return {"underruns_near": near, "gil_waits_over_8ms_near": late_near,
                "gil_waits_over_2ms": len(self.late),
                "gil_wait_max_ms": round(float(lates.max()), 2),
                "span_max_ms": {k: round(v, 1) for k, v in busy.items()}}  # fmt: skip


def ensure_jack(realtime: bool = False) -> subprocess.Popen | None:
    """Start the JACK dummy driver if none runs; returns the process we started.
    `realtime`: the server's threads real-time (as jackd runs by default, and as desktop
    audio servers do) instead of `--no-realtime`."""
    if shutil.which("jackd") is None:
        return None
    probe = (
        subprocess.run(["jack_lsp"], capture_output=True, timeout=10)
        if shutil.which("jack_lsp")
        else None
    )
    if probe is not None and probe.returncode == 0:
        return None  # a server is already running
    proc = subprocess.Popen(
        ["jackd", *(["-R", "-P", "70"] if realtime else ["--no-realtime"]),
         "-d", "dummy", "-r", str(RATE), "-p", str(BLOCK)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.5)
    return proc


def open_output(probe: Probe, use_jack: bool) -> tuple[Any, str]:
    if use_jack:
        try:
            from m2m_reader.engine.audio import live
            from m2m_reader.engine.audio.devices import AudioUnavailable, output_devices
            from m2m_reader.engine.audio.live import LiveOutput

            live.RING = 1 << 16  # keep every callback's duration of a 10-minute run

            dev = next((d for d in output_devices() if "JACK" in d.host_api), None)
            if dev is not None:
                target = probe.mixer if probe.native else probe  # C pulls the mixer itself
                out = LiveOutput(target, device=dev.index, blocksize=BLOCK)  # type: ignore[arg-type]
                out.start()
                return out, f"jack:{dev.name}"
        except AudioUnavailable as exc:
            print(f"# JACK unavailable: {exc}", file=sys.stderr)
    probe.native = False  # the Python loop pulls, through the probe
    out = SimulatedOutput(probe)
    out.start()
    return out, "simulated"


def stop_output(out: Any) -> None:
    out.stop()


def release_audio() -> None:
    """Close this process's PortAudio: its JACK client would otherwise stay in the graph,
    an idle second client the server waits for every cycle, while the reading phase
    plays from a process of its own."""
    if "sounddevice" in sys.modules:
        with contextlib.suppress(Exception):
            sys.modules["sounddevice"]._terminate()


def cycled_book(n: int) -> Any:
    """A book of `n` pages made of the sample's pages, cycled (new fingerprint)."""
    from m2m_reader.engine.books import open_book
    from m2m_reader.engine.books.model import Book

    sample = open_book(SAMPLE)
    k = len(sample)
    pages = [replace(sample.pages[i % k], index=i) for i in range(n)]
    return Book(path=sample.path, title=f"{sample.title} x{n}", kind=sample.kind, direction=sample.direction,
                pages=pages, open_image=lambda p: sample.image(p.index % k), fingerprint=f"{sample.fingerprint}-x{n}",
                characters=sample.characters, direction_known=True, close=sample.close)  # fmt: skip


def make_engine(settings: Any) -> Any:
    from m2m_reader.engine.session.engine import Engine
    from m2m_reader.engine.session.reading_speed import ReadingSpeed

    engine = Engine(settings, audio=False, music_process=True, speed=ReadingSpeed(persist=False),
                    edits_in_memory=True)  # fmt: skip
    engine.music  # wait for the music backend to start  # noqa: B018
    return engine


def make_mixer(python: bool) -> Any:
    """The live mixer: the native one unless asked for Python or it is unavailable."""
    from m2m_reader.engine.audio import native
    from m2m_reader.engine.audio.mixer import Mixer

    if python or native.available():
        if not python:
            print(f"# native mixer unavailable: {native.available()}", file=sys.stderr)
        return Mixer(sample_rate=RATE)
    return native.NativeMixer(sample_rate=RATE, record_events=True, stats_ring=1 << 17)


def first_music(settings: Any, use_jack: bool, python: bool) -> tuple[float, str, Any]:
    from m2m_reader.engine.books import open_book

    engine = make_engine(settings)
    probe = Probe(make_mixer(python))
    engine.attach_mixer(probe)
    out, how = open_output(probe, use_jack)
    t0 = probe.now()
    engine.open(open_book(SAMPLE))
    while probe.first_audible is None and probe.now() - t0 < 60:
        time.sleep(0.002)
    seconds = (probe.first_audible or float("nan")) - t0
    stop_output(out)
    return seconds, how, engine


def status_mb(field: str, pid: int | str = "self") -> float:
    """A memory line of /proc/PID/status (VmRSS now, VmHWM the peak), in MB."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(pid: int | str = "self") -> float:
    return status_mb("VmRSS", pid)


def pss_mb(pid: int | str = "self") -> float:
    """The proportional set size (shared pages divided among the processes sharing them,
    e.g. the JACK server's shared memory every client maps), in MB. Read once at the end:
    the kernel walks the page tables to answer, holding the process's memory map lock,
    which would stall the audio thread's page faults if sampled while playing."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children() -> list[int]:
    """This process's children (the composer's process)."""
    me = os.getpid()
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == me:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return out


def peak_memory() -> dict[str, float]:
    """Peak resident memory without sampling while playing: each process's own high-water
    mark (VmHWM), summed over this process and its children (an upper bound on the peak
    of the sum), and the proportional size now."""
    kids = children()
    main_peak = status_mb("VmHWM")
    total = main_peak + sum(status_mb("VmHWM", p) for p in kids)
    pss = pss_mb() + sum(pss_mb(p) for p in kids)
    return {"rss_mb": round(total, 1), "rss_main_mb": round(main_peak, 1), "pss_mb": round(pss, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the simulated reading")
    ap.add_argument("--pages", type=int, default=200, help="pages of the book read")
    ap.add_argument("--no-jack", action="store_true", help="use the simulated pull loop")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--block", type=int, default=1024, help="frames per callback")
    ap.add_argument(
        "--idle",
        action="store_true",
        help="read the (cached) sample book: the engine has no work to do",
    )
    ap.add_argument(
        "--trace", action="store_true", help="report what the engine was doing around each underrun"
    )
    ap.add_argument(
        "--jack-realtime",
        action="store_true",
        help="start the JACK server with real-time threads (default: --no-realtime)",
    )
    ap.add_argument(
        "--python-mixer",
        action="store_true",
        help="mix in the Python callback even when the native mixer is available",
    )
    ap.add_argument("--phase", choices=("all", "reading"), default="all", help=argparse.SUPPRESS)
    args = ap.parse_args()
    from m2m_reader import runtime

    runtime.apply()  # as the command line does (the allocator tuned: RSS as a reader sees it)
    global BLOCK
    BLOCK = args.block
    if args.phase == "reading":  # run by `all` in a process of its own, for an honest RSS
        from m2m_reader.engine.core.settings import Settings

        print(json.dumps(read_for(Settings(offline=True), args, not args.no_jack)), flush=True)
        return

    work = Path(tempfile.mkdtemp(prefix="m2m-bench-live-"))
    for name in ("CACHE", "DATA", "CONFIG"):
        os.environ[f"M2M_READER_{name}_DIR"] = str(work / name.lower())
    jack = None if args.no_jack else ensure_jack(args.jack_realtime)
    from m2m_reader.engine.core.settings import Settings

    settings = Settings(offline=True)
    try:
        cold, how, engine = first_music(settings, not args.no_jack, args.python_mixer)
        engine.prepare_all()
        engine.close()
        cached, _, engine = first_music(settings, not args.no_jack, args.python_mixer)
        engine.prepare_all()
        engine.wait_idle(30)
        reopen_jobs = engine.stats.analysis_records + engine.stats.music_jobs
        engine.close()
        release_audio()
        print(f"# first music cold {cold:.3f} s, cached {cached:.3f} s ({how}); reopen jobs {reopen_jobs}",
              file=sys.stderr)  # fmt: skip
        cmd = [
            sys.executable,
            __file__,
            "--phase",
            "reading",
            "--minutes",
            str(args.minutes),
            "--pages",
            str(args.pages),
            "--seed",
            str(args.seed),
            "--block",
            str(args.block),
        ]
        cmd += [f"--{f}" for f in ("no-jack", "idle", "trace", "python-mixer") if getattr(args, f.replace("-", "_"))]  # fmt: skip
        # PortAudio's JACK host API may abort at exit after the figures are printed.
        done = subprocess.run(cmd, capture_output=True, text=True)
        sys.stderr.write(done.stderr)
        lines = [x for x in done.stdout.strip().splitlines() if x.startswith("{")]
        if not lines:
            raise SystemExit(f"the reading phase failed (exit {done.returncode})")
        reading = json.loads(lines[-1])
    finally:
        if jack is not None:
            jack.terminate()
            jack.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"first_music_cold_s": round(cold, 3), "first_music_cached_s": round(cached, 3),
                      "reopen_jobs": reopen_jobs, "output": how,
                      "jack_server": "realtime" if args.jack_realtime else "no-realtime",
                      **reading}))  # fmt: skip


def read_for(settings: Any, args: argparse.Namespace, use_jack: bool) -> dict[str, Any]:
    rng = random.Random(args.seed)
    gc.collect()
    print(f"# RSS before reading: {rss_mb():.0f} MB", file=sys.stderr)
    engine = make_engine(settings)
    probe = Probe(make_mixer(args.python_mixer))
    engine.attach_mixer(probe)
    out, how = open_output(probe, use_jack)
    steal = StealMonitor()
    tracer = Tracer(engine, probe, steal) if args.trace else None
    if args.idle:
        from m2m_reader.engine.books import open_book

        book = open_book(SAMPLE)
    else:
        book = cycled_book(args.pages)
    engine.open(book)
    started = time.monotonic()
    end = started + args.minutes * 60
    busy_until: list[float] = []  # when every page of the book had its music

    def watch_engine() -> None:
        while time.monotonic() < end and not busy_until:
            if len(engine.ready_pages()) >= len(book):
                busy_until.append(time.monotonic())
            time.sleep(0.5)

    threading.Thread(target=watch_engine, daemon=True).start()
    turns = jumps = 0
    page = 0
    while time.monotonic() < end:
        time.sleep(rng.uniform(1.0, 6.0))
        if rng.random() < 0.12:
            page = rng.randrange(len(book))
            probe.read_to(engine, page, "jump")
            jumps += 1
        else:
            page = min(len(book) - 1, page + 1) if rng.random() < 0.9 else max(0, page - 1)
            probe.read_to(engine, page, "turn")
            turns += 1
    probe.settle_native()
    durations = out.callback_durations()
    underruns = out.underruns
    times = out.underrun_times() if hasattr(out, "underrun_times") else np.array([])
    # perf_counter and monotonic are one clock on Linux (CLOCK_MONOTONIC)
    busy_end = busy_until[0] if busy_until else time.monotonic()
    busy = {"engine_busy_s": round(busy_end - started, 1),
            "underruns_while_engine_busy": int(np.sum(times <= busy_end))}  # fmt: skip
    if probe.native:
        starts = probe.mixer.callback_starts()
    else:
        starts = probe.starts[: min(probe.pulls, len(probe.starts))]
    traced = tracer.report(out) if tracer is not None else {}
    stolen = steal.report(out.underrun_times() if hasattr(out, "underrun_times") else np.array([]))
    stop_output(out)
    ready = len(engine.ready_pages())
    memory = peak_memory()  # before the composer's process ends with the engine
    engine.close()
    lat = (
        np.array(probe.turn_latencies) * 1000 if probe.turn_latencies else np.array([float("nan")])
    )
    period = BLOCK / RATE
    gaps = np.diff(starts) * 1000
    return {
        "turn_to_crossfade_ms": round(float(np.percentile(lat, 95)), 2),
        "turn_to_crossfade_max_ms": round(float(lat.max()), 2),
        "turn_to_crossfade_median_ms": round(float(np.median(lat)), 2),
        "underruns": int(underruns),
        "callback_p99_fraction": round(float(np.percentile(durations, 99)) / period, 4)
        if len(durations)
        else None,
        "callback_max_fraction": round(float(durations.max()) / period, 4)
        if len(durations)
        else None,
        "callbacks": int(len(durations)),
        # time from one callback's start to the next's (one block is 21.3 ms): a long
        # one is a callback that began late (the GIL, the CPU, the server)
        "callback_interval_p999_ms": round(float(np.percentile(gaps, 99.9)), 2)
        if len(gaps)
        else None,
        "callback_interval_max_ms": round(float(gaps.max()), 2) if len(gaps) else None,
        **memory,  # peak VmRSS with the composer's process; PSS divides JACK's shared memory
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "reading_minutes": args.minutes,
        "pages": args.pages,
        "turns": turns,
        "jumps": jumps,
        "pages_with_music": ready,
        "reading_output": how,
        "block": BLOCK,
        "callback_priority": getattr(out, "callback_priority", ""),
        "mixer": "native" if probe.native else "python",
        "idle": bool(args.idle),
        **busy,
        "load_avg_1m": round(os.getloadavg()[0], 2),
        **stolen,
        **traced,
    }


if __name__ == "__main__":
    main()
