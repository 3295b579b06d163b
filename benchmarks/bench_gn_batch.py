"""The gn-batch sweep (3 norms x 5 batch sizes x 2 seeds, 6 epochs): target <= 90 s on 2 cores.

python benchmarks/bench_gn_batch.py [--workers 2] [--seeds 2]

Prints the wall time, the CPU seconds the runs used (summed over the worker
processes), and the load average: on a shared machine the wall time mostly measures
the other users, so CPU seconds / workers is the estimate for an idle machine.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from normcore.experiments import gn_batch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=2, help="the target is for 2 (the shipped file has 5)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result = gn_batch.sweep(seeds=tuple(range(args.seeds)), workers=args.workers)
    wall = time.perf_counter() - started
    cpu = sum(run["cpu_seconds"] for run in result["runs"])
    print(f"runs: {len(result['runs'])}, workers: {args.workers}, cores: {os.cpu_count()}")
    print(f"load average before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
    print(f"wall: {wall:.1f} s   training CPU: {cpu:.1f} s   CPU / workers: {cpu / args.workers:.1f} s")
    for norm, rows in gn_batch.summarize(result["runs"]).items():
        errors = "  ".join(f"B={b}: {e:4.1f}%" for b, e in zip(rows["batch_size"], rows["mean"], strict=True))
        print(f"{norm:>6}  {errors}")


if __name__ == "__main__":
    main()
