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

    ``labels`` are whole numbers from 0, broadcast against ``values``. Each value's bin is found as
    ``np.histogram`` finds it (its arithmetic guess, then its comparisons with the edges, the last bin
    holding its right edge), so the counts are numpy's (tests/test_stats.py compares the two).
    """
    values, labels = np.broadcast_arrays(np.asarray(values), np.asarray(labels))
    values, labels = values.ravel(), labels.ravel()
    low, high = _resolvable(value_range, bins, values.dtype)
    edges = np.histogram_bin_edges(values[:0], bins, range=(low, high))
    keep = (values >= low) & (values <= high)  # non-finite values fail both
    index = _bin_index(values[keep].astype(edges.dtype, copy=False), edges, low, high)  # (kept,)
    count = int(labels.max()) + 1 if labels.size else 0
    table = np.bincount(labels[keep] * bins + index, minlength=count * bins)
    table = table.reshape(count, bins)  # (sets, bins)
    return [Histogram(edges, table[g] if g < count else np.zeros(bins, dtype=np.intp)) for g in wanted]


def _bin_index(kept: np.ndarray, edges: np.ndarray, low: float, high: float) -> np.ndarray:
    """The bin of each value within [low, high], computed as ``np.histogram`` computes it for equal bins."""
    bins = edges.size - 1
    index = ((kept - low) / (high - low) * bins).astype(np.intp)
    index[index == bins] -= 1
    index[kept < edges[index]] -= 1
    index[(kept >= edges[index + 1]) & (index != bins - 1)] += 1
    return index


def _resolvable(value_range: tuple[float, float], bins: int, dtype) -> tuple[float, float]:
    """``value_range`` widened, if needed, to hold ``bins`` edges distinct in ``dtype``
    (numpy computes the edges in the data's precision)."""
    low, high = value_range
    centre = (low + high) / 2
    resolution = 4 * bins * float(np.finfo(np.result_type(dtype, np.float32)).eps)
    half = max((high - low) / 2, resolution * max(abs(centre), 1.0))
    return centre - half, centre + half
