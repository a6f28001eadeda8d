"""Worker pools with a priority queue and cancel tokens.

A `Pool` runs jobs on its own threads, lowest priority tuple first. The engine uses
two: analysis (a few threads; LLM calls wait on the network) and music (one thread:
the music backend runs one job at a time on its device), so a long generation never
delays what the cursor needs from analysis.

Every job carries a `CancelToken`, checked when it starts and again before its result
is delivered; a job's function may check it as it goes to stop early. Results and
errors are handed to the job's callbacks on the worker thread: no exception crosses
a thread, and a failing callback is logged, never fatal. `reprioritise()` re-ranks
queued jobs when the cursor moves, and cancels those the caller no longer wants;
`preempt()` interrupts a running job and queues it again at once.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.cancel import CancelToken
from ..core.errors import Cancelled

log = logging.getLogger(__name__)

Priority = tuple[int, int]  # (class, distance from the cursor in reading order)
NOW, AHEAD, IDLE = 0, 1, 2  # priority classes


@dataclass(eq=False)
class Job:
    """One unit of work. `fn(token)` returns the result given to `on_done`."""

    key: str
    fn: Callable[[CancelToken], Any]
    priority: Priority
    page: int | None = None
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException], None] | None = None
    token: CancelToken = field(default_factory=CancelToken)
    seq: int = 0
    state: str = "queued"  # queued, running, done, failed, cancelled

    def cancel(self, reason: str = "") -> None:
        self.token.cancel(reason)


class Pool:
    """A fixed set of worker threads sharing one priority queue.

    Args:
        name: for thread names and logs.
        threads: how many jobs run at once.
        nice: raise the workers' niceness by this much (Linux), so that with the CPU
            contended the audio and UI threads run first.
    """

    def __init__(self, name: str, threads: int = 1, nice: int = 0) -> None:
        self.name = name
        self.nice = nice
        self._heap: list[tuple[Priority, int, Job]] = []
        self._jobs: dict[str, Job] = {}  # queued or running, by key
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._closed = False
        self.started = 0  # jobs whose function ran
        self.completed = 0
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(threads)
        ]
        for t in self._threads:
            t.start()

    def submit(
        self,
        key: str,
        fn: Callable[[CancelToken], Any],
        priority: Priority,
        *,
        page: int | None = None,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Job:
        """Queue a job; a job with the same key already queued or running is returned
        instead (raised to the better of the two priorities)."""
        with self._cond:
            if self._closed:
                raise RuntimeError(f"pool {self.name} is closed")
            existing = self._jobs.get(key)
            if existing is not None and not existing.token.cancelled:
                if existing.state == "queued" and priority < existing.priority:
                    existing.priority = priority
                    self._rebuild()
                return existing
            job = Job(key, fn, priority, page, on_done, on_error, seq=next(self._seq))
            self._jobs[key] = job
            heapq.heappush(self._heap, (priority, job.seq, job))
            self._cond.notify()
            return job

    def reprioritise(self, rank: Callable[[Job], Priority | None]) -> int:
        """Re-rank every queued job with `rank(job)`; None cancels it. Returns how many
        were cancelled. Running jobs are left alone (`rank` is not asked about them)."""
        cancelled = 0
        with self._cond:
            for job in list(self._jobs.values()):
                if job.state != "queued":
                    continue
                new = rank(job)
                if new is None:
                    job.cancel("no longer needed")
                    job.state = "cancelled"
                    del self._jobs[job.key]
                    cancelled += 1
                else:
                    job.priority = new
            self._rebuild()
        return cancelled

    def cancel_where(self, pred: Callable[[Job], bool], reason: str = "") -> int:
        """Cancel queued and running jobs matching `pred` (a running one stops at its
        next check)."""
        n = 0
        with self._cond:
            for job in list(self._jobs.values()):
                if pred(job):
                    job.cancel(reason)
                    if job.state == "queued":
                        job.state = "cancelled"
                    del self._jobs[job.key]
                    n += 1
            self._rebuild()
        return n

    def preempt(
        self,
        pred: Callable[[Job], bool],
        rank: Callable[[Job], Priority],
        reason: str = "",
    ) -> list[Job]:
        """Interrupt the running jobs matching `pred` and queue each again at once, as a
        new job at `rank(job)` (it runs from the start when its turn comes). Returns
        the new jobs."""
        again = []
        with self._cond:
            for job in list(self._jobs.values()):
                if job.state != "running" or not pred(job):
                    continue
                job.cancel(reason)
                fresh = Job(job.key, job.fn, rank(job), job.page, job.on_done, job.on_error,
                            seq=next(self._seq))  # fmt: skip
                self._jobs[job.key] = fresh  # the old job's finish leaves this one be
                heapq.heappush(self._heap, (fresh.priority, fresh.seq, fresh))
                again.append(fresh)
            if again:
                self._cond.notify()
        return again

    def pending(self) -> list[Job]:
        """Queued and running jobs, best first."""
        with self._cond:
            return sorted(self._jobs.values(), key=lambda j: (j.priority, j.seq))

    def has(self, key: str) -> bool:
        """Whether a job with this key is queued or running."""
        with self._cond:
            job = self._jobs.get(key)
            return job is not None and not job.token.cancelled

    def busy(self) -> bool:
        with self._cond:
            return bool(self._jobs)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._jobs, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Cancel everything and stop the threads."""
        with self._cond:
            self._closed = True
            for job in self._jobs.values():
                job.cancel("closing")
            self._jobs.clear()
            self._heap.clear()
            self._cond.notify_all()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout)

    def _rebuild(self) -> None:
        self._heap = [(j.priority, j.seq, j) for j in self._jobs.values() if j.state == "queued"]
        heapq.heapify(self._heap)

    def _next(self) -> Job | None:
        with self._cond:
            while True:
                if self._closed:
                    return None
                while self._heap:
                    _, _, job = heapq.heappop(self._heap)
                    if job.state != "queued":
                        continue
                    if job.token.cancelled:  # cancelled through its token while queued
                        job.state = "cancelled"
                        if self._jobs.get(job.key) is job:
                            del self._jobs[job.key]
                        self._cond.notify_all()
                        continue
                    job.state = "running"
                    return job
                self._cond.wait()

    def _finish(self, job: Job, state: str) -> None:
        with self._cond:
            job.state = state
            if self._jobs.get(job.key) is job:
                del self._jobs[job.key]
            self.completed += 1
            self._cond.notify_all()

    def _work(self) -> None:
        if self.nice:
            try:  # Linux: a thread id is a process id for setpriority
                os.setpriority(
                    os.PRIO_PROCESS,
                    threading.get_native_id(),
                    os.getpriority(os.PRIO_PROCESS, 0) + self.nice,
                )
            except (AttributeError, OSError):
                pass
        while (job := self._next()) is not None:
            try:
                job.token.check()  # before it starts
                self.started += 1
                result = job.fn(job.token)
                job.token.check()  # before its result lands
            except Cancelled:
                self._finish(job, "cancelled")
                continue
            except BaseException as exc:  # handed to the callback, never raised
                _call(job.on_error, exc, job)
                self._finish(job, "failed")
                continue
            # The callback runs before the job counts as finished, so that `wait_idle()`
            # also covers the follow-up jobs a callback submits.
            _call(job.on_done, result, job)
            # An idle worker must not keep its last result (a cue is megabytes) alive
            # until the next job comes.
            del result
            self._finish(job, "done")


