"""Every sentence in the catalogs that states a figure, a threshold, a count, "exactly", "always",
"never", "orders of magnitude" or a comparison is backed here (docs/claims.md).

A catalog key is backed in one of three ways:

- a test ``test_<key with dots as underscores>`` that computes the claim with the page's
  settings and asserts it;
- ``COMPUTED_AT_RUNTIME``: the sentence takes its figures from the computation (placeholders
  the page formats); a test checks both catalogs keep the placeholders, and any digit left
  outside them is backed by a test or by ``REVIEWED``;
- ``REVIEWED``: a digit or word that is not a claim the app can compute (a label, a citation, a
  formula's notation), each with a one-line reason.

``test_every_risky_sentence_is_backed`` scans en.py and fails for a key that is none of these.
"""

from __future__ import annotations

import ast
import inspect
import re
import string
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from normcore import batch_stats as bs
from normcore import functional as F
from normcore import images as I
from normcore import lab, saturation
from normcore import weights as W
from normcore.backward import batch_coupling, explain_backward
from normcore.backward_view import UPSTREAMS, backward_basis, summarize_gradients, upstream_gradient
from normcore.data import MAX_ELEMENTS
from normcore.experiments import gn_batch
from normcore.explorer import (
    WARMUP_BATCH,
    WARMUP_ELEMENTS,
    Population,
    batch_moments,
    make_input,
    pytorch_refusal,
    run,
    running_statistics,
    stuck_share,
    worked_example,
)
from normcore.teaching import NORMS
from normcore.training import TrainConfig, _batches, build_mlp, load_digits, train
from normcore.uploads import MAX_CHANNELS, MAX_UPLOAD_BYTES
from ui import overview, tour
from ui.i18n import translate
from ui.locales.en import STRINGS as EN
from ui.locales.ko import STRINGS as KO

ROOT = Path(__file__).resolve().parent.parent
RISKY = re.compile(r"\d|\bexactly\b|\balways\b|\bnever\b|orders? of magnitude|%|×", re.IGNORECASE)


