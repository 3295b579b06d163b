"""Every sentence of the catalogs that states a figure or an "exactly"/"always"/"never", computed with the
settings it is shown for. One test per claim, named after its catalog key (dots as underscores).

Sections are per feature; add yours in its own marked section.
"""

from __future__ import annotations

import numpy as np
import pytest

# ---- backward (issue 14: the Explorer's Backward view, its tour step and home paragraph) ----
from normcore.backward import batch_coupling, explain_backward  # noqa: E402
from normcore.backward_view import UPSTREAMS, summarize_backward, upstream_gradient  # noqa: E402
from normcore.explorer import Population, batch_moments, make_input, run, running_statistics  # noqa: E402
from ui import tour  # noqa: E402

CENTRED = ["batch", "layer", "instance", "group", "batch_renorm"]
TOUR_STEP = next(step for step in tour.STEPS if step.slug == "backward")


def explorer_backward(norm, training, source="class", shape=(8, 4, 4, 4), dtype=np.float32, channel=0):
    """The Backward view's computation at the Explorer's defaults (seeded synthetic batch, γ = 1, β = 0,
    ε = 1e-5, 20 warm-up batches, G = 2), as ``ui.explorer_backward.backward_summary`` runs it."""
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
    return x, dy, kwargs, summarize_backward(dy, e, back, training), back


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
