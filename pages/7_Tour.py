"""The guided tour. ``Tour?step=k`` opens step k on its own page (with the narration and
previous/next links there); plain ``Tour`` lists the steps with their links for slides.
The steps themselves live in :mod:`ui.tour`."""

import streamlit as st

from ui import tour
from ui.chrome import PAGE_LABELS, PRESENTER_KEY, page_setup, step_links, step_narration
from ui.i18n import current_language, t
from ui.url import shown

lang = current_language()
raw_step = st.query_params.get(tour.STEP_PARAM)
number = tour.step_at(raw_step)
if number is not None and tour.STEPS[number - 1].available:
    # Before page_setup: once its presenter switch is bound to "present", switch_page may not set it.
    presenting = st.query_params.get(PRESENTER_KEY) == "true"
    params = tour.step_params(number, lang=lang, present=presenting)
    st.switch_page(tour.STEPS[number - 1].page, query_params=params)

presenter = page_setup("tour.title")
if raw_step is not None and number is None:
    st.info(t("tour.bad_step", asked=shown(raw_step), total=len(tour.STEPS)), icon=":material/link:")
if number is not None:  # a step whose page this version does not have yet
    page_label = t(PAGE_LABELS[tour.STEPS[number - 1].page])
    step_narration(number, presenter, note=t("tour.not_available", page=page_label))

st.markdown(t("tour.intro"))
step_links(0, presenter)
for index, step in enumerate(tour.STEPS, start=1):
    with st.container(border=True):
        st.markdown(f"**{index}. {t(f'tour.{step.slug}.title')}** · {t(PAGE_LABELS[step.page])}")
        st.markdown(t(f"tour.{step.slug}.text"))
        full = tour.absolute(tour.tour_url(index, lang=lang), st.context.url, tour.TOUR_PAGE)
        with st.container(key=f"nc_nav_slide_{index}", horizontal=True, vertical_alignment="center"):
            params = tour.tour_params(index, lang=lang, present=presenter)  # forwards to the step's page
            st.page_link(tour.TOUR_PAGE, label=t("tour.open_step", number=index), icon=":material/play_arrow:",
                         query_params=params)  # fmt: skip
            st.caption(t("tour.slide_link"))
            st.code(full, language=None, wrap_lines=True, width="content")
