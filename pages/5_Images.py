from functools import partial

import numpy as np
import streamlit as st

from normcore import functional as F
from normcore import images as I
from ui import images_page
from ui.chrome import page_setup, stage_bar
from ui.i18n import t
from ui.url import UrlCheck, bound_number

CHANNELS = 12
DIGITS = 8

page_setup("images.title")
check = UrlCheck("images")
number = partial(bound_number, check=check, catalog="images")
pick = partial(images_page.pick, check=check)
notices = st.container()  # filled at the end, once every control has been checked
st.markdown(t("images.intro"))

photos, digits = images_page.sources(DIGITS)
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

upload = images_page.read_upload(uploaded)
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
shown = pick(right.selectbox, "image", list(batch), key="img", labels=images_page.label)

grids, before, after, names, (to_layer, to_instance) = images_page.conv_views(
    np.stack(list(batch.values())), norm, groups, CHANNELS, seed
)
channels = images_page.filter_labels(names)
norm_name = t(f"images.norm.{norm}")
images_page.stage_pictures(grids[list(batch).index(shown)], norm_name)
st.caption(t("images.grid_caption", channels=", ".join(channels)))
if norm == "group":
    st.markdown(
        t("images.groups_meet", groups=groups, channels=CHANNELS, layer=to_layer, instance=to_instance)
    )
title = t("images.hist_title", norm=norm_name, count=len(batch))
images_page.histogram_chart(before, after, names, channels, title, norm_name)

st.header(t("images.in_header"))
st.markdown(t("images.in_intro"))
left, right = stage_bar("in", 2)
brightness = number(left.slider, "brightness", -0.5, 0.5, 0.3, 0.05, key="bright")
contrast = number(right.slider, "contrast", 0.2, 3.0, 0.5, 0.05, key="contrast")
invariance = I.instance_norm_invariance(batch[shown], brightness, contrast)
images_page.invariance_pictures(invariance)
st.markdown(t("images.in_difference", difference=invariance.difference))

st.header(t("images.adain_header"))
st.markdown(t("images.adain_intro"))
left, right = stage_bar("adain", 2)
content = pick(
    left.selectbox, "content", list(gallery), key="content", labels=images_page.label, default="china"
)
style_image = pick(
    right.selectbox, "style", list(gallery), key="style", labels=images_page.label, default="flower"
)
with notices:
    check.show()
transfer = images_page.style_transfer(gallery[content], gallery[style_image], CHANNELS, seed)
images_page.adain_pictures([gallery[content], gallery[style_image], transfer.result])
lab_channels = [t(f"images.lab.{c}") for c in ("l", "alpha", "beta")]
images_page.stats_chart(transfer.pixel_stats, lab_channels, t("images.adain_pixels_title"), "adain_pixels")
images_page.stats_chart(transfer.feature_stats, channels, t("images.adain_features_title"), "adain_features")
st.caption(t("images.adain_caption"))
