"""A figure from ``style.figure`` is a go.Figure that plotly builds on first use (``style.Deferred``);
until then its ``to_dict()`` is made from the dicts directly, and it is plotly's own, to the byte."""

from __future__ import annotations

import copy
import json
import pickle
import threading

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from _plotly_utils.utils import to_typed_array_spec

from figures import backward, explorer, histograms, style
from normcore.backward import explain_backward
from normcore.backward_view import summarize_backward, upstream_gradient
from normcore.explorer import Population, make_input, run, summarize, with_affine
from normcore.stats import histogram

LABELS = {"before": "B", "after": "A", "reference": "N01", "x": "X", "y": "Y"}
BLOCK = {"same": "same", "other": "other", "followed": "f", "x": "c", "y": "n", "hover": "n{n} c{c} s{s}"}
STATS = {"used": "used", "own": "own", "mean": "M", "var": "V", "x": "set"}


def plotly_json(traces: list[dict], layout: dict) -> str:
    """What plotly sends for these dicts: built by plotly (on copies: building changes nested dicts)."""
    built = go.Figure(data=copy.deepcopy(traces), layout=copy.deepcopy(layout), _validate=False)
    return pio.to_json(built.to_dict(), validate=False)


def assert_sent_as_plotly(fig: go.Figure) -> None:
    assert isinstance(fig, style.Deferred) and isinstance(fig, go.Figure)
    spec = fig._nc_spec
    assert style.sent_dict(*spec) is not None  # the fast path, not left to plotly
    sent = pio.to_json(fig.to_dict(), validate=False)
    assert "_nc_spec" in fig.__dict__  # to_dict() did not build it
    expected = plotly_json(*spec)
    assert sent == expected
    fig.layout.title.text  # noqa: B018 - the layout built (as ui.export.show_chart reads it)
    assert "_nc_traces" in fig.__dict__
    assert pio.to_json(fig.to_dict(), validate=False) == expected
    fig.data  # noqa: B018 - all built now
    assert "_nc_spec" not in fig.__dict__
    assert pio.to_json(fig.to_dict(), validate=False) == expected  # plotly's own, once built


@pytest.fixture(scope="module")
def explorer_summaries():
    x = make_input(16, 8, 8, 8, Population(seed=3))
    summaries = {}
    for norm, training in [("batch", True), ("group", True), ("batch", False)]:
        e = with_affine(run(x, norm, num_groups=4, training=training, running_mean=np.zeros(8),
                            running_var=np.ones(8)), np.full(8, 1.5), np.full(8, -0.5))  # fmt: skip
        summaries[norm, training] = summarize(x, e, follow=(2, 3, 1), multiples=16, by="channel"), e
    return x, summaries


def explorer_figures(summaries) -> list[go.Figure]:
    s, _ = summaries["group", True]
    own, _ = summaries["batch", False]
    panels = [f"p{i}" for i in range(len(s.group_before))]
    return [
        histograms.before_after(s.before, s.after, title="T", labels=LABELS),
        explorer.small_multiples(s.group_before, s.group_after, panels, title="T", labels=LABELS),
        explorer.set_block(s.grid, s.followed["set"], (2, 3), title="T", labels=BLOCK),
        explorer.statistics(s.set_ids, s.mean, s.var, title="S", labels=STATS),
        explorer.statistics(s.set_ids, None, s.var, title="S", labels=STATS),  # RMS: one panel
        explorer.statistics(
            own.set_ids,
            own.mean,
            own.var,
            own_mean=own.own_mean,
            own_var=own.own_var,
            title="S",
            labels=STATS,
        ),  # fmt: skip
        explorer.downstream(s.downstream, ["xhat", "affine", "relu"], title="D", labels=LABELS),
    ]


