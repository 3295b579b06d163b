"""One training run in a child process, streamed back to the script run that waits for it.

Training used to run in the server's own process, in the viewer's script thread: a tiny MLP's
step is mostly Python, so it held the interpreter lock that every other viewer's rerun needs
(calm viewers' p95 doubled while one viewer trained, docs/benchmarks.md, hostile phase). Here
each run is a child process that

- is **forked from a pre-started zygote** (``python -m ui.train_child``, a child of the server
  that has imported torch and :mod:`normcore.training` once, at low priority): a run sends its
  first curves after 0.1-0.2 s and shares the zygote's pages, instead of a 4-10 s torch import
  and ~220 MB RSS per run (docs/benchmarks.md, hostile phase, "Training in a child process").
  Not ``multiprocessing``'s forkserver: each of its children re-runs the parent's ``__main__``
  (Streamlit's CLI script);
- runs in a **process group of its own** (``os.setsid``), at **lower CPU priority**
  (:data:`NICE`, inherited from the zygote) with one torch thread, under a **CPU-time limit**
  (the run's wall-clock cap plus :data:`CPU_GRACE_SECONDS`) and a **memory limit**
  (:data:`MEMORY_MB` more address space than it was forked with), so that calm viewers'
  reruns win the CPU and one run cannot take the documented 1 GB host;
- sends its result so far after an evaluation (at most every :data:`SNAPSHOT_SECONDS`) and
  its final result over a pipe, pickled: the same ``TrainResult`` the same call of
  :func:`normcore.training.train` returns in-process, bit for bit (``tests/test_train_child.py``);
- is **killed with its script run**: :func:`train` kills the child's group in a ``finally``,
  so a Stop click, a rerun, an exception in a callback, a closed session (``should_stop``) or a
  server that exits (the pipe closes; the child stops at its next step; the zygote reads EOF and
  exits) leaves no process behind.

The cap on runs at once, one run per viewer and the fair queue stay in
:class:`ui.server_state.RunStore`: this module only runs what a slot allows.
"""

from __future__ import annotations

import atexit
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from normcore.host import BACKGROUND_NICE, kill_group, limit_self

NICE = BACKGROUND_NICE  # the zygote's (and so every run's) priority below the server's: a viewer's rerun preempts it
MEMORY_MB = int(os.environ.get("NORMCORE_TRAIN_MEMORY_MB", "256"))  # beyond the forked pages; see deploy.md
CPU_GRACE_SECONDS = 10  # CPU time beyond the run's wall-clock cap before the kernel ends it
SNAPSHOT_SECONDS = 0.25  # the child sends its result so far at most this often (and at the end)
POLL_SECONDS = 0.25  # how often the waiting script run looks up (and lets a Stop click through)
STOP_GRACE_SECONDS = 10.0  # asked to stop (or its time is up), the child has this long to answer
ROOT = Path(__file__).resolve().parents[1]

RUNNING: set[int] = set()  # the pids of this server's training children (tests, diagnostics)


class TrainingFailed(RuntimeError):
    """The child ended without a result: killed by its CPU or memory limit, or crashed."""


# ---------------------------------------------------------------- the server's side


class Zygote:
    """The pre-started process that forks one child per run (started on first use, restarted if it died)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.socket: socket.socket | None = None

    def _ensure(self) -> socket.socket:
        if self.process is None or self.process.poll() is not None:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ui.train_child", str(theirs.fileno())],
                cwd=ROOT,
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a group of its own: kill_group ends it
            )
            theirs.close()
            self.socket = ours
        return self.socket

    def start(self) -> None:
        with self.lock:
            self._ensure()

    def fork(self, request: tuple, channel: socket.socket) -> int:
        """Hand ``request`` and one end of a socket pair to the zygote; returns the forked child's pid."""
        payload = pickle.dumps(request)
        with self.lock:
            for _ in range(2):  # once more with a fresh zygote if this one had died
                try:
                    socket.send_fds(self._ensure(), [payload], [channel.fileno()])
                    reply = self.socket.recv(8)  # waits for the zygote's torch import the first time
                except OSError:
                    reply = b""
                if len(reply) == 8:
                    return struct.unpack("q", reply)[0]
                self.stop()
        raise TrainingFailed("the training zygote could not be started")

    def stop(self) -> None:
        if self.process is not None:
            kill_group(self.process)
            self.socket.close()
            self.process = self.socket = None


ZYGOTE = Zygote()
atexit.register(ZYGOTE.stop)


def prestart() -> None:
    """Start the zygote (its torch import runs in it, at low priority) so the first run does not wait."""
    ZYGOTE.start()


class Child:
    """A run's process, as :func:`normcore.host.kill_group` wants it (not our child: the zygote's)."""

    def __init__(self, pid: int):
        self.pid = pid

    def is_alive(self) -> bool:
        try:
            state = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        return state != "Z"

    def join(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)


