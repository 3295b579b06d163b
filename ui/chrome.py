"""The chrome every page calls first: page config, language, presenter switch, navigation.

Pages are discovered from ``pages/`` (no ``st.navigation``: deep links must work on a
fresh server), and each page calls :func:`page_setup` itself.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.i18n import LANGUAGES, current_language, t
from ui.url import UrlCheck, choice, start_run

ROOT = Path(__file__).resolve().parent.parent

# (script, label key, icon); pages that do not exist yet are left out of the menu.
PAGES = [
    ("app.py", "nav.home", ":material/home:"),
    ("pages/1_Explorer.py", "nav.explorer", ":material/biotech:"),
    ("pages/2_Small_batches.py", "nav.small_batches", ":material/scatter_plot:"),
    ("pages/3_Train_vs_eval.py", "nav.train_vs_eval", ":material/swap_horiz:"),
    ("pages/4_Training_lab.py", "nav.training_lab", ":material/trending_up:"),
    ("pages/5_Images.py", "nav.images", ":material/image:"),
    ("pages/6_Weight_norms.py", "nav.weight_norms", ":material/tune:"),
    ("pages/7_Tour.py", "nav.tour", ":material/school:"),
]

PRESENTER_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 1.25rem; }
[data-testid="stSidebar"] { display: none; }
[data-testid="stMain"] .block-container { max-width: 100%; padding-top: 1rem; }
</style>
"""


def page_setup(title_key: str) -> bool:
    """Set up a page: title, sidebar language and presenter switches, menu.

    Returns whether presenter mode is on (pages may hide secondary controls).
    """
    start_run(title_key)
    check = UrlCheck("chrome")
    with st.sidebar:
        choice(
            st.radio,
            "Language · 언어",
            list(LANGUAGES),
            key="lang",
            labels=LANGUAGES.get,
            check=check,
            horizontal=True,
            help=t("chrome.language_help"),
        )
        _menu()
    st.set_page_config(page_title=f"normcore · {t(title_key)}", layout="wide")
    presenter = st.toggle(
        t("chrome.presenter"), key="present", bind="query-params", help=t("chrome.presenter_help")
    )
    check.check("present", presenter)
    check.show()
    if presenter:
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)  # our constant CSS only
    st.title(t(title_key))
    return presenter


def _menu() -> None:
    lang = current_language()
    params = {"lang": lang} if lang != "en" else None
    for script, label_key, icon in PAGES:
        if (ROOT / script).exists():
            st.page_link(script, label=t(label_key), icon=icon, query_params=params)
