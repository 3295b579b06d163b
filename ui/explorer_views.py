"""The Explorer's glue between summaries and Streamlit: labels, tables, notes and editors."""

from __future__ import annotations

import hashlib
import math
from dataclasses import astuple

import numpy as np
import pandas as pd
import streamlit as st

from normcore import saturation
from normcore.data import MAX_ELEMENTS
from normcore.explorer import Population, Summary, fit_batch, pytorch_refusal
from normcore.explorer import worked_example as steps_of
from normcore.stats import Histogram
from normcore.uploads import UploadError
from ui.explorer_controls import PER_CHANNEL_LIMIT, Controls, store_per_channel
from ui.i18n import t, texts
from ui.url import UrlCheck, choice, set_param, shown

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
            message = (
                t("explorer.upload_refused", error=refusal_reason(ctl.upload_error))
                if ctl.upload_error
                else None
            )
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


def refusal_reason(error: UploadError) -> str:
    """Why an upload was refused, in the viewer's language (the core's English text if it has no reason)."""
    return t(f"explorer.upload_refused.{error.reason}", **error.values) if error.reason else str(error)


def batch_of_one(shape: tuple[int, ...], ctl: Controls, refusal: str | None) -> None:
    """What PyTorch does with too few values per set, explained instead of a traceback."""
    if refusal:
        st.warning(t("explorer.refused", error=refusal) + "\n\n" + refusal_advice(ctl.norm, shape),
                   icon=":material/block:")  # fmt: skip
    elif ctl.norm in ("batch", "batch_renorm") and ctl.training and shape[0] == 1:
        st.info(t("explorer.batch_one_space", hw=shape[2] * shape[3]), icon=":material/info:")


def refusal_advice(norm: str, shape: tuple[int, ...], tr=t) -> str:
    """Why PyTorch refuses ``norm`` on ``shape`` and what to change; eval mode only where it helps
    (Batch Norm and Batch Renorm have running statistics; Group and Instance Norm refuse in eval too).
    ``tr`` translates (``t``, or ``translate`` bound to a language in tests)."""
    if norm == "instance":
        return tr("explorer.refused_why.instance")
    if norm == "group":
        return tr("explorer.refused_why.group", c=shape[1])
    return tr("explorer.refused_why.batch", norm=tr(f"explorer.norm.{norm}"))


VIEWS = ["sets", "stats", "downstream", "worked", "backward", "code"]
SUMMARY_PARTS = {"sets": ("multiples",), "downstream": ("downstream",)}  # what each view draws of a Summary


def view_choice(check: UrlCheck) -> str:
    """Which view to show under the histogram (only that one runs); its code stays in the link."""
    return choice(st.segmented_control, t("explorer.view"), VIEWS, key="view", check=check,
                  labels=lambda v: t(f"explorer.view.{v}"), help=t("explorer.view_help"), required=True)  # fmt: skip


# ---------------------------------------------------------------- labels and data behind the charts


def hist_labels() -> dict[str, str]:
    return texts(
        before="common.before",
        after="common.after",
        reference="common.standard_normal",
        x="common.value",
        y="common.density",
    )


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


def block_clicked(shape: tuple[int, ...]) -> None:
    """A click on a cell of the ``shape`` block follows an element of that (sample, channel), rerunning the page.

    Anything else in the selection (no point, a point the chart cannot send) is ignored."""
    points = st.session_state["block"].selection.get("points", [])
    try:
        sample, channel = int(points[0]["y"]), int(points[0]["x"])
    except (IndexError, KeyError, TypeError, ValueError, OverflowError):
        return
    if 0 <= sample < shape[0] and 0 <= channel < shape[1]:
        st.session_state["fn"], st.session_state["fc"] = sample, channel
        st.rerun()  # the whole page: the followed element's inputs are drawn with it, not with the stage


def stats_labels(ctl: Controls) -> dict[str, str]:
    running = ctl.norm in ("batch", "batch_renorm") and not ctl.training
    return {
        "used": t("explorer.stats.running" if running else "explorer.stats.used"),
        "own": t("explorer.stats.own"),
        "mean": t("explorer.stats.mean"),
        "var": t("explorer.stats.rms" if ctl.norm == "rms" else "explorer.stats.var"),
        "x": t("explorer.stats.set"),
    }


