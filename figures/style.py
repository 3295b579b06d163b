"""One look for every chart: colours, fonts that show Hangul, layout defaults."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

BEFORE = "#7f8c9a"  # grey-blue: the input
AFTER = "#e4572e"  # orange-red: the normalized output
REFERENCE = "#2b2d42"  # dark: theory and reference curves
PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
]

# Latin first, in the page's own font: Streamlit's theme font "sans-serif" is "Source Sans", which it
# bundles and loads on every page, so digits and Latin text in a chart match the text around it (a
# Hangul font first draws "0.5" with a wide, low dot that reads like "0,5"). Hangul falls back to a
# font a stock browser has: Windows, macOS, Linux (Noto CJK, Nanum) and Android.
FONT_FAMILY = (
    "'Source Sans', 'Source Sans 3', 'Source Sans Pro', 'Noto Sans KR', 'Noto Sans CJK KR', "
    "'Apple SD Gothic Neo', 'Malgun Gothic', 'NanumGothic', 'Source Han Sans KR', sans-serif"
)


TRACE_TYPES = ("bar", "scatter", "box", "heatmap")  # every kind of trace the figures draw
UNUSED_LAYOUT = ("polar", "ternary", "scene", "geo")  # plotly_white's settings for charts we never draw


def _compact(name: str) -> go.layout.Template:
    """Template ``name`` without its defaults for trace kinds and subplots the app never draws.

    Every figure carries its template to the browser: plotly_white whole is 7 KB per chart and
    copying it is a good part of sending a chart; this keeps the same look in 2.4 KB.
    """
    full = pio.templates[name].to_plotly_json()
    layout = {key: value for key, value in full["layout"].items() if key not in UNUSED_LAYOUT}
    data = {kind: value for kind, value in full["data"].items() if kind in TRACE_TYPES}
    return go.layout.Template(layout=layout, data=data)


# Every new figure starts from this template, applied without re-validating it; setting it per
# figure in apply() cost ~3x the rest of a small figure's construction (same JSON either way).
pio.templates["normcore"] = _compact("plotly_white")
pio.templates.default = "normcore"


# The legend sits at the bottom of the figure, below the x-axis title. Placed in container
# coordinates, plotly reserves its height under the bottom margin: however many rows it wraps into
# (a phone, long Korean names, presenter-sized text) it pushes the plot up instead of running into
# the title, the subplot titles or the axes. The title keeps the top margin to itself.
LEGEND = dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0)


def layout(*, title: str | None = None, height: int = 380) -> dict:
    """The shared layout: font stack, margins, legend below (the template is the default above)."""
    return dict(
        title=dict(text=title),
        font=dict(family=FONT_FAMILY),
        height=height,
        margin=dict(l=50, r=20, t=60 if title else 30, b=45),
        legend=dict(LEGEND),
    )


def with_subplot_titles(fig: go.Figure) -> go.Figure:
    """``fig`` with room between its title and the panels' own titles, which sit in the top margin."""
    return fig.update_layout(margin_t=SUBPLOT_TITLES_TOP)


SUBPLOT_TITLES_TOP = 85  # title at its middle, then a line of panel titles above the panels


def apply(fig: go.Figure, *, title: str | None = None, height: int = 380) -> go.Figure:
    """``fig`` with the shared layout."""
    return fig.update_layout(layout(title=title, height=height))


def figure(traces: list[dict], own_layout: dict, *, title: str | None = None, height: int = 380) -> go.Figure:
    """A figure in one call from trace dicts and its layout (over the shared one; top-level keys win).

    Plotly's per-property validation is skipped: it costs ~5x the rest of building a figure on a
    slider's path. So the dicts must be written as plotly stores them (``title=dict(text=...)``,
    not a bare string); the tests check every figure built here against a validated copy
    (tests/conftest.py).
    """
    return go.Figure(
        data=traces, layout={**layout(title=title, height=height), **own_layout}, _validate=False
    )


PROJECTOR_SCALE = 1.5  # presenter mode: charts this much taller, text this much larger
PROJECTOR_TEXT = 18  # presenter mode: no chart text smaller than this (px), readable from the back of a room


def for_projector(fig: go.Figure, scale: float = PROJECTOR_SCALE) -> go.Figure:
    """A copy of ``fig`` sized for a projector: taller, with larger text (``fig`` is left as is).

    Every text gets its own size (legend, ticks, axis titles, panel titles, colour bars): Streamlit's
    chart theme sets the figure-wide font size itself (from the page's root font size, which differs
    between presenter mode switched on and loaded from a link), so the layout's ``font.size`` alone
    does not reach the legend or the tick labels.
    """
    big = go.Figure(fig.to_dict(), _validate=False)
    layout = fig.layout
    text = max(round(_given(layout.font.size, 12) * scale), PROJECTOR_TEXT)
    big.update_layout(
        height=round(_given(layout.height, 450) * scale),
        font_size=text,
        legend_font_size=text,
        legend_title_font_size=text,
        margin=dict(
            l=round(_given(layout.margin.l, 80) * scale),
            t=round(_given(layout.margin.t, 100) * scale),  # the title (the legend reserves its own room)
            b=round(_given(layout.margin.b, 80) * scale),
        ),
    )
    big.update_xaxes(tickfont_size=text, title_font_size=text)
    big.update_yaxes(tickfont_size=text, title_font_size=text)
    big.update_annotations(font_size=text)
    big.update_traces(colorbar_tickfont_size=text, selector=dict(type="heatmap"))
    if layout.title.text:
        big.update_layout(title_font_size=round(_given(layout.title.font.size, 17) * scale))
    return big


def _given(value, default):
    """A layout value, or plotly's default when the figure leaves it unset (0 is a value)."""
    return default if value is None else value
