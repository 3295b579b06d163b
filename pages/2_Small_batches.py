import pandas as pd
import streamlit as st

from figures import small_batches as figs
from normcore import batch_stats as bs
from normcore import valid_group_counts
from normcore.experiments import gn_batch
from ui import cached, gn_recompute
from ui import small_batches_page as sb
from ui.chrome import page_setup, stage_bar
from ui.export import show_chart
from ui.i18n import t
from ui.url import UrlCheck, number_choice

BAND_BATCHES = 200
GROUPS = 2  # default G of the bands: 4 features a group (at G = 4, two a group, every value is about ±1)
NEAR_ONE = 0.01  # "within 0.01 of ±1" in the bands' caption
NORM_NAMES = ["batch", "batch_renorm", "group", "layer"]

page_setup("small.title")
check = UrlCheck("small")
notices = st.container()  # filled once every control has been checked
st.markdown(t("small.intro"))

# The population: shared by the two live sections below.
left, right = stage_bar("", 2)
channel = left.slider(
    t("small.channel"), 0, bs.CHANNELS - 1, 0, key="ch", bind="query-params", help=t("small.channel_help")
)
seed = right.number_input(
    t("small.seed"), 0, 9999, 0, key="seed", bind="query-params", help=t("small.seed_help")
)

# ---- A. batch statistics are estimates
st.header(t("small.moments_header"))
st.markdown(t("small.moments_text"))
left, right = stage_bar("moments", 2)
b = number_choice(
    left.select_slider, t("small.b"), bs.BATCH_SIZES, key="b", default=4, check=check, help=t("small.b_help")
)
batches = right.slider(
    t("small.batches"), 100, 5000, 2000, 100, key="k", bind="query-params", help=t("small.batches_help")
)
measured, summary = sb.moments(seed, channel, b, batches)
theory = bs.moment_theory(summary["population_mean"], summary["population_var"], b)
mean_hist, var_hist = bs.moment_histograms(measured, theory, summary["population_var"])
fig = cached.figure(
    figs.moment_histograms,
    mean_hist,
    var_hist,
    theory=theory,
    population_var=summary["population_var"],
    title=t("small.moments_title", b=b, k=batches),
    labels=sb.moment_labels(),
)
show_chart(fig, key="moments", data=pd.DataFrame(bs.moments_table(measured)))
sb.show_metrics(measured, theory, b)
fig = cached.figure(
    figs.moments_vs_batch_size, summary, title=t("small.summary_title"), labels=sb.summary_labels()
)
show_chart(fig, key="summary", data=pd.DataFrame(bs.summary_table(summary)))

# ---- A. one example, many batches
st.header(t("small.bands_header"))
st.markdown(t("small.bands_text", n=BAND_BATCHES))
columns = stage_bar("bands", 4)
example = columns[0].number_input(
    t("small.example"),
    0,
    bs.POPULATION_SIZE - 1,
    0,
    key="ex",
    bind="query-params",
    help=t("small.example_help"),
)
groups = number_choice(
    columns[1].selectbox,
    t("small.groups"),
    valid_group_counts(bs.CHANNELS)[1:-1],
    key="g",
    default=GROUPS,
    check=check,
    help=t("small.groups_help", features=bs.CHANNELS),
)
r_max = columns[2].slider(
    t("small.r_max"), 1.0, 5.0, 1.5, 0.1, key="rmax", bind="query-params", help=t("small.r_max_help")
)
d_max = columns[3].slider(
    t("small.d_max"), 0.0, 5.0, 0.5, 0.1, key="dmax", bind="query-params", help=t("small.d_max_help")
)
summaries = sb.bands(seed, channel, example, groups, r_max, d_max, BAND_BATCHES)
names = {norm: t(f"small.norm.{norm}", g=groups) for norm in NORM_NAMES}
fig = cached.figure(
    figs.example_bands,
    bs.BATCH_SIZES,
    summaries,
    title=t("small.bands_title", ex=example, ch=channel),
    names=names,
    labels={"x": t("small.x_batch"), "y": t("small.y_normalized")},
)
show_chart(fig, key="bands", data=pd.DataFrame(bs.bands_table(summaries)))
st.caption(t("small.bands_caption"))
share = sb.near_one_share(seed, bs.CHANNELS // 2, NEAR_ONE)
st.caption(sb.groups_caption(groups, GROUPS, share, NEAR_ONE))

# ---- A. a batch of one
st.header(t("small.one_header"))
one = bs.batch_of_one()
st.markdown(t("small.one_text"))
st.code(f"F.batch_norm(x, None, None, training=True)   # x.shape == (1, 4)\nValueError: {one['flat_error']}")
st.markdown(t("small.one_image" if one["equals_instance_norm"] else "small.one_image_differs"))

# ---- D. the Group Normalization paper's Figure 1: shipped, or this viewer's own recomputation
st.header(t("small.gn_header"))
shipped = gn_batch.load()
sweep, own = gn_recompute.shown(shipped)
protocol = gn_batch.Protocol(**sweep["protocol"])
shown_seeds = gn_batch.seed_count(sweep)
st.markdown(t("small.gn_text", g=protocol.num_groups, epochs=protocol.epochs, seeds=shown_seeds))
summary = gn_batch.summarize(sweep["runs"])
fig = cached.figure(
    figs.error_vs_batch_size,
    summary,
    gn_batch.batch_sizes(sweep),
    title=t("small.gn_title"),
    names={norm: t(f"small.norm.{norm}", g=protocol.num_groups) for norm in summary},
    labels=gn_recompute.chart_labels(),
)
show_chart(fig, key="gn_chart", data=pd.DataFrame(sweep["runs"]))
st.caption(gn_recompute.provenance(sweep, own))
st.markdown(gn_recompute.comparison(summary, shown_seeds))
with st.container(key="nc_stage_gn", border=True):
    seeds = st.columns([1, 2])[0].slider(
        t("small.seeds"), 2, 5, 2, key="seeds", bind="query-params", help=t("small.seeds_help")
    )
    gn_recompute.panel(seeds, shipped)
for key in ["k", "ch", "ex", "rmax", "dmax", "seeds", "seed"]:
    check.check(key, st.session_state[key])
with notices:
    check.show()
