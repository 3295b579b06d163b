"""Background jobs that viewers start: one per session, a few per host in a fair queue, none left behind.

A job is a command run in a child process (its own session, so its workers form one process
group with it) that writes its result as JSON to a path the registry gives it and reports
progress on stderr. The registry, not the script run, owns the child:

- **One in-flight job per session** (keyed by Streamlit's session id): submitting again
  while one is queued or running returns that job.
- **A host-wide cap** (:data:`MAX_RUNNING`, default 1: a sweep takes the host's CPUs) with a
  first-come-first-served queue across sessions; a waiting session sees its place.
- **Nothing left behind.** The child's process group is killed when its session ends (tab
  closed: the runtime no longer lists the session as active), when its page stops asking for
  it for :data:`ABANDON_SECONDS` (the viewer went to another page), when its time is up, when
  its memory passes its budget, or when the viewer cancels. A rerun of the page does not kill it.

Why not kill the child in the script run's ``try/finally``: any click on the page reruns the
script and interrupts the run, so every slider move would throw the sweep away. Instead the page
polls its job from a fragment (``st.fragment(run_every=...)``) and shows progress from the
first second.

Why this state lives in a module and not in ``st.cache_resource``: any websocket client can
send ``clear_cache``, which empties every ``st.cache_resource`` for all viewers; a registry kept
there would be replaced by an empty one, forgetting the children still running (uncapped, and
never killed) and the queue. Module-level state is shared by every session, which is exactly
right for a host-wide cap and wrong for anything else: results go to the asking session's
``st.session_state``, never here.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from normcore.host import BACKGROUND_NICE, kill_group, memory_kb

MAX_RUNNING = int(os.environ.get("NORMCORE_MAX_JOBS", "1"))  # host-wide; a sweep takes the CPUs
ABANDON_SECONDS = 90.0  # no poll for this long: the page is gone (a hidden tab still polls, slower)
TICK_SECONDS = 0.5  # how often the supervisor looks at the running jobs
STDERR_TAIL = 20  # lines kept for an error message
ROOT = Path(__file__).resolve().parents[1]

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def session_id() -> str:
    """The current Streamlit session's id (call from a script thread)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return get_script_run_ctx().session_id


def session_alive(session: str) -> bool:
    """False once Streamlit no longer lists ``session`` as active (closed tab, lost connection).

    Without a runtime (AppTest, plain Python) there is nothing to ask: True, and only the
    other limits (abandonment, time, memory) apply.
    """
    from streamlit.runtime import Runtime

    return not Runtime.exists() or Runtime.instance().is_active_session(session)


def group_memory_mb(group: int) -> float:
    """Summed proportional set size (PSS) of every process in process group ``group``, in MB.

    PSS splits shared pages (the torch libraries mapped by every worker) between the processes
    that map them, so the sum is what the host actually holds for the job.
    """
    total_kb = 0
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.getpgid(int(entry)) == group:
                total_kb += memory_kb(int(entry))[1]
        except OSError:  # gone meanwhile
            continue
    return total_kb / 1024


