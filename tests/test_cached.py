"""A cached figure is sent from the dict made when it was built: the same JSON, and the dict never changes."""

from __future__ import annotations

import copy

import numpy as np
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
    for _ in range(2):  # what st.plotly_chart does with it, twice
        sent = plotly.tools.return_figure_from_figure_or_data(cached.sendable(fig), validate_figure=True)
        assert pio.to_json(sent, validate=False) == pio.to_json(fig, validate=False)
    assert fig._nc_sent == kept
    plain = histograms.before_after(
        histogram(x, 50, edges), histogram(y, 50, edges), labels=labels, title="u"
    )
    assert cached.sendable(plain) is plain  # a figure not from the cache is sent as it is
