"""Training-lab charts: curves over steps, percentile bands, sweeps, per-layer histograms.

Pure functions: plotly only, every visible text passed in. "Without BN" is drawn in
``style.BEFORE`` and "with BN" in ``style.AFTER`` wherever the two are compared.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from figures import style
from normcore import lab
from normcore.lab import COMPARED, PLACEMENTS
from normcore.training import PERCENTILES

# Without BN in the "before" colour, with BN in the "after" colour, wherever the two are compared.
COLOURS = {
    "none": style.BEFORE,
    "batch": style.AFTER,
    "neither": style.REFERENCE,
    "bn": style.AFTER,
    "dropout": style.PALETTE[0],
    "both": style.PALETTE[2],
    "constant_stats": style.BEFORE,
    "true_gradient": style.AFTER,
    "dropped": style.AFTER,
    "kept": style.PALETTE[0],
    "before": style.AFTER,
    "after": style.PALETTE[0],
}
DASHED = {"kept"}  # drawn over a run it should coincide with: dashed, so both stay visible


def curves(
    series: list[tuple[str, list, list, str]],
    *,
    title: str,
    x_title: str,
    y_title: str,
    log_y: bool = False,
    y_range: tuple[float, float] | None = None,
) -> go.Figure:
    """One line per ``(name, x, y, colour)`` or ``(name, x, y, colour, dash)``, e.g. accuracy against steps."""
    fig = go.Figure()
    for name, x, y, colour, *dash in series:
        line = dict(color=colour, width=2.5, dash=dash[0] if dash else None)
        fig.add_scatter(x=list(x), y=list(y), mode="lines", name=name, line=line)
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title, type="log" if log_y else None, range=y_range)
    return style.apply(fig, title=title)


def percentile_panels(
    panels: list[tuple[str, list[int], list[list[float]]]],
    *,
    title: str,
    names: list[str],
    x_title: str,
    y_title: str,
) -> go.Figure:
    """Side-by-side panels ``(subtitle, steps, [[p15, p50, p85], ...])`` on one shared y axis.

    The band between the outer percentiles is shaded; the middle one is a solid line.
    Step 0 is left out: an untrained BN network evaluates with its initial running statistics.
    """
    fig = make_subplots(rows=1, cols=len(panels), shared_yaxes=True, subplot_titles=[p[0] for p in panels])
    for col, (_, steps, percentiles) in enumerate(panels, start=1):
        rows = [(s, p) for s, p in zip(steps, percentiles, strict=False) if s > 0]
        x = [s for s, _ in rows]
        values = np.array([p for _, p in rows]).reshape(-1, 3)
        colour = style.PALETTE[0]
        for i in (0, 2, 1):  # the outer two first, so the band fills between them; the median on top
            fig.add_scatter(
                x=x,
                y=values[:, i],
                mode="lines",
                name=names[i],
                legendgroup=names[i],
                legendrank=i,
                showlegend=col == 1,
                line=dict(color=colour, dash="solid" if i == 1 else "dot", width=2.5 if i == 1 else 1.5),
                fill="tonexty" if i == 2 else None,
                fillcolor="rgba(78,121,167,0.15)",
                row=1,
                col=col,
            )
        fig.update_xaxes(title=x_title, row=1, col=col)
    fig.update_yaxes(title=y_title, row=1, col=1)
    return style.with_subplot_titles(style.apply(fig, title=title, height=420))


def sweep(
    values: list[float],
    accuracy: dict[str, list[float]],
    *,
    names: dict[str, str],
    colours: dict[str, str],
    title: str,
    x_title: str,
    y_title: str,
) -> go.Figure:
    """Final accuracy against a log-scaled setting, one line per norm."""
    fig = go.Figure()
    for norm, accs in accuracy.items():
        fig.add_scatter(
            x=list(values),
            y=list(accs),
            mode="lines+markers",
            name=names[norm],
            line=dict(color=colours[norm], width=2.5),
            marker=dict(size=9),
        )
    # Powers of ten only: plotly's small 2 and 5 between them read as values.
    fig.update_xaxes(title=x_title, type="log", dtick=1)
    fig.update_yaxes(title=y_title, range=[0, 1.02])
    return style.apply(fig, title=title)


def layer_histograms(
    panels: list[tuple[str, np.ndarray, np.ndarray]],
    *,
    layer_names: list[str],
    title: str,
    x_title: str,
    y_title: str,
) -> go.Figure:
    """Side-by-side panels ``(subtitle, counts (L, bins), edges (bins + 1,))``, one outline per layer.

    Each panel keeps its own x range (the two networks' values can differ by orders of
    magnitude), and counts are shown as shares of the layer's values.
    """
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[p[0] for p in panels])
    for col, (_, counts, edges) in enumerate(panels, start=1):
        centers = (edges[:-1] + edges[1:]) / 2
        for layer, row in enumerate(counts):
            fig.add_scatter(
                x=centers,
                y=row / max(row.sum(), 1),
                mode="lines",
                line=dict(shape="hvh", color=style.PALETTE[layer % len(style.PALETTE)], width=2),
                name=layer_names[layer],
                legendgroup=layer_names[layer],
                showlegend=col == 1,
                row=1,
                col=col,
            )
        fig.update_xaxes(title=x_title, row=1, col=col, exponentformat="power")
    fig.update_yaxes(title=y_title, row=1, col=1)
    return style.with_subplot_titles(style.apply(fig, title=title, height=380))


def layer_lines(
    panels: list[tuple[str, list[int], np.ndarray]],
    *,
    layer_names: list[str],
    title: str,
    x_title: str,
    y_title: str,
    log_y: bool = False,
    y_range: tuple[float, float] | None = None,
) -> go.Figure:
    """Side-by-side panels ``(subtitle, steps, values (E, L))``: one line per layer over training, shared y."""
    fig = make_subplots(rows=1, cols=len(panels), shared_yaxes=True, subplot_titles=[p[0] for p in panels])
    for col, (_, steps, values) in enumerate(panels, start=1):
        values = np.asarray(values, dtype=float).reshape(len(steps), -1)
        for layer in range(values.shape[1]):
            fig.add_scatter(
                x=list(steps),
                y=values[:, layer],
                mode="lines",
                line=dict(color=style.PALETTE[layer % len(style.PALETTE)], width=2),
                name=layer_names[layer],
                legendgroup=layer_names[layer],
                showlegend=col == 1,
                row=1,
                col=col,
            )
        fig.update_xaxes(title=x_title, row=1, col=col)
    fig.update_yaxes(type="log" if log_y else None, range=y_range, rangemode=None if log_y else "tozero")
    fig.update_yaxes(title=y_title, row=1, col=1)
    return style.with_subplot_titles(style.apply(fig, title=title, height=380))


def value_lines(
    panels: list[tuple[str, list[tuple[float, list[int], list[float]]]]],
    *,
    value_names: list[str],
    title: str,
    x_title: str,
    y_title: str,
    reference: tuple[str, float] | None = None,
) -> go.Figure:
    """Side-by-side panels ``(subtitle, [(value, steps, y), ...])`` on one shared log y axis.

    One line per swept value, coloured along a sequential scale (the smallest value dark), the
    same colour in every panel, every other value dotted (neighbours on the scale look alike on a
    projector); ``reference = (name, y)`` adds a dashed horizontal line to the last panel.
    """
    values = sorted({v for _, lines in panels for v, _, _ in lines})
    colours = dict(
        zip(values, sample_colorscale("Viridis", np.linspace(0, 0.9, max(len(values), 2))), strict=False)
    )
    dashes = {value: "dot" if i % 2 else "solid" for i, value in enumerate(values)}
    names = dict(zip(values, value_names, strict=True)) if len(value_names) == len(values) else {}
    fig = make_subplots(rows=1, cols=len(panels), shared_yaxes=True, subplot_titles=[p[0] for p in panels])
    for col, (_, lines) in enumerate(panels, start=1):
        for value, steps, y in lines:
            fig.add_scatter(
                x=list(steps),
                y=list(y),
                mode="lines",
                line=dict(color=colours[value], width=2, dash=dashes[value]),
                name=names.get(value, f"{value:g}"),
                legendgroup=f"{value:g}",
                showlegend=col == 1,
                row=1,
                col=col,
            )
        fig.update_xaxes(title=x_title, row=1, col=col)
    if reference is not None:
        name, y = reference
        steps = [s for _, lines in panels[-1:] for _, xs, _ in lines for s in xs] or [0]
        fig.add_scatter(
            x=[min(steps), max(steps)],
            y=[y, y],
            mode="lines",
            line=dict(color=style.REFERENCE, dash="dash", width=2),
            name=name,
            row=1,
            col=len(panels),
        )
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_yaxes(title=y_title, row=1, col=1)
    return style.with_subplot_titles(style.apply(fig, title=title, height=400))


# ---------------------------------------------------------------- the lab's views
# Each view turns ``{label: TrainResult}`` into ``[(key, figure, data)]``; ``text(key, **values)``
# returns the translated string for a ``lab.*`` key, ``names[label]`` a run's shown name.


def _long_table(results: dict, column: str) -> pd.DataFrame:
    """One row per (run, evaluation step) with that step's ``column`` value."""
    rows = [
        (str(label), s, v)
        for label, r in results.items()
        for s, v in zip(r.steps, getattr(r, column), strict=False)
    ]
    return pd.DataFrame(rows, columns=["run", "step", column])


