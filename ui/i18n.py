"""Translations: ``t("explorer.title")`` looks a key up in the current language's catalog."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ui.locales import en, ko

CATALOGS = {"en": en.STRINGS, "ko": ko.STRINGS}
LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT_LANGUAGE = "en"


def current_language() -> str:
    """The language the sidebar selector holds (or the URL asks for before it renders).

    Read once per script or fragment run (a change of language is a new run) and kept on the run's own
    object, Streamlit's per-run ``parallel_coordinator``: a slider move calls :func:`t` some 40 times, and
    reading the session state each time was ~1 ms of it."""
    ctx = get_script_run_ctx(suppress_warning=True)
    run = getattr(ctx, "parallel_coordinator", None)
    lang = getattr(run, "_nc_language", None)
    if lang is None:
        lang = st.session_state.get("lang") or st.query_params.get("lang", DEFAULT_LANGUAGE)
        lang = lang if lang in CATALOGS else DEFAULT_LANGUAGE
        if run is not None:
            run._nc_language = lang
    return lang


def translate(key: str, lang: str, **values) -> str:
    """The string for ``key`` in ``lang``, formatted with ``values``; English if missing."""
    text = CATALOGS[lang].get(key) or CATALOGS[DEFAULT_LANGUAGE][key]
    return text.format(**values) if values else text


def t(key: str, **values) -> str:
    """The string for ``key`` in the current language."""
    return translate(key, current_language(), **values)
