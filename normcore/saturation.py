"""One definition of a *saturated* unit, shared by every page, figure and test.

A unit is saturated when the local slope of its activation is below :data:`SLOPE_SHARE`
of the activation's peak slope (sigmoid: 1/4 at 0; tanh: 1 at 0). The thresholds on
the activation's output and on its input follow from that one number:

    sigmoid: σ(1 − σ) < SLOPE_SHARE · 1/4   ⇔  σ outside [low, high], |x| > logit(high)
    tanh:    1 − tanh² < SLOPE_SHARE       ⇔  |tanh| > √(1 − SLOPE_SHARE)
    ReLU:    slope 0 for input ≤ 0 (a dead unit for that input)

>>> round(sigmoid_edge(), 3), round(tanh_edge(), 3)
(3.636, 1.818)
"""

from __future__ import annotations

import math

import numpy as np

SLOPE_SHARE = 0.1  # saturated: the activation's slope is below 10% of its peak


def sigmoid_bounds(share: float = SLOPE_SHARE) -> tuple[float, float]:
    """The sigmoid outputs ``(low, high)`` outside which the slope is below ``share`` of its peak."""
    half_width = math.sqrt(1 - share) / 2  # σ(1 − σ) = share/4  ⇔  σ = 1/2 ± √(1 − share)/2
    return 0.5 - half_width, 0.5 + half_width


def sigmoid_edge(share: float = SLOPE_SHARE) -> float:
    """The input |x| beyond which a sigmoid is saturated: logit of the upper output bound."""
    low, high = sigmoid_bounds(share)
    return math.log(high / low)


def tanh_bound(share: float = SLOPE_SHARE) -> float:
    """The output |tanh| beyond which tanh is saturated (slope 1 − tanh² below ``share``)."""
    return math.sqrt(1 - share)


def tanh_edge(share: float = SLOPE_SHARE) -> float:
    """The input |x| beyond which tanh is saturated."""
    return math.atanh(tanh_bound(share))


def relative_slope(outputs: np.ndarray, activation: str) -> np.ndarray:
    """The activation's slope at each output, as a share of its peak slope (ReLU: 1 or 0)."""
    a = np.asarray(outputs, dtype=np.float64)
    if activation == "sigmoid":
        return a * (1 - a) / 0.25
    if activation == "tanh":
        return 1 - a**2
    if activation == "relu":
        return (a > 0).astype(np.float64)
    raise ValueError(f"activation must be 'sigmoid', 'tanh' or 'relu', got {activation!r}")


def input_slope(inputs: np.ndarray, activation: str) -> np.ndarray:
    """The activation's slope at each *input*, as a share of its peak slope."""
    x = np.asarray(inputs, dtype=np.float64)
    outputs = {"sigmoid": lambda: 1 / (1 + np.exp(-x)), "tanh": lambda: np.tanh(x), "relu": lambda: x}
    if activation not in outputs:
        raise ValueError(f"activation must be 'sigmoid', 'tanh' or 'relu', got {activation!r}")
    return relative_slope(outputs[activation](), activation)


def saturated_share(outputs: np.ndarray, activation: str) -> float:
    """The share of units whose slope is below :data:`SLOPE_SHARE` of the peak, from their outputs."""
    return float(np.mean(relative_slope(outputs, activation) < SLOPE_SHARE))
