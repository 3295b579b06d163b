"""The Explorer's Backward view on a γ move, without Streamlit's page: the compute alone, then the figures.

python benchmarks/bench_backward_view.py [--repeats 20] [--profile]

Plays a γ move as the page does with the caches warm (the batch and its normalization made once):
each move is a new γ, so the view's summaries (``backward_summary``, ``coupling_summary``) are
recomputed (each a cache miss, as on the page). The three γ-dependent
figures are timed apart (built from the summaries, not from a cache), as their cost is plotly's.
At defaults (N=16, C=8, 8×8, batch norm in training, the "class" loss) and at the largest size
(asked 256·64·32·32, capped to N=30: 1,966,080 values). CPU: the process's CPU time over the compute
(steadier than wall time on a shared machine). ``--profile`` prints cProfile's top entries.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from dataclasses import astuple
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import logging  # noqa: E402

logging.getLogger("streamlit").setLevel(logging.ERROR)

from figures import backward as figs  # noqa: E402
from figures import style  # noqa: E402
from normcore.explorer import Population, fit_batch  # noqa: E402
from ui import explorer_backward as view  # noqa: E402
from ui import explorer_cache as cache  # noqa: E402

SIZES = {"defaults": (16, 8, 8), "largest": (256, 64, 32)}
LABELS = {k: k for k in ("x", "y", "full", "naive", "sum", "dot", "unchanged", "changed", "chosen")}
LABELS["hover"] = "{n} {c} {v}"


def layer(n: int, c: int, hw: int, norm: str, training: bool) -> cache.Layer:
    n = fit_batch(n, c, hw, hw)
    return cache.Layer((n, c, hw, hw), astuple(Population()), norm, 1, training, 1e-5, 0.1, 20, 3.0, 5.0)


def compute(lay: cache.Layer, gamma: tuple, beta: tuple, up: str):
    summary = view.backward_summary(lay, gamma, beta, up, (0, 0, 0))
    coupling = view.coupling_summary(lay, gamma, beta, up, 0, 0, 2)
    return summary, coupling


def figures(summary, coupling) -> None:
    hists = [summary.upstream, summary.grad, summary.naive, summary.difference]
    figs.histogram_panels(
        hists, list("abcd"), [style.BEFORE] * 4, title="t", labels=LABELS, cols=2, height=480
    )
    figs.set_sums(summary.set_ids, (summary.sums_full, summary.sums_naive),
                  (summary.dots_full, summary.dots_naive), title="t", labels=LABELS)  # fmt: skip
    figs.coupling_block(coupling.change, coupling.first, 0, title="t", labels=LABELS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--norm", default="batch")
    parser.add_argument("--eval", action="store_true", help="eval mode (batch norm reads running statistics)")
    parser.add_argument("--up", default="class")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {args.repeats} γ moves each; "
          f"norm {args.norm}, {'eval' if args.eval else 'train'}, up={args.up}")  # fmt: skip
    for name, (n, c, hw) in SIZES.items():
        lay = layer(n, c, hw, args.norm, not args.eval)
        cache.normalized(lay)  # warm, as after the first run of the page
        compute(lay, (1.0,) * c, (0.0,) * c, args.up)
        profile = cProfile.Profile() if args.profile else None
        times, cpu, fig_times = [], [], []
        for i in range(args.repeats):
            gamma, beta = (round(0.51 + 0.05 * i, 2),) * c, (0.0,) * c  # never the warm-up γ = 1
            start, start_cpu = time.perf_counter(), time.process_time()
            if profile:
                profile.enable()
            summary, coupling = compute(lay, gamma, beta, args.up)
            if profile:
                profile.disable()
            middle = time.perf_counter()
            cpu.append((time.process_time() - start_cpu) * 1000)
            figures(summary, coupling)
            times.append((middle - start) * 1000)
            fig_times.append((time.perf_counter() - middle) * 1000)
        print(f"{name:9s} {lay.shape}: compute {statistics.median(times):6.1f} ms median "
              f"(min {min(times):5.1f}; CPU {statistics.median(cpu):6.1f} ms); "
              f"figures {statistics.median(fig_times):5.1f} ms median")  # fmt: skip
        if profile:
            pstats.Stats(profile).sort_stats("tottime").print_stats(18)
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
