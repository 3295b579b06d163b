"""Server-side time of one Explorer rerun after a control change, and the chart payload per rerun.

python benchmarks/bench_explorer.py [--repeats 15]

Runs the page in Streamlit's AppTest (the script, widgets, caches and serialization, without a
browser or network), moves one control to a value not seen before (so the caches that depend on
it miss), and times ``at.run()``. The Home page's rerun is timed in the same run as a reference
for this machine's speed right now. Payload: the JSON specs of every chart the rerun sends.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
logging.disable(logging.WARNING)  # AppTest's "missing ScriptRunContext" chatter

from tests.conftest import open_page  # noqa: E402

PAGE = "pages/1_Explorer.py"
LARGEST = {"n": "256", "c": "64", "hw": "32"}  # capped to N = 30: 1,966,080 values


def timed_reruns(at, change, values) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of ``at.run()`` after ``change(at, value)`` for each value.

    CPU time of this process (the script thread does the work) is what one rerun costs the
    server; wall time on a shared machine adds the wait for a core.
    """
    wall, cpu = [], []
    for value in values:
        change(at, value)
        start, start_cpu = time.perf_counter(), time.process_time()
        at.run()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert not at.exception, at.exception
    return wall, cpu


def slider(key):
    return lambda at, value: at.slider(key=key).set_value(value)


def number(key):
    return lambda at, value: at.number_input(key=key).set_value(value)


def choose(key):
    return lambda at, value: at.selectbox(key=key).set_value(value)


def payload(at) -> int:
    return sum(len(chart.proto.spec) for chart in at.get("plotly_chart"))


def main(repeats: int) -> None:
    gammas = [round(0.5 + 0.05 * i, 2) for i in range(repeats)]
    cases = [
        ("default", {}, "γ slider", slider("ga"), gammas),
        ("default", {}, "batch size N", slider("n"), [17 + i for i in range(repeats)]),
        (
            "default",
            {"mode": "eval"},
            "warm-up batches (eval)",
            slider("wb"),
            [21 + i for i in range(repeats)],
        ),
        ("largest", LARGEST, "γ slider", slider("ga"), gammas),
        ("largest", LARGEST, "seed (new batch)", number("seed"), list(range(1, repeats + 1))),
        (
            "largest",
            LARGEST,
            "norm",
            choose("norm"),
            ["layer", "group", "instance", "rms", "batch"] * repeats,
        ),
    ]
    home_wall, home_cpu = timed_reruns(open_page(), lambda at, value: None, range(repeats))
    print(f"machine: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"reference: Home page rerun {statistics.median(home_wall):.0f} ms wall, {statistics.median(home_cpu):.0f} ms CPU"
    )
    print(f"{'size':8s} {'control changed':24s} {'median wall':>12s} {'median CPU':>11s} {'min CPU':>8s}")
    for size, params, control, change, values in cases:
        wall, cpu = timed_reruns(open_page(PAGE, params), change, values[:repeats])
        print(
            f"{size:8s} {control:24s} {statistics.median(wall):9.0f} ms {statistics.median(cpu):8.0f} ms {min(cpu):5.0f} ms"
        )
    at = open_page(PAGE)
    print(
        f"payload at defaults: {payload(at) / 1024:.1f} KB of chart JSON in {len(at.get('plotly_chart'))} charts"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    main(parser.parse_args().repeats)