def train(
    config,
    on_eval: Callable | None = None,
    should_stop: Callable[[], bool] | None = None,
    tick: Callable[[], None] | None = None,
    *,
    seconds: float,
    memory_mb: int = MEMORY_MB,
):
    """:func:`normcore.training.train` of ``config`` in a child process; returns its ``TrainResult``.

    Args:
        config: the run (a :class:`~normcore.training.TrainConfig`).
        on_eval: ``on_eval(result, done, total)``, called here with each snapshot the child sends.
        should_stop: polled here every :data:`POLL_SECONDS`; True asks the child to stop, and the
            run returns with ``stopped`` set, as in-process.
        tick: called every :data:`POLL_SECONDS` while waiting (a page redraws its progress bar,
            which lets a Stop click interrupt the wait).
        seconds: the run's wall-clock cap; the child stops itself then (``stopped`` set).
        memory_mb: the child's memory budget beyond what it was forked with.

    Raises :class:`TrainingFailed` if the child dies without a result, and re-raises what
    ``train`` raised in the child (a ``ValueError`` for settings it refuses).
    """
    ours, theirs = socket.socketpair()
    try:
        child = Child(ZYGOTE.fork((config, seconds, memory_mb), theirs))
    finally:
        theirs.close()
    conn = Connection(ours.detach())
    RUNNING.add(child.pid)
    try:
        return _follow(config, child, conn, on_eval, should_stop, tick, seconds)
    finally:
        kill_group(child)
        RUNNING.discard(child.pid)
        conn.close()


def _follow(config, child: Child, conn: Connection, on_eval, should_stop, tick, seconds: float):
    """Wait for the child's messages until its final result (or a stop it does not answer)."""
    last, asked = None, None
    give_up = time.monotonic() + seconds + STOP_GRACE_SECONDS
    while True:
        if conn.poll(POLL_SECONDS):
            try:
                kind, *body = conn.recv()
            except (EOFError, OSError):
                raise TrainingFailed("the training process ended without a result") from None
            if kind == "done":
                return body[0]
            if kind == "error":
                raise body[0]
            last = body[0]
            if on_eval is not None:
                on_eval(*body)
        elif not child.is_alive() and not conn.poll(0):
            raise TrainingFailed("the training process ended without a result")
        if tick is not None:
            tick()
        now = time.monotonic()
        if asked is None and should_stop is not None and should_stop():
            conn.send("stop")
            asked = now
        if (asked is not None and now - asked > STOP_GRACE_SECONDS) or now > give_up:
            return _stopped(config, last)  # it did not answer: the finally kills it


def _stopped(config, last):
    from normcore.training import TrainResult

    result = last if last is not None else TrainResult(config)
    result.stopped = True
    return result


# ---------------------------------------------------------------- the zygote and its children


def serve(fd: int) -> None:
    """The zygote: import torch once, then fork a child for each request until the server's end closes."""
    os.nice(NICE)
    from normcore.training import TrainConfig, load_digits, train

    load_digits()  # read once, inherited by every run (lru_cache)
    train(TrainConfig(steps=1, eval_every=1))  # torch's first-call set-up (and one thread), done once

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the children: no zombies
    server = socket.socket(fileno=fd)
    while True:
        try:
            payload, fds, _, _ = socket.recv_fds(server, 1 << 16, 1)
        except OSError:
            return
        if not payload or not fds:  # the server closed its end (or exited)
            return
        pid = os.fork()
        if pid == 0:
            server.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                _child(*pickle.loads(payload), Connection(fds[0]))
            finally:
                os._exit(0)
        os.close(fds[0])
        server.send(struct.pack("q", pid))


def _child(config, seconds: float, memory_mb: int, conn: Connection) -> None:
    """One run: limits first, then train, sending snapshots and the result (in the forked process)."""
    os.setsid()  # a group of its own: kill_group reaches it (and anything it starts)
    limit_self(int(seconds) + CPU_GRACE_SECONDS, memory_mb * 1024 * 1024)
    from normcore.training import train as train_here

    deadline = time.monotonic() + seconds
    sent = [0.0]

    def on_eval(result, done: int, total: int) -> None:
        if time.monotonic() - sent[0] >= SNAPSHOT_SECONDS or done == total:
            conn.send(("eval", result, done, total))
            sent[0] = time.monotonic()

    def should_stop() -> bool:  # the time is up, the server asked, or the server's end closed
        return time.monotonic() > deadline or conn.poll()

    try:
        result = train_here(config, on_eval=on_eval, should_stop=should_stop)
    except (Exception, MemoryError) as error:  # every failure goes back to the page
        _send(conn, ("error", error))
        return
    _send(conn, ("done", result))


def _send(conn: Connection, message) -> None:
    try:
        conn.send(message)
    except OSError:  # the server is gone: nobody to tell
        pass


if __name__ == "__main__":
    serve(int(sys.argv[1]))
