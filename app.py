import streamlit as st

from ui.chrome import page_setup
from ui.i18n import t

page_setup("home.title")
st.markdown(t("home.intro"))
st.page_link("pages/1_Explorer.py", label=t("nav.explorer"), icon=":material/biotech:")
