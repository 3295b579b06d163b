"""normcore.functional against PyTorch, the oracle, on many shapes and values."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import normcore as nc

TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}
DTYPES = st.sampled_from([np.float32, np.float64])
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


# float32 carries ~7 digits, and PyTorch's float32 kernels lose accuracy as a set's
# values sit further from zero than its spread: measured here, with |x| / sigma = 39 a
# layer norm from PyTorch is 1.7e-5 from the float64 truth (normcore's is 3e-7, see
# normcore.functional.center). The 1e-5 contract is for sets PyTorch resolves to that
# accuracy: draws are kept where every set's max |x| is within 16 sigma (float32) or
# 1e4 sigma (float64, for its 1e-10) of zero.
MAX_OFFSET_IN_STDS = {np.float32: 10.0, np.float64: 1e4}
MAX_CONDITION = {np.float32: 16.0, np.float64: 1e4}


def assume_well_conditioned(x, axes):
    """Discard a draw in which some normalization set is beyond its dtype's tolerance."""
    x64 = x.astype(np.float64)
    sigma = np.sqrt(x64.var(axis=axes, keepdims=True) + 1e-5)
    assume(float(np.max(np.abs(x64) / sigma)) < MAX_CONDITION[x.dtype.type])


@st.composite
def batches(draw, min_dim=2, max_dim=4, min_values_per_channel=1):
    """A random (N, C, *) batch with a random offset and scale, in float32 or float64."""
    dtype = draw(DTYPES)
    ndim = draw(st.integers(min_dim, max_dim))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(ndim))
    while np.prod(shape) // shape[1] < min_values_per_channel:
        shape = (shape[0] + 1,) + shape[1:]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.floats(0.01, 100))
    bound = MAX_OFFSET_IN_STDS[dtype]
    offset = draw(st.floats(-bound, bound)) * scale
    return (rng.standard_normal(shape) * scale + offset).astype(dtype)


def affine_params(rng, c, dtype):
    return rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)


def close(actual, expected, dtype):
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    assert actual.dtype == dtype
    np.testing.assert_allclose(actual, expected, **TOLERANCE[dtype])


@SETTINGS
@given(batches(min_values_per_channel=2), st.floats(0.01, 0.9))
def test_batch_norm_training_matches_torch_over_several_steps(x, momentum):
    assume_well_conditioned(x, (0, *range(2, x.ndim)))
    dtype = x.dtype.type
    rng = np.random.default_rng(0)
    c = x.shape[1]
    weight, bias = affine_params(rng, c, dtype)
    running_mean, running_var = np.zeros(c, dtype), np.ones(c, dtype)
    torch_mean, torch_var = torch.from_numpy(running_mean.copy()), torch.from_numpy(running_var.copy())
    spread = float(x.std()) or 1.0
    for step in range(3):
        batch = (x * (1 + 0.2 * step) + 0.3 * step * spread).astype(
            dtype
        )  # another batch, as well conditioned
        assume_well_conditioned(batch, (0, *range(2, x.ndim)))
        out = nc.batch_norm(batch, running_mean, running_var, weight, bias, True, momentum)
        expected = TF.batch_norm(
            torch.from_numpy(batch),
            torch_mean,
            torch_var,
            torch.from_numpy(weight),
            torch.from_numpy(bias),
            True,
            momentum,
        )
        close(out, expected, dtype)
    close(running_mean, torch_mean, dtype)
    close(running_var, torch_var, dtype)


@SETTINGS
@given(batches())
def test_batch_norm_eval_uses_running_statistics(x):
    dtype = x.dtype.type
    rng = np.random.default_rng(1)
    c = x.shape[1]
    running_mean = rng.standard_normal(c).astype(dtype)
    running_var = rng.uniform(0.1, 3, c).astype(dtype)
    weight, bias = affine_params(rng, c, dtype)
    out = nc.batch_norm(x, running_mean, running_var, weight, bias, training=False)
    expected = TF.batch_norm(
        *(torch.from_numpy(a) for a in (x, running_mean, running_var, weight, bias)), training=False
    )
    close(out, expected, dtype)


