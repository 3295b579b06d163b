"""The images and weight-norms figures, tested by facts: traces, bar heights, axis texts."""

from __future__ import annotations

import numpy as np

from figures import images as image_figures
from figures import style
from figures import weights as weight_figures
from normcore.stats import histogram

HIST_LABELS = {"before": "B", "after": "A", "x": "value", "y": "density"}
STATS_LABELS = {"mean": "MEAN", "std": "STD", "x": "channel"}


def test_channel_histograms_draw_each_channels_bars_on_a_shared_axis():
    rng = np.random.default_rng(0)
    before = [histogram(rng.normal(c, 1 + c, 500), 20, (-10, 20)) for c in range(6)]
    after = [histogram(rng.normal(0, 1, 500), 20, (-10, 20)) for _ in range(6)]
    names = [f"ch{c}" for c in range(6)]
    fig = image_figures.channel_histograms(before, after, names, title="T", labels=HIST_LABELS, columns=4)
    assert len(fig.data) == 12
    assert [a.text for a in fig.layout.annotations] == names
    assert fig.layout.title.text == "T"
    np.testing.assert_allclose(fig.data[2].y, before[1].density())  # channel 1, before
    np.testing.assert_allclose(fig.data[3].y, after[1].density())
    assert {fig.data[0].marker.color, fig.data[1].marker.color} == {style.BEFORE, style.AFTER}
    assert [trace.showlegend for trace in fig.data[:4]] == [True, True, False, False]
    assert fig.data[0].name == "B" and fig.data[1].name == "A"
    assert fig.layout.xaxis5.title.text == "value" and fig.layout.yaxis.title.text == "density"
    assert fig.layout.xaxis.matches == fig.layout.xaxis2.matches == fig.layout.xaxis6.matches  # one x range
    assert (fig.layout.legend.yref, fig.layout.legend.y) == ("container", 0)  # below, clear of the titles


def test_channel_stats_bars_equal_the_numbers_given():
    series = {
        "content": (np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.2, 0.3])),
        "style": (np.array([-1.0, 0.0, 1.0]), np.array([1.0, 1.0, 1.0])),
    }
    fig = image_figures.channel_stats(
        series, ["l", "a", "b"], title="T", labels=STATS_LABELS, colours=["#111111", "#222222"]
    )
    assert len(fig.data) == 4
    content_mean, content_std, style_mean, _ = fig.data
    assert list(content_mean.x) == ["l", "a", "b"] and list(content_mean.y) == [1.0, 2.0, 3.0]
    assert list(content_std.y) == [0.1, 0.2, 0.3] and content_std.xaxis == "x2"
    assert list(style_mean.y) == [-1.0, 0.0, 1.0] and style_mean.marker.color == "#222222"
    assert [a.text for a in fig.layout.annotations] == ["MEAN", "STD"]


def test_weight_distributions_show_every_weight_of_every_channel():
    before = np.arange(24, dtype=float).reshape(3, 8)
    after = (before - before.mean(1, keepdims=True)) / before.std(1, keepdims=True)
    labels = {"before": "raw", "after": "std", "y": "weight"}
    fig = weight_figures.weight_distributions(before, after, ["a", "b", "c"], title="T", labels=labels)
    assert len(fig.data) == 6 and all(trace.type == "box" for trace in fig.data)
    np.testing.assert_array_equal(fig.data[1].y, before[1])
    np.testing.assert_array_equal(fig.data[4].y, after[1])
    assert fig.data[4].xaxis == "x2" and fig.data[4].marker.color == style.AFTER
    assert [a.text for a in fig.layout.annotations] == ["raw", "std"]


def test_power_iteration_plots_each_estimate_against_the_exact_value():
    labels = {"estimate": "est", "exact": "svd", "x": "step", "y": "sigma"}
    fig = weight_figures.power_iteration(np.array([1.0, 1.5, 1.9]), 2.0, title="T", labels=labels)
    estimate, exact = fig.data
    assert list(estimate.x) == [1, 2, 3] and list(estimate.y) == [1.0, 1.5, 1.9]
    assert list(exact.y) == [2.0, 2.0] and exact.name == "svd"
    assert fig.layout.xaxis.title.text == "step"
    assert fig.layout.xaxis.dtick == 1  # whole steps: no tick at 1.5
    many = weight_figures.power_iteration(np.linspace(1, 2, 100), 2.0, title="T", labels=labels)
    assert many.layout.xaxis.dtick is None  # 100 steps: plotly's own spacing


def test_spectrum_and_stretch_figures():
    labels = {"before": "W", "after": "W/s", "x": "rank", "y": "value"}
    fig = weight_figures.spectrum(
        np.array([3.0, 2.0, 1.0]), np.array([1.0, 2 / 3, 1 / 3]), title="T", labels=labels
    )
    assert list(fig.data[0].y) == [3.0, 2.0, 1.0] and list(fig.data[1].x) == [1, 2, 3]
    assert fig.layout.shapes[0].y0 == 1.0  # the bound after normalization
    before, after = (
        histogram(np.array([0.5, 1.0, 2.5]), 5, (0, 3)),
        histogram(np.array([0.2, 0.4, 0.9]), 5, (0, 3)),
    )
    stretch_labels = {**labels, "bound_before": "b1", "bound_after": "b2", "y": "count"}
    fig = weight_figures.stretch(before, after, (3.0, 1.0), title="T", labels=stretch_labels)
    bars = [trace for trace in fig.data if trace.type == "bar"]
    lines = [trace for trace in fig.data if trace.type == "scatter"]
    assert [list(b.y) for b in bars] == [before.counts.tolist(), after.counts.tolist()]
    assert [line.x[0] for line in lines] == [3.0, 1.0] and [line.name for line in lines] == ["b1", "b2"]
