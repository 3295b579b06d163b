"""Translations: ``t("explorer.title")`` looks a key up in the current language's catalog."""

from __future__ import annotations

import re

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
    if not values:
        return text
    text = text.format(**values)
    return korean_particles(text) if lang == "ko" else text


# A Korean particle after a value formatted into a text depends on how the value's last syllable ends. The
# catalog writes both forms, "{g}은(는)"; once the value is in, the form that fits is kept.
_PARTICLES = {"은(는)": ("은", "는"), "이(가)": ("이", "가"), "을(를)": ("을", "를")}
_DUAL = re.compile(r"(은\(는\)|이\(가\)|을\(를\)|\(으\)로)")
# How each digit is read when a number ends in it: 0 영 (ends in ㅇ; 10 십, 100 백 end in a consonant
# too), 1 일, 7 칠, 8 팔 (ㄹ), 3 삼, 6 육, or no final consonant (2 이, 4 사, 5 오, 9 구). "%" is 퍼센트.
_DIGIT_ENDING = {"0": "consonant", "1": "rieul", "2": "vowel", "3": "consonant", "4": "vowel", "5": "vowel",
                 "6": "consonant", "7": "rieul", "8": "rieul", "9": "vowel", "%": "vowel"}  # fmt: skip


def korean_particles(text: str) -> str:
    """``text`` with each two-form particle (은(는), 이(가), 을(를), (으)로) resolved where the word before it
    shows how it ends (a Hangul syllable, a digit, %); kept as written where it does not. The catalog writes
    them right after a placeholder only (a test checks), so the word before is always a formatted value."""
    return _DUAL.sub(lambda match: _particle(text, match.start(), match.group()), text)


def _particle(text: str, at: int, dual: str) -> str:
    ending = _ending(text[:at].rstrip("*`]"))  # bold marks and an index's closing bracket are not read
    if ending is None:
        return dual
    if dual == "(으)로":
        return "으로" if ending == "consonant" else "로"
    after_consonant, after_vowel = _PARTICLES[dual]
    return after_vowel if ending == "vowel" else after_consonant


def _ending(before: str) -> str | None:
    """How the last character of ``before`` is read at its end: vowel, rieul (ㄹ), consonant, or None."""
    if not before:
        return None
    last = before[-1]
    if "가" <= last <= "힣":
        final = (ord(last) - ord("가")) % 28
        return "vowel" if final == 0 else "rieul" if final == 8 else "consonant"
    return _DIGIT_ENDING.get(last)


def texts(**keys: str) -> dict[str, str]:
    """Each name's text in the current language, as a figure's ``labels`` take them:
    ``texts(x="tve.x_steps")`` is ``{"x": t("tve.x_steps")}``."""
    return {name: t(key) for name, key in keys.items()}


def t(key: str, **values) -> str:
    """The string for ``key`` in the current language."""
    return translate(key, current_language(), **values)
