"""Building a figure on a slider's path and the dict st.plotly_chart sends: plotly against style.Deferred.

    python benchmarks/bench_figures.py [--repeats 200]

For each Explorer figure at the page's default sizes (N=16, C=8, 8x8, batch norm, 50 bins; the small
multiples with 16 panels), interleaved in one process: "plotly" is what style.figure did before
(``go.Figure(data, layout, _validate=False)`` then ``to_dict()``), "deferred" what it does now
(``style.Deferred`` then ``to_dict()``: plotly builds nothing), "+ read" the deferred figure whose
layout is then read (``fig.layout.title.text``, as ui.export.show_chart does: plotly builds the
layout, not the traces; ``style.title_of(fig)`` reads it without building). "function" is the
figure function's own work (the arrays and dicts it makes), in every other column too; "ratio w/o fn"
compares plotly's part with the deferred figure's once that work is taken out of both.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from figures import backward, explorer, histograms, style  # noqa: E402
from normcore.backward import explain_backward  # noqa: E402
from normcore.backward_view import summarize_backward, upstream_gradient  # noqa: E402
from normcore.explorer import Population, make_input, run, summarize, with_affine  # noqa: E402

LABELS = {"before": "B", "after": "A", "reference": "N(0, 1)", "x": "value", "y": "density"}
BLOCK = {"same": "same", "other": "other", "followed": "followed", "x": "channel", "y": "sample",
         "hover": "n{n} c{c} s{s}"}  # fmt: skip


def cases() -> dict:
    x = make_input(16, 8, 8, 8, Population())
    e = with_affine(run(x, "batch"), np.full(8, 1.2), np.full(8, 0.1))
    s = summarize(x, e, by="sample", multiples=16)
    dy = upstream_gradient(e.output, x.reshape(e.output.shape), "class", channel=0).reshape(x.shape)
    b = summarize_backward(dy, e, explain_backward(x, "batch", dy, weight=np.full(8, 1.2)), True)
    panels = [f"n={i}" for i in range(len(s.group_before))]
    return {
        "histograms.before_after": lambda: histograms.before_after(
            s.before, s.after, title="T", labels=LABELS
        ),
        f"explorer.small_multiples ({len(panels)})": lambda: explorer.small_multiples(
            s.group_before, s.group_after, panels, title="T", labels=LABELS
        ),
        "explorer.set_block": lambda: explorer.set_block(
            s.grid, s.followed["set"], (0, 0), title="T", labels=BLOCK
        ),
        "explorer.downstream": lambda: explorer.downstream(
            s.downstream, ["x̂", "γx̂+β", "relu"], title="T", labels=LABELS
        ),  # fmt: skip
        "backward.histogram_panels": lambda: backward.histogram_panels(
            [b.upstream, b.grad, b.naive, b.difference],
            list("ABCD"),
            [style.BEFORE] * 4,
            title="T",
            labels={"x": "g", "y": "n"},
            cols=2,
            height=480,
        ),  # fmt: skip
    }


def eager(traces, own_layout, *, title=None, height=380):
    """style.figure before it deferred: plotly builds the figure at once."""
    return go.Figure(
        data=traces, layout={**style.layout(title=title, height=height), **own_layout}, _validate=False
    )


def ways(make):
    deferred = style.figure

    def plotly():
        style.figure = eager
        try:
            make().to_dict()
        finally:
            style.figure = deferred

    def read():
        fig = make()
        fig.to_dict()
        return fig.layout.title.text

    return {"plotly": plotly, "deferred": lambda: make().to_dict(), "+ read": read, "function": make}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    print(f"load average before: {Path('/proc/loadavg').read_text().split()[:3]}")
    head = ["plotly ms", "deferred ms", "ratio", "+ read ms", "function ms", "ratio w/o fn"]
    print(f"{'figure (build + to_dict)':<32}" + "".join(f"{h:>13}" for h in head))
    for name, make in cases().items():
        runs = ways(make)
        times = {way: [] for way in runs}
        for fn in runs.values():
            fn()  # warm up
        for _ in range(args.repeats):
            for way, fn in runs.items():
                start = time.perf_counter()
                fn()
                times[way].append(time.perf_counter() - start)
        ms = {way: statistics.median(t) * 1e3 for way, t in times.items()}
        fn = ms["function"]
        row = [ms["plotly"], ms["deferred"], ms["plotly"] / ms["deferred"], ms["+ read"], fn,
               (ms["plotly"] - fn) / (ms["deferred"] - fn)]  # fmt: skip
        print(f"{name:<32}" + "".join(f"{v:>13.2f}" for v in row))
    print(f"load average after: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
