"""The weight-side norms seen from outside: what Weight Standardization and Spectral Norm change.

The norms themselves are :func:`normcore.functional.weight_standardization` and
:func:`normcore.functional.spectral_norm`; this module produces the numbers a page shows
about them: per-channel weight statistics, the convolution's output statistics, the power
iteration's estimates of sigma step by step, and how far a layer stretches its inputs.
"""

from __future__ import annotations

import numpy as np

from normcore import functional as F
from normcore.data import check_size
from normcore.images import conv2d, conv_filters

WS_EPS = 1e-6  # timm's StdConv2d default; the hand-made filters' variance is ~1e-4, so 1e-5 would show


def trained_like_filters(
    out_channels: int = 12, in_channels: int = 3, drift: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, list[str]]:
    """:func:`normcore.images.conv_filters` with each output channel shifted and rescaled.

    Trained filters rarely keep zero mean and equal scale; ``drift`` sets how far each
    channel's mean (in units of its spread) and log-scale wander. 0 keeps the filters as made.
    """
    weight, names = conv_filters(out_channels, in_channels, seed)
    rng = np.random.default_rng([seed, 1])
    shift = drift * rng.standard_normal((out_channels, 1, 1, 1))
    scale = np.exp(drift * rng.standard_normal((out_channels, 1, 1, 1)))
    spread = weight.reshape(out_channels, -1).std(axis=1).reshape(-1, 1, 1, 1)  # (C_out, 1, 1, 1)
    return ((weight + shift * spread) * scale).astype(np.float32), names


def per_channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (biased) standard deviation per output channel of weights ``(C_out, *)``."""
    flat = x.reshape(x.shape[0], -1).astype(np.float64)  # (C_out, C_in * kH * kW)
    return flat.mean(axis=1), flat.std(axis=1)


def conv_output_stats(images: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of ``conv2d(images, weight)`` over the batch and space."""
    output = conv2d(images, weight, padding=1)  # (N, C_out, H, W)
    flat = output.transpose(1, 0, 2, 3).reshape(output.shape[1], -1).astype(np.float64)  # (C_out, N*H*W)
    return flat.mean(axis=1), flat.std(axis=1)


def interior_output_means(images: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Per-channel mean of ``conv2d(images, weight)`` away from the zero-padded border (one pixel wide).

    A standardized filter's weights sum to 0 over all its input channels together, so an input
    that is the same constant in every channel gives exactly 0 there; real colour images do not.
    """
    output = conv2d(images, weight, padding=1)[:, :, 1:-1, 1:-1]  # (N, C_out, H - 2, W - 2)
    return output.transpose(1, 0, 2, 3).reshape(output.shape[1], -1).astype(np.float64).mean(axis=1)


def random_matrix(rows: int, cols: int, decay: float = 0.0, seed: int = 0) -> np.ndarray:
    """A seeded Gaussian weight ``(rows, cols)``; ``decay`` > 0 spreads its singular values apart.

    The singular values are multiplied by ``exp(-decay * i)``, ``i`` their rank from 0, so
    the gap between the first two (which sets the power iteration's speed) grows with ``decay``.
    """
    check_size(rows, cols)
    gaussian = np.random.default_rng(seed).standard_normal((rows, cols)) / np.sqrt(cols)
    left, sigma, right = np.linalg.svd(gaussian, full_matrices=False)
    sigma = sigma * np.exp(-decay * np.arange(sigma.size))
    return (left * sigma) @ right


def power_iteration_trace(weight: np.ndarray, iterations: int, seed: int = 0) -> np.ndarray:
    """Spectral Norm's sigma estimate after 1, 2, ..., ``iterations`` power-iteration steps.

    Each step is :func:`normcore.functional.spectral_norm` with one iteration, fed the
    ``u`` the previous step returned, as a training loop does once per forward pass.
    """
    matrix = weight.reshape(weight.shape[0], -1)  # (out, in)
    u = np.random.default_rng(seed).standard_normal(matrix.shape[0])
    estimates = []
    for _ in range(iterations):
        _, sigma, u = F.spectral_norm(matrix, u, n_power_iterations=1)
        estimates.append(sigma)
    return np.array(estimates)


def singular_values(weight: np.ndarray) -> np.ndarray:
    """Singular values of ``weight.reshape(out, -1)``, largest first."""
    return np.linalg.svd(weight.reshape(weight.shape[0], -1), compute_uv=False)


def stretch_factors(matrix: np.ndarray, count: int = 2000, seed: int = 0) -> np.ndarray:
    """``||W x|| / ||x||`` for ``count`` random directions ``x``: how much the layer stretches inputs.

    Every factor is at most the largest singular value, the layer's Lipschitz constant.
    """
    check_size(count, matrix.shape[1])
    directions = np.random.default_rng([seed, 2]).standard_normal((count, matrix.shape[1]))  # (count, in)
    return np.linalg.norm(directions @ matrix.T, axis=1) / np.linalg.norm(directions, axis=1)
