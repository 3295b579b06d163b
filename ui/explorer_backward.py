"""The Explorer's Backward view: an upstream gradient, the gradient through the norm (full and naive),
batch coupling, and batch norm's indifference to the weights' scale (BN paper §3.3).

URL keys of this view: ``up`` (the loss giving ∂L/∂y), ``ex`` and ``exf`` (the example whose upstream
gradient is scaled, and by what), ``sa`` (the weight scale a of the scale-invariance section).
Caches take values, never widgets; torch is imported only by the scale-invariance section.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from figures import backward as figs
from figures import style
from normcore.backward_view import (
    UPSTREAMS,
    BackwardBasis,
    BackwardSummary,
    CouplingSummary,
    backward_basis,
    statistics_in_gradient,
    summarize_coupling_of_change,
    summarize_gradients,
    upstream_gradient,
)
from normcore.explorer import running_statistics, with_affine
from normcore.snippet import Setup, pytorch_snippet
from normcore.teaching import BATCH_DEPENDENT
from ui import cached
from ui import explorer_cache as cache
from ui.explorer_controls import Controls
from ui.export import show_chart
from ui.i18n import t, texts
from ui.url import UrlCheck, choice, number_choice

FACTORS = [0, 2, 10, -1]  # what example k's upstream gradient is multiplied by
SCALES = ["0.01", "0.03", "0.1", "0.3", "1", "3", "10", "30", "100"]  # the weight scale a, log-spaced
NAIVE_SUMS_SMALL = 1e-4  # naive sums this small next to a set's sum of |naive dL/dx| are "zero" too
INVARIANT_WITHIN = 1e-2  # "holds" in the scale-invariance text: every quantity within 1% of a = 1


# ---------------------------------------------------------------- computed once per distinct input


def _running(layer: cache.Layer, _upload) -> tuple:
    """The running buffers where the norm reads them (batch norm in eval, Batch Renorm), else (None, None)."""
    if layer.norm in BATCH_DEPENDENT and (layer.norm == "batch_renorm" or not layer.training):
        moments = cache.warmup_moments(layer.shape[1:], layer.source, layer.warmup, _upload)
        return running_statistics(moments, layer.shape[1], layer.momentum)
    return None, None


def _weight(layer: cache.Layer, gamma: tuple) -> np.ndarray | None:
    return None if layer.norm == "none" else np.array(gamma)


# Shared by every session (ui.cached): never mutate what these return. Bounded by memory at the largest size
# (1,966,080 values): at most 3 x 16 MB of float64 x_hat and 2 x 8 MB of upstream gradients (a γ move makes
# one, read by both summaries of that run).


def _basis(layer: cache.Layer, _upload: np.ndarray | None = None) -> BackwardBasis:
    """The backward's statistics of ``layer``'s batch: made once per batch, not per γ (shared, read-only)."""
    return cached.resource(_made_basis, layer, _upload=_upload, bound=3)


def _made_basis(layer: cache.Layer, _upload: np.ndarray | None = None) -> BackwardBasis:
    running = _running(layer, _upload)
    return backward_basis(cache.batch(layer.shape, layer.source, _upload), layer.norm,
                          cache.normalized(layer, _upload).var, num_groups=layer.groups,
                          training=layer.training, running_mean=running[0], running_var=running[1],
                          eps=layer.eps, r_max=layer.r_max, d_max=layer.d_max)  # fmt: skip


def _upstream(layer: cache.Layer, gamma: tuple, beta: tuple, up: str, channel: int, _upload) -> np.ndarray:
    """∂L/∂y (N, C, L) of the loss ``up``, read-only; the random loss's does not depend on γ, β or the class."""
    if up == "random":
        gamma = beta = None
    channel = channel if up == "class" else 0
    return cached.resource(_made_upstream, layer, gamma, beta, up, channel, _upload=_upload, bound=2)


