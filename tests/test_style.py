"""The shared figure builder skips plotly's validation; the tests' check (conftest) catches what that lets through."""

import copy

import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from figures import style
from ui import cached


def test_a_misspelt_property_fails_a_test():
    with pytest.raises(ValueError, match="colour"):
        style.figure([dict(type="bar", x=[1, 2], y=[3, 4], colour="red")], {})


def test_a_value_plotly_would_store_differently_fails_a_test():
    with pytest.raises(AssertionError, match="stored differently"):
        bare_title = dict(xaxis=dict(title="value"))  # plotly stores dict(text="value")
        style.figure([dict(type="bar", x=[1, 2], y=[3, 4])], bare_title)


def test_the_shared_look_is_applied():
    fig = style.figure([dict(type="bar", x=[1, 2], y=[3, 4])], dict(bargap=0), title="t", height=300)
    assert (fig.layout.title.text, fig.layout.height, fig.layout.bargap) == ("t", 300, 0)
    assert fig.layout.font.family == style.FONT_FAMILY
    assert fig.layout.template.layout.plot_bgcolor == "white"  # plotly_white, the default template


def test_the_font_stack_puts_the_pages_latin_font_first_and_hangul_after_it():
    families = [name.strip().strip("'") for name in style.FONT_FAMILY.split(",")]
    hangul = ["Noto Sans KR", "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic", "NanumGothic"]
    assert families[0] == "Source Sans"  # Streamlit's page font for the theme's "sans-serif"
    assert max(families.index(name) for name in ("Source Sans", "Source Sans 3", "Source Sans Pro")) < min(
        families.index(name) for name in hangul
    )
    assert families[-1] == "sans-serif"


def test_the_legend_sits_below_the_plot_in_its_own_room_also_on_a_projector():
    fig = style.figure([dict(type="bar", x=[1, 2], y=[3, 4], name="a")], {}, title="t")
    big = style.for_projector(fig)
    for one in (fig, big):  # container coordinates: plotly reserves the legend's height under the margin
        assert (one.layout.legend.yref, one.layout.legend.yanchor, one.layout.legend.y) == (
            "container",
            "bottom",
            0,
        )
    assert big.layout.margin.t == round(fig.layout.margin.t * style.PROJECTOR_SCALE)


def test_on_a_projector_every_chart_text_has_its_own_size_of_at_least_18_px():
    """Streamlit's chart theme sets the figure-wide font size itself, so each text carries its own."""
    axes = dict(xaxis2=dict(anchor="y2"), yaxis2=dict(anchor="x2"))
    traces = [
        dict(type="bar", x=[1, 2], y=[3, 4], name="a"),
        dict(type="heatmap", z=[[1, 2]], xaxis="x2", yaxis="y2"),
    ]
    traces.append(dict(type="scatter", mode="text", x=[1], y=[3], text=["panel 0"], textfont=dict(size=12)))
    notes = [dict(text="panel", x=0, y=1, xref="paper", yref="paper", showarrow=False, font=dict(size=11))]
    big = style.for_projector(style.figure(traces, dict(axes, annotations=notes), title="t"))
    sizes = [
        big.layout.legend.font.size,
        *(a.font.size for a in big.layout.annotations),
        big.data[1].colorbar.tickfont.size,
        big.data[2].textfont.size,
    ]
    for axis in (big.layout.xaxis, big.layout.yaxis, big.layout.xaxis2, big.layout.yaxis2):
        sizes += [axis.tickfont.size, axis.title.font.size]
    assert min(sizes) >= style.PROJECTOR_TEXT == 18


def _projector_with_plotly(fig, scale=style.PROJECTOR_SCALE):
    """The oracle: the same enlargement made with plotly's own ``update_*`` (how for_projector once did it)."""
    big = go.Figure(fig.to_dict())
    layout = big.layout
    text = max(round((layout.font.size or 12) * scale), style.PROJECTOR_TEXT)
    given = [(layout.height, 450), (layout.margin.l, 80), (layout.margin.t, 100), (layout.margin.b, 80)]
    height, left, top, bottom = (
        round((default if value is None else value) * scale) for value, default in given
    )
    title = round((layout.title.font.size or 17) * scale) if layout.title.text else None
    big.update_layout(height=height, font_size=text, legend_font_size=text, legend_title_font_size=text,
                      margin=dict(l=left, t=top, b=bottom))  # fmt: skip
    big.update_xaxes(tickfont_size=text, title_font_size=text)
    big.update_yaxes(tickfont_size=text, title_font_size=text)
    big.update_annotations(font_size=text)
    big.update_traces(colorbar_tickfont_size=text, selector=dict(type="heatmap"))
    for trace in big.data:  # text drawn by a trace (the small multiples' panel titles)
        if getattr(trace, "textfont", None) is not None and trace.textfont.size is not None:
            trace.textfont.size = max(trace.textfont.size, text)
    if title:
        big.update_layout(title_font_size=title)
    return big