def backward_figures(x, e) -> list[go.Figure]:
    dy = upstream_gradient(e.output, x.reshape(e.output.shape), "class", channel=2).reshape(x.shape)
    back = explain_backward(x, "batch", dy, weight=np.full(8, 1.5), training=True)
    s = summarize_backward(dy, e, back, True, follow=(1, 2, 4), max_sets=4)
    hists = [s.upstream, s.grad, s.naive, s.difference]
    ids = np.arange(s.set_ids.size)
    labels = {"x": "v", "y": "n", "full": "f", "naive": "nv", "sum": "s", "dot": "d", "current": "c", "hover": "{n} {c} {v}",
              "unchanged": "u", "changed": "ch", "chosen": "co"}  # fmt: skip
    return [
        backward.histogram_panels(
            hists, list("ABCD"), [style.BEFORE] * 4, title="t", labels=labels, cols=2, height=480
        ),  # fmt: skip
        backward.histogram_panels(hists[:2], list("AB"), [style.AFTER] * 2, title="t", labels=labels),
        backward.set_sums(
            ids,
            (back.sums_full[ids], back.sums_naive[ids]),
            (back.dots_full[ids], back.dots_naive[ids]),
            title="t",
            labels=labels,
        ),  # fmt: skip
        backward.coupling_block(np.arange(12.0).reshape(3, 4) - 5, 1, 0, title="t", labels=labels),
        backward.scale_curve(
            [0.01, 1.0, 100.0],
            {"out": [0.4, 0.0, 2.0], "du": [1e-4, 0.0, np.nan]},
            1.0,
            title="t",
            labels=labels,
        ),  # fmt: skip
    ]


def test_the_explorers_and_backward_views_figures_are_sent_as_plotly_sends_them(explorer_summaries):
    x, summaries = explorer_summaries
    figures = explorer_figures(summaries) + backward_figures(x, summaries["batch", True][1])
    for fig in figures:
        assert_sent_as_plotly(fig)


