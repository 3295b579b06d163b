r"""What the Explorer's Backward view shows: an upstream gradient from a loss, and the gradients it becomes.

:func:`upstream_gradient` is :math:`\partial L / \partial y` for one of a few losses on the layer's
output ``y`` (each with PyTorch's default mean reduction, so ``loss.backward()`` gives the same):

- ``"class"``: cross-entropy with the channels as class scores at every (sample, position) and
  channel ``k`` the right class: ``F.cross_entropy(y, full((N, *), k))``; it pushes channel ``k``'s
  outputs up and the others down. :math:`dy = (\mathrm{softmax}_C(y) - \mathrm{onehot}(k)) / (N \cdot L)`.
- ``"zero"``: squared error to 0, ``0.5 * F.mse_loss(y, 0)``: :math:`dy = y / \text{count}`.
- ``"input"``: squared error to the layer's own input, ``0.5 * F.mse_loss(y, x)``:
  :math:`dy = (y - x) / \text{count}`.
- ``"random"``: a seeded random linear loss ``(r * y).sum() / count``, :math:`r \sim N(0, 1)`:
  :math:`dy = r / \text{count}`.

:func:`summarize_backward` bins and picks what the view draws from
:func:`normcore.backward.explain_backward`, as :func:`normcore.explorer.summarize` does for the forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from normcore.backward import BackwardExplained, Coupling, _full_gradient
from normcore.explorer import _range
from normcore.stats import Histogram, histogram
from normcore.teaching import BATCH_DEPENDENT, Explained

UPSTREAMS = ("class", "zero", "input", "random")
RANDOM_SEED = 0


def upstream_gradient(
    output: np.ndarray, input: np.ndarray, source: str, channel: int = 0, seed: int = RANDOM_SEED
) -> np.ndarray:
    r""":math:`\partial L / \partial y` of the loss ``source`` on the output ``y``, in its precision
    (at least float32: the backward functions use the input's dtype).

    Args:
        output: the layer's output :math:`y`, :math:`(N, C, *)`.
        input: the layer's input :math:`x`, the same shape (used by ``"input"``).
        source: one of :data:`UPSTREAMS`.
        channel: the right class for ``"class"``. Default: 0
        seed: the random loss's seed. Default: 0

    Shape:
        - output, input and the result: :math:`(N, C, *)`

    >>> y = np.array([[0.0, 0.0], [1.0, -1.0]])
    >>> upstream_gradient(y, y, "class", channel=1).round(4).tolist()
    [[0.25, -0.25], [0.4404, -0.4404]]
    """
    if source not in UPSTREAMS:
        raise ValueError(f"unknown upstream gradient {source!r}; expected one of {', '.join(UPSTREAMS)}")
    y = np.asarray(output)
    y = y.astype(np.result_type(y.dtype, np.float32), copy=False)
    if np.shape(input) != y.shape or y.ndim < 2:
        raise ValueError(
            f"output and input must share one (N, C, *) shape, got {y.shape} and {np.shape(input)}"
        )
    if source == "class":
        if not 0 <= channel < y.shape[1]:
            raise ValueError(f"channel must be between 0 and {y.shape[1] - 1}, got {channel}")
        exp = np.exp(y - y.max(axis=1, keepdims=True))
        grad = exp / exp.sum(axis=1, keepdims=True)  # softmax over the channels
        grad[:, channel] -= 1.0
        return grad / (y.size // y.shape[1])
    if source == "zero":
        return y / y.size
    if source == "input":
        return (y - np.asarray(input, dtype=y.dtype)) / y.size
    return (np.random.default_rng(seed).standard_normal(y.shape) / y.size).astype(y.dtype, copy=False)


@dataclass(frozen=True)
class BackwardSummary:
    """Everything the Backward view draws: bins, the first sets' sums and one element's numbers."""

    upstream: Histogram  # dy; every histogram here is binned on one shared range
    grad: Histogram  # the full dL/dx
    full: Histogram  # the same (drawn beside ``naive`` and ``difference``)
    naive: Histogram  # the statistics held constant
    difference: Histogram  # full - naive
    set_ids: np.ndarray  # the sets listed (the first ``max_sets``)
    sums_full: np.ndarray  # sum of dL/dx over each listed set
    sums_naive: np.ndarray
    dots_full: np.ndarray  # sum of dL/dx * x_hat over each listed set
    dots_naive: np.ndarray
    eps_factor: np.ndarray | None  # eps / (Var + eps) per listed set; None where the statistics are constants
    num_sets: int
    largest_sum_full: float  # over every set: max |sum dL/dx|
    largest_sum_naive: float
    naive_scale: float  # sum of |naive dL/dx| over a set, averaged over the sets: what "small" compares to
    identity_error: float  # max |dots_full - eps_factor * dots_naive| over every set (0 when no identity)
    largest_dot_naive: float
    naive_gap: float  # max |full - naive|
    followed: dict  # dy, full and naive dL/dx of the followed element


def statistics_in_gradient(norm: str, training: bool) -> bool:
    """Whether the gradient flows through statistics of the batch (False: batch norm in eval, "none")."""
    return norm != "none" and (training or norm not in BATCH_DEPENDENT)


def summarize_backward(
    grad_output: np.ndarray,
    explained: Explained,
    backward: BackwardExplained,
    training: bool,
    *,
    follow: tuple[int, int, int] = (0, 0, 0),
    bins: int = 50,
    max_sets: int = 8,
) -> BackwardSummary:
    """Bin ``backward`` (the gradients of ``explained``'s norm for ``grad_output``) for the view.

    ``eps_factor`` is :math:`\\epsilon / (\\mathrm{Var} + \\epsilon)` from ``explained.var`` (the mean
    square for RMS norm): the full gradient's :math:`\\sum dx \\, \\hat x` is this times the naive one's.
    """
    full, naive = backward.full.grad_input, backward.naive.grad_input  # (N, C, L), the input's dtype
    dy = np.asarray(grad_output, dtype=full.dtype).reshape(full.shape)  # as the backward used it
    difference = full - naive
    shared = _range(dy, full, naive, difference)  # every panel on one range: they are compared
    grad = histogram(full, bins, shared)
    ids = np.arange(min(backward.sums_full.size, max_sets))
    factor = None
    identity_error = 0.0
    if statistics_in_gradient(explained.norm, training):
        all_factors = explained.eps / (explained.var + explained.eps)
        factor = all_factors[ids]
        identity_error = float(np.abs(backward.dots_full - all_factors * backward.dots_naive).max())
    n, c, p = follow
    return BackwardSummary(
        upstream=histogram(dy, bins, shared),
        grad=grad,
        full=grad,
        naive=histogram(naive, bins, shared),
        difference=histogram(difference, bins, shared),
        set_ids=ids,
        sums_full=backward.sums_full[ids],
        sums_naive=backward.sums_naive[ids],
        dots_full=backward.dots_full[ids],
        dots_naive=backward.dots_naive[ids],
        eps_factor=factor,
        num_sets=int(backward.sums_full.size),
        largest_sum_full=float(np.abs(backward.sums_full).max()),
        largest_sum_naive=float(np.abs(backward.sums_naive).max()),
        naive_scale=float(np.abs(naive).sum(dtype=np.float64) / backward.sums_naive.size),
        identity_error=identity_error,
        largest_dot_naive=float(np.abs(backward.dots_naive).max()),
        naive_gap=float(np.abs(difference).max(initial=0.0)),
        followed={"dy": float(dy[n, c, p]), "full": float(full[n, c, p]), "naive": float(naive[n, c, p])},
    )


@dataclass(frozen=True)
class CouplingSummary:
    """Who is affected when one example's upstream gradient changes: the block's first rows."""

    example: int
    first: int  # the first sample shown
    change: np.ndarray  # (rows, C): max |after - before| of each (sample, channel) from ``first`` on
    others: list[int]  # every other example whose input gradient changed (all rows, not just shown)
    largest_other: float  # max change outside the example (0 when no coupling)
    largest_own: float  # max change inside it
    rows: int  # of N


def coupling_of_change(input: np.ndarray, norm: str, example: int, delta: np.ndarray, **kwargs) -> Coupling:
    """:func:`normcore.backward.batch_coupling` in one backward pass instead of two.

    For a fixed input the backward pass is linear in the upstream gradient, so what changes when
    ``delta`` is added to example ``example``'s upstream gradient is the gradient of ``delta`` alone
    (zero everywhere else). ``before`` is returned as zeros: the gradient of a zero upstream gradient.
    ``**kwargs`` as :func:`normcore.backward.batch_coupling`.

    >>> x = np.random.default_rng(0).standard_normal((4, 3))
    >>> coupling_of_change(x, "batch", 1, np.ones(3)).other_examples_affected
    [0, 2, 3]
    """
    if not 0 <= example < input.shape[0]:
        raise ValueError(f"example must be between 0 and {input.shape[0] - 1}, got {example}")
    padded = np.zeros(input.shape, dtype=input.dtype)
    padded[example] = np.asarray(delta, dtype=input.dtype)
    after = _full_gradient(input, norm, padded, **kwargs)  # (N, C, L)
    change = np.abs(after).max(axis=2).astype(np.float64)  # (N, C)
    return Coupling(example, change, np.zeros_like(after), after)


def summarize_coupling(coupling: Coupling, max_rows: int = 16) -> CouplingSummary:
    """The shown part of :func:`normcore.backward.batch_coupling`'s result: ``max_rows`` samples
    around the changed example."""
    change = coupling.change
    others = np.delete(change, coupling.example, axis=0)
    first = max(0, min(coupling.example - max_rows // 2, change.shape[0] - max_rows))
    return CouplingSummary(
        example=coupling.example,
        first=first,
        change=change[first : first + max_rows].copy(),
        others=coupling.other_examples_affected,
        largest_other=float(others.max(initial=0.0)),
        largest_own=float(change[coupling.example].max(initial=0.0)),
        rows=change.shape[0],
    )
