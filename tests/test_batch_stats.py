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


def test_batch_renorm_training_is_eval_mode_wherever_r_and_d_are_not_clipped(pop):
    for kind in bs.BATCH_KINDS:
        run = bs.renorm_training(pop, 4, 80, 0.1, r_max=3.0, d_max=5.0, kind=kind, channel=2, seed=1)
        assert run.clipped.any() and (~run.clipped).any(), kind
        assert run.gap_batch_renorm[~run.clipped].max() < 1e-12
        assert (run.gap_batch_renorm[run.clipped] > 1e-6).all()
        assert (run.gap_batch[~run.clipped] > 1e-3).all()
        assert (np.abs(run.d) <= 5.0).all() and (run.r <= 3.0).all() and (run.r >= 1 / 3.0).all()
    free = bs.renorm_training(pop, 4, 80, 0.1, r_max=1e9, d_max=1e9)
    assert not free.clipped.any() and free.gap_batch_renorm.max() < 1e-12
    none = bs.renorm_training(pop, 4, 80, 0.1, r_max=1.0, d_max=0.0)  # no correction: Batch Norm
    np.testing.assert_allclose(none.gap_batch_renorm, none.gap_batch, rtol=1e-12)


def test_batch_renorm_training_steps_are_torchs(pop):
    # Step by step the same as torch: eval output with the buffers before the update, Batch Norm's
    # training output, and Batch Renorm's as Algorithm 1 writes it with torch's batch statistics.
    run = bs.renorm_training(pop, 4, 5, 0.2, r_max=1.5, d_max=0.5, kind="cluster", channel=1, seed=2)
    batches = bs.clustered_batches(pop, 4, 5, channel=1, seed=3)
    layer = torch.nn.BatchNorm1d(bs.CHANNELS, momentum=0.2, affine=False, dtype=torch.float64)
    for step, batch in enumerate(torch.from_numpy(batches)):
        layer.eval()
        evaluated = layer(batch)[:, 1]
        mean, std = layer.running_mean.clone(), (layer.running_var + 1e-5).sqrt()
        layer.train()
        trained = layer(batch)[:, 1]
        batch_std = (batch.var(0, unbiased=False) + 1e-5).sqrt()
        r = (batch_std / std).clamp(1 / 1.5, 1.5)[1]
        d = ((batch.mean(0) - mean) / std).clamp(-0.5, 0.5)[1]
        assert run.gap_batch[step] == pytest.approx(float((trained - evaluated).abs().mean()), rel=1e-10)
        renorm = trained * r + d
        assert run.gap_batch_renorm[step] == pytest.approx(float((renorm - evaluated).abs().mean()), rel=1e-9)
        assert run.r[step] == pytest.approx(float(r)) and run.d[step] == pytest.approx(float(d))


def test_clustered_batches_come_from_one_slice_each(pop):
    batches = bs.clustered_batches(pop, 16, 50, channel=3, clusters=8)
    edges = np.quantile(pop[:, 3], np.linspace(0, 1, 9))
    slices = np.searchsorted(edges[1:-1], batches[:, :, 3], side="right")  # (50, 16) slice of each value
    assert (slices == slices[:, :1]).all() and len(np.unique(slices[:, 0])) > 4
    assert batches.shape == (50, 16, bs.CHANNELS)


def test_keras_moving_variance_is_the_biased_one(pop):
    stats = bs.running_stats(pop, (0.1, 0.3), batch_size=4, steps=40, channel=2)
    for m in (0.1, 0.3):
        keras = bs.variance_conventions(stats, m, 4)
        expected = 1.0
        for (
            batch_var
        ) in stats.batch_var:  # Keras: moving * decay + var * (1 - decay), var from ops.moments (ddof 0)
            expected = expected * (1 - m) + batch_var * m
        assert keras["keras"] == pytest.approx(expected, rel=1e-12)
        assert keras["keras"] == pytest.approx(0.75 * keras["pytorch"] + (1 - m) ** 40 / 4, rel=1e-12)
        assert keras["ratio"] < 1


def test_running_table_holds_every_curve_by_step():
    pop = bs.population(0)
    stats = bs.running_stats(pop, (0.1, 0.5), 4, 30, 0, 0)
    table = bs.running_table(stats, (0.1, 0.5))
    assert list(table) == ["step", "mean_m0.1", "mean_m0.5", "var_m0.1", "var_m0.5"]
    np.testing.assert_array_equal(table["step"], np.arange(31))
    np.testing.assert_array_equal(table["var_m0.5"], stats.var[1])


def test_renorm_table_has_one_row_per_step():
    run = bs.renorm_training(bs.population(0), 4, 20, 0.1, 3.0, 5.0, "random", 0, 0)
    table = bs.renorm_table(run)
    assert list(table) == ["step", "gap_batch", "gap_batch_renorm", "r", "d", "clipped"]
    np.testing.assert_array_equal(table["step"], np.arange(1, 21))
    assert all(len(column) == 20 for column in table.values())


