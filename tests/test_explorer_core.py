"""The Explorer's compute against PyTorch: inputs, warm-up, the norms as torch.nn runs them, the code."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from normcore import saturation
from normcore.data import MAX_ELEMENTS
from normcore.explorer import (
    SHAPES,
    SOURCES,
    Population,
    _conv3x3,
    _filters,
    _image_patches,
    activate,
    batch_moments,
    fit_batch,
    make_input,
    pytorch_refusal,
    recovering_affine,
    resample,
    run,
    running_statistics,
    standard_noise,
    stuck_share,
    summarize,
    with_affine,
    worked_example,
)
from normcore.snippet import Setup, pytorch_snippet
from normcore.uploads import MAX_UPLOAD_BYTES, load_activations

NORMS = ["batch", "layer", "instance", "group", "rms", "batch_renorm", "none"]


def torch_module(norm: str, c: int, h: int, w: int, groups: int, eps: float):
    return {
        "batch": lambda: torch.nn.BatchNorm2d(c, eps=eps),
        "layer": lambda: torch.nn.LayerNorm((c, h, w), eps=eps),
        "instance": lambda: torch.nn.InstanceNorm2d(c, eps=eps, affine=True),
        "group": lambda: torch.nn.GroupNorm(groups, c, eps=eps),
        "rms": lambda: torch.nn.RMSNorm((c, h, w), eps=eps),
    }[norm]()


# ---------------------------------------------------------------- inputs


@pytest.mark.parametrize("shape", SHAPES)
def test_noise_shapes_are_standardized(shape):
    x = standard_noise(np.random.default_rng(0), (200_000,), shape)
    assert x.dtype == np.float32
    assert abs(x.mean()) < 0.02
    expected_var = 1 + 0.01 * (64 - 1) if shape == "outliers" else 1.0  # 1% of values at +-8
    assert x.var() == pytest.approx(expected_var, rel=0.1 if shape == "heavy" else 0.03)


def test_skewed_and_heavy_tailed_noise_have_their_shape():
    rng = np.random.default_rng(1)
    skewed = standard_noise(rng, (100_000,), "skewed").astype(np.float64)
    assert ((skewed - skewed.mean()) ** 3).mean() > 1.5  # exponential skewness is 2
    heavy = standard_noise(rng, (100_000,), "heavy")
    normal = standard_noise(rng, (100_000,), "normal")
    assert (np.abs(heavy) > 4).mean() > 10 * (np.abs(normal) > 4).mean()


def test_synthetic_channels_have_the_asked_means_and_scales():
    population = Population(offset=3.0, spread=0.8, seed=7)
    x = make_input(512, 6, 8, 8, population).astype(np.float64)
    channels = np.random.default_rng(7)
    means, scales = 3.0 * channels.standard_normal(6), np.exp(0.8 * channels.standard_normal(6))
    np.testing.assert_allclose(x.mean(axis=(0, 2, 3)), means, atol=0.05 * scales.max())
    np.testing.assert_allclose(x.std(axis=(0, 2, 3)), scales, rtol=0.03)


def test_no_spread_gives_standard_channels():
    x = make_input(256, 4, 8, 8, Population(offset=0.0, spread=0.0))
    np.testing.assert_allclose(x.mean(axis=(0, 2, 3)), 0, atol=0.02)
    np.testing.assert_allclose(x.std(axis=(0, 2, 3)), 1, atol=0.02)


@pytest.mark.parametrize("source", SOURCES)
def test_inputs_are_seeded_and_batches_differ(source):
    population = Population(source=source, seed=3)
    a = make_input(4, 5, 6, 6, population)
    assert a.shape == (4, 5, 6, 6) and a.dtype == np.float32 and np.isfinite(a).all()
    np.testing.assert_array_equal(a, make_input(4, 5, 6, 6, population))
    assert not np.array_equal(a, make_input(4, 5, 6, 6, population, batch=1))
    assert not np.array_equal(a, make_input(4, 5, 6, 6, Population(source=source, seed=4)))


@pytest.mark.parametrize("source", ["photo", "digits"])
def test_real_activations_are_a_conv2d_of_real_images(source):
    images = _image_patches(source, 3, 7, 7, np.random.default_rng(0))
    filters = _filters(images.shape[1])[:5]
    expected = torch.nn.functional.conv2d(torch.from_numpy(images), torch.from_numpy(filters.copy()))
    np.testing.assert_allclose(_conv3x3(images, filters), expected.numpy(), rtol=1e-5, atol=1e-6)
    assert images.min() >= 0 and images.max() <= 1 and images.std() > 0.05  # real pixels, not noise


def test_channel_c_is_the_same_filter_whatever_c():
    population = Population(source="photo")
    # Equal up to float32 rounding: BLAS sums the 27 products in an order that depends on
    # how many channels it computes at once (the last bit differed on one CI machine).
    np.testing.assert_allclose(
        make_input(2, 3, 4, 4, population), make_input(2, 8, 4, 4, population)[:, :3], rtol=1e-6, atol=1e-6
    )
    assert not np.allclose(make_input(2, 3, 4, 4, population), make_input(2, 8, 4, 4, population)[:, 5:])


@given(n=st.integers(1, 256), c=st.integers(1, 64), hw=st.integers(1, 32))
def test_fit_batch_never_exceeds_the_cap(n, c, hw):
    fitted = fit_batch(n, c, hw, hw)
    assert 1 <= fitted <= n
    assert fitted * c * hw * hw <= MAX_ELEMENTS
    assert fitted == n or (fitted + 1) * c * hw * hw > MAX_ELEMENTS


def test_make_input_refuses_more_than_the_cap():
    with pytest.raises(ValueError, match="more than"):
        make_input(256, 64, 32, 32, Population())


# ---------------------------------------------------------------- warm-up


@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0])
def test_running_statistics_equal_a_trained_batchnorm(momentum):
    population = Population(seed=5)
    batches = [make_input(8, 3, 4, 4, population, b) for b in range(1, 6)]
    bn = torch.nn.BatchNorm2d(3, momentum=momentum)
    with torch.no_grad():
        for x in batches:
            bn(torch.from_numpy(x))
    mean, var = running_statistics([batch_moments(x) for x in batches], 3, momentum)
    np.testing.assert_allclose(mean, bn.running_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, bn.running_var.numpy(), rtol=1e-5, atol=1e-6)


def test_no_warmup_is_a_fresh_layer():
    mean, var = running_statistics([], 4)
    np.testing.assert_array_equal(mean, torch.nn.BatchNorm2d(4).running_mean.numpy())
    np.testing.assert_array_equal(var, torch.nn.BatchNorm2d(4).running_var.numpy())


def test_resample_draws_rows_of_the_upload():
    array = np.arange(12, dtype=np.float32).reshape(4, 3, 1, 1)
    drawn = resample(array, 10, 0, 1)
    assert drawn.shape == (10, 3, 1, 1)
    assert all(any(np.array_equal(row, a) for a in array) for row in drawn)


# ---------------------------------------------------------------- PyTorch's refusals


SHAPES_FOR_REFUSAL = [(1, 4, 1, 1), (2, 4, 1, 1), (1, 4, 2, 1), (1, 4, 1, 2), (3, 1, 1, 1), (1, 1, 1, 1)]


@pytest.mark.parametrize("shape", SHAPES_FOR_REFUSAL)
@pytest.mark.parametrize("norm", ["batch", "instance", "group", "layer", "rms"])
@pytest.mark.parametrize("training", [True, False])
def test_refusals_match_pytorch(shape, norm, training):
    groups = shape[1]  # G = C: the group-norm edge case
    module = torch_module(norm, shape[1], shape[2], shape[3], groups, 1e-5)
    module.train(training)
    if norm == "batch" and not training:
        module.running_mean.zero_()
    refusal = pytorch_refusal(shape, norm, groups, training)
    try:
        module(torch.randn(shape))
    except ValueError as error:
        assert refusal == str(error)
    else:
        assert refusal is None
    if refusal:
        with pytest.raises(ValueError, match="Expected more than 1"):
            run(np.zeros(shape, np.float32), norm, num_groups=groups, training=training)


# ---------------------------------------------------------------- the norms, as torch.nn


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 5),
    c=st.sampled_from([1, 2, 4, 6]),
    hw=st.integers(1, 4),
    norm=st.sampled_from(["batch", "layer", "instance", "group", "rms"]),
    training=st.booleans(),
    group_pick=st.integers(0, 10),
    seed=st.integers(0, 99),
)
def test_run_equals_torch_nn(n, c, hw, norm, training, group_pick, seed):
    divisors = [g for g in range(1, c + 1) if c % g == 0]
    groups = divisors[group_pick % len(divisors)]
    if pytorch_refusal((n, c, hw, hw), norm, groups, training):
        return
    x = make_input(n, c, hw, hw, Population(seed=seed))
    rng = np.random.default_rng(seed)
    gamma, beta = rng.uniform(0.5, 2, c), rng.uniform(-1, 1, c)
    running_mean, running_var = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    module = torch_module(norm, c, hw, hw, groups, 1e-3)
    with torch.no_grad():
        weight = torch.tensor(gamma, dtype=torch.float32)
        module.weight.copy_(
            weight.view(-1, 1, 1).expand_as(module.weight) if norm in ("layer", "rms") else weight
        )
        if norm != "rms":
            bias = torch.tensor(beta, dtype=torch.float32)
            module.bias.copy_(bias.view(-1, 1, 1).expand_as(module.bias) if norm == "layer" else bias)
        if norm == "batch":
            module.running_mean.copy_(torch.tensor(running_mean))
            module.running_var.copy_(torch.tensor(running_var))
        module.train(training)
        expected = module(torch.from_numpy(x)).numpy()
    e = run(x, norm, num_groups=groups, gamma=gamma, beta=beta, training=training, running_mean=running_mean,
            running_var=running_var, eps=1e-3)  # fmt: skip
    np.testing.assert_allclose(e.output.reshape(x.shape), expected, rtol=1e-4, atol=1e-4)


def test_run_leaves_the_running_statistics_alone():
    mean, var = np.zeros(3), np.ones(3)
    run(make_input(4, 3, 2, 2, Population()), "batch", running_mean=mean, running_var=var)
    np.testing.assert_array_equal(mean, 0)
    np.testing.assert_array_equal(var, 1)


def test_none_is_the_identity_and_rms_has_no_beta():
    x = make_input(3, 2, 2, 2, Population())
    np.testing.assert_array_equal(
        run(x, "none", gamma=np.full(2, 3.0), beta=np.ones(2)).output.ravel(), x.ravel()
    )
    with_beta = run(x, "rms", gamma=np.ones(2), beta=np.full(2, 5.0)).output
    np.testing.assert_array_equal(with_beta, run(x, "rms", gamma=np.ones(2)).output)


@pytest.mark.parametrize("norm", NORMS)
def test_with_affine_equals_run_with_gamma_beta(norm):
    x = make_input(4, 4, 3, 3, Population(seed=1))
    stats = dict(running_mean=np.zeros(4), running_var=np.ones(4), num_groups=2)
    gamma, beta = np.linspace(0.5, 2, 4), np.linspace(-1, 1, 4)
    direct = run(x, norm, gamma=gamma, beta=beta, **stats).output
    np.testing.assert_array_equal(with_affine(run(x, norm, **stats), gamma, beta).output, direct)


@pytest.mark.parametrize("norm", ["batch", "batch_renorm"])
@pytest.mark.parametrize("training", [True, False])
def test_recovering_affine_gives_back_the_input(norm, training):
    x = make_input(16, 4, 4, 4, Population(offset=3, spread=1, seed=2))
    mean, var = running_statistics([batch_moments(make_input(32, 4, 4, 4, Population(offset=3, spread=1, seed=2), b)) for b in (1, 2)], 4)  # fmt: skip
    e = run(x, norm, training=training, running_mean=mean, running_var=var)
    gamma, beta = recovering_affine(e)
    y = with_affine(e, gamma, beta).output.reshape(x.shape)
    np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-5 * np.abs(x).max())


def test_only_per_channel_norms_can_be_recovered():
    e = run(make_input(4, 4, 2, 2, Population()), "layer")
    assert recovering_affine(e) is None


# ---------------------------------------------------------------- downstream


@pytest.mark.parametrize(
    "name,function", [("relu", torch.relu), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh)]
)
def test_activations_equal_torch(name, function):
    values = np.linspace(-6, 6, 101, dtype=np.float32)
    np.testing.assert_allclose(
        activate(values, name), function(torch.from_numpy(values)).numpy(), rtol=1e-6, atol=1e-7
    )


def test_stuck_share_counts_dead_and_saturated_units():
    values = np.array([-2.0, -0.5, 0.0, 0.5, 2.0, 4.0])
    assert stuck_share(values, "relu") == pytest.approx(3 / 6)
    assert stuck_share(values, "sigmoid") == pytest.approx(1 / 6)  # saturated beyond |x| > 3.64: 4 only
    assert stuck_share(values, "tanh") == pytest.approx(3 / 6)  # saturated beyond |x| > 1.82: ±2 and 4


# ---------------------------------------------------------------- summaries and the worked example


def test_summary_counts_every_value_and_follows_the_right_element():
    x = make_input(8, 4, 3, 3, Population(seed=9))
    e = with_affine(run(x, "group", num_groups=2), np.full(4, 2.0), np.full(4, 0.5))
    s = summarize(x, e, follow=(3, 2, 5), multiples=3)
    assert s.before.counts.sum() == s.after.counts.sum() == x.size
    np.testing.assert_array_equal(s.before.edges, s.after.edges)  # one shared range
    assert s.followed["y"] == pytest.approx(float(e.output[3, 2, 5]))
    assert s.followed["x"] == pytest.approx(float(x[3, 2].ravel()[5]))
    assert s.followed["set"] == 3 * 2 + 1
    assert s.groups == [0, 8, 15] and sum(h.counts.sum() for h in s.group_before) == 3 * 2 * 9
    np.testing.assert_array_equal(s.grid, np.repeat([[0, 0, 1, 1]], 8, axis=0) + 2 * np.arange(8)[:, None])


def test_summary_in_eval_shows_running_beside_the_batch_own():
    x = make_input(8, 3, 2, 2, Population())
    running = np.zeros(3), np.ones(3)
    s = summarize(x, run(x, "batch", training=False, running_mean=running[0], running_var=running[1]))
    np.testing.assert_array_equal(s.mean, 0)
    np.testing.assert_allclose(s.own_mean, x.mean(axis=(0, 2, 3), dtype=np.float64))
    assert summarize(x, run(x, "batch")).own_mean is None


def test_worked_example_default_table():
    table = [[1, 2], [3, 4], [5, 6], [7, 8]]
    steps = worked_example(table, "batch")
    np.testing.assert_array_equal(steps["mean"][0], [4, 5])
    np.testing.assert_array_equal(steps["var"][0], [5, 5])
    expected = torch.nn.BatchNorm1d(2).double()(torch.tensor(table, dtype=torch.float64)).detach().numpy()
    np.testing.assert_allclose(steps["y"], expected, rtol=1e-12)
    np.testing.assert_allclose(steps["x_hat"], steps["centered"] / steps["std"], rtol=1e-12)
    assert round(float(steps["y"][0, 0]), 4) == -1.3416


def test_worked_example_layer_norm_and_renorm():
    table = np.array([[1.0, 3.0], [2.0, 6.0]])
    steps = worked_example(table, "layer", gamma=[2, 2], beta=[1, 1])
    expected = torch.nn.functional.layer_norm(torch.tensor(table), (2,)) * 2 + 1
    np.testing.assert_allclose(steps["y"], expected.numpy(), rtol=1e-12)
    renorm = worked_example(table, "batch_renorm")
    assert {"r", "d"} <= set(renorm)
    np.testing.assert_allclose(
        renorm["x_hat"], renorm["centered"] / renorm["std"] * renorm["r"] + renorm["d"]
    )


# ---------------------------------------------------------------- the PyTorch snippet


def exec_snippet(code: str, cwd=None) -> np.ndarray:
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.chdir(cwd or "."):
        exec(compile(code, "<snippet>", "exec"), namespace)
    return namespace["y"].numpy()


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("training", [True, False])
def test_snippet_reproduces_the_page(norm, training):
    population = Population(source="synthetic", shape="skewed", seed=4)
    shape, warmup = (6, 4, 3, 3), 5
    gamma, beta = tuple(np.linspace(0.5, 1.5, 4)), tuple(np.linspace(-0.3, 0.3, 4))
    moments = [batch_moments(make_input(32, 4, 3, 3, population, b)) for b in range(1, warmup + 1)]
    running = running_statistics(moments, 4, 0.2)
    x = make_input(*shape, population)
    e = run(x, norm, num_groups=2, gamma=np.array(gamma), beta=np.array(beta), training=training,
            running_mean=running[0], running_var=running[1], momentum=0.2, r_max=1.5, d_max=0.5)  # fmt: skip
    setup = Setup(norm, shape, population, gamma, beta, training, 2, 1e-5, 0.2, warmup, 32, 1.5, 0.5)
    code = pytorch_snippet(setup)
    np.testing.assert_allclose(exec_snippet(code), e.output.reshape(shape), rtol=1e-5, atol=1e-5)
    # the warm-up batches (and their function) only where the layer reads running statistics
    reads_running = norm == "batch_renorm" or (norm == "batch" and not training)
    assert ("def batch(b)" in code) == ("layer(batch(b))" in code) == reads_running


def test_snippet_reproduces_an_upload(tmp_path):
    x = np.random.default_rng(0).standard_normal((5, 3, 2, 2)).astype(np.float32)
    np.save(tmp_path / "mine.npy", x)
    moments = [batch_moments(resample(x, 32, 0, b)) for b in range(1, 4)]
    running = running_statistics(moments, 3)
    e = run(x, "batch", training=False, running_mean=running[0], running_var=running[1], gamma=np.ones(3), beta=np.zeros(3))  # fmt: skip
    setup = Setup(
        "batch", x.shape, None, (1.0,) * 3, (0.0,) * 3, False, warmup_batches=3, upload_name="mine.npy"
    )
    np.testing.assert_allclose(exec_snippet(pytorch_snippet(setup), tmp_path), e.output.reshape(x.shape), rtol=1e-5, atol=1e-5)  # fmt: skip


# ---------------------------------------------------------------- uploads


def npy_bytes(array, **kwargs) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "shape,expected", [((4, 3), (4, 3, 1, 1)), ((4, 3, 5), (4, 3, 5, 1)), ((2, 3, 4, 5), (2, 3, 4, 5))]
)
def test_upload_npy_shapes(shape, expected):
    array = np.arange(np.prod(shape)).reshape(shape)
    loaded = load_activations(npy_bytes(array), "x.NPY")
    assert loaded.shape == expected and loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded.ravel(), array.ravel())


def test_upload_csv_with_and_without_header():
    assert load_activations(b"a,b,c\n1,2,3\n4,5,6\n", "t.csv").shape == (2, 3, 1, 1)
    np.testing.assert_array_equal(load_activations(b"1,2\n3,4\n\n", "t.csv").ravel(), [1, 2, 3, 4])


def test_upload_refuses_pickles_with_a_clear_message():
    with pytest.raises(ValueError, match="pickled data.*never loaded"):
        load_activations(npy_bytes(np.array([{"x": 1}, None], dtype=object), allow_pickle=True), "evil.npy")


def test_upload_checks_the_npy_header_before_allocating():
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }"
    header += b" " * (118 - len(header)) + b"\n"
    data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 64
    with pytest.raises(ValueError, match=r"\(100000, 100000\), more than 2,000,000"):
        load_activations(data, "huge.npy")


@pytest.mark.parametrize(
    "data,name,message",
    [
        (
            npy_bytes(np.array([[1.0, np.nan], [np.inf, 2.0]])),
            "x.npy",
            r"2 NaN or infinite values \(the first at index \(0, 1\)\)",
        ),
        (b"1,2\n3,nan\n", "x.csv", "NaN or infinite"),
        (npy_bytes(np.ones(5)), "x.npy", "2 to 4 dimensions"),
        (npy_bytes(np.ones((2, 2, 2, 2, 2))), "x.npy", "2 to 4 dimensions"),
        (npy_bytes(np.array([["a", "b"]])), "x.npy", "expected numbers"),
        (npy_bytes(np.ones((0, 3))), "x.npy", "empty"),
        (npy_bytes(np.ones((2, 300))), "x.npy", "300 channels"),
        (npy_bytes(np.ones((2, 2)))[:-8], "x.npy", "not a readable .npy"),
        (b"garbage", "x.npy", "not a readable .npy"),
        (b"1,2\n3\n", "x.csv", "same number of columns"),
        (b"a,b\n1,x\n", "x.csv", "must be a number"),
        (b"\xff\xfe", "x.csv", "UTF-8"),
        (b"1,2", "x.txt", r"\.npy or \.csv"),
        (npy_bytes(np.array([[1e300, 1.0]])), "x.npy", "too large for float32"),
        (b"0" * (MAX_UPLOAD_BYTES + 1), "x.csv", "the limit is"),
    ],
)
def test_upload_refusals_say_what_to_change(data, name, message):
    with pytest.raises(ValueError, match=message):
        load_activations(data, name)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_stuck_share_thresholds_equal_the_activation_outputs(activation):
    values = np.random.default_rng(0).normal(0, 3, 100_000)
    out = activate(values, activation)
    low, high = saturation.sigmoid_bounds()
    stuck = {
        "relu": values <= 0,
        "sigmoid": (out < low) | (out > high),
        "tanh": np.abs(out) > saturation.tanh_bound(),
    }
    assert stuck_share(values, activation) == pytest.approx(stuck[activation].mean(), abs=1e-4)


def test_worked_example_uses_r_max_and_d_max_and_at_1_and_0_is_batch_norm():
    table = np.array(
        [[1.0, 20.0], [3.0, 40.0], [8.0, 10.0]]
    )  # fresh buffers (0, 1): r and d want to be large
    plain = worked_example(table, "batch")
    same = worked_example(table, "batch_renorm", r_max=1.0, d_max=0.0)
    np.testing.assert_allclose(same["y"], plain["y"], rtol=1e-12)
    assert (same["r"] == 1.0).all() and (same["d"] == 0.0).all()
    # Ioffe (2017), Algorithm 1: r = clip(sigma_B / sigma, 1/r_max, r_max), d = clip((mu_B - mu) / sigma, +-d_max)
    sigma_b, sigma = np.sqrt(table.var(axis=0) + 1e-5), np.sqrt(1.0 + 1e-5)
    for r_max, d_max in [(3.0, 5.0), (1.5, 2.0), (5.0, 10.0)]:
        steps = worked_example(table, "batch_renorm", r_max=r_max, d_max=d_max)
        np.testing.assert_allclose(steps["r"][0], np.clip(sigma_b / sigma, 1 / r_max, r_max), rtol=1e-12)
        np.testing.assert_allclose(
            steps["d"][0], np.clip(table.mean(axis=0) / sigma, -d_max, d_max), rtol=1e-12
        )
        np.testing.assert_allclose(steps["y"], plain["y"] * steps["r"] + steps["d"], rtol=1e-12)
    assert not np.allclose(worked_example(table, "batch_renorm", r_max=1.5, d_max=2.0)["y"],
                           worked_example(table, "batch_renorm")["y"])  # fmt: skip


def test_worked_example_of_rms_norm_has_no_mean():
    table = np.array([[1.0, 2.0], [3.0, -4.0]])
    steps = worked_example(table, "rms", gamma=[2.0, 2.0])
    assert list(steps) == ["x", "mean_square", "rms", "x_hat", "y"]
    np.testing.assert_allclose(steps["mean_square"][0], [2.5, 2.5])  # mean of 1 and 4, not the variance 0.25
    np.testing.assert_allclose(steps["rms"], np.sqrt(steps["mean_square"] + 1e-5))
    expected = torch.nn.functional.rms_norm(torch.tensor(table), (2,), torch.tensor([2.0, 2.0]), eps=1e-5)
    np.testing.assert_allclose(steps["y"], expected.numpy(), rtol=1e-12)


def test_a_summary_bins_only_the_parts_asked_for_and_those_as_the_whole_one():
    x = make_input(6, 4, 3, 3, Population(seed=2))
    e = with_affine(run(x, "group", num_groups=2), np.full(4, 1.5), np.full(4, -0.5))
    whole = summarize(x, e, activation="tanh")
    for parts in [(), ("multiples",), ("downstream",)]:
        some = summarize(x, e, activation="tanh", parts=parts)
        for field in dataclasses.fields(whole):
            asked = {"group_before": "multiples", "group_after": "multiples"}.get(field.name) or (
                "downstream"
                if field.name in ("downstream", "stuck", "stuck_plain", "identity_error")
                else None
            )
            if asked is None or asked in parts:
                assert pickle.dumps(getattr(some, field.name)) == pickle.dumps(getattr(whole, field.name)), (
                    field
                )
            else:
                assert getattr(some, field.name) is None, (parts, field.name)
