"""Explorer: pick a normalization and see exactly what it does to a batch.

URL keys (every one optional; the default in brackets). The bar above the chart holds norm, mode, g and
view (first row), n, ga and be (second row); the sidebar the rest. A key whose control does not apply is
dropped from the link.
  norm   batch | layer | instance | group | rms | batch_renorm | none [batch]
  mode   train | eval [train]
  src    synthetic | photo | digits | upload [synthetic]   (an upload itself is session-only)
  dist   normal | uniform | skewed | heavy | outliers [normal]
  off    spread of per-channel means, 0-5 [2.0]        spr  spread of per-channel log-scales, 0-1.5 [0.5]
  seed   0-9999 [0]
  n      batch size N, 1-256 [16]: the bar offers 1, 2, 4, ..., 256; a link's other N is kept and offered
  c      channels C, 1-64 [8]   hw  H = W, 1-32 [8]   (N*C*H*W is capped)
  g      groups G, a divisor of C [2, or 1 when 2 does not divide C]; group norm only
  eps    1e-08 | 1e-05 | 0.001 | 0.01 | 0.1 | 1.0 [1e-05]; not with norm=none
  mom    momentum, 0.01-1 [0.1]     wb  warm-up training batches, 0-100 [20]: only where running
         statistics are read (batch norm in eval mode, Batch Renorm)
  rmax   Batch Renorm's r_max, 1-5 [3.0]     dmax  its d_max, 0-10 [5.0]: Batch Renorm only
  ga, be global γ and β, -3-3 [1.0, 0.0]
  gc, bc per-channel γ and β as comma lists of C numbers (override ga, be; dropped when these move)
  fn, fc, fp  the followed element: sample, channel, spatial position (row-major) [0, 0, 0]
  act    relu | sigmoid | tanh [relu]     sm  set | channel | sample: what the small multiples split by [set]
  we     the worked example's rows, e.g. 1,2;3,4;5,6;7,8 [that]
  wr     how many rows the worked example's table has, 1-16 [the rows of we]: the table has a fixed
         size (a client cannot add rows to it); more rows are added as zeros, fewer cut from the end
  view   sets | stats | downstream | worked | backward | code: the view under the histogram [sets]
  up     backward view: the loss giving dL/dy, class | zero | input | random [class]
         (class: channel fc is the right class; the code view adds the backward pass when up= is set)
  ex     backward view: the example whose upstream gradient changes, 0 to N-1 [0]
  exf    backward view: the factor on that example's upstream gradient, 0 | 2 | 10 | -1 [2]
  si     backward view: the scale-invariance section open, true | false [true when the link has sa=, else false]
  sa     backward view: the weight scale a of the scale-invariance section, 0.01 ... 100 [1]

The histogram of the whole batch is always drawn; of the other views (ui/explorer_sections.py) only the
chosen one runs, so a slider move pays for what is on screen (docs/benchmarks.md, Explorer). Each bar row
is an st.fragment around what it drives: a change of N, γ or β reruns the second row and the charts; of
the norm, the mode, G or the view both rows; neither reruns the sidebar and the page chrome.
"""

from functools import partial

import streamlit as st

from figures import histograms
from normcore.explorer import pytorch_refusal
from ui import cached, tour
from ui import explorer_cache as cache
from ui import explorer_sections as sections
from ui import explorer_views as views
from ui.chrome import page_setup
from ui.explorer_controls import (
    Controls,
    Inputs,
    LayerChoice,
    batch_bar,
    followed_in,
    fragment_check,
    layer_bar,
    per_channel,
    sidebar,
)
from ui.export import charts_data_button, show_chart
from ui.i18n import t
from ui.url import UrlCheck

page_setup("explorer.title")
st.caption(t("explorer.intro"))
side_check = UrlCheck("explorer")
side = sidebar(side_check)
side_check.show()


@st.fragment
def stage(side: Inputs) -> None:
    """The bar's first row (the layer) and everything under it: a change there reruns this, not the sidebar."""
    check = fragment_check("explorer")
    charts_data = {}  # the data behind the charts on screen, refilled by every run of batch_stage
    with st.container(key="nc_stage_layer", horizontal=True, vertical_alignment="bottom"):
        choice = layer_bar(side, check)
        view = views.view_choice(check)
        charts_data_button(charts_data, key="explorer")
    check.show()
    batch_stage(side, choice, view, charts_data)


