"""The Explorer's glue between summaries and Streamlit: labels, tables, notes and editors."""

from __future__ import annotations

import hashlib
import math
from dataclasses import astuple

import numpy as np
import pandas as pd
import streamlit as st

from normcore.data import MAX_ELEMENTS
from normcore.explorer import Population, Summary, fit_batch, pytorch_refusal
from normcore.explorer import worked_example as steps_of
from normcore.stats import Histogram
from ui.explorer_controls import PER_CHANNEL_LIMIT, Controls, store_per_channel
from ui.i18n import t
from ui.url import UrlCheck, choice, shown

NO_BATCH = (0, 0, 0, 0)
DEFAULT_TABLE = "1,2;3,4;5,6;7,8"
TABLE_LIMITS = (16, 8, 1e6)  # rows, columns, |value| of the worked example


# ---------------------------------------------------------------- the batch


def batch_source(
    ctl: Controls, check: UrlCheck
) -> tuple[tuple[int, int, int, int], tuple, np.ndarray | None]:
    """The batch's shape and cache key (and the array, for an upload); capped to MAX_ELEMENTS."""
    if ctl.source == "upload":
        if ctl.upload_array is None:
            message = t("explorer.upload_refused", error=ctl.upload_error) if ctl.upload_error else None
            st.warning(message, icon=":material/upload_file:") if message else st.info(
                t("explorer.upload_needed")
            )
            return NO_BATCH, (), None
        digest = hashlib.sha256(ctl.upload.getvalue()).hexdigest()[:16]
        return tuple(ctl.upload_array.shape), ("upload", digest), ctl.upload_array
    n = fit_batch(ctl.n, ctl.c, ctl.hw, ctl.hw)
    if n < ctl.n:
        check.notice(t("explorer.capped", asked=ctl.n, used=n, c=ctl.c, hw=ctl.hw, cap=f"{MAX_ELEMENTS:,}"))
    population = Population(ctl.source, ctl.shape, ctl.offset, ctl.spread, ctl.seed)
    return (n, ctl.c, ctl.hw, ctl.hw), astuple(population), None


def batch_of_one(shape: tuple[int, ...], ctl: Controls, refusal: str | None) -> None:
    """What PyTorch does with too few values per set, explained instead of a traceback."""
    if refusal:
        reason = "instance" if ctl.norm == "instance" else "values"
        st.warning(t("explorer.refused", error=refusal) + "\n\n" + t(f"explorer.refused_why.{reason}"),
                   icon=":material/block:")  # fmt: skip
    elif ctl.norm in ("batch", "batch_renorm") and ctl.training and shape[0] == 1:
        st.info(t("explorer.batch_one_space", hw=shape[2] * shape[3]), icon=":material/info:")


VIEWS = ["sets", "stats", "downstream", "worked", "backward", "code"]


def view_choice(check: UrlCheck) -> str:
    """Which view to show under the histogram (only that one runs); its code stays in the link."""
    return choice(st.segmented_control, t("explorer.view"), VIEWS, key="view", check=check,
                  labels=lambda v: t(f"explorer.view.{v}"), help=t("explorer.view_help"), required=True)  # fmt: skip


# ---------------------------------------------------------------- labels and data behind the charts


def hist_labels() -> dict[str, str]:
    return {
        "before": t("common.before"),
        "after": t("common.after"),
        "reference": t("common.standard_normal"),
        "x": t("common.value"),
        "y": t("common.density"),
    }


def hist_frame(before: Histogram, after: Histogram) -> pd.DataFrame:
    return pd.DataFrame({"bin_low": before.edges[:-1], "bin_high": before.edges[1:], "before": before.counts,
                         "after": after.counts})  # fmt: skip


def multiples_frame(summary: Summary) -> pd.DataFrame:
    return _binned_frame("group", summary.groups, summary.group_before, before=summary.group_before,
                         after=summary.group_after)  # fmt: skip


def _binned_frame(label: str, names: list, hists: list[Histogram], **counts: list[Histogram]) -> pd.DataFrame:
    """One row per bin of each histogram in ``hists``, named in column ``label``; ``counts`` are
    columns of bin counts (one histogram per name, binned as ``hists``). One frame, no concat."""
    bins = [h.counts.size for h in hists]
    return pd.DataFrame({
        label: np.repeat(names, bins),
        "bin_low": np.concatenate([h.edges[:-1] for h in hists]),
        "bin_high": np.concatenate([h.edges[1:] for h in hists]),
        **{column: np.concatenate([h.counts for h in column_hists]) for column, column_hists in counts.items()},
    })  # fmt: skip


def block_labels() -> dict[str, str]:
    return {key: t(f"explorer.block.{key}") for key in ("same", "other", "followed", "x", "y", "hover")}


def block_frame(grid: np.ndarray) -> pd.DataFrame:
    samples, channels = np.meshgrid(np.arange(grid.shape[0]), np.arange(grid.shape[1]), indexing="ij")
    return pd.DataFrame({"sample": samples.ravel(), "channel": channels.ravel(), "set": grid.ravel()})


