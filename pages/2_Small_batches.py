import pandas as pd
import streamlit as st

from figures import small_batches as figs
from normcore import batch_stats as bs
from normcore import valid_group_counts
from ui.chrome import page_setup
from ui.export import show_chart
from ui.i18n import t
from ui.url import UrlCheck, choice

BAND_BATCHES = 200
NORM_NAMES = ["batch", "batch_renorm", "group", "layer"]

page_setup("small.title")
check = UrlCheck("small")
st.markdown(t("small.intro"))

with st.sidebar:
    b = int(
        choice(
            st.select_slider,
            t("small.b"),
            [str(s) for s in bs.BATCH_SIZES],
            key="b",
            default="4",
            labels=str,
            check=check,
            help=t("small.b_help"),
        )
    )
    batches = st.slider(
        t("small.batches"), 100, 5000, 2000, 100, key="k", bind="query-params", help=t("small.batches_help")
    )
    channel = st.slider(
        t("small.channel"), 0, bs.CHANNELS - 1, 0, key="ch", bind="query-params", help=t("small.channel_help")
    )
    example = st.number_input(
        t("small.example"),
        0,
        bs.POPULATION_SIZE - 1,
        0,
        key="ex",
        bind="query-params",
        help=t("small.example_help"),
    )
    groups = int(
        choice(
            st.selectbox,
            t("small.groups"),
            [str(g) for g in valid_group_counts(bs.CHANNELS)[1:-1]],
            key="g",
            default="2",
            labels=str,
            check=check,
            help=t("small.groups_help"),
        )
    )
    r_max = st.slider(
        t("small.r_max"), 1.0, 5.0, 1.5, 0.1, key="rmax", bind="query-params", help=t("small.r_max_help")
    )
    d_max = st.slider(
        t("small.d_max"), 0.0, 5.0, 0.5, 0.1, key="dmax", bind="query-params", help=t("small.d_max_help")
    )
    seed = st.number_input(
        t("small.seed"), 0, 9999, 0, key="seed", bind="query-params", help=t("small.seed_help")
    )
for key in ["k", "ch", "ex", "rmax", "dmax", "seed"]:
    check.check(key, st.session_state[key])
check.show()


@st.cache_data(max_entries=64)
def moments(seed: int, channel: int, b: int, batches: int):
    pop = bs.population(seed)
    measured = bs.batch_moments(pop, b, batches, channel, seed)
    return measured, bs.moments_summary(pop, batches, channel, seed)


@st.cache_data(max_entries=64)
def bands(seed: int, channel: int, example: int, groups: int, r_max: float, d_max: float):
    values = bs.example_bands(
        bs.population(seed),
        example,
        channel,
        BAND_BATCHES,
        num_groups=groups,
        r_max=r_max,
        d_max=d_max,
        seed=seed,
    )
    return {norm: bs.band_summary(v) for norm, v in values.items()}


# ---- A. batch statistics are estimates
st.header(t("small.moments_header"))
st.markdown(t("small.moments_text"))
measured, summary = moments(seed, channel, b, batches)
theory = bs.moment_theory(summary["population_mean"], summary["population_var"], b)
mean_hist, var_hist = bs.moment_histograms(measured, theory, summary["population_var"])
fig = figs.moment_histograms(
    mean_hist,
    var_hist,
    theory_mean=theory["mean"],
    theory_mean_sd=theory["mean_sd"],
    population_var=summary["population_var"],
    expected_var=theory["var"],
    title=t("small.moments_title", b=b, k=batches),
    labels={
        "mean_title": t("small.mean_title"),
        "var_title": t("small.var_title"),
        "measured": t("small.measured"),
        "theory": t("small.theory_mean"),
        "population_var": t("small.population_var"),
        "expected_var": t("small.expected_var"),
        "y": t("common.density"),
    },
)
show_chart(
    fig,
    key="moments",
    data=pd.DataFrame({"batch_mean": measured.means, "batch_var_biased": measured.variances}),
)
cols = st.columns(4)
cols[0].metric(t("small.metric_sd"), f"{measured.means.std():.4f}", help=t("small.metric_sd_help"))
cols[1].metric(t("small.metric_sd_theory"), f"{theory['mean_sd']:.4f}", help=t("small.metric_sd_theory_help"))
cols[2].metric(t("small.metric_var"), f"{measured.variances.mean():.4f}", help=t("small.metric_var_help"))
cols[3].metric(
    t("small.metric_var_theory"), f"{theory['var']:.4f}", help=t("small.metric_var_theory_help", b=b)
)
fig = figs.moments_vs_batch_size(
    summary,
    title=t("small.summary_title"),
    labels={
        "sd_title": t("small.sd_title"),
        "var_title": t("small.var_mean_title"),
        "measured": t("small.measured"),
        "theory": t("small.theory"),
        "population_var": t("small.population_var"),
        "x": t("small.x_batch"),
    },
)
table = {k: v for k, v in summary.items() if isinstance(v, list)}
show_chart(fig, key="summary", data=pd.DataFrame(table))

# ---- A. one example, many batches
st.header(t("small.bands_header"))
st.markdown(t("small.bands_text", n=BAND_BATCHES))
summaries = bands(seed, channel, example, groups, r_max, d_max)
names = {norm: t(f"small.norm.{norm}", g=groups) for norm in NORM_NAMES}
fig = figs.example_bands(
    bs.BATCH_SIZES,
    summaries,
    title=t("small.bands_title", ex=example, ch=channel),
    names=names,
    labels={"x": t("small.x_batch"), "y": t("small.y_normalized")},
)
rows = [
    {"norm": norm, "batch_size": size, **{q: band[q][i] for q in ("low", "median", "high")}}
    for norm, band in summaries.items()
    for i, size in enumerate(bs.BATCH_SIZES)
]
show_chart(fig, key="bands", data=pd.DataFrame(rows))
st.caption(t("small.bands_caption"))

# ---- A. a batch of one
st.header(t("small.one_header"))
one = bs.batch_of_one()
st.markdown(t("small.one_text"))
st.code(f"F.batch_norm(x, None, None, training=True)   # x.shape == (1, 4)\nValueError: {one['flat_error']}")
st.markdown(t("small.one_image" if one["equals_instance_norm"] else "small.one_image_differs"))
