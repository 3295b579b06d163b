from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from figures import images as image_figures
from figures import style
from figures import weights as figures
from normcore import functional as F
from normcore import images as I
from normcore import weights as W
from normcore.stats import histogram, value_range
from ui.cached import figure
from ui.chrome import page_setup, stage_bar
from ui.export import show_chart
from ui.i18n import t
from ui.url import UrlCheck, bound_number

CHANNELS = 12
STRETCH_SAMPLES = 2000

page_setup("weights.title")
check = UrlCheck("weights")
number = partial(bound_number, check=check, catalog="weights")
notices = st.container()  # filled once every control has been checked
st.markdown(t("weights.intro"))


@st.cache_data(max_entries=32, show_spinner=False)
def standardization(drift: float, seed: int):
    """Raw and standardized filters, the conv output statistics on the sample photos for both, and
    the standardized output's per-channel means away from the border."""
    raw, names = W.trained_like_filters(CHANNELS, 3, drift, seed)
    standardized = F.weight_standardization(raw, eps=W.WS_EPS)
    photos = np.stack(list(I.sample_photos().values()))
    return (
        raw,
        standardized,
        names,
        W.conv_output_stats(photos, raw),
        W.conv_output_stats(photos, standardized),
        W.interior_output_means(photos, standardized),
    )


@st.cache_data(max_entries=64, show_spinner=False)
def spectral(rows: int, cols: int, decay: float, iterations: int, seed: int):
    """Power iteration's estimates, both spectra, and the stretch factors before and after."""
    matrix = W.random_matrix(rows, cols, decay, seed)
    trace = W.power_iteration_trace(matrix, iterations, seed)
    normalized = matrix / trace[-1]  # what spectral_norm returns after these iterations
    stretch = (
        W.stretch_factors(matrix, STRETCH_SAMPLES, seed),
        W.stretch_factors(normalized, STRETCH_SAMPLES, seed),
    )
    return trace, W.singular_values(matrix), W.singular_values(normalized), stretch


st.header(t("weights.ws_header"))
st.markdown(t("weights.ws_intro"))
# Each section's controls stand above its charts in every mode (presenter, phone), in containers keyed
# nc_stage... that the presenter CSS can find; the seed (both sections) sits with the first.
left, right = stage_bar("", [4, 1])
drift = number(left.slider, "drift", 0.0, 1.0, 0.5, 0.05, key="drift")
seed = number(right.number_input, "seed", 0, 9999, 0, key="seed")
raw, standardized, names, raw_stats, ws_stats, ws_interior = standardization(drift, seed)
channels = [
    t("images.filter.random", index=n[7:]) if n.startswith("random") else t(f"images.filter.{n}")
    for n in names
]
labels = {"before": t("weights.raw"), "after": t("weights.standardized"), "y": t("weights.weight_value")}
fig = figure(
    figures.weight_distributions,
    raw.reshape(CHANNELS, -1),
    standardized.reshape(CHANNELS, -1),
    channels,
    title=t("weights.ws_title"),
    labels=labels,
)
rows = [
    {"channel": name, "index": i, "raw": r, "standardized": s}
    for name, raw_row, ws_row in zip(
        names, raw.reshape(CHANNELS, -1), standardized.reshape(CHANNELS, -1), strict=True
    )
    for i, (r, s) in enumerate(zip(raw_row, ws_row, strict=True))
]
show_chart(fig, key="ws_weights", data=pd.DataFrame(rows))
mean, std = W.per_channel_stats(standardized)
st.markdown(
    t("weights.ws_check", mean=float(np.abs(mean).max()), low=float(std.min()), high=float(std.max()))
)

series = {t("weights.raw"): raw_stats, t("weights.standardized"): ws_stats}
stats_labels = {"mean": t("images.mean"), "std": t("images.std"), "x": t("images.channel")}
fig = figure(
    image_figures.channel_stats,
    series,
    channels,
    title=t("weights.output_title"),
    labels=stats_labels,
    colours=[style.BEFORE, style.AFTER],
)
data = pd.DataFrame(
    {
        "channel": names,
        "raw_mean": raw_stats[0],
        "raw_std": raw_stats[1],
        "ws_mean": ws_stats[0],
        "ws_std": ws_stats[1],
    }
)
show_chart(fig, key="ws_output", data=data)
st.caption(t("weights.output_caption", low=float(ws_interior.min()), high=float(ws_interior.max())))

st.header(t("weights.sn_header"))
st.markdown(t("weights.sn_intro"))
left, middle, right = stage_bar("sn", 3)
out_features = number(left.slider, "rows", 2, 64, 16, key="out")
in_features = number(left.slider, "cols", 2, 64, 32, key="in")
decay = number(middle.slider, "decay", 0.0, 0.5, 0.02, 0.01, key="decay")
iterations = number(right.slider, "iterations", 1, 100, 5, key="iters")
with notices:
    check.show()

trace, sigma_before, sigma_after, (stretch_before, stretch_after) = spectral(
    out_features, in_features, decay, iterations, seed
)
exact = float(sigma_before[0])
st.markdown(
    t("weights.sn_check", steps=iterations, estimate=trace[-1], exact=exact, error=1 - trace[-1] / exact)
)
labels = {"estimate": t("weights.estimate"), "exact": t("weights.exact"), "x": t("weights.step"), "y": "σ"}
fig = figure(figures.power_iteration, trace, exact, title=t("weights.power_title"), labels=labels)
show_chart(
    fig,
    key="power",
    data=pd.DataFrame({"step": np.arange(1, iterations + 1), "estimate": trace, "exact": exact}),
)

labels = {
    "before": t("weights.sn_before"),
    "after": t("weights.sn_after"),
    "x": t("weights.rank"),
    "y": t("weights.singular"),
}
title = t("weights.spectrum_title", largest=float(sigma_after[0]))
fig = figure(figures.spectrum, sigma_before, sigma_after, title=title, labels=labels)
show_chart(fig, key="spectrum", data=pd.DataFrame({"before": sigma_before, "after": sigma_after}))

bins = value_range(stretch_before, stretch_after, np.array([0.0, exact]))
hist_before, hist_after = histogram(stretch_before, 60, bins), histogram(stretch_after, 60, bins)
labels = {
    "before": t("weights.sn_before"),
    "after": t("weights.sn_after"),
    "bound_before": t("weights.bound", sigma=exact),
    "bound_after": t("weights.bound", sigma=float(sigma_after[0])),
    "x": t("weights.stretch_x"),
    "y": t("common.count"),
}
fig = figure(
    figures.stretch,
    hist_before,
    hist_after,
    (exact, float(sigma_after[0])),
    title=t("weights.stretch_title"),
    labels=labels,
)
data = pd.DataFrame(
    {
        "bin_low": hist_before.edges[:-1],
        "bin_high": hist_before.edges[1:],
        "before": hist_before.counts,
        "after": hist_after.counts,
    }
)
show_chart(fig, key="stretch", data=data)
st.markdown(
    t(
        "weights.stretch_check",
        before=float(stretch_before.max()),
        after=float(stretch_after.max()),
        bound=float(sigma_after[0]),
    )
)