def _made_upstream(layer: cache.Layer, gamma: tuple | None, beta: tuple | None, up: str, channel: int,
                   _upload=None) -> np.ndarray:  # fmt: skip
    explained = cache.normalized(layer, _upload)
    if gamma is not None:  # the loss reads the output y = γ x̂ + β; the random one only its shape
        explained = with_affine(explained, np.array(gamma), np.array(beta))
    y = explained.output  # only the "input" loss reads the input x (one cache lookup less for the others)
    x = cache.batch(layer.shape, layer.source, _upload).reshape(y.shape) if up == "input" else y
    dy = upstream_gradient(y, x, up, channel=channel)
    dy.setflags(write=False)
    return dy


def backward_summary(layer: cache.Layer, gamma: tuple, beta: tuple, up: str, follow: tuple,
                     _upload: np.ndarray | None = None) -> BackwardSummary:  # fmt: skip
    """What the view draws of the gradients (shared by every session: never mutate it)."""
    return cached.value(_made_summary, layer, gamma, beta, up, follow, _upload=_upload)


def _made_summary(layer: cache.Layer, gamma: tuple, beta: tuple, up: str, follow: tuple,
                  _upload: np.ndarray | None = None) -> BackwardSummary:  # fmt: skip
    dy = _upstream(layer, gamma, beta, up, follow[1], _upload)
    return summarize_gradients(_basis(layer, _upload), dy, _weight(layer, gamma), follow=follow)


def coupling_summary(layer: cache.Layer, gamma: tuple, beta: tuple, up: str, channel: int, example: int,
                     factor: int, _upload: np.ndarray | None = None) -> CouplingSummary:  # fmt: skip
    """Whose input gradients change when example ``example``'s upstream gradient is multiplied by ``factor``
    (shared by every session: never mutate it)."""
    return cached.value(_made_coupling, layer, gamma, beta, up, channel, example, factor, _upload=_upload)


def _made_coupling(layer: cache.Layer, gamma: tuple, beta: tuple, up: str, channel: int, example: int,
                   factor: int, _upload: np.ndarray | None = None) -> CouplingSummary:  # fmt: skip
    dy = _upstream(layer, gamma, beta, up, channel, _upload)
    delta = (factor - 1) * dy[example]
    return summarize_coupling_of_change(_basis(layer, _upload), example, delta, _weight(layer, gamma))


@st.cache_data(max_entries=16, show_spinner=False)
def scale_point(scale: float) -> dict[str, float]:
    """§3.3 at weight scale ``scale`` against a = 1: torch autograd on digits (imports torch)."""
    from normcore.scale_invariance import invariance_errors, scaled_layer

    one, now = scaled_layer(1.0), scaled_layer(scale)
    errors = invariance_errors([scale])[scale]
    return {
        "output": errors["output"],
        "grad_input": errors["grad_input"],
        "grad_weight": errors["grad_weight"],
        "norm_ratio": float(np.linalg.norm(now.grad_weight) / np.linalg.norm(one.grad_weight)),
        "weight_norm": now.weight_norm,
        "loss": now.loss,
        "loss_one": one.loss,
    }


@st.cache_data(max_entries=1, show_spinner=False)
def scale_sweep() -> dict[str, list[float]]:
    """Every quantity's relative difference from a = 1 at each of :data:`SCALES` (imports torch)."""
    from normcore.scale_invariance import invariance_errors

    errors = invariance_errors([float(a) for a in SCALES])
    return {
        name: [errors[float(a)][name] for a in SCALES] for name in ("output", "grad_input", "grad_weight")
    }


# ---------------------------------------------------------------- the view


