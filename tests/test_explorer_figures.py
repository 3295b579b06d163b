"""The Explorer's figures carry the core's numbers: trace counts, bar heights, axes and texts."""

from __future__ import annotations

import numpy as np
import pytest

from figures import explorer as figs
from figures import histograms, sets, style
from normcore.explorer import Population, make_input, run, summarize, with_affine
from normcore.teaching import set_index
from tests.set_grids import assert_sets_drawn, block_fills, neighbour_pairs, unit_edges

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


def test_small_multiples_have_the_core_bars_on_shared_scales(summary):
    fig = figs.small_multiples(summary.group_before, summary.group_after, ["p0", "p1", "p2", "p3", "p4"],
                               title="T", labels=LABELS, cols=3)  # fmt: skip
    before, after, frames, titles = fig.data
    bins = summary.group_before[0].counts.size
    assert before.marker.color == style.BEFORE and after.marker.color == style.AFTER
    for trace, hists in [(before, summary.group_before), (after, summary.group_after)]:
        np.testing.assert_allclose(trace.y, np.concatenate([h.density() for h in hists]))  # the core's bars
        np.testing.assert_allclose(
            trace.customdata, np.concatenate([h.centers for h in hists])
        )  # hover values
        shift = (np.asarray(trace.x) - trace.customdata).reshape(5, bins)
        base = np.asarray(trace.base).reshape(5, bins)
        assert (
            np.ptp(shift, axis=1).max() < 1e-5 * np.abs(shift).max() and np.ptp(base, axis=1).max() == 0
        )  # a panel moves whole
        # a 3-column grid: columns share a shift, rows a base; panel 0 is top left
        np.testing.assert_allclose(shift[:, 0], shift[[0, 1, 2, 0, 1], 0])
        assert shift[0, 0] < shift[1, 0] < shift[2, 0]
        assert base[0, 0] == base[2, 0] > base[3, 0] == base[4, 0] == 0
    assert list(titles.text) == ["p0", "p1", "p2", "p3", "p4"]
    assert (before.width, after.width) == (summary.group_before[0].width,) * 2
    # the tick labels are each panel's own values, repeated under every column
    labels = list(fig.layout.xaxis.ticktext)
    assert len(labels) % 3 == 0 and labels[: len(labels) // 3] * 3 == labels
    np.testing.assert_allclose(np.asarray(fig.layout.xaxis.tickvals[: len(labels) // 3]) - shift[0, 0],
                               [float(t) for t in labels[: len(labels) // 3]])  # fmt: skip
    assert fig.layout.xaxis.title.text == "X" and fig.layout.yaxis.title.text == "Y"
    assert [t.showlegend for t in fig.data] == [None, None, False, False] and fig.layout.title.text == "T"


def test_set_block_colours_the_followed_set(summary):
    followed_set = summary.followed["set"]
    fig = figs.set_block(summary.grid, followed_set, (2, 3), title="block", labels=BLOCK_LABELS)
    other, same, boundary, outline, marker = fig.data
    rows, cols = summary.grid.shape
    assert len(other.x) + len(same.x) == rows * cols
    assert sorted(zip(same.y, same.x, strict=True)) == sorted(
        zip(*np.nonzero(summary.grid == followed_set), strict=True)
    )
    assert followed_set == 2 * 3 + 1  # sample 2, channel 3 is group 1 of 3
    assert (marker.x[0], marker.y[0]) == (3, 2)
    assert same.hovertemplate.startswith("n%{y} c%{x} s%{customdata}")
    assert list(same.customdata) == [followed_set] * len(same.x)
    assert (boundary.line.color, outline.line.color) == (sets.BOUNDARY, style.REFERENCE)
    assert outline.line.width > boundary.line.width
    assert fig.layout.xaxis.title.text == "channel" and fig.layout.yaxis.title.text == "sample"
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # sample 0 on top


GRIDS = [  # (norm, N drawn, C, G, followed (sample, channel)): every norm; Instance Norm's 128 sets
    *[(norm, n, 8, 2, (n - 1, 3)) for norm in ("batch", "layer", "instance", "group", "rms", "none") for n in (1, 2, 16)],
    ("group", 16, 64, 8, (5, 17)),
    ("instance", 16, 64, 1, (15, 63)),
    ("batch", 16, 1, 1, (0, 0)),
    ("group", 3, 6, 3, (1, 2)),
]  # fmt: skip


@pytest.mark.parametrize(("norm", "n", "c", "groups", "follow"), GRIDS)
def test_set_block_tells_every_set_apart(norm, n, c, groups, follow):
    """Neighbouring sets never share a fill, only the followed set's cells are orange, every set is
    outlined and the followed set's outline runs exactly around it: read back from the figure."""
    grid = np.broadcast_to(set_index((n, c, 1), norm, num_groups=groups), (n, c, 1))[..., 0].astype(int)
    followed = int(grid[follow])
    fig = figs.set_block(grid, followed, follow, title="block", labels=BLOCK_LABELS)
    fills = block_fills(fig, grid.shape)
    boundary, outline = fig.data[2], fig.data[3]
    assert_sets_drawn(grid.astype(float), fills, followed, style.AFTER, unit_edges(boundary.x, boundary.y),
                      unit_edges(outline.x, outline.y))  # fmt: skip
    assert (fig.data[1].marker.line.width or 0) == (
        fig.data[0].marker.line.width or 0
    )  # the outline is the line trace
    assert [t.name for t in fig.data[:2]] == ["other", "same"] and fig.data[2].showlegend is False


def test_shades_tell_irregular_sets_apart():
    """Where the checkerboard of sets fails (three sets meeting at a corner, an L-shaped set), the
    greedy colouring still gives neighbours different shades; the followed set has its own."""
    for grid in ([[0, 1], [2, 2]], [[0, 0, 1], [2, 0, 1], [2, 3, 3]], [[0, 1, 2], [3, 4, 5]]):
        grid = np.asarray(grid, dtype=float)
        shade = sets.shades(grid, followed=1)
        assert (shade[grid == 1] == len(sets.MUTED)).all() and (shade[grid != 1] < len(sets.MUTED)).all()
        for a, b in neighbour_pairs(grid):
            assert grid[a] == grid[b] or shade[a] != shade[b], (grid, shade)
    assert sets.shades(np.array([[0.0, 1.0], [2.0, 2.0]]), followed=9).max() == 2  # three shades needed


@pytest.mark.parametrize("n", [1, 2, 3, 16])
def test_set_block_ticks_are_whole_samples_and_channels(n):
    grid = np.arange(n * 8).reshape(n, 8)
    fig = figs.set_block(grid, 0, (0, 0), title="block", labels=BLOCK_LABELS)
    for axis, count in [(fig.layout.yaxis, n), (fig.layout.xaxis, 8)]:
        low, high = sorted(axis.range)
        ticks = np.arange(axis.tick0, high, axis.dtick)
        ticks = ticks[ticks >= low]
        assert axis.tickmode == "linear" and float(axis.dtick).is_integer() and float(axis.tick0) == 0
        assert ticks.tolist() == list(range(0, count, int(axis.dtick)))  # 0, 1, ...: never -0.5 or 1.5
    assert fig.layout.yaxis.dtick == 1 and fig.layout.xaxis.dtick == 1
    assert (
        figs.set_block(np.zeros((16, 64), int), 0, (0, 0), title="b", labels=BLOCK_LABELS).layout.xaxis.dtick
        == 10
    )


def test_set_block_legend_stays_below_the_channel_title():
    """The legend lives in the figure's bottom margin (container coordinates: plotly makes room for it
    under the x axis title), so however many rows it wraps into it cannot cover the channel title."""
    fig = figs.set_block(np.arange(16).reshape(2, 8), 0, (0, 0), title="block", labels=BLOCK_LABELS)
    legend = fig.layout.legend
    assert (legend.yref, legend.yanchor, legend.y, legend.orientation) == ("container", "bottom", 0, "h")
    assert fig.layout.xaxis.title.text == "channel" and fig.layout.xaxis.side in (None, "bottom")


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


def test_statistics_of_rms_norm_are_one_panel_of_rms():
    x = make_input(6, 3, 2, 2, Population())
    s = summarize(x, run(x, "rms"))
    rms = np.sqrt(s.var + 1e-5)
    fig = figs.statistics(s.set_ids, None, rms, title="S", labels=STATS_LABELS)
    assert [t.type for t in fig.data] == ["bar"] and fig.layout.yaxis.title.text == "V"
    expected = np.sqrt((x.astype(np.float64) ** 2).reshape(6, -1).mean(axis=1) + 1e-5)
    np.testing.assert_allclose(fig.data[0].y, expected, rtol=1e-6)
    assert "xaxis2" not in fig.to_plotly_json()["layout"]  # no mean panel
