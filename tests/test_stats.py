"""Histograms binned on the server: the grouped binning equals numpy's, one group at a time."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normcore.stats import grouped_histograms, histogram


def one_at_a_time(values, labels, wanted, bins, value_range):
    values, labels = np.broadcast_arrays(values, labels)
    return [histogram(values[labels == g], bins, value_range) for g in wanted]


def assert_same(grouped, single):
    assert len(grouped) == len(single)
    for a, b in zip(grouped, single, strict=True):
        np.testing.assert_array_equal(a.edges, b.edges)
        np.testing.assert_array_equal(a.counts, b.counts)
        assert a.counts.dtype == b.counts.dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_grouped_histograms_equal_numpy_group_by_group(dtype):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(16, 8, 64)).astype(dtype)
    labels = rng.integers(0, 5, size=(16, 8, 1))
    assert_same(grouped_histograms(values, labels, [0, 2, 4], 25, (-4.0, 4.0)),
                one_at_a_time(values, labels, [0, 2, 4], 25, (-4.0, 4.0)))  # fmt: skip


def test_values_on_edges_outside_the_range_and_not_finite():
    edges = np.histogram_bin_edges(np.zeros(0), 10, range=(-1.0, 1.0))
    values = np.concatenate([edges, edges + 1e-17, edges - 1e-17, [-1.5, 1.5, np.nan, np.inf, -np.inf]])
    labels = np.arange(values.size) % 3
    assert_same(grouped_histograms(values, labels, [0, 1, 2], 10, (-1.0, 1.0)),
                one_at_a_time(values, labels, [0, 1, 2], 10, (-1.0, 1.0)))  # fmt: skip


def test_a_group_with_no_values_and_a_range_too_narrow_to_bin():
    values = np.full(12, 3.0)
    labels = np.zeros(12, dtype=int)
    assert_same(grouped_histograms(values, labels, [0, 1, 7], 50, (3.0, 3.0)),
                one_at_a_time(values, labels, [0, 1, 7], 50, (3.0, 3.0)))  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=64), min_size=1, max_size=200),
    st.integers(1, 60),
    st.integers(1, 4),
    st.floats(-10, 10),
    st.floats(0.001, 100),
)
def test_grouped_histograms_equal_numpy_for_any_values(raw, bins, groups, low, span):
    values = np.array(raw)
    labels = np.arange(values.size) % groups
    value_range = (low, low + span)
    wanted = list(range(groups + 1))
    assert_same(grouped_histograms(values, labels, wanted, bins, value_range),
                one_at_a_time(values, labels, wanted, bins, value_range))  # fmt: skip