ARRAYS = {
    "float64 with NaN and inf": np.array([0.5, np.nan, np.inf, -np.inf, -2.0]),
    "float32": np.linspace(-1, 1, 7, dtype=np.float32),
    "int64 small": np.arange(-3, 4),
    "int64 int16": np.array([-40_000 // 2, 3]),
    "int64 int32": np.array([2**31 - 1, -(2**31)]),
    "int64 beyond int32": np.array([2**40, 1]),  # plotly leaves it an array (a list in JSON)
    "int64 2-D": np.arange(-6, 6).reshape(3, 4),
    "uint64 beyond uint32": np.array([2**40, 1], dtype=np.uint64),
    "uint64": np.array([1, 300, 70_000], dtype=np.uint64),
    "int8": np.array([1, -2], dtype=np.int8),
    "uint8": np.array([1, 200], dtype=np.uint8),
    "bool": np.array([True, False, True]),  # not typed by plotly: a list of booleans
    "empty": np.array([]),
    "empty int": np.array([], dtype=int),
    "strings": np.array(["a", "b"]),
    "objects": np.array(["a", 1, None], dtype=object),
    "2-D": np.arange(6.0).reshape(2, 3),
    "2-D Fortran order": np.asfortranarray(np.arange(6).reshape(2, 3)),
    "strided": np.arange(10.0)[::3],
    "big-endian": np.arange(3, dtype=">f8"),
}


@pytest.mark.parametrize("name", ARRAYS)
def test_an_array_is_encoded_as_plotly_encodes_it(name):
    array = ARRAYS[name]
    ours, plotlys = style._encoded(array), to_typed_array_spec(array)
    assert pio.to_json(dict(v=ours), validate=False) == pio.to_json(dict(v=plotlys), validate=False)
    trace = dict(type="scatter", x=array, y=array, marker=dict(color=array, line=dict(width=array)),
                 customdata=[array, 1], text=(array, "t"))  # fmt: skip
    layout = dict(xaxis=dict(tickvals=array, range=np.array([0.0, 1.0])), xaxis3=dict(tickvals=array))
    assert_sent_as_plotly(
        style.Deferred.of([trace], layout)
    )  # not style.figure: text=(array, "t") is not valid


def test_dicts_are_sent_as_plotly_stores_them_unvalidated():
    """Top-level None left out, nested None kept, paths such as marker_line_color, subplots' axes."""
    traces = [
        dict(type="bar", x=[1, 2], y=(3, 4), name=None, marker=dict(color="red", opacity=None), marker_line_color="blue",
             error_y=dict(array=np.array([0.1, 0.2])), hovertemplate="%{y}<extra></extra>", showlegend=np.True_),
        dict(x=np.arange(3), y=np.arange(3.0), mode="lines", line_dash="dash", xaxis="x2", yaxis="y2"),
        dict(type="heatmap", z=np.arange(6.0).reshape(2, 3), colorscale=[[0, "white"], [1, "red"]], zmin=0),
    ]  # fmt: skip
    layout = dict(
        title=dict(text=None),
        bargap=np.float64(0.1),
        margin_t=80,
        legend_font_size=None,
        xaxis=dict(title=dict(text="x"), dtick=None, range=[0, 1]),
        xaxis2=dict(title=dict(text="x2", font=dict(size=None)), anchor="y2", domain=[0.5, 1], tickfont={}),
        yaxis2=dict(domain=[0, 1], anchor="x2", tickformatstops=[dict(dtickrange=[None, 1], value=".2f")]),
        annotations=[dict(text="a", x=0, y=1, showarrow=False, font=dict(size=12))],
        shapes=[dict(type="rect", x0=0, x1=1, y0=0, y1=1, line=dict(width=0))],
    )
    assert_sent_as_plotly(style.Deferred.of(traces, {**style.layout(title="t"), **layout}))


def test_what_the_fast_path_does_not_follow_is_left_to_plotly():
    for traces, layout in [
        ([go.Bar(x=[1])], {}),  # a plotly object
        ([dict(type="bar", x=[1], colour="red")], {}),  # a property plotly does not know
        ([dict(type="bar", x=[1])], dict(template="plotly_white")),
        ([dict(type="bar", x=[1])], dict(xaxis1=dict(range=[0, 1]))),  # plotly renames it xaxis
    ]:
        assert style.sent_dict(traces, layout) is None
        fig = style.Deferred.of(traces, layout)
        assert pio.to_json(fig.to_dict(), validate=False) == plotly_json(traces, layout)
    assert (
        style.sent_dict([dict(type="bar", x=[1])], dict(xaxis2=dict(title="t"))) is not None
    )  # plotly's validator
    assert_sent_as_plotly(style.Deferred.of([dict(type="bar", x=[1])], dict(xaxis2=dict(title="t"))))


def made() -> go.Figure:
    x = np.random.default_rng(0).normal(size=400)
    edges = (-4.0, 4.0)
    return histograms.before_after(
        histogram(x, 30, edges), histogram(x / 2, 30, edges), title="T", labels=LABELS
    )


def built(fig: go.Figure) -> go.Figure:
    """The same figure built by plotly at once, as style.figure made it before it deferred."""
    traces, layout = fig._nc_spec
    return go.Figure(data=copy.deepcopy(traces), layout=copy.deepcopy(layout), _validate=False)


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.update_layout(height=500, xaxis_range=[-1, 1]),
        lambda f: f.update_traces(opacity=0.3, selector=dict(type="bar")),
        lambda f: f.add_trace(go.Scatter(x=[0, 1], y=[1, 0], name="new")),
        lambda f: f.add_annotation(text="note", x=0, y=0),
        lambda f: setattr(f.layout.title, "text", "other"),
        lambda f: setattr(f, "layout", go.Layout(title=dict(text="whole"))),
        lambda f: f.data[0].update(marker_color="black"),
        lambda f: style.with_subplot_titles(f),
    ],
)
@pytest.mark.parametrize("layout_read_first", [False, True])
def test_a_figure_changed_after_it_was_made_sends_plotlys_dict(change, layout_read_first):
    fig = made()
    plain = built(fig)
    if layout_read_first:  # as ui.export.show_chart does: plotly builds the layout alone
        assert fig.layout.title.text == "T"
        assert "_nc_traces" in fig.__dict__ and "_data" not in fig.__dict__
    change(fig)
    change(plain)
    assert pio.to_json(fig.to_dict(), validate=False) == pio.to_json(plain.to_dict(), validate=False)


