"""The trainer: deterministic, BN helps, §2's bias growth, and its norm modules against PyTorch."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from normcore import functional as F
from normcore import lab
from normcore.training import (
    BatchCentering,
    BatchRenorm1d,
    build_mlp,
    load_digits,
    saturated_share,
    train,
)

SHORT = replace(lab.FIGURE1, steps=60, eval_every=20)


def test_digits_split_is_fixed_and_scaled():
    data = load_digits()
    assert data.x_train.shape == (1438, 64) and data.x_test.shape == (359, 64)
    assert float(data.x_train.min()) == 0.0 and float(data.x_train.max()) == 1.0
    assert set(data.y_test.tolist()) == set(range(10))


def test_digits_are_scikit_learns():
    """Read without importing scikit-learn, the digits equal sklearn.datasets.load_digits, split as before."""
    import torch
    from sklearn.datasets import load_digits as sklearn_digits

    reference = sklearn_digits()
    x = torch.tensor(reference.data / 16.0, dtype=torch.float32)
    y = torch.tensor(reference.target, dtype=torch.int64)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    data = load_digits()
    assert torch.equal(data.x_test, x[order[:359]]) and torch.equal(data.y_test, y[order[:359]])
    assert torch.equal(data.x_train, x[order[359:]]) and torch.equal(data.y_train, y[order[359:]])


@pytest.mark.parametrize("norm", ["none", "batch", "batch_renorm", "group"])
def test_same_seed_same_run(norm):
    config = replace(SHORT, norm=norm, dropout=0.2)
    first, second = train(config), train(config)
    assert first.test_accuracy == second.test_accuracy
    assert first.train_loss == second.train_loss
    assert train(replace(config, seed=1)).train_loss != first.train_loss


def test_batch_norm_beats_no_norm_on_a_short_schedule():
    without, with_bn = (train(c) for c in lab.figure1_configs(replace(SHORT, eval_every=100), 300).values())
    assert with_bn.final_accuracy > 0.9
    assert with_bn.final_accuracy > without.final_accuracy + 0.3
    assert len(with_bn.percentiles) == len(with_bn.steps) == 4


def test_constant_statistics_let_the_bias_grow_while_the_loss_does_not_improve():
    constant, true = (
        train(replace(c, eval_every=100)) for c in lab.section2_configs(lab.FIGURE1, 300).values()
    )
    assert constant.bias_norm[-1] > 3 * constant.bias_norm[0]
    assert np.all(np.diff(constant.bias_norm) >= 0)
    np.testing.assert_allclose(true.bias_norm, true.bias_norm[0], rtol=1e-5)  # its gradient is 0
    assert constant.test_loss[-1] > constant.test_loss[0] > true.test_loss[-1]


def test_bias_before_batch_norm_changes_nothing():
    dropped, kept = (train(c) for c in lab.bias_configs(SHORT, 60).values())
    # Identical in exact arithmetic; float32 rounding and the running mean's lag leave a few digits.
    assert lab.max_difference(dropped, kept) <= 6 / 359
    np.testing.assert_allclose(kept.train_loss[1:], dropped.train_loss[1:], rtol=0.01)
    np.testing.assert_allclose(kept.bias_norm, kept.bias_norm[0], rtol=1e-5)
    assert kept.bias_norm[0] > 0 and dropped.bias_norm == [0.0] * len(dropped.steps)


def test_layer_recordings_have_one_row_per_layer_and_evaluation():
    result = train(replace(SHORT, norm="batch", record_layers=True))
    layers = result.layers
    evaluations = len(result.steps) - 1  # none at step 0: no gradient yet
    assert len(layers.activation_counts) == len(layers.saturated) == evaluations
    assert layers.activation_counts[0].shape == (3, 40)
    assert layers.gradient_counts[0].sum(axis=1).tolist() == [60 * 100] * 3
    assert all(r > 0 for row in layers.update_to_data for r in row)


def test_saturated_share_uses_the_local_gradient():
    assert saturated_share(np.array([0.001, 0.5, 0.999, 0.6]), "sigmoid") == 0.5
    assert saturated_share(np.array([-0.99, 0.0, 0.5, 0.98]), "tanh") == 0.5
    assert saturated_share(np.array([0.0, 0.0, 1.0, 2.0]), "relu") == 0.5


def test_stop_flag_and_progress_callback():
    seen = []
    result = train(
        SHORT, on_eval=lambda r, done, total: seen.append((done, total)), should_stop=lambda: len(seen) >= 2
    )
    assert result.stopped and seen == [(20, 60), (40, 60)]
    assert result.steps == [0, 20, 40]


def test_epochs_drop_the_incomplete_batch():
    config = replace(SHORT, epochs=2, batch_size=100, eval_every=1000)
    assert config.total_steps(1438) == 28
    assert train(config).steps == [0, 28]


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(norm="group", num_groups=7), "divisible by num_groups"),
        (dict(norm="batch", batch_size=1), "batch_size >= 2"),
        (dict(norm="spectral"), "norm must be one of"),
        (dict(lr=0.0), "lr must be positive"),
        (dict(weight_decay=-0.001), "weight_decay must be 0 or positive"),
        (dict(weight_decay=float("nan")), "weight_decay must be 0 or positive"),
        (dict(weight_decay=float("inf")), "weight_decay must be 0 or positive"),
        (dict(norm_position="middle"), "norm_position must be one of"),
    ],
)
def test_bad_configs_say_what_to_change(changes, message):
    with pytest.raises(ValueError, match=message):
        replace(SHORT, **changes)


def test_weight_decay_zero_and_both_positions_are_valid():
    assert replace(SHORT, weight_decay=0.0).weight_decay == 0.0
    assert {replace(SHORT, norm_position=p).norm_position for p in ("before", "after")} == {"before", "after"}


def _weights_after(config, steps: int) -> list[torch.Tensor]:
    """The hidden weight matrices after ``steps`` steps, by replaying the (deterministic) run."""
    if steps == 0:
        return [layer.weight.detach() for layer in build_mlp(config).linears]
    models = []
    train(replace(config, steps=steps), on_done=models.append)
    return [layer.weight.detach() for layer in models[0].linears]


@pytest.mark.parametrize("norm, weight_decay", [("batch", 0.0), ("batch", 0.01), ("none", 0.01)])
def test_recorded_weight_norm_and_effective_step_equal_torch(norm, weight_decay):
    config = replace(SHORT, norm=norm, depth=2, width=30, steps=7, eval_every=3, weight_decay=weight_decay)
    result = train(config)
    assert result.steps == [0, 3, 6, 7] and len(result.effective_step) == 3
    for i, steps in enumerate(result.steps):
        weights = _weights_after(config, steps)
        expected = [float(torch.linalg.matrix_norm(w)) for w in weights]
        np.testing.assert_allclose(result.weight_norm[i], expected, rtol=1e-6)
        if steps > 0:
            before = _weights_after(config, steps - 1)
            ratio = [
                float(torch.linalg.matrix_norm(w - w0) / torch.linalg.matrix_norm(w0))
                for w, w0 in zip(weights, before, strict=True)
            ]
            np.testing.assert_allclose(result.effective_step[i - 1], ratio, rtol=1e-5)


def test_a_diverged_step_records_no_weights():
    result = train(replace(SHORT, activation="relu", lr=10.0, init_scale=1.0))
    assert result.diverged
    assert len(result.weight_norm) == len(result.steps) == len(result.effective_step) + 1


def _call_order(config) -> list[str]:
    model, order = build_mlp(config), []
    for module in [*model.linears, *model.norms, model.act, model.readout]:
        module.register_forward_hook(lambda m, args, out: order.append(type(m).__name__))
    model.train()
    model(load_digits().x_test[:8])
    return order


def test_after_places_batch_norm_after_the_activation():
    before = replace(SHORT, norm="batch", depth=2)
    after = replace(before, norm_position="after")
    assert _call_order(before) == ["Linear", "BatchNorm1d", "Sigmoid"] * 2 + ["Linear"]
    assert _call_order(after) == ["Linear", "Sigmoid", "BatchNorm1d"] * 2 + ["Linear"]
    model, x = build_mlp(after), load_digits().x_test[:8]
    model.train()
    hidden = x
    for linear, norm in zip(model.linears, model.norms, strict=True):
        hidden = norm(torch.sigmoid(linear(hidden)))
    torch.testing.assert_close(model(x), model.readout(hidden))
    # after the activation nothing subtracts the linear bias: it is kept
    assert not before.has_linear_bias and after.has_linear_bias
    assert model.linears[0].bias is not None


def test_after_records_the_activation_before_its_norm():
    result = train(replace(SHORT, norm="batch", norm_position="after", record_layers=True, depth=1))
    edges = result.layers.activation_edges[-1]
    assert edges[0] >= 0 and edges[-1] <= 1  # sigmoid outputs, not the standardized BN outputs


def test_too_long_runs_are_refused():
    with pytest.raises(ValueError, match="shorten the run"):
        train(replace(SHORT, steps=10**6))


# ---------------------------------------------------------------- norm modules against PyTorch


def _batches(count=4, n=8, c=5, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(n, c, generator=generator) * 3 + 2 for _ in range(count)]


def test_batch_renorm_module_matches_the_functional_one():
    module = BatchRenorm1d(5, r_max=1.5, d_max=0.5)
    with torch.no_grad():
        module.weight.copy_(torch.linspace(0.5, 2, 5))
        module.bias.copy_(torch.linspace(-1, 1, 5))
    running_mean, running_var = np.zeros(5), np.ones(5)
    weight, bias = module.weight.detach().numpy(), module.bias.detach().numpy()
    for x in _batches():
        expected = F.batch_renorm(
            x.numpy().astype(np.float64), running_mean, running_var, weight, bias, True, r_max=1.5, d_max=0.5
        )
        np.testing.assert_allclose(module(x).detach().numpy(), expected, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(module.running_mean.numpy(), running_mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(module.running_var.numpy(), running_var, rtol=1e-5, atol=1e-6)
    module.eval()
    x = _batches(1, seed=1)[0]
    expected = F.batch_renorm(x.numpy(), running_mean, running_var, weight, bias, False)
    np.testing.assert_allclose(module(x).detach().numpy(), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "ours", [lambda: BatchRenorm1d(5, r_max=1.0, d_max=0.0), lambda: BatchCentering(5, stats_in_grad=True)]
)
def test_batch_norm_variants_equal_torch_batch_norm(ours):
    ours, reference = ours(), nn.BatchNorm1d(5)
    for x in _batches():
        x_ours, x_ref = x.clone().requires_grad_(), x.clone().requires_grad_()
        y_ours, y_ref = ours(x_ours), reference(x_ref)
        torch.testing.assert_close(y_ours, y_ref)
        (y_ours * x).sum().backward()
        (y_ref * x).sum().backward()
        torch.testing.assert_close(x_ours.grad, x_ref.grad, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(ours.running_var, reference.running_var)
    ours.eval(), reference.eval()
    torch.testing.assert_close(ours(x), reference(x))


def test_constant_statistics_change_the_gradient_not_the_output():
    x = _batches(1)[0]
    constant, reference = BatchCentering(5, stats_in_grad=False), nn.BatchNorm1d(5)
    x_c, x_r = x.clone().requires_grad_(), x.clone().requires_grad_()
    torch.testing.assert_close(constant(x_c), reference(x_r))
    constant(x_c).sum().backward()
    reference(x_r).sum().backward()
    assert float(x_r.grad.abs().max()) < 1e-5  # the true gradient of a sum of BN outputs is 0
    assert float(x_c.grad.abs().min()) > 0.1


def test_centering_only_subtracts_the_mean():
    x = _batches(1)[0]
    torch.testing.assert_close(BatchCentering(5, scale=False)(x), x - x.mean(0))


@pytest.mark.parametrize("norm", ["layer", "group", "rms"])
def test_per_sample_norms_in_the_model_are_torch_modules(norm):
    config = replace(SHORT, norm=norm, num_groups=5)
    model = build_mlp(config)
    x = load_digits().x_test[:7]
    hidden = model.linears[0](x)
    expected = {
        "layer": lambda h: F.layer_norm(h, (100,)),
        "group": lambda h: F.group_norm(h, 5),
        "rms": lambda h: F.rms_norm(h, (100,)),
    }[norm](hidden.detach().numpy())
    np.testing.assert_allclose(model.norms[0](hidden).detach().numpy(), expected, rtol=1e-4, atol=1e-5)


def test_an_overflowing_loss_ends_the_run_as_diverged():
    result = train(replace(SHORT, activation="relu", lr=10.0, init_scale=1.0))
    assert result.diverged and not result.stopped
    assert result.steps[-1] < 60
