"""normcore.backward against torch.autograd, the oracle, on many shapes, parameters and upstream gradients."""

import doctest

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st

import normcore as nc
from normcore import backward as B
from tests.test_functional import SETTINGS, assume_well_conditioned, batches

# A gradient is a difference of terms of size |gamma * dy| / sigma, so its rounding error is
# relative to that scale, not to the (possibly much smaller) result: tolerances below are
# relative to the largest such term, on the well-conditioned draws of the forward's tests.
# float32: PyTorch's kernels and ours (float64 inside) differ by float32 rounding; measured
# on 300 random batch-norm draws, at most 4.9e-7 of the scale for dx and 1.1e-7 for dgamma,
# so the forward's 1e-5 holds with a 20x margin. float64: 1e-10, as for the forward.
RELATIVE = {np.float32: 1e-5, np.float64: 1e-10}


def leaf(array):
    return None if array is None else torch.from_numpy(np.ascontiguousarray(array)).requires_grad_(True)


def autograd(forward, x, weight, bias, dy):
    """``(dx, dweight, dbias)`` from ``forward(x, weight, bias).backward(dy)`` in torch."""
    tx, tw, tb = leaf(x), leaf(weight), leaf(bias)
    forward(tx, tw, tb).backward(torch.from_numpy(dy))
    return tuple(None if t is None else t.grad.numpy() for t in (tx, tw, tb))


def assert_gradients(ours: B.Gradients, theirs, scale: float, dtype):
    """Each gradient equals torch's to ``RELATIVE[dtype]`` of ``scale`` (and None where torch has None)."""
    for name, actual, expected in zip(("input", "weight", "bias"), ours, theirs, strict=True):
        assert (actual is None) == (expected is None), name
        if actual is None:
            continue
        assert actual.dtype == dtype and actual.shape == expected.shape, name
        tolerance = RELATIVE[dtype] * max(scale, np.finfo(np.float64).tiny)
        np.testing.assert_allclose(actual, expected, rtol=RELATIVE[dtype], atol=tolerance, err_msg=name)


def draw_params(data, shape, dtype, bias=True):
    """A weight and a bias of ``shape``, each present or None."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    weight = rng.standard_normal(shape).astype(dtype) if data.draw(st.booleans()) else None
    b = rng.standard_normal(shape).astype(dtype) if bias and data.draw(st.booleans()) else None
    return weight, b


def upstream(data, x):
    """A random upstream gradient dy with the input's shape and dtype, at a random scale."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    return (rng.standard_normal(x.shape) * data.draw(st.floats(0.01, 100))).astype(x.dtype)


def scale_of(dy, weight, x, axes, eps, center=True):
    """The size of the terms a gradient is made of: max |gamma * dy| / sigma, and sum |dy| * max |x_hat|."""
    x64 = x.astype(np.float64)
    spread = x64.var(axis=axes, keepdims=True) if center else np.square(x64).mean(axis=axes, keepdims=True)
    g = np.abs(dy.astype(np.float64)) * (1.0 if weight is None else np.abs(weight).max())
    return max(float((g / np.sqrt(spread + eps)).max()), float(np.abs(dy).sum()) * 3.0)


BATCH_AXES = lambda x: (0, *range(2, x.ndim))  # noqa: E731


# ---------------------------------------------------------------- full gradients equal torch.autograd


@SETTINGS
@given(batches(min_values_per_channel=2), st.data())
def test_batch_norm_backward_in_training_matches_autograd(x, data):
    assume_well_conditioned(x, BATCH_AXES(x))
    dtype, c = x.dtype.type, x.shape[1]
    weight, bias = draw_params(data, (c,), dtype)
    dy = upstream(data, x)
    ours = B.batch_norm_backward(dy, x, None, None, weight, bias, training=True)
    theirs = autograd(lambda t, w, b: TF.batch_norm(t, None, None, w, b, training=True), x, weight, bias, dy)
    assert_gradients(ours, theirs, scale_of(dy, weight, x, BATCH_AXES(x), 1e-5), dtype)


