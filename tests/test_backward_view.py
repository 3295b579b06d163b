"""The Backward view's core and figures: upstream gradients against torch autograd, the summaries,
the snippet's backward pass against the page's numbers, and the figures by facts."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from figures import backward as figs
from normcore.backward import batch_coupling, explain_backward
from normcore.backward_view import (
    UPSTREAMS,
    backward_basis,
    coupling_of_change,
    statistics_in_gradient,
    summarize_backward,
    summarize_coupling,
    summarize_coupling_of_change,
    summarize_gradients,
    upstream_gradient,
)
from normcore.explorer import Population, batch_moments, make_input, run, running_statistics
from normcore.snippet import Setup, pytorch_snippet
from normcore.stats import histogram

NORMS = ["batch", "layer", "instance", "group", "rms", "batch_renorm", "none"]


def torch_upstream(y: np.ndarray, x: np.ndarray, source: str, channel: int) -> np.ndarray:
    """dL/dy by autograd for the loss ``source`` as the snippet writes it."""
    yt = torch.tensor(y, requires_grad=True)
    if source == "class":
        target = torch.full((y.shape[0], *y.shape[2:]), channel)
        loss = TF.cross_entropy(yt, target)
    elif source == "zero":
        loss = 0.5 * TF.mse_loss(yt, torch.zeros_like(yt))
    elif source == "input":
        loss = 0.5 * TF.mse_loss(yt, torch.tensor(x))
    else:
        r = torch.from_numpy(np.random.default_rng(0).standard_normal(y.shape))
        loss = (r * yt).sum() / yt.numel()
    loss.backward()
    return yt.grad.numpy()


@pytest.mark.parametrize("source", UPSTREAMS)
@pytest.mark.parametrize("shape", [(5, 3, 2, 2), (1, 1, 3), (4, 6)])
def test_upstream_gradient_is_autograd_of_its_loss(source, shape):
    rng = np.random.default_rng(1)
    y, x = rng.standard_normal(shape) * 3, rng.standard_normal(shape)
    channel = shape[1] - 1
    expected = torch_upstream(y, x, source, channel)
    np.testing.assert_allclose(
        upstream_gradient(y, x, source, channel=channel), expected, rtol=1e-10, atol=1e-15
    )


def test_upstream_gradient_refuses_what_it_cannot_compute():
    y = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match="unknown upstream gradient 'l1'"):
        upstream_gradient(y, y, "l1")
    with pytest.raises(ValueError, match="channel must be between 0 and 2, got 3"):
        upstream_gradient(y, y, "class", channel=3)
    with pytest.raises(ValueError, match="share one"):
        upstream_gradient(y, y[:1], "zero")


def setting(norm: str, training: bool, source: str = "class"):
    """The page's computation at one setting: input, forward, upstream gradient, backward."""
    population = Population(source="synthetic", shape="skewed", seed=4)
    shape, gamma = (6, 4, 3, 3), np.linspace(0.5, 1.5, 4)
    running = running_statistics(
        [batch_moments(make_input(32, 4, 3, 3, population, b)) for b in range(1, 6)], 4
    )
    x = make_input(*shape, population)
    e = run(x, norm, num_groups=2, gamma=gamma, beta=np.full(4, 0.2), training=training, running_mean=running[0],
            running_var=running[1])  # fmt: skip
    dy = upstream_gradient(e.output, x.reshape(e.output.shape), source, channel=2).reshape(shape)
    kwargs = dict(num_groups=2, weight=None if norm == "none" else gamma, training=training,
                  running_mean=running[0], running_var=running[1])  # fmt: skip
    return x, e, dy, kwargs, population, tuple(gamma)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("training", [True, False])
