"""Figures for the train-versus-eval page: running statistics, train against eval output, shift."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures import style
from normcore.stats import Histogram, value_range


def running_curves(
    mean: np.ndarray,
    var: np.ndarray,
    *,
    names: list[str],
    population_mean: float,
    population_var: float,
    title: str,
    labels: dict[str, str],
) -> go.Figure:
    """Running mean and running variance against training steps, one line per momentum.

    ``mean`` and ``var`` are (M, steps + 1); ``names`` has M legend texts; ``labels``:
    ``mean``, ``var``, ``population``, ``x``.
    """
    steps = np.arange(mean.shape[1])
    fig = make_subplots(rows=1, cols=2, shared_xaxes=True)
    for col, values, target in [(1, mean, population_mean), (2, var, population_var)]:
        for j, name in enumerate(names):
            fig.add_scatter(
                x=steps,
                y=values[j],
                mode="lines",
                name=name,
                line=dict(color=style.PALETTE[j % len(style.PALETTE)]),
                showlegend=col == 1,
                legendgroup=name,
                row=1,
                col=col,
            )
        fig.add_scatter(
            x=[0, steps[-1]],
            y=[target, target],
            mode="lines",
            name=labels["population"],
            line=dict(color=style.REFERENCE, dash="dash"),
            showlegend=col == 1,
            legendgroup="population",
            row=1,
            col=col,
        )
    fig.update_xaxes(title=labels["x"])
    fig.update_yaxes(title=labels["mean"], row=1, col=1)
    fig.update_yaxes(title=labels["var"], row=1, col=2)
    return style.apply(fig, title=title, height=400)


def train_vs_eval(
    train: np.ndarray, evaluated: np.ndarray, *, title: str, labels: dict[str, str]
) -> go.Figure:
    """Each value's training-mode output against its eval-mode output; on the diagonal they agree.

    ``labels``: ``x``, ``y``, ``points``, ``diagonal``.
    """
    low, high = value_range(train, evaluated)
    fig = go.Figure()
    fig.add_scatter(
        x=[low, high],
        y=[low, high],
        mode="lines",
        name=labels["diagonal"],
        line=dict(color=style.REFERENCE, dash="dash"),
    )
    fig.add_scatter(
        x=evaluated.ravel(),
        y=train.ravel(),
        mode="markers",
        name=labels["points"],
        marker=dict(color=style.AFTER, size=7),
    )
    fig.update_xaxes(title=labels["x"], range=[low, high])
    fig.update_yaxes(title=labels["y"], range=[low, high])
    return style.apply(fig, title=title, height=420)


def renorm_gaps(
    gap_batch: np.ndarray,
    gap_batch_renorm: np.ndarray,
    *,
    title: str,
    names: dict[str, str],
    labels: dict[str, str],
) -> go.Figure:
    """Mean |train output - eval output| at every training step, for Batch Norm and Batch Renorm.

    ``gap_batch``/``gap_batch_renorm`` come from :func:`normcore.batch_stats.renorm_training`;
    ``names`` has ``batch`` and ``batch_renorm``; ``labels``: ``x``, ``y``.
    """
    steps = np.arange(1, len(gap_batch) + 1)
    traces = [
        dict(
            type="scatter", x=steps, y=values, mode="lines", name=names[key], line=dict(color=colour, width=2)
        )
        for key, values, colour in [
            ("batch", gap_batch, style.PALETTE[0]),
            ("batch_renorm", gap_batch_renorm, style.PALETTE[4]),
        ]
    ]
    layout = dict(
        xaxis=dict(title=dict(text=labels["x"])),
        yaxis=dict(title=dict(text=labels["y"]), rangemode="tozero"),
    )
    return style.figure(traces, layout, title=title, height=380)


def prediction_spread(
    train: Histogram, eval_value: float, *, title: str, labels: dict[str, str]
) -> go.Figure:
    """How one example's predicted probability spreads over batches in train mode; eval mode is one line.

    ``labels``: ``train``, ``eval``, ``x``, ``y``.
    """
    fig = go.Figure()
    fig.add_bar(
        x=train.centers,
        y=train.counts,
        width=train.width,
        name=labels["train"],
        marker_color=style.AFTER,
        opacity=0.7,
    )
    top = float(max(train.counts.max(), 1))
    fig.add_scatter(
        x=[eval_value, eval_value],
        y=[0, 1.1 * top],
        mode="lines",
        name=labels["eval"],
        line=dict(color=style.REFERENCE, width=4, dash="dash"),
    )
    fig.update_layout(bargap=0)
    fig.update_xaxes(title=labels["x"], range=[-0.02, 1.02])
    fig.update_yaxes(title=labels["y"])
    return style.apply(fig, title=title, height=380)
