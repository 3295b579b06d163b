"""The Explorer's views under the histogram, one function each; the page runs only the chosen one.

Each draws its elements in the order the page always has (the tests and the browser find them by it)
and puts the data behind its charts into ``charts_data`` (ui.export.charts_data_button).
"""

from __future__ import annotations

from functools import partial

import numpy as np
import streamlit as st

from figures import explorer as figs
from normcore.explorer import Summary, recovering_affine
from normcore.snippet import Setup, pytorch_snippet
from ui import cached, explorer_backward
from ui import explorer_cache as cache
from ui import explorer_views as views
from ui.explorer_controls import Controls
from ui.export import show_chart
from ui.i18n import t


def sets(summary: Summary, ctl: Controls, follow: tuple, shape: tuple, charts_data: dict) -> None:
    """2. the small multiples and 3. the N x C x (H*W) block, under one heading."""
    n, c, h, w = shape
    # One heading over both charts (one element less on every slider move), explaining each.
    st.subheader(
        t("explorer.block_header"), help=t("explorer.multiples_help") + "\n\n" + t("explorer.block_help")
    )
    left, right = st.columns(2)
    with left:  # 2. small multiples
        multiples = cached.figure(figs.small_multiples, summary.group_before, summary.group_after,
                                  [t(f"explorer.group_title.{ctl.by}", i=g) for g in summary.groups],
                                  title=t(f"explorer.multiples_title.{ctl.by}"), labels=views.hist_labels())  # fmt: skip
        charts_data["multiples"] = partial(views.multiples_frame, summary)
        show_chart(multiples, key="multiples")
    with right:  # 3. the N x C x (H*W) block
        block = cached.figure(figs.set_block, summary.grid, summary.followed["set"], follow[:2],
                              title=t("explorer.block_title", hw=h * w), labels=views.block_labels())  # fmt: skip
        charts_data["block"] = partial(views.block_frame, summary.grid)
        show_chart(block, key="block", on_select=partial(views.block_clicked, summary.grid.shape),
                   selection_mode="points")  # fmt: skip
        if n > summary.grid.shape[0]:
            st.caption(t("explorer.block_rows", shown=summary.grid.shape[0], n=n))


def stats(summary: Summary, ctl: Controls, gamma: list[float], beta: list[float], follow: tuple,
          charts_data: dict) -> None:  # fmt: skip
    """4. the statistics used and 5. one element, step by step."""
    left, right = st.columns(2)
    with left:  # 4. the statistics used
        st.subheader(t("explorer.stats_header"), help=t("explorer.stats_help"))
        chart = cached.figure(figs.statistics, summary.set_ids, *views.stats_values(summary, ctl),
                              own_mean=summary.own_mean, own_var=summary.own_var,
                              title=views.stats_title(summary, ctl), labels=views.stats_labels(ctl))  # fmt: skip
        charts_data["stats"] = partial(views.stats_frame, summary, ctl)
        show_chart(chart, key="stats")
        views.stats_notes(summary, ctl)
    with right:  # 5. one element, step by step
        st.subheader(t("explorer.follow_header"), help=t("explorer.follow_help"))
        st.latex(views.follow_latex(summary.followed, ctl, gamma[follow[1]], beta[follow[1]]))
        st.caption(
            t("explorer.follow_caption", n=follow[0], c=follow[1], p=follow[2], s=summary.followed["set"])
        )


def downstream(layer: cache.Layer, summary: Summary, ctl: Controls, gamma: list[float], beta: list[float],
               upload: np.ndarray | None, charts_data: dict) -> None:  # fmt: skip
    """6. γ and β downstream: the histograms through the affine and the activation, and the γ/β table."""
    st.subheader(t("explorer.downstream_header"), help=t("explorer.downstream_help"))
    panels = [t("explorer.panel.x_hat"), t("explorer.panel.affine"), t(f"explorer.act.{ctl.activation}")]
    chart = cached.figure(figs.downstream, summary.downstream, panels, title=t("explorer.downstream_title"),
                          labels=views.hist_labels())  # fmt: skip
    charts_data["downstream"] = partial(views.downstream_frame, summary.downstream, panels)
    show_chart(chart, key="downstream")
    views.downstream_metrics(summary, ctl)
    views.gamma_beta_editor(
        gamma, beta, ctl, recovering_affine(cache.normalized(layer, upload)), summary.identity_error
    )


def worked(table: np.ndarray, ctl: Controls) -> None:
    """7. the worked example."""
    st.subheader(t("explorer.worked_header"), help=t("explorer.worked_help"))
    views.worked_example(table, ctl)


def backward(layer: cache.Layer, ctl: Controls, gamma: list[float], beta: list[float], follow: tuple,
             upload: np.ndarray | None, charts_data: dict) -> None:  # fmt: skip
    """8. the backward pass (ui/explorer_backward.py)."""
    setup = snippet_setup(layer, ctl, gamma, beta, follow)
    explorer_backward.show(layer, ctl, gamma, beta, follow, setup, upload, charts_data)


def code(layer: cache.Layer, summary: Summary, ctl: Controls, gamma: list[float], beta: list[float],
         follow: tuple, upload: np.ndarray | None) -> None:  # fmt: skip
    """9. the same numbers as PyTorch code, with the Backward view's loss when the link has up=."""
    st.subheader(t("explorer.code_header"), help=t("explorer.code_help"))
    setup = explorer_backward.code_setup(snippet_setup(layer, ctl, gamma, beta, follow))
    st.code(pytorch_snippet(setup), language="python")
    st.caption(t("explorer.code_caption", y=f"{summary.followed['y']:.6g}"))
    if setup.upstream:
        st.caption(explorer_backward.code_caption(layer, gamma, beta, setup, follow, upload))


def snippet_setup(layer: cache.Layer, ctl: Controls, gamma: list[float], beta: list[float],
                  follow: tuple) -> Setup:  # fmt: skip
    """What the PyTorch snippet rebuilds: ``layer`` with γ/β on its batch, and the followed element
    ``follow`` = (sample, channel, spatial position) as (sample, channel, row, column)."""
    return Setup(
        ctl.norm, layer.shape, layer.population, tuple(gamma), tuple(beta), training=ctl.training,
        num_groups=ctl.groups, eps=ctl.eps, momentum=ctl.momentum, warmup_batches=ctl.warmup,
        warmup_batch=layer.warmup_batch, r_max=ctl.r_max, d_max=ctl.d_max,
        upload_name=ctl.upload.name if ctl.upload else "activations.npy",
        follow=(follow[0], follow[1], *divmod(follow[2], layer.shape[3])),
    )  # fmt: skip