def page_constant(page: str, name: str):
    """A module-level constant of a page script, read without running Streamlit."""
    tree = ast.parse((ROOT / "pages" / page).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise KeyError(name)


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


# ================================================================ prose (issue 12)

# key -> the placeholders that carry its figures (the page formats them from the computation)
COMPUTED_AT_RUNTIME = {
    "home.sat.before": {"share"},
    "home.sat.after": {"share"},
    "home.sat.caption": {"share", "low", "high", "edge"},
    "explorer.stuck.sigmoid": {"share"},
    "explorer.stuck.tanh": {"share"},
    "explorer.stuck_help": {"share"},
    "lab.act_help": {"share", "sigmoid", "tanh"},
    "lab.about.inside": {"share"},
    "lab.fig1_measured": {"final", "reach", "steps", "none_first", "none_last", "bn_first", "bn_last"},
    "lab.inside_measured": {"first", "last", "none_first", "bn_first", "none_last", "bn_last"},
    "lab.pct_title": {"act"},
    "lab.y_sigmoid_input": {"act"},
    "lab.bias_caption": {"diff"},
    "weights.output_caption": {"low", "high"},
    "weights.spectrum_title": {"largest"},
    "weights.ws_check": {"mean", "low", "high"},
    "weights.sn_check": {"steps", "estimate", "exact", "error"},
    "weights.stretch_check": {"before", "after", "bound"},
    "images.groups_meet": {"groups", "layer", "instance", "channels"},
    "images.in_difference": {"difference"},
    "explorer.stats_gap": {"mean", "low", "high"},
    "explorer.recovered": {"error"},
    "small.moments_title": {"k", "b"},
    "small.bands_text": {"n"},
    "small.groups_help": {"features"},
    "small.bands_groups": {"g", "features", "per", "default", "pairs", "share", "tol", "sweep", "width"},
    "tve.same_text": {"b", "steps"},
    "tve.variance_text": {"b"},
    "tve.ratio_help": {"b"},
    "tve.forgot_text": {"n"},
    "explorer.capped": {"asked", "c", "hw", "cap", "used"},
    "explorer.follow_beyond": {"asked", "n", "used"},
}

LABEL = "a label, name, paper citation (year, figure, section) or index, not a computed claim"
NOTATION = "a formula, shape or unit written out (×, N(0, 1), 0-based counting), not a measured claim"
URL = "what the link keeps (every control is bound to it); test_home_tour.py reopens pages from their links"
SEEDED = "seeded draws are deterministic: test_training.py::test_same_seed_same_run reruns a seed"
ADVICE = (
    "advice citing a paper's setting (Wu & He 2018; Ioffe & Szegedy 2015), not a figure this app computes"
)
PAPER = "what a cited paper reports, quoted and checked against its text (docs/claims.md), not a figure this app computes"

REVIEWED = {
    "backward.up_help": NOTATION,
    "backward.up.zero": LABEL,
    "backward.up_caption.zero": NOTATION,
    "backward.up_caption.random": NOTATION,
    "backward.header_help": NOTATION,
    "backward.naive_help": LABEL,
    "backward.example_help": NOTATION,
    "backward.factor_help": NOTATION,
    "backward.scale_header": LABEL,
    "backward.scale_help_control": NOTATION,
    "backward.metric.output": NOTATION,
    "backward.metric.output_help": "what §3.3 states; the metric shows the measured value (test_backward_scale_note)",
    "backward.metric.grad_input": NOTATION,
    "backward.metric.grad_input_help": "what §3.3 states; the metric shows the measured value (test_backward_scale_note)",
    "backward.metric.grad_weight_help": "what §3.3 states; the metric shows the measured value (test_backward_scale_note)",
    "backward.curve.y": NOTATION,
    "common.standard_normal": NOTATION,
    "chrome.copy_link_help": URL,
    "home.sat.slope": "the slope curve is drawn ×4 to share the sigmoid's axis: a plotting scale",
    "home.story.landscape.text": PAPER,
    "home.norm.gn.use": ADVICE,
    "home.blocks.activations.x": NOTATION,
    "home.blocks.weights.x": NOTATION,
    "home.norm.rms.use": LABEL,
    "home.guide.large_batch_cnn": ADVICE,
    "home.guide.tiny_batch": ADVICE,
    "home.guide.bn_free.why": PAPER,
    "lab.drop_help": PAPER,  # BN paper §3.4: "it can be either removed or reduced in strength"
    "lab.about.dropout": PAPER,
    "home.map.explorer": "'exactly' describes the Explorer's PyTorch-matched numbers, tested in test_explorer_core",
    "home.map.training_lab": LABEL,
    "explorer.source_help": NOTATION,
    "explorer.dist.heavy": NOTATION,
    "explorer.offset_help": NOTATION,
    "explorer.spread_help": NOTATION,
    "explorer.seed_help": SEEDED,
    "explorer.size_help": NOTATION,
    "explorer.follow_inputs_help": NOTATION,
    "explorer.fn_help": NOTATION,
    "explorer.fc_help": NOTATION,
    "explorer.fp_help": NOTATION,
    "explorer.batch_one_space": "batch norm acts like instance norm at N = 1: test_small_one_image",
    "explorer.hist_caption": NOTATION,
    "explorer.block_title": NOTATION,
    "explorer.stuck.relu": NOTATION,
    "explorer.stuck_delta": NOTATION,  # the reference setting γ = 1, β = 0 written out
    "explorer.act_help": NOTATION,
    "explorer.capped": NOTATION,
    "explorer.follow_beyond": NOTATION,  # "0": the first sample's index
    "explorer.worked_help": NOTATION,
    "explorer.worked_groups": NOTATION,
    "explorer.follow_caption": "rounding to 4 significant digits is the page's format string",
    "small.bands_title": "200 is the page's BAND_BATCHES, asserted in test_small_bands_text",
    "small.expected_var": NOTATION,
    "small.metric_var_theory": NOTATION,
    "small.var_mean_title": NOTATION,
    "small.one_image_differs": NOTATION,
    "small.gn_header": LABEL,
    "small.gn_title": LABEL,
    "small.gn_y": NOTATION,
    "tve.intro": LABEL,
    "tve.b_help": "the slider's minimum is 2 (pages/3_Train_vs_eval.py); B = 1 is refused in training: test_small_one_text",
    "tve.ratio": NOTATION,
    "tve.unbiased_help": NOTATION,
    "lab.view.fig1": LABEL,
    "lab.scale_caption": NOTATION,
    "lab.equilibrium": NOTATION,
    "lab.view.sec2": LABEL,
    "lab.seed_help": SEEDED,
    "lab.bias_norm_title": NOTATION,
    "images.seed_help": SEEDED,
    "images.refused.too_many_pixels": "1000 pixels on the long side is advice; the limits are placeholders",
    "images.stage.conv": "12 channels: tested in test_images_conv_intro",
    "images.stage.norm": LABEL,
    "images.stage.relu": LABEL,
    "images.in_intro": "0.5 + 0.2 × value is normcore.images.DISPLAY_STD, a display mapping",
    "images.brightness_help": NOTATION,
    "images.adain_features_title": "12 channels: tested in test_images_conv_intro",
    "weights.ws_title": "27 = 3 × 3 × 3 weights per output channel: tested in test_weights_ws_intro",
    "weights.drift_help": NOTATION,
    "tour.bad_step": NOTATION,
    "tour.bad_on_page": NOTATION,
    # keys another branch rewrites; it adds their tests to its section below
    "tve.momentum_help": "PyTorch's default momentum 0.1 is tested in test_explorer_momentum_help",
    "tve.col_decay": "decay = 1 − m: test_tve_conventions_text",
}


@pytest.mark.parametrize("key", sorted(COMPUTED_AT_RUNTIME))
def test_runtime_figures_keep_their_placeholders(key):
    for catalog in (EN, KO):
        assert COMPUTED_AT_RUNTIME[key] <= placeholders(catalog[key]), key


# ---- home


def test_home_sat_caption():
    """4096 inputs around 3 with spread 2.5; the saturation bounds follow from the 10% slope share."""
    defaults = inspect.signature(overview.sigmoid_inputs).parameters
    assert (defaults["samples"].default, defaults["mean"].default, defaults["std"].default) == (
        4096,
        3.0,
        2.5,
    )
    low, high = saturation.sigmoid_bounds()
    for edge_output in (low, high):
        assert edge_output * (1 - edge_output) / 0.25 == pytest.approx(saturation.SLOPE_SHARE)
    assert torch.sigmoid(torch.tensor(saturation.sigmoid_edge())).item() == pytest.approx(high)
    assert 1 - np.tanh(saturation.tanh_edge()) ** 2 == pytest.approx(saturation.SLOPE_SHARE)
    raw, normalized = overview.sigmoid_inputs()
    assert overview.saturated_share(raw) > 0.1 > overview.saturated_share(normalized)


def test_home_intro():
    """Three shipped results: the Group Norm sweep (recomputable), the lab's default runs (retrained in
    tests/test_lab_defaults.py) and the forgot-eval demo's network (retrained in tests/test_forgot_model.py);
    nothing else the app loads is precomputed."""
    shipped = {
        p.name for p in (ROOT / "normcore" / "experiments").iterdir() if p.suffix in (".json", ".gz", ".npz")
    }
    assert shipped == {"gn_batch.json", "lab_defaults.json.gz", "forgot_model.json.gz"}
    assert "gn_recompute" in (ROOT / "pages" / "2_Small_batches.py").read_text()
    assert "lab_defaults" in (ROOT / "ui" / "warm.py").read_text()
    assert "forgot_model.load" in (ROOT / "normcore" / "forgot_eval.py").read_text()


def test_home_story_shift_text():
    """After batch norm with γ, β each channel's batch mean is β and its variance γ² up to ε."""
    x = np.random.default_rng(0).normal(5, 3, (64, 4)).astype(np.float64)
    gamma, beta = np.array([0.5, 1.0, 2.0, 3.0]), np.array([-1.0, 0.0, 1.0, 2.0])
    y = F.batch_norm(x, None, None, gamma, beta, training=True)
    np.testing.assert_allclose(y.mean(0), beta, atol=1e-9)
    np.testing.assert_allclose(y.var(0), gamma**2, rtol=1e-5)


def test_home_compare_text():
    """Four norms share (x − μ)/√(σ² + ε); RMS norm divides by √(mean(x²) + ε); Batch Renorm is BN·r + d."""
    assert overview.BLOCK_SHAPE == (4, 6, 4)
    x = np.random.default_rng(1).normal(1, 2, (4, 6, 2, 2))
    expected = x / np.sqrt((x**2).mean(axis=(1, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(F.rms_norm(x, (6, 2, 2), eps=1e-5), expected, rtol=1e-6)
    running_mean, running_var = np.full(6, 0.5), np.full(6, 2.0)
    r, d = F.renorm_corrections(
        x, running_mean.copy(), running_var.copy(), r_max=100.0, d_max=100.0, eps=1e-5
    )
    renorm = F.batch_renorm(
        x, running_mean.copy(), running_var.copy(), training=True, r_max=100.0, d_max=100.0
    )
    bn = F.batch_norm(x, None, None, training=True)
    np.testing.assert_allclose(
        renorm, bn * r.reshape(1, -1, 1, 1) + d.reshape(1, -1, 1, 1), rtol=1e-6, atol=1e-9
    )


def test_home_blocks_caption():
    assert overview.BLOCK_SHAPE[1] == overview.BLOCK_GROUPS * 2  # 3 groups of 2 channels
    # "neighbouring sets never share a shade": every grid as the home page draws it (more in test_home_tour)
    from figures.home import norm_blocks
    from tests.set_grids import heatmap_fills, neighbour_pairs

    fig = norm_blocks(
        [("", overview.membership(n), "", "") for n in overview.COMPARED], title="", set_label=""
    )
    for heatmap in (trace for trace in fig.data if trace.type == "heatmap"):
        grid, fills = np.array(heatmap.customdata, dtype=float), heatmap_fills(heatmap)
        assert all(
            fills[a] != fills[b]
            for a, b in neighbour_pairs(grid)
            if grid[a] != grid[b] and fills[a] and fills[b]
        )


# ---- explorer


def test_explorer_upload_help():
    assert MAX_UPLOAD_BYTES == 5 * 1024 * 1024
    assert MAX_ELEMENTS == 2_000_000
    assert MAX_CHANNELS == 256


def test_images_upload_help():
    assert I.MAX_UPLOAD_BYTES == 5 * 1024 * 1024
    assert I.IMAGE_SIZE == 112


def test_explorer_batch_help():
    assert MAX_ELEMENTS == 2_000_000


def test_explorer_warmup_help():
    assert (WARMUP_BATCH, WARMUP_ELEMENTS) == (32, 262_144)
    bn = torch.nn.BatchNorm1d(3)
    assert bn.running_mean.tolist() == [0, 0, 0] and bn.running_var.tolist() == [1, 1, 1]


def test_explorer_momentum_help():
    """running = (1 − m)·running + m·batch, with PyTorch's unbiased batch variance; default m = 0.1."""
    x = np.random.default_rng(2).normal(3, 2, (8, 3))
    mean, var = np.zeros(3), np.ones(3)
    F.batch_norm(x, mean, var, training=True, momentum=0.3)
    bn = torch.nn.BatchNorm1d(3, momentum=0.3, affine=False, dtype=torch.float64)
    bn(torch.from_numpy(x))
    np.testing.assert_allclose(mean, bn.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(var, bn.running_var.numpy(), rtol=1e-12)
    np.testing.assert_allclose(mean, 0.3 * x.mean(0), rtol=1e-12)
    assert torch.nn.BatchNorm1d(1).momentum == 0.1


def _renorm_equals_bn():
    x = np.random.default_rng(3).normal(2, 3, (16, 4, 3, 3))
    running = np.zeros(4), np.ones(4)
    renorm = F.batch_renorm(x, *(r.copy() for r in running), training=True, r_max=1.0, d_max=0.0)
    np.testing.assert_allclose(renorm, F.batch_norm(x, None, None, training=True), rtol=1e-12, atol=1e-12)


def test_explorer_rmax_help():
    _renorm_equals_bn()


def test_small_r_max_help():
    _renorm_equals_bn()


def _groups_meet(channels: int):
    x = np.random.default_rng(4).normal(1, 2, (3, channels, 4, 4))
    np.testing.assert_allclose(F.group_norm(x, 1), F.layer_norm(x, x.shape[1:]), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(F.group_norm(x, channels), F.instance_norm(x), rtol=1e-6, atol=1e-9)


def test_explorer_groups_help():
    _groups_meet(6)


def test_images_groups_help():
    _groups_meet(12)


def test_small_groups_help():
    """G = 1 is layer norm."""
    _groups_meet(bs.CHANNELS)


def test_small_bands_groups():
    """At G = C/2 (two features a group) group norm gives about ±1 whatever the values, as batch norm does at
    B = 2 (checked against PyTorch); the default G leaves more than two a group. The training figure's G and
    width are the shipped sweep's. Wu & He (2018) train their GN models with G = 32 groups (§4.1, "Group
    division"; Table 3 varies it), and in a conv layer a group holds (C/G)·H·W values."""
    groups = page_constant("2_Small_batches.py", "GROUPS")
    assert bs.CHANNELS % groups == 0 and bs.CHANNELS // groups > 2
    pair = torch.tensor([[3.0, 3.5]], dtype=torch.float64)
    as_group = nn.functional.group_norm(pair, 1)  # one group of two features
    as_batch = nn.functional.batch_norm(pair.T, None, None, training=True)  # a batch of two
    np.testing.assert_allclose(as_group.abs().numpy(), 1, atol=1e-4)
    np.testing.assert_allclose(as_group.numpy().ravel(), as_batch.numpy().ravel(), rtol=1e-12)
    pop = bs.population(0)
    near = np.abs(np.abs(F.group_norm(pop[:, :, None], bs.CHANNELS // 2)) - 1) < 0.01
    assert near.mean() > 0.95  # what the page formats as {share} at seed 0
    assert page_constant("2_Small_batches.py", "NEAR_ONE") == 0.01
    shipped = gn_batch.load()["protocol"]
    assert (shipped["num_groups"], shipped["width"]) == (
        gn_batch.Protocol().num_groups,
        gn_batch.Protocol().width,
    )
    assert "G = 32" in EN["small.bands_groups"] and "G = 32" in KO["small.bands_groups"]


def test_tour_alternatives_text():
    """Layer, instance and group norm of one sample do not depend on its batch-mates, even at N = 2."""
    x = np.random.default_rng(5).normal(0, 1, (2, 4, 3, 3))
    alone = x[:1]
    for norm in (lambda v: F.layer_norm(v, v.shape[1:]), F.instance_norm, lambda v: F.group_norm(v, 2)):
        np.testing.assert_allclose(norm(x)[:1], norm(alone), rtol=1e-12)
    _groups_meet(4)


def test_explorer_multiples_help():
    from normcore.explorer import summarize

    assert inspect.signature(summarize).parameters["multiples"].default == 8


def test_explorer_eval_same():
    """Norms without running statistics compute exactly the same in both modes (no mode argument at all)."""
    for norm in (F.layer_norm, F.group_norm, F.rms_norm):
        assert "training" not in inspect.signature(norm).parameters
    x = np.random.default_rng(6).normal(size=(4, 3, 2, 2))
    np.testing.assert_array_equal(F.instance_norm(x), F.instance_norm(x, use_input_stats=True))


def _recovers():
    x = np.random.default_rng(7).normal(4, 3, (32, 5)).astype(np.float32)
    mean, var = x.mean(0, dtype=np.float64), x.var(0, dtype=np.float64)
    y = F.batch_norm(
        x, None, None, np.sqrt(var + 1e-5).astype(np.float32), mean.astype(np.float32), training=True
    )
    np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-5)  # float32 rounding


@pytest.mark.parametrize("norm", ["batch", "batch_renorm"])
@pytest.mark.parametrize("training", [True, False])
def test_explorer_recover_help(norm, training):
    """The Explorer's recovering γ/β (r and d folded in for Batch Renorm) give back this batch's input, up to
    float32 rounding, in both modes."""
    from normcore.explorer import recovering_affine, with_affine

    x = make_input(16, 4, 4, 4, Population(offset=3, spread=1, seed=2))
    mean, var = running_statistics([batch_moments(make_input(32, 4, 4, 4, Population(offset=3, spread=1, seed=2), b))
                                    for b in (1, 2)], 4)  # fmt: skip
    explained = run(x, norm, training=training, running_mean=mean, running_var=var)
    y = with_affine(explained, *recovering_affine(explained)).output.reshape(x.shape)
    np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-5 * np.abs(x).max())
    _recovers()


def test_tour_affine_text():
    """γ = 2.5, β = 1.5 push part of the sigmoid's inputs past the saturation edge; γ = √(σ²+ε), β = μ undo BN."""
    x_hat = F.batch_norm(np.random.default_rng(8).normal(size=(4096, 1)), None, None, training=True)
    assert stuck_share(x_hat, "sigmoid") < 0.01 < 0.1 < stuck_share(2.5 * x_hat + 1.5, "sigmoid")
    _recovers()


def test_explorer_recovered():
    _recovers()


def test_explorer_stuck_help():
    """The change is against γ = 1, β = 0: the share on x̂ itself; ReLU passes no gradient at inputs ≤ 0."""
    from normcore.explorer import Population, make_input, run, summarize

    x = make_input(32, 4, 2, 2, Population())
    explained = run(x, "batch", gamma=np.full(4, 3.0, np.float32), beta=np.full(4, 2.0, np.float32))
    summary = summarize(x, explained, activation="sigmoid")
    x_hat = F.batch_norm(x.astype(np.float64), None, None, training=True)
    assert summary.stuck_plain == pytest.approx(stuck_share(x_hat, "sigmoid"), abs=1 / x.size)
    assert summary.stuck == pytest.approx(stuck_share(3 * x_hat + 2, "sigmoid"), abs=1 / x.size)
    assert summary.stuck > summary.stuck_plain
    _relu_passes_no_gradient_at_or_below_zero()


def _relu_passes_no_gradient_at_or_below_zero():
    v = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    torch.relu(v).sum().backward()
    assert v.grad.tolist() == [0.0, 0.0, 1.0]


def test_lab_act_help():
    _relu_passes_no_gradient_at_or_below_zero()


def test_lab_pct_title():
    from normcore.training import PERCENTILES

    assert PERCENTILES == (15, 50, 85)


def test_lab_fig1_measured():
    test_lab_pct_title()
    fake = {"percentiles": [[9.0] * 3, [0.0, 0.1, 0.2], [-2.04, -1.05, 0.62]], "steps": [0, 50, 100]}
    drift = lab.percentile_drift(type("R", (), {**fake, "config": lab.FIGURE1})())
    assert drift["start"] == 50 and drift["first"] == [0.0, 0.1, 0.2]  # step 0 is skipped
    assert drift["min_slope"] == pytest.approx(0.407, abs=1e-3)  # the measurement at the defaults


def test_images_groups_meet():
    _groups_meet(12)


def test_tve_ratio_help():
    test_tve_variance_text()


def test_explorer_block_help():
    """The H·W values of one (sample, channel) always share a set, for every activation norm shown."""
    from normcore.teaching import set_index

    shape = (3, 4, 5)  # (N, C, L)
    for norm, groups in [("batch", 1), ("layer", 1), ("instance", 1), ("group", 2), ("rms", 1)]:
        index = np.broadcast_to(set_index(shape, norm, num_groups=groups), shape)
        assert np.all(index == index[..., :1]), norm
    # "neighbouring sets never share a shade": the block as drawn, at the page's default N, C, G (16, 8, 2)
    from figures.explorer import set_block
    from tests.set_grids import block_fills, neighbour_pairs

    labels = dict.fromkeys(("same", "other", "followed", "x", "y", "hover"), "")
    for norm in ("batch", "layer", "instance", "group", "rms", "batch_renorm"):
        grid = np.broadcast_to(set_index((16, 8, 1), norm, num_groups=2), (16, 8, 1))[..., 0]
        fills = block_fills(set_block(grid, int(grid[0, 0]), (0, 0), title="", labels=labels), grid.shape)
        assert all(
            fills[a] != fills[b] for a, b in neighbour_pairs(grid.astype(float)) if grid[a] != grid[b]
        ), norm


def test_explorer_per_channel_dropped():
    from ui.explorer_controls import PER_CHANNEL_LIMIT

    assert PER_CHANNEL_LIMIT == 1000


def test_explorer_worked_dropped():
    from ui.explorer_views import TABLE_LIMITS

    assert TABLE_LIMITS[:2] == (16, 8)


def test_explorer_dist_outliers():
    from normcore.explorer import OUTLIER_SHARE

    assert OUTLIER_SHARE == 0.01


# ---- small batches


def test_small_intro():
    assert bs.population().shape == (4096, 8)


def test_small_channel_help():
    assert bs.CHANNELS == 8


def test_tve_channel_help():
    assert bs.CHANNELS == 8


def test_small_example_help():
    assert bs.POPULATION_SIZE == 4096
    assert page_constant("2_Small_batches.py", "BAND_BATCHES") == 200


def test_small_bands_text():
    """5th to 95th percentile band, B − 1 companions, 200 batches."""
    assert page_constant("2_Small_batches.py", "BAND_BATCHES") == 200
    summary = bs.band_summary(np.arange(101.0)[None, :])
    assert (summary["low"][0], summary["high"][0]) == (5.0, 95.0)


def test_small_moments_text():
    """Batch means scatter with σ/√B; the biased batch variance averages (B − 1)/B · σ²."""
    pop = bs.population()
    batches = bs.draw_batches(pop, 4, 20_000, seed=0)[..., 0]  # (K, B)
    mean, var = pop[:, 0].mean(), pop[:, 0].var()
    theory = bs.moment_theory(mean, var, 4)
    assert batches.mean(1).std() == pytest.approx(np.sqrt(var / 4), rel=0.03) == theory["mean_sd"]
    assert batches.var(1).mean() == pytest.approx(3 / 4 * var, rel=0.03)
    assert theory["var"] == pytest.approx(3 / 4 * var)


def test_small_metric_var_theory_help():
    assert bs.moment_theory(0.0, 2.0, 1)["var"] == 0


def test_small_bands_caption():
    """At B = 2: ±d/√(d² + 4ε); within 0.001 of ±1 once d > 0.142 (ε = 1e-5; the exact bound is 0.1413). GN/LN flat; renorm flat unclipped."""
    eps = 1e-5
    for gap in (0.01, 0.1, 0.2, 3.0):
        pair = np.array([[0.0], [gap]])
        value = F.batch_norm(pair, None, None, training=True, eps=eps)[1, 0]
        assert value == pytest.approx(gap / np.sqrt(gap**2 + 4 * eps), rel=1e-12)
    threshold = np.sqrt(4 * eps * 0.999**2 / (1 - 0.999**2))
    assert 0.14 < threshold < 0.142
    pop = bs.population(0)
    bands = bs.example_bands(
        pop, 0, 0, 200, num_groups=page_constant("2_Small_batches.py", "GROUPS"), r_max=1.5, d_max=0.5, seed=0
    )  # the page's defaults
    b2 = list(bs.BATCH_SIZES).index(2)
    at_two = np.abs(bands["batch"][b2])
    assert np.all(at_two <= 1) and 0 < np.count_nonzero(at_two < 0.999) < 20  # a few close pairs
    for norm in ("group", "layer"):
        assert np.ptp(bands[norm][1:], axis=1).max() < 1e-9
    wide = bs.example_bands(pop, 0, 0, 50, num_groups=2, r_max=1e6, d_max=1e6, seed=0)["batch_renorm"][1:]
    assert np.ptp(wide, axis=1).max() < 1e-6
    assert np.isnan(bands["batch"][list(bs.BATCH_SIZES).index(1)]).all()


def test_tour_small_batches_text():
    pop = bs.population(0)
    bands = bs.example_bands(pop, 0, 0, 50, num_groups=2, seed=0)
    for norm in ("group", "layer"):
        assert np.ptp(bands[norm][1:], axis=1).max() < 1e-9
    assert bs.moment_theory(0.0, 1.0, 4)["mean_sd"] == pytest.approx(1 / np.sqrt(4))


def test_small_one_text():
    """Same ValueError as PyTorch; only the shape is written differently."""
    ours = bs.batch_of_one()["flat_error"]
    with pytest.raises(ValueError) as theirs:
        torch.nn.functional.batch_norm(torch.zeros(1, 4), None, None, training=True)
    assert str(theirs.value).replace("torch.Size([1, 4])", "(1, 4)") == ours
    with pytest.raises(ValueError):
        F.batch_norm(np.zeros((1, 4)), None, None, training=True)


def test_small_one_image():
    one = bs.batch_of_one()
    assert one["image_shape"] == (1, 4, 3, 3) and one["equals_instance_norm"]
    np.testing.assert_allclose(one["image_output"], F.instance_norm(one["image_input"]), rtol=1e-6, atol=1e-9)


# ---- train vs eval


def test_tve_running_text():
    bn = torch.nn.BatchNorm1d(2)
    assert bn.running_mean.tolist() == [0, 0] and bn.running_var.tolist() == [1, 1]


def test_tve_variance_text():
    """Training normalizes with the biased variance and stores the unbiased one (B/(B − 1) times it)."""
    x = np.random.default_rng(9).normal(size=(5, 2))
    mean, var = np.zeros(2), np.zeros(2)
    y = F.batch_norm(x, mean, var, training=True, momentum=1.0, eps=1e-12)
    np.testing.assert_allclose(y, (x - x.mean(0)) / x.std(0), rtol=1e-9)
    np.testing.assert_allclose(var, x.var(0) * 5 / 4, rtol=1e-12)


def test_tve_same_text():
    """Eval mode's running statistics come from training batches of 32."""
    assert "trained_running_stats(pop, 32, steps" in inspect.getsource(bs.trained_then_evaluated)


def test_tve_max_diff_help():
    """The largest |train − eval| shrinks as B grows (running statistics = the population's)."""
    pop = bs.population(0)
    running = pop.mean(0), pop.var(0, ddof=1)
    gaps = []
    for b in (4, 64, 1024):
        batch = bs.draw_batches(pop, b, 1, seed=1)[0]
        train_out = F.batch_norm(batch, None, None, training=True)
        eval_out = F.batch_norm(batch, *running, training=False)
        gaps.append(np.abs(train_out - eval_out).max())
    assert gaps[0] > gaps[1] > gaps[2]


def test_tve_example_help():
    assert len(load_digits().y_test) == 359


def test_tve_accuracy_help():
    assert len(load_digits().y_test) == 359


def test_tve_forgot_title():
    assert page_constant("3_Train_vs_eval.py", "FORGOT_BATCHES") == 100


def test_tve_forgot_eval():
    """In eval mode the example's probability is the same in every batch, bit for bit (the page's defaults and
    the slider's ends)."""
    from normcore.forgot_eval import predictions_in_batches, trained_model

    model, _ = trained_model()
    for example, batch_size in [(0, 4), (5, 2), (100, 64)]:
        result = predictions_in_batches(
            model, example, batch_size, page_constant("3_Train_vs_eval.py", "FORGOT_BATCHES")
        )
        assert np.ptp(result["eval_prob"]) == 0
        assert np.ptp(result["train_prob"]) > 0  # while training mode's changes with the batch


def test_tve_forgot_text():
    from normcore.forgot_eval import MODEL

    model = build_mlp(MODEL)
    layers = [*model.linears, model.readout]
    assert [(m.in_features, m.out_features) for m in layers] == [(64, 100), (100, 100), (100, 10)]
    assert MODEL.norm == "batch" and MODEL.activation == "relu"


# ---- training lab


def test_lab_depth_help():
    assert lab.FIGURE1.depth == 3


def test_lab_width_help():
    assert lab.FIGURE1.width == 100


def test_lab_bs_help():
    assert lab.FIGURE1.batch_size == 60


def test_lab_init_help():
    assert lab.FIGURE1.init_scale == 0.1


def test_lab_lr_help():
    assert lab.FIGURE1.lr == 0.5 and lab.FIGURE1.momentum == 0.0
    assert (lab.LR_GRID[0], lab.LR_GRID[-1]) == (0.01, 10.0)


def test_lab_about_lr():
    """At the sweep's two largest rates (3 and 10; its 500 steps, seed 0) BN still learns (test accuracy above
    90%) where the plain network diverges or stays below 70%."""
    assert (lab.LR_GRID[0], lab.LR_GRID[-1]) == (0.01, 10.0)
    large = lab.LR_GRID[-2:]
    assert large == (3.0, 10.0)
    configs = lab.sweep_configs(lab.FIGURE1, "lr", large, lab.SWEEP_STEPS)
    for rate in large:
        plain, bn = (train(configs[(norm, rate)]) for norm in ("none", "batch"))
        assert bn.final_accuracy > 0.9
        assert plain.diverged or plain.final_accuracy < 0.7


def test_lab_about_init():
    """At initialization without BN: σ = 0.01 makes the signal vanish layer by layer, σ = 3 saturates most
    sigmoids (slope below 10% of its peak), and the grid spans 0.01 to 3."""
    from normcore.training import saturated_share

    data = load_digits()
    spreads, saturated = {}, {}
    for scale in (0.01, 3.0):
        model = build_mlp(TrainConfig(norm="none", init_scale=scale))
        model.eval()
        with torch.no_grad():
            _, captured = model(data.x_test, capture=True)
        spreads[scale] = [float(out.std(0).mean()) for _, out in captured]
        saturated[scale] = [saturated_share(out.numpy(), "sigmoid") for _, out in captured]
    assert spreads[0.01][0] > 100 * spreads[0.01][-1]
    assert min(saturated[3.0]) > 0.5 and max(saturated[0.01]) == 0
    assert (lab.INIT_GRID[0], lab.INIT_GRID[-1]) == (0.01, 3.0)


def test_lab_ssteps_help():
    assert len(lab.sweep_configs(lab.FIGURE1, "lr", lab.LR_GRID, 100)) == 14
    assert len(lab.sweep_configs(lab.FIGURE1, "init_scale", lab.INIT_GRID, 100)) == 12
    page = (ROOT / "pages" / "4_Training_lab.py").read_text()
    assert re.search(r'number\([\w.\[\]]*slider, "ssteps", 100, 1000', page)


def test_lab_steps_help():
    assert lab.FIGURE1_STEPS == 3000
    page = (ROOT / "pages" / "4_Training_lab.py").read_text()
    assert re.search(r'number\([\w.\[\]]*slider, "steps", 100, 5000, 3000', page)


@pytest.fixture(scope="module")
def figure1_runs():
    """The lab's Figure 1 at the page's defaults (the tour's preset): 3000 steps, seed 0."""
    return {label: train(config) for label, config in lab.figure1_configs().items()}


def test_lab_about_fig1(figure1_runs):
    """At the defaults BN reaches the plain run's final accuracy in a fifth of the steps or fewer."""
    assert load_digits().x_train.shape[1] == 64  # 8×8 digits
    plain, bn = figure1_runs["none"], figure1_runs["batch"]
    assert bn.steps_to_reach(plain.final_accuracy) <= plain.steps[-1] / 5


def test_lab_about_sec2():
    """With the gradient through the mean, the first layer's bias gets gradient 0 (up to float rounding)."""
    _bias_gradient_is_zero(TrainConfig(norm="center", linear_bias=True, stats_in_grad=True))


def test_lab_about_bias():
    _bias_gradient_is_zero(TrainConfig(norm="batch", linear_bias=True))


def _bias_gradient_is_zero(config: TrainConfig):
    torch.manual_seed(0)
    model = build_mlp(config)
    data = load_digits()
    model.train()
    loss = torch.nn.functional.cross_entropy(model(data.x_train[:60]), data.y_train[:60])
    loss.backward()
    bias_grad = model.linears[0].bias.grad
    weight_grad = model.linears[0].weight.grad
    assert bias_grad.abs().max() < 1e-6 * weight_grad.abs().max() + 1e-9


def test_tour_speed_text():
    """At the sweep's largest rate (10) and its 500 steps, BN still learns where the plain net does not."""
    configs = lab.sweep_configs(lab.FIGURE1, "lr", (10.0,), lab.SWEEP_STEPS)
    plain, bn = (train(configs[(norm, 10.0)]) for norm in ("none", "batch"))
    assert bn.final_accuracy > 0.8
    assert plain.diverged or plain.final_accuracy < 0.5
    assert (lab.LR_GRID[0], lab.LR_GRID[-1]) == (0.01, 10.0)


# ---- images


def test_images_conv_intro():
    weight, names = I.conv_filters()
    assert weight.shape == (12, 3, 3, 3)
    assert sum(not n.startswith("random") for n in names) == 4


def test_images_source_help():
    assert I.digit_images(8).shape[0] == 8


def test_images_in_difference():
    """Instance Norm of a brightness/contrast change equals the original's; with ε = 0 only rounding is left."""
    photo = next(iter(I.sample_photos().values()))[None].astype(np.float64)  # (1, 3, H, W)
    changed = I.brightness_contrast(photo, 0.2, 1.5).astype(np.float64)
    exact = np.abs(F.instance_norm(photo, eps=1e-15) - F.instance_norm(changed, eps=1e-15)).max()
    with_eps = np.abs(F.instance_norm(photo, eps=1e-5) - F.instance_norm(changed, eps=1e-5)).max()
    assert exact < 1e-9 < with_eps


def test_images_adain_intro_colour_space():
    """l-α-β channels are less correlated than R, G, B on both sample photos."""
    off_diagonal = np.triu_indices(3, 1)
    for photo in I.sample_photos().values():
        rgb = np.abs(I.channel_correlation(photo)[off_diagonal]).mean()
        lab_space = np.abs(I.channel_correlation(I.rgb_to_lab(photo))[off_diagonal]).mean()
        assert lab_space < rgb


def test_images_adain_intro():
    """AdaIN gives each channel the style's mean and standard deviation."""
    rng = np.random.default_rng(10)
    content, style = rng.normal(2, 3, (1, 3, 8, 8)), rng.normal(-1, 0.5, (1, 3, 8, 8))
    y = F.adain(content, style, eps=1e-15)
    np.testing.assert_allclose(y.mean(axis=(2, 3)), style.mean(axis=(2, 3)), atol=1e-10)
    np.testing.assert_allclose(y.std(axis=(2, 3)), style.std(axis=(2, 3)), rtol=1e-8)


# ---- weight norms


def test_weights_ws_intro():
    raw, _ = W.trained_like_filters()
    assert raw.shape == (12, 3, 3, 3) and W.WS_EPS == 1e-6


def test_weights_output_caption():
    """WS filters sum to 0 over all input channels, not within each: a uniform grey input gives 0 inside
    the border, the photos do not (interior means −0.21…0.25 at seed 0)."""
    raw, _ = W.trained_like_filters(drift=0.5, seed=0)  # the page's defaults
    ws = F.weight_standardization(raw, eps=W.WS_EPS)
    np.testing.assert_allclose(ws.sum(axis=(1, 2, 3)), 0, atol=1e-4)
    assert np.abs(ws.sum(axis=(2, 3))).max() > 0.1  # not zero within one input channel
    grey = np.full((1, 3, 10, 10), 0.7, np.float32)
    assert np.abs(W.interior_output_means(grey, ws)).max() < 1e-5
    photos = np.stack(list(I.sample_photos().values()))
    interior = W.interior_output_means(photos, ws)
    assert interior.min() < -0.1 and interior.max() > 0.1
    assert np.abs(interior).max() < np.abs(W.conv_output_stats(photos, raw)[0]).max() / 5


def test_weights_ws_check():
    raw, _ = W.trained_like_filters()
    _, std = W.per_channel_stats(F.weight_standardization(raw, eps=W.WS_EPS))
    assert np.all(std < 1) and np.all(std > 0.999)  # just below 1: ε


def test_weights_spectrum_title():
    """The largest singular value after dividing by the estimate is 1 once the power iteration has converged."""
    matrix = W.random_matrix(16, 32, 0.02, 0)  # the page's defaults
    sigma = W.singular_values(matrix)[0]
    few, many = W.power_iteration_trace(matrix, 5, 0)[-1], W.power_iteration_trace(matrix, 500, 0)[-1]
    assert sigma / few > 1 + 1e-4
    assert sigma / many == pytest.approx(1, abs=1e-6)


def test_weights_intro():
    test_weights_spectrum_title()


def test_weights_stretch_title():
    matrix = W.random_matrix(16, 32, 0.02, 0)
    stretch = W.stretch_factors(matrix, page_constant("6_Weight_norms.py", "STRETCH_SAMPLES"), 0)
    assert stretch.size == 2000 and stretch.max() <= W.singular_values(matrix)[0] * (1 + 1e-12)


def test_weights_stretch_check():
    """The top right singular vector is stretched by exactly σ; random inputs stay below it."""
    matrix = W.random_matrix(16, 32, 0.02, 0)
    _, sigma, right = np.linalg.svd(matrix)
    assert np.linalg.norm(matrix @ right[0]) == pytest.approx(sigma[0], rel=1e-12)
    assert W.stretch_factors(matrix, 2000, 0).max() < sigma[0]


def test_weights_decay_help():
    """A larger decay widens the gap between the two largest singular values; power iteration converges faster."""
    gaps, errors = [], []
    for decay in (0.0, 0.02, 0.2):
        matrix = W.random_matrix(16, 32, decay, 0)
        sigma = W.singular_values(matrix)
        gaps.append(sigma[1] / sigma[0])
        errors.append(1 - W.power_iteration_trace(matrix, 5, 0)[-1] / sigma[0])
    assert gaps[0] > gaps[1] > gaps[2] and errors[0] > errors[1] > errors[2]


def test_weights_sn_intro():
    assert inspect.signature(torch.nn.utils.spectral_norm).parameters["n_power_iterations"].default == 1


def test_tour_weights_text():
    raw, _ = W.trained_like_filters()
    mean, std = W.per_channel_stats(F.weight_standardization(raw, eps=W.WS_EPS))
    np.testing.assert_allclose(mean, 0, atol=1e-6)
    np.testing.assert_allclose(std, 1, atol=1e-3)
    test_weights_spectrum_title()


# ---- tour


def test_tour_formula_text():
    x = np.random.default_rng(11).normal([1, -5, 10, 0], [0.1, 3, 10, 1], (256, 4))
    y = F.batch_norm(x, None, None, training=True)
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(0), 1, rtol=1e-3)


def test_tour_shift_text(figure1_runs):
    """Without BN the probe's input drifts and widens; with BN its median stays put; neither reaches
    the flat ends (the slope at the outermost percentile stays above 30% of its peak)."""
    from normcore.training import PERCENTILES

    assert PERCENTILES == (15, 50, 85)
    plain, bn = (lab.percentile_drift(figure1_runs[label]) for label in ("none", "batch"))
    assert abs(plain["last"][1] - plain["first"][1]) > 0.3
    assert np.ptp(plain["last"]) > 2 * np.ptp(plain["first"])
    assert abs(bn["last"][1] - bn["first"][1]) < 0.1
    assert plain["min_slope"] > 0.3 and bn["min_slope"] > 0.3


def test_lab_about_inside():
    assert saturation.SLOPE_SHARE == 0.1


# ---- the pages format their runtime figures


def _texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("caption", "markdown") for e in getattr(at, kind))


def test_pages_format_their_runtime_figures():
    from tests.conftest import open_page

    home = _texts(open_page("app.py"))
    low, high = saturation.sigmoid_bounds()
    assert f"below 10% of its peak: for the sigmoid, an output outside {low:.3f}–{high:.3f}" in home
    weights = _texts(open_page("pages/6_Weight_norms.py"))
    assert re.search(r"only shrink: between -0\.\d\d and \+0\.\d\d away from the border", weights)
    lab_page = "pages/4_Training_lab.py"
    for view, pattern in [
        ("fig1", r"sigmoid input's 15th, 50th and 85th percentiles went from \(-?\d"),
        ("inside", r"first layer's ‖∇W‖/‖W‖ in these runs: at step \d+, \d"),
    ]:
        at = open_page(lab_page, {"steps": "100", "depth": "2", "width": "40", "view": view, "seed": "5"})
        [button] = [b for b in at.button if b.label == "Train"]
        button.click().run()
        assert not at.exception
        assert re.search(pattern, _texts(at)), view


# ================================================================ end prose (issue 12)
# ---------------------------------------------------------------- Small batches, section D:
# the Group Normalization paper's Figure 1 on digits (shipped normcore/experiments/gn_batch.json)


@pytest.fixture(scope="module")
def shipped():
    return gn_batch.load()


def seed_errors(sweep, norm, batch_size):
    return [
        100 * r["test_error"] for r in sweep["runs"] if (r["norm"], r["batch_size"]) == (norm, batch_size)
    ]


def test_small_gn_numbers(shipped):
    """The page prints one sentence per batch size (2, 32), chosen by gn_batch.compare from the shown
    sweep; for the shipped sweep they say: at B = 2 every BN seed is worse than every GN seed (beyond the
    seed spread), at B = 32 whatever compare finds. Check compare against the raw runs."""
    summary = gn_batch.summarize(shipped["runs"])
    for b in (2, 32):
        bn, gn = seed_errors(shipped, "batch", b), seed_errors(shipped, "group", b)
        found = gn_batch.compare(summary, "batch", "group", b)
        assert (found["first_low"], found["first_high"]) == (min(bn), max(bn))
        assert (found["second_low"], found["second_high"]) == (min(gn), max(gn))
        expected = "worse" if min(bn) > max(gn) else "better" if max(bn) < min(gn) else "overlap"
        assert found["verdict"] == expected
    assert gn_batch.compare(summary, "batch", "group", 2)["verdict"] == "worse"  # the paper's point holds
    assert len({r["seed"] for r in shipped["runs"]}) == 5


def test_small_gn_compare_worse():
    summary = gn_batch.summarize(
        [{"norm": n, "batch_size": 2, "seed": s, "test_error": e} for n, s, e in
         [("batch", 0, 0.30), ("batch", 1, 0.40), ("group", 0, 0.05), ("group", 1, 0.29)]]
    )  # fmt: skip
    assert gn_batch.compare(summary, "batch", "group", 2)["verdict"] == "worse"
    assert gn_batch.compare(summary, "group", "batch", 2)["verdict"] == "better"


def test_small_gn_compare_better():
    summary = gn_batch.summarize(
        [{"norm": n, "batch_size": 8, "seed": s, "test_error": e} for n, s, e in
         [("batch", 0, 0.01), ("batch", 1, 0.02), ("group", 0, 0.03), ("group", 1, 0.04)]]
    )  # fmt: skip
    assert gn_batch.compare(summary, "batch", "group", 8)["verdict"] == "better"


def test_small_gn_compare_overlap():
    summary = gn_batch.summarize(
        [{"norm": n, "batch_size": 32, "seed": s, "test_error": e} for n, s, e in
         [("batch", 0, 0.01), ("batch", 1, 0.05), ("group", 0, 0.02), ("group", 1, 0.03)]]
    )  # fmt: skip
    assert gn_batch.compare(summary, "batch", "group", 32)["verdict"] == "overlap"


def test_small_gn_text(shipped):
    """The protocol the text states: 1438/359 digits, the same epochs at every batch size, lr = 0.1 B/32,
    G groups of the 100 features, 64 -> 100 -> 100 -> 10, momentum 0.9, test error in eval mode."""
    from normcore.training import load_digits

    data = load_digits()
    assert (len(data.y_train), len(data.y_test), data.x_train.shape[1]) == (1438, 359, 64)
    protocol = gn_batch.Protocol(**shipped["protocol"])
    assert (protocol.depth, protocol.width, protocol.momentum, protocol.base_lr) == (2, 100, 0.9, 0.1)
    assert protocol.width % protocol.num_groups == 0 and protocol.reference_batch == 32
    for one in shipped["runs"]:
        assert one["lr"] == pytest.approx(0.1 * one["batch_size"] / 32)
    assert {r["batch_size"] for r in shipped["runs"]} == set(gn_batch.BATCH_SIZES)


def test_small_gn_text_eval_mode():
    """ "test error measured in eval mode": the error run_one reports is that of the trained model in
    eval mode (Batch Norm with its running statistics), not in training mode."""
    import torch

    from normcore.training import TrainConfig, load_digits, train

    models = []
    protocol = gn_batch.Protocol(epochs=1)
    config = TrainConfig(
        norm="batch", activation="relu", depth=2, width=100, init_scale=None, num_groups=4, batch_size=32,
        lr=protocol.lr(32), momentum=0.9, epochs=1, eval_every=10**9, seed=0,
    )  # fmt: skip
    result = train(config, on_done=models.append)
    data = load_digits()
    with torch.no_grad():
        eval_accuracy = float((models[0].eval()(data.x_test).argmax(1) == data.y_test).float().mean())
        train_accuracy = float((models[0].train()(data.x_test).argmax(1) == data.y_test).float().mean())
    assert result.final_accuracy == eval_accuracy != train_accuracy
    assert 1 - result.final_accuracy == pytest.approx(
        gn_batch.run_one("batch", 32, 0, protocol)["test_error"]
    )


def test_small_gn_recompute_help(shipped):
    """ "{runs} runs per seed": every norm at every batch size."""
    seeds = {r["seed"] for r in shipped["runs"]}
    assert len(shipped["runs"]) / len(seeds) == len(gn_batch.NORMS) * len(gn_batch.BATCH_SIZES) == 15
    assert np.isclose(
        gn_batch.cpu_seconds_per_seed(shipped) * len(seeds), sum(r["cpu_seconds"] for r in shipped["runs"])
    )


def test_small_seeds_help(shipped):
    """ "The shipped result has 5" (seeds)."""
    assert sorted({r["seed"] for r in shipped["runs"]}) == [0, 1, 2, 3, 4] == list(gn_batch.SEEDS)


# ---------------------------------------------------------------- end of Small batches, section D


# ---- Train vs eval and the Explorer (another branch adds its tests here) ----


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
    # a fresh layer's running statistics, mean 0 and variance 1: r = σ_B / √(1 + ε), d = μ_B / √(1 + ε)
    steps = worked_example(table, "batch_renorm", r_max=10.0, d_max=10.0)
    fresh = np.sqrt(1 + 1e-5)
    np.testing.assert_allclose(steps["r"], steps["std"] / fresh, rtol=1e-12)
    np.testing.assert_allclose(steps["d"], steps["mean"] / fresh, rtol=1e-12)


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
    # The BN paper's Var[x] = m/(m - 1)·E[σ²_B] (§3.1) is unbiased, as what PyTorch's running_var takes from a batch.
    batch = torch.from_numpy(np.random.default_rng(3).normal(size=(5, 1)))
    layer = torch.nn.BatchNorm1d(1, momentum=1.0, dtype=torch.float64)
    layer(batch)
    assert float(layer.running_var[0]) == pytest.approx(float(batch.var(unbiased=True)), rel=1e-12)
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


# "Default 3 / 5, the paper's final values" (Ioffe 2017, §4: r_max = 1, d_max = 0 at first, then
# relaxed to r_max = 3 and d_max = 5).
def _train_vs_eval_source() -> str:
    return (ROOT / "pages" / "3_Train_vs_eval.py").read_text(encoding="utf-8")


def test_tve_r_max_help():
    assert 't("tve.r_max"), 1.0, 5.0, 3.0' in _train_vs_eval_source()


def test_tve_d_max_help():
    assert 't("tve.d_max"), 0.0, 5.0, 5.0' in _train_vs_eval_source()


def test_explorer_worked_rows_help():
    # "1 to {most}": the row-count control's lower bound; {most} is formatted from TABLE_LIMITS.
    source = (ROOT / "ui" / "explorer_views.py").read_text(encoding="utf-8")
    assert 'st.number_input(t("explorer.worked_rows"), 1, TABLE_LIMITS[0]' in source


# ---------------------------------------------------------------- training lab: weight scale, weight decay, BN placement
# (issue 14 §3 and §4; pages/4_Training_lab.py). Keys: lab.scale_how, lab.wd_help, lab.about.place.

LAB_SWEEP = replace(
    lab.FIGURE1, eval_every=25
)  # the page's sweep settings: lr 0.5, 3 x 100 sigmoid, batch 60


def _late_step(result, layer: int = 0) -> float:
    """The effective step averaged over the second half of the run (as lab.scale_summary does)."""
    rows = result.effective_step[len(result.effective_step) // 2 :]
    return float(np.mean([row[layer] for row in rows]))


def _first_layer_scaled(config, a: float, eps: float | None = None):
    """The network's logits and first-layer weight gradient on one batch, with W1 scaled by ``a``;
    with ``eps`` given, in float64 with that ε in every BN."""
    data = load_digits()
    x, y = data.x_train[:60], data.y_train[:60]
    model = build_mlp(config)
    if eps is not None:
        model, x = model.double(), x.double()
    model.train()
    with torch.no_grad():
        model.linears[0].weight.mul_(a)
    if eps is not None:
        for norm in model.norms:
            norm.eps = eps
    logits = model(x)
    nn.functional.cross_entropy(logits, y).backward()
    return logits.detach(), model.linears[0].weight.grad


def test_lab_scale_how__output_same_for_aw_and_gradient_one_over_a():
    config = replace(LAB_SWEEP, norm="batch")
    for eps, tolerance in [(1e-30, 1e-9), (None, 1e-4)]:  # exact up to BN's ε; ε=1e-5 moves the 5th digit
        (y1, g1), (y10, g10) = (_first_layer_scaled(config, a, eps) for a in (1.0, 10.0))
        torch.testing.assert_close(y10, y1, rtol=tolerance, atol=tolerance)
        torch.testing.assert_close(
            g10, g1 / 10.0, rtol=100 * tolerance, atol=tolerance * float(g1.abs().max())
        )


def test_lab_scale_how__without_weight_decay_norm_only_grows_small_weights_grow():
    runs = {
        sigma: train(replace(LAB_SWEEP, norm="batch", init_scale=sigma, steps=300)) for sigma in (0.01, 3.0)
    }
    for result in runs.values():
        norms = np.array(result.weight_norm)  # (evaluations, layers)
        assert np.all(np.diff(norms, axis=0) >= -1e-5 * norms[:-1])  # never shrinks (float rounding aside)
    small, large = runs[0.01], runs[3.0]
    assert small.effective_step[0][0] > 100 * large.effective_step[0][0]  # large relative steps
    assert small.weight_norm[-1][0] > 2 * small.weight_norm[0][0]  # ... and they grow


@pytest.mark.parametrize("sigma, lr, settles", [(0.1, 0.5, True), (0.1, 1.0, True), (3.0, 0.5, False)])
def test_lab_scale_how__with_weight_decay_settles_near_sqrt_2_lr_lambda(sigma, lr, settles):
    config = replace(
        LAB_SWEEP, norm="batch", init_scale=sigma, lr=lr, weight_decay=lab.WEIGHT_DECAY, steps=500
    )
    predicted = lab.equilibrium_step(config.lr, config.weight_decay)
    assert predicted == pytest.approx(np.sqrt(2 * lr * 0.01))
    late = _late_step(train(config))
    if settles:  # σ = 0.1 (the page's default), lr 0.5 and 1: within 15% after 500 steps
        assert late == pytest.approx(predicted, rel=0.15)
    else:  # weights 30 times larger have not got there in the sweep's 500 steps
        assert late < predicted / 2


def test_lab_wd_help__each_step_multiplies_every_weight_by_one_minus_lr_lambda():
    config = replace(LAB_SWEEP, norm="batch", steps=1, weight_decay=lab.WEIGHT_DECAY)
    data = load_digits()
    x, y = next(_batches(data, config.batch_size, torch.Generator().manual_seed(config.seed)))
    model = build_mlp(config)
    model.train()
    nn.functional.cross_entropy(model(x), y).backward()
    factor = 1 - config.lr * config.weight_decay
    expected = [(factor * p - config.lr * p.grad).detach() for p in model.parameters()]
    trained = []
    train(config, on_done=trained.append)
    for got, want in zip(trained[0].parameters(), expected, strict=True):
        torch.testing.assert_close(got.detach(), want, rtol=1e-5, atol=1e-7)


def test_lab_about_place__same_network_data_and_initial_weights():
    models = {label: build_mlp(c) for label, c in lab.placement_configs(LAB_SWEEP, 10).items()}
    reference = models["none"]
    for model in models.values():
        for ours, theirs in zip(
            [*model.linears, model.readout], [*reference.linears, reference.readout], strict=True
        ):
            torch.testing.assert_close(ours.weight, theirs.weight, rtol=0, atol=0)
    assert {c.steps for c in lab.placement_configs(LAB_SWEEP, 10).values()} == {10}


# ---- backward (issue 14: the Explorer's Backward view, its tour step and home paragraph) ----

CENTRED = ["batch", "layer", "instance", "group", "batch_renorm"]
TOUR_STEP = next(step for step in tour.STEPS if step.slug == "backward")


def explorer_backward(norm, training, source="class", shape=(8, 4, 4, 4), dtype=np.float32, channel=0):
    """The Backward view's computation at the Explorer's defaults (seeded synthetic batch, γ = 1, β = 0,
    ε = 1e-5, 20 warm-up batches, G = 2), as ``ui.explorer_backward.backward_summary`` runs it (the summary
    from the view's basis; ``back`` is explain_backward's, for what the view does not keep)."""
    population = Population()
    moments = [batch_moments(make_input(32, *shape[1:], population, b)) for b in range(1, 21)]
    running = running_statistics(moments, shape[1])
    x = make_input(*shape, population).astype(dtype)
    c = shape[1]
    e = run(x, norm, num_groups=2, gamma=np.ones(c), beta=np.zeros(c), training=training,
            running_mean=running[0], running_var=running[1])  # fmt: skip
    dy = upstream_gradient(e.output, x.reshape(e.output.shape), source, channel=channel).reshape(x.shape)
    kwargs = dict(num_groups=2, weight=None if norm == "none" else np.ones(c), training=training,
                  running_mean=running[0], running_var=running[1])  # fmt: skip
    back = explain_backward(x, norm, dy, **kwargs)
    basis = backward_basis(x, norm, e.var, **{k: v for k, v in kwargs.items() if k != "weight"})
    return x, dy, kwargs, summarize_gradients(basis, dy, kwargs["weight"]), back


@pytest.mark.parametrize("norm", CENTRED)
@pytest.mark.parametrize("source", UPSTREAMS)
def test_backward_note_sum(norm, source):
    """ "sums to zero (up to rounding)" for centred norms in training: float32 rounding of the summed values."""
    *_, s, back = explorer_backward(norm, True, source)
    assert s.largest_sum_full <= 1e-6 * np.abs(back.naive.grad_input).sum()


def test_backward_note_sum_both():
    """ "this upstream gradient already sums to zero over each set": layer norm with the cross-entropy
    over channels (softmax minus one-hot at every position), and batch norm with the squared error to 0
    at β = 0 (dy ∝ x̂); the view picks the text by ``NAIVE_SUMS_SMALL`` and never for the other cases."""
    from ui.explorer_backward import NAIVE_SUMS_SMALL

    for norm, source in [("layer", "class"), ("batch", "zero")]:
        x, dy, _, s, back = explorer_backward(norm, True, source)
        sums = back.sums_naive  # of the naive gradient; dy / sigma with one sigma per set
        assert np.abs(sums).max() <= NAIVE_SUMS_SMALL * s.naive_scale, (norm, source)
    for norm, source in [("batch", "input"), ("batch", "random"), ("layer", "random"), ("group", "input")]:
        *_, other, _ = explorer_backward(norm, True, source)
        assert other.largest_sum_naive > NAIVE_SUMS_SMALL * other.naive_scale, (norm, source)


@pytest.mark.parametrize("source", ["class", "random"])
def test_backward_note_rms_sum(source):
    """RMS norm's full gradient "need not sum to zero": it does not, for these losses."""
    *_, s, _ = explorer_backward("rms", True, source)
    assert s.largest_sum_full > 1e-3 * s.largest_sum_naive


@pytest.mark.parametrize("norm", [*CENTRED, "rms"])
@pytest.mark.parametrize("source", UPSTREAMS)
def test_backward_note_dot(norm, source):
    """Σ dx·x̂ (full) is exactly ε/(Var + ε) times the naive one's, on every set (float64 input)."""
    *_, s, back = explorer_backward(norm, True, source, dtype=np.float64)
    assert s.identity_error <= 1e-12 * s.largest_dot_naive
    assert np.abs(back.dots_full).max() < 1e-3 * s.largest_dot_naive  # nearly orthogonal at ε = 1e-5


@pytest.mark.parametrize("norm", ["batch", "batch_renorm"])
@pytest.mark.parametrize("source", UPSTREAMS)
def test_backward_note_eval(norm, source):
    """Eval mode: the full gradient is the naive one, and no example's depends on another's."""
    x, dy, kwargs, s, _ = explorer_backward(norm, False, source)
    assert s.naive_gap == 0.0
    assert batch_coupling(x, norm, dy, 2, dy[2], **kwargs).other_examples_affected == []


def test_backward_note_none():
    x, dy, _, s, back = explorer_backward("none", True, "random")
    np.testing.assert_array_equal(back.full.grad_input.reshape(x.shape), dy.astype(x.dtype))
    assert s.naive_gap == 0.0


def test_backward_up_caption_class():
    """Cross-entropy with channel k the right class: dL/dy < 0 on channel k (its outputs go up under
    gradient descent), > 0 on the others (theirs go down)."""
    _, dy, *_ = explorer_backward("batch", True, "class", channel=1)
    assert (dy[:, 1] < 0).all() and (np.delete(dy, 1, axis=1) > 0).all()


def test_backward_scale_note():
    """ "Measured here (float32, ε = 1e-5)" are scaled_layer's defaults; "exact only for ε = 0":
    with ε = 1e-15 in float64 it holds to rounding even at a = 0.01, where ε = 1e-5 breaks it."""
    import inspect

    from normcore.scale_invariance import invariance_errors, scaled_layer

    defaults = inspect.signature(scaled_layer).parameters
    assert defaults["dtype"].default == "float32" and defaults["eps"].default == 1e-5
    tiny = invariance_errors([0.01], eps=1e-15, dtype="float64")[0.01]
    assert max(tiny.values()) < 1e-9
    assert max(invariance_errors([0.01])[0.01].values()) > 0.1


def test_backward_scale_help():
    """ "real digits (8 × 8 pixels)"."""
    from normcore.training import load_digits

    assert load_digits().x_train.shape[1] == 8 * 8


def test_tour_backward_text():
    """At the tour step's presets: sums zero per channel, orthogonal to x̂ up to ε, every other example
    coupled; and at its weight scale, BN output and dL/du unchanged, dL/dW scaled by 1/a."""
    from normcore.scale_invariance import invariance_errors

    p = TOUR_STEP.params
    assert (p["norm"], p.get("mode", "train")) == ("batch", "train")
    shape = (int(p["n"]), int(p["c"]), int(p["hw"]), int(p["hw"]))
    x, dy, kwargs, s, back = explorer_backward("batch", True, p["up"], shape=shape)
    assert s.largest_sum_full <= 1e-6 * np.abs(back.naive.grad_input).sum()
    assert np.abs(back.dots_full).max() < 1e-3 * s.largest_dot_naive
    coupling = batch_coupling(x, "batch", dy, 0, dy[0], **kwargs)
    assert coupling.other_examples_affected == list(range(1, shape[0]))
    a = float(p["sa"])
    assert max(invariance_errors([a])[a].values()) < 1e-3


def test_home_backward_text():
    """The same for batch norm at the Explorer's defaults, and 1/a across the scales a lecturer would try."""
    from normcore.scale_invariance import invariance_errors

    x, dy, kwargs, s, back = explorer_backward("batch", True, "class", shape=(16, 8, 8, 8))
    assert s.largest_sum_full <= 1e-6 * np.abs(back.naive.grad_input).sum()
    assert np.abs(back.dots_full).max() < 1e-3 * s.largest_dot_naive
    assert batch_coupling(x, "batch", dy, 5, dy[5], **kwargs).other_examples_affected == [
        i for i in range(16) if i != 5
    ]
    errors = invariance_errors([0.3, 3.0, 100.0])
    assert all(e["grad_weight"] < 2e-3 for e in errors.values())


# ---- end backward ----


def test_backward_coupling_alone():
    """ "every other example's is exactly as before": bit-identical under a norm that does not mix examples."""
    x = make_input(6, 4, 3, 3, Population())
    dy = np.random.default_rng(0).standard_normal(x.shape).astype(np.float32)
    for norm in ["layer", "instance", "group", "rms", "none"]:
        coupling = batch_coupling(x, norm, dy, example=2, delta=2.0, num_groups=2)
        assert not coupling.other_examples_affected
        assert (np.delete(coupling.change, 2, axis=0) == 0).all()


# ================================================================ the meta-test (keep last)


def backing_tests() -> set[str]:
    """Test names, each also as its key's part: ``test_<key>__<what>`` is one of several for a key."""
    names = {name for name in dir(sys.modules[__name__]) if name.startswith("test_")}
    return names | {name.split("__")[0] for name in names}


def risky_keys() -> list[str]:
    """Keys whose English text, outside its placeholders, has a digit or a risky word."""
    return [key for key, text in EN.items() if RISKY.search(re.sub(r"\{[^}]*\}", "", text))]


def test_every_risky_sentence_is_backed():
    tests = backing_tests()
    unbacked = [
        key for key in risky_keys() if f"test_{key.replace('.', '_')}" not in tests and key not in REVIEWED
    ]
    assert not unbacked, f"back these with a test, a placeholder or a reviewed reason: {unbacked}"


def test_each_key_is_backed_once():
    """A key with its own test is not also waved through as reviewed (so the list stays honest)."""
    tests = backing_tests()
    doubled = [key for key in REVIEWED if f"test_{key.replace('.', '_')}" in tests]
    assert not doubled, f"remove from REVIEWED, they have tests now: {doubled}"
    assert set(REVIEWED) <= set(EN) and set(COMPUTED_AT_RUNTIME) <= set(EN)
    stale = sorted(set(REVIEWED) - set(risky_keys()))
    assert not stale, f"these no longer state anything risky; drop them from REVIEWED: {stale}"


def test_the_scan_catches_risky_words():
    assert RISKY.search("exactly 1") and RISKY.search("orders of magnitude") and RISKY.search("5%")
    assert not RISKY.search("{share} of its peak".replace("{share}", ""))
