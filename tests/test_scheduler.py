"""The worker pools: priority order, cancel tokens, re-prioritising, no exception escapes."""

from __future__ import annotations

import threading
import time

import pytest

from m2m_reader.engine.core.errors import Cancelled
from m2m_reader.engine.session.scheduler import AHEAD, IDLE, NOW, Pool


@pytest.fixture
def pool():
    p = Pool("test", threads=1)
    yield p
    p.close()


def _blocker(pool):
    """Occupy the pool's only thread until the returned event is set."""
    release = threading.Event()
    started = threading.Event()

    def block(token):
        started.set()
        release.wait(5)

    pool.submit("blocker", block, (NOW, 0))
    started.wait(5)
    return release


def test_runs_best_priority_first(pool):
    order = []
    release = _blocker(pool)
    for page, prio in [(9, (IDLE, 9)), (3, (AHEAD, 3)), (1, (AHEAD, 1)), (0, (NOW, 0))]:
        pool.submit(f"p{page}", lambda t, p=page: order.append(p), prio, page=page)
    release.set()
    assert pool.wait_idle(5)
    assert order == [0, 1, 3, 9]


def test_results_and_errors_go_to_callbacks(pool):
    got, errors = [], []
    pool.submit("ok", lambda t: 42, (NOW, 0), on_done=got.append)
    pool.submit("bad", lambda t: 1 / 0, (NOW, 1), on_error=errors.append)
    pool.submit("bad-no-callback", lambda t: [][1], (NOW, 2))
    pool.submit("after", lambda t: "still alive", (NOW, 3), on_done=got.append)
    assert pool.wait_idle(5)
    assert got == [42, "still alive"]
    assert isinstance(errors[0], ZeroDivisionError)


def test_cancelled_before_start_never_runs(pool):
    ran = []
    release = _blocker(pool)
    job = pool.submit("x", lambda t: ran.append(1), (NOW, 1))
    job.cancel()
    release.set()
    assert pool.wait_idle(5)
    assert ran == []


def test_cancelled_while_running_delivers_nothing(pool):
    got = []
    started = threading.Event()

    def slow(token):
        started.set()
        time.sleep(0.2)  # does not check: the pool checks before delivery
        return "late"

    job = pool.submit("slow", slow, (NOW, 0), on_done=got.append, on_error=got.append)
    started.wait(5)
    job.cancel()
    assert pool.wait_idle(5)
    assert got == [] and job.state == "cancelled"


def test_a_job_can_stop_early_on_its_token(pool):
    steps = []

    def long(token):
        for i in range(1000):
            token.check()
            steps.append(i)
            time.sleep(0.005)

    job = pool.submit("long", long, (IDLE, 0))
    time.sleep(0.05)
    pool.cancel_where(lambda j: j.key == "long")
    assert pool.wait_idle(5)
    assert 0 < len(steps) < 1000 and job.token.cancelled


def test_a_preempted_job_stops_and_runs_again_from_the_start_before_later_work(pool):
    runs, order = [], []
    interrupted = threading.Event()

    def generate(token):
        runs.append("start")
        for _ in range(1000):
            if token.cancelled:
                interrupted.set()
            token.check()
            time.sleep(0.005)
        return "made"

    done = []
    job = pool.submit("cue:18", generate, (AHEAD, 1), page=18, on_done=done.append)
    while not runs:
        time.sleep(0.005)
    for page in (19, 20, 21):  # queued behind it
        pool.submit(f"cue:{page}", lambda t, p=page: order.append(p), (AHEAD, page - 17), page=page)
    pool.submit("cue:17", lambda t: order.append(17), (NOW, 0), page=17)
    again = pool.preempt(lambda j: j.page == 18, lambda j: (AHEAD, 1), "page 17 first")
    assert [j.key for j in again] == ["cue:18"] and job.token.cancelled
    assert interrupted.wait(5)
    end = time.monotonic() + 5
    while (len(order) < 1 or len(runs) < 2) and time.monotonic() < end:
        time.sleep(0.005)
    assert order == [17] and runs == ["start", "start"], "page 18 was not next after 17"
    assert pool.has("cue:18")  # the old job's end did not drop the new one
    again[0].cancel()  # no need to wait for the whole generation
    assert pool.wait_idle(5)
    assert order == [17, 19, 20, 21] and done == []


def test_same_key_is_not_queued_twice_and_keeps_the_better_priority(pool):
    release = _blocker(pool)
    a = pool.submit("page-5", lambda t: None, (IDLE, 5))
    b = pool.submit("page-5", lambda t: None, (NOW, 0))
    assert a is b and a.priority == (NOW, 0)
    release.set()
    assert pool.wait_idle(5)


def test_reprioritise_reorders_and_cancels(pool):
    order = []
    release = _blocker(pool)
    for page in range(10):
        pool.submit(f"p{page}", lambda t, p=page: order.append(p), (AHEAD, page), page=page)
    # A jump to page 7: pages 7.. first, pages far behind dropped.
    cancelled = pool.reprioritise(lambda j: None if j.page < 5 else (AHEAD, abs(j.page - 7)))
    release.set()
    assert pool.wait_idle(5)
    assert cancelled == 5
    assert order == [7, 6, 8, 5, 9]


def test_cancelled_exception_from_a_job_is_not_an_error(pool):
    errors = []

    def stop(token):
        raise Cancelled("backend gave up")

    pool.submit("c", stop, (NOW, 0), on_error=errors.append)
    assert pool.wait_idle(5)
    assert errors == []


def test_two_threads_run_jobs_at_once():
    pool = Pool("two", threads=2)
    barrier = threading.Barrier(2, timeout=5)
    try:
        for i in range(2):
            pool.submit(f"b{i}", lambda t: barrier.wait(), (NOW, i))
        assert pool.wait_idle(5)
        assert not barrier.broken
    finally:
        pool.close()


def test_closed_pool_refuses_work():
    p = Pool("closing")
    p.close()
    with pytest.raises(RuntimeError, match="closed"):
        p.submit("x", lambda t: None, (NOW, 0))
