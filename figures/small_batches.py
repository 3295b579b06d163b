"""Figures for the small-batches page: batch statistics as estimates, bands, the GN paper's Figure 1."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures import style
from normcore.stats import Histogram

NORM_COLOURS = {
    "batch": style.PALETTE[0],
    "batch_renorm": style.PALETTE[4],
    "group": style.PALETTE[1],
    "layer": style.PALETTE[2],
}


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def _log2_axis(fig: go.Figure, sizes, **kwargs) -> None:
    fig.update_xaxes(type="log", tickvals=list(sizes), ticktext=[str(s) for s in sizes], **kwargs)


def moment_histograms(
    means: Histogram,
    variances: Histogram,
    *,
    theory: dict[str, float],
    population_var: float,
    title: str,
    labels: dict[str, str],
) -> go.Figure:
    """The batch means and batch variances of many batches, each beside what theory predicts.

    ``theory`` is :func:`normcore.batch_stats.moment_theory` (``mean``, ``mean_sd``, ``var``).

    ``labels``: ``mean_title``, ``var_title``, ``measured``, ``theory``, ``population_var``,
    ``expected_var``, ``y``.
    """
    fig = make_subplots(rows=1, cols=2)
    for col, hist in [(1, means), (2, variances)]:
        fig.add_bar(
            x=hist.centers,
            y=hist.density(),
            width=hist.width,
            marker_color=style.BEFORE,
            opacity=0.7,
            name=labels["measured"],
            showlegend=col == 1,
            row=1,
            col=col,
        )
    sd = theory["mean_sd"]
    if sd > 0:
        x = np.linspace(means.edges[0], means.edges[-1], 200)
        pdf = np.exp(-0.5 * ((x - theory["mean"]) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))
        fig.add_scatter(
            x=x, y=pdf, mode="lines", name=labels["theory"], line=dict(color=style.REFERENCE), row=1, col=1
        )
    for value, name, dash in [
        (population_var, labels["population_var"], "dash"),
        (theory["var"], labels["expected_var"], "solid"),
    ]:
        fig.add_scatter(
            x=[value, value],
            y=[0, float(variances.density().max() or 1)],
            mode="lines",
            name=name,
            line=dict(color=style.AFTER if dash == "solid" else style.REFERENCE, dash=dash),
            row=1,
            col=2,
        )
    fig.update_layout(barmode="overlay", bargap=0)
    fig.update_xaxes(title=labels["mean_title"], row=1, col=1)
    fig.update_xaxes(title=labels["var_title"], row=1, col=2)
    fig.update_yaxes(title=labels["y"], row=1, col=1)
    return style.apply(fig, title=title, height=400)


def moments_vs_batch_size(summary: dict, *, title: str, labels: dict[str, str]) -> go.Figure:
    """Measured spread of the batch mean and average batch variance against B, with the theory curves.

    ``summary`` is :func:`normcore.batch_stats.moments_summary`; ``labels``: ``sd_title``,
    ``var_title``, ``measured``, ``theory``, ``population_var``, ``x``.
    """
    sizes = summary["batch_size"]
    fig = make_subplots(rows=1, cols=2)
    for col, measured, theory in [(1, "mean_sd", "mean_sd_theory"), (2, "var_mean", "var_theory")]:
        fig.add_scatter(
            x=sizes,
            y=summary[theory],
            mode="lines",
            name=labels["theory"],
            line=dict(color=style.REFERENCE),
            showlegend=col == 1,
            row=1,
            col=col,
        )
        fig.add_scatter(
            x=sizes,
            y=summary[measured],
            mode="markers",
            name=labels["measured"],
            marker=dict(color=style.AFTER, size=9),
            showlegend=col == 1,
            row=1,
            col=col,
        )
    fig.add_scatter(
        x=[sizes[0], sizes[-1]],
        y=[summary["population_var"]] * 2,
        mode="lines",
        name=labels["population_var"],
        line=dict(color=style.BEFORE, dash="dash"),
        row=1,
        col=2,
    )
    _log2_axis(fig, sizes, title=labels["x"])
    fig.update_yaxes(title=labels["sd_title"], row=1, col=1)
    fig.update_yaxes(title=labels["var_title"], row=1, col=2)
    return style.apply(fig, title=title, height=400)


def example_bands(
    batch_sizes,
    bands: dict[str, dict[str, np.ndarray]],
    *,
    title: str,
    names: dict[str, str],
    labels: dict[str, str],
) -> go.Figure:
    """One example's normalized value against B: a shaded band (low..high percentile) and the median per norm.

    ``bands[norm]`` is :func:`normcore.batch_stats.band_summary`; ``names[norm]`` the
    legend text; ``labels``: ``x``, ``y``.
    """
    fig = go.Figure()
    x = list(batch_sizes)
    for norm, band in bands.items():
        _line_with_band(fig, x, band["median"], band["low"], band["high"], names[norm], norm)
    _log2_axis(fig, x, title=labels["x"])
    fig.update_yaxes(title=labels["y"])
    fig.update_layout(legend_traceorder="normal")
    return style.apply(fig, title=title, height=420)


def _line_with_band(fig: go.Figure, x, middle, low, high, name: str, norm: str) -> None:
    """A norm's line with a shaded band from ``low`` to ``high`` behind it, in the norm's colour."""
    colour = NORM_COLOURS.get(norm, style.REFERENCE)
    fig.add_scatter(x=x, y=high, mode="lines", line=dict(width=0), showlegend=False, hoverinfo="skip")
    fig.add_scatter(
        x=x, y=low, mode="lines", line=dict(width=0), fill="tonexty", fillcolor=_rgba(colour, 0.25),
        showlegend=False, hoverinfo="skip",
    )  # fmt: skip
    fig.add_scatter(x=x, y=middle, mode="lines+markers", name=name, line=dict(color=colour, width=2))


def error_vs_batch_size(
    summary: dict[str, dict[str, np.ndarray]],
    batch_sizes,
    *,
    title: str,
    names: dict[str, str],
    labels: dict[str, str],
) -> go.Figure:
    """Test error (%) against per-batch size, one line per norm with its seeds' min..max as a band.

    ``summary[norm]`` holds ``mean``, ``low``, ``high`` (one per batch size);
    ``labels``: ``x``, ``y``, ``spread`` (the hover's name for the low..high range).
    """
    fig = go.Figure()
    x = list(batch_sizes)
    for norm, rows in summary.items():
        _line_with_band(fig, x, rows["mean"], rows["low"], rows["high"], names[norm], norm)
        fig.data[-1].update(  # the band itself takes no hover: the line's hover tells its ends
            customdata=np.column_stack([rows["low"], rows["high"]]),
            hovertemplate=f"%{{y:.1f}} % ({labels['spread']} %{{customdata[0]:.1f}}–%{{customdata[1]:.1f}} %)",
        )
    _log2_axis(fig, x, title=labels["x"], autorange="reversed")
    fig.update_yaxes(title=labels["y"], rangemode="tozero")
    fig.update_layout(legend_traceorder="normal")
    return style.apply(fig, title=title, height=420)
