"""The Explorer's stage as Streamlit draws it, without the Explorer's work: what its content alone costs.

Served by ``python benchmarks/bench_explorer.py --floor``. The same two fragments, rows, widgets (labels, help,
options), charts and texts as the Explorer's default view at its default settings (the sidebar's layer
settings included, drawn from the first fragment as the Explorer draws them), with the three figures made
once and handed over as the Explorer hands a cached figure. A change reruns a fragment as on the Explorer.

``?work=figures``: a γ or β move also computes the summary and the two figures that depend on γ/β, through
the Explorer's own caches (``ui.explorer_cache``, ``ui.cached``), so the floor plus the computation is
measured apart from the rest of the Explorer's code.
"""

from dataclasses import astuple

import streamlit as st

from figures import explorer as figs
from figures import histograms
from normcore.explorer import Population
from normcore.teaching import NORMS
from ui import cached
from ui import explorer_cache as cache
from ui import explorer_views as views
from ui.i18n import t

BATCH = ("synthetic", "normal", 2.0, 0.5, 0)  # the Explorer's default batch: source, dist, off, spr, seed
SHAPE = (16, 8, 8, 8)


def figures(gamma: float, beta: float) -> tuple:
    """The whole-batch histogram, the small multiples and the block at the default settings."""
    layer = cache.Layer(SHAPE, astuple(Population(*BATCH)), "batch", 2, True, 1e-5,
                        0.1, 20, 3.0, 5.0)  # fmt: skip
    summary = cache.summary(layer, (gamma,) * SHAPE[1], (beta,) * SHAPE[1], "relu", "set", (0, 0, 0),
                            ("multiples",))  # fmt: skip
    labels = views.hist_labels()
    return (
        cached.figure(histograms.before_after, summary.before, summary.after, labels=labels,
                      title=t("explorer.hist_title", norm=t("explorer.norm.batch"))),
        cached.figure(figs.small_multiples, summary.group_before, summary.group_after,
                      [t("explorer.group_title.set", i=g) for g in summary.groups],
                      title=t("explorer.multiples_title.set"), labels=labels),
        cached.figure(figs.set_block, summary.grid, summary.followed["set"], (0, 0),
                      title=t("explorer.block_title", hw=SHAPE[2] * SHAPE[3]), labels=views.block_labels()),
    )  # fmt: skip


MADE_ONCE = figures(1.0, 0.0)
WORK = st.query_params.get("work") == "figures"
settings_box = st.sidebar.container()


def labelled(key: str):
    return lambda code: t(f"explorer.{key}.{code}")


@st.fragment
def stage() -> None:
    with st.container(key="nc_stage_layer", horizontal=True, vertical_alignment="bottom"):
        st.selectbox(t("explorer.norm"), list(NORMS), key="norm", format_func=labelled("norm"),
                     help=t("explorer.norm_help"), width=200)  # fmt: skip
        st.segmented_control(t("explorer.mode"), ["train", "eval"], key="mode", format_func=labelled("mode"),
                             help=t("explorer.mode_help"), required=True, default="train")  # fmt: skip
        st.segmented_control(t("explorer.view"), views.VIEWS, key="view", format_func=labelled("view"),
                             help=t("explorer.view_help"), required=True, default="sets")  # fmt: skip
        st.download_button(t("common.download_charts_csv"), b"", file_name="normcore-explorer.zip",
                           key="explorer_csv", help=t("common.download_charts_csv_help"),
                           icon=":material/download:", on_click="ignore", type="tertiary")  # fmt: skip
    with settings_box:
        st.subheader(t("explorer.layer_header"))
        st.select_slider(t("explorer.eps"), ["1e-08", "1e-05", "0.001", "0.01", "0.1", "1.0"], value="1e-05",
                         key="eps", help=t("explorer.eps_help"))  # fmt: skip
    batch_stage()


@st.fragment
def batch_stage() -> None:
    with st.container(key="nc_stage", horizontal=True, vertical_alignment="bottom"):
        st.segmented_control(t("explorer.batch"), ["1", "2", "4", "8", "16", "32", "64", "128", "256"], key="n",
                             default="16", required=True, help=t("explorer.batch_help"))  # fmt: skip
        gamma = st.slider(t("explorer.gamma"), -3.0, 3.0, 1.0, 0.05, key="ga", help=t("explorer.gamma_help"),
                          width=220)  # fmt: skip
        beta = st.slider(t("explorer.beta"), -3.0, 3.0, 0.0, 0.05, key="be", help=t("explorer.beta_help"),
                         width=220)  # fmt: skip
    whole, multiples, block = figures(gamma, beta) if WORK else MADE_ONCE
    st.plotly_chart(cached.sendable(whole), key="hist")
    st.caption(t("explorer.hist_caption", shape=" × ".join(map(str, SHAPE)), count="8,192"))
    st.subheader(
        t("explorer.block_header"), help=t("explorer.multiples_help") + "\n\n" + t("explorer.block_help")
    )
    left, right = st.columns(2)
    with left:
        st.plotly_chart(cached.sendable(multiples), key="multiples")
    with right:
        st.plotly_chart(cached.sendable(block), key="block", on_select="rerun", selection_mode="points")


stage()
