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
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.dtick == 1  # ticks at powers of ten only
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


def test_scale_view_draws_each_runs_first_layer_norm_and_step_on_log_axes():
    grid = (0.1, 1.0)
    base = replace(lab.FIGURE1, depth=2, width=20, weight_decay=0.01)
    results = {k: train(c) for k, c in lab.sweep_configs(base, "init_scale", grid, 20).items()}
    out = charts.scale_view(results, text, NAMES, "init_scale", grid, reference=0.1)
    assert [key for key, _, _ in out] == ["weight_norm_init", "effective_step_init"]
    (_, norms, norm_data), (_, steps, step_data) = out
    assert len(norms.data) == 4 and len(steps.data) == 5  # 2 norms x 2 scales, + the reference line
    run = results[("batch", 1.0)]
    batch_sigma1 = norms.data[3]
    assert batch_sigma1.name == "lab.value.init|1.0" and list(batch_sigma1.x) == run.steps
    assert list(batch_sigma1.y) == [row[0] for row in run.weight_norm]
    assert (
        list(steps.data[3].y) == [row[0] for row in run.effective_step]
        and list(steps.data[3].x) == run.steps[1:]
    )
    assert (
        norms.data[1].line.color == norms.data[3].line.color != norms.data[0].line.color
    )  # one colour per σ
    assert steps.data[4].y == (0.1, 0.1) and steps.data[4].line.dash == "dash"
    assert norms.layout.yaxis.type == "log" and steps.layout.title.text == "lab.effective_step_title.init"
    assert len(norm_data) == 4 * len(run.steps) * 2  # runs x evaluations x layers
    assert len(step_data) == 4 * (len(run.steps) - 1) * 2


def test_placement_view_shows_three_runs_and_their_activations():
    results = {
        k: train(c)
        for k, c in lab.placement_configs(replace(lab.FIGURE1, depth=2, width=20, eval_every=10), 20).items()
    }
    out = charts.placement_view(results, text, NAMES, at=2)
    assert [key for key, _, _ in out] == ["place_acc", "place_loss", "place_hist"]
    acc, loss, hist = (fig for _, fig, _ in out)
    assert [t.name for t in acc.data] == ["name-none", "name-before", "name-after"]
    assert list(loss.data[2].y) == results["after"].train_loss and loss.layout.yaxis.type == "log"
    assert len(hist.data) == 3 * 2  # three panels, two layers
    counts = results["after"].layers.activation_counts[1][1]
    np.testing.assert_allclose(hist.data[5].y, counts / counts.sum())


def test_neighbouring_swept_values_differ_in_colour_or_dash():
    """Neighbours on the sequential scale look alike on a projector: every other value is dotted."""
    values = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
    fig = charts.value_lines(
        [("panel", [(v, [0, 1], [1.0, 2.0]) for v in values])],
        value_names=[f"lr {v}" for v in values],
        title="T",
        x_title="x",
        y_title="y",
    )
    dashes = [trace.line.dash for trace in fig.data]
    assert all(a != b for a, b in zip(dashes, dashes[1:], strict=False))