@SETTINGS
@given(batches(), st.data())
def test_batch_norm_backward_in_eval_matches_autograd(x, data):
    dtype, c = x.dtype.type, x.shape[1]
    rng = np.random.default_rng(1)
    running_mean = rng.standard_normal(c).astype(dtype)
    running_var = rng.uniform(0.1, 3, c).astype(dtype)
    weight, bias = draw_params(data, (c,), dtype)
    dy = upstream(data, x)
    ours = B.batch_norm_backward(dy, x, running_mean, running_var, weight, bias, training=False)
    buffers = torch.from_numpy(running_mean), torch.from_numpy(running_var)
    theirs = autograd(lambda t, w, b: TF.batch_norm(t, *buffers, w, b, training=False), x, weight, bias, dy)
    assert_gradients(ours, theirs, float(np.abs(dy).max()) * 10 * (1 + float(np.abs(dy).sum())), dtype)


@SETTINGS
@given(batches(min_dim=2), st.data())
def test_layer_norm_backward_matches_autograd(x, data):
    trailing = data.draw(st.integers(1, x.ndim - 1))
    shape = x.shape[x.ndim - trailing :]
    axes = tuple(range(x.ndim - trailing, x.ndim))
    assume_well_conditioned(x, axes)
    weight, bias = draw_params(data, shape, x.dtype.type)
    dy = upstream(data, x)
    ours = B.layer_norm_backward(dy, x, shape, weight, bias)
    theirs = autograd(lambda t, w, b: TF.layer_norm(t, shape, w, b), x, weight, bias, dy)
    assert_gradients(ours, theirs, scale_of(dy, weight, x, axes, 1e-5), x.dtype.type)


@SETTINGS
@given(batches(), st.data())
def test_group_norm_backward_matches_autograd(x, data):
    c = x.shape[1]
    groups = data.draw(st.sampled_from(nc.valid_group_counts(c)))
    grouped = x.reshape(x.shape[0], groups, -1)
    assume_well_conditioned(grouped, (2,))
    weight, bias = draw_params(data, (c,), x.dtype.type)
    dy = upstream(data, x)
    # PyTorch 2.13's group_norm backward fails with a bias and no weight ("tensor does not have a
    # device"); a weight of ones that takes no gradient is the same function.
    ones = torch.ones(c, dtype=torch.from_numpy(x).dtype)

    def forward(t, w, b):
        return TF.group_norm(t, groups, ones if w is None and b is not None else w, b)

    try:
        theirs = autograd(forward, x, weight, bias, dy)
    except ValueError as error:  # PyTorch refuses N * C / G * spatial == 1; so must we
        with pytest.raises(ValueError, match=str(error).split(",")[0]):
            B.group_norm_backward(dy, x, groups, weight, bias)
        return
    ours = B.group_norm_backward(dy, x, groups, weight, bias)
    scale = scale_of(dy.reshape(grouped.shape), None, grouped, (2,), 1e-5)
    assert_gradients(
        ours, theirs, scale * (1.0 if weight is None else float(np.abs(weight).max())), x.dtype.type
    )


@SETTINGS
@given(batches(min_dim=3), st.data())
def test_instance_norm_backward_matches_autograd(x, data):
    if np.prod(x.shape[2:]) < 2:
        x = np.concatenate([x, x * 2 + 1], axis=-1)
    axes = tuple(range(2, x.ndim))
    assume_well_conditioned(x, axes)
    weight, bias = draw_params(data, (x.shape[1],), x.dtype.type)
    dy = upstream(data, x)
    ours = B.instance_norm_backward(dy, x, None, None, weight, bias)
    theirs = autograd(lambda t, w, b: TF.instance_norm(t, None, None, w, b), x, weight, bias, dy)
    scale = scale_of(dy, None, x, axes, 1e-5) * (1.0 if weight is None else float(np.abs(weight).max()))
    assert_gradients(ours, theirs, scale, x.dtype.type)


