from functools import partial

import streamlit as st

from ui import weights_page
from ui.chrome import page_setup, stage_bar
from ui.i18n import t
from ui.images_page import filter_labels
from ui.url import UrlCheck, bound_number

CHANNELS = 12
STRETCH_SAMPLES = 2000

page_setup("weights.title")
check = UrlCheck("weights")
number = partial(bound_number, check=check, catalog="weights")
notices = st.container()  # filled once every control has been checked
st.markdown(t("weights.intro"))

st.header(t("weights.ws_header"))
st.markdown(t("weights.ws_intro"))
# Each section's controls stand above its charts in every mode (presenter, phone), in containers keyed
# nc_stage... that the presenter CSS can find; the seed (both sections) sits with the first.
left, right = stage_bar("", [4, 1])
drift = number(left.slider, "drift", 0.0, 1.0, 0.5, 0.05, key="drift")
seed = number(right.number_input, "seed", 0, 9999, 0, key="seed")
ws = weights_page.standardization(CHANNELS, drift, seed)
channels = filter_labels(ws.names)
weights_page.weights_chart(ws, channels)
st.markdown(t("weights.ws_check", mean=ws.largest_mean, low=ws.std_span[0], high=ws.std_span[1]))
weights_page.output_chart(ws, channels)
st.caption(t("weights.output_caption", low=ws.interior_span[0], high=ws.interior_span[1]))

st.header(t("weights.sn_header"))
st.markdown(t("weights.sn_intro"))
left, middle, right = stage_bar("sn", 3)
out_features = number(left.slider, "rows", 2, 64, 16, key="out")
in_features = number(left.slider, "cols", 2, 64, 32, key="in")
decay = number(middle.slider, "decay", 0.0, 0.5, 0.02, 0.01, key="decay")
iterations = number(right.slider, "iterations", 1, 100, 5, key="iters")
with notices:
    check.show()

sn = weights_page.spectral(out_features, in_features, decay, iterations, seed, STRETCH_SAMPLES)
st.markdown(
    t("weights.sn_check", steps=iterations, estimate=sn.estimates[-1], exact=sn.exact, error=sn.error)
)
weights_page.power_chart(sn)
weights_page.spectrum_chart(sn)
weights_page.stretch_chart(sn)
before, after = sn.largest_stretch
st.markdown(t("weights.stretch_check", before=before, after=after, bound=float(sn.sigma_after[0])))
