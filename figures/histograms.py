"""Histograms of activations, pre-binned on the server."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from figures import style
from normcore.stats import Histogram


def density_bars(hist: Histogram, name: str, colour: str, **trace) -> dict:
    """One histogram as translucent density bars (area 1), the look every before/after chart shares."""
    return dict(type="bar", x=hist.centers, y=hist.density(), width=hist.width, name=name,
                marker_color=colour, opacity=0.6, **trace)  # fmt: skip


def standard_normal_curve(low: float, high: float, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(low, high, points)
    return x, np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi)


def before_after(
    before: Histogram,
    after: Histogram,
    *,
    title: str,
    labels: dict[str, str],
) -> go.Figure:
    """Two density histograms on one shared x axis, with the N(0, 1) density for reference.

    ``labels`` holds ``before``, ``after``, ``reference``, ``x`` and ``y`` texts.
    """
    low, high = float(before.edges[0]), float(before.edges[-1])
    x, pdf = standard_normal_curve(low, high)
    traces = [
        density_bars(before, labels["before"], style.BEFORE),
        density_bars(after, labels["after"], style.AFTER),
        dict(type="scatter", x=x, y=pdf, mode="lines", name=labels["reference"],
             line=dict(color=style.REFERENCE, dash="dash")),
    ]  # fmt: skip
    own_layout = dict(barmode="overlay", bargap=0, xaxis=dict(title=dict(text=labels["x"]), range=[low, high]),
                      yaxis=dict(title=dict(text=labels["y"])))  # fmt: skip
    return style.figure(traces, own_layout, title=title)
