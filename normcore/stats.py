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
    """Bin ``values`` (non-finite ones are left out) into ``bins`` equal-width bins."""
    values = np.asarray(values).ravel()
    values = values[np.isfinite(values)]
    counts, edges = np.histogram(values, bins=bins, range=value_range)
    return Histogram(edges, counts)
