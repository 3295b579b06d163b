"""The Explorer's figures: small multiples per normalization set, the N x C block, the
statistics used, and the path through γ/β and an activation.

Every visible text comes in as an argument. Panels are laid out with explicit axis domains
(``make_subplots`` costs ~50 ms a call, too slow for a slider move) and each figure is built in one
call from plain dicts (:func:`figures.style.figure`): these figures are on every slider's path.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from figures import sets, style
from figures.histograms import density_bars
from normcore.stats import Histogram

MAX_BLOCK_ROWS = 16  # samples drawn in the N x C block


def _panels(count: int, cols: int, *, gap: float = 0.04, vgap: float = 0.12) -> dict[str, dict]:
    """Axes for ``count`` panels in a grid (row-major): {"xaxis": ..., "yaxis": ..., "xaxis2": ...}."""
    rows = -(-count // cols)
    width = (1 - gap * (cols - 1)) / cols
    height = (1 - vgap * (rows - 1)) / rows
    axes = {}
    for i in range(count):
        row, col = divmod(i, cols)
        suffix = _suffix(i)
        left, top = col * (width + gap), 1 - row * (height + vgap)
        axes[f"xaxis{suffix}"] = dict(domain=_unit(left, left + width), anchor=f"y{suffix}")
        axes[f"yaxis{suffix}"] = dict(domain=_unit(top - height, top), anchor=f"x{suffix}")
    return axes


def _suffix(panel: int) -> str:
    return "" if panel == 0 else str(panel + 1)


def _unit(low: float, high: float) -> list[float]:
    return [max(0.0, round(low, 6)), min(1.0, round(high, 6))]


def _panel_title(axes: dict, suffix: str, text: str) -> dict:
    """A title above a panel (an annotation; all of a figure's are set at once: adding them one by
    one re-validates the growing list each time)."""
    x_domain, y_domain = axes[f"xaxis{suffix}"]["domain"], axes[f"yaxis{suffix}"]["domain"]
    return dict(text=text, x=(x_domain[0] + x_domain[1]) / 2, y=y_domain[1], xref="paper", yref="paper",
                yanchor="bottom", showarrow=False, font=dict(size=12))  # fmt: skip


def _bars(hist: Histogram, suffix: str, *, name: str, colour: str, legend: bool) -> dict:
    return density_bars(hist, name, colour, xaxis=f"x{suffix}", yaxis=f"y{suffix}", legendgroup=name,
                        showlegend=legend)  # fmt: skip


def small_multiples(
    before: list[Histogram],
    after: list[Histogram],
    panel_titles: list[str],
    *,
    title: str,
    labels: dict[str, str],
    cols: int = 4,
) -> go.Figure:
    """One panel per set: its values before and after, every panel on the same x and y scales.

    The panels share one pair of axes, each shifted to its place in a grid with ticks labelled in
    its own values: two bar traces (plus panel frames and titles) whatever the number of panels.
    (One axis pair per panel cost ~10 ms per slider move, mostly plotly's per-object overhead.)
    The histograms must share their bins (as :func:`normcore.explorer.summarize` makes them).
    ``labels`` holds ``before``, ``after``, ``x`` and ``y`` texts.
    """
    cols = min(cols, len(before))
    rows = -(-len(before) // cols)
    low, high = float(before[0].edges[0]), float(before[0].edges[-1])
    densities = {id(h): h.density() for h in before + after}  # each once: the figure is on γ's path
    top = max(float(d.max(initial=0)) for d in densities.values()) * 1.05 or 1.0
    step_x, step_y = (high - low) * 1.15, top * 1.35  # a panel and the gap to the next
    shifts = [(i % cols) * step_x - low for i in range(len(before))]  # panel i's x: value + shift
    bases = [(rows - 1 - i // cols) * step_y for i in range(len(before))]  # its bars start here
    x_ticks, y_ticks = _nice_ticks(low, high), _nice_ticks(0.0, top)
    traces = [
        _shifted_bars(
            hists, [densities[id(h)] for h in hists], shifts, bases, name=labels[name], colour=colour
        )
        for name, hists, colour in [("before", before, style.BEFORE), ("after", after, style.AFTER)]
    ]
    traces += [
        _frames(shifts, bases, low, high, top),
        dict(type="scatter", mode="text", text=panel_titles, textposition="top center", hoverinfo="skip",
             x=[s + (low + high) / 2 for s in shifts], y=[b + top for b in bases], showlegend=False,
             textfont=dict(size=12)),
    ]  # fmt: skip
    own_layout = dict(
        barmode="overlay",
        bargap=0,
        xaxis=_ticked(x_ticks, sorted(set(shifts)), labels["x"], [-0.02 * step_x, shifts[cols - 1] + high]),
        yaxis=_ticked(y_ticks, sorted(set(bases)), labels["y"], [0, bases[0] + top * 1.25]),
    )
    return style.figure(traces, own_layout, title=title, height=200 + 170 * rows)


def _shifted_bars(
    hists: list[Histogram],
    densities: list[np.ndarray],
    shifts: list[float],
    bases: list[float],
    *,
    name: str,
    colour: str,
) -> dict:
    """Every panel's histogram (its ``densities``) in one bar trace; hovering shows the unshifted values."""
    centers = [h.centers for h in hists]
    shifted = dict(
        x=np.concatenate([c + s for c, s in zip(centers, shifts, strict=True)]),
        y=np.concatenate(densities),
        base=np.concatenate([np.full(h.counts.size, b) for h, b in zip(hists, bases, strict=True)]),
        customdata=np.concatenate(centers),
        hovertemplate="%{customdata:.3g}: %{y:.3g}",
    )
    return density_bars(hists[0], name, colour) | shifted  # the shared look, every panel's bars


def _frames(shifts: list[float], bases: list[float], low: float, high: float, top: float) -> dict:
    """A light outline around each panel, as one line trace (None breaks the line between panels)."""
    x, y = [], []
    for shift, base in zip(shifts, bases, strict=True):
        x += [low + shift, high + shift, high + shift, low + shift, low + shift, None]
        y += [base, base, base + top, base + top, base, None]
    return dict(type="scatter", mode="lines", x=x, y=y, line=dict(color="#d5d8dc", width=1), hoverinfo="skip",
                showlegend=False)  # fmt: skip


def _ticked(ticks: np.ndarray, shifts: list[float], text: str, axis_range: list[float]) -> dict:
    """An axis with ``ticks`` repeated at each panel's shift, labelled with the panel's own values."""
    return dict(title=dict(text=text), range=axis_range, zeroline=False, tickmode="array",
                tickvals=[t + s for s in shifts for t in ticks], ticktext=[f"{t:g}" for _ in shifts for t in ticks])  # fmt: skip


def _nice_ticks(low: float, high: float, most: int = 3) -> np.ndarray:
    """At most ``most`` (and at least one) round numbers within [low, high], 1, 2, 2.5 or 5 times a
    power of ten apart: a narrow panel has room for about three labels."""
    power = 10.0 ** np.floor(np.log10((high - low) / most or 1.0))
    for step in (power * m for m in (1, 2, 2.5, 5, 10, 20)):
        ticks = np.arange(np.ceil(low / step) * step, high + step * 1e-9, step)
        if len(ticks) <= most:
            break
    return np.round(ticks, 12) + 0.0  # + 0.0: no "-0"


def set_block(
    grid: np.ndarray,
    highlight_set: int,
    followed: tuple[int, int],
    *,
    title: str,
    labels: dict[str, str],
) -> go.Figure:
    """The N x C face of the N x C x (H*W) block: one square per (sample, channel), outlined by set.

    ``grid[n, c]`` is the set of sample ``n``, channel ``c`` (all its H*W elements share it). The
    cells of ``highlight_set`` are filled with the "after" colour and outlined thick; every other set
    has a pale shade that its neighbours do not share and a thin outline (:mod:`figures.sets`). The
    ``followed`` (sample, channel) cell is marked. Ticks are whole samples and channels. ``labels``
    holds ``same``, ``other``, ``followed``, ``x``, ``y`` and ``hover`` (a format with {n}, {c}, {s}).
    """
    rows, cols = grid.shape
    samples, channels = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    same = grid == highlight_set
    shade = sets.shades(grid.astype(float), highlight_set)
    size = max(4, min(28, int(520 / max(cols, rows * 1.4))))
    # Hover text and colours from numbers (the set ids, the shades), not one string per cell: less to send.
    hover = labels["hover"].format(n="%{y}", c="%{x}", s="%{customdata}") + "<extra></extra>"
    scale = dict(colorscale=sets.colorscale(), cmin=-0.5, cmax=len(sets.MUTED) + 0.5)
    traces = [
        dict(type="scatter", x=channels[mask], y=samples[mask], customdata=grid[mask], mode="markers", name=name,
             marker=dict(symbol="square", size=size, **colour), hovertemplate=hover)
        for name, mask, colour in [(labels["other"], ~same, dict(color=shade[~same], **scale)),
                                   (labels["same"], same, dict(color=sets.FOLLOWED))]
    ]  # fmt: skip
    traces.append(sets.line_trace(*sets.boundaries(grid.astype(float)), colour=sets.BOUNDARY,
                                  width=sets.BOUNDARY_WIDTH))  # fmt: skip
    traces.append(sets.line_trace(*sets.outline(same), colour=sets.OUTLINE, width=sets.OUTLINE_WIDTH))
    traces.append(dict(type="scatter", x=[followed[1]], y=[followed[0]], mode="markers", name=labels["followed"],
                       marker=dict(symbol="x-thin", size=size * 0.8, line=dict(width=3, color=style.REFERENCE)),
                       hoverinfo="skip"))  # fmt: skip
    height = max(300, 150 + rows * (size + 4))
    own_layout = dict(
        xaxis=dict(title=dict(text=labels["x"]), range=[-0.6, cols - 0.4], showgrid=False, zeroline=False,
                   tickmode="linear", tick0=0, dtick=_whole_step(cols)),
        yaxis=dict(title=dict(text=labels["y"]), range=[rows - 0.4, -0.6], showgrid=False, zeroline=False,
                   tickmode="linear", tick0=0, dtick=_whole_step(rows, MAX_BLOCK_ROWS)),
        clickmode="event+select",
        dragmode=False,
    )  # fmt: skip
    return style.figure(traces, own_layout, title=title, height=height)


def _whole_step(count: int, most: int = 9) -> int:
    """A tick step of 1, 2, 5, 10, ... that labels ``count`` cells (0 .. count - 1) with at most ``most`` ticks."""
    for step in (m * 10**p for p in range(4) for m in (1, 2, 5)):
        if -(-count // step) <= most:
            return step
    return 10**4


def statistics(
    set_ids: np.ndarray,
    mean: np.ndarray | None,
    var: np.ndarray,
    *,
    title: str,
    labels: dict[str, str],
    own_mean: np.ndarray | None = None,
    own_var: np.ndarray | None = None,
) -> go.Figure:
    """μ and σ² of every set as bars, two panels sharing the set axis.

    With ``own_mean``/``own_var`` (eval mode: the batch's own statistics) they are drawn as
    markers beside the bars of the running statistics that were used. Without ``mean``
    (RMS Norm, which does not centre) there is one panel, of ``var`` (its RMS). ``labels``
    holds ``used``, ``own``, ``mean``, ``var`` and ``x``.
    """
    if mean is None:
        axes = _panels(1, 1)
        traces = [dict(type="bar", x=set_ids, y=var, name=labels["used"], marker_color=style.AFTER)]
        axes["yaxis"]["title"] = dict(text=labels["var"])
        axes["xaxis"]["title"] = dict(text=labels["x"])
        return style.figure(traces, axes, title=title, height=300)
    axes = _panels(2, 1, vgap=0.1)
    traces = []
    for suffix, used, own, axis_title in [
        ("", mean, own_mean, labels["mean"]),
        ("2", var, own_var, labels["var"]),
    ]:
        traces.append(dict(type="bar", x=set_ids, y=used, name=labels["used"], marker_color=style.AFTER,
                           xaxis=f"x{suffix}", yaxis=f"y{suffix}", legendgroup="used", showlegend=suffix == ""))  # fmt: skip
        if own is not None:
            traces.append(dict(type="scatter", x=set_ids, y=own, mode="markers", name=labels["own"],
                               xaxis=f"x{suffix}", yaxis=f"y{suffix}", legendgroup="own", showlegend=suffix == "",
                               marker=dict(color=style.REFERENCE, symbol="diamond", size=8)))  # fmt: skip
        axes[f"yaxis{suffix}"]["title"] = dict(text=axis_title)
    axes["xaxis"].update(matches="x2", showticklabels=False)
    axes["xaxis2"]["title"] = dict(text=labels["x"])
    return style.figure(traces, axes, title=title, height=420)


def downstream(
    hists: list[Histogram],
    panel_titles: list[str],
    *,
    title: str,
    labels: dict[str, str],
) -> go.Figure:
    """The values after normalization, after γ/β and after the activation, side by side.

    The first two panels share their x axis (the same numbers before and after the affine
    step); the activation's output has its own. ``labels`` holds ``x`` and ``y``.
    """
    axes = _panels(len(hists), len(hists), gap=0.06)
    low = min(float(h.edges[0]) for h in hists[:2])
    high = max(float(h.edges[-1]) for h in hists[:2])
    traces, titles = [], []
    for i, (hist, text) in enumerate(zip(hists, panel_titles, strict=True)):
        suffix = _suffix(i)
        traces.append(_bars(hist, suffix, name=text, colour=style.AFTER if i else style.BEFORE, legend=False))
        axes[f"xaxis{suffix}"]["title"] = dict(text=labels["x"])
        titles.append(_panel_title(axes, suffix, text))
        if i < 2:
            axes[f"xaxis{suffix}"]["range"] = [low, high]
    axes["yaxis"]["title"] = dict(text=labels["y"])
    return style.figure(traces, dict(axes, annotations=titles, bargap=0), title=title, height=320)
