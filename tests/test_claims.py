"""Every catalog sentence that states a figure, a threshold or "exactly/always/never", backed by a computation.

One test per claim, named ``test_<catalog key with dots as underscores>``; each says for which
settings the claim holds. Sections are kept per contributor/branch, each clearly marked.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from normcore import batch_stats as bs
from normcore import functional as F
from normcore.explorer import Population, make_input, pytorch_refusal, run, worked_example
from normcore.teaching import NORMS
from ui.i18n import translate

# ================================================================ core claims (branch coreclaims):
# Explorer refusals, RMS Norm's statistics, Batch Renorm's r_max/d_max, Train vs eval's Batch Renorm
# and momentum conventions.


def english(key: str, **values) -> str:
    return translate(key, "en", **values)


def _single_value_batch(c: int = 4) -> np.ndarray:
    return make_input(1, c, 1, 1, Population(seed=3))  # (1, C, 1, 1): one value per channel


def test_explorer_refused_why_batch():
    # Batch Norm / Batch Renorm at N = 1, 1x1 in training: refused; each set holds one value, so
    # x - mu = 0 and the output would be beta; eval mode (running statistics) runs and depends on x.
    x = _single_value_batch()
    beta = np.array([0.5, -1.0, 2.0, 3.0])
    for norm in ("batch", "batch_renorm"):
        assert pytorch_refusal(x.shape, norm, training=True)
        assert pytorch_refusal(x.shape, norm, training=False) is None
        evaluated = run(x, norm, training=False, running_mean=np.zeros(4), running_var=np.ones(4), beta=beta)
        np.testing.assert_allclose(evaluated.output.ravel(), x.ravel() / np.sqrt(1 + 1e-5) + beta, rtol=1e-6)
    x_hat, _, _ = F.normalize(x.astype(np.float64), axes=(0, 2, 3))  # what training would compute
    np.testing.assert_array_equal(
        x_hat * 1.5 + beta.reshape(1, 4, 1, 1), np.broadcast_to(beta.reshape(1, 4, 1, 1), x.shape)
    )
    text = english("explorer.refused_why.batch", norm="Batch Norm")
    assert "eval mode" in text and "β" in text


def test_explorer_refused_why_group():
    # Group Norm with G = C on 1x1: refused at N = 1 in training *and* eval (no running statistics);
    # N = 2 passes PyTorch's check but every output is beta; G < C or H*W > 1 is accepted.
    c, beta = 4, np.array([0.5, -1.0, 2.0, 3.0])
    x = _single_value_batch(c)
    assert pytorch_refusal(x.shape, "group", c, training=True)
    assert pytorch_refusal(x.shape, "group", c, training=False)
    module = torch.nn.GroupNorm(c, c).eval()
    with pytest.raises(ValueError, match="Expected more than 1 value"):
        module(torch.from_numpy(x))  # PyTorch refuses in eval mode too
    two = make_input(2, c, 1, 1, Population(seed=3))
    assert pytorch_refusal(two.shape, "group", c) is None
    np.testing.assert_allclose(
        run(two, "group", num_groups=c, beta=beta).output, np.broadcast_to(beta.reshape(1, c, 1), (2, c, 1))
    )
    assert pytorch_refusal(x.shape, "group", 2) is None and pytorch_refusal((1, c, 2, 1), "group", c) is None
    text = english("explorer.refused_why.group", c=c)
    assert "does not help" in text and "G = C = 4" in text


def test_explorer_refused_why_instance():
    # Instance Norm at 1x1: refused whatever the mode; any H*W > 1 is accepted, and layer and batch
    # norm take the fully connected case (N > 1, C, 1, 1).
    for training in (True, False):
        assert pytorch_refusal((3, 4, 1, 1), "instance", training=training)
        with pytest.raises(ValueError, match="Expected more than 1 spatial element"):
            torch.nn.InstanceNorm2d(4).train(training)(torch.zeros(3, 4, 1, 1))
    assert pytorch_refusal((3, 4, 2, 1), "instance") is None
    assert pytorch_refusal((3, 4, 1, 1), "layer") is None and pytorch_refusal((3, 4, 1, 1), "batch") is None


def test_explorer_refusal_advice_depends_on_the_norm():
    # Every norm PyTorch refuses on some input gets advice that offers eval mode only where eval mode runs.
    from ui.explorer_views import refusal_advice

    shape = (1, 4, 1, 1)
    refused = {norm for norm in NORMS if pytorch_refusal(shape, norm, num_groups=4, training=True)}
    assert refused == {"batch", "batch_renorm", "group", "instance"}
    for norm in refused:
        advice = refusal_advice(norm, shape, english)
        eval_runs = pytorch_refusal(shape, norm, num_groups=4, training=False) is None
        offers_eval = "switch to eval mode" in advice
        assert offers_eval == eval_runs, (norm, advice)
    assert "Batch Renorm" in refusal_advice("batch_renorm", shape, english)


def test_explorer_worked_renorm():
    # "r_max = 1 and d_max = 0 give plain Batch Norm" (worked example, fresh buffers 0 and 1).
    table = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    np.testing.assert_allclose(worked_example(table, "batch_renorm", r_max=1.0, d_max=0.0)["y"],
                               worked_example(table, "batch")["y"], rtol=1e-12)  # fmt: skip
    assert not np.allclose(worked_example(table, "batch_renorm")["y"], worked_example(table, "batch")["y"])


def test_explorer_stats_help():
    # Training: biased variance; eval: the running variance, which averages the *unbiased* batch
    # variances (momentum 1: it is the last batch's unbiased variance); RMS Norm: sqrt(mean(x^2) + eps).
    x = make_input(5, 3, 2, 2, Population(seed=4)).astype(np.float64)
    used = run(x, "batch")
    np.testing.assert_allclose(used.var, x.var(axis=(0, 2, 3)), rtol=1e-12)
    mean, var = np.zeros(3), np.ones(3)
    F.batch_norm(x, mean, var, training=True, momentum=1.0)
    np.testing.assert_allclose(var, x.var(axis=(0, 2, 3), ddof=1), rtol=1e-12)
    tmean, tvar = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    torch.nn.functional.batch_norm(torch.from_numpy(x), tmean, tvar, training=True, momentum=1.0)
    np.testing.assert_allclose(var, tvar.numpy(), rtol=1e-12)
    rms = run(x, "rms")
    flat = torch.from_numpy(x.reshape(5, -1))
    np.testing.assert_allclose(flat.numpy() / np.sqrt(rms.var + 1e-5)[:, None],
                               torch.nn.functional.rms_norm(flat, (12,), eps=1e-5).numpy(), rtol=1e-12)  # fmt: skip


# ---- Train vs eval (pages/3_Train_vs_eval.py) at the page's defaults: seed 0, feature 0, m = 0.1,
# 200 steps, B = 16 (running statistics), Batch Renorm demo B = 4, r_max = 3, d_max = 5.

TVE = dict(seed=0, channel=0, momentum=0.1, steps=200, b=16, rb=4, r_max=3.0, d_max=5.0)


def test_tve_conventions_text():
    # PyTorch's update is Batch Renorm's mu := mu + alpha (mu_B - mu) with alpha = m, and Keras's
    # moving * decay + batch * (1 - decay) with decay = 1 - m; PyTorch's default m is 0.1;
    # Keras's default momentum 0.99 (keras/src/layers/normalization/batch_normalization.py) is m = 0.01.
    assert torch.nn.BatchNorm1d(3).momentum == 0.1
    assert bs.decay_from_momentum(0.01) == 0.99 and bs.decay_from_momentum(0.1) == 0.9
    pop = bs.population(TVE["seed"])
    stats = bs.running_stats(pop, (0.01, 0.1, 0.5), TVE["b"], TVE["steps"], TVE["channel"], TVE["seed"])
    assert max(bs.conventions(stats)["max_difference"]) < 1e-12
    j = stats.momenta.index(0.1)
    renorm_form = stats.mean[j, :-1] + 0.1 * (stats.batch_mean - stats.mean[j, :-1])
    np.testing.assert_allclose(stats.mean[j, 1:], renorm_form, rtol=1e-12, atol=1e-15)


def test_tve_keras_var_text():
    # PyTorch stores the unbiased batch variance (torch's own buffer), Keras the biased one.
    pop = bs.population(TVE["seed"])
    stats = bs.running_stats(pop, (0.1,), TVE["b"], TVE["steps"], TVE["channel"], TVE["seed"])
    batches = bs.draw_batches(pop[:, :1], TVE["b"], TVE["steps"], TVE["seed"])
    layer = torch.nn.BatchNorm1d(1, momentum=0.1, dtype=torch.float64)
    keras = 1.0
    for batch in batches:
        layer(torch.from_numpy(batch))
        keras = keras * 0.9 + batch.var() * 0.1  # ops.moments: divide by B
    result = bs.variance_conventions(stats, 0.1, TVE["b"])
    assert result["pytorch"] == pytest.approx(float(layer.running_var[0]), rel=1e-12)
    assert result["keras"] == pytest.approx(keras, rel=1e-12) and result["keras"] < result["pytorch"]


def test_tve_keras_ratio_help():
    # keras = (B - 1)/B * pytorch + (1 - m)^steps / B, exactly, for every B and m.
    pop = bs.population(TVE["seed"])
    for b, m, steps in [(TVE["b"], 0.1, TVE["steps"]), (2, 0.5, 50), (4, 0.01, 30)]:
        stats = bs.running_stats(pop, (m,), b, steps, TVE["channel"], TVE["seed"])
        r = bs.variance_conventions(stats, m, b)
        assert r["bias_factor"] == (b - 1) / b and r["initial_left"] == pytest.approx((1 - m) ** steps / b)
        assert r["keras"] == pytest.approx(r["bias_factor"] * r["pytorch"] + r["initial_left"], rel=1e-12)


def _renorm_runs():
    pop = bs.population(TVE["seed"])
    return {
        kind: bs.renorm_training(
            pop,
            TVE["rb"],
            TVE["steps"],
            TVE["momentum"],
            TVE["r_max"],
            TVE["d_max"],
            kind,
            TVE["channel"],
            TVE["seed"],
        )  # fmt: skip
        for kind in bs.BATCH_KINDS
    }


def test_tve_renorm_text():
    # (x - mu_B)/sigma_B * r + d = (x - mu)/sigma exactly while r and d are inside their limits; and with
    # small (B = 4) or one-cluster batches Batch Norm's training output is far from its eval output.
    for kind, demo in _renorm_runs().items():
        inside = ~demo.clipped
        assert inside.sum() > 10, kind
        assert demo.gap_batch_renorm[inside].max() < 1e-12, kind
        summary = bs.renorm_summary(demo)
        assert summary["gap_batch"] > 0.4 and summary["gap_batch_renorm"] < summary["gap_batch"] / 4, kind


def test_tve_clipped_help():
    # "Only in those steps does Batch Renorm's training output differ from its eval output."
    for kind, demo in _renorm_runs().items():
        assert ((demo.gap_batch_renorm > 1e-9) == demo.clipped).all(), kind


def test_tve_sigma_note():
    # The paper's running sigma (Algorithm 1: sigma := sigma + alpha (sigma_B - sigma), sigma_B biased with
    # eps inside) differs from this app's sqrt(running variance + eps).
    pop = bs.population(TVE["seed"])
    demo = _renorm_runs()["random"]
    batches = bs.draw_batches(pop, TVE["rb"], TVE["steps"], TVE["seed"] + 1)[:, :, TVE["channel"]]
    sigma = np.sqrt(1 + 1e-5)
    for batch in batches:
        sigma += 0.1 * (np.sqrt(batch.var() + 1e-5) - sigma)
    summary = bs.renorm_summary(demo)
    assert summary["paper_std"] == pytest.approx(sigma, rel=1e-12)
    mean, var = np.zeros(bs.CHANNELS), np.ones(bs.CHANNELS)
    for batch in bs.draw_batches(pop, TVE["rb"], TVE["steps"], TVE["seed"] + 1):
        F.batch_norm(batch, mean, var, training=True, momentum=0.1)
    assert summary["running_std"] == pytest.approx(np.sqrt(var[TVE["channel"]] + 1e-5), rel=1e-12)
    assert abs(summary["paper_std"] - summary["running_std"]) > 0.05


def test_tve_renorm_caption():
    # In eval mode Batch Renorm is Batch Norm's eval mode (torch's BatchNorm1d.eval()), shifted data or not.
    rng = np.random.default_rng(5)
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    layer = torch.nn.BatchNorm1d(3, affine=False, dtype=torch.float64).eval()
    layer.running_mean.copy_(torch.from_numpy(mean))
    layer.running_var.copy_(torch.from_numpy(var))
    for shift in (0.0, 3.0):
        x = rng.standard_normal((8, 3)) + shift
        renorm = F.batch_renorm(x, mean.copy(), var.copy(), training=False, r_max=3.0, d_max=5.0)
        np.testing.assert_array_equal(renorm, F.batch_norm(x, mean, var, training=False))
        np.testing.assert_allclose(renorm, layer(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)


def test_tve_kind_help():
    # One cluster: 8 equal slices of the population sorted by the followed feature, one slice per batch.
    pop = bs.population(TVE["seed"])
    assert len(pop) % 8 == 0
    batches = bs.clustered_batches(pop, TVE["rb"], 100, TVE["channel"])
    order = np.argsort(pop[:, TVE["channel"]], kind="stable")
    rank = np.empty(len(pop), int)
    rank[order] = np.arange(len(pop))
    rows = np.array(
        [[int(np.flatnonzero((pop == row).all(axis=1))[0]) for row in batch] for batch in batches]
    )
    slices = rank[rows] // (len(pop) // 8)
    assert (slices == slices[:, :1]).all()


def test_tve_r_max_help_and_d_max_help():
    # "Default 3 / 5, the paper's final values" (Ioffe 2017, Section 4: r_max relaxed to 3, d_max to 5).
    source = open("pages/3_Train_vs_eval.py", encoding="utf-8").read()
    assert 't("tve.r_max"), 1.0, 5.0, 3.0' in source and 't("tve.d_max"), 0.0, 5.0, 5.0' in source
