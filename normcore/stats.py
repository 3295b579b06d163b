"""Summaries computed on the server so that charts receive bars, not raw samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Histogram:
    """Counts of values in equal-width bins: ``counts[i]`` values in ``[edges[i], edges[i+1])``."""

    edges: np.ndarray  # (bins + 1,)
    counts: np.ndarray  # (bins,)

    @property
    def centers(self) -> np.ndarray:
        return (self.edges[:-1] + self.edges[1:]) / 2

    @property
    def width(self) -> float:
        return float(self.edges[1] - self.edges[0])

    def density(self) -> np.ndarray:
        """Counts scaled so the bars' area is 1 (comparable with a probability density)."""
        total = self.counts.sum()
        return self.counts / (total * self.width) if total else self.counts.astype(float)


def value_range(*arrays: np.ndarray, pad: float = 0.05) -> tuple[float, float]:
    """A shared, finite (low, high) covering every array, so compared panels share axes."""
    finite = [a[np.isfinite(a)] for a in arrays]
    finite = [a for a in finite if a.size]
    if not finite:
        return -1.0, 1.0
    low = min(float(a.min()) for a in finite)
    high = max(float(a.max()) for a in finite)
    span = high - low or 1.0
    return low - pad * span, high + pad * span


def histogram(
    values: np.ndarray, bins: int = 50, value_range: tuple[float, float] | None = None
) -> Histogram:
    """Bin ``values`` (non-finite ones are left out) into ``bins`` equal-width bins.

    A range too narrow for ``bins`` distinct float edges (all values equal, or a spread of
    1e-7 around 3) is widened around its centre, so binning never fails.
    """
    values = np.asarray(values).ravel()
    values = values[np.isfinite(values)]
    if value_range is None:
        value_range = (float(values.min()), float(values.max())) if values.size else (-1.0, 1.0)
    counts, edges = np.histogram(values, bins=bins, range=_resolvable(value_range, bins, values.dtype))
    return Histogram(edges, counts)


def grouped_histograms(
    values: np.ndarray, labels: np.ndarray, wanted: list[int], bins: int, value_range: tuple[float, float]
) -> list[Histogram]:
    """``[histogram(values[labels == g], bins, value_range) for g in wanted]``, binned in one pass.

    ``labels`` are whole numbers from 0, broadcast against ``values``. Each value's bin is numpy's
    (:func:`bin_index`), so the counts are (tests/test_stats.py compares the two).
    """
    values, labels = np.broadcast_arrays(np.asarray(values), np.asarray(labels))
    values, labels = values.ravel(), labels.ravel()
    low, high = _resolvable(value_range, bins, values.dtype)
    edges = np.histogram_bin_edges(values[:0], bins, range=(low, high))
    keep = (values >= low) & (values <= high)  # non-finite values fail both
    index = bin_index(values[keep].astype(edges.dtype, copy=False), edges)  # (kept,)
    count = int(labels.max()) + 1 if labels.size else 0
    table = np.bincount(labels[keep] * bins + index, minlength=count * bins)
    table = table.reshape(count, bins)  # (sets, bins)
    return [Histogram(edges, table[g] if g < count else np.zeros(bins, dtype=np.intp)) for g in wanted]


def bin_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The bin of each of ``values`` (all within ``edges[0]``..``edges[-1]``), as ``np.histogram`` places
    it: the last edge ``e <= value`` (the last bin holds the last edge).

    A value's offset from the first edge in bin widths (float64) gives its bin, except for values within
    rounding of an edge (the edges, rounded in their dtype, sit within 2 ulp of first + i * width): those
    are placed by comparing them with the edges, as np.histogram places every value (faster than it: only
    those few are compared)."""
    bins = edges.size - 1
    first, last = float(edges[0]), float(edges[-1])
    width = (last - first) / bins
    near = 2 * max(abs(first), abs(last)) * float(np.finfo(edges.dtype).eps) / width + 1e-9
    offset = np.subtract(values, first, dtype=np.float64)
    offset *= bins / (last - first)
    index = offset.astype(np.intp)  # truncates: offset >= 0
    offset -= index
    unsure = np.flatnonzero(np.abs(offset - 0.5) > 0.5 - near)
    if unsure.size:
        index[unsure] = np.searchsorted(edges, values[unsure], side="right") - 1
    return np.clip(index, 0, bins - 1, out=index)


def _resolvable(value_range: tuple[float, float], bins: int, dtype) -> tuple[float, float]:
    """``value_range`` widened, if needed, to hold ``bins`` edges distinct in ``dtype``
    (numpy computes the edges in the data's precision)."""
    low, high = value_range
    centre = (low + high) / 2
    resolution = 4 * bins * float(np.finfo(np.result_type(dtype, np.float32)).eps)
    half = max((high - low) / 2, resolution * max(abs(centre), 1.0))
    return centre - half, centre + half
