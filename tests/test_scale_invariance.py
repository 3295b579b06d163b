"""Batch norm's indifference to the weights' scale (BN paper §3.3), by torch autograd on digits."""

import doctest

import numpy as np
import pytest

from normcore import scale_invariance as S

SCALES = [0.1, 1.0, 10.0]


def relative(value, reference):
    return float(np.abs(value - reference).max() / np.abs(reference).max())


@pytest.fixture(scope="module")
def tiny_eps():
    """float64 with eps = 1e-15: the invariance with (nearly) nothing to break it."""
    return {a: S.scaled_layer(a, eps=1e-15, dtype="float64") for a in SCALES}


@pytest.mark.parametrize("a", SCALES)
def test_output_and_the_layer_input_gradient_are_unchanged_by_the_weight_scale(tiny_eps, a):
    one, scaled = tiny_eps[1.0], tiny_eps[a]
    assert relative(scaled.output, one.output) < 1e-11  # BN(Wu) = BN((aW)u)
    assert relative(scaled.grad_input, one.grad_input) < 1e-11  # dBN((aW)u)/du = dBN(Wu)/du
    assert scaled.loss == pytest.approx(one.loss, rel=1e-12)


@pytest.mark.parametrize("a", SCALES)
def test_the_weight_gradient_scales_by_one_over_a(tiny_eps, a):
    one, scaled = tiny_eps[1.0], tiny_eps[a]
    assert relative(scaled.grad_weight * a, one.grad_weight) < 1e-11  # dBN/d(aW) = (1/a) dBN/dW
    assert relative(scaled.grad_pre_norm * a, one.grad_pre_norm) < 1e-11
    assert scaled.weight_norm == pytest.approx(a * one.weight_norm, rel=1e-12)
    if a != 1.0:
        assert relative(scaled.grad_weight, one.grad_weight) > 0.5  # it does change, by the factor


def test_with_pytorchs_default_eps_in_float32_the_invariance_holds_to_what_eps_allows():
    """Measured: for a >= 1 within 2e-4 of the size, at a = 0.1 about 1e-2, at a = 0.01 broken (0.45)."""
    errors = S.invariance_errors([0.01, 0.1, 10.0, 1000.0])
    for a in (10.0, 1000.0):
        assert max(errors[a].values()) < 2e-4
    assert 5e-3 < min(errors[0.1].values()) and max(errors[0.1].values()) < 2e-2
    assert min(errors[0.01].values()) > 0.3


def test_the_deviation_at_small_scale_is_eps_over_a_squared_exactly():
    """Scaling W by a is the same as keeping W and using eps / a**2: with eps, BN sees a**2 Var + eps."""
    a, eps = 0.05, 1e-5
    scaled = S.scaled_layer(a, eps=eps, dtype="float64")
    same = S.scaled_layer(1.0, eps=eps / a**2, dtype="float64")
    assert relative(scaled.output, same.output) < 1e-12
    assert relative(scaled.grad_input, same.grad_input) < 1e-12
    assert relative(scaled.grad_weight * a, same.grad_weight) < 1e-12


def test_float32_and_float64_agree():
    single, double = S.scaled_layer(10.0), S.scaled_layer(10.0, dtype="float64")
    assert single.grad_input.dtype == np.float32
    for name in ("output", "grad_input", "grad_weight", "grad_pre_norm"):
        assert relative(getattr(single, name), getattr(double, name)) < 1e-4


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(scale=0.0), "scale must be positive"),
        (dict(scale=1.0, dtype="float16"), "dtype must be one of float32, float64"),
        (dict(scale=1.0, batch_size=1), "batch_size must be between 2 and 1438"),
    ],
)
def test_bad_input_says_what_to_change(kwargs, message):
    with pytest.raises(ValueError, match=message):
        S.scaled_layer(**kwargs)


def test_docstring_examples_run():
    results = doctest.testmod(S, extraglobs={"np": np})
    assert results.attempted >= 4 and results.failed == 0