def show(layer: cache.Layer, ctl: Controls, gamma: list[float], beta: list[float], follow: tuple,
         setup: Setup, upload: np.ndarray | None, charts_data: dict) -> None:  # fmt: skip
    """The view; the data behind each chart goes into ``charts_data`` (ui.export.charts_data_button)."""
    check = UrlCheck("explorer")
    controls = st.container()
    with controls:
        up = choice(st.segmented_control, t("backward.up"), list(UPSTREAMS), key="up", check=check,
                    labels=lambda k: t(f"backward.up.{k}"), help=t("backward.up_help"), required=True)  # fmt: skip
    check.show()
    norm_name = t(f"explorer.norm.{ctl.norm}")
    summary = backward_summary(layer, tuple(gamma), tuple(beta), up, follow, _upload=upload)
    st.caption(t(f"backward.up_caption.{up}", k=follow[1]))
    _gradients(summary, norm_name, charts_data)
    _full_and_naive(summary, ctl, norm_name, charts_data)
    _coupling(layer, ctl, gamma, beta, up, follow, norm_name, upload, charts_data)
    # Folded by default (a γ move then redraws four sections, not five); a link with sa= opens it.
    section = st.expander(t("backward.scale_header"), expanded="sa" in st.query_params, key="si",
                          bind="query-params", icon=":material/straighten:")  # fmt: skip
    if section.open:
        with section:
            _scale_invariance(charts_data)
    code = st.expander(t("backward.code_header"), icon=":material/code:", key="bw_code", on_change="rerun")
    if code.open:  # made when opened, not on every move
        with code:
            st.code(pytorch_snippet(replace(setup, upstream=up)), language="python")
            st.caption(t("backward.code_caption", dx=f"{summary.followed['full']:.6g}"))


def _hist_labels() -> dict[str, str]:
    return texts(x="backward.gradient_value", y="backward.count")


def _frame(panels: list[str], hists: list) -> pd.DataFrame:
    return pd.DataFrame({
        "panel": np.repeat(panels, [h.counts.size for h in hists]),
        "bin_low": np.concatenate([h.edges[:-1] for h in hists]),
        "bin_high": np.concatenate([h.edges[1:] for h in hists]),
        "count": np.concatenate([h.counts for h in hists]),
    })  # fmt: skip


def _gradients(summary: BackwardSummary, norm_name: str, charts_data: dict) -> None:
    """dL/dy beside dL/dx (top), the naive gradient beside the difference (bottom): one range, one chart."""
    st.subheader(t("backward.header"), help=t("backward.header_help"))
    panels = [t("backward.panel.upstream"), t("backward.panel.grad", norm=norm_name), t("backward.panel.naive"),
              t("backward.panel.difference")]  # fmt: skip
    hists = [summary.upstream, summary.grad, summary.naive, summary.difference]
    colours = [style.BEFORE, style.AFTER, style.PALETTE[0], style.REFERENCE]
    fig = cached.figure(figs.histogram_panels, hists, panels, colours, title=t("backward.pair_title"),
                        labels=_hist_labels(), cols=2, height=480)  # fmt: skip
    charts_data["bw_grads"] = partial(_frame, panels, hists)
    show_chart(fig, key="bw_grads")
    f = summary.followed
    st.caption(
        t("backward.followed", dy=f"{f['dy']:.4g}", full=f"{f['full']:.4g}", naive=f"{f['naive']:.4g}")
    )


def _full_and_naive(summary: BackwardSummary, ctl: Controls, norm_name: str, charts_data: dict) -> None:
    st.subheader(t("backward.naive_header"), help=t("backward.naive_help"))
    labels = {"full": t("backward.full"), "naive": t("backward.naive"), "sum": t("backward.sum"),
              "dot": t("backward.dot"), "x": t("explorer.stats.set")}  # fmt: skip
    sums = cached.figure(figs.set_sums, summary.set_ids, (summary.sums_full, summary.sums_naive),
                         (summary.dots_full, summary.dots_naive),
                         title=t("backward.sums_title", shown=summary.set_ids.size, sets=summary.num_sets),
                         labels=labels)  # fmt: skip
    charts_data["bw_sums"] = partial(_sums_frame, summary)
    show_chart(sums, key="bw_sums")
    for line in set_notes(summary, ctl, norm_name):
        st.markdown(line)