@SETTINGS
@given(batches(min_dim=2))
def test_layer_norm_matches_torch(x):
    assume_well_conditioned(x, tuple(range(1, x.ndim)))
    dtype = x.dtype.type
    shape = x.shape[1:]
    rng = np.random.default_rng(2)
    weight, bias = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    out = nc.layer_norm(x, shape, weight, bias)
    expected = TF.layer_norm(torch.from_numpy(x), shape, torch.from_numpy(weight), torch.from_numpy(bias))
    close(out, expected, dtype)


@SETTINGS
@given(batches(), st.data())
def test_group_norm_matches_torch(x, data):
    dtype = x.dtype.type
    c = x.shape[1]
    groups = data.draw(st.sampled_from(nc.valid_group_counts(c)))
    assume_well_conditioned(x.reshape(x.shape[0], groups, -1), (2,))
    weight, bias = affine_params(np.random.default_rng(3), c, dtype)
    args = (groups, torch.from_numpy(weight), torch.from_numpy(bias))
    try:
        expected = TF.group_norm(torch.from_numpy(x), *args)
    except ValueError as error:  # PyTorch refuses N * C / G * spatial == 1; so must we
        with pytest.raises(ValueError, match=str(error).split(",")[0]):
            nc.group_norm(x, groups, weight, bias)
        return
    close(nc.group_norm(x, groups, weight, bias), expected, dtype)


@SETTINGS
@given(batches(min_dim=3), st.floats(0.01, 0.9))
def test_instance_norm_matches_torch_with_running_statistics(x, momentum):
    dtype = x.dtype.type
    if np.prod(x.shape[2:]) < 2:
        x = np.concatenate([x, x * 2 + 1], axis=-1)
    assume_well_conditioned(x, tuple(range(2, x.ndim)))
    c = x.shape[1]
    weight, bias = affine_params(np.random.default_rng(4), c, dtype)
    running_mean, running_var = np.zeros(c, dtype), np.ones(c, dtype)
    torch_mean, torch_var = torch.from_numpy(running_mean.copy()), torch.from_numpy(running_var.copy())
    out = nc.instance_norm(x, running_mean, running_var, weight, bias, True, momentum)
    expected = TF.instance_norm(
        torch.from_numpy(x),
        torch_mean,
        torch_var,
        torch.from_numpy(weight),
        torch.from_numpy(bias),
        True,
        momentum,
    )
    close(out, expected, dtype)
    close(running_mean, torch_mean, dtype)
    close(running_var, torch_var, dtype)
    evaluated = nc.instance_norm(x, running_mean, running_var, weight, bias, use_input_stats=False)
    expected = TF.instance_norm(
        torch.from_numpy(x), torch_mean, torch_var, torch.from_numpy(weight), torch.from_numpy(bias), False
    )
    close(evaluated, expected, dtype)


@SETTINGS
@given(batches(min_dim=2), st.data())
def test_rms_norm_matches_torch(x, data):
    dtype = x.dtype.type
    trailing = data.draw(st.integers(1, x.ndim - 1))
    shape = x.shape[x.ndim - trailing :]
    assume_well_conditioned(x, tuple(range(x.ndim - trailing, x.ndim)))
    weight = np.random.default_rng(5).standard_normal(shape).astype(dtype)
    eps = data.draw(st.sampled_from([None, 1e-6, 1e-3]))
    out = nc.rms_norm(x, shape, weight, eps)
    expected = TF.rms_norm(torch.from_numpy(x), shape, torch.from_numpy(weight), eps)
    close(out, expected, dtype)


def reference_batch_renorm(x, running_mean, running_var, eps, r_max, d_max):
    """Ioffe (2017), Algorithm 1, written out in torch."""
    axes = [0] + list(range(2, x.dim()))
    shape = [1, -1] + [1] * (x.dim() - 2)
    mean = x.mean(axes)
    std = torch.sqrt(x.var(axes, unbiased=False) + eps)
    running_std = torch.sqrt(running_var + eps)
    r = torch.clamp(std / running_std, 1 / r_max, r_max)
    d = torch.clamp((mean - running_mean) / running_std, -d_max, d_max)
    return (x - mean.view(shape)) / std.view(shape) * r.view(shape) + d.view(shape)