def test_summary_states_what_the_gradients_do(norm, training):
    x, e, dy, kwargs, _, _ = setting(norm, training)
    back = explain_backward(x, norm, dy, **kwargs)
    s = summarize_backward(dy, e, back, training, follow=(1, 2, 4), max_sets=3)
    full = back.full.grad_input
    assert s.followed["full"] == pytest.approx(float(full[1, 2, 4]))
    assert s.followed["dy"] == pytest.approx(float(dy.reshape(full.shape)[1, 2, 4]))
    assert s.full.counts.sum() == s.upstream.counts.sum() == full.size  # every value binned
    np.testing.assert_array_equal(s.full.edges, s.naive.edges)  # compared panels share their range
    np.testing.assert_array_equal(s.upstream.edges, s.grad.edges)
    assert s.set_ids.size == min(3, back.sums_full.size) and s.num_sets == back.sums_full.size
    if statistics_in_gradient(norm, training):
        # the ε identity on every set, to float32 rounding (the gradients keep the input's dtype)
        assert s.identity_error <= 1e-7 * max(s.largest_dot_naive, 1e-12)
        np.testing.assert_allclose(s.eps_factor, 1e-5 / (e.var[:3] + 1e-5))
        assert s.naive_gap > 0
        if norm != "rms":  # centred norms: the mean cannot move
            assert s.largest_sum_full <= 1e-5 * s.largest_sum_naive
    else:
        assert s.eps_factor is None and s.naive_gap == 0.0  # constants: full gradient = naive


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("training", [True, False])
def test_coupling_summary_marks_the_other_examples_under_train_mode_batch_norm_only(norm, training):
    x, e, dy, kwargs, _, _ = setting(norm, training)
    coupling = batch_coupling(x, norm, dy, 3, dy[3] * 1.0, **kwargs)  # factor 2
    s = summarize_coupling(coupling, max_rows=4)
    coupled = norm in ("batch", "batch_renorm") and training
    assert s.others == ([0, 1, 2, 4, 5] if coupled else [])
    assert (s.largest_other > 0) == coupled and s.largest_own > 0
    assert s.first == 1 and s.change.shape == (4, 4) and s.rows == 6  # a window around example 3
    np.testing.assert_array_equal(s.change, coupling.change[1:5])
    one_pass = coupling_of_change(x, norm, 3, dy[3], **kwargs)  # what the page computes: by linearity
    assert one_pass.other_examples_affected == coupling.other_examples_affected
    np.testing.assert_allclose(one_pass.change, coupling.change, rtol=0, atol=1e-6 * coupling.change.max())


# ---------------------------------------------------------------- the view's path: one basis per batch


def basis_of(x, e, norm, kwargs):
    return backward_basis(x, norm, e.var, **{k: v for k, v in kwargs.items() if k != "weight"})


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("source", UPSTREAMS)
def test_view_summary_from_the_basis_is_the_backward_summary(norm, training, source):
    """What the page computes (statistics once per batch, only what is drawn) equals summarize_backward of
    explain_backward (itself equal to torch autograd): the same bins, the same numbers up to rounding."""
    x, e, dy, kwargs, _, _ = setting(norm, training, source)
    old = summarize_backward(
        dy, e, explain_backward(x, norm, dy, **kwargs), training, follow=(1, 2, 4), max_sets=3
    )
    new = summarize_gradients(
        basis_of(x, e, norm, kwargs), dy, kwargs["weight"], follow=(1, 2, 4), max_sets=3
    )
    for name in ("upstream", "grad", "full", "naive", "difference"):
        np.testing.assert_array_equal(getattr(new, name).counts, getattr(old, name).counts, err_msg=name)
        np.testing.assert_array_equal(getattr(new, name).edges, getattr(old, name).edges, err_msg=name)
    np.testing.assert_array_equal(new.set_ids, old.set_ids)
    assert new.num_sets == old.num_sets and new.followed == pytest.approx(old.followed, rel=1e-6)
    for name in ("sums_full", "sums_naive", "dots_full", "dots_naive"):
        scale = np.abs(getattr(old, name)).max()
        np.testing.assert_allclose(getattr(new, name), getattr(old, name), rtol=1e-9, atol=1e-12 * scale)
    for name in ("largest_sum_full", "largest_sum_naive", "naive_scale", "largest_dot_naive", "naive_gap"):
        assert getattr(new, name) == pytest.approx(getattr(old, name), rel=1e-9, abs=1e-15), name
    assert new.identity_error == pytest.approx(old.identity_error, abs=1e-12 * old.largest_dot_naive)
    if old.eps_factor is None:
        assert new.eps_factor is None
    else:
        np.testing.assert_array_equal(new.eps_factor, old.eps_factor)