def test_reading_the_layout_builds_it_alone_and_the_dict_stays_plotlys():
    fig = made()
    plain = built(fig)
    assert fig.layout.title.text == "T" and fig.layout.xaxis.title.text == "X"
    assert (
        "_nc_traces" in fig.__dict__ and not {"_data", "_data_objs", "_data_defaults"} & fig.__dict__.keys()
    )
    assert pio.to_json(fig.to_dict(), validate=False) == pio.to_json(plain.to_dict(), validate=False)
    fig.layout.title.text = "changed"  # through plotly's layout object, traces still not built
    plain.layout.title.text = "changed"
    assert "_nc_traces" in fig.__dict__
    assert pio.to_json(fig.to_dict(), validate=False) == pio.to_json(plain.to_dict(), validate=False)
    assert [trace.name for trace in fig.data] == ["B", "A", "N01"]  # now the traces
    assert "_nc_traces" not in fig.__dict__ and fig.data[0]._parent is fig and fig.layout._parent is fig
    assert pio.to_json(fig.to_dict(), validate=False) == pio.to_json(plain.to_dict(), validate=False)


def test_a_figures_title_is_read_without_building_it():
    fig = made()
    assert style.title_of(fig) == "T" and "_nc_spec" in fig.__dict__
    for layout in [dict(title=dict(text="t", x=0)), dict(title=None), {}, dict(title_text="path")]:
        deferred, plain = style.Deferred.of([], layout), go.Figure(layout=layout, _validate=False)
        assert style.title_of(deferred) == plain.layout.title.text
    assert style.title_of(plain) == "path" and style.title_of(built(made())) == "T"


def test_building_leaves_the_dicts_it_was_made_from_as_they_were():
    """Plotly writes a path such as marker_color into the marker dict it is given; another thread may
    be making the figure's dict from those dicts while this one builds it."""
    marker, legend = dict(opacity=0.5), dict(x=0)
    traces = [dict(type="bar", x=[1], marker=marker, marker_color="red")]
    layout = dict(legend=legend, legend_font_size=9, xaxis2=dict(anchor="y2"))
    kept = copy.deepcopy((traces, layout))
    fig = style.Deferred.of(traces, layout)
    assert (
        fig.layout.legend.font.size == 9
        and fig.data[0].marker.color == "red"
        and fig.data[0].marker.opacity == 0.5
    )
    assert (traces, layout) == kept


def test_a_deferred_figure_reads_copies_and_pickles_as_plotlys():
    fig = made()
    plain = built(fig)
    assert fig.data[1].name == "A" and fig.layout.title.text == "T" and len(fig.data) == 3
    assert fig == plain and repr(fig) == repr(plain).replace("Figure(", "Deferred(", 1)
    for other in (
        copy.copy(made()),
        copy.deepcopy(made()),
        pickle.loads(pickle.dumps(made())),
        go.Figure(made()),
    ):
        assert json.loads(pio.to_json(other)) == json.loads(pio.to_json(plain))  # plotly's copies re-validate
    with pytest.raises(AttributeError):
        made().no_such_attribute  # noqa: B018
    with pytest.raises(AttributeError, match="no_such_property"):
        made().no_such_property = 1  # plotly's own refusal


def test_looking_for_what_a_figure_does_not_have_does_not_build_it():
    fig = made()
    assert getattr(fig, "_nc_sent", None) is None  # ui.cached's question
    assert not hasattr(fig, "__array__")
    fig.to_dict(), pio.to_json(fig), go.Figure(fig.to_dict())
    assert "_nc_spec" in fig.__dict__


def test_a_presenter_copy_is_the_same_for_a_deferred_figure():
    fig = made()
    plain = built(fig)
    assert pio.to_json(style.for_projector(fig)) == pio.to_json(style.for_projector(plain))
    assert "_nc_spec" in fig.__dict__  # the copy is made from fig's dict: fig stays unbuilt


def test_threads_that_first_use_one_figure_together_all_see_it_whole():
    """A cached figure is shared by every session: two may be first to read it at once."""
    for _ in range(20):
        fig = made()
        seen, start = [], threading.Barrier(6)

        def read(layout_first: bool, fig=fig, seen=seen, start=start):
            start.wait()
            title = fig.layout.title.text if layout_first else "T"
            seen.append((title, len(fig.data), fig.data[2].line.dash, fig.layout.template is not None))

        threads = [threading.Thread(target=read, args=(i % 2 == 0,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert seen == [("T", 3, "dash", True)] * 6
