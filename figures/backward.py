"""The Explorer's Backward view: gradient histograms side by side, per-set sums, the batch-coupling
block and the scale-invariance curve.

Pure functions of binned or small arrays; every visible text comes in as an argument. Panels share
one value range where they are compared (the histograms arrive binned on one range), and each
figure is built in one call from plain dicts (:func:`figures.style.figure`).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from figures import style
from figures.explorer import _panel_title, _panels, _suffix
from normcore.stats import Histogram

UNCHANGED, CHANGED, CHOSEN = 0, 1, 2  # the coupling block's cell kinds


def histogram_panels(
    hists: list[Histogram],
    panel_titles: list[str],
    colours: list[str],
    *,
    title: str,
    labels: dict[str, str],
    cols: int | None = None,
    height: int = 300,
) -> go.Figure:
    """One count histogram per panel in a grid of ``cols`` columns (default: one row), every panel on
    the same x range.

    The histograms must share their range (as :func:`normcore.backward_view.summarize_backward`
    bins them). ``labels`` holds ``x`` and ``y`` texts.
    """
    cols = cols or len(hists)
    axes = _panels(len(hists), cols, gap=0.06, vgap=0.22)
    low, high = float(hists[0].edges[0]), float(hists[0].edges[-1])
    traces, notes = [], []
    for i, (hist, name, colour) in enumerate(zip(hists, panel_titles, colours, strict=True)):
        suffix = _suffix(i)
        traces.append(dict(type="bar", x=hist.centers, y=hist.counts, width=hist.width, name=name,
                           marker_color=colour, opacity=0.8, xaxis=f"x{suffix}", yaxis=f"y{suffix}",
                           showlegend=False))  # fmt: skip
        axes[f"xaxis{suffix}"].update(range=[low, high], title=dict(text=labels["x"]), exponentformat="e")
        notes.append(_panel_title(axes, suffix, name))
    for row_start in range(0, len(hists), cols):
        axes[f"yaxis{_suffix(row_start)}"]["title"] = dict(text=labels["y"])
    own_layout = dict(
        bargap=0, annotations=notes, margin=dict(l=50, r=20, t=70 if title else 40, b=45), **axes
    )
    return style.figure(traces, own_layout, title=title, height=height)


def set_sums(
    set_ids: np.ndarray,
    sums: tuple[np.ndarray, np.ndarray],
    dots: tuple[np.ndarray, np.ndarray],
    *,
    title: str,
    labels: dict[str, str],
) -> go.Figure:
    """Per set, the full and naive gradient's sum (left) and sum times x̂ (right), as grouped bars.

    ``sums`` and ``dots`` are (full, naive) pairs, one value per set in ``set_ids``. ``labels`` holds
    ``full``, ``naive``, ``sum``, ``dot`` (panel titles) and ``x``.
    """
    axes = _panels(2, 2, gap=0.1)
    names = [str(int(s)) for s in set_ids]
    traces = []
    for i, pair in enumerate((sums, dots)):
        suffix = _suffix(i)
        for values, name, colour in zip(pair, (labels["full"], labels["naive"]), (style.AFTER, style.BEFORE),
                                        strict=True):  # fmt: skip
            traces.append(dict(type="bar", x=names, y=np.asarray(values, dtype=np.float64), name=name,
                               marker_color=colour, legendgroup=name, showlegend=i == 0,
                               xaxis=f"x{suffix}", yaxis=f"y{suffix}"))  # fmt: skip
        axes[f"xaxis{suffix}"].update(title=dict(text=labels["x"]), type="category")
        axes[f"yaxis{suffix}"].update(exponentformat="e")
    notes = [_panel_title(axes, _suffix(i), labels[k]) for i, k in enumerate(("sum", "dot"))]
    own_layout = dict(barmode="group", annotations=notes, margin=dict(l=60, r=20, t=90, b=45), **axes)
    return style.figure(traces, own_layout, title=title, height=320)


def coupling_kinds(change: np.ndarray, example_row: int | None) -> np.ndarray:
    """Each cell's kind: unchanged, changed, or a cell of the chosen example (``example_row``)."""
    kinds = np.where(change > 0, CHANGED, UNCHANGED)
    if example_row is not None:
        kinds[example_row] = CHOSEN
    return kinds