@SETTINGS
@given(batches(min_values_per_channel=2), st.floats(1, 5), st.floats(0, 6))
def test_batch_renorm_matches_the_paper(x, r_max, d_max):
    assume_well_conditioned(x, (0, *range(2, x.ndim)))
    dtype = x.dtype.type
    rng = np.random.default_rng(6)
    c = x.shape[1]
    running_mean = (rng.standard_normal(c) * 50).astype(dtype)
    running_var = rng.uniform(0.01, 1000, c).astype(dtype)
    expected = reference_batch_renorm(
        torch.from_numpy(x), torch.from_numpy(running_mean), torch.from_numpy(running_var), 1e-5, r_max, d_max
    )
    torch_mean, torch_var = torch.from_numpy(running_mean.copy()), torch.from_numpy(running_var.copy())
    TF.batch_norm(torch.from_numpy(x), torch_mean, torch_var, training=True)
    out = nc.batch_renorm(x, running_mean, running_var, training=True, r_max=r_max, d_max=d_max)
    close(out, expected, dtype)
    close(running_mean, torch_mean, dtype)  # running statistics updated as batch norm does
    close(running_var, torch_var, dtype)


@SETTINGS
@given(batches(min_values_per_channel=2))
def test_batch_renorm_with_no_correction_is_batch_norm(x):
    assume_well_conditioned(x, (0, *range(2, x.ndim)))
    c = x.shape[1]
    out = nc.batch_renorm(x, np.zeros(c), np.ones(c), training=True, r_max=1.0, d_max=0.0)
    close(out, nc.batch_norm(x, None, None, training=True), x.dtype.type)


@SETTINGS
@given(batches(min_dim=2))
def test_weight_standardization_matches_formula(w):
    assume_well_conditioned(w, tuple(range(1, w.ndim)))
    t = torch.from_numpy(w)
    axes = list(range(1, w.ndim))
    expected = (t - t.mean(axes, keepdim=True)) / torch.sqrt(t.var(axes, unbiased=False, keepdim=True) + 1e-5)
    close(nc.weight_standardization(w), expected, w.dtype.type)


@SETTINGS
@given(batches(min_dim=2), st.integers(0, 4))
def test_spectral_norm_matches_torch_power_iteration(w, iterations):
    w = w.astype(np.float64)
    module = torch.nn.Linear(1, 1).double()
    module.weight = torch.nn.Parameter(torch.from_numpy(w.copy()))
    module = torch.nn.utils.spectral_norm(module, n_power_iterations=max(iterations, 1))
    u0 = module.weight_u.detach().numpy().copy()
    module.train()
    power_iteration = next(iter(module._forward_pre_hooks.values()))  # what a forward pass runs first
    power_iteration(module, None)
    out, _, u = nc.spectral_norm(w, u0, max(iterations, 1))
    close(out, module.weight, np.float64)
    close(u, module.weight_u, np.float64)


def test_spectral_norm_converges_to_the_largest_singular_value():
    w = np.random.default_rng(7).standard_normal((16, 3, 3, 3))
    _, sigma, _ = nc.spectral_norm(w, n_power_iterations=200)
    assert sigma == pytest.approx(np.linalg.svd(w.reshape(16, -1), compute_uv=False)[0], rel=1e-9)


@SETTINGS
@given(batches(min_dim=3), st.integers(2, 6))
def test_adain_matches_formula(content, style_size):
    dtype = content.dtype.type
    if np.prod(content.shape[2:]) < 2:
        content = np.concatenate([content, content * 3], axis=-1)
    assume_well_conditioned(content, tuple(range(2, content.ndim)))
    n, c = content.shape[:2]
    style = (np.random.default_rng(8).standard_normal((n, c, style_size, style_size)) * 1.5 + 2).astype(dtype)
    tc, ts = torch.from_numpy(content), torch.from_numpy(style)
    c_axes, s_axes = list(range(2, tc.dim())), [2, 3]
    c_mean, s_mean = tc.mean(c_axes, keepdim=True), ts.mean(s_axes, keepdim=True)
    c_std = torch.sqrt(tc.var(c_axes, unbiased=False, keepdim=True) + 1e-5)
    s_std = torch.sqrt(ts.var(s_axes, unbiased=False, keepdim=True) + 1e-5).view(n, c, *[1] * len(c_axes))
    expected = s_std * (tc - c_mean) / c_std + s_mean.view(n, c, *[1] * len(c_axes))
    close(nc.adain(content, style), expected, dtype)


