"""The Small batches page's glue: its cached core calls and the translated texts of its figures."""

from __future__ import annotations

import streamlit as st

from normcore import batch_stats as bs
from normcore.experiments import gn_batch
from ui.i18n import t, texts


@st.cache_data(max_entries=64)
def moments(seed: int, channel: int, b: int, batches: int):
    """One batch size's measured moments, and measured against theory for every batch size."""
    pop = bs.population(seed)
    measured = bs.batch_moments(pop, b, batches, channel, seed)
    return measured, bs.moments_summary(pop, batches, channel, seed)


@st.cache_data(max_entries=16)
def near_one_share(seed: int, groups: int, tol: float) -> float:
    """The share of the population's group-normalized values within ``tol`` of ±1."""
    return bs.near_unit_share(bs.population(seed), groups, tol)


@st.cache_data(max_entries=64)
def bands(seed: int, channel: int, example: int, groups: int, r_max: float, d_max: float, batches: int):
    """Per norm, the band (percentiles over ``batches`` batches) of one example's normalized value."""
    values = bs.example_bands(
        bs.population(seed),
        example,
        channel,
        batches,
        num_groups=groups,
        r_max=r_max,
        d_max=d_max,
        seed=seed,
    )
    return {norm: bs.band_summary(v) for norm, v in values.items()}


def moment_labels() -> dict[str, str]:
    """The texts of ``figures.small_batches.moment_histograms``."""
    return texts(
        mean_title="small.mean_title",
        var_title="small.var_title",
        measured="small.measured",
        theory="small.theory_mean",
        population_var="small.population_var",
        expected_var="small.expected_var",
        y="common.density",
    )


def summary_labels() -> dict[str, str]:
    """The texts of ``figures.small_batches.moments_vs_batch_size``."""
    return texts(
        sd_title="small.sd_title",
        var_title="small.var_mean_title",
        measured="small.measured",
        theory="small.theory",
        population_var="small.population_var",
        x="small.x_batch",
    )


def show_metrics(measured: bs.Moments, theory: dict, b: int) -> None:
    """Four metrics in a row: the measured spread and variance, each beside its theory."""
    values = bs.moment_metrics(measured, theory)
    for col, (name, value) in zip(st.columns(4), values.items(), strict=True):
        col.metric(t(f"small.metric_{name}"), f"{value:.4f}", help=t(f"small.metric_{name}_help", b=b))


def groups_caption(groups: int, default: int, share: float, tol: float) -> str:
    """What the bands' G means: features a group, why not two a group (``share`` of the values within
    ``tol`` of ±1 there), and the G of the training figure below."""
    sweep = gn_batch.Protocol()
    return t(
        "small.bands_groups",
        g=groups,
        features=bs.CHANNELS,
        per=bs.CHANNELS // groups,
        default=default,
        pairs=bs.CHANNELS // 2,
        share=f"{share:.0%}",
        tol=tol,
        sweep=sweep.num_groups,
        width=sweep.width,
    )
