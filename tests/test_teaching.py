"""normcore.teaching: the statistics each norm used, checked against PyTorch's modules."""

import numpy as np
import pytest
import torch

import normcore as nc
from normcore.teaching import follow_element

SHAPE = (6, 4, 3, 3)


def batch(dtype=np.float64, seed=0):
    return (np.random.default_rng(seed).standard_normal(SHAPE) * 3 + 1).astype(dtype)


def torch_module(norm, c, groups):
    return {
        "batch": lambda: torch.nn.BatchNorm2d(c, affine=False).double(),
        "layer": lambda: torch.nn.GroupNorm(1, c, affine=False).double(),
        "instance": lambda: torch.nn.InstanceNorm2d(c).double(),
        "group": lambda: torch.nn.GroupNorm(groups, c, affine=False).double(),
    }[norm]()


@pytest.mark.parametrize("norm", ["batch", "layer", "instance", "group"])
def test_explained_output_matches_torch_module(norm):
    x = batch()
    rng = np.random.default_rng(1)
    weight, bias = rng.standard_normal(4), rng.standard_normal(4)
    explained = nc.explain(x, norm, num_groups=2, weight=weight, bias=bias)
    expected = torch_module(norm, 4, 2)(torch.from_numpy(x)).detach().numpy()
    expected = expected * weight.reshape(1, 4, 1, 1) + bias.reshape(1, 4, 1, 1)
    np.testing.assert_allclose(explained.output.reshape(SHAPE), expected, atol=1e-10)


@pytest.mark.parametrize(
    "norm, sets, axes",
    [("batch", 4, (0, 2)), ("layer", 6, (1, 2)), ("instance", 24, (2,)), ("rms", 6, (1, 2))],
)
def test_statistics_are_per_set(norm, sets, axes):
    x = batch().reshape(6, 4, 9)
    explained = nc.explain(x, norm)
    assert explained.num_sets == sets
    if norm == "rms":
        np.testing.assert_allclose(explained.var, np.square(x).mean(axis=axes))
        np.testing.assert_array_equal(explained.mean, 0)
    else:
        np.testing.assert_allclose(explained.mean, x.mean(axis=axes).ravel())
        np.testing.assert_allclose(explained.var, x.var(axis=axes).ravel())


def test_group_statistics_follow_the_group_norm_paper_layout():
    x = batch().reshape(6, 4, 9)
    explained = nc.explain(x, "group", num_groups=2)
    grouped = x.reshape(6, 2, 18)  # (N, G, C//G * L)
    np.testing.assert_allclose(explained.mean, grouped.mean(axis=2).ravel())
    index = np.broadcast_to(explained.set_index, x.shape)
    assert index[5, 3, 0] == 5 * 2 + 1 and index[0, 1, 8] == 0


def test_eval_mode_uses_running_statistics_and_reports_the_batch_ones():
    x = batch()
    running_mean, running_var = np.array([0.5, 1.0, -1.0, 2.0]), np.array([1.0, 4.0, 9.0, 0.25])
    explained = nc.explain(x, "batch", training=False, running_mean=running_mean, running_var=running_var)
    module = torch.nn.BatchNorm2d(4, affine=False).double().eval()
    module.running_mean.copy_(torch.from_numpy(running_mean))
    module.running_var.copy_(torch.from_numpy(running_var))
    np.testing.assert_allclose(
        explained.output.reshape(SHAPE), module(torch.from_numpy(x)).detach().numpy(), atol=1e-12
    )
    np.testing.assert_array_equal(explained.mean, running_mean)
    np.testing.assert_allclose(explained.batch_mean, x.mean(axis=(0, 2, 3)))


def test_training_updates_the_running_buffers_like_torch():
    module = torch.nn.BatchNorm2d(4, momentum=0.2).double()
    running_mean, running_var = np.zeros(4), np.ones(4)
    for seed in range(5):
        x = batch(seed=seed)
        nc.explain(x, "batch", running_mean=running_mean, running_var=running_var, momentum=0.2)
        module(torch.from_numpy(x))
    np.testing.assert_allclose(running_mean, module.running_mean.numpy(), atol=1e-12)
    np.testing.assert_allclose(running_var, module.running_var.numpy(), atol=1e-12)


def test_batch_renorm_reports_r_and_d():
    x = batch()
    running_mean, running_var = np.zeros(4), np.full(4, 0.5)
    explained = nc.explain(
        x,
        "batch_renorm",
        running_mean=running_mean.copy(),
        running_var=running_var.copy(),
        r_max=1.5,
        d_max=0.5,
    )
    r, d = explained.extra["r"], explained.extra["d"]
    assert np.all((r >= 1 / 1.5) & (r <= 1.5)) and np.all(np.abs(d) <= 0.5)
    plain = nc.batch_norm(x, None, None, training=True).reshape(6, 4, 9)
    np.testing.assert_allclose(explained.x_hat, plain * r.reshape(1, 4, 1) + d.reshape(1, 4, 1), atol=1e-12)


def test_followed_element_shows_every_intermediate_number():
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    explained = nc.explain(x, "batch", weight=np.array([2.0, 1.0]), bias=np.array([0.5, 0.0]))
    step = follow_element(explained, x, n=0, c=0, position=0)
    assert step["x"] == 1.0 and step["mean"] == 4.0 and step["var"] == 5.0
    assert step["x_hat"] == pytest.approx(-3 / np.sqrt(5 + 1e-5))
    assert step["y"] == pytest.approx(2 * step["x_hat"] + 0.5)


def test_unknown_norm_and_bad_groups_are_refused():
    with pytest.raises(ValueError, match="unknown norm"):
        nc.explain(batch(), "banana")
    with pytest.raises(ValueError, match="valid: 1, 2, 4"):
        nc.explain(batch(), "group", num_groups=3)


@pytest.mark.parametrize(
    "values, value_range",
    [
        (np.full(10, 3.0), None),
        (np.full(10, 3.0, np.float32) + np.float32(1e-7) * np.arange(10, dtype=np.float32), (3.0, 3.000001)),
        (np.array([1e30, 1e30]), None),
        (np.array([]), None),
    ],
)
def test_histogram_bins_degenerate_ranges_without_failing(values, value_range):
    from normcore.stats import histogram

    result = histogram(values, 50, value_range)
    assert result.counts.sum() == values.size and len(result.edges) == 51
