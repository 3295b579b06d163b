"""Figures for the images page: per-channel histograms and per-channel statistics."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures import style
from figures.histograms import density_bars
from normcore.stats import Histogram

ADAIN_COLOURS = [style.BEFORE, style.PALETTE[0], style.AFTER]  # content, style, result


def channel_histograms(
    before: list[Histogram],
    after: list[Histogram],
    channels: list[str],
    *,
    title: str,
    labels: dict[str, str],
    columns: int = 4,
) -> go.Figure:
    """One small panel per channel, before and after as overlaid density bars on one shared x axis.

    ``labels`` holds ``before``, ``after``, ``x`` and ``y`` texts.
    """
    rows = -(-len(channels) // columns)
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=channels,
        shared_xaxes="all",
        vertical_spacing=0.12 / max(rows - 1, 1) * 2,
    )
    for index, (hist_before, hist_after) in enumerate(zip(before, after, strict=True)):
        row, col = index // columns + 1, index % columns + 1
        for name, hist, colour in [("before", hist_before, style.BEFORE), ("after", hist_after, style.AFTER)]:
            fig.add_trace(
                density_bars(hist, labels[name], colour, showlegend=index == 0, legendgroup=name),
                row=row,
                col=col,
            )
    fig.update_layout(barmode="overlay", bargap=0)
    fig.update_xaxes(title=labels["x"], row=rows)
    fig.update_yaxes(title=labels["y"], col=1)
    fig.update_annotations(font_size=12)
    return style.with_subplot_titles(style.apply(fig, title=title, height=170 * rows + 130))


def channel_stats(
    series: dict[str, tuple[np.ndarray, np.ndarray]],
    channels: list[str],
    *,
    title: str,
    labels: dict[str, str],
    colours: list[str] | None = None,
) -> go.Figure:
    """Per-channel mean (left) and standard deviation (right) of several images, as grouped bars.

    ``series`` maps each shown name to ``(mean, std)`` arrays of one value per channel;
    ``labels`` holds ``mean``, ``std`` and ``x`` texts.
    """
    colours = colours or style.PALETTE
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=[labels["mean"], labels["std"]], horizontal_spacing=0.08
    )
    for (name, stats), colour in zip(series.items(), colours, strict=False):
        for col, values in enumerate(stats, start=1):
            fig.add_bar(
                x=channels,
                y=values,
                name=name,
                marker_color=colour,
                showlegend=col == 1,
                legendgroup=name,
                row=1,
                col=col,
            )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title=labels["x"])
    return style.with_subplot_titles(style.apply(fig, title=title, height=420))