def _over_steps(results: dict, column: str, text, names, title_key: str, y_key: str, **kwargs):
    series = [
        (names[label], r.steps, getattr(r, column), COLOURS[label], "dash" if label in DASHED else None)
        for label, r in results.items()
    ]
    fig = curves(series, title=text(title_key), x_title=text("lab.x_steps"), y_title=text(y_key), **kwargs)
    return fig, _long_table(results, column)


def accuracy_view(results: dict, text, names, key: str = "acc") -> list:
    fig, data = _over_steps(
        results, "test_accuracy", text, names, "lab.acc_title", "lab.y_accuracy", y_range=(0, 1.02)
    )
    return [(key, fig, data)]


def figure1_view(results: dict, text, names) -> list:
    panels = [(names[label], r.steps, r.percentiles) for label, r in results.items()]
    act = text(f"lab.act.{next(iter(results.values())).config.activation}")  # the runs share it
    fig = percentile_panels(
        panels,
        title=text("lab.pct_title", act=act),
        names=[text("lab.pct", p=p) for p in PERCENTILES],
        x_title=text("lab.x_steps"),
        y_title=text("lab.y_sigmoid_input", act=act),
    )
    return accuracy_view(results, text, names, "fig1_acc") + [
        ("fig1_pct", fig, _long_table(results, "percentiles"))
    ]