@dataclass(eq=False)
class Job:
    """One viewer's background command; the page reads ``state``, ``done``/``total``, ``result``, ``reason``."""

    session: str
    command: list[str]  # "{out}" in an argument is replaced by the result file's path
    timeout: float
    memory_mb: float | None
    parse_progress: Callable[[str], tuple[int, int] | None] | None
    state: str = QUEUED
    done: int = 0
    total: int = 0
    result: dict | None = None
    reason: str = ""  # why it failed: "session", "abandoned", "timeout", "memory", "cancelled", "exit"
    error: str = ""  # the end of its stderr, when it failed by itself
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    seen_at: float = field(default_factory=time.monotonic)
    peak_mb: float = 0.0
    process: subprocess.Popen | None = None
    folder: tempfile.TemporaryDirectory | None = None
    stderr_tail: deque = field(default_factory=lambda: deque(maxlen=STDERR_TAIL))

    @property
    def in_flight(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    def elapsed(self) -> float:
        return 0.0 if self.started_at is None else time.monotonic() - self.started_at


class Registry:
    """The host's background jobs (see the module docstring); thread-safe."""

    def __init__(
        self,
        cap: int = MAX_RUNNING,
        is_alive: Callable[[str], bool] = session_alive,
        abandon_after: float = ABANDON_SECONDS,
        tick: float = TICK_SECONDS,
    ):
        self.cap = max(1, cap)
        self.is_alive = is_alive
        self.abandon_after = abandon_after
        self.tick = tick
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}  # each session's latest job, until the page forgets it
        self._queue: deque[Job] = deque()
        self._supervisor: threading.Thread | None = None

    # ---- what a page calls

    def submit(
        self,
        session: str,
        command: list[str],
        *,
        timeout: float,
        memory_mb: float | None = None,
        parse_progress: Callable[[str], tuple[int, int] | None] | None = None,
    ) -> Job:
        """Queue ``command`` for ``session``; its in-flight job instead if it has one."""
        with self._lock:
            current = self._jobs.get(session)
            if current is not None and current.in_flight:
                return current
            job = Job(session, list(command), timeout, memory_mb, parse_progress)
            self._jobs[session] = job
            self._queue.append(job)
            self._schedule()
            if self._supervisor is None or not self._supervisor.is_alive():
                self._supervisor = threading.Thread(target=self._supervise, name="jobs", daemon=True)
                self._supervisor.start()
            return job

    def poll(self, session: str) -> Job | None:
        """``session``'s latest job (None if none), marking it as still wanted."""
        with self._lock:
            job = self._jobs.get(session)
            if job is not None:
                job.seen_at = time.monotonic()
            return job

    def place(self, job: Job) -> tuple[int, int]:
        """``(place, queue length)``: 1 for the next job to start; (0, n) once it runs or ended."""
        with self._lock:
            queue = list(self._queue)
            return (queue.index(job) + 1 if job in queue else 0), len(queue)

    def cancel(self, session: str, reason: str = "cancelled") -> None:
        """End ``session``'s in-flight job (killing its process group if it runs)."""
        with self._lock:
            job = self._jobs.get(session)
            if job is not None and job.in_flight:
                self._end(job, reason)
                self._schedule()

    def forget(self, session: str) -> None:
        """Drop ``session``'s ended job (after the page has taken its result)."""
        with self._lock:
            job = self._jobs.get(session)
            if job is not None and not job.in_flight:
                del self._jobs[session]

    def running(self) -> list[Job]:
        with self._lock:
            return [job for job in self._jobs.values() if job.state == RUNNING]

    def stop_all(self) -> None:
        """Cancel every job (tests, shutdown)."""
        with self._lock:
            for job in list(self._jobs.values()):
                if job.in_flight:
                    self._end(job, "cancelled")

    # ---- the supervisor

    def _supervise(self) -> None:
        while True:
            time.sleep(self.tick)
            with self._lock:
                self.check()
                if not any(job.in_flight for job in self._jobs.values()):
                    self._supervisor = None
                    return

    def check(self) -> None:
        """One look at every job: end the finished and the unwanted, start queued ones up to the cap."""
        with self._lock:
            now = time.monotonic()
            for session, job in list(
                self._jobs.items()
            ):  # ended jobs of closed sessions: nobody will read them
                if not job.in_flight and not self.is_alive(session):
                    del self._jobs[session]
            for job in [j for j in self._jobs.values() if j.in_flight]:
                reason = self._unwanted(job, now)
                if job.state == RUNNING and reason is None and job.process.poll() is not None:
                    self._finish(job)
                elif reason is not None:
                    self._end(job, reason)
            self._schedule()

    def _unwanted(self, job: Job, now: float) -> str | None:
        if not self.is_alive(job.session):
            return "session"
        if now - job.seen_at > self.abandon_after:
            return "abandoned"
        if job.state != RUNNING:
            return None
        if now - job.started_at > job.timeout:
            return "timeout"
        if job.memory_mb is not None:
            job.peak_mb = max(job.peak_mb, group_memory_mb(job.process.pid))
            if job.peak_mb > job.memory_mb:
                return "memory"
        return None

    def _schedule(self) -> None:
        while self._queue and sum(j.state == RUNNING for j in self._jobs.values()) < self.cap:
            self._start(self._queue.popleft())

    def _start(self, job: Job) -> None:
        job.folder = tempfile.TemporaryDirectory(prefix="normcore-job-")
        out = str(Path(job.folder.name) / "result.json")
        command = [arg.replace("{out}", out) for arg in job.command]
        job.process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: killpg reaches its workers
        )
        nice = (
            os.getpriority(os.PRIO_PROCESS, 0) + BACKGROUND_NICE
        )  # below the server, before it starts workers
        os.setpriority(os.PRIO_PROCESS, job.process.pid, nice)
        job.state, job.started_at = RUNNING, time.monotonic()
        threading.Thread(target=self._follow, args=(job,), name="jobs-stderr", daemon=True).start()

    def _follow(self, job: Job) -> None:
        """Read the child's stderr: progress lines update the job, the rest is kept for errors."""
        for line in job.process.stderr:
            progress = job.parse_progress(line) if job.parse_progress is not None else None
            if progress is not None:
                job.done, job.total = progress
            else:
                job.stderr_tail.append(line.rstrip())

    def _finish(self, job: Job) -> None:
        path = Path(job.folder.name) / "result.json"
        code = job.process.returncode
        if code == 0 and path.exists():
            job.result, job.state = json.loads(path.read_text()), DONE
            kill_group(job.process)  # stray workers, if any
            job.folder.cleanup()
        else:
            self._end(job, "exit")
            job.error = f"exit code {code}: " + " / ".join(list(job.stderr_tail)[-3:])

    def _end(self, job: Job, reason: str) -> None:
        if job in self._queue:
            self._queue.remove(job)
        if job.process is not None:
            kill_group(job.process)
        if job.folder is not None:
            job.folder.cleanup()
        job.state, job.reason = FAILED, reason


REGISTRY = Registry()  # the one registry of this server process (see the module docstring)
atexit.register(REGISTRY.stop_all)  # the children run in sessions of their own: a server that stops ends them
