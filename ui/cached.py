"""Figures built once per distinct input and shared by every session: plotly is slow to build them.

A cache, not a server-wide resource: losing an entry costs a rebuild, never a wrong picture, so it
may live in ``st.cache_resource`` (which no client can clear on this app: ui/hardening.py)."""

from __future__ import annotations

import streamlit as st


def figure(make, *args, **kwargs):
    """``make(*args, **kwargs)`` from a shared cache; the caller must never mutate the result."""
    return _figure(make, f"{make.__module__}.{make.__qualname__}", *args, **kwargs)


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(_make, name: str, *args, **kwargs):  # _make is not hashable; name stands in for it
    return _make(*args, **kwargs)
