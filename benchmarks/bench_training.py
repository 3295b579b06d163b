"""Figure 1 of the BN paper at its default length, and a cached replay of it.

python benchmarks/bench_training.py [--repeats 3] [--steps 3000]

Training: the two runs of Figure 1 (3 hidden layers of 100 sigmoid units, batch 60, SGD
lr 0.5, 3000 steps), without and with BN, one torch thread each, timed back to back; the
target is <= 20 s for both on 2 CPU cores. Replay: what the page does for the next viewer
with the same settings: look both runs up in the shared run store, build the two charts
and serialize them as st.plotly_chart does (target <= 0.3 s). A 1000x1000 float32 matmul
is timed in the same run as a reference for this machine's speed right now, and the CPU
time of the training is printed beside its wall time: on a shared host the gap is the wait.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from figures import training as charts  # noqa: E402
from normcore import lab  # noqa: E402
from normcore.training import load_digits, train  # noqa: E402
from ui.live import RunStore  # noqa: E402


def seconds(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def reference_matmul_ms() -> float:
    a = torch.randn(1000, 1000)
    return statistics.median(seconds(lambda: a @ a) for _ in range(5)) * 1000


def replay(store: RunStore, configs: dict) -> None:
    results = {label: store.get(config) for label, config in configs.items()}
    names = {label: label for label in charts.COLOURS}
    for _, fig, data in charts.figure1_view(results, lambda key, **v: key, names):
        fig.to_json()
        data.to_csv(index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=lab.FIGURE1_STEPS)
    args = parser.parse_args()
    load_digits()
    configs = lab.figure1_configs(replace(lab.FIGURE1), args.steps)
    store = RunStore()
    per_norm = {label: [] for label in configs}
    totals, cpu_totals = [], []
    for _ in range(args.repeats):
        total, cpu = 0.0, time.process_time()
        for label, config in configs.items():
            result = train(config)
            per_norm[label].append(result.seconds)
            total += result.seconds
            store.put(config, result)
        totals.append(total)
        cpu_totals.append(time.process_time() - cpu)
    replays = [seconds(lambda: replay(store, configs)) for _ in range(20)]
    print(f"machine reference: 1000x1000 matmul {reference_matmul_ms():.1f} ms (median of 5)")
    for label, times in per_norm.items():
        print(
            f"figure 1, {label:>5}: median {statistics.median(times):.2f} s over {args.repeats} ({args.steps} steps)"
        )
    print(f"figure 1, both runs: median {statistics.median(totals):.2f} s wall (target <= 20 s)")
    print(
        f"figure 1, both runs: median {statistics.median(cpu_totals):.2f} s CPU (the share of a core it got)"
    )
    print(
        f"cached replay (store + 2 charts + JSON + CSV): median {statistics.median(replays) * 1000:.1f} ms (target <= 300 ms)"
    )


if __name__ == "__main__":
    main()