def stats_values(summary: Summary, ctl: Controls) -> tuple[np.ndarray | None, np.ndarray]:
    """What the Statistics view draws: (μ, σ²) per set, or for RMS Norm (no mean) (None, RMS)."""
    if ctl.norm == "rms":
        return None, np.sqrt(summary.var + ctl.eps)  # summary.var holds the mean square
    return summary.mean, summary.var


def stats_title(summary: Summary, ctl: Controls) -> str:
    return t(
        "explorer.stats_title_rms" if ctl.norm == "rms" else "explorer.stats_title", sets=summary.set_ids.size
    )


def stats_frame(summary: Summary, ctl: Controls) -> pd.DataFrame:
    if ctl.norm == "rms":
        return pd.DataFrame(
            {"set": summary.set_ids, "mean_square": summary.var, "rms": stats_values(summary, ctl)[1]}
        )
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
    share = f"{saturation.SLOPE_SHARE:.0%}"
    label = t(f"explorer.stuck.{ctl.activation}", share=share)
    change = summary.stuck - summary.stuck_plain
    # The change against γ = 1, β = 0, said so; none when it rounds to 0 (an arrow for no change misleads).
    delta = t("explorer.stuck_delta", change=f"{change:+.1%}") if round(change, 3) else None
    help_text = t("explorer.stuck_help", share=share)
    st.metric(label, f"{summary.stuck:.1%}", delta, delta_color="off", help=help_text)


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
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if column in values and number and math.isfinite(value) and 0 <= int(row) < len(gamma):
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
    """The editable table (a fixed number of rows, set by ``wr``) and the steps of the norm on it."""
    check = UrlCheck("explorer_worked")
    edit, result = st.columns([1, 3])
    with edit:
        # The default is the link's table's own row count (the widget's identity is its key alone).
        rows = st.number_input(t("explorer.worked_rows"), 1, TABLE_LIMITS[0], table.shape[0], key="wr",
                               bind="query-params", help=t("explorer.worked_rows_help", most=TABLE_LIMITS[0]))  # fmt: skip
        check.check("wr", rows)
        table = _resized(table, int(rows))
        key = "we_" + hashlib.sha256(_table_text(table).encode()).hexdigest()[:12]
        columns = [f"c{j}" for j in range(table.shape[1])]
        edited = st.data_editor(
            pd.DataFrame(table, columns=columns), key=key, num_rows="fixed", hide_index=False
        )
        values = edited.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
        if values.shape == table.shape and parse_table(_table_text(values)) is not None:
            table = values  # an emptied or non-numeric cell keeps the previous table
        text = _table_text(table)
        set_param("we", None if text == DEFAULT_TABLE else text)
    check.show()
    with result:
        _worked_steps(table, ctl)


def _resized(table: np.ndarray, rows: int) -> np.ndarray:
    """The first ``rows`` rows of ``table``, with rows of zeros added below when it has fewer."""
    if rows <= table.shape[0]:
        return table[:rows]
    return np.vstack([table, np.zeros((rows - table.shape[0], table.shape[1]))])


def _worked_steps(table: np.ndarray, ctl: Controls) -> None:
    n, c = table.shape
    groups = ctl.groups if c % ctl.groups == 0 else 1
    if ctl.norm == "group" and groups != ctl.groups:
        st.caption(t("explorer.worked_groups", g=ctl.groups, c=c))
    refusal = pytorch_refusal((n, c, 1, 1), ctl.norm, groups, True)
    if refusal:  # the (N, C) table has no space: instance norm, say
        st.info(t("explorer.refused", error=refusal), icon=":material/block:")
        return
    steps = steps_of(table, ctl.norm, groups, ctl.eps, np.full(c, ctl.gamma), np.full(c, ctl.beta),
                     ctl.r_max, ctl.d_max)  # fmt: skip
    samples, channels = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    frame = pd.DataFrame({"n": samples.ravel(), "c": channels.ravel()})
    for name, values in steps.items():
        label = "y_rms" if name == "y" and ctl.norm == "rms" else name  # RMS Norm has no β
        frame[t(f"explorer.step.{label}")] = np.asarray(values).ravel()
    st.dataframe(frame, hide_index=True)
    caption = t("explorer.worked_caption", gamma=ctl.gamma, beta=ctl.beta)
    if ctl.norm == "batch_renorm":
        caption += " " + t("explorer.worked_renorm", r_max=ctl.r_max, d_max=ctl.d_max)
    st.caption(caption)
