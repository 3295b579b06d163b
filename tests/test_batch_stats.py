"""normcore.batch_stats against PyTorch and against sampling theory."""

import numpy as np
import pytest
import torch

from normcore import batch_stats as bs


@pytest.fixture(scope="module")
def pop():
    return bs.population(seed=3)


def test_population_is_seeded_and_shaped(pop):
    assert pop.shape == (bs.POPULATION_SIZE, bs.CHANNELS)
    np.testing.assert_array_equal(pop, bs.population(seed=3))
    assert not np.array_equal(pop, bs.population(seed=4))


def test_batch_moments_are_each_batch_mean_and_biased_variance(pop):
    measured = bs.batch_moments(pop, 8, 50, channel=2, seed=1)
    batches = bs.draw_batches(pop, 8, 50, seed=1)[..., 2]
    np.testing.assert_allclose(measured.means, batches.mean(axis=1))
    np.testing.assert_allclose(measured.variances, batches.var(axis=1))  # ddof=0


def test_moment_theory_numbers():
    assert bs.moment_theory(1.5, 9.0, 9) == {"mean": 1.5, "mean_sd": 1.0, "var": 8.0, "var_bias": 8 / 9}
    assert bs.moment_theory(0.0, 2.0, 1)["var"] == 0.0


@pytest.mark.parametrize("b", [1, 2, 8, 64])
def test_measured_moments_match_theory(pop, b):
    measured = bs.batch_moments(pop, b, 20_000, channel=0, seed=0)
    column = pop[:, 0]
    theory = bs.moment_theory(column.mean(), column.var(), b)
    assert measured.means.mean() == pytest.approx(theory["mean"], abs=4 * theory["mean_sd"] / np.sqrt(20_000))
    assert measured.means.std() == pytest.approx(theory["mean_sd"], rel=0.03)
    assert measured.variances.mean() == pytest.approx(theory["var"], rel=0.03, abs=1e-12)


def test_summary_spread_falls_as_one_over_root_b(pop):
    summary = bs.moments_summary(pop, 4000)
    ratio = np.array(summary["mean_sd"]) * np.sqrt(summary["batch_size"])
    np.testing.assert_allclose(ratio, np.sqrt(summary["population_var"]), rtol=0.08)
    assert summary["var_mean"][0] == 0.0 and summary["var_mean"][-1] > summary["var_mean"][1]


def test_normalized_example_is_torch_batch_norm_row_zero(pop):
    batch = pop[:6]
    expected = torch.nn.functional.batch_norm(torch.tensor(batch), None, None, training=True)[0].numpy()
    np.testing.assert_allclose(bs.normalized_example(batch, "batch"), expected, rtol=1e-6, atol=1e-8)
    expected = torch.nn.functional.group_norm(torch.tensor(batch), 4)[0].numpy()
    np.testing.assert_allclose(
        bs.normalized_example(batch, "group", num_groups=4), expected, rtol=1e-6, atol=1e-8
    )


def test_bands_bn_widens_as_b_shrinks_gn_ln_flat(pop):
    bands = bs.example_bands(pop, example=5, channel=1, num_batches=200, num_groups=2, r_max=1.5, d_max=0.5)
    width = {norm: bs.band_summary(v)["high"] - bs.band_summary(v)["low"] for norm, v in bands.items()}
    for norm in ("group", "layer"):
        assert np.ptp(bands[norm]) == 0.0
    assert np.isnan(bands["batch"][0]).all() and np.isnan(bands["batch_renorm"][0]).all()  # B = 1
    assert width["batch"][2] > width["batch"][4] > width["batch"][7] > 0  # B = 4 > 16 > 128
    assert np.mean(np.isclose(np.abs(bands["batch"][1]), 1.0, atol=1e-2)) > 0.95  # B = 2: -1 or +1
    assert np.all(width["batch_renorm"][1:] <= width["batch"][1:] + 1e-12)


def test_bands_equal_each_batch_through_the_functional_norms(pop):
    bands = bs.example_bands(
        pop, example=9, channel=5, num_batches=6, num_groups=4, r_max=1.3, d_max=0.2, seed=4
    )
    running_mean, running_var = pop.mean(axis=0), pop.var(axis=0, ddof=1)
    for i, b in enumerate(bs.BATCH_SIZES):
        companions = bs.draw_batches(pop, max(b - 1, 1), 6, seed=4)[:, : b - 1]
        for k in range(6):
            batch = np.concatenate([pop[9:10], companions[k]])
            for norm in bs.BAND_NORMS:
                expected = bs.normalized_example(
                    batch,
                    norm,
                    num_groups=4,
                    running_mean=running_mean,
                    running_var=running_var,
                    r_max=1.3,
                    d_max=0.2,
                )[5]
                np.testing.assert_allclose(bands[norm][i, k], expected, rtol=1e-9, atol=1e-12)


def test_batch_renorm_band_limits(pop):
    plain = bs.example_bands(pop, num_batches=20, r_max=1.0, d_max=0.0)
    np.testing.assert_allclose(
        plain["batch_renorm"][1:], plain["batch"][1:], atol=1e-9
    )  # r_max=1, d_max=0 is BN
    free = bs.example_bands(pop, num_batches=20, r_max=1e9, d_max=1e9)
    population_value = (pop[0, 0] - pop[:, 0].mean()) / np.sqrt(pop[:, 0].var(ddof=1) + 1e-5)
    np.testing.assert_allclose(free["batch_renorm"][1:], population_value, atol=1e-6)