@st.fragment
def batch_stage(side: Inputs, choice: LayerChoice, view: str, charts_data: dict) -> None:
    """The bar's second row (N, γ, β) and the charts: a move there reruns only this."""
    charts_data.clear()
    check = fragment_check("explorer")
    with st.container(key="nc_stage", horizontal=True, vertical_alignment="bottom"):
        ctl = batch_bar(side, choice, check)
    shape, source, upload = views.batch_source(ctl, check)
    n, c, h, w = shape
    follow = followed_in(side.follow, n, check)
    gamma = per_channel("gc", c, ctl.gamma, check)
    beta = per_channel("bc", c, ctl.beta, check)
    worked_table = views.worked_table(check)
    refusal = None if shape == views.NO_BATCH else pytorch_refusal(shape, ctl.norm, ctl.groups, ctl.training)
    check.show()
    views.batch_of_one(shape, ctl, refusal)
    if shape == views.NO_BATCH or refusal:
        return  # waiting for an upload, the upload was refused, or PyTorch refuses (each says why)

    layer = cache.Layer(shape, source, ctl.norm, ctl.groups, ctl.training, ctl.eps, ctl.momentum, ctl.warmup,
                        ctl.r_max, ctl.d_max)  # fmt: skip
    parts = views.SUMMARY_PARTS.get(view, ())
    summary = cache.summary(
        layer, tuple(gamma), tuple(beta), ctl.activation, ctl.by, follow, parts, _upload=upload
    )
    # The whole batch's histogram first; on a tour step that opens another view, that view first (the
    # step's narration talks about it, and in presenter mode it is then on the first screen).
    on_tour = tour.step_at(st.query_params.get(tour.ON_PAGE_PARAM)) is not None
    if on_tour and view != views.VIEWS[0]:
        chosen_view(view, layer, summary, ctl, gamma, beta, follow, upload, worked_table, charts_data)
        whole_batch(summary, ctl, shape, charts_data)
    else:
        whole_batch(summary, ctl, shape, charts_data)
        chosen_view(view, layer, summary, ctl, gamma, beta, follow, upload, worked_table, charts_data)


def whole_batch(summary, ctl: Controls, shape: tuple[int, int, int, int], charts_data: dict) -> None:
    """1. The histogram of the whole batch, before and after."""
    n, c, h, w = shape
    norm_name = t(f"explorer.norm.{ctl.norm}")
    before_after = cached.figure(histograms.before_after, summary.before, summary.after, labels=views.hist_labels(),
                                 title=t("explorer.hist_title", norm=norm_name))  # fmt: skip
    charts_data["hist"] = partial(views.hist_frame, summary.before, summary.after)
    show_chart(before_after, key="hist")
    st.caption(t("explorer.hist_caption", shape=f"{n} × {c} × {h} × {w}", count=f"{n * c * h * w:,}"))


def chosen_view(view: str, layer, summary, ctl: Controls, gamma, beta, follow, upload, worked_table,
                charts_data: dict) -> None:  # fmt: skip
    """2.-9. The view chosen in the bar (only it runs), one function each in ui/explorer_sections.py."""
    if view == "sets":  # 2. small multiples, 3. the N x C x (H*W) block
        sections.sets(summary, ctl, follow, layer.shape, charts_data)
    elif view == "stats":  # 4. the statistics used, 5. one element, step by step
        sections.stats(summary, ctl, gamma, beta, follow, charts_data)
    elif view == "downstream":  # 6. gamma and beta downstream
        sections.downstream(layer, summary, ctl, gamma, beta, upload, charts_data)
    elif view == "worked":  # 7. the worked example
        sections.worked(worked_table, ctl)
    elif view == "backward":  # 8. the backward pass
        sections.backward(layer, ctl, gamma, beta, follow, upload, charts_data)
    else:  # 9. as PyTorch code
        sections.code(layer, summary, ctl, gamma, beta, follow, upload)


stage(side)
