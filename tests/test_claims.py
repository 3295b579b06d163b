"""Every catalog sentence that states a figure, a threshold or "exactly/always/never", backed by a computation.

One test per claim, named ``test_<catalog key with dots as underscores>``; each says for which
settings the claim holds. Sections are kept per contributor/branch, each clearly marked.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

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