@pytest.mark.parametrize("norm", NORMS)
def test_view_summary_in_float64_keeps_the_eps_identity(norm):
    x, e, dy, kwargs, _, _ = setting(norm, True)
    x = x.astype(np.float64)
    e = run(x, norm, num_groups=2, gamma=kwargs["weight"], training=True, running_mean=kwargs["running_mean"],
            running_var=kwargs["running_var"])  # fmt: skip
    old = summarize_backward(dy, e, explain_backward(x, norm, dy, **kwargs), True)
    new = summarize_gradients(basis_of(x, e, norm, kwargs), dy, kwargs["weight"])
    assert new.identity_error == pytest.approx(old.identity_error, abs=1e-12 * old.largest_dot_naive)
    np.testing.assert_allclose(new.dots_full, old.dots_full, rtol=1e-6, atol=1e-12 * old.largest_dot_naive)
    assert new.grad.counts.sum() == x.size


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(("example", "factor"), [(3, 2), (0, -1), (5, 10), (2, 0)])
def test_view_coupling_from_the_changed_example_is_the_coupling(norm, training, example, factor):
    """The coupling from the changed example's values alone (the others' by the extremes of their x̂)
    equals the coupling of two full backward passes (batch_coupling) and of one (coupling_of_change)."""
    x, e, dy, kwargs, _, _ = setting(norm, training, "input")
    delta = (factor - 1) * dy[example]
    coupling = batch_coupling(x, norm, dy, example, delta, **kwargs)
    two = summarize_coupling(coupling, max_rows=4)
    one = summarize_coupling(coupling_of_change(x, norm, example, delta, **kwargs), max_rows=4)
    new = summarize_coupling_of_change(
        basis_of(x, e, norm, kwargs), example, delta, kwargs["weight"], max_rows=4
    )
    assert new.others == one.others == two.others
    assert (new.example, new.first, new.rows) == (two.example, two.first, two.rows)
    np.testing.assert_array_equal(new.change > 0, two.change > 0)  # who is marked: the same cells
    np.testing.assert_allclose(new.change, one.change, rtol=1e-6, atol=1e-12 * one.change.max())
    assert new.largest_other == pytest.approx(one.largest_other, rel=1e-6, abs=1e-12 * one.largest_own)
    assert new.largest_own == pytest.approx(one.largest_own, rel=1e-6)
    # two float32 passes subtracted (after - before) lose digits where a small set cancels (instance
    # norm on 3 x 3 values): equal to 1e-4 of the largest change, where the one-pass forms agree to 1e-6
    np.testing.assert_allclose(new.change, two.change, rtol=0, atol=1e-4 * two.change.max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", ["gradients", "offset", "on_edges", "constant", "nan"])
def test_view_bins_are_numpys_histogram(dtype, case):
    """The view's binning places every value where np.histogram does, also values on an edge (or within
    rounding of one), far from zero, all equal, and (by falling back to it) non-finite ones."""
    from normcore.backward_view import BLOCK, _bins

    rng = np.random.default_rng(7)
    size = 2 * BLOCK + 123  # more than one block, the last one short
    values = {
        "gradients": rng.standard_normal(size) * 3e-7,
        "offset": 1000 + rng.standard_normal(size) * 1e-3,
        "on_edges": np.round(rng.uniform(-1, 1, size) * 25)
        / 25,  # 0.04 steps: the edges of 50 bins on [-1, 1]
        "constant": np.full(size, 0.1),
        "nan": np.where(rng.uniform(size=size) < 0.01, np.nan, rng.standard_normal(size)),
    }[case].astype(dtype)
    low, high = (-1.0, 1.0) if case == "on_edges" else (float(np.nanmin(values)), float(np.nanmax(values)))
    span = high - low
    value_range = (low, high) if case == "on_edges" else (low - 0.05 * span, high + 0.05 * span)
    ours = _bins(values, 50, value_range, (float(values.min()), float(values.max())))
    theirs = histogram(values, 50, value_range)
    np.testing.assert_array_equal(ours.edges, theirs.edges)
    np.testing.assert_array_equal(ours.counts, theirs.counts)
    assert ours.counts.sum() == np.isfinite(values).sum()


def test_view_coupling_refuses_an_example_outside_the_batch():
    x, e, dy, kwargs, _, _ = setting("batch", True)
    with pytest.raises(ValueError, match="example must be between 0 and 5, got 6"):
        summarize_coupling_of_change(basis_of(x, e, "batch", kwargs), 6, dy[0], kwargs["weight"])


def test_the_views_caches_keep_the_latest_few_and_share_them():
    from ui import cached

    made = []

    def upper(key: str) -> str:
        made.append(key)
        return key.upper()

    for key in ["a", "b", "a", "c", "b"]:
        cached.resource(upper, key, bound=2)
    assert made == ["a", "b", "c", "b"]  # "a" was used again before "c" came, so "b" left first
    assert len(cached._tables[f"{upper.__module__}.{upper.__qualname__}"]) == 2


# ---------------------------------------------------------------- the snippet's backward pass


def snippet_grad(setup: Setup) -> tuple[np.ndarray, float]:
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(pytorch_snippet(setup), "<snippet>", "exec"), namespace)
    return namespace["x"].grad.numpy(), float(out.getvalue().split()[-1])


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("source", UPSTREAMS)
def test_snippet_backward_prints_the_pages_gradient(norm, training, source):
    x, _, dy, kwargs, population, gamma = setting(norm, training, source)
    back = explain_backward(x, norm, dy, **kwargs)
    setup = Setup(norm, x.shape, population, gamma, (0.2,) * 4, training, 2, 1e-5, 0.1, 5, 32,
                  follow=(1, 2, 0, 1), upstream=source)  # fmt: skip
    grad, printed = snippet_grad(setup)
    scale = np.abs(back.naive.grad_input).max()  # torch works in float32: compare at its precision
    np.testing.assert_allclose(grad, back.full.grad_input.reshape(x.shape), rtol=0, atol=1e-5 * scale)
    assert printed == pytest.approx(
        float(back.full.grad_input.reshape(x.shape)[1, 2, 0, 1]), abs=1e-5 * scale
    )


