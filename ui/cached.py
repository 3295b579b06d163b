"""Figures built once per distinct input and shared by every session: plotly is slow to build them.

A cache, not a server-wide resource: losing an entry costs a rebuild, never a wrong picture. It is a
small bounded dict of this module (least recently used out first), shared by every session of the
process, keyed by a digest of the pickled arguments: Streamlit's own cache hashed the summaries'
arrays object by object on every run (18 % of an Explorer fragment's time, docs/benchmarks.md);
pickling them and hashing the bytes is ~15× cheaper. Two calls with equal arguments pickle to the
same bytes (numpy arrays, strings, numbers, lists, dicts and dataclasses of them, as the figures take);
when they do not (an argument that cannot be pickled, or the same object referenced twice), the
result is at worst a rebuild, never a figure for other arguments. No client can clear it.

Each cached figure also keeps the dict that ``st.plotly_chart`` sends (``fig.to_dict()``: a deep copy
with every array encoded as base64, ~40% of drawing a chart that did not change), made once;
:func:`sendable` hands it to ``st.plotly_chart`` in place of the figure. A figure from
``figures.style.figure`` makes that dict from its trace and layout dicts without plotly building
the figure (``style.Deferred``).
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from collections import OrderedDict

import plotly.graph_objects as go

MAX_ENTRIES = 256
_figures: OrderedDict[bytes, go.Figure] = OrderedDict()
_lock = threading.Lock()


class Sent(go.Figure):
    """A figure as ``st.plotly_chart`` reads it: only ``to_dict()``, answering the dict made at build time.

    Not constructed through plotly (``object.__new__``): nothing but ``to_dict`` may be used on it."""

    def to_dict(self) -> dict:
        return self._sent


def figure(make, *args, **kwargs):
    """``make(*args, **kwargs)`` from a shared cache; the caller must never mutate the result."""
    name = f"{make.__module__}.{make.__qualname__}"
    try:
        key = hashlib.blake2b(pickle.dumps((name, args, kwargs), protocol=5), digest_size=20).digest()
    except (pickle.PicklingError, TypeError, AttributeError):  # not picklable: built, not cached
        return _built(make, args, kwargs)
    with _lock:
        fig = _figures.get(key)
        if fig is not None:
            _figures.move_to_end(key)
            return fig
    fig = _built(make, args, kwargs)  # outside the lock: two sessions may both build it, both right
    with _lock:
        fig = _figures.setdefault(key, fig)
        _figures.move_to_end(key)
        while len(_figures) > MAX_ENTRIES:
            _figures.popitem(last=False)
    return fig


def _built(make, args, kwargs) -> go.Figure:
    fig = make(*args, **kwargs)
    object.__setattr__(fig, "_nc_sent", fig.to_dict())
    return fig


def sendable(fig: go.Figure) -> go.Figure:
    """``fig`` for ``st.plotly_chart``: its dict made once when it came from :func:`figure`."""
    sent = getattr(fig, "_nc_sent", None)
    if sent is None:
        return fig
    proxy = object.__new__(Sent)
    object.__setattr__(proxy, "_sent", sent)
    return proxy