# ---- what the pages show, computed in the core (pages/2_Small_batches.py, pages/3_Train_vs_eval.py)


@pytest.mark.parametrize("b", [1, 2, 16])
def test_moment_metrics_are_torchs_spread_and_mean_beside_theory(pop, b):
    measured = bs.batch_moments(pop, b, 300, channel=1, seed=2)
    theory = bs.moment_theory(float(pop[:, 1].mean()), float(pop[:, 1].var()), b)
    metrics = bs.moment_metrics(measured, theory)
    assert list(metrics) == ["sd", "sd_theory", "var", "var_theory"]
    batches = torch.tensor(bs.draw_batches(pop, b, 300, seed=2)[..., 1])  # (K, B)
    means = batches.mean(dim=1)
    variances = batches.var(dim=1, unbiased=False) if b > 1 else torch.zeros(300, dtype=torch.float64)
    assert metrics["sd"] == pytest.approx(float(means.std(unbiased=False)), rel=1e-12)
    assert metrics["var"] == pytest.approx(float(variances.mean()), rel=1e-12, abs=1e-15)
    assert (metrics["sd_theory"], metrics["var_theory"]) == (theory["mean_sd"], theory["var"])


def test_moments_tables_hold_one_row_per_batch_and_per_size(pop):
    measured = bs.batch_moments(pop, 4, 50, channel=0, seed=0)
    table = bs.moments_table(measured)
    assert list(table) == ["batch_mean", "batch_var_biased"]
    np.testing.assert_array_equal(table["batch_var_biased"], measured.variances)
    summary = bs.moments_summary(pop, 50)
    columns = bs.summary_table(summary)
    assert list(columns) == ["batch_size", "mean_sd", "mean_sd_theory", "var_mean", "var_theory"]
    assert columns["batch_size"] == list(bs.BATCH_SIZES)
    assert all(len(column) == len(bs.BATCH_SIZES) for column in columns.values())


def test_running_momenta_add_the_chosen_one_once_in_order():
    assert bs.running_momenta(0.3) == (0.01, 0.1, 0.3, 0.5)
    assert bs.running_momenta(0.1) == bs.COMPARED_MOMENTA == (0.01, 0.1, 0.5)
    assert bs.running_momenta(0.0030000001) == (0.003, 0.01, 0.1, 0.5)
    assert bs.running_momenta(1.0, compared=(0.2,)) == (0.2, 1.0)


def test_population_moments_are_torchs_mean_and_unbiased_variance(pop):
    column = torch.tensor(pop[:, 5])
    mean, var = bs.population_moments(pop, 5)
    assert mean == pytest.approx(float(column.mean()), rel=1e-12)
    assert var == pytest.approx(float(column.var(unbiased=True)), rel=1e-12)
    assert var > float(column.var(unbiased=False))


def test_running_variance_approaches_the_population_moments(pop):
    """What the running curves are drawn against: the unbiased population variance."""
    stats = bs.running_stats(pop, (0.01,), batch_size=64, steps=1000, channel=0)
    mean, var = bs.population_moments(pop, 0)
    assert stats.mean[0, -1] == pytest.approx(mean, abs=0.1)
    assert stats.var[0, -1] == pytest.approx(var, rel=0.1)


@pytest.mark.parametrize("b", [2, 3, 16, 256])
def test_unbiased_factor_is_torchs_ratio_of_variances(b):
    x = torch.randn(b, dtype=torch.float64, generator=torch.Generator().manual_seed(b))
    assert bs.unbiased_factor(b) == pytest.approx(
        float(x.var(unbiased=True) / x.var(unbiased=False)), rel=1e-12
    )


def test_unbiased_factor_refuses_a_batch_of_one():
    with pytest.raises(ValueError, match="batch_size >= 2, got 1"):
        bs.unbiased_factor(1)


def test_max_abs_difference_is_torchs_train_against_eval(pop):
    mean, var = bs.trained_running_stats(pop, steps=20)
    batch = pop[10:14]
    layer = torch.nn.BatchNorm1d(bs.CHANNELS, dtype=torch.float64)
    layer.running_mean.copy_(torch.tensor(mean))
    layer.running_var.copy_(torch.tensor(var))
    layer.eval()
    evaluated = layer(torch.tensor(batch)).detach()
    layer.train()
    trained = layer(torch.tensor(batch)).detach()
    expected = float((trained - evaluated).abs().max())
    assert bs.max_abs_difference(bs.train_and_eval(batch, mean, var)) == pytest.approx(expected, rel=1e-9)


def test_train_eval_table_is_row_major(pop):
    result = bs.trained_then_evaluated(pop, 4, 20, 0.1)
    table = bs.train_eval_table(result)
    assert list(table) == ["train", "eval"] and len(table["train"]) == 4 * bs.CHANNELS
    np.testing.assert_array_equal(table["eval"][: bs.CHANNELS], result["eval"][0])
