from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from figures import images as figures
from figures import style
from normcore import functional as F
from normcore import images as I
from normcore.stats import histogram, value_range
from ui.cached import figure
from ui.chrome import page_setup, stage_bar
from ui.export import show_chart
from ui.i18n import t
from ui.script_run import stop_requested
from ui.url import UrlCheck, bound_number, choice

CHANNELS = 12
DIGITS = 8
ROLES = ["content", "style", "result"]

page_setup("images.title")
check = UrlCheck("images")
number = partial(bound_number, check=check, catalog="images")
notices = st.container()  # filled at the end, once every control has been checked
st.markdown(t("images.intro"))


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


@st.cache_data(max_entries=1, show_spinner=False)
def sources() -> tuple[dict[str, np.ndarray], np.ndarray]:
    return I.sample_photos(), I.digit_images(DIGITS)


@st.cache_data(max_entries=32, show_spinner=False)
def conv_views(images: np.ndarray, norm: str, groups: int, seed: int):
    """What the page shows of Conv -> Norm -> ReLU, small enough to cache: JPEG grids of every image,
    per-channel histograms over the batch on one shared range, and GN's distance to LN and IN."""
    result = I.conv_norm_relu(images, norm, groups, CHANNELS, seed)
    grids = [[I.encode(grid) for grid in I.stage_grids(result, index)] for index in range(len(images))]
    bins = value_range(result.features, result.normalized)
    before = [histogram(values, 40, bins) for values in result.features.transpose(1, 0, 2, 3)]  # per channel
    after = [histogram(values, 40, bins) for values in result.normalized.transpose(1, 0, 2, 3)]
    return grids, before, after, result.names, (result.group_to_layer, result.group_to_instance)


@st.cache_data(max_entries=32, show_spinner=False)
def style_transfer(content: np.ndarray, style: np.ndarray, seed: int) -> I.StyleTransfer:
    return I.style_transfer(content, style, I.conv_filters(CHANNELS, 3, seed)[0])


def pick(widget, name: str, options: list[str], key: str, labels=None, **kwargs) -> str:
    """A selection kept in the URL as ``key``, labelled and explained by the ``images.<name>`` strings."""
    labels = labels or (lambda code: t(f"images.{name}.{code}"))
    help_text = t(f"images.{name}_help")
    return choice(
        widget, t(f"images.{name}"), options, key=key, labels=labels, check=check, help=help_text, **kwargs
    )


def label(code: str) -> str:
    return t("images.digit", digit=code) if code.isdigit() else t(f"images.name.{code}")


def stats_chart(stats: list, channels: list[str], title: str, key: str) -> None:
    """Mean and standard deviation per channel of the content, style and AdaIN result."""
    names = tuple(t(f"images.adain.{role}") for role in ROLES)
    labels = {"mean": t("images.mean"), "std": t("images.std"), "x": t("images.channel")}
    series = dict(zip(names, stats, strict=True))
    colours = [style.BEFORE, style.PALETTE[0], style.AFTER]
    fig = figure(figures.channel_stats, series, channels, title=title, labels=labels, colours=colours)
    columns = {
        f"{role}_{name}": stat[i]
        for role, stat in zip(ROLES, stats, strict=True)
        for i, name in enumerate(["mean", "std"])
    }
    show_chart(fig, key=key, data=pd.DataFrame({"channel": channels, **columns}))


photos, digits = sources()
# The pictures every section uses, on the page in every mode (presenter, phone); each section's own
# controls stand above its pictures, in containers keyed nc_stage... that the presenter CSS can find.
with st.container(key="nc_stage", border=True):
    left, middle, right = st.columns([2, 3, 1])
    source = pick(left.radio, "source", ["photos", "digits", "upload"], key="src", horizontal=True)
    with middle.expander(t("images.upload"), icon=":material/upload:"):
        uploaded = st.file_uploader(
            t("images.upload"),
            type=["png", "jpg", "jpeg"],
            max_upload_size=5,
            help=t("images.upload_help"),
            label_visibility="collapsed",  # the expander shows it
        )
    seed = number(right.number_input, "seed", 0, 9999, 0, key="seed")

try:
    upload, refusal = decode(uploaded.getvalue(), stop_requested()) if uploaded else (None, None)
except I.DecodeStopped:  # its child process is already killed; the rerun or the end of the session follows
    st.stop()
