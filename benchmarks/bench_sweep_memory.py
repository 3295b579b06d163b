"""Peak memory of one "Recompute live" (the gn-batch child and its workers), against the 1 GB host.

python benchmarks/bench_sweep_memory.py [--workers 1] [--seeds 5] [--limit-mb 0]

Starts the sweep exactly as the page does (``python -m normcore.experiments gn-batch`` in its own
session), polls every process of its session every 0.1 s and prints the peak of the summed
resident set (RSS: shared library pages counted once per process, an upper bound) and of the
summed proportional set (PSS: shared pages split between the processes that map them, what a
memory cgroup charges, roughly). ``--limit-mb`` sets the child's address-space limit
(RLIMIT_AS) the way ``ui.jobs`` does, to check that a sweep completes under it.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from normcore.experiments import gn_batch  # noqa: E402
from normcore.host import memory_kb  # noqa: E402


def session_processes(sid: int) -> list[int]:
    """Every process whose session id is ``sid`` (the child and the workers it spawned)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid:
                    found.append(int(entry))
            except OSError:
                pass
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--limit-mb", type=int, default=0, help="RLIMIT_AS of the child (0: none)")
    parser.add_argument("--options", nargs=argparse.REMAINDER, default=[], help="further gn-batch options")
    args = parser.parse_args()
    command = [sys.executable, "-m", "normcore.experiments", "gn-batch", "--seeds", str(args.seeds)]
    command += ["--workers", str(args.workers), *args.options, "--json", "-"]

    def limit():
        if args.limit_mb:
            size = args.limit_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    started = time.perf_counter()
    child = gn_batch.start(command, preexec_fn=limit)  # its own session: session_processes finds it all
    peak_rss = peak_pss = peak_count = 0
    while child.poll() is None:
        pids = session_processes(child.pid)
        sizes = [memory_kb(pid) for pid in pids]
        peak_rss = max(peak_rss, sum(r for r, _ in sizes))
        peak_pss = max(peak_pss, sum(p for _, p in sizes))
        peak_count = max(peak_count, len(pids))
        time.sleep(0.1)
    error = child.stderr.read()[-400:]
    print(
        f"exit code {child.returncode}, wall {time.perf_counter() - started:.0f} s, "
        f"workers {args.workers}, seeds {args.seeds}, RLIMIT_AS {args.limit_mb or 'none'} MB"
    )
    print(
        f"peak processes {peak_count}, peak RSS sum {peak_rss / 1024:.0f} MB, peak PSS sum {peak_pss / 1024:.0f} MB"
    )
    if child.returncode:
        print(error)


if __name__ == "__main__":
    main()