# ---------------------------------------------------------------- edge cases and identities


def test_group_norm_with_one_group_is_layer_norm_and_with_c_groups_is_instance_norm():
    x = np.random.default_rng(9).standard_normal((3, 6, 4, 4))
    np.testing.assert_allclose(nc.group_norm(x, 1), nc.layer_norm(x, x.shape[1:]), atol=1e-12)
    np.testing.assert_allclose(nc.group_norm(x, 6), nc.instance_norm(x), atol=1e-12)


@pytest.mark.parametrize("shape", [(1, 3, 4, 4), (5, 1, 2, 2), (4, 3, 1, 1), (1, 1, 2, 3)])
def test_edge_shapes_match_torch(shape):
    x = np.random.default_rng(10).standard_normal(shape)
    t = torch.from_numpy(x)
    close(
        nc.batch_norm(x, None, None, training=True), TF.batch_norm(t, None, None, training=True), np.float64
    )
    close(nc.layer_norm(x, shape[1:]), TF.layer_norm(t, shape[1:]), np.float64)
    close(nc.group_norm(x, 1), TF.group_norm(t, 1), np.float64)
    close(nc.rms_norm(x, shape[1:]), TF.rms_norm(t, shape[1:]), np.float64)


def test_worked_example_every_tutorial_uses():
    x = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], dtype=np.float64)
    explained = nc.explain(x, "batch")
    assert explained.mean.tolist() == [4.0, 5.0]
    assert explained.var.tolist() == [5.0, 5.0]
    assert explained.output[0, 0, 0] == pytest.approx(-1.3416, abs=1e-4)
    np.testing.assert_allclose(
        nc.batch_norm(x, None, None, training=True),
        TF.batch_norm(torch.from_numpy(x), None, None, training=True),
    )


def test_results_keep_the_input_dtype():
    x32 = np.random.default_rng(11).standard_normal((4, 3, 2)).astype(np.float32)
    for out in [
        nc.batch_norm(x32, None, None, training=True),
        nc.layer_norm(x32, (3, 2)),
        nc.group_norm(x32, 3),
        nc.instance_norm(x32),
        nc.rms_norm(x32, (2,)),
        nc.weight_standardization(x32),
        nc.spectral_norm(x32)[0],
        nc.adain(x32, x32),
    ]:
        assert out.dtype == np.float32


