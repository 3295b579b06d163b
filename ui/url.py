"""What the link asked for against what the page shows: visible notices, never exceptions.

Streamlit ignores an invalid value of a widget bound with ``bind="query-params"`` (and
clamps one out of range) silently. Selection widgets bound that way put the option's
*label* in the URL, so a translated label would break a link shared across languages;
:func:`choice` keeps the option's stable code in the URL instead. A page creates a :class:`UrlCheck` before its widgets,
calls :meth:`UrlCheck.check` with each bound widget's value, adds its own corrections
(an element cap, say) with :meth:`UrlCheck.notice`, and ends with :meth:`UrlCheck.show`.

Streamlit 1.67 crashes a page on an infinite URL value (``?seed=inf``, ``1e999``) for an
integer ``st.number_input`` bound to the URL: ``int(inf)`` raises OverflowError, which its
URL seeding does not catch (it catches ValueError). Importing this module makes that a
ValueError, so the value is refused like any other invalid one and the notice shows it.
"""

from __future__ import annotations

import functools
import math

import streamlit as st
from streamlit.elements.widgets.number_input import NumberInputSerde

from ui.i18n import t

MAX_SHOWN_CHARS = 40
FRESH_VISIT_KEY = "_fresh_visit"  # set by ui.chrome.page_setup on every run


def start_run(page: str) -> None:
    """Record whether this run is the first of a visit to ``page`` (the URL is then the truth)."""
    st.session_state[FRESH_VISIT_KEY] = st.session_state.get("_visiting") != page
    st.session_state["_visiting"] = page


class UrlCheck:
    """Collects the changes made to a link's values on the first run of a page visit."""

    def __init__(self, page: str):
        self.page = page
        self.fresh = st.session_state.get(FRESH_VISIT_KEY, True)
        self.requested = {key: st.query_params.get_all(key) for key in st.query_params} if self.fresh else {}
        self.notices: list[str] = []

    def check(self, key: str, value) -> None:
        """Note when the link gave ``key`` a value the widget did not take."""
        raw = self.requested.get(key)
        if raw and not _same(raw, value):
            self.notice(t("url.corrected", param=key, asked=shown(raw[-1]), used=shown(value)))

    def notice(self, message: str) -> None:
        self.notices.append(message)

    def show(self) -> None:
        if self.notices:
            st.info("\n\n".join(self.notices), icon=":material/link:")


def choice(
    widget,
    label: str,
    options: list[str],
    *,
    key: str,
    labels,
    check: UrlCheck,
    default: str | None = None,
    **kwargs,
):
    """A selection widget (``st.radio``, ``st.selectbox``, ...) whose URL value is a stable code.

    ``options`` are codes (``"batch"``), ``labels`` maps a code to its shown text, and the
    URL parameter ``key`` holds the code unless it is the ``default`` (first option if None).
    """
    default = options[0] if default is None else default
    if check.fresh or key not in st.session_state:
        requested = st.query_params.get_all(key)
        if requested and requested[-1] in options:
            st.session_state[key] = requested[-1]
        else:
            if requested:
                check.notice(t("url.corrected", param=key, asked=shown(requested[-1]), used=shown(default)))
            st.session_state[key] = default
    elif st.session_state[key] in options:
        # Widget state is the shown label: re-assert the code so that a change of
        # language (new labels) keeps the selection.
        st.session_state[key] = st.session_state[key]
    else:  # the options changed under it
        st.session_state[key] = default if default in options else options[0]
    value = widget(label, options, format_func=labels, key=key, **kwargs)
    set_param(key, None if value == default else value)
    return value


def set_param(key: str, value: str | None) -> None:
    """Put ``value`` in the URL as ``key`` (drop the key for None), only if that changes the URL: every
    write sends the browser a message, on every rerun of the widget's fragment."""
    if value is None:
        st.query_params.pop(key, None)
    elif st.query_params.get_all(key) != [value]:
        st.query_params[key] = value


def bound_number(widget, name: str, *bounds, key: str, check: UrlCheck, catalog: str, **kwargs):
    """A slider or number input kept in the URL as ``key``, labelled and explained by ``<catalog>.<name>``
    (and ``..._help``); a value the widget refused becomes a notice."""
    label, help_text = t(f"{catalog}.{name}"), t(f"{catalog}.{name}_help")
    value = widget(label, *bounds, key=key, bind="query-params", help=help_text, **kwargs)
    check.check(key, value)
    return value


def number_choice(widget, label: str, numbers, *, key: str, default: int, check: UrlCheck, **kwargs) -> int:
    """:func:`choice` among whole numbers: the URL holds the number, the widget shows it."""
    options = [str(n) for n in numbers]
    return int(
        choice(widget, label, options, key=key, labels=str, check=check, default=str(default), **kwargs)
    )


def nearest_choice(
    widget, label: str, numbers, *, key: str, default: float, check: UrlCheck, **kwargs
) -> float:
    """:func:`choice` among a few numbers (log-spaced, say) that takes an old link's number in between.

    The URL holds the number written as ``f"{n:g}"``. A link with a number that is not a choice
    (``m=0.2``, from when the control was a fine slider) shows the nearest choice on a log scale, with a
    notice; a value that is no positive number at all falls back to ``default``, also with a notice.
    """
    codes = [f"{n:g}" for n in numbers]
    requested = st.query_params.get_all(key) if check.fresh or key not in st.session_state else []
    if requested and requested[-1] not in codes:
        nearest = nearest_number(requested[-1], numbers)
        if nearest is not None:
            st.query_params[key] = f"{nearest:g}"
            if not math.isclose(float(requested[-1]), nearest, rel_tol=1e-9):
                check.notice(
                    t("url.nearest", param=key, asked=shown(requested[-1]), used=shown(f"{nearest:g}"))
                )
    code = choice(widget, label, codes, key=key, labels=str, check=check, default=f"{default:g}", **kwargs)
    return float(code)


def nearest_number(text: str, numbers) -> float | None:
    """The number in ``numbers`` nearest to ``text`` on a log scale, or None if ``text`` is no positive number."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or value <= 0:
        return None
    return min(numbers, key=lambda n: abs(math.log(n) - math.log(value)))


def shown(value) -> str:
    """A user-supplied value made safe to show: short, in code format, no markup."""
    text = str(value).replace("`", "'").replace("\n", " ")
    if len(text) > MAX_SHOWN_CHARS:
        text = text[:MAX_SHOWN_CHARS] + "…"
    return f"`{text}`"


def _same(raw: list[str], value) -> bool:
    if isinstance(value, (list, tuple)):
        return len(raw) == len(value) and all(_same([r], v) for r, v in zip(raw, value, strict=True))
    text = raw[-1]
    if isinstance(value, bool):
        return text.lower() == str(value).lower()
    if isinstance(value, (int, float)):
        try:
            return math.isclose(float(text), float(value), rel_tol=1e-9, abs_tol=1e-12)
        except ValueError:
            return False
    return text == str(value)


def _refuse_infinite_integers(deserialize):
    @functools.wraps(deserialize)
    def guarded(self, ui_value):
        try:
            return deserialize(self, ui_value)
        except OverflowError as error:
            raise ValueError(f"not a finite integer: {ui_value!r}") from error

    guarded.refuses_infinity = True
    return guarded


if not getattr(NumberInputSerde.deserialize, "refuses_infinity", False):
    NumberInputSerde.deserialize = _refuse_infinite_integers(NumberInputSerde.deserialize)