def block_clicked() -> None:
    """A click on a cell of the block follows an element of that (sample, channel)."""
    points = st.session_state["block"].selection.get("points", [])
    if points:
        st.session_state["fn"], st.session_state["fc"] = int(points[0]["y"]), int(points[0]["x"])


def stats_labels(ctl: Controls) -> dict[str, str]:
    running = ctl.norm in ("batch", "batch_renorm") and not ctl.training
    var = "explorer.stats.mean_square" if ctl.norm == "rms" else "explorer.stats.var"
    return {
        "used": t("explorer.stats.running" if running else "explorer.stats.used"),
        "own": t("explorer.stats.own"),
        "mean": t("explorer.stats.mean"),
        "var": t(var),
        "x": t("explorer.stats.set"),
    }


def stats_frame(summary: Summary) -> pd.DataFrame:
    frame = pd.DataFrame({"set": summary.set_ids, "mean": summary.mean, "var": summary.var})
    if summary.own_mean is not None:
        frame["batch_mean"], frame["batch_var"] = summary.own_mean, summary.own_var
    return frame


def stats_notes(summary: Summary, ctl: Controls) -> None:
    if summary.own_mean is not None:
        gap_mean = float(np.abs(summary.mean - summary.own_mean).max())
        ratio = summary.own_var / np.maximum(summary.var, 1e-12)
        st.caption(
            t(
                "explorer.stats_gap",
                mean=f"{gap_mean:.3g}",
                low=f"{ratio.min():.3g}",
                high=f"{ratio.max():.3g}",
            )
        )
    elif ctl.norm not in ("batch", "batch_renorm") and not ctl.training:
        st.caption(t("explorer.eval_same", norm=t(f"explorer.norm.{ctl.norm}")))


def downstream_frame(hists: list[Histogram], panels: list[str]) -> pd.DataFrame:
    return _binned_frame("panel", panels, hists, count=hists)


def downstream_metrics(summary: Summary, ctl: Controls) -> None:
    label = t(f"explorer.stuck.{ctl.activation}")
    delta = summary.stuck - summary.stuck_plain
    st.metric(
        label, f"{summary.stuck:.1%}", f"{delta:+.1%}", delta_color="off", help=t("explorer.stuck_help")
    )


# ---------------------------------------------------------------- the followed element


def _num(value: float, paren: bool = True) -> str:
    """``value`` to 4 significant digits in LaTeX; negative ones in parentheses where an operator precedes."""
    text = f"{value:.4g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return f"({text})" if value < 0 and paren else text


def follow_latex(f: dict, ctl: Controls, gamma: float, beta: float) -> str:
    """x → x̂ → y for one element, with its numbers."""
    if ctl.norm == "none":
        return rf"y = x = {_num(f['x'], False)}"
    running = ctl.norm in ("batch", "batch_renorm") and not ctl.training
    mu, var = (r"\mu_{\mathrm{run}}", r"\sigma^2_{\mathrm{run}}") if running else (r"\mu", r"\sigma^2")
    lines = [rf"x &= {_num(f['x'], False)}"]
    if ctl.norm == "rms":
        lines.append(
            rf"\hat x &= \frac{{x}}{{\sqrt{{\overline{{x^2}} + \epsilon}}}} = "
            rf"\frac{{{_num(f['x'])}}}{{\sqrt{{{_num(f['var'])} + {_num(ctl.eps)}}}}} = {_num(f['x_hat'], False)}"
        )
        lines.append(rf"y &= \gamma \hat x = {_num(gamma)} \cdot {_num(f['x_hat'])} = {_num(f['y'], False)}")
        return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"
    fraction = rf"\frac{{{_num(f['x'])} - {_num(f['mean'])}}}{{\sqrt{{{_num(f['var'])} + {_num(ctl.eps)}}}}}"
    if "r" in f and ctl.training:
        lines.append(
            rf"\hat x &= \frac{{x - {mu}}}{{\sqrt{{{var} + \epsilon}}}} \, r + d = {fraction} \cdot "
            rf"{_num(f['r'])} + {_num(f['d'])} = {_num(f['x_hat'], False)}"
        )
    else:
        lines.append(
            rf"\hat x &= \frac{{x - {mu}}}{{\sqrt{{{var} + \epsilon}}}} = {fraction} = {_num(f['x_hat'], False)}"
        )
    lines.append(
        rf"y &= \gamma \hat x + \beta = {_num(gamma)} \cdot {_num(f['x_hat'])} + {_num(beta)} = {_num(f['y'], False)}"
    )
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


# ---------------------------------------------------------------- gamma and beta per channel