def test_nan_stays_in_its_own_set_as_in_torch():
    x = np.random.default_rng(12).standard_normal((4, 3, 5))
    x[0, 1, 2] = np.nan
    ours = nc.batch_norm(x, None, None, training=True)
    theirs = TF.batch_norm(torch.from_numpy(x), None, None, training=True).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    assert np.isnan(ours[:, 1]).all() and not np.isnan(ours[:, [0, 2]]).any()


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: nc.group_norm(np.ones((2, 6, 3)), 4),
            r"num_channels \(6\) must be divisible by num_groups \(4\); valid: 1, 2, 3, 6",
        ),
        (
            lambda: nc.batch_norm(np.ones((1, 4)), None, None, training=True),
            "Expected more than 1 value per channel when training",
        ),
        (lambda: nc.instance_norm(np.ones((2, 3, 1))), "Expected more than 1 spatial element"),
        (
            lambda: nc.batch_norm(np.ones((3, 4)), np.zeros(3), np.ones(4)),
            r"running_mean should have shape \(4,\)",
        ),
        (
            lambda: nc.batch_norm(np.ones((3, 4)), None, None, weight=np.ones(5), training=True),
            "weight should have shape",
        ),
        (lambda: nc.batch_norm(np.ones((3, 4)), None, None), "must be given in eval mode"),
        (lambda: nc.layer_norm(np.ones((3, 4)), (5,)), "normalized_shape"),
        (lambda: nc.layer_norm(np.ones((3, 4)), (4,), eps=0.0), "eps must be positive"),
        (lambda: nc.group_norm(np.ones((3, 4)), 2, eps=-1.0), "eps must be positive"),
        (lambda: nc.batch_norm(np.ones(4), None, None, training=True), "at least 2 dimensions"),
        (
            lambda: nc.batch_norm(np.ones((3, 4), dtype=np.int64), None, None, training=True),
            "float32 or float64",
        ),
        (lambda: nc.batch_renorm(np.ones((3, 4)), None, None, training=True), "needs running_mean"),
        (lambda: nc.batch_renorm(np.ones((3, 4)), np.zeros(4), np.ones(4), r_max=0.5), "r_max >= 1"),
        (lambda: nc.adain(np.ones((2, 3, 4)), np.ones((2, 4, 4))), "style must have the content's channels"),
        (lambda: nc.spectral_norm(np.ones((3, 4)), u=np.ones(5)), r"u should have shape \(3,\)"),
    ],
)
def test_bad_input_says_what_to_change(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------- properties


NORM_CALLS = {
    "batch": lambda x: nc.batch_norm(x, None, None, training=True, eps=1e-12),
    "layer": lambda x: nc.layer_norm(x, x.shape[1:], eps=1e-12),
    "group": lambda x: nc.group_norm(x, 2, eps=1e-12),
    "instance": lambda x: nc.instance_norm(x, eps=1e-12),
}


@pytest.mark.parametrize("norm", list(NORM_CALLS))
@given(a=st.floats(0.1, 100), b=st.floats(-100, 100), seed=st.integers(0, 1000))
@settings(max_examples=25, deadline=None)
def test_output_is_unchanged_by_positive_affine_maps_of_each_set(norm, a, b, seed):
    x = np.random.default_rng(seed).standard_normal((4, 4, 3, 3))
    index = np.broadcast_to(nc.set_index((4, 4, 9), norm, num_groups=2), (4, 4, 9)).reshape(x.shape)
    scales, shifts = a * (1 + index), b * (index - 1)  # a different map for every set
    np.testing.assert_allclose(NORM_CALLS[norm](x * scales + shifts), NORM_CALLS[norm](x), atol=1e-7)


@pytest.mark.parametrize("norm", ["batch", "layer", "group", "instance"])
def test_each_set_has_mean_zero_and_variance_one(norm):
    x = np.random.default_rng(13).standard_normal((5, 4, 3, 3)) * 7 + 3
    explained = nc.explain(x, norm, num_groups=2, eps=1e-12)
    index = np.broadcast_to(explained.set_index, explained.output.shape).ravel()
    values = explained.output.ravel()
    for s in range(explained.num_sets):
        assert values[index == s].mean() == pytest.approx(0, abs=1e-10)
        assert values[index == s].var() == pytest.approx(1, abs=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_batches_take_the_blocked_sum_of_squares_and_still_match_torch(dtype):
    # Reduced lengths that divide into 256-value blocks (nc.functional.DOT_BLOCK).
    x = (np.random.default_rng(14).standard_normal((8, 16, 16, 32)) * 2 + 3).astype(dtype)
    t = torch.from_numpy(x)
    assert (16 * 32) % nc.functional.DOT_BLOCK == 0
    close(nc.batch_norm(x, None, None, training=True), TF.batch_norm(t, None, None, training=True), dtype)
    close(nc.layer_norm(x, x.shape[1:]), TF.layer_norm(t, x.shape[1:]), dtype)
    close(nc.group_norm(x, 4), TF.group_norm(t, 4), dtype)
    close(nc.instance_norm(x), TF.instance_norm(t), dtype)


# ---------------------------------------------------------------- edges: huge values, empty batches, inf


def _float64_reference(norm: str, x64: np.ndarray) -> np.ndarray:
    """PyTorch in float64 (no overflow below 1e154), the truth a float32 result is held to."""
    t = torch.from_numpy(x64)
    c = x64.shape[1]
    mean, var = x64.mean(axis=(0, 2, 3)), x64.var(axis=(0, 2, 3))
    if norm == "batch":
        return TF.batch_norm(t, None, None, training=True).numpy()
    if norm == "batch_eval":
        return TF.batch_norm(t, torch.from_numpy(mean), torch.from_numpy(var), training=False).numpy()
    if norm == "batch_renorm":  # Ioffe (2017), Algorithm 1, r and d from the float64 batch
        r, d = nc.functional.renorm_corrections(x64, mean * 0.9, var * 1.1)
        y = TF.batch_norm(t, None, None, training=True).numpy()
        return y * r.reshape(1, c, 1, 1) + d.reshape(1, c, 1, 1)
    if norm == "layer":
        return TF.layer_norm(t, x64.shape[1:]).numpy()
    if norm == "group":
        return TF.group_norm(t, 2).numpy()
    if norm == "instance":
        return TF.instance_norm(t).numpy()
    if norm == "rms":
        return TF.rms_norm(t, x64.shape[1:]).numpy()
    if norm == "weight_standardization":
        w = x64.reshape(c and x64.shape[0], -1)
        return ((w - w.mean(1, keepdims=True)) / np.sqrt(w.var(1, keepdims=True) + 1e-5)).reshape(x64.shape)
    raise AssertionError(norm)


def _ours(norm: str, x: np.ndarray) -> np.ndarray:
    c = x.shape[1]
    x64 = x.astype(np.float64)
    mean, var = x64.mean(axis=(0, 2, 3)), x64.var(axis=(0, 2, 3))
    return (
        {
            "batch": lambda: nc.batch_norm(x, None, None, training=True),
            "batch_eval": lambda: nc.batch_norm(x, mean, var, training=False),
            "batch_renorm": lambda: nc.batch_renorm(x, mean * 0.9, var * 1.1, training=True),
            "layer": lambda: nc.layer_norm(x, x.shape[1:]),
            "group": lambda: nc.group_norm(x, 2),
            "instance": lambda: nc.instance_norm(x),
            "rms": lambda: nc.rms_norm(x, x.shape[1:]),
            "weight_standardization": lambda: nc.weight_standardization(x),
        }[norm]()
        if c
        else None
    )


EXTREME_NORMS = ["batch", "batch_eval", "batch_renorm", "layer", "group", "instance", "rms",
                 "weight_standardization"]  # fmt: skip


@pytest.mark.parametrize("norm", EXTREME_NORMS)
@pytest.mark.parametrize("magnitude", [1e19, 1e30, 3e38])
@pytest.mark.parametrize("offset", [0.0, 0.5])
def test_float32_up_to_its_largest_values_matches_a_float64_reference(norm, magnitude, offset):
    # The largest |x| is `magnitude` (3e38 is near float32's 3.4e38 ceiling); squares of
    # |x| > 1.8e19 overflow float32, where PyTorch's float32 kernels give 0 or NaN.
    z = np.random.default_rng(15).standard_normal((6, 4, 16, 16))  # 256 per (sample, channel): blocked sums
    z = offset + z * (0.4 if offset else 1.0)
    x = (z / np.abs(z).max() * magnitude).astype(np.float32)
    assert np.isfinite(x).all() and np.abs(x).max() >= magnitude * (1 - 1e-6)
    with np.errstate(over="ignore"):
        ours = _ours(norm, x)
    expected = _float64_reference(norm, x.astype(np.float64))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)


def test_float32_running_statistics_of_huge_values_match_float64():
    x = (np.random.default_rng(16).standard_normal((8, 3, 16)) * 1e30).astype(np.float32)
    ours_mean, ours_var = np.zeros(3), np.ones(3)
    nc.batch_norm(x, ours_mean, ours_var, training=True)
    mean, var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    TF.batch_norm(torch.from_numpy(x.astype(np.float64)), mean, var, training=True)
    np.testing.assert_allclose(
        ours_mean, mean.numpy(), atol=1e-6 * 1e30
    )  # float32 input: ~7 digits of the spread
    np.testing.assert_allclose(ours_var, var.numpy(), rtol=1e-5)
    assert np.isfinite(ours_var).all() and ours_var.min() > 1e58  # momentum 0.1 of a variance near 1e60


EMPTY_SHAPES = [(0, 3, 5), (2, 3, 0), (0, 3, 4, 4), (2, 0, 4), (0, 4)]


def _empty_cases(shape):
    """(name, ours, theirs) for every norm on an input of ``shape``; each returns (output, buffers)."""
    c = shape[1]
    x = np.zeros(shape, np.float32)
    t = torch.from_numpy(x)

    def with_buffers(ours, theirs):
        nb, tb = (
            [np.zeros(c), np.ones(c)],
            [torch.zeros(c, dtype=torch.float64), torch.ones(c, dtype=torch.float64)],
        )
        return (lambda: (ours(*nb), nb)), (lambda: (theirs(*tb), tb))

    cases = {
        "batch_train": with_buffers(lambda m, v: nc.batch_norm(x, m, v, training=True),
                                    lambda m, v: TF.batch_norm(t, m, v, training=True)),
        "batch_eval": with_buffers(lambda m, v: nc.batch_norm(x, m, v, training=False),
                                   lambda m, v: TF.batch_norm(t, m, v, training=False)),
        "layer": ((lambda: (nc.layer_norm(x, shape[1:]), [])), (lambda: (TF.layer_norm(t, shape[1:]), []))),
        "group": ((lambda: (nc.group_norm(x, 1), [])), (lambda: (TF.group_norm(t, 1), []))),
        "rms": ((lambda: (nc.rms_norm(x, shape[1:]), [])), (lambda: (TF.rms_norm(t, shape[1:]), []))),
    }  # fmt: skip
    if len(shape) > 2:
        cases["instance_train"] = with_buffers(lambda m, v: nc.instance_norm(x, m, v),
                                               lambda m, v: TF.instance_norm(t, m, v))  # fmt: skip
        cases["instance_eval"] = with_buffers(
            lambda m, v: nc.instance_norm(x, m, v, use_input_stats=False),
            lambda m, v: TF.instance_norm(t, m, v, use_input_stats=False),
        )
    return cases


@pytest.mark.parametrize("shape", EMPTY_SHAPES)
def test_empty_input_gives_what_torch_gives(shape):
    # PyTorch returns an empty result for every norm; its buffers stay as they were, except
    # instance norm with N = 0, which averages over no instances and stores NaN.
    for name, (ours, theirs) in _empty_cases(shape).items():
        out, buffers = ours()
        expected, expected_buffers = theirs()
        assert out.shape == tuple(expected.shape) and out.dtype == np.float32, name
        for got, want in zip(buffers, expected_buffers, strict=True):
            np.testing.assert_array_equal(got, want.numpy(), err_msg=name)


def test_empty_batch_in_batch_renorm_is_empty_and_leaves_the_buffers():
    mean, var = np.zeros(3), np.ones(3)
    out = nc.batch_renorm(np.zeros((0, 3, 5)), mean, var, training=True)
    assert out.shape == (0, 3, 5)
    assert mean.tolist() == [0, 0, 0] and var.tolist() == [1, 1, 1]


INF_PLACES = {
    "+inf among the first 16": [((0, 0, 0), np.inf)],
    "+inf after the first 16": [((5, 0, 4), np.inf)],
    "-inf": [((0, 1, 0), -np.inf)],
    "+inf and -inf in one set": [((0, 2, 0), np.inf), ((3, 2, 1), -np.inf)],
}


@pytest.mark.parametrize("place", list(INF_PLACES))
def test_inf_input_gives_torchs_outputs_and_running_statistics(place):
    x = np.random.default_rng(17).standard_normal((6, 4, 5))
    for index, value in INF_PLACES[place]:
        x[index] = value
    t = torch.from_numpy(x)
    with np.errstate(invalid="ignore"):
        for training_norm in ("batch", "instance"):
            mean, var = np.zeros(4), np.ones(4)
            tmean, tvar = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
            if training_norm == "batch":
                ours = nc.batch_norm(x, mean, var, training=True)
                theirs = TF.batch_norm(t, tmean, tvar, training=True)
            else:
                ours = nc.instance_norm(x, mean, var)
                theirs = TF.instance_norm(t, tmean, tvar)
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-10)  # NaN where torch's is
            np.testing.assert_allclose(mean, tmean.numpy(), rtol=1e-12)  # +-inf where torch has it, not NaN
            np.testing.assert_allclose(var, tvar.numpy(), rtol=1e-10)
        np.testing.assert_allclose(nc.layer_norm(x, (4, 5)), TF.layer_norm(t, (4, 5)).numpy(), rtol=1e-10)
        np.testing.assert_allclose(nc.group_norm(x, 2), TF.group_norm(t, 2).numpy(), rtol=1e-10)
    assert np.isinf(mean).any() or place == "+inf and -inf in one set"
