"""The home page's pictures: which elements share statistics, and why normalization helps."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures import style
from figures.histograms import density_bars
from normcore.saturation import sigmoid_edge
from normcore.stats import Histogram

# Light tints so that neighbouring sets differ while the picture stays calm.
SET_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"]
SATURATION_EDGE = sigmoid_edge()  # |x| > 3.64: the slope is below 10% of its peak (normcore.saturation)


def block_grid(sets: np.ndarray) -> np.ndarray:
    """Lay a ``(blocks, rows, cols)`` array of set numbers out as one 2-D grid with gap columns."""
    blocks, rows, cols = sets.shape
    grid = np.full((rows, blocks * (cols + 1) - 1), np.nan)
    for b in range(blocks):
        grid[:, b * (cols + 1) : b * (cols + 1) + cols] = sets[b]
    return grid


def _discrete_scale(colours: list[str]) -> list[list]:
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / len(colours), colour], [(i + 1) / len(colours), colour]]
    return scale


def norm_blocks(
    panels: list[tuple[str, np.ndarray, str, str]], *, title: str, set_label: str, columns: int = 3
) -> go.Figure:
    """One small grid per norm: each cell an element, one colour per shared mean and variance.

    ``panels`` holds ``(panel title, sets, x title, y title)`` with ``sets`` of shape
    ``(blocks, rows, cols)``: for activations ``(N, C, H*W)`` laid out as N blocks of C
    rows; the set numbers come from :func:`normcore.teaching.set_index`. Hovering a cell
    shows its set number.
    """
    rows = math.ceil(len(panels) / columns)
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[panel[0] for panel in panels],
        horizontal_spacing=0.04,
        vertical_spacing=0.12,
    )
    scale = _discrete_scale(SET_COLOURS)
    for i, (_, sets, x_title, y_title) in enumerate(panels):
        grid = block_grid(sets)
        row, col = i // columns + 1, i % columns + 1
        fig.add_heatmap(
            z=np.mod(grid, len(SET_COLOURS)),
            customdata=grid,
            hovertemplate=f"{set_label} %{{customdata}}<extra></extra>",
            colorscale=scale,
            zmin=0,
            zmax=len(SET_COLOURS),
            showscale=False,
            xgap=2,
            ygap=2,
            row=row,
            col=col,
        )
        fig.update_xaxes(title=dict(text=x_title, standoff=4, font_size=11), row=row, col=col)
        fig.update_yaxes(title=dict(text=y_title, standoff=4, font_size=11), row=row, col=col)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed")
    fig = style.with_subplot_titles(style.apply(fig, title=title, height=215 * rows + 60))
    return fig.update_annotations(font_size=13)


def saturation(before: Histogram, after: Histogram, *, title: str, labels: dict[str, str]) -> go.Figure:
    """Pre-activations of a sigmoid before and after normalization, over the sigmoid and its slope.

    ``labels`` holds ``before``, ``after``, ``sigmoid``, ``slope``, ``saturated``, ``x``,
    ``y`` and ``y2`` texts. The shaded bands are where the sigmoid is saturated.
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for name, hist, colour in [("before", before, style.BEFORE), ("after", after, style.AFTER)]:
        fig.add_trace(density_bars(hist, labels[name], colour), secondary_y=False)
    low, high = float(before.edges[0]), float(before.edges[-1])
    x = np.linspace(low, high, 300)
    sigmoid = 1 / (1 + np.exp(-x))
    fig.add_scatter(
        x=x, y=sigmoid, name=labels["sigmoid"], line=dict(color=style.REFERENCE), secondary_y=True
    )
    fig.add_scatter(
        x=x,
        y=sigmoid * (1 - sigmoid) * 4,
        name=labels["slope"],
        line=dict(color=style.REFERENCE, dash="dot"),
        secondary_y=True,
    )
    for x0, x1 in [(low, -SATURATION_EDGE), (SATURATION_EDGE, high)]:
        if x1 > x0:
            fig.add_vrect(x0=x0, x1=x1, fillcolor="#bbbbbb", opacity=0.18, line_width=0)
    for x0, x1 in [(low, -SATURATION_EDGE), (SATURATION_EDGE, high)]:
        if x1 > x0:
            fig.add_annotation(
                x=(x0 + x1) / 2, y=0.97, yref="paper", text=labels["saturated"], showarrow=False
            )
    fig.update_layout(barmode="overlay", bargap=0)
    fig.update_xaxes(title=labels["x"], range=[low, high])
    fig.update_yaxes(title=labels["y"], secondary_y=False)
    fig.update_yaxes(title=labels["y2"], range=[0, 1.05], dtick=0.25, secondary_y=True, showgrid=False)
    return style.apply(fig, title=title, height=440)
