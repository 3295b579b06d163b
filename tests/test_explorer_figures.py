"""The Explorer's figures carry the core's numbers: trace counts, bar heights, axes and texts."""

from __future__ import annotations

import numpy as np
import pytest

from figures import explorer as figs
from figures import histograms, style
from normcore.explorer import Population, make_input, run, summarize, with_affine

LABELS = {"before": "B", "after": "A", "reference": "N01", "x": "X", "y": "Y"}
BLOCK_LABELS = {
    "same": "same",
    "other": "other",
    "followed": "followed",
    "x": "channel",
    "y": "sample",
    "hover": "n{n} c{c} s{s}",
}
STATS_LABELS = {"used": "used", "own": "own", "mean": "M", "var": "V", "x": "set"}


@pytest.fixture(scope="module")
def summary():
    x = make_input(20, 6, 4, 4, Population(seed=1))
    e = with_affine(run(x, "group", num_groups=3), np.full(6, 1.5), np.full(6, -0.5))
    return summarize(x, e, follow=(2, 3, 1), multiples=5)


def test_small_multiples_have_the_core_bars_on_shared_axes(summary):
    fig = figs.small_multiples(summary.group_before, summary.group_after, ["p0", "p1", "p2", "p3", "p4"],
                               title="T", labels=LABELS, cols=3)  # fmt: skip
    assert len(fig.data) == 2 * len(summary.groups) == 10
    for i, (before, after) in enumerate(zip(summary.group_before, summary.group_after, strict=True)):
        np.testing.assert_allclose(fig.data[2 * i].y, before.density())
        np.testing.assert_allclose(fig.data[2 * i + 1].y, after.density())
        assert (
            fig.data[2 * i].marker.color == style.BEFORE and fig.data[2 * i + 1].marker.color == style.AFTER
        )
    axes = [fig.layout[f"xaxis{s}"] for s in ["", "2", "3", "4", "5"]]
    assert len({tuple(a.range) for a in axes}) == 1  # one x range for every panel
    assert len({tuple(fig.layout[f"yaxis{s}"].range) for s in ["", "2", "3", "4", "5"]}) == 1
    assert [a.text for a in fig.layout.annotations] == ["p0", "p1", "p2", "p3", "p4"]
    assert (
        fig.layout.xaxis4.title.text == "X" and fig.layout.yaxis.title.text == "Y"
    )  # bottom row, first panel
    assert sum(trace.showlegend for trace in fig.data) == 2
    assert fig.layout.title.text == "T"


def test_set_block_colours_the_followed_set(summary):
    followed_set = summary.followed["set"]
    fig = figs.set_block(summary.grid, followed_set, (2, 3), title="block", labels=BLOCK_LABELS)
    other, same, marker = fig.data
    rows, cols = summary.grid.shape
    assert len(other.x) + len(same.x) == rows * cols
    assert sorted(zip(same.y, same.x, strict=True)) == sorted(
        zip(*np.nonzero(summary.grid == followed_set), strict=True)
    )
    assert followed_set == 2 * 3 + 1  # sample 2, channel 3 is group 1 of 3
    assert (marker.x[0], marker.y[0]) == (3, 2)
    assert same.marker.color == style.AFTER
    assert "n2 c3 s7" in list(same.hovertext)
    assert fig.layout.xaxis.title.text == "channel" and fig.layout.yaxis.title.text == "sample"
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # sample 0 on top


def test_statistics_bars_are_the_set_statistics(summary):
    fig = figs.statistics(summary.set_ids, summary.mean, summary.var, title="S", labels=STATS_LABELS)
    assert len(fig.data) == 2
    np.testing.assert_allclose(fig.data[0].y, summary.mean)
    np.testing.assert_allclose(fig.data[1].y, summary.var)
    assert fig.layout.yaxis.title.text == "M" and fig.layout.yaxis2.title.text == "V"
    assert fig.layout.xaxis2.title.text == "set" and fig.layout.xaxis.matches == "x2"


def test_statistics_in_eval_show_the_batch_own_as_markers():
    x = make_input(8, 3, 2, 2, Population())
    s = summarize(x, run(x, "batch", training=False, running_mean=np.zeros(3), running_var=np.ones(3)))
    fig = figs.statistics(s.set_ids, s.mean, s.var, own_mean=s.own_mean, own_var=s.own_var, title="S",
                          labels=STATS_LABELS)  # fmt: skip
    assert [t.type for t in fig.data] == ["bar", "scatter", "bar", "scatter"]
    np.testing.assert_allclose(fig.data[1].y, x.mean(axis=(0, 2, 3), dtype=np.float64))
    np.testing.assert_allclose(fig.data[0].y, 0)


def test_downstream_shares_x_between_normalized_and_affine(summary):
    fig = figs.downstream(summary.downstream, ["xhat", "affine", "relu"], title="D", labels=LABELS)
    assert len(fig.data) == 3
    for trace, hist in zip(fig.data, summary.downstream, strict=True):
        np.testing.assert_allclose(trace.y, hist.density())
    assert tuple(fig.layout.xaxis.range) == tuple(fig.layout.xaxis2.range)
    assert fig.layout.xaxis3.range is None
    relu = summary.downstream[2]
    assert relu.counts[relu.edges[1:] < 0].sum() == 0 and relu.counts.sum() == 20 * 6 * 16  # ReLU output


def test_before_after_histogram_has_the_core_bars(summary):
    fig = histograms.before_after(summary.before, summary.after, title="H", labels=LABELS)
    np.testing.assert_allclose(fig.data[0].y, summary.before.density())
    np.testing.assert_allclose(fig.data[1].y, summary.after.density())


def test_figures_are_small(summary):
    figures = [
        figs.small_multiples(summary.group_before, summary.group_after, ["p"] * 5, title="T", labels=LABELS),
        figs.set_block(summary.grid, 0, (0, 0), title="B", labels=BLOCK_LABELS),
        figs.statistics(summary.set_ids, summary.mean, summary.var, title="S", labels=STATS_LABELS),
        figs.downstream(summary.downstream, ["a", "b", "c"], title="D", labels=LABELS),
    ]
    assert all(len(fig.to_json()) < 40_000 for fig in figures)


def test_every_figure_carries_the_white_template(summary):
    import plotly.io as pio

    white = pio.templates["plotly_white"].layout.paper_bgcolor
    fig = figs.downstream(summary.downstream, ["a", "b", "c"], title="D", labels=LABELS)
    assert fig.layout.template.layout.paper_bgcolor == white
    assert fig.layout.font.family == style.FONT_FAMILY