def test_batch_of_one_matches_pytorch():
    one = bs.batch_of_one(channels=4, size=3)
    with pytest.raises(ValueError) as refused:
        torch.nn.functional.batch_norm(torch.zeros(1, 4), None, None, training=True)
    torch_message = str(refused.value).replace("torch.Size([1, 4])", "(1, 4)")
    assert one["flat_error"] == torch_message
    image = torch.tensor(one["image_input"])
    assert one["image_shape"] == (1, 4, 3, 3) and one["equals_instance_norm"]
    expected = torch.nn.functional.batch_norm(image, None, None, training=True).numpy()
    np.testing.assert_allclose(one["image_output"], expected, atol=1e-6)
    np.testing.assert_allclose(torch.nn.functional.instance_norm(image).numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("momentum", [0.01, 0.1, 0.5, 1.0])
def test_running_stats_equal_torch_batchnorm1d_buffers(pop, momentum):
    stats = bs.running_stats(pop, (momentum,), batch_size=5, steps=30, channel=3, seed=2)
    layer = torch.nn.BatchNorm1d(1, momentum=momentum, dtype=torch.float64)
    batches = bs.draw_batches(pop, 5, 30, seed=2)[..., 3:4]
    for step, batch in enumerate(batches, start=1):
        layer(torch.tensor(batch))
        assert stats.mean[0, step] == pytest.approx(layer.running_mean.item(), rel=1e-12)
        assert stats.var[0, step] == pytest.approx(layer.running_var.item(), rel=1e-12)
    assert stats.batch_var_unbiased[-1] == pytest.approx(stats.batch_var[-1] * 5 / 4)


def test_running_stats_converge_to_population(pop):
    stats = bs.running_stats(pop, (0.05,), batch_size=64, steps=800)
    assert stats.mean[0, -1] == pytest.approx(pop[:, 0].mean(), abs=0.05)
    assert stats.var[0, -1] == pytest.approx(pop[:, 0].var(ddof=1), rel=0.1)


def test_running_stats_refuse_batch_of_one(pop):
    with pytest.raises(ValueError, match="batch_size >= 2"):
        bs.running_stats(pop, (0.1,), batch_size=1, steps=3)


def test_conventions_pytorch_momentum_is_one_minus_keras_decay(pop):
    stats = bs.running_stats(pop, (0.01, 0.1, 0.9), batch_size=8, steps=50)
    table = bs.conventions(stats)
    assert table["decay"] == [0.99, 0.9, 0.1]
    assert max(table["max_difference"]) < 1e-12
    assert bs.half_life(0.5) == pytest.approx(1.0) and bs.half_life(0.1) == pytest.approx(6.579, abs=1e-3)


def test_train_and_eval_match_torch(pop):
    mean, var = bs.trained_running_stats(pop, steps=20)
    batch = pop[:10]
    layer = torch.nn.BatchNorm1d(bs.CHANNELS, dtype=torch.float64)
    layer.running_mean.copy_(torch.tensor(mean))
    layer.running_var.copy_(torch.tensor(var))
    result = bs.train_and_eval(batch, mean, var)
    layer.eval()
    np.testing.assert_allclose(result["eval"], layer(torch.tensor(batch)).detach().numpy(), atol=1e-10)
    layer.train()
    np.testing.assert_allclose(result["train"], layer(torch.tensor(batch)).detach().numpy(), atol=1e-10)
    assert np.abs(result["difference"]).max() > 0


def test_renorm_gap_zero_inside_limits_and_back_beyond(pop):
    mean, var = pop.mean(axis=0), pop.var(axis=0, ddof=1)
    batch = bs.shifted(pop[:32], mean, np.sqrt(var), shift=1.0, scale=1.0)
    inside = bs.renorm_gap(batch, mean, var, r_max=1e6, d_max=1e6)
    assert inside["gap_batch_renorm"] < 1e-9 < 0.5 < inside["gap_batch"]
    clipped = bs.renorm_gap(batch, mean, var, r_max=1.0, d_max=0.0)
    assert clipped["gap_batch_renorm"] == pytest.approx(clipped["gap_batch"])
    np.testing.assert_allclose(inside["d"], inside["d_unclipped"])


def test_shift_sweep_renorm_flat_until_d_max(pop):
    sweep = bs.shift_sweep(pop, np.array([0.0, 0.5, 4.0]), 1.0, 64, r_max=3.0, d_max=1.0)
    assert sweep["gap_batch_renorm"][0] < 1e-9 and sweep["gap_batch_renorm"][2] > 2.0
    assert np.all(np.diff(sweep["gap_batch"]) > 0)


def test_shifted_gap_is_the_sweeps_gap_at_that_shift(pop):
    sweep = bs.shift_sweep(pop, np.array([0.0, 1.5]), 2.0, 16, r_max=2.0, d_max=1.0, seed=3)
    gap = bs.shifted_gap(pop, 16, 1.5, 2.0, r_max=2.0, d_max=1.0, seed=3)
    assert (
        gap["gap_batch"] == sweep["gap_batch"][1] and gap["gap_batch_renorm"] == sweep["gap_batch_renorm"][1]
    )
