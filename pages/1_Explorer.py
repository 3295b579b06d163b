import numpy as np
import pandas as pd
import streamlit as st

from figures import histograms
from normcore import batch_norm, explain, valid_group_counts
from normcore.data import synthetic_activations
from normcore.stats import histogram, value_range
from ui.chrome import page_setup
from ui.export import show_chart
from ui.i18n import t
from ui.url import UrlCheck, choice

CHANNELS = 8
NORMS = ["batch", "layer", "instance", "group"]
WARMUP_BATCHES = 20

page_setup("explorer.title")
check = UrlCheck("explorer")

with st.sidebar:
    norm = choice(
        st.selectbox,
        t("explorer.norm"),
        NORMS,
        key="norm",
        labels=lambda k: t(f"explorer.norm.{k}"),
        check=check,
        help=t("explorer.norm_help"),
    )
    n = st.slider(t("explorer.batch"), 1, 64, 16, key="n", bind="query-params", help=t("explorer.batch_help"))
    size = st.slider(t("explorer.size"), 1, 8, 4, key="hw", bind="query-params", help=t("explorer.size_help"))
    groups = int(
        choice(
            st.selectbox,
            t("explorer.groups"),
            [str(g) for g in valid_group_counts(CHANNELS)],
            key="g",
            default="2",
            labels=str,
            check=check,
            help=t("explorer.groups_help"),
            disabled=norm != "group",
        )
    )
    mode = choice(
        st.radio,
        t("explorer.mode"),
        ["train", "eval"],
        key="mode",
        labels=lambda k: t(f"explorer.mode.{k}"),
        check=check,
        horizontal=True,
        help=t("explorer.mode_help"),
    )
    seed = st.number_input(
        t("explorer.seed"), 0, 9999, 0, key="seed", bind="query-params", help=t("explorer.seed_help")
    )
for key, value in [("n", n), ("hw", size), ("seed", seed)]:
    check.check(key, value)
check.show()


@st.cache_data(max_entries=128)
def normalized_histograms(norm: str, n: int, size: int, groups: int, training: bool, seed: int):
    """Histograms of one seeded batch before and after ``norm``, on a shared range."""
    x = synthetic_activations(n, CHANNELS, size, size, seed=seed)
    running_mean, running_var = warmed_up_running_stats(size, seed)
    result = explain(
        x,
        norm,
        num_groups=groups,
        training=training,
        running_mean=running_mean,
        running_var=running_var,
    )
    bins = value_range(x, result.output)
    return histogram(x, 50, bins), histogram(result.output, 50, bins)


def warmed_up_running_stats(size: int, seed: int):
    """Running statistics after WARMUP_BATCHES training batches of 32 from the same population."""
    running_mean, running_var = np.zeros(CHANNELS), np.ones(CHANNELS)
    for batch in range(1, WARMUP_BATCHES + 1):
        x = synthetic_activations(32, CHANNELS, size, size, seed=seed, batch=batch)
        batch_norm(x, running_mean, running_var, training=True)
    return running_mean, running_var


try:
    before, after = normalized_histograms(norm, n, size, groups, mode == "train", seed)
except ValueError as error:
    st.warning(t("explorer.invalid", error=str(error)), icon=":material/warning:")
else:
    labels = {
        "before": t("common.before"),
        "after": t("common.after"),
        "reference": t("common.standard_normal"),
        "x": t("common.value"),
        "y": t("common.density"),
    }
    title = t("explorer.hist_title", norm=t(f"explorer.norm.{norm}"))
    data = pd.DataFrame(
        {
            "bin_low": before.edges[:-1],
            "bin_high": before.edges[1:],
            "before": before.counts,
            "after": after.counts,
        }
    )
    show_chart(histograms.before_after(before, after, title=title, labels=labels), key="hist", data=data)
    if mode == "eval" and norm != "batch":
        st.caption(t("explorer.eval_same", norm=t(f"explorer.norm.{norm}")))
