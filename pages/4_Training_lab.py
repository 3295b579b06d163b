import streamlit as st

from figures import training as charts
from normcore import lab, saturation
from normcore.training import TrainConfig
from ui import lab_page, live
from ui.chrome import page_setup
from ui.export import show_chart
from ui.i18n import t
from ui.url import UrlCheck, bound_number, choice

VIEWS = list(lab.VIEWS)
SWEEPS = lab.SWEEPS  # the views that sweep a setting

page_setup("lab.title")
check = UrlCheck("lab")


def number(widget, key: str, *bounds, **kwargs):
    """A slider or number input kept in the URL as ``key``, labelled and explained by ``lab.<key>``."""
    return bound_number(widget, key, *bounds, key=key, check=check, catalog="lab", **kwargs)


# On the page in every mode (presenter, phone): the experiment, then its settings, in a container keyed
# nc_stage that the presenter CSS can find. Every control runs on every view (disabled where it does not
# apply), so that each keeps its value in the link.
with st.container(key="nc_stage", border=True):
    view = choice(
        st.radio,
        t("lab.view"),
        VIEWS,
        key="view",
        labels=lambda k: t(f"lab.view.{k}"),
        check=check,
        horizontal=True,
        help=t("lab.view_help"),
    )
    columns = st.columns(6)
    activation = choice(
        columns[0].selectbox,
        t("lab.act"),
        ["sigmoid", "tanh", "relu"],
        key="act",
        labels=lambda k: t(f"lab.act.{k}"),
        check=check,
        help=t(
            "lab.act_help",
            share=f"{saturation.SLOPE_SHARE:.0%}",
            sigmoid=f"{saturation.sigmoid_edge():.2f}",
            tanh=f"{saturation.tanh_edge():.2f}",
        ),
    )
    depth = number(columns[1].slider, "depth", 1, 6, 3)
    width = number(columns[2].slider, "width", 20, 200, 100, 20)
    batch = number(columns[3].slider, "bs", 2, 256, 60)
    steps = number(columns[4].slider, "steps", 100, 5000, 3000, 100, disabled=view in SWEEPS)
    sweep_steps = number(columns[5].slider, "ssteps", 100, 1000, 500, 100, disabled=view not in SWEEPS)
    columns = st.columns([1, 1, 1, 1, 2])  # the weight decay switch's label needs two widths
    init = number(columns[0].number_input, "init", 0.001, 10.0, 0.1, format="%.3f", disabled=view == "init")
    lr = number(columns[1].number_input, "lr", 0.001, 10.0, 0.5, format="%.3f", disabled=view == "lr")
    dropout = number(columns[2].slider, "drop", 0.1, 0.8, lab.DROPOUT, 0.05, disabled=view != "dropout")
    seed = number(columns[3].number_input, "seed", 0, 9999, 0)
    decay = columns[4].toggle(
        t("lab.wd", wd=lab.WEIGHT_DECAY),
        key="wd",
        bind="query-params",
        disabled=view not in SWEEPS,
        help=t("lab.wd_help", wd=lab.WEIGHT_DECAY),
    )
    check.check("wd", decay)
check.show()

base = TrainConfig(
    activation=activation,
    depth=depth,
    width=width,
    init_scale=init,
    lr=lr,
    batch_size=batch,
    seed=int(seed),
    eval_every=max(steps // 60, 10),
    weight_decay=lab.WEIGHT_DECAY if decay and view in SWEEPS else 0.0,
)
configs = lab.view_configs(view, base, steps, sweep_steps, dropout)
st.markdown(t(f"lab.about.{view}", share=f"{saturation.SLOPE_SHARE:.0%}"))
if view in SWEEPS:
    st.markdown(t("lab.scale_how"))
names = lab_page.run_names()
results = live.run(configs, lab_page.live_drawer(view, names), page=view)
if results is not None:
    at = lab_page.pick_evaluation(results)  # the inside views: one of the steps every run recorded
    for key, fig, data in charts.view_charts(view, results, t, names, at):
        show_chart(fig, key=key, data=data)
    if view in ("fig1", "place"):
        lab_page.reach_table(results, names)
    if view == "fig1":
        st.caption(lab_page.fig1_caption(lab.figure1_summary(results), activation))
    if view == "inside" and (inside := lab.inside_summary(results)) is not None:
        st.caption(lab_page.inside_caption(inside))
    if view == "place":
        summary = lab.placement_summary(results, at or 0)
        st.markdown(t("lab.place_caption", **summary, share=f"{saturation.SLOPE_SHARE:.0%}"))
    if view in SWEEPS:
        st.markdown(lab_page.scale_caption(lab.scale_summary(results, lab.SWEEPS[view][1])))
    if view == "bias":
        st.caption(t("lab.bias_caption", diff=lab.max_difference(*results.values())))
    lab_page.diverged_warning(results, names)
