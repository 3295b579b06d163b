"""The teaching view of an activation norm: its output *and* the statistics it used.

:func:`explain` runs one norm on an ``(N, C, *)`` batch and returns, beside the output,
the normalized values before the affine step, the mean and variance of every
normalization set, and which set each element belongs to (the N x C x (H*W) picture of
the Group Normalization paper). The numbers are the ones :mod:`normcore.functional`
computes, so a page can show them and a test can check them against PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from normcore import functional as F

NORMS = ("batch", "layer", "instance", "group", "rms", "batch_renorm", "none")
BATCH_DEPENDENT = ("batch", "batch_renorm")


@dataclass(frozen=True)
class Explained:
    """One norm applied to a batch, with everything it used.

    ``x_hat = (x - mean[set]) / sqrt(var[set] + eps)`` holds for every element (for RMS
    norm ``mean`` is 0 and ``var`` is the mean square; for Batch Renorm in training it
    holds before ``r`` and ``d`` are applied). ``output = weight[c] * x_hat' + bias[c]``.
    """

    norm: str
    output: np.ndarray  # (N, C, L)
    x_hat: np.ndarray  # (N, C, L), after r/d for batch renorm, before the affine step
    mean: np.ndarray  # (S,) one per normalization set
    var: np.ndarray  # (S,) biased, the one divided by
    set_index: np.ndarray  # broadcastable to (N, C, L): the set of each element
    eps: float
    batch_mean: np.ndarray | None = None  # BN in eval: the batch's own, for comparison
    batch_var: np.ndarray | None = None
    extra: dict = field(default_factory=dict)  # batch renorm's r and d

    @property
    def num_sets(self) -> int:
        return self.mean.shape[0]


def set_index(shape: tuple[int, ...], norm: str, num_groups: int = 1) -> np.ndarray:
    """Which normalization set each element of an ``(N, C, L)`` batch belongs to.

    Returns an int array broadcastable to ``shape`` (no copy per element):
    per channel for batch norm, per sample for layer and RMS norm, per
    (sample, channel) for instance norm, per (sample, group) for group norm.

    >>> set_index((2, 4, 3), "group", num_groups=2)[:, :, 0].tolist()
    [[0, 0, 1, 1], [2, 2, 3, 3]]
    """
    n, c, _ = shape
    if norm in BATCH_DEPENDENT:
        return np.arange(c).reshape(1, c, 1)
    if norm in ("layer", "rms"):
        return np.arange(n).reshape(n, 1, 1)
    if norm == "instance":
        return np.arange(n * c).reshape(n, c, 1)
    if norm == "group":
        groups = np.arange(c) // (c // num_groups)
        return (np.arange(n).reshape(n, 1) * num_groups + groups).reshape(n, c, 1)
    if norm == "none":
        return np.zeros((1, 1, 1), dtype=int)
    raise ValueError(f"unknown norm {norm!r}; expected one of {', '.join(NORMS)}")


def explain(
    input: np.ndarray,
    norm: str,
    *,
    num_groups: int = 1,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    training: bool = True,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    momentum: float = 0.1,
    eps: float = 1e-5,
    r_max: float = 3.0,
    d_max: float = 5.0,
) -> Explained:
    """Apply ``norm`` to ``input`` and return the output with the statistics it used.

    Args:
        input: activations, shape ``(N, C, *)``; the result is reshaped to ``(N, C, L)``.
        norm: one of :data:`NORMS`.
        num_groups: groups for group norm. Default: 1
        weight, bias: per-channel ``gamma``, ``beta`` (C,), for every norm. Default: None
        training: batch norm / renorm use batch statistics; False uses the running ones.
        running_mean, running_var: (C,) buffers, updated in place in training mode.
        momentum, eps, r_max, d_max: as in :mod:`normcore.functional`.

    >>> x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    >>> e = explain(x, "batch")
    >>> e.mean.tolist(), e.var.tolist(), round(float(e.output[0, 0, 0]), 4)
    ([4.0, 5.0], [5.0, 5.0], -1.3416)
    """
    F._check_input(input)
    F._check_eps(eps)
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; expected one of {', '.join(NORMS)}")
    n, c = input.shape[:2]
    x = input.reshape(n, c, -1)  # (N, C, L)
    if norm == "group":
        F._check_groups(c, num_groups)
    for name, value in [("weight", weight), ("bias", bias)]:
        F._check_param(name, value, (c,))
    if norm in BATCH_DEPENDENT:
        explained = _explain_batch(x, norm, training, running_mean, running_var, momentum, eps, r_max, d_max)
    elif norm == "none":
        explained = _explain_identity(x, eps)
    else:
        explained = _explain_per_sample(x, norm, num_groups, eps)
    output = F._affine(explained.x_hat.copy(), weight, bias, (1, c, 1))
    return _with_output(explained, output)


def _with_output(explained: Explained, output: np.ndarray) -> Explained:
    return Explained(**{**explained.__dict__, "output": output})


def _explain_per_sample(x: np.ndarray, norm: str, num_groups: int, eps: float) -> Explained:
    """Layer, instance, group and RMS norm: one reshape each around the shared primitive."""
    n, c, _ = x.shape
    if norm == "rms":
        flat = x.reshape(n, -1)  # (N, C * L)
        mean_square = np.square(flat, dtype=np.float64).mean(axis=1)
        mean = np.zeros(n)
        x_hat = F.rms_norm(flat, flat.shape[1:], eps=eps).reshape(x.shape)
        return Explained(norm, x_hat, x_hat, mean, mean_square, set_index(x.shape, norm), eps)
    groups = {"layer": 1, "instance": c, "group": num_groups}[norm]
    grouped = x.reshape(n * groups, -1)  # (N * G, C//G * L)
    x_hat, mean, var = F.normalize(grouped, (1,), eps)
    x_hat = x_hat.reshape(x.shape)  # (N, C, L)
    index = set_index(x.shape, norm, num_groups)
    return Explained(norm, x_hat, x_hat, mean.ravel(), var.ravel(), index, eps)


def _explain_batch(x, norm, training, running_mean, running_var, momentum, eps, r_max, d_max) -> Explained:
    """Batch norm and batch renorm: per-channel statistics, batch or running."""
    batch_mean = x.mean(axis=(0, 2), dtype=np.float64)
    batch_var = x.var(axis=(0, 2), dtype=np.float64)
    index = set_index(x.shape, norm)
    if not training:
        x_hat = F.batch_norm(x, running_mean, running_var, training=False, eps=eps)
        mean, var = np.array(running_mean, dtype=np.float64), np.array(running_var, dtype=np.float64)
        return Explained(norm, x_hat, x_hat, mean, var, index, eps, batch_mean, batch_var)
    extra = {}
    if norm == "batch_renorm":
        if running_mean is None or running_var is None:
            raise ValueError("batch renorm needs running_mean and running_var")
        extra["r"], extra["d"] = F.renorm_corrections(x, running_mean, running_var, eps, r_max, d_max)
        x_hat = F.batch_renorm(x, running_mean, running_var, None, None, True, momentum, eps, r_max, d_max)
    else:
        x_hat = F.batch_norm(x, running_mean, running_var, None, None, True, momentum, eps)
    return Explained(norm, x_hat, x_hat, batch_mean, batch_var, index, eps, batch_mean, batch_var, extra)


def _explain_identity(x: np.ndarray, eps: float) -> Explained:
    zero = np.zeros(1)
    return Explained("none", x, x.copy(), zero, np.ones(1) - eps, set_index(x.shape, "none"), eps)


def follow_element(explained: Explained, input: np.ndarray, n: int, c: int, position: int) -> dict:
    """The arithmetic for one element ``x[n, c, position]``: every intermediate number."""
    x = input.reshape(input.shape[0], input.shape[1], -1)
    s = int(np.broadcast_to(explained.set_index, x.shape)[n, c, position])
    value = float(x[n, c, position])
    mean, var = float(explained.mean[s]), float(explained.var[s])
    return {
        "x": value,
        "set": s,
        "mean": mean,
        "var": var,
        "std": float(np.sqrt(var + explained.eps)),
        "x_hat": float(explained.x_hat[n, c, position]),
        "y": float(explained.output[n, c, position]),
    }
