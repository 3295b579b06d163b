"""Figures built once per distinct input and shared by every session: plotly is slow to build them.

A cache, not a server-wide resource: losing an entry costs a rebuild, never a wrong picture, so it
may live in ``st.cache_resource`` (which no client can clear on this app: ui/hardening.py).

Each cached figure also keeps the dict that ``st.plotly_chart`` sends (``fig.to_dict()``: a deep copy
with every array encoded as base64, ~40% of drawing a chart that did not change), made once;
:func:`sendable` hands it to ``st.plotly_chart`` in place of the figure.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st


class Sent(go.Figure):
    """A figure as ``st.plotly_chart`` reads it: only ``to_dict()``, answering the dict made at build time.

    Not constructed through plotly (``object.__new__``): nothing but ``to_dict`` may be used on it."""

    def to_dict(self) -> dict:
        return self._sent


def figure(make, *args, **kwargs):
    """``make(*args, **kwargs)`` from a shared cache; the caller must never mutate the result."""
    return _figure(make, f"{make.__module__}.{make.__qualname__}", *args, **kwargs)


def sendable(fig: go.Figure) -> go.Figure:
    """``fig`` for ``st.plotly_chart``: its dict made once when it came from :func:`figure`."""
    sent = getattr(fig, "_nc_sent", None)
    if sent is None:
        return fig
    proxy = object.__new__(Sent)
    object.__setattr__(proxy, "_sent", sent)
    return proxy


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(_make, name: str, *args, **kwargs):  # _make is not hashable; name stands in for it
    fig = _make(*args, **kwargs)
    object.__setattr__(fig, "_nc_sent", fig.to_dict())
    return fig
