"""normcore against torch.nn.functional on (32, 64, 32, 32) float32: medians and their ratio.

    python benchmarks/bench_core.py [--repeats 30] [--threads 1]

Both run in the same process, interleaved, so machine noise hits them alike. The ratio
normcore / torch is the figure that matters (target: at most 2 for each norm).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as TF

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import normcore as nc  # noqa: E402

SHAPE = (32, 64, 32, 32)


def cases(x: np.ndarray):
    t = torch.from_numpy(x)
    c = x.shape[1]
    weight, bias = np.ones(c, np.float32), np.zeros(c, np.float32)
    tw, tb = torch.from_numpy(weight), torch.from_numpy(bias)
    return {
        "batch": (
            lambda: nc.batch_norm(x, None, None, weight, bias, training=True),
            lambda: TF.batch_norm(t, None, None, tw, tb, training=True),
        ),
        "layer": (lambda: nc.layer_norm(x, x.shape[1:]), lambda: TF.layer_norm(t, x.shape[1:])),
        "group": (
            lambda: nc.group_norm(x, 8, weight, bias),
            lambda: TF.group_norm(t, 8, tw, tb),
        ),
        "instance": (
            lambda: nc.instance_norm(x, weight=weight, bias=bias),
            lambda: TF.instance_norm(t, weight=tw, bias=tb),
        ),
    }


def median_seconds(ours, theirs, repeats: int) -> tuple[float, float]:
    ours(), theirs()  # warm up
    ours_times, theirs_times = [], []
    for _ in range(repeats):
        for fn, times in [(ours, ours_times), (theirs, theirs_times)]:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(ours_times), statistics.median(theirs_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x = np.random.default_rng(0).standard_normal(SHAPE, dtype=np.float32)
    print(
        f"shape {SHAPE} float32, torch {torch.__version__} with {args.threads} thread(s), numpy {np.__version__}"
    )
    print(f"{'norm':<10}{'normcore ms':>13}{'torch ms':>10}{'ratio':>8}")
    for name, (ours, theirs) in cases(x).items():
        mine, torch_s = median_seconds(ours, theirs, args.repeats)
        print(f"{name:<10}{mine * 1e3:>13.2f}{torch_s * 1e3:>10.2f}{mine / torch_s:>8.2f}")


if __name__ == "__main__":
    main()
