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


def timed_reruns(at, change, values) -> list[float]:
    """Milliseconds of ``at.run()`` after ``change(at, value)`` for each value."""
    times = []
    for value in values:
        change(at, value)
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
        assert not at.exception, at.exception
    return times


def slider(key):
    return lambda at, value: at.slider(key=key).set_value(value)


def payload(at) -> int:
    return sum(len(chart.proto.spec) for chart in at.get("plotly_chart"))


def main(repeats: int) -> None:
    home = open_page()
    home_ms = timed_reruns(home, lambda at, value: None, range(repeats))
    print(f"machine: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"reference: Home page rerun, median {statistics.median(home_ms):.0f} ms")
    cases = [
        ("default", {}, "γ slider", slider("ga"), [round(0.5 + 0.05 * i, 2) for i in range(repeats)]),
        ("default", {}, "batch size N", slider("n"), [33 + i for i in range(repeats)]),
        (
            "default",
            {"mode": "eval"},
            "warm-up batches (eval)",
            slider("wb"),
            [21 + i for i in range(repeats)],
        ),
        ("largest", LARGEST, "γ slider", slider("ga"), [round(0.5 + 0.05 * i, 2) for i in range(repeats)]),
        (
            "largest",
            LARGEST,
            "seed (new batch)",
            lambda at, v: at.number_input(key="seed").set_value(v),
            list(range(1, repeats + 1)),
        ),  # fmt: skip
        (
            "largest",
            LARGEST,
            "norm",
            lambda at, v: at.selectbox(key="norm").set_value(v),
            ["layer", "group", "instance", "rms", "batch"] * (repeats // 5 + 1),
        ),  # fmt: skip
    ]
    for size, params, control, change, values in cases:
        at = open_page(PAGE, params)
        ms = timed_reruns(at, change, values[:repeats])
        median = statistics.median(ms)
        ratio = median / statistics.median(home_ms)
        print(f"{size:8s} {control:24s} median {median:6.0f} ms  (min {min(ms):.0f}, {ratio:.1f}x Home)")
    at = open_page(PAGE)
    print(
        f"payload at defaults: {payload(at) / 1024:.1f} KB of chart JSON in {len(at.get('plotly_chart'))} charts"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    main(parser.parse_args().repeats)