@SETTINGS
@given(batches(min_dim=3), st.data())
def test_instance_norm_backward_with_running_statistics_matches_autograd(x, data):
    dtype, c = x.dtype.type, x.shape[1]
    rng = np.random.default_rng(2)
    running_mean, running_var = rng.standard_normal(c).astype(dtype), rng.uniform(0.1, 3, c).astype(dtype)
    weight, bias = draw_params(data, (c,), dtype)
    dy = upstream(data, x)
    ours = B.instance_norm_backward(dy, x, running_mean, running_var, weight, bias, use_input_stats=False)
    buffers = torch.from_numpy(running_mean), torch.from_numpy(running_var)
    theirs = autograd(
        lambda t, w, b: TF.instance_norm(t, *buffers, w, b, use_input_stats=False), x, weight, bias, dy
    )
    assert_gradients(ours, theirs, float(np.abs(dy).max()) * 10 * (1 + float(np.abs(dy).sum())), dtype)


@SETTINGS
@given(batches(min_dim=2), st.data())
def test_rms_norm_backward_matches_autograd(x, data):
    trailing = data.draw(st.integers(1, x.ndim - 1))
    shape = x.shape[x.ndim - trailing :]
    axes = tuple(range(x.ndim - trailing, x.ndim))
    assume_well_conditioned(x, axes)
    weight, _ = draw_params(data, shape, x.dtype.type, bias=False)
    eps = data.draw(st.sampled_from([None, 1e-6, 1e-3]))
    dy = upstream(data, x)
    ours = B.rms_norm_backward(dy, x, shape, weight, eps)
    theirs = autograd(lambda t, w, b: TF.rms_norm(t, shape, w, eps), x, weight, None, dy)
    scale = scale_of(dy, weight, x, axes, np.finfo(x.dtype).eps if eps is None else eps, center=False)
    assert_gradients(ours, theirs, scale, x.dtype.type)


def torch_batch_renorm(x, weight, bias, running_mean, running_var, eps, r_max, d_max, stats_in_grad=True):
    """Ioffe (2017), Algorithm 1 in torch: r and d under a stop-gradient (``detach``)."""
    axes = [0] + list(range(2, x.dim()))
    shape = [1, -1] + [1] * (x.dim() - 2)
    mean = x.mean(axes)
    std = torch.sqrt(x.var(axes, unbiased=False) + eps)
    running_std = torch.sqrt(running_var + eps)
    r = torch.clamp(std / running_std, 1 / r_max, r_max).detach()
    d = torch.clamp((mean - running_mean) / running_std, -d_max, d_max).detach()
    if not stats_in_grad:
        mean, std = mean.detach(), std.detach()
    y = (x - mean.view(shape)) / std.view(shape) * r.view(shape) + d.view(shape)
    if weight is not None:
        y = y * weight.view(shape)
    return y if bias is None else y + bias.view(shape)


@SETTINGS
@given(batches(min_values_per_channel=2), st.floats(1, 5), st.floats(0, 6), st.data())
def test_batch_renorm_backward_matches_autograd_with_r_and_d_detached(x, r_max, d_max, data):
    assume_well_conditioned(x, BATCH_AXES(x))
    dtype, c = x.dtype.type, x.shape[1]
    rng = np.random.default_rng(6)
    running_mean = (rng.standard_normal(c) * float(x.std() + 1)).astype(dtype)
    running_var = (rng.uniform(0.1, 10, c) * float(x.var() + 1)).astype(dtype)
    weight, bias = draw_params(data, (c,), dtype)
    dy = upstream(data, x)
    ours = B.batch_renorm_backward(dy, x, running_mean, running_var, weight, bias, True, 1e-5, r_max, d_max)
    buffers = torch.from_numpy(running_mean), torch.from_numpy(running_var)
    theirs = autograd(
        lambda t, w, b: torch_batch_renorm(t, w, b, *buffers, 1e-5, r_max, d_max), x, weight, bias, dy
    )
    scale = scale_of(dy, weight, x, BATCH_AXES(x), 1e-5) * max(r_max, d_max + 1)
    assert_gradients(ours, theirs, scale, dtype)
    before = running_mean.copy()
    B.batch_renorm_backward(dy, x, running_mean, running_var, training=True)
    np.testing.assert_array_equal(running_mean, before)  # the backward reads the buffers, never updates them


