"""Benchmark: a folder of small books through `m2m-reader batch` on a local Ray.

    .venv/bin/python bench/batch.py [--books 20] [--pages 6] [--keep DIR]

Through the real commands, each in a process of its own with its own cache, data and
config folders (the built-in backends):

1. sequential: `m2m-reader export` once per book, one after the other, cold cache;
2. batch: `m2m-reader batch IN -o OUT`, cold cache (a local Ray on this machine's
   CPUs); the memory of every process under it is sampled as it runs;
3. rerun: the same command again on the finished folder (the target: under 10 % of 2);
4. kill -9: a batch into another folder with another cold cache, killed (its whole
   process group) once a few books are done, then run again: every book must be
   valid, and the run's journal (`OUT/.m2m-batch/composed.jsonl`, a line per cue made)
   must list no cue twice.

Reports the wall times, the throughput ratio (sequential time over batch time), pages
per minute both ways, the rerun's share, the kill test's counts, and the largest
resident memory of each kind of process (Ray's workers by their task). Prints one JSON
object on its last line.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_batch import write_cbz  # noqa: E402 - the tests' book maker

from m2m_reader.engine.batch import composed_keys, find_books, outputs, outputs_valid  # noqa: E402

CLI = "import sys; from m2m_reader.cli import main; sys.exit(main(sys.argv[1:]))"


def env_for(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("CACHE", "DATA", "CONFIG"):
        env[f"M2M_READER_{name}_DIR"] = str(home / name.lower())
    return env


def cli(home: Path, *args: str) -> float:
    """`m2m-reader ARGS` with `home`'s folders, to the end; its wall seconds."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CLI, *args], env=env_for(home), cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"m2m-reader {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - t0


def tree(pid: int) -> list[int]:
    """`pid` and every process started under it (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [pid], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kind(pid: int) -> str:
    """A process's kind: Ray's title for its workers (ray::MapWorker(...)), else its
    program name."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    first = cmd[0].decode(errors="replace")
    if first.startswith("ray::"):
        return first.split(" ")[0]
    names = [Path(c.decode(errors="replace")).name for c in cmd[:3] if c]
    return next(
        (n for n in names if n.endswith((".py", "raylet", "gcs_server"))),
        names[0] if names else "?",
    )


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class MemorySampler:
    """The largest resident memory of each kind of process under `pid`, sampled."""

    def __init__(self, pid: int, every_s: float = 0.5) -> None:
        self.pid, self.every_s = pid, every_s
        self.peak: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            for p in tree(self.pid)[1:]:
                kind = _kind(p)
                self.peak[kind] = max(self.peak.get(kind, 0.0), _rss_mb(p))

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {k: round(v, 1) for k, v in sorted(self.peak.items())}


def batch(home: Path, src: Path, out: Path) -> tuple[float, dict[str, float]]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CLI, "batch", str(src), "-o", str(out)],
                            env=env_for(home), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    sampler = MemorySampler(proc.pid)
    _, err = proc.communicate()
    memory = sampler.stop()
    if proc.returncode != 0:
        sys.exit(f"m2m-reader batch failed:\n{err[-2000:]}")
    return time.perf_counter() - t0, memory


def killed_then_rerun(home: Path, src: Path, out: Path, after: int) -> dict[str, object]:
    """A batch killed with SIGKILL (its process group and all under it) once `after`
    books are done, then run again."""
    proc = subprocess.Popen([sys.executable, "-c", CLI, "batch", str(src), "-o", str(out)],
                            env=env_for(home), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)  # fmt: skip
    assert proc.stdout is not None
    done = 0
    for line in proc.stdout:
        done += line.startswith("[")
        if done >= after:
            break
    composed_at_kill = len(composed_keys(out))
    started = tree(proc.pid)
    os.killpg(proc.pid, signal.SIGKILL)
    for pid in started:  # Ray's agents outlive their node: end what this run started
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()
    rerun_s = cli(home, "batch", str(src), "-o", str(out))
    jobs = find_books(src)
    manifest = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    keys = composed_keys(out)
    return {
        "books_done_at_kill": done,
        "cues_composed_at_kill": composed_at_kill,
        "rerun_s": round(rerun_s, 1),
        "every_book_valid": all(outputs_valid(outputs(out, j, "flac")) is None for j in jobs)
        and all(r["status"] == "ok" for r in manifest),
        "cues_composed": len(keys),
        "distinct_cues": len(set(keys)),
        "composed_twice": len(keys) - len(set(keys)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--books", type=int, default=20)
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="m2m-bench-batch-"))
    work.mkdir(parents=True, exist_ok=True)
    src = work / "books"
    for i in range(args.books):
        write_cbz(src / f"book{i:02d}.cbz", pages=args.pages, book=i)
    pages = args.books * args.pages
    load = os.getloadavg()[0]
    try:
        seq_out = work / "sequential"
        seq_out.mkdir(exist_ok=True)
        t0 = time.perf_counter()
        for job in find_books(src):
            cli(work / "home-seq", "export", job.path, "-o", str(seq_out / f"{job.name}.flac"))
        sequential_s = time.perf_counter() - t0
        print(f"sequential export: {sequential_s:.1f} s", file=sys.stderr)
        batch_s, memory = batch(work / "home-batch", src, work / "out")
        print(f"batch: {batch_s:.1f} s", file=sys.stderr)
        rerun_s = cli(work / "home-batch", "batch", str(src), "-o", str(work / "out"))
        print(f"rerun: {rerun_s:.1f} s", file=sys.stderr)
        kill = killed_then_rerun(
            work / "home-kill", src, work / "out-kill", after=max(1, args.books // 4)
        )
        print(f"kill -9 and rerun: {kill}", file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    report = {
        "books": args.books,
        "pages": pages,
        "cpus": os.cpu_count(),
        "load_average_at_start": round(load, 2),
        "sequential_export_s": round(sequential_s, 1),
        "batch_s": round(batch_s, 1),
        "throughput_ratio": round(sequential_s / batch_s, 2),
        "pages_per_min_batch": round(pages / batch_s * 60, 1),
        "pages_per_min_sequential": round(pages / sequential_s * 60, 1),
        "rerun_s": round(rerun_s, 1),
        "rerun_share": round(rerun_s / batch_s, 3),
        "kill": kill,
        "peak_rss_mb_by_process": memory,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
