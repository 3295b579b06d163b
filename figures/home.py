"""The home page's pictures: which elements share statistics, and why normalization helps."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures import sets, style
from figures.histograms import density_bars
from normcore.saturation import sigmoid_edge
from normcore.stats import Histogram

SATURATION_EDGE = sigmoid_edge()  # |x| > 3.64: the slope is below 10% of its peak (normcore.saturation)


def block_grid(sets: np.ndarray) -> np.ndarray:
    """Lay a ``(blocks, rows, cols)`` array of set numbers out as one 2-D grid with gap columns."""
    blocks, rows, cols = sets.shape
    grid = np.full((rows, blocks * (cols + 1) - 1), np.nan)
    for b in range(blocks):
        grid[:, b * (cols + 1) : b * (cols + 1) + cols] = sets[b]
    return grid


# The element whose set each grid highlights: (block, row, position) = sample 1, channel 2, position 1
# (for the weight norms: input channel 1, output channel 2, kernel position 1). Every norm's set of it
# differs: a channel across samples (BN), a sample (LN), one row (IN), two rows (GN), ...
FOLLOWED = (1, 2, 1)


def norm_blocks(
    panels: list[tuple[str, np.ndarray, str, str]],
    *,
    title: str,
    set_label: str,
    columns: int = 3,
    followed: tuple[int, int, int] = FOLLOWED,
) -> go.Figure:
    """One small grid per norm: each cell an element, the set of the ``followed`` element (marked ×)
    filled orange and outlined thick, every other set a pale shade its neighbours do not share, thinly
    outlined (:mod:`figures.sets`).

    ``panels`` holds ``(panel title, sets, x title, y title)`` with ``sets`` of shape
    ``(blocks, rows, cols)``: for activations ``(N, C, H*W)`` laid out as N blocks of C
    rows; the set numbers come from :func:`normcore.teaching.set_index`. Hovering a cell
    shows its set number. Long panel titles wrap onto two lines, so that three grids fit side by
    side on a phone.
    """
    rows = math.ceil(len(panels) / columns)
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[wrap(panel[0]) for panel in panels],
        horizontal_spacing=0.07,  # room for the y titles between panels on a phone (~20 px at 390 px)
        vertical_spacing=0.12,
    )
    for i, (_, block_sets, x_title, y_title) in enumerate(panels):
        grid = block_grid(block_sets)
        block, row_of, position = followed
        at = (row_of, block * (block_sets.shape[2] + 1) + position)  # (row, column) in the laid-out grid
        chosen = int(grid[at])
        shade = sets.shades(grid, chosen)
        row, col = i // columns + 1, i % columns + 1
        fig.add_heatmap(
            z=np.where(shade < 0, np.nan, shade),
            customdata=grid,
            hovertemplate=f"{set_label} %{{customdata}}<extra></extra>",
            colorscale=sets.colorscale(),
            zmin=-0.5,
            zmax=len(sets.MUTED) + 0.5,
            showscale=False,
            xgap=1,
            ygap=1,
            row=row,
            col=col,
        )
        for xs, ys, colour, width in [
            (*sets.boundaries(grid), sets.BOUNDARY, 1),
            (*sets.outline(grid == chosen), sets.OUTLINE, 2.5),
        ]:
            fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=colour, width=width), hoverinfo="skip",
                            showlegend=False, row=row, col=col)  # fmt: skip
        fig.add_scatter(x=[at[1]], y=[at[0]], mode="markers", hoverinfo="skip", showlegend=False,
                        marker=dict(symbol="x-thin", size=7, line=dict(width=2, color=style.REFERENCE)),
                        row=row, col=col)  # fmt: skip
        # a little room around the cells, so that the outlines on the outer edges are drawn whole
        fig.update_xaxes(title=dict(text=x_title, standoff=4, font_size=11), range=[-0.6, grid.shape[1] - 0.4],
                         row=row, col=col)  # fmt: skip
        fig.update_yaxes(title=dict(text=y_title, standoff=4, font_size=11), range=[grid.shape[0] - 0.4, -0.6],
                         row=row, col=col)  # fmt: skip
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig = style.with_subplot_titles(style.apply(fig, title=title, height=215 * rows + 60))
    return fig.update_annotations(font_size=13)


def wrap(text: str, longest: int = 14) -> str:
    """``text`` on two lines (at the space nearest its middle) when it is longer than ``longest``."""
    spaces = [i for i, ch in enumerate(text) if ch == " "]
    if len(text) <= longest or not spaces:
        return text
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return f"{text[:cut]}<br>{text[cut + 1 :]}"


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
