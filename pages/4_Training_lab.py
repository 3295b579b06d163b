import pandas as pd
import streamlit as st

from figures import training as charts
from normcore import lab, saturation
from normcore.training import TrainConfig
from ui import live
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
names = {label: t(f"lab.run.{label}") for label in charts.COLOURS}


def scale_caption(summary: dict) -> str:
    """The sweep's ‖W‖, effective step and accuracy ranges, with and without BN, as one paragraph."""

    def span(pair, fmt=".3g") -> str:
        low, high = pair
        return f"{low:{fmt}}–{high:{fmt}}" + (f" (×{high / low:.3g})" if fmt == ".3g" and low > 0 else "")

    values = {
        f"{norm}_{k}": span(summary[norm][k], ".0%" if k == "accuracy" else ".3g")
        for norm in summary
        for k in ("start", "end", "step", "accuracy")
    }
    counts = {k: summary["none"][k] for k in ("stalled", "diverged", "runs")}
    return t(
        "lab.scale_caption",
        **values,
        **counts,
        below=lab.STALLED_BELOW,
        bn_stalled=summary["batch"]["stalled"],
    )


live_area, frames = [], iter(range(10**9))  # the charts' placeholder: made at the first draw, below the
# Train button, the progress bar and the note saying which settings a kept result is for


def draw_live(results: dict) -> None:
    """A streamed frame: the charts only, each under a fresh key (one key may not appear twice in a run)."""
    frame = next(frames)
    live_area[:] = live_area or [st.empty()]
    with live_area[0].container():
        for key, fig, _ in charts.view_charts(view, results, t, names):
            st.plotly_chart(fig, key=f"{key}_live{frame}")


results = live.run(configs, draw_live, page=view)
if results is not None:
    at = None
    recorded = lab.recorded_steps(results)
    if recorded:  # the inside view: pick one of the steps both runs recorded
        at_check = UrlCheck("lab_at")
        options = [str(s) for s in recorded]
        at_step = choice(
            st.select_slider, t("lab.at"), options, key="at", labels=str, check=at_check, default=options[-1],
            help=t("lab.at_help"),
        )  # fmt: skip
        at_check.show()
        at = options.index(at_step) + 1
    for key, fig, data in charts.view_charts(view, results, t, names, at):
        show_chart(fig, key=key, data=data)
    if view in ("fig1", "place"):
        reach = pd.DataFrame(lab.steps_to_reach(results)).rename(columns=names)
        st.table(reach.rename(index=lambda a: f"≥ {float(a):.0%}"))
        st.caption(t("lab.reach_caption"))
    if view == "fig1":
        none, bn = lab.percentile_drift(results["none"]), lab.percentile_drift(results["batch"])
        final = results["none"].final_accuracy
        st.caption(
            t(
                "lab.fig1_measured",
                act=t(f"lab.act.{activation}"),
                final=f"{final:.1%}",
                reach=results["batch"].steps_to_reach(final) or "—",
                steps=results["batch"].steps[-1],
                start=none["start"],
                none_first=", ".join(f"{v:.2f}" for v in none["first"]),
                none_last=", ".join(f"{v:.2f}" for v in none["last"]),
                bn_first=", ".join(f"{v:.2f}" for v in bn["first"]),
                bn_last=", ".join(f"{v:.2f}" for v in bn["last"]),
                none_slope=f"{none['min_slope']:.0%}",
                bn_slope=f"{bn['min_slope']:.0%}",
                share=f"{saturation.SLOPE_SHARE:.0%}",
            )
        )
    if view == "inside" and all(r.layers and r.layers.grad_to_data for r in results.values()):
        (first, none_first, last, none_last), (_, bn_first, _, bn_last) = (
            lab.first_layer_ratio(results[label]) for label in ("none", "batch")
        )
        st.caption(
            t(
                "lab.inside_measured",
                first=first,
                last=last,
                none_first=f"{none_first:.2g}",
                bn_first=f"{bn_first:.2g}",
                none_last=f"{none_last:.2g}",
                bn_last=f"{bn_last:.2g}",
                early=f"{bn_first / none_first:.1f}",
                late=f"{bn_last / none_last:.1f}",
            )
        )
    if view == "place":
        summary = lab.placement_summary(results, at or len(recorded))
        st.markdown(t("lab.place_caption", **summary, share=f"{saturation.SLOPE_SHARE:.0%}"))
    if view in SWEEPS:
        st.markdown(scale_caption(lab.scale_summary(results, lab.SWEEPS[view][1])))
    if view == "bias":
        st.caption(t("lab.bias_caption", diff=lab.max_difference(*results.values())))
    diverged = [
        f"{names[k[0]]} ({k[1]:g})" if isinstance(k, tuple) else names[k]
        for k, r in results.items()
        if r.diverged
    ]
    if diverged:
        st.warning(t("lab.diverged", runs=", ".join(diverged)), icon=":material/warning:")
