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

from figures.style import projector_dict, stacked_dict

MAX_ENTRIES = 256
MAX_VALUES = 64  # per function; summaries: ~0.1-1 MB each at the largest batch
MAX_RESOURCES = 4  # per function, unless it says; batches and normalized batches: ~16 MB an array at most
_figures: OrderedDict[bytes, go.Figure] = OrderedDict()
_tables: dict[str, OrderedDict[bytes, object]] = {}  # values and resources, one table per function
_lock = threading.Lock()


class Sent(go.Figure):
    """A figure as ``st.plotly_chart`` reads it: only ``to_dict()``, answering the dict made at build time.

    Not constructed through plotly (``object.__new__``): nothing but ``to_dict`` may be used on it."""

    def to_dict(self) -> dict:
        return self._sent


def figure(make, *args, **kwargs):
    """``make(*args, **kwargs)`` from a shared cache; the caller must never mutate the result."""
    return _shared(_figures, MAX_ENTRIES, _built, make, args, kwargs)


def value(make, *args, **kwargs):
    """``make(*args, **kwargs)`` from a shared cache of values (summaries: numbers and small arrays),
    at most ``MAX_VALUES`` results of each function.

    Keyword arguments whose names start with ``_`` are passed but not part of the key, as in Streamlit's
    caches (an upload's array, whose digest is already an argument). The caller must never mutate the
    result: every session gets the same object."""
    return _called(make, MAX_VALUES, args, kwargs)


def resource(make, *args, bound: int = MAX_RESOURCES, **kwargs):
    """:func:`value` for the few large arrays a page reuses (a batch, its normalized batch, the backward
    pass's statistics: megabytes each at the largest size), at most ``bound`` results of each function.
    Streamlit's ``st.cache_resource`` hashed the arguments' dataclasses field by field on every call
    (~1 ms of a slider move for two look-ups)."""
    return _called(make, bound, args, kwargs)


def _called(make, bound: int, args, kwargs):
    with _lock:
        table = _tables.setdefault(f"{make.__module__}.{make.__qualname__}", OrderedDict())
    keyed = {k: v for k, v in kwargs.items() if not k.startswith("_")}
    return _shared(table, bound, lambda f, a, k: f(*a, **k), make, args, kwargs, keyed)


def _shared(table: OrderedDict, bound: int, build, make, args, kwargs, keyed=None):
    """``build(make, args, kwargs)`` kept in ``table`` (at most ``bound`` entries) under a digest of the
    pickled function name and arguments (``keyed`` in place of ``kwargs`` when given)."""
    name = f"{make.__module__}.{make.__qualname__}"
    try:
        key = hashlib.blake2b(pickle.dumps((name, args, kwargs if keyed is None else keyed), protocol=5),
                              digest_size=20).digest()  # fmt: skip
    except (pickle.PicklingError, TypeError, AttributeError):  # not picklable: built, not cached
        return build(make, args, kwargs)
    with _lock:
        found = table.get(key)
        if found is not None:
            table.move_to_end(key)
            return found
    made = build(make, args, kwargs)  # outside the lock: two sessions may both build it, both right
    with _lock:
        made = table.setdefault(key, made)
        table.move_to_end(key)
        while len(table) > bound:
            table.popitem(last=False)
    return made


def _built(make, args, kwargs) -> go.Figure:
    fig = make(*args, **kwargs)
    object.__setattr__(fig, "_nc_sent", fig.to_dict())
    return fig


def sendable(fig: go.Figure) -> go.Figure:
    """``fig`` for ``st.plotly_chart``: its dict made once when it came from :func:`figure`."""
    sent = getattr(fig, "_nc_sent", None)
    return fig if sent is None else _proxy(sent)


def for_viewer(fig: go.Figure, *, projector: bool, phone: bool) -> go.Figure:
    """``fig`` as one viewer gets it: enlarged for a projector, its panels stacked for a phone, both, or as
    it is (its dict made once when it came from :func:`figure`); each variant made once per cached figure."""
    if not (projector or phone):
        return sendable(fig)
    sent = getattr(fig, "_nc_sent", None)
    name = f"_nc_viewer_{projector:d}{phone:d}"
    made = getattr(fig, name, None)
    if made is None:
        made = fig.to_dict() if sent is None else sent
        made = projector_dict(made) if projector else made
        made = stacked_dict(made) if phone else made
        if sent is not None:  # a shared figure: every viewer of this kind reuses the copy
            object.__setattr__(fig, name, made)
    return _proxy(made)


def _proxy(sent: dict) -> Sent:
    proxy = object.__new__(Sent)
    object.__setattr__(proxy, "_sent", sent)
    return proxy
