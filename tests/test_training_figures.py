"""The training lab's figures, checked by facts: traces, values, axes, the texts passed in."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from figures import style
from figures import training as charts
from normcore import lab
from normcore.training import train


def text(key: str, **values) -> str:
    return key + "".join(f"|{v}" for v in values.values())


NAMES = {label: f"name-{label}" for label in charts.COLOURS}


def test_percentile_panels_leave_out_step_0_and_shade_between_the_outer_percentiles():
    steps, pct = [0, 10, 20], [[0.0, 0.0, 0.0], [-1.0, 0.0, 1.0], [-2.0, 0.5, 2.0]]
    fig = charts.percentile_panels(
        [("a", steps, pct), ("b", steps, pct)],
        title="T",
        names=["p15", "p50", "p85"],
        x_title="x",
        y_title="y",
    )
    assert len(fig.data) == 6
    p15, p85, p50 = fig.data[:3]
    assert list(p15.x) == [10, 20] and list(p15.y) == [-1.0, -2.0]
    assert p85.fill == "tonexty" and list(p85.y) == [1.0, 2.0] and list(p50.y) == [0.0, 0.5]
    assert fig.layout.yaxis2.matches == "y" or fig.layout.yaxis2.anchor  # shared y across panels


def test_sweep_is_log_scaled_with_one_line_per_norm():
    fig = charts.sweep(
        [0.1, 1.0],
        {"none": [0.1, 0.2], "batch": [0.9, 0.95]},
        names=NAMES,
        colours=charts.COLOURS,
        title="T",
        x_title="x",
        y_title="y",
    )
    assert fig.layout.xaxis.type == "log"
    assert [t.name for t in fig.data] == ["name-none", "name-batch"]
    assert fig.data[1].line.color == style.AFTER and list(fig.data[1].y) == [0.9, 0.95]


def test_views_draw_the_runs_numbers_with_the_texts_passed_in():
    results = {
        n: train(c) for n, c in lab.inside_configs(replace(lab.FIGURE1, eval_every=10, depth=2), 20).items()
    }
    out = charts.inside_view(results, text, NAMES, at=2)
    assert [key for key, _, _ in out] == [
        "hist_activation",
        "hist_gradient",
        "saturated",
        "grad_to_data",
        "update_to_data",
    ]
    key, fig, data = out[0]
    counts = results["none"].layers.activation_counts[1][0]
    np.testing.assert_allclose(fig.data[0].y, counts / counts.sum())
    assert fig.layout.title.text == "lab.hist_title.activation|20"
    assert data["count"].sum() == 2 * 2 * 60 * 100  # two runs, two layers, one batch of 60 x 100 units
    acc_key, acc, _ = charts.accuracy_view(results, text, NAMES)[0]
    assert (
        list(acc.data[0].y) == results["none"].test_accuracy
        and acc.layout.yaxis.title.text == "lab.y_accuracy"
    )


def test_a_run_meant_to_coincide_is_dashed():
    results = {n: train(c) for n, c in lab.bias_configs(replace(lab.FIGURE1, eval_every=10), 10).items()}
    acc = charts.bias_view(results, text, NAMES)[0][1]
    assert [t.line.dash for t in acc.data] == [None, "dash"]