def test_snippet_without_upstream_has_no_backward_pass():
    setup = Setup("batch", (2, 2, 2, 2), Population(), (1.0, 1.0), (0.0, 0.0))
    code = pytorch_snippet(setup)
    assert "backward" not in code and "torch.no_grad()" in code


# ---------------------------------------------------------------- figures


def test_histogram_panels_draw_the_counts_on_one_range():
    a, b = np.arange(10.0), np.arange(5.0) * 2
    hists = [histogram(v, 5, (0.0, 10.0)) for v in (a, b)]
    fig = figs.histogram_panels(hists, ["A", "B"], ["red", "blue"], title="t", labels={"x": "v", "y": "n"})
    assert len(fig.data) == 2
    np.testing.assert_array_equal(fig.data[0].y, hists[0].counts)
    np.testing.assert_array_equal(fig.data[1].y, hists[1].counts)
    assert list(fig.layout.xaxis.range) == list(fig.layout.xaxis2.range) == [0.0, 10.0]
    assert [a.text for a in fig.layout.annotations] == ["A", "B"]
    grid = figs.histogram_panels(
        hists * 2, list("ABCD"), ["red"] * 4, title="t", labels={"x": "v", "y": "n"}, cols=2
    )
    assert len(grid.data) == 4 and list(grid.layout.xaxis4.range) == [0.0, 10.0]
    assert grid.layout.yaxis3.title.text == "n" and grid.layout.yaxis2.title.text is None  # one per row


def test_set_sums_bars_are_the_cores_sums():
    x, e, dy, kwargs, _, _ = setting("batch", True)
    back = explain_backward(x, "batch", dy, **kwargs)
    ids = np.arange(4)
    labels = {"full": "F", "naive": "N", "sum": "S", "dot": "D", "x": "set"}
    fig = figs.set_sums(ids, (back.sums_full, back.sums_naive), (back.dots_full, back.dots_naive), title="t",
                        labels=labels)  # fmt: skip
    assert len(fig.data) == 4
    np.testing.assert_array_equal(fig.data[1].y, back.sums_naive)
    np.testing.assert_array_equal(fig.data[3].y, back.dots_naive)
    assert [tr.name for tr in fig.data] == ["F", "N", "F", "N"]


def test_coupling_block_marks_changed_cells_and_the_chosen_example():
    change = np.array([[0.0, 0.5], [0.2, 0.0], [0.0, 0.0]])
    labels = {"unchanged": "u", "changed": "c", "chosen": "k", "x": "c", "y": "n", "hover": "{n} {c} {v}"}
    fig = figs.coupling_block(change, 4, 5, title="t", labels=labels)
    kinds = np.array(fig.data[0].z)
    np.testing.assert_array_equal(kinds, [[0, 1], [2, 2], [0, 0]])
    assert list(fig.data[0].y) == [4, 5, 6]
    assert "%{customdata:.3g}" in fig.data[0].hovertemplate


def test_scale_curve_one_line_per_quantity():
    errors = {"out": [0.4, 1e-4, 0.0], "du": [0.3, 2e-4, 1e-5]}
    fig = figs.scale_curve(
        [0.01, 1.0, 100.0], errors, 1.0, title="t", labels={"x": "a", "y": "e", "current": "a=1"}
    )
    assert [tr.name for tr in fig.data] == ["out", "du"]
    assert list(fig.data[0].y) == [0.4, 1e-4, None]  # a zero has no point on the log axis
    assert fig.layout.xaxis.type == "log" and fig.layout.shapes[0].x0 == 1.0
    assert fig.layout.xaxis.dtick == fig.layout.yaxis.dtick == 1  # ticks at powers of ten only
