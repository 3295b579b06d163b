"""Inputs for the pages: seeded synthetic activations (and, in later modules, real data)."""

from __future__ import annotations

import numpy as np

MAX_ELEMENTS = 2_000_000  # the largest batch any page may allocate: N * C * H * W


def check_size(*shape: int) -> None:
    """Refuse a shape above :data:`MAX_ELEMENTS` or with a non-positive size."""
    if min(shape) < 1:
        raise ValueError(f"every size must be at least 1, got {shape}")
    if int(np.prod(shape, dtype=np.int64)) > MAX_ELEMENTS:
        raise ValueError(f"shape {shape} has more than {MAX_ELEMENTS:,} elements; make it smaller")


def synthetic_activations(
    n: int,
    c: int,
    h: int = 1,
    w: int = 1,
    *,
    seed: int = 0,
    batch: int = 0,
    channel_spread: float = 2.0,
    dtype=np.float32,
) -> np.ndarray:
    """Seeded activations of shape (N, C, H, W) whose channels differ in mean and scale.

    ``seed`` fixes the population: channel ``c`` has mean ``channel_spread * m_c`` and
    standard deviation ``exp(s_c / 2)``, the situation normalization exists for.
    ``batch`` picks which batch is drawn from that population.
    """
    check_size(n, c, h, w)
    population = np.random.default_rng(seed)
    means = channel_spread * population.standard_normal(c)
    scales = np.exp(0.5 * population.standard_normal(c))
    x = np.random.default_rng([seed, batch]).standard_normal((n, c, h, w), dtype=np.float32)
    return (x * scales.reshape(1, c, 1, 1) + means.reshape(1, c, 1, 1)).astype(dtype)
