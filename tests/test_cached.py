"""A cached figure is sent from the dict made when it was built: the same JSON, and the dict never changes."""

from __future__ import annotations

import copy

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools

from figures import histograms
from normcore.stats import histogram, value_range
from ui import cached


def test_a_cached_figure_sends_exactly_what_the_figure_would_and_stays_as_it_was():
    x = np.random.default_rng(0).normal(size=500)
    y = 2 * x + 1
    edges = value_range(x, y)
    labels = {"before": "b", "after": "a", "reference": "r", "x": "x", "y": "y"}
    fig = cached.figure(histograms.before_after, histogram(x, 50, edges), histogram(y, 50, edges),
                        labels=labels, title="t")  # fmt: skip
    kept = copy.deepcopy(fig._nc_sent)
    assert "_nc_spec" in fig.__dict__  # cached without plotly building it (figures.style.Deferred) ...
    traces, layout = copy.deepcopy(fig._nc_spec)
    built = go.Figure(data=traces, layout=layout, _validate=False)
    assert pio.to_json(fig._nc_sent, validate=False) == pio.to_json(
        built, validate=False
    )  # ... and sent as if
    for _ in range(2):  # what st.plotly_chart does with it, twice
        sent = plotly.tools.return_figure_from_figure_or_data(cached.sendable(fig), validate_figure=True)
        assert pio.to_json(sent, validate=False) == pio.to_json(fig, validate=False)
    assert fig._nc_sent == kept
    plain = histograms.before_after(
        histogram(x, 50, edges), histogram(y, 50, edges), labels=labels, title="u"
    )
    assert cached.sendable(plain) is plain  # a figure not from the cache is sent as it is


def test_equal_arguments_share_one_figure_and_different_ones_do_not():
    labels = {"before": "b", "after": "a", "reference": "r", "x": "x", "y": "y"}
    x = np.random.default_rng(1).normal(size=300)
    edges = value_range(x, x + 1)

    def made(shift: float, title: str = "t"):  # new arrays each call: equal by value, not the same objects
        return cached.figure(histograms.before_after, histogram(x.copy(), 40, edges),
                             histogram(x + shift, 40, edges), labels=dict(labels), title=title)  # fmt: skip

    first = made(1.0)
    assert made(1.0) is first  # a hit: the arrays are digested by value
    other = made(0.5)
    assert other is not first
    assert other.to_dict()["data"] != first.to_dict()["data"]
    assert made(1.0, title="u") is not first  # any argument, small ones too, is part of the key


def test_the_cache_stays_bounded():
    labels = {"before": "b", "after": "a", "reference": "r", "x": "x", "y": "y"}
    x = np.arange(10.0)
    for k in range(cached.MAX_ENTRIES + 5):
        cached.figure(histograms.before_after, histogram(x, 5, (0.0, 10.0)), histogram(x, 5, (0.0, 10.0)),
                      labels=labels, title=f"bounded {k}")  # fmt: skip
    assert len(cached._figures) == cached.MAX_ENTRIES


def test_a_cached_value_is_shared_keyed_by_its_arguments_but_not_the_underscored_ones():
    calls = []

    def summed(values: tuple, scale: float, _array=None) -> float:
        calls.append((values, scale))
        return sum(values) * scale + (0 if _array is None else float(_array.sum()))

    first = cached.value(summed, (1, 2), 2.0, _array=np.ones(3))
    assert first == 9.0 and cached.value(summed, (1, 2), 2.0, _array=np.zeros(3)) == 9.0  # not in the key
    assert cached.value(summed, (1, 2), 3.0) == 9.0 and cached.value(summed, (1, 3), 2.0) == 8.0
    assert calls == [((1, 2), 2.0), ((1, 2), 3.0), ((1, 3), 2.0)]
    for i in range(cached.MAX_VALUES + 5):
        cached.value(summed, (i,), 1.0)
    assert len(cached._tables[f"{summed.__module__}.{summed.__qualname__}"]) == cached.MAX_VALUES


def test_cached_resources_are_few_and_shared():
    made = []

    def array(size: int, _note=None) -> np.ndarray:
        made.append(size)
        return np.zeros(size)

    first = cached.resource(array, 3, _note="not in the key")
    assert cached.resource(array, 3) is first and made == [3]
    for size in range(10, 10 + cached.MAX_RESOURCES + 2):
        cached.resource(array, size)
    assert len(cached._tables[f"{array.__module__}.{array.__qualname__}"]) == cached.MAX_RESOURCES
    cached.resource(array, 99, bound=2)
    assert len(cached._tables[f"{array.__module__}.{array.__qualname__}"]) == 2  # a function's own bound
    assert cached.resource(array, 3) is not first  # the oldest left first
