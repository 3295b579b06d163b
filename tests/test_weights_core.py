"""Weight Standardization and Spectral Norm as the weight-norms page shows them; PyTorch is the oracle."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from normcore import functional as F
from normcore import images as I
from normcore import weights as W


def torch_weight_standardization(weight: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    w = torch.from_numpy(weight)
    dims = tuple(range(1, w.ndim))
    mean = w.mean(dim=dims, keepdim=True)
    var = w.var(dim=dims, keepdim=True, unbiased=False)
    return ((w - mean) / (var + eps).sqrt()).numpy()


@pytest.mark.parametrize("drift", [0.0, 0.5, 1.0])
def test_standardized_filters_have_mean_0_and_variance_1_per_output_channel(drift):
    weight, _ = W.trained_like_filters(12, 3, drift=drift, seed=3)
    standardized = F.weight_standardization(weight, eps=W.WS_EPS)
    np.testing.assert_allclose(standardized, torch_weight_standardization(weight, W.WS_EPS), atol=1e-5)
    mean, std = W.per_channel_stats(standardized)
    np.testing.assert_allclose(mean, 0, atol=1e-6)
    raw_var = W.per_channel_stats(weight)[1] ** 2
    np.testing.assert_allclose(std**2, raw_var / (raw_var + W.WS_EPS), rtol=1e-5)  # 1 up to eps
    np.testing.assert_allclose(std, 1, atol=1e-2)


def test_drift_moves_channel_means_and_scales_and_zero_drift_keeps_the_filters():
    plain, names = I.conv_filters(12, 3, seed=0)
    same, same_names = W.trained_like_filters(12, 3, drift=0.0, seed=0)
    np.testing.assert_allclose(same, plain, atol=1e-7)
    assert names == same_names
    drifted, _ = W.trained_like_filters(12, 3, drift=1.0, seed=0)
    assert np.abs(W.per_channel_stats(drifted)[0]).max() > 0.05
    assert np.ptp(np.log(W.per_channel_stats(drifted)[1])) > np.ptp(np.log(W.per_channel_stats(plain)[1]))


def test_standardized_filters_ignore_brightness_in_the_conv_output():
    weight, _ = W.trained_like_filters(12, 3, drift=1.0, seed=0)
    flat = np.full((1, 3, 9, 9), 0.6, dtype=np.float32)
    raw_response = I.conv2d(flat, weight)
    standardized_response = I.conv2d(flat, F.weight_standardization(weight))
    assert np.abs(raw_response).max() > 0.05
    np.testing.assert_allclose(standardized_response, 0, atol=1e-5)  # weights sum to zero


def test_conv_output_stats_equal_torch():
    images = np.stack(list(I.sample_photos().values()))
    weight, _ = W.trained_like_filters(drift=0.7, seed=1)
    mean, std = W.conv_output_stats(images, weight)
    out = torch.nn.functional.conv2d(torch.from_numpy(images), torch.from_numpy(weight), padding=1).double()
    np.testing.assert_allclose(mean, out.mean(dim=(0, 2, 3)).numpy(), atol=1e-6)
    np.testing.assert_allclose(std, out.std(dim=(0, 2, 3), unbiased=False).numpy(), rtol=1e-5)


def torch_spectral_norm(matrix: np.ndarray, u0: np.ndarray, iterations: int) -> tuple[np.ndarray, float]:
    layer = torch.nn.Linear(matrix.shape[1], matrix.shape[0], bias=False).double()
    layer.weight.data = torch.from_numpy(matrix.copy())
    layer = torch.nn.utils.spectral_norm(layer, n_power_iterations=iterations)
    layer.weight_u.data = torch.nn.functional.normalize(torch.from_numpy(u0), dim=0, eps=1e-12)
    layer.train()
    layer(torch.zeros(1, matrix.shape[1], dtype=torch.float64))  # a forward pass runs the iterations
    normalized = layer.weight.detach().numpy()
    return normalized, float(matrix[0, 0] / normalized[0, 0])


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(1, 12),
    cols=st.integers(1, 12),
    iterations=st.integers(1, 6),
    seed=st.integers(0, 10**6),
)
def test_spectral_norm_step_by_step_equals_torch(rows, cols, iterations, seed):
    matrix = W.random_matrix(rows, cols, decay=0.2, seed=seed)
    u0 = np.random.default_rng(seed).standard_normal(rows)
    normalized, sigma, _ = F.spectral_norm(matrix, u0, n_power_iterations=iterations)
    expected, expected_sigma = torch_spectral_norm(matrix, u0, iterations)
    np.testing.assert_allclose(normalized, expected, rtol=1e-8, atol=1e-12)
    assert sigma == pytest.approx(expected_sigma, rel=1e-8)
    assert W.power_iteration_trace(matrix, iterations, seed)[-1] == pytest.approx(sigma, rel=1e-12)


@pytest.mark.parametrize("shape", [(12, 27), (64, 64), (5, 40), (40, 5)])
def test_power_iteration_approaches_the_exact_largest_singular_value_from_below(shape):
    matrix = W.random_matrix(*shape, decay=0.05, seed=7)
    exact = np.linalg.svd(matrix, compute_uv=False)[0]
    trace = W.power_iteration_trace(matrix, 300, seed=1)
    assert np.all(trace <= exact * (1 + 1e-12))
    assert trace[-1] == pytest.approx(exact, rel=1e-6)
    assert trace[0] < exact * 0.999  # one step is not enough for these matrices
    np.testing.assert_allclose(W.singular_values(matrix), np.linalg.svd(matrix, compute_uv=False))


def test_decay_widens_the_gap_that_sets_the_power_iteration_speed():
    close = W.singular_values(W.random_matrix(32, 32, decay=0.0, seed=0))
    apart = W.singular_values(W.random_matrix(32, 32, decay=0.3, seed=0))
    assert apart[1] / apart[0] < close[1] / close[0]
    assert abs(np.log(apart[1] / apart[0]) - np.log(close[1] / close[0]) + 0.3) < 1e-9


def test_spectral_norm_bounds_how_far_the_layer_stretches_an_input():
    matrix = W.random_matrix(20, 30, decay=0.1, seed=2)
    sigma = np.linalg.svd(matrix, compute_uv=False)[0]
    stretch = W.stretch_factors(matrix, 3000, seed=0)
    assert stretch.max() <= sigma and stretch.max() > 0.5 * sigma
    normalized, _, _ = F.spectral_norm(matrix, n_power_iterations=200)
    assert W.stretch_factors(normalized, 3000, seed=0).max() <= 1 + 1e-9
    np.testing.assert_allclose(W.singular_values(normalized)[0], 1.0, rtol=1e-9)
    top_direction = np.linalg.svd(matrix)[2][0]
    assert np.linalg.norm(normalized @ top_direction) == pytest.approx(1.0, rel=1e-9)