except I.UploadError as error:
    upload, refusal = None, (error.reason, error.values)
if refusal:
    st.warning(t(f"images.refused.{refusal[0]}", **refusal[1]), icon=":material/warning:")
gallery = {"upload": upload, **photos} if upload is not None else photos
if source == "upload" and upload is None:
    st.info(t("images.no_upload"), icon=":material/upload:")
batch = {"photos": photos, "upload": gallery, "digits": {str(d): digits[d] for d in range(DIGITS)}}[source]

st.header(t("images.conv_header"))
st.markdown(t("images.conv_intro"))
left, middle, right = stage_bar("conv", 3)
norm = pick(left.radio, "norm", list(I.FEATURE_NORMS), key="norm", default="group", horizontal=True)
divisors = [str(g) for g in F.valid_group_counts(CHANNELS)]
groups = int(
    pick(middle.select_slider, "groups", divisors, key="g", labels=str, default="3", disabled=norm != "group")
)
shown = pick(right.selectbox, "image", list(batch), key="img", labels=label)

grids, before, after, names, (to_layer, to_instance) = conv_views(
    np.stack(list(batch.values())), norm, groups, seed
)
channels = [
    t("images.filter.random", index=n[7:]) if n.startswith("random") else t(f"images.filter.{n}")
    for n in names
]
norm_name = t(f"images.norm.{norm}")
captions = [t("images.stage.conv"), t("images.stage.norm", norm=norm_name), t("images.stage.relu")]
for caption, picture in zip(captions, grids[list(batch).index(shown)], strict=True):
    st.image(picture, caption=caption, width="stretch")
st.caption(t("images.grid_caption", channels=", ".join(channels)))
if norm == "group":
    st.markdown(
        t(
            "images.groups_meet",
            groups=groups,
            channels=CHANNELS,
            layer=to_layer,
            instance=to_instance,
        )
    )

hist_labels = {
    "before": t("images.conv_out"),
    "after": norm_name,
    "x": t("common.value"),
    "y": t("common.density"),
}
title = t("images.hist_title", norm=norm_name, count=len(batch))
fig = figure(figures.channel_histograms, before, after, channels, title=title, labels=hist_labels)
table = pd.concat(
    pd.DataFrame(
        {"channel": name, "low": b.edges[:-1], "high": b.edges[1:], "before": b.counts, "after": a.counts}
    )
    for name, b, a in zip(names, before, after, strict=True)
)
show_chart(fig, key="channel_hist", data=table)

st.header(t("images.in_header"))
st.markdown(t("images.in_intro"))
left, right = stage_bar("in", 2)
brightness = number(left.slider, "brightness", -0.5, 0.5, 0.3, 0.05, key="bright")
contrast = number(right.slider, "contrast", 0.2, 3.0, 0.5, 0.05, key="contrast")
invariance = I.instance_norm_invariance(batch[shown], brightness, contrast)
panels = {
    "original": invariance.original,
    "adjusted": invariance.adjusted,
    "in_original": invariance.normalized[0],
    "in_adjusted": invariance.normalized[1],
}
for column, (key, image) in zip(st.columns(4), panels.items(), strict=True):
    shown_image = I.standardized_to_rgb(image) if key.startswith("in_") else image
    column.image(I.encode(shown_image), caption=t(f"images.in.{key}"), width="stretch")
st.markdown(t("images.in_difference", difference=invariance.difference))

st.header(t("images.adain_header"))
st.markdown(t("images.adain_intro"))
left, right = stage_bar("adain", 2)
content = pick(left.selectbox, "content", list(gallery), key="content", labels=label, default="china")
style_image = pick(right.selectbox, "style", list(gallery), key="style", labels=label, default="flower")
with notices:
    check.show()
transfer = style_transfer(gallery[content], gallery[style_image], seed)
for column, role, image in zip(
    st.columns(3), ROLES, [gallery[content], gallery[style_image], transfer.result], strict=True
):
    column.image(I.encode(image), caption=t(f"images.adain.{role}"), width="stretch")
lab_channels = [t(f"images.lab.{c}") for c in ("l", "alpha", "beta")]
stats_chart(transfer.pixel_stats, lab_channels, t("images.adain_pixels_title"), "adain_pixels")
stats_chart(transfer.feature_stats, channels, t("images.adain_features_title"), "adain_features")
st.caption(t("images.adain_caption"))
