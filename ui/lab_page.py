"""The Training lab's Streamlit glue: the live charts, the evaluation picker and the measured captions."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from figures import training as charts
from normcore import lab, saturation
from ui.i18n import t
from ui.url import UrlCheck, choice


def run_names() -> dict[str, str]:
    """Every run's label as shown, by its code."""
    return {label: t(f"lab.run.{label}") for label in charts.COLOURS}


def live_drawer(view: str, names: dict[str, str]) -> Callable[[dict], None]:
    """A ``draw(results)`` for :func:`ui.live.run`: each streamed frame's charts only, each under a fresh key
    (one key may not appear twice in a run), in one placeholder made at the first draw, below the Train
    button, the progress bar and the note saying which settings a kept result is for."""
    live_area, frames = [], iter(range(10**9))

    def draw_live(results: dict) -> None:
        frame = next(frames)
        live_area[:] = live_area or [st.empty()]
        with live_area[0].container():
            for key, fig, _ in charts.view_charts(view, results, t, names):
                st.plotly_chart(fig, key=f"{key}_live{frame}")

    return draw_live


def pick_evaluation(results: dict) -> int | None:
    """The inside views' step picker (1-based among the steps every run recorded); None if none did."""
    recorded = lab.recorded_steps(results)
    if not recorded:
        return None
    at_check = UrlCheck("lab_at")
    options = [str(s) for s in recorded]
    at_step = choice(
        st.select_slider, t("lab.at"), options, key="at", labels=str, check=at_check, default=options[-1],
        help=t("lab.at_help"),
    )  # fmt: skip
    at_check.show()
    return options.index(at_step) + 1


def reach_table(results: dict, names: dict[str, str]) -> None:
    """The first step at which each run reached each target accuracy."""
    reach = pd.DataFrame(lab.steps_to_reach(results)).rename(columns=names)
    st.table(reach.rename(index=lambda a: f"≥ {float(a):.0%}"))
    st.caption(t("lab.reach_caption"))


def fig1_caption(summary: dict, activation: str) -> str:
    """What the Figure 1 runs measured (:func:`normcore.lab.figure1_summary`), as one caption."""
    none, bn = summary["none"], summary["batch"]
    return t(
        "lab.fig1_measured",
        act=t(f"lab.act.{activation}"),
        final=f"{summary['final']:.1%}",
        reach=summary["reach"] or "—",
        steps=summary["steps"],
        start=none["start"],
        none_first=", ".join(f"{v:.2f}" for v in none["first"]),
        none_last=", ".join(f"{v:.2f}" for v in none["last"]),
        bn_first=", ".join(f"{v:.2f}" for v in bn["first"]),
        bn_last=", ".join(f"{v:.2f}" for v in bn["last"]),
        none_slope=f"{none['min_slope']:.0%}",
        bn_slope=f"{bn['min_slope']:.0%}",
        share=f"{saturation.SLOPE_SHARE:.0%}",
    )


def inside_caption(summary: dict) -> str:
    """The first layer's gradient-to-weight ratios (:func:`normcore.lab.inside_summary`), as one caption."""
    shown = {k: f"{summary[k]:.2g}" for k in ("none_first", "bn_first", "none_last", "bn_last")}
    early, late = f"{summary['early']:.1f}", f"{summary['late']:.1f}"
    return t(
        "lab.inside_measured", first=summary["first"], last=summary["last"], early=early, late=late, **shown
    )


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


def diverged_warning(results: dict, names: dict[str, str]) -> None:
    """A warning naming every run whose loss overflowed (a sweep's run with its value), if any did."""
    diverged = [
        f"{names[k[0]]} ({k[1]:g})" if isinstance(k, tuple) else names[k] for k in lab.diverged_runs(results)
    ]
    if diverged:
        st.warning(t("lab.diverged", runs=", ".join(diverged)), icon=":material/warning:")