def test_batch_renorm_backward_is_batch_norms_with_gamma_times_r():
    x = np.random.default_rng(3).standard_normal((6, 3, 2)) * 2 + 1
    dy = np.random.default_rng(4).standard_normal(x.shape)
    running_mean, running_var = np.zeros(3), np.full(3, 0.5)
    r, _ = nc.functional.renorm_corrections(x, running_mean, running_var)
    assert not np.allclose(r, 1)  # a case where r matters
    weight = np.array([1.0, -2.0, 0.5])
    renorm = B.batch_renorm_backward(dy, x, running_mean, running_var, weight, None, training=True)
    batch = B.batch_norm_backward(dy, x, None, None, weight * r, None, training=True)
    np.testing.assert_allclose(renorm.grad_input, batch.grad_input, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- the naive gradient


def torch_naive(norm, x, weight, bias, axes, eps, groups=1):
    """The norm in torch with mean and variance detached: the BN paper's §2 scheme."""
    shape = x.shape
    t = x.reshape(x.shape[0], groups, -1) if norm == "group" else x
    if norm == "rms":
        mean = torch.zeros((), dtype=x.dtype)
        var = t.square().mean(axes, keepdim=True).detach()
    else:
        mean = t.mean(axes, keepdim=True).detach()
        var = t.var(axes, unbiased=False, keepdim=True).detach()
    y = ((t - mean) / torch.sqrt(var + eps)).reshape(shape)
    param_shape = shape[1:] if norm in ("layer", "rms") else [1, -1] + [1] * (x.dim() - 2)
    if weight is not None:
        y = y * weight.reshape(param_shape)
    return y if bias is None else y + bias.reshape(param_shape)


NAIVE_NORMS = ["batch", "layer", "group", "instance", "rms"]


@SETTINGS
@given(batches(min_dim=3, min_values_per_channel=2), st.sampled_from(NAIVE_NORMS), st.data())
def test_naive_backward_matches_autograd_with_the_statistics_detached(x, norm, data):
    if np.prod(x.shape[2:]) < 2:
        x = np.concatenate([x, x * 2 + 1], axis=-1)
    n, c = x.shape[:2]
    groups = data.draw(st.sampled_from(nc.valid_group_counts(c))) if norm == "group" else 1
    axes = {"batch": BATCH_AXES(x), "instance": tuple(range(2, x.ndim)), "group": (2,)}.get(
        norm, tuple(range(1, x.ndim))
    )
    param_shape = x.shape[1:] if norm in ("layer", "rms") else (c,)
    weight, bias = draw_params(data, param_shape, x.dtype.type, bias=norm != "rms")
    dy = upstream(data, x)
    kw = dict(stats_in_grad=False)
    ours = {
        "batch": lambda: B.batch_norm_backward(dy, x, None, None, weight, bias, True, **kw),
        "layer": lambda: B.layer_norm_backward(dy, x, x.shape[1:], weight, bias, **kw),
        "group": lambda: B.group_norm_backward(dy, x, groups, weight, bias, **kw),
        "instance": lambda: B.instance_norm_backward(dy, x, None, None, weight, bias, **kw),
        "rms": lambda: B.rms_norm_backward(dy, x, x.shape[1:], weight, 1e-5, **kw),
    }[norm]()
    theirs = autograd(lambda t, w, b: torch_naive(norm, t, w, b, axes, 1e-5, groups), x, weight, bias, dy)
    grouped = x.reshape(n, groups, -1) if norm == "group" else x
    scale = scale_of(dy.reshape(grouped.shape), None, grouped, axes, 1e-5, center=norm != "rms")
    scale *= 1.0 if weight is None else float(np.abs(weight).max())
    assert_gradients(ours, theirs, scale, x.dtype.type)


@SETTINGS
@given(batches(min_values_per_channel=2), st.floats(1, 5), st.floats(0, 6), st.data())
def test_naive_batch_renorm_backward_matches_autograd(x, r_max, d_max, data):
    assume_well_conditioned(x, BATCH_AXES(x))
    c = x.shape[1]
    running_mean, running_var = np.zeros(c, x.dtype), np.full(c, 0.3, x.dtype)
    weight, bias = draw_params(data, (c,), x.dtype.type)
    dy = upstream(data, x)
    ours = B.batch_renorm_backward(
        dy, x, running_mean, running_var, weight, bias, True, 1e-5, r_max, d_max, stats_in_grad=False
    )
    buffers = torch.from_numpy(running_mean), torch.from_numpy(running_var)
    theirs = autograd(
        lambda t, w, b: torch_batch_renorm(t, w, b, *buffers, 1e-5, r_max, d_max, stats_in_grad=False),
        x,
        weight,
        bias,
        dy,
    )
    scale = scale_of(dy, weight, x, BATCH_AXES(x), 1e-5) * max(r_max, d_max + 1)
    assert_gradients(ours, theirs, scale, x.dtype.type)


# ---------------------------------------------------------------- what the full gradient does, the naive not

CENTERING = ["batch", "layer", "instance", "group", "batch_renorm"]


def explained(norm, eps=1e-5, seed=20, shape=(6, 4, 5), **kw):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * rng.uniform(0.5, 3, (1, shape[1], 1)) + rng.uniform(
        -2, 2, (1, shape[1], 1)
    )
    dy = rng.standard_normal(shape) + 0.7  # generic: not zero-mean, not orthogonal to x_hat
    kw.setdefault("weight", rng.uniform(0.5, 2, shape[1]))
    if norm == "batch_renorm":
        kw.update(running_mean=np.zeros(shape[1]), running_var=np.full(shape[1], 0.4))
    return x, dy, B.explain_backward(x, norm, dy, num_groups=2, eps=eps, **kw)


@pytest.mark.parametrize("norm", CENTERING)
def test_full_gradient_sums_to_zero_over_each_set_and_the_naive_does_not(norm):
    _, _, e = explained(norm)
    scale = float(np.abs(e.naive.grad_input).sum())
    assert np.abs(e.sums_full).max() < 1e-12 * scale
    assert np.abs(e.sums_naive).max() > 0.01 * scale / e.sums_naive.size


@pytest.mark.parametrize("norm", CENTERING + ["rms"])
def test_full_gradient_is_orthogonal_to_x_hat_up_to_eps_and_the_naive_is_not(norm):
    _, _, exact = explained(norm, eps=1e-300)  # eps ~ 0: orthogonal to rounding
    scale = float(np.abs(exact.naive.grad_input * exact.x_hat).sum())
    assert np.abs(exact.dots_full).max() < 1e-12 * scale
    assert np.abs(exact.dots_naive).max() > 0.01 * scale / exact.dots_naive.size


@pytest.mark.parametrize("norm", ["batch", "layer", "instance", "group", "rms"])
def test_with_eps_the_residual_is_eps_over_var_plus_eps_of_the_naive_projection(norm):
    """Per set, sum(dx * x_hat) = eps / (var + eps) * sum(g * x_hat) / sigma: what eps leaves over."""
    x, dy, e = explained(norm, eps=0.5)  # a large eps, so the residual is far above rounding
    index = np.broadcast_to(e.set_index, x.shape)
    sets = [x[index == s] for s in range(e.sums_full.size)]
    var = np.array([np.square(v).mean() if norm == "rms" else v.var() for v in sets])
    np.testing.assert_allclose(e.dots_full, 0.5 / (var + 0.5) * e.dots_naive, rtol=1e-10, atol=1e-12)
    assert np.abs(e.dots_full).max() > 1e-3  # not zero: eps breaks exact orthogonality


def test_rms_gradient_does_not_sum_to_zero():
    _, _, e = explained("rms")
    assert np.abs(e.sums_full).max() > 1e-2 * float(np.abs(e.full.grad_input).sum()) / e.sums_full.size


@pytest.mark.parametrize("norm", ["batch", "batch_renorm"])
def test_in_eval_mode_the_gradient_is_the_naive_one_and_constrains_nothing(norm):
    x, dy, _ = explained("batch")
    c = x.shape[1]
    e = B.explain_backward(
        x, norm, dy, training=False, running_mean=np.full(c, 0.3), running_var=np.full(c, 2.0)
    )
    np.testing.assert_array_equal(e.full.grad_input, e.naive.grad_input)
    np.testing.assert_allclose(e.full.grad_input, dy / np.sqrt(2.0 + 1e-5), rtol=1e-12)
    assert np.abs(e.sums_full).min() > 1e-3


def test_difference_is_full_minus_naive():
    _, _, e = explained("group")
    np.testing.assert_array_equal(e.difference, e.full.grad_input - e.naive.grad_input)
    assert np.abs(e.difference).max() > 0.1


def torch_page_norm(norm, t, w, b, c, length, groups, training, buffers, r_max=3.0, d_max=5.0):
    """The Explorer's norms in torch, per-channel gamma and beta for every norm, on (N, C, L)."""
    if norm == "batch":
        return TF.batch_norm(t, *buffers, w, b, training=training)
    if norm == "batch_renorm":
        if not training:
            return TF.batch_norm(t, *buffers, w, b, training=False)
        return torch_batch_renorm(t, w, b, *buffers, 1e-5, r_max, d_max)
    if norm in ("instance", "group"):
        return TF.group_norm(t, c if norm == "instance" else groups, w, b)
    if norm == "none":
        return t * w.view(1, c, 1) + b.view(1, c, 1)
    spread = w.view(c, 1).expand(c, length)
    y = (
        TF.layer_norm(t, (c, length), spread)
        if norm == "layer"
        else TF.rms_norm(t, (c, length), spread, 1e-5)
    )
    return y + b.view(1, c, 1)


@pytest.mark.parametrize("norm", nc.NORMS)
@pytest.mark.parametrize("training", [True, False])
def test_explain_backward_matches_autograd_for_every_norm_the_explorer_offers(norm, training):
    x, dy, _ = explained("batch")
    n, c, length = x.shape
    rng = np.random.default_rng(21)
    weight, bias = rng.uniform(0.5, 2, c), rng.standard_normal(c)
    running_mean, running_var = rng.standard_normal(c), rng.uniform(0.2, 2, c)
    e = B.explain_backward(
        x,
        norm,
        dy,
        num_groups=2,
        weight=weight,
        bias=bias,
        training=training,
        running_mean=running_mean,
        running_var=running_var,
    )
    buffers = torch.from_numpy(running_mean.copy()), torch.from_numpy(running_var.copy())
    theirs = autograd(
        lambda t, w, b: torch_page_norm(norm, t, w, b, c, length, 2, training, buffers), x, weight, bias, dy
    )
    assert_gradients(e.full, theirs, float(np.abs(dy).sum()) * 10, np.float64)
    assert e.x_hat.shape == x.shape and e.sums_full.shape == e.dots_full.shape


def public_naive(norm, x, dy, weight, bias, training, running_mean, running_var):
    """The naive gradient of the Explorer's norm from the public functions, on (N, C, L)."""
    c, length = x.shape[1:]
    kw = dict(stats_in_grad=False)
    spread = None if weight is None else np.repeat(weight.reshape(c, 1), length, 1)
    return {
        "batch": lambda: B.batch_norm_backward(
            dy, x, running_mean, running_var, weight, bias, training, **kw
        ),
        "batch_renorm": lambda: B.batch_renorm_backward(
            dy, x, running_mean, running_var, weight, bias, training, **kw
        ),
        "layer": lambda: B.layer_norm_backward(dy, x, (c, length), spread, **kw),
        "rms": lambda: B.rms_norm_backward(dy, x, (c, length), spread, 1e-5, **kw),
        "instance": lambda: B.group_norm_backward(dy, x, c, weight, bias, **kw),
        "group": lambda: B.group_norm_backward(dy, x, 2, weight, bias, **kw),
        "none": lambda: B.Gradients(dy * weight.reshape(1, c, 1), None, None),
    }[norm]().grad_input


@pytest.mark.parametrize("norm", nc.NORMS)
@pytest.mark.parametrize("training", [True, False])
def test_explain_backward_naive_and_set_sums_agree_with_the_public_functions(norm, training):
    x, dy, _ = explained("batch")
    c = x.shape[1]
    rng = np.random.default_rng(25)
    weight, bias = rng.uniform(0.5, 2, c), rng.standard_normal(c)
    buffers = dict(running_mean=rng.standard_normal(c), running_var=rng.uniform(0.2, 2, c))
    e = B.explain_backward(x, norm, dy, num_groups=2, weight=weight, bias=bias, training=training, **buffers)
    expected = public_naive(norm, x, dy, weight, bias, training, *buffers.values())
    np.testing.assert_allclose(e.naive.grad_input, expected, rtol=1e-12, atol=1e-14)
    for sums, values in [(e.sums_full, e.full.grad_input), (e.dots_naive, e.naive.grad_input * e.x_hat)]:
        np.testing.assert_allclose(sums, B.per_set_sum(values, e.set_index), rtol=1e-12, atol=1e-12)
    assert e.naive.grad_weight is e.full.grad_weight  # no statistic in dgamma: the same array


# ---------------------------------------------------------------- batch coupling


@pytest.mark.parametrize(
    "norm, training, coupled",
    [
        ("batch", True, True),
        ("batch_renorm", True, True),
        ("batch", False, False),
        ("batch_renorm", False, False),
        ("layer", True, False),
        ("instance", True, False),
        ("group", True, False),
        ("rms", True, False),
        ("none", True, False),
    ],
)
@pytest.mark.parametrize("example", [0, 3])
def test_batch_coupling_only_batch_statistics_in_training_carry_one_example_to_the_others(
    norm, training, coupled, example
):
    x, dy, _ = explained("batch")
    n, c, _ = x.shape
    kw = dict(training=training, running_mean=np.zeros(c), running_var=np.full(c, 0.4), num_groups=2)
    coupling = B.batch_coupling(x, norm, dy, example, **kw)
    assert coupling.affected[example].all()  # the changed example's own gradient always moves
    others = [i for i in range(n) if i != example]
    assert coupling.other_examples_affected == (others if coupled else [])
    if coupled:
        assert coupling.affected.all()  # every example, every channel
    else:
        np.testing.assert_array_equal(coupling.after[others], coupling.before[others])


def test_batch_coupling_equals_the_difference_torch_computes():
    x, dy, _ = explained("batch")
    delta = np.random.default_rng(22).standard_normal(x.shape[1:])
    coupling = B.batch_coupling(x, "batch", dy, 2, delta)
    changed = dy.copy()
    changed[2] += delta
    grads = [
        autograd(lambda t, w, b: TF.batch_norm(t, None, None, training=True), x, None, None, g)[0]
        for g in (dy, changed)
    ]
    np.testing.assert_allclose(
        coupling.change, np.abs(grads[1] - grads[0]).max(axis=2), rtol=1e-9, atol=1e-12
    )


# ---------------------------------------------------------------- edge cases and bad input


@pytest.mark.parametrize("shape", [(1, 3, 4, 4), (5, 1, 2, 2), (4, 3, 1, 1), (1, 1, 2, 3), (2, 6, 1, 1)])
def test_edge_shapes_match_autograd(shape):
    rng = np.random.default_rng(23)
    x, dy = rng.standard_normal(shape), rng.standard_normal(shape)
    weight, bias = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    c = shape[1]
    cases = [
        (
            lambda: B.layer_norm_backward(dy, x, shape[1:]),
            lambda t, w, b: TF.layer_norm(t, shape[1:]),
            None,
            None,
        ),
        (
            lambda: B.rms_norm_backward(dy, x, shape[1:]),
            lambda t, w, b: TF.rms_norm(t, shape[1:]),
            None,
            None,
        ),
        (
            lambda: B.group_norm_backward(dy, x, 1, weight, bias),
            lambda t, w, b: TF.group_norm(t, 1, w, b),
            weight,
            bias,
        ),
        (
            lambda: B.group_norm_backward(dy, x, c, weight, bias),
            lambda t, w, b: TF.group_norm(t, c, w, b),
            weight,
            bias,
        ),
    ]
    if np.prod(shape) // c > 1:
        cases.append(
            (
                lambda: B.batch_norm_backward(dy, x, None, None, weight, bias, True),
                lambda t, w, b: TF.batch_norm(t, None, None, w, b, training=True),
                weight,
                bias,
            )
        )
    if np.prod(shape[2:]) > 1:
        cases.append(
            (
                lambda: B.instance_norm_backward(dy, x, None, None, weight, bias),
                lambda t, w, b: TF.instance_norm(t, None, None, w, b),
                weight,
                bias,
            )
        )
    for ours, forward, w, b in cases:
        assert_gradients(ours(), autograd(forward, x, w, b, dy), float(np.abs(dy).sum()) * 1e3, np.float64)


def test_gradients_keep_the_input_dtype():
    x = np.random.default_rng(24).standard_normal((4, 6, 3)).astype(np.float32)
    w = np.ones(6, np.float32)
    for grads in [
        B.batch_norm_backward(x, x, None, None, w, w, True),
        B.layer_norm_backward(x, x, (6, 3)),
        B.group_norm_backward(x, x, 3, w, w),
        B.instance_norm_backward(x, x),
        B.rms_norm_backward(x, x, 3),
        B.batch_renorm_backward(x, x, np.zeros(6), np.ones(6), w, w, True),
    ]:
        assert all(g is None or g.dtype == np.float32 for g in grads)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: B.batch_norm_backward(np.ones((3, 4)), np.ones((3, 5)), None, None, training=True),
            "grad_output should have the input's shape",
        ),
        (
            lambda: B.batch_norm_backward(np.ones((1, 4)), np.ones((1, 4)), None, None, training=True),
            "Expected more than 1 value per channel",
        ),
        (
            lambda: B.batch_norm_backward(np.ones((3, 4)), np.ones((3, 4)), None, None),
            "must be given in eval mode",
        ),
        (
            lambda: B.group_norm_backward(np.ones((2, 6, 3)), np.ones((2, 6, 3)), 4),
            r"num_channels \(6\) must be divisible",
        ),
        (
            lambda: B.instance_norm_backward(np.ones((2, 3, 1)), np.ones((2, 3, 1))),
            "Expected more than 1 spatial element",
        ),
        (lambda: B.layer_norm_backward(np.ones((3, 4)), np.ones((3, 4)), (5,)), "normalized_shape"),
        (
            lambda: B.rms_norm_backward(np.ones((3, 4)), np.ones((3, 4)), 4, np.ones(3)),
            "weight should have shape",
        ),
        (
            lambda: B.batch_renorm_backward(np.ones((3, 4)), np.ones((3, 4)), None, None, training=True),
            "needs running_mean",
        ),
        (
            lambda: B.batch_renorm_backward(
                np.ones((3, 4)), np.ones((3, 4)), np.zeros(4), np.ones(4), training=True, r_max=0.5
            ),
            "r_max >= 1",
        ),
        (lambda: B.explain_backward(np.ones((3, 4)), "batchnorm", np.ones((3, 4))), "unknown norm"),
        (
            lambda: B.batch_coupling(np.ones((3, 4)), "batch", np.ones((3, 4)), example=3),
            "example must be between 0 and 2",
        ),
    ],
)
def test_bad_input_says_what_to_change(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_docstring_examples_run():
    results = doctest.testmod(B, extraglobs={"np": np})
    assert results.attempted >= 10 and results.failed == 0
