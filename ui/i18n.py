"""Translations: ``t("explorer.title")`` looks a key up in the current language's catalog."""

from __future__ import annotations

import streamlit as st

from ui.locales import en, ko

CATALOGS = {"en": en.STRINGS, "ko": ko.STRINGS}
LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT_LANGUAGE = "en"


def current_language() -> str:
    """The language the sidebar selector holds (or the URL asks for before it renders)."""
    lang = st.session_state.get("lang") or st.query_params.get("lang", DEFAULT_LANGUAGE)
    return lang if lang in CATALOGS else DEFAULT_LANGUAGE


def translate(key: str, lang: str, **values) -> str:
    """The string for ``key`` in ``lang``, formatted with ``values``; English if missing."""
    text = CATALOGS[lang].get(key) or CATALOGS[DEFAULT_LANGUAGE][key]
    return text.format(**values) if values else text


def t(key: str, **values) -> str:
    """The string for ``key`` in the current language."""
    return translate(key, current_language(), **values)
