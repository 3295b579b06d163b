"""The weight-side norms seen from outside: what Weight Standardization and Spectral Norm change.

The norms themselves are :func:`normcore.functional.weight_standardization` and
:func:`normcore.functional.spectral_norm`; this module produces the numbers a page shows
about them: per-channel weight statistics, the convolution's output statistics, the power
iteration's estimates of sigma step by step, and how far a layer stretches its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from normcore import functional as F
from normcore.data import check_size
from normcore.images import conv2d, conv_filters
from normcore.stats import Histogram, histogram, value_range

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


# ---------------------------------------------------------------- what the page shows


@dataclass(frozen=True)
class Standardization:
    """A layer's filters before and after Weight Standardization, and its output on a batch for both."""

    raw: np.ndarray  # (C_out, C_in, kH, kW)
    standardized: np.ndarray  # (C_out, C_in, kH, kW)
    names: list[str]  # one per output channel
    raw_output: tuple[np.ndarray, np.ndarray]  # per-channel (mean, std) of the output, (C_out,) each
    standardized_output: tuple[np.ndarray, np.ndarray]
    interior_means: np.ndarray  # (C_out,) the standardized output's means away from the border
    largest_mean: float  # max |mean| of a standardized filter: 0 up to rounding
    std_span: tuple[float, float]  # (min, max) of the standardized filters' standard deviations

    @property
    def interior_span(self) -> tuple[float, float]:
        """(min, max) of the standardized output's per-channel means away from the border."""
        return float(self.interior_means.min()), float(self.interior_means.max())

    def weights_table(self) -> dict[str, np.ndarray]:
        """Every weight, raw and standardized, one row per (channel, index in its fan-in)."""
        out, fan_in = len(self.names), self.raw[0].size
        return {
            "channel": np.repeat(np.array(self.names, dtype=object), fan_in),
            "index": np.tile(np.arange(fan_in), out),
            "raw": self.raw.reshape(-1),
            "standardized": self.standardized.reshape(-1),
        }


def standardization(
    images: np.ndarray, out_channels: int = 12, drift: float = 0.5, seed: int = 0, eps: float = WS_EPS
) -> Standardization:
    r""":func:`trained_like_filters` standardized, and their convolution output on ``images``.

    .. math:: \hat{W}_{o} = \frac{W_{o} - \mathrm{E}[W_{o}]}{\sqrt{\mathrm{Var}[W_{o}] + \epsilon}}

    per output channel ``o`` over its fan-in, with the biased variance (as
    :func:`normcore.functional.weight_standardization`).

    Args:
        images: the batch the layer convolves (zero padding 1).
        out_channels: filters made. Default: 12
        drift: how far each raw filter's mean and scale wander (:func:`trained_like_filters`). Default: 0.5
        seed: seeds the random filters and the drift. Default: 0
        eps: added to the variance. Default: ``WS_EPS`` (1e-6)

    Shape:
        - images: :math:`(N, C_{in}, H, W)`
        - raw, standardized: :math:`(C_{out}, C_{in}, 3, 3)`

    >>> from normcore.images import sample_photos
    >>> ws = standardization(np.stack(list(sample_photos().values())))
    >>> ws.largest_mean < 1e-6
    True
    """
    raw, names = trained_like_filters(out_channels, images.shape[1], drift, seed)
    standardized = F.weight_standardization(raw, eps=eps)
    mean, std = per_channel_stats(standardized)
    return Standardization(
        raw,
        standardized,
        names,
        conv_output_stats(images, raw),
        conv_output_stats(images, standardized),
        interior_output_means(images, standardized),
        float(np.abs(mean).max()),
        (float(std.min()), float(std.max())),
    )


@dataclass(frozen=True)
class SpectralNormEffect:
    """Power iteration's estimates of sigma, the spectrum before and after dividing by the last one, and
    how far the layer stretches random inputs before and after."""

    estimates: np.ndarray  # (iterations,) sigma after 1, 2, ... steps
    sigma_before: np.ndarray  # singular values, largest first
    sigma_after: np.ndarray  # of the matrix divided by estimates[-1]
    stretch_before: Histogram  # of ||W x|| / ||x||, on one range for both
    stretch_after: Histogram
    largest_stretch: tuple[float, float]  # the largest factor before and after

    @property
    def exact(self) -> float:
        """The largest singular value before: what the estimates approach."""
        return float(self.sigma_before[0])

    @property
    def error(self) -> float:
        """The last estimate's relative shortfall, ``1 - estimate / exact`` (0 once converged)."""
        return float(1 - self.estimates[-1] / self.exact)

    def power_table(self) -> dict:
        return {
            "step": np.arange(1, self.estimates.size + 1),
            "estimate": self.estimates,
            "exact": self.exact,
        }

    def spectrum_table(self) -> dict[str, np.ndarray]:
        return {"before": self.sigma_before, "after": self.sigma_after}

    def stretch_table(self) -> dict[str, np.ndarray]:
        before, after = self.stretch_before, self.stretch_after
        return {"bin_low": before.edges[:-1], "bin_high": before.edges[1:], "before": before.counts,
                "after": after.counts}  # fmt: skip


def spectral_norm_effect(
    rows: int, cols: int, decay: float = 0.0, iterations: int = 1, seed: int = 0, samples: int = 2000,
    bins: int = 60,
) -> SpectralNormEffect:  # fmt: skip
    r"""Spectral Norm of :func:`random_matrix` after ``iterations`` power-iteration steps, seen from outside.

    .. math:: W_{SN} = \frac{W}{\tilde\sigma}, \quad \tilde\sigma \le \sigma_1(W)

    where :math:`\tilde\sigma` is the estimate after the last step (what ``torch.nn.utils.spectral_norm``
    divides by), and every stretch factor :math:`\|Wx\| / \|x\|` is at most :math:`\sigma_1`.

    Args:
        rows, cols: the weight's shape (out_features, in_features).
        decay: spreads the singular values apart (:func:`random_matrix`). Default: 0.0
        iterations: power-iteration steps. Default: 1 (PyTorch's ``n_power_iterations``)
        seed: seeds the matrix, the first ``u`` and the random inputs. Default: 0
        samples: random input directions for the stretch factors. Default: 2000
        bins: bins of the stretch histograms (one range covering both and 0 to sigma). Default: 60

    Shape:
        - sigma_before, sigma_after: :math:`(\min(rows, cols),)`

    >>> effect = spectral_norm_effect(16, 32, 0.02, 100)
    >>> round(float(effect.sigma_after[0]), 6)
    1.0
    """
    matrix = random_matrix(rows, cols, decay, seed)
    trace = power_iteration_trace(matrix, iterations, seed)
    normalized = matrix / trace[-1]  # what spectral_norm returns after these iterations
    before, after = stretch_factors(matrix, samples, seed), stretch_factors(normalized, samples, seed)
    sigma = singular_values(matrix)
    span = value_range(before, after, np.array([0.0, float(sigma[0])]))
    return SpectralNormEffect(
        trace,
        sigma,
        singular_values(normalized),
        histogram(before, bins, span),
        histogram(after, bins, span),
        (float(before.max()), float(after.max())),
    )