def sweep_view(results: dict, text, names, field: str, grid) -> list:
    """Final accuracy per value of ``field`` ("lr" or "init_scale"); values not yet trained are left out."""
    done = [v for v in grid if all(results.get((n, v)) and results[(n, v)].steps for n in COMPARED)]
    table = {n: [results[(n, v)].final_accuracy for v in done] for n in COMPARED}
    axis = "lr" if field == "lr" else "init"
    fig = sweep(
        done,
        table,
        names=names,
        colours=COLOURS,
        title=text(f"lab.sweep_title.{axis}"),
        x_title=text(f"lab.x_{axis}"),
        y_title=text("lab.y_final_accuracy"),
    )
    return [(f"sweep_{axis}", fig, pd.DataFrame({field: done} | table))]


def scale_view(results: dict, text, names, field: str, grid, reference: float | None = None) -> list:
    """‖W‖ and the effective step ‖ΔW‖/‖W‖ of the first hidden layer over training, one line per
    value of ``field``, without and with BN side by side; ``reference`` marks the predicted
    equilibrium step (with weight decay). Runs not yet trained are left out."""
    axis = "lr" if field == "lr" else "init"
    value_names = [text(f"lab.value.{axis}", v=v) for v in grid]
    out = []
    for column, offset in [("weight_norm", 0), ("effective_step", 1)]:
        panels = [
            (
                names[norm],
                [
                    (
                        v,
                        r.steps[offset : offset + len(getattr(r, column))],
                        [row[0] for row in getattr(r, column)],
                    )
                    for v in grid
                    if (r := results.get((norm, v))) is not None and getattr(r, column)
                ],
            )
            for norm in COMPARED
        ]
        fig = value_lines(
            panels,
            value_names=value_names,
            title=text(f"lab.{column}_title.{axis}"),
            x_title=text("lab.x_steps"),
            y_title=text(f"lab.y_{column}"),
            reference=(text("lab.equilibrium"), reference)
            if column == "effective_step" and reference
            else None,
        )
        rows = [
            (norm, v, s, layer + 1, value)
            for norm in COMPARED
            for v in grid
            if (r := results.get((norm, v))) is not None
            for s, row in zip(r.steps[offset:], getattr(r, column), strict=False)
            for layer, value in enumerate(row)
        ]
        out.append(
            (f"{column}_{axis}", fig, pd.DataFrame(rows, columns=["run", field, "step", "layer", column]))
        )
    return out


def placement_view(results: dict, text, names, at: int) -> list:
    """Accuracy and training loss of no BN / BN before / BN after, and their activation histograms."""
    out = accuracy_view(results, text, names, "place_acc")
    fig, data = _over_steps(
        results, "train_loss", text, names, "lab.train_loss_title", "lab.y_train_loss", log_y=True
    )
    out.append(("place_loss", fig, data))
    recorded = {
        k: r for k, r in results.items() if k in PLACEMENTS and r.layers and len(r.layers.saturated) >= at
    }
    if recorded:
        out.append(_histograms(recorded, text, names, at, "activation", "place_hist"))
    return out


