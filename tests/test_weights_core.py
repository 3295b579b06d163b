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


# ---------------------------------------------------------------- what the page shows (moved from the page)


@pytest.mark.parametrize(("channels", "drift", "seed"), [(12, 0.5, 0), (6, 0.9, 4), (4, 0.0, 2)])
def test_standardization_summary_equals_torch(channels, drift, seed):
    images = np.stack(list(I.sample_photos().values()))
    ws = W.standardization(images, channels, drift, seed)
    raw, names = W.trained_like_filters(channels, 3, drift, seed)
    np.testing.assert_array_equal(ws.raw, raw)
    assert ws.names == names
    expected = torch_weight_standardization(raw, W.WS_EPS)
    np.testing.assert_allclose(ws.standardized, expected, atol=1e-5)
    flat = torch.from_numpy(expected.reshape(channels, -1)).double()  # (C_out, 27)
    assert ws.largest_mean == pytest.approx(float(flat.mean(1).abs().max()), abs=1e-7)
    assert ws.std_span == pytest.approx(
        (float(flat.std(1, unbiased=False).min()), float(flat.std(1, unbiased=False).max())), abs=1e-5
    )
    for weight, (mean, std) in [(raw, ws.raw_output), (expected, ws.standardized_output)]:
        out = torch.nn.functional.conv2d(
            torch.from_numpy(images), torch.from_numpy(weight), padding=1
        ).double()
        np.testing.assert_allclose(mean, out.mean(dim=(0, 2, 3)).numpy(), atol=1e-5)
        np.testing.assert_allclose(std, out.std(dim=(0, 2, 3), unbiased=False).numpy(), rtol=1e-4)
    interior = out[:, :, 1:-1, 1:-1].mean(dim=(0, 2, 3)).numpy()  # the standardized output, off the border
    np.testing.assert_allclose(ws.interior_span, (interior.min(), interior.max()), atol=1e-5)


def test_standardization_weights_table_has_one_row_per_weight():
    ws = W.standardization(np.stack(list(I.sample_photos().values())), 4, 0.5, 1)
    table = ws.weights_table()
    assert {len(column) for column in table.values()} == {4 * 27}
    for row in (0, 26, 27, 4 * 27 - 1):
        channel, index = divmod(row, 27)
        assert (table["channel"][row], table["index"][row]) == (ws.names[channel], index)
        assert table["raw"][row] == ws.raw[channel].ravel()[index]
        assert table["standardized"][row] == ws.standardized[channel].ravel()[index]


@pytest.mark.parametrize(
    ("rows", "cols", "decay", "iterations", "seed"),
    [(16, 32, 0.02, 5, 0), (64, 2, 0.2, 100, 7), (2, 2, 0.0, 1, 3)],
)
def test_spectral_norm_effect_equals_torch(rows, cols, decay, iterations, seed):
    sn = W.spectral_norm_effect(rows, cols, decay, iterations, seed, samples=500, bins=30)
    matrix = W.random_matrix(rows, cols, decay, seed)
    normalized, sigma = torch_spectral_norm(
        matrix, np.random.default_rng(seed).standard_normal(rows), iterations
    )
    assert sn.estimates.shape == (iterations,) and sn.estimates[-1] == pytest.approx(sigma, rel=1e-8)
    exact = torch.linalg.svdvals(torch.from_numpy(matrix)).numpy()
    np.testing.assert_allclose(sn.sigma_before, exact, rtol=1e-10)
    np.testing.assert_allclose(
        sn.sigma_after, torch.linalg.svdvals(torch.from_numpy(normalized)).numpy(), rtol=1e-8
    )
    assert sn.exact == pytest.approx(exact[0], rel=1e-12)
    assert sn.error == pytest.approx(1 - sigma / exact[0], abs=1e-9) and sn.error >= -1e-12
    stretch = [W.stretch_factors(m, 500, seed) for m in (matrix, normalized)]
    assert sn.largest_stretch == pytest.approx((stretch[0].max(), stretch[1].max()), rel=1e-12)
    assert sn.largest_stretch[0] <= exact[0] * (1 + 1e-12)
    before, after = sn.stretch_before, sn.stretch_after
    np.testing.assert_array_equal(before.edges, after.edges)  # one range for both
    assert before.edges[0] < 0 < exact[0] < before.edges[-1]  # it covers 0 and sigma (the bound drawn)
    assert before.counts.sum() == after.counts.sum() == 500 and before.counts.size == 30


def test_spectral_norm_effect_tables_hold_what_the_charts_show():
    sn = W.spectral_norm_effect(8, 12, 0.1, 4, 1)
    power = sn.power_table()
    np.testing.assert_array_equal(power["step"], [1, 2, 3, 4])
    np.testing.assert_array_equal(power["estimate"], sn.estimates)
    assert power["exact"] == sn.sigma_before[0]
    spectrum = sn.spectrum_table()
    assert list(spectrum) == ["before", "after"]
    np.testing.assert_array_equal(spectrum["before"], sn.sigma_before)
    np.testing.assert_array_equal(spectrum["after"], sn.sigma_after)
    stretch = sn.stretch_table()
    np.testing.assert_array_equal(stretch["bin_low"], sn.stretch_before.edges[:-1])
    np.testing.assert_array_equal(stretch["bin_high"], sn.stretch_before.edges[1:])
    np.testing.assert_array_equal(stretch["before"], sn.stretch_before.counts)
    np.testing.assert_array_equal(stretch["after"], sn.stretch_after.counts)


def test_the_docstring_examples_run():
    import doctest

    results = doctest.testmod(W, extraglobs={"np": np})
    assert results.attempted >= 5 and results.failed == 0
