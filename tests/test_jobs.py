"""ui.jobs: one job per session, a host-wide cap with a fair queue, and no process left behind."""

import os
import subprocess
import sys
import time

import pytest

from normcore.experiments import gn_batch
from normcore.host import BACKGROUND_NICE
from ui import jobs

# A child that starts a "worker" of its own (same process group), reports progress and waits.
SLEEPER = [
    sys.executable,
    "-c",
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "print('gn-batch progress 1/2', file=sys.stderr, flush=True)\n"
    "time.sleep(600)\n",
]
QUICK = [sys.executable, "-c", "import json, sys; json.dump({'answer': 42}, open(sys.argv[1], 'w'))", "{out}"]


def group_members(group: int) -> list[int]:
    """Live (not zombie) processes of process group ``group``, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()  # state, ppid, pgrp, ...
            if int(fields[2]) == group and fields[0] != "Z":
                found.append(int(entry))
    return found


def gone(group: int) -> bool:
    """True once no process of ``group`` is left (SIGKILL is delivered asynchronously: wait a little)."""
    wait_for(lambda: group_members(group) == [], 10)
    return True


def wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


class Sessions:
    """Stands in for Streamlit's runtime: the set of active session ids."""

    def __init__(self, *ids):
        self.active = set(ids)

    def __call__(self, session: str) -> bool:
        return session in self.active


@pytest.fixture
def make_registry():
    made = []

    def make(**kwargs):
        registry = jobs.Registry(tick=0.05, **kwargs)
        made.append(registry)
        return registry

    yield make
    for registry in made:
        registry.stop_all()


def started_with_worker(registry, session):
    """The session's running job once its child has started its own worker and reported progress."""
    wait_for(lambda: registry.poll(session).state == jobs.RUNNING and registry.poll(session).done == 1)
    job = registry.poll(session)
    wait_for(lambda: len(group_members(job.process.pid)) == 2)
    return job


def test_session_end_kills_the_child_and_its_workers(make_registry):
    sessions = Sessions("a")
    registry = make_registry(is_alive=sessions)
    registry.submit("a", SLEEPER, timeout=600, parse_progress=gn_batch.parse_progress)
    job = started_with_worker(registry, "a")
    assert (job.done, job.total) == (1, 2)
    for pid in group_members(job.process.pid):  # the child and the worker it started yield to viewers
        assert os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0) + BACKGROUND_NICE
    sessions.active.discard("a")  # the tab closed
    wait_for(lambda: job.state == jobs.FAILED)
    assert job.reason == "session" and gone(job.process.pid)


def test_page_that_stops_polling_abandons_its_job(make_registry):
    registry = make_registry(is_alive=Sessions("a"), abandon_after=0.5)
    registry.submit("a", SLEEPER, timeout=600, parse_progress=gn_batch.parse_progress)
    job = started_with_worker(registry, "a")
    wait_for(lambda: job.state == jobs.FAILED)  # nobody polls any more
    assert job.reason == "abandoned" and gone(job.process.pid)


def test_time_limit_and_memory_limit_kill_the_group(make_registry):
    registry = make_registry(is_alive=Sessions("a", "b"), cap=2)
    registry.submit("a", SLEEPER, timeout=1.0, parse_progress=gn_batch.parse_progress)
    registry.submit("b", SLEEPER, timeout=600, memory_mb=1.0, parse_progress=gn_batch.parse_progress)
    slow, big = registry.poll("a"), registry.poll("b")
    wait_for(lambda: not slow.in_flight and not big.in_flight and registry.poll("a") and registry.poll("b"))
    assert (slow.reason, big.reason) == ("timeout", "memory") and big.peak_mb > 1.0
    assert gone(slow.process.pid) and gone(big.process.pid)


def test_cancel_kills_the_group(make_registry):
    registry = make_registry(is_alive=Sessions("a"))
    registry.submit("a", SLEEPER, timeout=600, parse_progress=gn_batch.parse_progress)
    job = started_with_worker(registry, "a")
    registry.cancel("a")
    assert job.reason == "cancelled" and gone(job.process.pid)


def test_one_job_per_session(make_registry):
    registry = make_registry(is_alive=Sessions("a"), cap=3)
    first = registry.submit("a", SLEEPER, timeout=600)
    again = registry.submit("a", SLEEPER, timeout=600)
    assert again is first and len(registry.running()) == 1


