"""Figures for the weight-norms page: weight distributions, power iteration, spectra, stretch factors."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures import style
from normcore.stats import Histogram


def weight_distributions(
    before: np.ndarray, after: np.ndarray, channels: list[str], *, title: str, labels: dict[str, str]
) -> go.Figure:
    """Each output channel's weights as a box with its points, raw (left) and standardized (right).

    ``before`` and ``after`` are ``(C_out, fan_in)``; ``labels`` holds ``before``, ``after``
    and ``y`` texts. The panels keep their own y axes: standardizing changes the scale.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=[labels["before"], labels["after"]])
    for col, (weights, colour) in enumerate([(before, style.BEFORE), (after, style.AFTER)], start=1):
        for name, values in zip(channels, weights, strict=True):
            fig.add_box(
                y=values,
                name=name,
                marker_color=colour,
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                marker_size=3,
                showlegend=False,
                row=1,
                col=col,
            )
    fig.update_yaxes(title=labels["y"], col=1)
    return style.with_subplot_titles(style.apply(fig, title=title, height=400))


def power_iteration(estimates: np.ndarray, exact: float, *, title: str, labels: dict[str, str]) -> go.Figure:
    """The sigma estimate after each power-iteration step, against the exact largest singular value.

    ``labels`` holds ``estimate``, ``exact``, ``x`` and ``y`` texts.
    """
    steps = np.arange(1, estimates.size + 1)
    fig = go.Figure()
    fig.add_scatter(
        x=steps, y=estimates, mode="lines+markers", name=labels["estimate"], line=dict(color=style.AFTER)
    )
    fig.add_scatter(
        x=[1, max(estimates.size, 2)],
        y=[exact, exact],
        mode="lines",
        name=labels["exact"],
        line=dict(color=style.REFERENCE, dash="dash"),
    )
    fig.update_xaxes(title=labels["x"], dtick=1 if estimates.size <= 20 else None)  # steps are whole numbers
    fig.update_yaxes(title=labels["y"])
    return style.apply(fig, title=title)


def spectrum(before: np.ndarray, after: np.ndarray, *, title: str, labels: dict[str, str]) -> go.Figure:
    """Singular values, largest first, before and after dividing by sigma; after, the largest is 1.

    ``labels`` holds ``before``, ``after``, ``x`` and ``y`` texts.
    """
    ranks = np.arange(1, before.size + 1)
    fig = go.Figure()
    fig.add_bar(x=ranks, y=before, name=labels["before"], marker_color=style.BEFORE)
    fig.add_bar(x=ranks, y=after, name=labels["after"], marker_color=style.AFTER)
    fig.add_hline(y=1.0, line=dict(color=style.REFERENCE, dash="dash", width=1))
    fig.update_layout(barmode="group", bargap=0.15)
    fig.update_xaxes(title=labels["x"])
    fig.update_yaxes(title=labels["y"])
    return style.apply(fig, title=title)


def stretch(
    before: Histogram,
    after: Histogram,
    bounds: tuple[float, float],
    *,
    title: str,
    labels: dict[str, str],
) -> go.Figure:
    """Histograms of ``||Wx|| / ||x||`` over random inputs, with each layer's bound as a vertical line.

    ``bounds`` are the largest singular values before and after; ``labels`` holds
    ``before``, ``after``, ``bound_before``, ``bound_after``, ``x`` and ``y`` texts.
    """
    fig = go.Figure()
    for name, hist, colour, bound in [
        ("before", before, style.BEFORE, bounds[0]),
        ("after", after, style.AFTER, bounds[1]),
    ]:
        fig.add_bar(
            x=hist.centers,
            y=hist.counts,
            width=hist.width,
            name=labels[name],
            marker_color=colour,
            opacity=0.7,
        )
        fig.add_scatter(
            x=[bound, bound],
            y=[0, int(max(before.counts.max(), after.counts.max()))],
            mode="lines",
            name=labels[f"bound_{name}"],
            line=dict(color=colour, dash="dash", width=2),
        )
    fig.update_layout(barmode="overlay", bargap=0)
    fig.update_xaxes(title=labels["x"], rangemode="tozero")
    fig.update_yaxes(title=labels["y"])
    return style.apply(fig, title=title)
