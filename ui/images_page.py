"""The Images page's Streamlit glue: its cached core calls, its upload, its translated labels and charts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from figures import images as figures
from normcore import images as I
from ui.cached import figure
from ui.export import show_chart
from ui.i18n import t
from ui.script_run import stop_requested
from ui.url import choice

ROLES = ["content", "style", "result"]


@st.cache_data(max_entries=16, show_spinner=False)
def decode(data: bytes, _stopped):
    """The upload as an image, or why it was refused (a cached function's exceptions are not cached:
    a stopped run or a busy server is tried again next time). ``_stopped`` ends the decoder early."""
    try:
        return I.load_upload(data, cancelled=_stopped), None
    except I.UploadError as error:
        if error.reason == "busy":
            raise
        return None, (error.reason, error.values)


def read_upload(uploaded) -> np.ndarray | None:
    """The viewer's upload as an image, or None; a refused one is explained in a warning."""
    try:
        upload, refusal = decode(uploaded.getvalue(), stop_requested()) if uploaded else (None, None)
    except (
        I.DecodeStopped
    ):  # its child process is already killed; the rerun or the end of the session follows
        st.stop()
    except I.UploadError as error:
        upload, refusal = None, (error.reason, error.values)
    if refusal:
        st.warning(t(f"images.refused.{refusal[0]}", **refusal[1]), icon=":material/warning:")
    return upload


@st.cache_data(max_entries=1, show_spinner=False)
def sources(digits: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    return I.sample_photos(), I.digit_images(digits)


@st.cache_data(max_entries=32, show_spinner=False)
def conv_views(images: np.ndarray, norm: str, groups: int, channels: int, seed: int):
    """What the page shows of Conv -> Norm -> ReLU, small enough to cache: JPEG grids of every image,
    per-channel histograms over the batch on one shared range, and GN's distance to LN and IN."""
    result = I.conv_norm_relu(images, norm, groups, channels, seed)
    grids = [[I.encode(grid) for grid in I.stage_grids(result, index)] for index in range(len(images))]
    before, after = I.channel_histograms(result.features, result.normalized)
    return grids, before, after, result.names, (result.group_to_layer, result.group_to_instance)


@st.cache_data(max_entries=32, show_spinner=False)
def style_transfer(content: np.ndarray, style: np.ndarray, channels: int, seed: int) -> I.StyleTransfer:
    return I.style_transfer(content, style, I.conv_filters(channels, 3, seed)[0])


def pick(widget, name: str, options: list[str], key: str, check, labels=None, **kwargs) -> str:
    """A selection kept in the URL as ``key``, labelled and explained by the ``images.<name>`` strings."""
    labels = labels or (lambda code: t(f"images.{name}.{code}"))
    help_text = t(f"images.{name}_help")
    return choice(
        widget, t(f"images.{name}"), options, key=key, labels=labels, check=check, help=help_text, **kwargs
    )


def label(code: str) -> str:
    return t("images.digit", digit=code) if code.isdigit() else t(f"images.name.{code}")


def filter_labels(names: list[str]) -> list[str]:
    """The filters' names as shown: the hand-made ones by kind, the random ones numbered."""
    return [
        t("images.filter.random", index=n[7:]) if n.startswith("random") else t(f"images.filter.{n}")
        for n in names
    ]


def stage_pictures(grids: list[bytes], norm_name: str) -> None:
    """One image's channels after the convolution, the norm and ReLU, one picture each."""
    captions = [t("images.stage.conv"), t("images.stage.norm", norm=norm_name), t("images.stage.relu")]
    for caption, picture in zip(captions, grids, strict=True):
        st.image(picture, caption=caption, width="stretch")


def histogram_chart(
    before: list, after: list, names: list[str], channels: list[str], title: str, norm_name: str
):
    """Each channel's values before and after the norm, with the bins as CSV."""
    labels = {
        "before": t("images.conv_out"),
        "after": norm_name,
        "x": t("common.value"),
        "y": t("common.density"),
    }
    fig = figure(figures.channel_histograms, before, after, channels, title=title, labels=labels)
    show_chart(fig, key="channel_hist", data=pd.DataFrame(I.histogram_table(names, before, after)))


def invariance_pictures(invariance: I.Invariance) -> None:
    """The image and its changed copy, then both after Instance Norm, side by side."""
    panels = {
        "original": invariance.original,
        "adjusted": invariance.adjusted,
        "in_original": invariance.normalized[0],
        "in_adjusted": invariance.normalized[1],
    }
    for column, (key, image) in zip(st.columns(4), panels.items(), strict=True):
        shown_image = I.standardized_to_rgb(image) if key.startswith("in_") else image
        column.image(I.encode(shown_image), caption=t(f"images.in.{key}"), width="stretch")


def adain_pictures(images: list[np.ndarray]) -> None:
    """Content, style and the AdaIN result, side by side."""
    for column, role, image in zip(st.columns(3), ROLES, images, strict=True):
        column.image(I.encode(image), caption=t(f"images.adain.{role}"), width="stretch")


def stats_chart(stats: list, channels: list[str], title: str, key: str) -> None:
    """Mean and standard deviation per channel of the content, style and AdaIN result."""
    names = tuple(t(f"images.adain.{role}") for role in ROLES)
    labels = {"mean": t("images.mean"), "std": t("images.std"), "x": t("images.channel")}
    series = dict(zip(names, stats, strict=True))
    fig = figure(
        figures.channel_stats, series, channels, title=title, labels=labels, colours=figures.ADAIN_COLOURS
    )
    data = pd.DataFrame(I.stats_table(channels, dict(zip(ROLES, stats, strict=True))))
    show_chart(fig, key=key, data=data)