def _call(callback: Callable[[Any], None] | None, value: Any, job: Job) -> None:
    if callback is None:
        if isinstance(value, BaseException):
            log.error("job %s failed: %s", job.key, value, exc_info=value)
        return
    try:
        callback(value)
    except Exception:
        log.exception("callback of job %s failed", job.key)


class Pools:
    """The engine's three pools: analysis (a few threads; LLM calls wait on the
    network), music (one thread: the backend runs one job at a time on its device) and
    the composer's stand-ins (one thread, not held up by a long generation)."""

    def __init__(self, analysis_threads: int = 2, nice: int = 0) -> None:
        self.analysis = Pool("analysis", analysis_threads, nice=nice)
        self.music = Pool("music", 1, nice=nice)
        self.standin = Pool("standin", 1, nice=nice)

    def all(self) -> tuple[Pool, Pool, Pool]:
        return (self.analysis, self.music, self.standin)

    def cancel_all(self, reason: str) -> None:
        for pool in self.all():
            pool.cancel_where(lambda j: True, reason)

    def cancel_page(self, page: int, reason: str) -> None:
        """Cancel the analysis and music jobs for `page` (not its stand-in)."""
        for pool in (self.analysis, self.music):
            pool.cancel_where(lambda j: j.page == page, reason)

    def working(self) -> bool:
        """Whether analysis or music work is queued or running."""
        return self.analysis.busy() or self.music.busy()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no job is queued or running in any pool; False on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            idle = [pool.wait_idle(max(0.0, end - time.monotonic())) for pool in self.all()]
            if all(idle) and not self.working():
                return True
        return False

    def close(self) -> None:
        for pool in self.all():
            pool.close()
