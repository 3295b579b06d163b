"""The Weight norms page's Streamlit glue: its cached core calls and its charts with their translated labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from figures import images as image_figures
from figures import style
from figures import weights as figures
from normcore import images as I
from normcore import weights as W
from ui.cached import figure
from ui.export import show_chart
from ui.i18n import t


@st.cache_data(max_entries=32, show_spinner=False)
def standardization(channels: int, drift: float, seed: int) -> W.Standardization:
    """Raw and standardized filters and the conv output statistics on the sample photos for both."""
    return W.standardization(np.stack(list(I.sample_photos().values())), channels, drift, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def spectral(
    rows: int, cols: int, decay: float, iterations: int, seed: int, samples: int
) -> W.SpectralNormEffect:
    """Power iteration's estimates, both spectra, and the stretch factors before and after."""
    return W.spectral_norm_effect(rows, cols, decay, iterations, seed, samples)


def weights_chart(ws: W.Standardization, channels: list[str]) -> None:
    """Each channel's weights, raw and standardized, with every weight as CSV."""
    labels = {"before": t("weights.raw"), "after": t("weights.standardized"), "y": t("weights.weight_value")}
    out = len(channels)
    fig = figure(figures.weight_distributions, ws.raw.reshape(out, -1), ws.standardized.reshape(out, -1),
                 channels, title=t("weights.ws_title"), labels=labels)  # fmt: skip
    show_chart(fig, key="ws_weights", data=pd.DataFrame(ws.weights_table()))


def output_chart(ws: W.Standardization, channels: list[str]) -> None:
    """The conv output's per-channel mean and standard deviation with raw and standardized filters."""
    series = {t("weights.raw"): ws.raw_output, t("weights.standardized"): ws.standardized_output}
    labels = {"mean": t("images.mean"), "std": t("images.std"), "x": t("images.channel")}
    fig = figure(image_figures.channel_stats, series, channels, title=t("weights.output_title"), labels=labels,
                 colours=[style.BEFORE, style.AFTER])  # fmt: skip
    data = I.stats_table(ws.names, {"raw": ws.raw_output, "ws": ws.standardized_output})
    show_chart(fig, key="ws_output", data=pd.DataFrame(data))


def power_chart(sn: W.SpectralNormEffect) -> None:
    labels = {
        "estimate": t("weights.estimate"),
        "exact": t("weights.exact"),
        "x": t("weights.step"),
        "y": "σ",
    }
    fig = figure(
        figures.power_iteration, sn.estimates, sn.exact, title=t("weights.power_title"), labels=labels
    )
    show_chart(fig, key="power", data=pd.DataFrame(sn.power_table()))


def spectrum_chart(sn: W.SpectralNormEffect) -> None:
    labels = {"before": t("weights.sn_before"), "after": t("weights.sn_after"), "x": t("weights.rank"),
              "y": t("weights.singular")}  # fmt: skip
    title = t("weights.spectrum_title", largest=float(sn.sigma_after[0]))
    fig = figure(figures.spectrum, sn.sigma_before, sn.sigma_after, title=title, labels=labels)
    show_chart(fig, key="spectrum", data=pd.DataFrame(sn.spectrum_table()))


def stretch_chart(sn: W.SpectralNormEffect) -> None:
    after = float(sn.sigma_after[0])
    labels = {
        "before": t("weights.sn_before"),
        "after": t("weights.sn_after"),
        "bound_before": t("weights.bound", sigma=sn.exact),
        "bound_after": t("weights.bound", sigma=after),
        "x": t("weights.stretch_x"),
        "y": t("common.count"),
    }
    fig = figure(figures.stretch, sn.stretch_before, sn.stretch_after, (sn.exact, after),
                 title=t("weights.stretch_title"), labels=labels)  # fmt: skip
    show_chart(fig, key="stretch", data=pd.DataFrame(sn.stretch_table()))