def _table_edited(key: str, gamma: list[float], beta: list[float], ctl: Controls) -> None:
    values = {"γ": list(gamma), "β": list(beta)}
    for row, changes in st.session_state[key]["edited_rows"].items():
        for column, value in changes.items():
            if column in values and value is not None and math.isfinite(value):
                values[column][int(row)] = max(-PER_CHANNEL_LIMIT, min(PER_CHANNEL_LIMIT, float(value)))
    store_per_channel("gc", values["γ"], ctl.gamma)
    store_per_channel("bc", values["β"], ctl.beta)


def _recover(gamma: list[float], beta: list[float], ctl: Controls) -> None:
    store_per_channel("gc", gamma, ctl.gamma)
    store_per_channel("bc", beta, ctl.beta)


def gamma_beta_editor(
    gamma: list[float], beta: list[float], ctl: Controls, recover, identity_error: float
) -> None:
    """The per-channel γ/β table and the "recover the input" action."""
    if ctl.norm == "none":
        return
    key = "gb_" + hashlib.sha256(repr((gamma, beta)).encode()).hexdigest()[:12]
    table, actions = st.columns([3, 2])
    with table:
        st.caption(t("explorer.table_caption"))
        frame = pd.DataFrame({t("explorer.table_channel"): range(len(gamma)), "γ": gamma, "β": beta})
        disabled = [t("explorer.table_channel")] + (["β"] if ctl.norm == "rms" else [])
        st.data_editor(frame, key=key, hide_index=True, disabled=disabled,
                       on_change=_table_edited, args=(key, gamma, beta, ctl))  # fmt: skip
    with actions:
        values = None if recover is None else ([float(v) for v in recover[0]], [float(v) for v in recover[1]])
        st.button(t("explorer.recover"), on_click=_recover, args=(*(values or ([], [])), ctl),
                  disabled=values is None, help=t("explorer.recover_help"), icon=":material/undo:")  # fmt: skip
        if values is None:
            st.caption(t("explorer.recover_unavailable"))
        elif values == (gamma, beta):
            st.success(t("explorer.recovered", error=f"{identity_error:.2g}"), icon=":material/check:")


# ---------------------------------------------------------------- the worked example


def parse_table(raw: str) -> np.ndarray | None:
    """'1,2;3,4' as a 2 x 2 array, or None when it is not a small table of numbers."""
    rows, cols, limit = TABLE_LIMITS
    try:
        table = np.array([[float(v) for v in row.split(",")] for row in raw.split(";")], dtype=np.float64)
    except ValueError:
        return None
    ok = table.ndim == 2 and 1 <= table.shape[0] <= rows and 1 <= table.shape[1] <= cols
    return table if ok and np.isfinite(table).all() and np.abs(table).max() <= limit else None


def _table_text(table: np.ndarray) -> str:
    return ";".join(",".join(f"{v:g}" for v in row) for row in table)


def worked_table(check: UrlCheck) -> np.ndarray:
    """The worked example's table from the link (``we``), or the default with a notice."""
    raw = st.query_params.get("we", DEFAULT_TABLE)
    table = parse_table(raw)
    if table is None:
        check.notice(t("explorer.worked_dropped", asked=shown(raw)))
        st.query_params.pop("we", None)
        table = parse_table(DEFAULT_TABLE)
    return table


def worked_example(table: np.ndarray, ctl: Controls) -> None:
    key = "we_" + hashlib.sha256(_table_text(table).encode()).hexdigest()[:12]
    columns = [f"c{j}" for j in range(table.shape[1])]
    edit, result = st.columns([1, 3])
    with edit:
        edited = st.data_editor(
            pd.DataFrame(table, columns=columns), key=key, num_rows="dynamic", hide_index=False
        )
        values = edited.apply(pd.to_numeric, errors="coerce").dropna().to_numpy(dtype=np.float64)
        if values.size and parse_table(_table_text(values)) is not None and not np.array_equal(values, table):
            table = values
            text = _table_text(table)
            st.query_params.pop("we", None) if text == DEFAULT_TABLE else st.query_params.update(we=text)
    with result:
        _worked_steps(table, ctl)


def _worked_steps(table: np.ndarray, ctl: Controls) -> None:
    n, c = table.shape
    groups = ctl.groups if c % ctl.groups == 0 else 1
    if ctl.norm == "group" and groups != ctl.groups:
        st.caption(t("explorer.worked_groups", g=ctl.groups, c=c))
    refusal = pytorch_refusal((n, c, 1, 1), ctl.norm, groups, True)
    if refusal:  # the (N, C) table has no space: instance norm, say
        st.info(t("explorer.refused", error=refusal), icon=":material/block:")
        return
    steps = steps_of(table, ctl.norm, groups, ctl.eps, np.full(c, ctl.gamma), np.full(c, ctl.beta))
    samples, channels = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    frame = pd.DataFrame({"n": samples.ravel(), "c": channels.ravel()})
    for name, values in steps.items():
        frame[t(f"explorer.step.{name}")] = np.asarray(values).ravel()
    st.dataframe(frame, hide_index=True)
    st.caption(t("explorer.worked_caption", gamma=ctl.gamma, beta=ctl.beta))