def _histograms(recorded: dict, text, names, at: int, kind: str, key: str):
    """Per-layer histograms of ``kind`` at recorded evaluation ``at`` (1-based), one panel per run."""
    depth = next(iter(recorded.values())).config.depth
    step = next(iter(recorded.values())).steps[at]
    panels = [
        (
            names[label],
            getattr(r.layers, f"{kind}_counts")[at - 1],
            getattr(r.layers, f"{kind}_edges")[at - 1],
        )
        for label, r in recorded.items()
    ]
    fig = layer_histograms(
        panels,
        layer_names=[text("lab.layer", n=i + 1) for i in range(depth)],
        title=text(f"lab.hist_title.{kind}", step=step),
        x_title=text(f"lab.x_{kind}"),
        y_title=text("lab.y_share"),
    )
    rows = [
        (label, i + 1, low, high, count)
        for label, (_, counts, edges) in zip(recorded, panels, strict=True)
        for i, row in enumerate(counts)
        for low, high, count in zip(edges[:-1], edges[1:], row, strict=True)
    ]
    return key, fig, pd.DataFrame(rows, columns=["run", "layer", "bin_low", "bin_high", "count"])


def inside_view(results: dict, text, names, at: int) -> list:
    """Histograms at recorded evaluation ``at`` (1-based) and per-layer lines over training."""
    recorded = {label: r for label, r in results.items() if r.layers and len(r.layers.saturated) >= at}
    if not recorded:
        return []
    depth = next(iter(recorded.values())).config.depth
    layer_names = [text("lab.layer", n=i + 1) for i in range(depth)]
    out = [
        _histograms(recorded, text, names, at, kind, f"hist_{kind}") for kind in ["activation", "gradient"]
    ]
    for metric, log_y in [("saturated", False), ("grad_to_data", True), ("update_to_data", True)]:
        panels = [(names[label], r.steps[1:], getattr(r.layers, metric)) for label, r in recorded.items()]
        fig = layer_lines(
            panels,
            layer_names=layer_names,
            title=text(f"lab.{metric}_title"),
            x_title=text("lab.x_steps"),
            y_title=text(f"lab.y_{metric}"),
            log_y=log_y,
            y_range=None,
        )
        rows = [
            (label, s, i + 1, v)
            for label, r in recorded.items()
            for s, row in zip(r.steps[1:], getattr(r.layers, metric), strict=False)
            for i, v in enumerate(row)
        ]
        out.append((metric, fig, pd.DataFrame(rows, columns=["run", "step", "layer", metric])))
    return out


def section2_view(results: dict, text, names) -> list:
    out = [
        (
            f"sec2_{column}",
            *_over_steps(results, column, text, names, f"lab.sec2_{column}", f"lab.y_{column}"),
        )
        for column in ["bias_norm", "test_loss"]
    ]
    return out + accuracy_view(results, text, names, "sec2_acc")


def bias_view(results: dict, text, names) -> list:
    fig, data = _over_steps(results, "bias_norm", text, names, "lab.bias_norm_title", "lab.y_bias_norm")
    return accuracy_view(results, text, names, "bias_acc") + [("bias_norm", fig, data)]


def view_charts(view: str, results: dict, text, names, at: int | None = None) -> list:
    """``[(key, figure, data)]`` of the Training lab's ``view`` (a key of :data:`normcore.lab.VIEWS`) for its
    ``results``; ``at`` picks the inside and placement views' evaluation (default: the last both recorded)."""
    if view == "fig1":
        return figure1_view(results, text, names)
    if view in lab.SWEEPS:
        field, grid = lab.SWEEPS[view]
        trained = next(iter(results.values())).config  # the shown runs' settings (maybe not the widgets')
        equilibrium = (
            lab.equilibrium_step(trained.lr, trained.weight_decay)
            if view == "init" and trained.weight_decay
            else None
        )
        return sweep_view(results, text, names, field, grid) + scale_view(
            results, text, names, field, grid, equilibrium
        )
    if view in ("inside", "place"):
        recorded = [len(r.layers.saturated) for r in results.values() if r.layers and r.layers.saturated]
        at = at or min(recorded, default=1)
        view_of = inside_view if view == "inside" else placement_view
        return view_of(results, text, names, at)
    if view == "sec2":
        return section2_view(results, text, names)
    if view == "bias":
        return bias_view(results, text, names)
    return accuracy_view(results, text, names, "dropout_acc")