def test_host_cap_with_a_first_come_first_served_queue(make_registry):
    registry = make_registry(is_alive=Sessions("a", "b", "c"), cap=1)
    a, b, c = (registry.submit(s, SLEEPER, timeout=600) for s in "abc")
    assert [j.state for j in (a, b, c)] == [jobs.RUNNING, jobs.QUEUED, jobs.QUEUED]
    assert registry.place(b) == (1, 2) and registry.place(c) == (2, 2) and registry.place(a) == (0, 2)
    registry.cancel("a")
    assert b.state == jobs.RUNNING and c.state == jobs.QUEUED and registry.place(c) == (1, 1)
    assert registry.running() == [b]


def test_a_queued_job_of_a_closed_session_never_starts(make_registry):
    sessions = Sessions("a", "b")
    registry = make_registry(is_alive=sessions, cap=1)
    registry.submit("a", SLEEPER, timeout=600)
    waiting = registry.submit("b", SLEEPER, timeout=600)
    sessions.active.discard("b")
    wait_for(lambda: not waiting.in_flight)
    assert waiting.reason == "session" and waiting.process is None


def test_a_result_goes_to_the_asking_session_only(make_registry):
    registry = make_registry(is_alive=Sessions("a", "b"))
    job = registry.submit("a", QUICK, timeout=60)
    wait_for(lambda: job.state == jobs.DONE)
    assert registry.poll("a").result == {"answer": 42} and registry.poll("b") is None
    registry.forget("a")
    assert registry.poll("a") is None


def test_an_unread_result_of_a_closed_session_is_dropped(make_registry):
    sessions = Sessions("a", "b")
    registry = make_registry(is_alive=sessions)
    done = registry.submit("a", QUICK, timeout=60)
    wait_for(lambda: done.state == jobs.DONE)
    sessions.active.discard("a")
    registry.check()
    assert registry.poll("a") is None


def test_a_failing_command_reports_its_error(make_registry):
    registry = make_registry(is_alive=Sessions("a"))
    job = registry.submit("a", [sys.executable, "-c", "raise SystemExit('no digits here')"], timeout=60)
    wait_for(lambda: not job.in_flight)
    assert job.reason == "exit" and "no digits here" in job.error


def test_a_real_sweep_with_two_workers_leaves_no_process_when_its_session_ends(make_registry):
    sessions = Sessions("a")
    registry = make_registry(is_alive=sessions)
    options = ("--epochs", "6", "--batch-sizes", "2", "--norms", "layer", "--workers", "2")
    command = gn_batch.sweep_command(2, options, "{out}")
    job = registry.submit("a", command, timeout=600, parse_progress=gn_batch.parse_progress)
    wait_for(lambda: job.process is not None and len(group_members(job.process.pid)) >= 3, 120)
    sessions.active.discard("a")
    wait_for(lambda: not job.in_flight)
    assert job.reason == "session" and gone(job.process.pid)


def test_sweep_in_subprocess_interrupted_leaves_no_process(monkeypatch):
    children = []

    def start(command, **popen):
        children.append(real_start(command, **popen))
        return children[-1]

    def stop(done, total):
        assert len(group_members(children[0].pid)) >= 3  # the child, its 2 workers (and their tracker)
        raise KeyboardInterrupt  # what Streamlit's StopException does to a script thread

    real_start = gn_batch.start
    monkeypatch.setattr(gn_batch, "start", start)
    options = ("--epochs", "1", "--batch-sizes", "32", "--norms", "layer", "--workers", "2")
    with pytest.raises(KeyboardInterrupt):
        gn_batch.sweep_in_subprocess(2, stop, options=options)
    assert gone(children[0].pid)


def test_session_id_and_liveness_outside_a_server():
    assert jobs.session_alive("any") is True  # no runtime: only the other limits apply


def test_group_memory_counts_the_children(make_registry):
    registry = make_registry(is_alive=Sessions("a"))
    registry.submit("a", SLEEPER, timeout=600, parse_progress=gn_batch.parse_progress)
    job = started_with_worker(registry, "a")
    assert jobs.group_memory_mb(job.process.pid) > 2 * 4.0  # two Python interpreters, a few MB each


def test_a_server_that_exits_takes_its_jobs_along(tmp_path):
    """The children run in sessions of their own, so only the registry's exit hook can end them."""
    script = (
        "import sys, time\n"
        "from ui import jobs\n"
        f"job = jobs.REGISTRY.submit('a', {SLEEPER!r}, timeout=600)\n"
        "while job.process is None: time.sleep(0.05)\n"
        "print(job.process.pid, flush=True)\n"
        "time.sleep(1)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=jobs.ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert gone(int(done.stdout.split()[0]))