def _figures_to_project():
    grid = make_subplots(2, 2, subplot_titles=["a", "b", "c", "d"])
    grid.add_trace(go.Bar(x=[1, 2], y=[3, 4], name="bars"), 1, 1)
    grid.add_trace(go.Heatmap(z=[[1, 2], [3, 4]]), 2, 2)
    grid.update_layout(title="grid", height=500, legend_title_text="legend")
    styled = style.figure(
        [dict(type="bar", x=[1, 2], y=[3, 4], name="a")], dict(margin=dict(l=10)), title="t"
    )
    untitled = go.Figure(go.Scatter(x=[1, 2], y=[1, 2]), layout=dict(font=dict(size=14)))
    untitled.add_trace(go.Scatter(x=[1], y=[1], mode="text", text=["panel"], textfont=dict(size=12)))
    return [grid, styled, untitled]


@pytest.mark.parametrize("index", range(3))
def test_the_projector_copy_equals_plotlys_own_enlargement(index):
    fig = _figures_to_project()[index]
    before = fig.to_plotly_json()
    expected = _projector_with_plotly(fig).to_plotly_json()
    assert style.for_projector(fig).to_plotly_json() == expected
    assert fig.to_plotly_json() == before  # the figure itself is left as it was


def test_a_cached_figures_projector_copy_is_made_once_and_leaves_the_sent_dict_alone():
    fig = cached.figure(style.figure, [dict(type="heatmap", z=[[1, 2]])], {}, title="once")
    sent = copy.deepcopy(cached.sendable(fig).to_dict())
    first, second = (cached.for_viewer(fig, projector=True, phone=False).to_dict() for _ in range(2))
    assert first is second
    assert first["layout"]["height"] == round(sent["layout"]["height"] * style.PROJECTOR_SCALE)
    assert first["data"][0]["colorbar"]["tickfont"]["size"] >= style.PROJECTOR_TEXT
    assert cached.sendable(fig).to_dict() == sent


def _side_by_side(panels: int, **layout):
    fig = make_subplots(1, panels, subplot_titles=[f"p{i}" for i in range(panels)])
    for i in range(panels):
        fig.add_trace(go.Scatter(x=[1, 2], y=[i, i + 1]), 1, i + 1)
    fig.update_layout(height=400, **layout)
    return fig.to_dict()


def test_a_phone_gets_side_by_side_panels_one_under_another_with_their_titles():
    sent = _side_by_side(2)
    stacked = style.stacked_dict(sent)["layout"]
    assert stacked["xaxis"]["domain"] == stacked["xaxis2"]["domain"] == [0.0, 1.0]
    first, second = stacked["yaxis"]["domain"], stacked["yaxis2"]["domain"]
    assert first[0] > second[1]  # the first panel above the second, with a gap
    titles = {note["text"]: (note["x"], note["y"]) for note in stacked["annotations"]}
    assert titles == {"p0": (0.5, first[1]), "p1": (0.5, second[1])}
    assert stacked["height"] > sent["layout"]["height"]
    assert sent["layout"]["xaxis"]["domain"] != [0.0, 1.0]  # the figure's own dict is left as it was


def test_a_phone_gets_many_panels_in_two_columns():
    stacked = style.stacked_dict(_side_by_side(6))["layout"]
    lefts = {round(stacked[f"xaxis{i or ''}"]["domain"][0], 3) for i in [0, 2, 3, 4, 5, 6]}
    assert len(lefts) == 2


def test_a_figure_in_one_column_is_left_as_it_is_on_a_phone():
    one = go.Figure(go.Scatter(x=[1], y=[1])).to_dict()
    second_axis = make_subplots(specs=[[{"secondary_y": True}]]).to_dict()  # two y axes, one panel
    stacked_rows = make_subplots(rows=2, cols=1).to_dict()
    for sent in (one, second_axis, stacked_rows):
        assert style.stacked_dict(sent) is sent
