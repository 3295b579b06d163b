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

from normcore import functional as F
from normcore.backward import (
    BackwardExplained,
    Coupling,
    _full_gradient,
    _set_sums,
    normalize_backward,
    standardize,
)
from normcore.explorer import _range
from normcore.stats import Histogram, _resolvable, bin_index, histogram, value_range
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
        grad = np.exp(y - y.max(axis=1, keepdims=True))
        grad /= grad.sum(axis=1, keepdims=True)  # softmax over the channels (in place: one array, not three)
        grad[:, channel] -= 1.0
        grad /= y.size // y.shape[1]
        return grad
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
    return _summarize_change(coupling.example, coupling.change, max_rows)


def _summarize_change(example: int, change: np.ndarray, max_rows: int) -> CouplingSummary:
    """``change`` (N, C): max |change| of each (sample, channel)'s input gradient, example ``example`` changed."""
    others = np.delete(change, example, axis=0)
    first = max(0, min(example - max_rows // 2, change.shape[0] - max_rows))
    return CouplingSummary(
        example=example,
        first=first,
        change=change[first : first + max_rows].copy(),
        others=[int(i) for i in np.flatnonzero((change > 0).any(axis=1)) if i != example],
        largest_other=float(others.max(initial=0.0)),
        largest_own=float(change[example].max(initial=0.0)),
        rows=change.shape[0],
    )


# ---------------------------------------------------------------- the view's path: one basis per batch


@dataclass(frozen=True)
class BackwardBasis:
    """What the view's gradients need that neither γ, β nor the upstream gradient changes (one per batch).

    The values are viewed as ``(N, C, L)`` or, for group norm, ``(N, G, C//G * L)`` (``set_shape``), with
    each set along ``axes``; ``inv_std`` broadcasts to that view and ``gain`` (:math:`r / \\sigma`) to
    ``(N, C, L)``. ``x_hat`` is float64, from the statistics the gradient flows through (before Batch
    Renorm's ``r`` and ``d``), as :func:`normcore.backward.explain_backward` computes them.
    """

    norm: str
    dtype: np.dtype  # the input's: the gradients are returned in it
    shape: tuple[int, int, int]  # (N, C, L)
    x_hat: np.ndarray  # (N, C, L) float64, read-only
    set_shape: tuple[int, int, int]  # the view whose ``axes`` are the sets
    axes: tuple[int, ...]
    center: bool  # False for RMS norm (no mean term)
    inv_std: np.ndarray | float  # broadcastable to ``set_shape``
    gain: np.ndarray | float  # r / sigma, broadcastable to (N, C, L): the naive gradient is dy * gamma * gain
    r: np.ndarray | float  # Batch Renorm's r in training, (1, C, 1); else 1.0
    in_gradient: bool  # whether the statistics are in the gradient (statistics_in_gradient)
    eps_factor: np.ndarray | None  # eps / (Var + eps) per set, where ``in_gradient``
    x_hat_low: np.ndarray | None  # (N, C) min and max of x_hat over each (sample, channel)'s positions,
    x_hat_high: np.ndarray | None  # where the sets span the batch (batch-dependent norms in training)


def backward_basis(
    input: np.ndarray,
    norm: str,
    var: np.ndarray,
    *,
    num_groups: int = 1,
    training: bool = True,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    eps: float = 1e-5,
    r_max: float = 3.0,
    d_max: float = 5.0,
) -> BackwardBasis:
    """The statistics of :func:`normcore.backward.explain_backward` for ``input``, made once per batch.

    ``var`` is the forward's variance per set (``Explained.var``), for :math:`\\epsilon / (\\mathrm{Var} +
    \\epsilon)`. The other arguments as :func:`normcore.backward.explain_backward` (no γ, β: they come
    with each upstream gradient).

    >>> x = np.array([[1.0, 2.0], [3.0, 5.0], [5.0, 3.0]])
    >>> b = backward_basis(x, "batch", x.var(axis=0))
    >>> b.set_shape, b.axes, b.eps_factor.round(8).tolist()
    ((3, 2, 1), (0, 2), [3.75e-06, 6.43e-06])
    """
    n, c = input.shape[:2]
    x = input.reshape(n, c, -1)  # (N, C, L)
    shape = x.shape
    in_gradient = statistics_in_gradient(norm, training)
    set_shape, axes, center, r = shape, (0, 2), True, 1.0
    if norm == "none":
        x_hat, inv_std = x.astype(np.float64), 1.0
    elif norm in BATCH_DEPENDENT and not training:  # running statistics: constants
        inv_std = 1.0 / np.sqrt(np.reshape(running_var, (1, c, 1)) + eps)  # (1, C, 1)
        x_hat = (x - np.reshape(running_mean, (1, c, 1))) * inv_std
    elif norm in BATCH_DEPENDENT:
        x_hat, inv_std = standardize(x, axes, eps)  # (N, C, L), (1, C, 1)
        if norm == "batch_renorm":
            r = F.renorm_corrections(x, running_mean, running_var, eps, r_max, d_max)[0].reshape(1, c, 1)
    elif norm in ("layer", "rms"):  # each sample's (C, L) values
        axes, center = (1, 2), norm == "layer"
        x_hat, inv_std = standardize(x, axes, eps, center=center)  # (N, C, L), (N, 1, 1)
    else:  # instance and group norm: (sample, group) sets
        groups = c if norm == "instance" else num_groups
        set_shape, axes = (n, groups, shape[1] // groups * shape[2]), (2,)
        x_hat, inv_std = standardize(x.reshape(set_shape), axes, eps)  # (N, G, C//G * L), (N, G, 1)
        x_hat = x_hat.reshape(shape)
    channel_inv_std = inv_std
    if set_shape != shape:  # one per (sample, group), spread over the group's channels: (N, C, 1)
        channel_inv_std = np.repeat(inv_std, c // set_shape[1], axis=1)
    eps_factor = eps / (np.asarray(var, dtype=np.float64) + eps) if in_gradient else None
    low = high = None
    if in_gradient and norm in BATCH_DEPENDENT:
        low, high = x_hat.min(axis=2), x_hat.max(axis=2)
    x_hat.setflags(write=False)
    return BackwardBasis(norm, x.dtype, shape, x_hat, set_shape, axes, center, inv_std, channel_inv_std * r, r,
                         in_gradient, eps_factor, low, high)  # fmt: skip


def _scaled(grad_output: np.ndarray, weight: np.ndarray | None, r) -> np.ndarray:
    """``dy * gamma * r`` in float64, (N, C, L), a new array: the gradient with respect to the normalized values."""
    c = grad_output.shape[1]
    g = grad_output.astype(np.float64)
    if weight is not None:
        g *= np.asarray(weight, np.float64).reshape(1, c, 1)
    if not isinstance(r, float):
        g *= r
    return g


def _full_in_place(basis: BackwardBasis, g: np.ndarray) -> np.ndarray:
    """The full dL/dx (float64) of the scaled upstream gradient ``g`` (N, C, L), written over ``g``.

    :func:`normcore.backward.normalize_backward`'s operations in its order (so its rounding), in place."""
    if not basis.in_gradient:  # the statistics are constants
        if basis.norm != "none":
            g *= basis.inv_std
        return g
    view = g.reshape(basis.set_shape)
    x_hat = basis.x_hat.reshape(basis.set_shape)
    work = view * x_hat
    projection = work.mean(axis=basis.axes, keepdims=True)
    if basis.center:
        view -= view.mean(axis=basis.axes, keepdims=True)
    np.multiply(x_hat, projection, out=work)
    view -= work
    view *= basis.inv_std
    return g


BLOCK = 1 << 16  # values binned at a time (as np.histogram): the temporaries stay in the CPU's cache


def _bins(
    values: np.ndarray, bins: int, value_range: tuple[float, float], extremes: tuple[float, float]
) -> Histogram:
    """:func:`normcore.stats.histogram` of ``values`` on ``value_range``: the same edges and counts.

    ``extremes`` are the values' min and max. When every value lies within the edges, each value's bin
    is :func:`normcore.stats.bin_index`'s, ``BLOCK`` values at a time; ~1.5x faster than np.histogram at
    2 M values. Else np.histogram (which leaves out what lies outside the range, non-finite values included)."""
    value_range = _resolvable(value_range, bins, values.dtype)
    flat = values.ravel()
    edges = np.histogram_bin_edges(flat[:0], bins, range=value_range)  # np.histogram's edges for this dtype
    if not float(edges[0]) <= extremes[0] <= extremes[1] <= float(edges[-1]):  # NaN included
        counts, edges = np.histogram(flat, bins=bins, range=value_range)
        return Histogram(edges, counts)
    counts = np.zeros(bins, np.intp)
    for start in range(0, flat.size, BLOCK):
        counts += np.bincount(bin_index(flat[start : start + BLOCK], edges), minlength=bins)
    return Histogram(edges, counts)


def summarize_gradients(
    basis: BackwardBasis,
    grad_output: np.ndarray,
    weight: np.ndarray | None,
    *,
    follow: tuple[int, int, int] = (0, 0, 0),
    bins: int = 50,
    max_sets: int = 8,
) -> BackwardSummary:
    """:func:`summarize_backward` of :func:`normcore.backward.explain_backward`, computed from ``basis``
    with only what the view draws (no ∂L/∂γ, ∂L/∂β; the statistics made once per batch).

    ``grad_output`` is ∂L/∂y, (N, C, *); ``weight`` the per-channel γ (None for "none"). Equal to the
    two functions' result up to float rounding.
    """
    n, c, length = basis.shape
    dy = np.asarray(grad_output).reshape(basis.shape).astype(basis.dtype, copy=False)  # as explain_backward
    work = _full_in_place(basis, _scaled(dy, weight, basis.r))  # float64, reused below
    full = work.astype(basis.dtype)
    gain = basis.gain if weight is None else basis.gain * np.reshape(weight, (1, c, 1))
    naive = np.multiply(dy, gain, out=np.empty_like(dy), casting="same_kind")  # in float64, then rounded
    difference = full - naive
    extremes = [(float(a.min()), float(a.max())) for a in (dy, full, naive, difference)]
    low, high = min(e[0] for e in extremes), max(e[1] for e in extremes)
    if np.isfinite(low) and np.isfinite(high):  # as normcore.explorer._range
        span = high - low or 1.0
        shared = (low - 0.05 * span, high + 0.05 * span)
    else:
        shared = value_range(dy, full, naive, difference)
    x_hat = basis.x_hat

    def sums(values):
        return _set_sums(values, basis.norm, basis.set_shape[1])

    sums_full, sums_naive = sums(full), sums(naive)
    dots_full = sums(np.multiply(full, x_hat, out=work))
    dots_naive = sums(np.multiply(naive, x_hat, out=work))
    ids = np.arange(min(sums_full.size, max_sets))
    factor, identity_error = None, 0.0
    if basis.in_gradient:
        factor = basis.eps_factor[ids]
        identity_error = float(np.abs(dots_full - basis.eps_factor * dots_naive).max())
    arrays = (dy, full, naive, difference)
    hists = [_bins(values, bins, shared, e) for values, e in zip(arrays, extremes, strict=True)]
    gap = max(abs(extremes[3][0]), abs(extremes[3][1]))
    if not np.isfinite(gap):
        gap = np.abs(difference).max(initial=0.0)
    scale = np.abs(naive, out=difference).sum(dtype=np.float64) / sums_naive.size  # difference is binned
    fn, fc, fp = follow
    return BackwardSummary(
        upstream=hists[0],
        grad=hists[1],
        full=hists[1],
        naive=hists[2],
        difference=hists[3],
        set_ids=ids,
        sums_full=sums_full[ids],
        sums_naive=sums_naive[ids],
        dots_full=dots_full[ids],
        dots_naive=dots_naive[ids],
        eps_factor=factor,
        num_sets=int(sums_full.size),
        largest_sum_full=float(np.abs(sums_full).max()),
        largest_sum_naive=float(np.abs(sums_naive).max()),
        naive_scale=float(scale),
        identity_error=identity_error,
        largest_dot_naive=float(np.abs(dots_naive).max()),
        naive_gap=float(gap),
        followed={"dy": float(dy[fn, fc, fp]), "full": float(full[fn, fc, fp]), "naive": float(naive[fn, fc, fp])},
    )  # fmt: skip


def summarize_coupling_of_change(
    basis: BackwardBasis, example: int, delta: np.ndarray, weight: np.ndarray | None, max_rows: int = 16
) -> CouplingSummary:
    r""":func:`summarize_coupling` of :func:`coupling_of_change`, from ``basis`` and example ``example``'s
    values alone.

    The gradient of ``delta`` added to one example's upstream gradient is zero outside that example
    unless the sets span the batch. Where they do (batch norm and Batch Renorm in training), another
    example ``n`` gets :math:`-\frac{\gamma r}{\sigma}(\mathrm{mean}(g) + \hat x_n \, \mathrm{mean}(g \hat x))`
    per channel, with both means over the changed example's values (the others' are 0): linear in
    :math:`\hat x_n`, so its largest magnitude over the positions is at the smallest or the largest
    :math:`\hat x_n` (kept in ``basis``). ``delta`` is (C, *); ``weight`` the per-channel γ or None.
    Equal to the two functions' result up to float rounding (the changes are rounded to the input's dtype
    as there).
    """
    n, c, length = basis.shape
    if not 0 <= example < n:
        raise ValueError(f"example must be between 0 and {n - 1}, got {example}")
    d = np.asarray(delta).reshape(1, c, length).astype(basis.dtype, copy=False)
    g = _scaled(d, weight, basis.r)  # (1, C, L)
    x_hat = basis.x_hat[example : example + 1]  # (1, C, L)
    change = np.zeros((n, c))
    if basis.in_gradient and basis.norm in BATCH_DEPENDENT:  # one set per channel, over the whole batch
        count = n * length
        mean = g.sum(axis=(0, 2), keepdims=True) / count  # (1, C, 1): the other examples' g are 0
        projection = (g * x_hat).sum(axis=(0, 2), keepdims=True) / count
        own = basis.inv_std * (g - mean - x_hat * projection)
        m, p, inv = mean.reshape(1, c), projection.reshape(1, c), basis.inv_std.reshape(1, c)
        change = inv * np.maximum(np.abs(m + p * basis.x_hat_low), np.abs(m + p * basis.x_hat_high))
    elif basis.in_gradient:  # sets inside one sample: the example's own sets
        view = (1, *basis.set_shape[1:])
        inv_std = basis.inv_std[example : example + 1]
        own = normalize_backward(g.reshape(view), x_hat.reshape(view), inv_std, basis.axes, basis.center)
    else:  # constant statistics (or none): elementwise
        own = g * basis.inv_std if basis.norm != "none" else g
    change[example] = np.abs(own.reshape(c, length)).max(axis=1)
    change = change.astype(basis.dtype).astype(np.float64)  # as the gradients there, in the input's dtype
    return _summarize_change(example, change, max_rows)