def _sums_frame(s: BackwardSummary) -> pd.DataFrame:
    frame = pd.DataFrame({"set": s.set_ids, "sum_full": s.sums_full, "sum_naive": s.sums_naive,
                          "dot_full": s.dots_full, "dot_naive": s.dots_naive})  # fmt: skip
    if s.eps_factor is not None:
        frame["eps_over_var_plus_eps"] = s.eps_factor
    return frame


def set_notes(s: BackwardSummary, ctl: Controls, norm_name: str) -> list[str]:
    """What the per-set sums show, in words with the computed numbers (for these settings)."""
    if ctl.norm == "none":
        return [t("backward.note.none")]
    if not statistics_in_gradient(ctl.norm, ctl.training):
        return [t("backward.note.eval", norm=norm_name, gap=f"{s.naive_gap:.3g}")]
    sums = dict(sets=s.num_sets, full=f"{s.largest_sum_full:.3g}", naive=f"{s.largest_sum_naive:.3g}")
    key = "backward.note.rms_sum" if ctl.norm == "rms" else "backward.note.sum"
    if ctl.norm != "rms" and s.largest_sum_naive <= NAIVE_SUMS_SMALL * s.naive_scale:
        key = "backward.note.sum_both"  # the upstream gradient itself sums to zero over each set
    notes = [t(key, **sums)]
    notes.append(t("backward.note.dot", sets=s.num_sets, gap=f"{s.identity_error:.3g}",
                   naive=f"{s.largest_dot_naive:.3g}", low=f"{s.eps_factor.min():.3g}",
                   high=f"{s.eps_factor.max():.3g}", eps=f"{ctl.eps:g}"))  # fmt: skip
    return notes


def _coupling(layer, ctl: Controls, gamma, beta, up: str, follow: tuple, norm_name: str, upload,
              charts_data: dict) -> None:  # fmt: skip
    st.subheader(t("backward.coupling_header"), help=t("backward.coupling_help"))
    n = layer.shape[0]
    check = UrlCheck("explorer")
    left, right = st.columns(2)
    with left:
        example = st.number_input(t("backward.example"), 0, max(n - 1, 0), 0, key="ex", bind="query-params",
                                  help=t("backward.example_help", n=n))  # fmt: skip
        check.check("ex", example)
    with right:
        factor = number_choice(st.segmented_control, t("backward.factor"), FACTORS, key="exf", default=2,
                               check=check, help=t("backward.factor_help"), required=True)  # fmt: skip
    check.show()
    example = int(min(example, n - 1))
    result = coupling_summary(
        layer, tuple(gamma), tuple(beta), up, follow[1], example, factor, _upload=upload
    )
    labels = {"unchanged": t("backward.block.unchanged"), "changed": t("backward.block.changed"),
              "chosen": t("backward.block.chosen", k=example), "x": t("explorer.block.x"),
              "y": t("explorer.block.y"), "hover": t("backward.block.hover")}  # fmt: skip
    fig = cached.figure(figs.coupling_block, result.change, result.first, example,
                        title=t("backward.block_title", k=example, f=factor), labels=labels)  # fmt: skip
    charts_data["bw_block"] = partial(_block_frame, result)
    show_chart(fig, key="bw_block")
    if result.change.shape[0] < result.rows:
        st.caption(t("backward.block_rows", first=result.first, last=result.first + result.change.shape[0] - 1,
                     n=result.rows))  # fmt: skip
    st.markdown(coupling_note(result, ctl, norm_name, factor))


def _block_frame(result: CouplingSummary) -> pd.DataFrame:
    samples, channels = np.meshgrid(np.arange(result.change.shape[0]) + result.first,
                                    np.arange(result.change.shape[1]), indexing="ij")  # fmt: skip
    return pd.DataFrame(
        {"sample": samples.ravel(), "channel": channels.ravel(), "change": result.change.ravel()}
    )