def coupling_block(
    change: np.ndarray,
    first: int,
    example: int,
    *,
    title: str,
    labels: dict[str, str],
) -> go.Figure:
    """The N x C block (rows ``first`` on): which input gradients changed when example ``example``'s
    upstream gradient did. ``labels`` holds ``unchanged``, ``changed``, ``chosen``, ``x``, ``y``, ``hover`` (a format with {n},
    {c}, {v}: sample, channel, change)."""
    rows, channels = change.shape
    row = example - first if first <= example < first + rows else None
    kinds = coupling_kinds(change, row)
    colours = {UNCHANGED: "#eef0f3", CHANGED: style.AFTER, CHOSEN: style.REFERENCE}
    scale = [[0.0, colours[0]], [0.33, colours[0]], [0.33, colours[1]], [0.66, colours[1]],
             [0.66, colours[2]], [1.0, colours[2]]]  # fmt: skip
    samples = np.arange(first, first + rows)
    trace = dict(type="heatmap", z=kinds, x=np.arange(channels), y=samples, zmin=0, zmax=2, colorscale=scale,
                 showscale=False, xgap=2, ygap=2, customdata=change,
                 hovertemplate=labels["hover"].format(n="%{y}", c="%{x}", v="%{customdata:.3g}") + "<extra></extra>")  # fmt: skip
    keys = [dict(type="scatter", x=[None], y=[None], mode="markers", name=labels[k],
                 marker=dict(color=colours[v], symbol="square", size=12))
            for k, v in (("chosen", CHOSEN), ("changed", CHANGED), ("unchanged", UNCHANGED))]  # fmt: skip
    own_layout = dict(
        xaxis=dict(title=dict(text=labels["x"]), dtick=1 if channels <= 16 else None),
        yaxis=dict(title=dict(text=labels["y"]), autorange="reversed", dtick=1 if rows <= 16 else None),
    )
    return style.figure([trace, *keys], own_layout, title=title, height=340)


def scale_curve(
    scales: list[float],
    errors: dict[str, list[float]],
    current: float,
    *,
    title: str,
    labels: dict[str, str],
) -> go.Figure:
    """How far each quantity at weight scale a is from its value at a = 1 (log-log), one line each.

    ``errors`` maps a label to one relative difference per scale; a difference of 0 (at a = 1, by
    definition) has no point on the log axis: the line passes it. ``labels`` holds ``x``, ``y`` and ``current``.
    """
    dashes, symbols = ["solid", "dash", "dot"], ["circle", "square", "diamond"]
    traces = [
        dict(type="scatter", x=list(scales), y=[v if v > 0 else None for v in values], mode="lines+markers",
             name=name, connectgaps=True, line=dict(color=style.PALETTE[i % 10], dash=dashes[i % 3]),
             marker=dict(symbol=symbols[i % 3], size=8))
        for i, (name, values) in enumerate(errors.items())
    ]  # fmt: skip
    marker = dict(type="line", x0=current, x1=current, y0=0, y1=1, yref="paper",
                  line=dict(color=style.REFERENCE, dash="dot"))  # fmt: skip
    note = dict(text=labels["current"], x=np.log10(current), y=1, xref="x", yref="paper", yanchor="bottom",
                showarrow=False, font=dict(size=11))  # fmt: skip
    own_layout = dict(
        xaxis=dict(title=dict(text=labels["x"]), type="log", dtick=1),  # powers of ten only: no small 2 and 5
        yaxis=dict(title=dict(text=labels["y"]), type="log", exponentformat="e", dtick=1),
        shapes=[marker],
        annotations=[note],
    )
    return style.figure(traces, own_layout, title=title, height=340)
