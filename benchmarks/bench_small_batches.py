"""What a slider move on the Small batches and Train vs eval pages computes (cache misses).

python benchmarks/bench_small_batches.py

Medians of 5 repeats, and each as a ratio of one 64x8 batch_norm call measured in the
same run (machines are shared: compare ratios).
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from normcore import batch_stats as bs
from normcore import functional as F


def median_seconds(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    pop = bs.population(0)
    batch = pop[:64]
    base = median_seconds(lambda: [F.batch_norm(batch, None, None, training=True) for _ in range(100)]) / 100
    cases = {
        "moments (B=4, 2000 batches) + summary": lambda: (
            bs.batch_moments(pop, 4, 2000),
            bs.moments_summary(pop, 2000),
        ),
        "example bands (8 sizes x 200 batches x 4 norms)": lambda: bs.example_bands(
            pop, r_max=1.5, d_max=0.5
        ),
        "running stats (4 momenta x 200 steps, B=16)": lambda: bs.running_stats(
            pop, (0.01, 0.1, 0.2, 0.5), 16, 200
        ),
        "train vs eval + Batch Renorm demo (200 steps, B=4)": lambda: (
            bs.trained_running_stats(pop, 32, 200),
            bs.renorm_training(pop, 4, 200, 0.1, 3.0, 5.0),
        ),
    }
    print(f"one batch_norm (64, 8): {base * 1e6:.1f} us")
    for name, fn in cases.items():
        seconds = median_seconds(fn)
        print(f"{name:<50} {seconds * 1000:8.1f} ms  ({seconds / base:,.0f} x batch_norm)")


if __name__ == "__main__":
    main()