def coupling_note(result: CouplingSummary, ctl: Controls, norm_name: str, factor: int) -> str:
    """Who was affected, read off the computation (not assumed from the norm)."""
    mode = t(f"explorer.mode.{'train' if ctl.training else 'eval'}")
    if result.largest_own == 0:
        return t("backward.coupling.nothing", k=result.example, f=factor)
    if result.others:
        return t("backward.coupling.others", k=result.example, count=len(result.others), others=result.rows - 1,
                 largest=f"{result.largest_other:.3g}", norm=norm_name, mode=mode)  # fmt: skip
    return t(
        "backward.coupling.alone",
        k=result.example,
        own=f"{result.largest_own:.3g}",
        norm=norm_name,
        mode=mode,
    )


def _scale_invariance(charts_data: dict) -> None:
    st.caption(t("backward.scale_help"))
    check = UrlCheck("explorer")
    scale = float(choice(st.select_slider, t("backward.scale"), SCALES, key="sa", check=check, default="1",
                         labels=lambda a: f"a = {a}", help=t("backward.scale_help_control")))  # fmt: skip
    check.show()
    with st.spinner(t("backward.scale_running")):
        point, sweep = scale_point(scale), scale_sweep()
    cols = st.columns(3)
    cols[0].metric(
        t("backward.metric.output"), f"{point['output']:.2g}", help=t("backward.metric.output_help")
    )
    cols[1].metric(t("backward.metric.grad_input"), f"{point['grad_input']:.2g}",
                   help=t("backward.metric.grad_input_help"))  # fmt: skip
    cols[2].metric(t("backward.metric.grad_weight"), f"{point['norm_ratio']:.4g}", f"1/a = {1 / scale:.4g}",
                   delta_color="off", help=t("backward.metric.grad_weight_help"))  # fmt: skip
    names = {t("backward.curve.output"): sweep["output"], t("backward.curve.grad_input"): sweep["grad_input"],
             t("backward.curve.grad_weight"): sweep["grad_weight"]}  # fmt: skip
    fig = cached.figure(figs.scale_curve, [float(a) for a in SCALES], names, scale, title=t("backward.curve_title"),
                        labels={"x": t("backward.curve.x"), "y": t("backward.curve.y"),
                                "current": f"a = {scale:g}"})  # fmt: skip
    charts_data["bw_scale"] = partial(pd.DataFrame, {"a": [float(a) for a in SCALES], **sweep})
    show_chart(fig, key="bw_scale")
    st.markdown(scale_note(sweep, point, scale))


def scale_note(sweep: dict[str, list[float]], point: dict, scale: float) -> str:
    """Where the invariance holds and where ε breaks it, from the sweep."""
    worst = [max(values) for values in zip(*sweep.values(), strict=True)]  # per scale, small to large
    smallest = float(SCALES[-1])
    for a, w in reversed(list(zip(SCALES, worst, strict=True))):  # from a = 100 down, while it holds
        if w > INVARIANT_WITHIN:
            break
        smallest = float(a)
    return t("backward.scale_note", within=f"{INVARIANT_WITHIN:.0%}", low=f"{smallest:g}",
             worst=f"{worst[0]:.2g}", a_min=SCALES[0], loss=f"{point['loss']:.4f}",
             loss_one=f"{point['loss_one']:.4f}", weight=f"{point['weight_norm']:.3g}")  # fmt: skip


# ---------------------------------------------------------------- the code view


def code_setup(setup: Setup) -> Setup:
    """``setup`` with the Backward view's loss when the link names one (``up=``)."""
    up = st.query_params.get("up")
    return replace(setup, upstream=up) if up in UPSTREAMS else setup


def code_caption(layer, gamma, beta, setup: Setup, follow: tuple, upload) -> str:
    summary = backward_summary(layer, tuple(gamma), tuple(beta), setup.upstream, follow, _upload=upload)
    return t("backward.code_caption", dx=f"{summary.followed['full']:.6g}")
