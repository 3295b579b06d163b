"""What this process may use of the host (CPUs: affinity and the cgroup quota), and limits for its children.

``os.cpu_count()`` counts the machine's CPUs, not the ones a container may use: under
``docker run --cpus=1`` on an 8-core host it still says 8, and eight busy workers then
share one CPU's worth of time. :func:`usable_cpus` takes the smallest of the CPUs this
process may be scheduled on and the cgroup's CPU quota (rounded down, at least 1).
"""

from __future__ import annotations

import math
import os
import resource
import signal
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def cgroup_cpu_quota(root: Path = CGROUP) -> float | None:
    """The cgroup's CPU quota in CPUs (``quota / period``), or None when there is none.

    Reads cgroup v2's ``cpu.max`` ("max 100000" means no quota, "200000 100000" two CPUs)
    or, failing that, cgroup v1's ``cpu/cpu.cfs_quota_us`` and ``cpu/cpu.cfs_period_us``
    (a quota of -1 means none). A file that is missing or unreadable means no quota.
    """
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 or period <= 0 else quota / period
    except (OSError, ValueError):
        return None


def usable_cpus(root: Path = CGROUP) -> int:
    """The CPUs this process may use: min(scheduler affinity, cgroup quota rounded down), at least 1.

    >>> usable_cpus() >= 1
    True
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    quota = cgroup_cpu_quota(root)
    if quota is not None:
        cpus = min(cpus, math.floor(quota))
    return max(1, cpus)


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB, from ``/proc/PID/smaps_rollup``; (0, 0) if it has gone.

    PSS splits a page that several processes map (the torch libraries of a sweep's workers)
    between them, so a sum over processes is what the host holds; a sum of RSS counts it again
    for every process.
    """
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:  # gone meanwhile, or not ours to read
        pass
    return rss, pss


def kill_group(child) -> None:
    """Kill ``child``'s process group (the child and every worker it spawned) and reap the child.

    ``child`` is a :class:`subprocess.Popen` started with ``start_new_session=True`` or a
    :class:`multiprocessing.Process` that called ``os.setsid()`` first. One killed before its
    ``setsid`` has no group yet: then the child alone is killed.
    """
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    child.wait() if hasattr(child, "wait") else child.join()


def mapped_bytes() -> int:
    """This process's address space (``VmSize``) in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


BACKGROUND_NICE = 10  # background work (training runs, sweeps) yields the CPU to viewers' reruns


def limit_self(cpu_seconds: int, memory_bytes: int, nice: int = 0) -> None:
    """Bound this process (a child, from its first line): ``cpu_seconds`` more CPU time, ``memory_bytes``
    more address space than it maps now, no core file, and ``nice`` lower CPU priority.

    Past the CPU limit the kernel sends SIGXCPU (which ends it), SIGKILL a second later; past the
    memory limit an allocation fails (``MemoryError`` in Python, ``RuntimeError`` in torch).
    """
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (spent + cpu_seconds, spent + cpu_seconds + 1))
    address_space = mapped_bytes() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    if nice:
        os.nice(nice)
