r"""The backward pass of every activation norm, in closed form, on numpy arrays.

Every norm here is "normalize over these axes" (:mod:`normcore.functional`), so every
backward is one primitive, :func:`normalize_backward`, wrapped in the same reshapes. For
:math:`\hat x = (x - \mu) / \sigma` with :math:`\sigma = \sqrt{\mathrm{Var}[x] + \epsilon}`
over a set of :math:`m` values and :math:`g = \partial L / \partial \hat x`, the gradient
that accounts for :math:`\mu` and :math:`\sigma` depending on every value of the set is
(Ioffe & Szegedy, 2015, §3, the chain rule below Algorithm 1, simplified):

.. math::
    \frac{\partial L}{\partial x} = \frac{1}{\sigma}\left(g - \mathrm{mean}(g)
        - \hat x \, \mathrm{mean}(g \hat x)\right)

RMS norm has no mean term, ``(1 / rms) * (g - x_hat * mean(g * x_hat))``. With
``stats_in_grad=False`` each function returns the *naive* gradient instead: the
statistics treated as constants (a stop-gradient through :math:`\mu` and :math:`\sigma`),
``g / sigma``: the scheme the BN paper's §2 warns about (a bias that grows indefinitely while
the loss stays fixed; models that blow up when the statistics are computed outside the gradient).

The full gradient sums to zero over every set (moving the set's mean cannot change the
output) and is orthogonal to :math:`\hat x` up to the factor
:math:`\epsilon / (\mathrm{Var}[x] + \epsilon)` (with :math:`\epsilon = 0`, scaling the set
cannot change the output): exactly,
:math:`\sum \frac{\partial L}{\partial x} \hat x = \frac{\epsilon}{\mathrm{Var}[x] + \epsilon}
\frac{1}{\sigma} \sum g \hat x`. :func:`explain_backward` returns both per set.

Results keep the input's dtype; they are computed in float64 throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from normcore import functional as F
from normcore import teaching


class Gradients(NamedTuple):
    """:math:`\\partial L / \\partial x`, :math:`\\partial L / \\partial \\gamma`,
    :math:`\\partial L / \\partial \\beta`; a parameter that was None gets None, as in PyTorch."""

    grad_input: np.ndarray
    grad_weight: np.ndarray | None
    grad_bias: np.ndarray | None


# ---------------------------------------------------------------- the primitive


def standardize(
    input: np.ndarray, axes: tuple[int, ...], eps: float, center: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """``(x_hat, 1 / sigma)`` in float64 over ``axes``; ``center=False`` divides by the RMS (no mean)."""
    x = input.astype(np.float64)
    if center:
        x, _, var = F.center(x, axes)
    else:
        var = np.square(x).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    return x * inv_std, inv_std


def normalize_backward(
    grad_x_hat: np.ndarray,
    x_hat: np.ndarray,
    inv_std: np.ndarray,
    axes: tuple[int, ...],
    center: bool = True,
    stats_in_grad: bool = True,
) -> np.ndarray:
    r"""The gradient through :math:`\hat x = (x - \mu) / \sigma` over ``axes``.

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{\sigma}\left(g - \mathrm{mean}(g)
            - \hat x \, \mathrm{mean}(g \hat x)\right)

    Args:
        grad_x_hat: :math:`g = \partial L / \partial \hat x`.
        x_hat: the normalized values.
        inv_std: :math:`1 / \sigma`, reduced axes kept as size 1.
        axes: the axes that share one set of statistics.
        center: False for RMS norm (no mean, so no mean term). Default: True
        stats_in_grad: False treats :math:`\mu` and :math:`\sigma` as constants:
            :math:`g / \sigma`. Default: True

    Shape:
        - all arrays broadcast to the input's shape

    >>> x_hat, inv_std = standardize(np.array([[1.0, 3.0]]), (1,), eps=0.0)
    >>> normalize_backward(np.array([[1.0, 0.0]]), x_hat, inv_std, (1,)).tolist()
    [[0.0, 0.0]]
    """
    if not stats_in_grad:
        return grad_x_hat * inv_std
    projection = (grad_x_hat * x_hat).mean(axis=axes, keepdims=True)
    if center:
        grad_x_hat = grad_x_hat - grad_x_hat.mean(axis=axes, keepdims=True)
    return inv_std * (grad_x_hat - x_hat * projection)


def _gradients(input, grad_input, grad_output, x_hat, weight, bias, param_axes) -> Gradients:
    """Cast ``grad_input`` back; add ``sum(dy * x_hat)`` and ``sum(dy)`` over ``param_axes``."""
    dtype = input.dtype
    grad_weight = None if weight is None else (grad_output * x_hat).sum(axis=param_axes).astype(dtype)
    grad_bias = None if bias is None else grad_output.sum(axis=param_axes).astype(dtype)
    return Gradients(grad_input.astype(dtype), grad_weight, grad_bias)


def _check_grad_output(grad_output: np.ndarray, input: np.ndarray) -> np.ndarray:
    if np.shape(grad_output) != input.shape:
        raise ValueError(
            f"grad_output should have the input's shape {tuple(input.shape)}, "
            f"got {tuple(np.shape(grad_output))}"
        )
    return np.asarray(grad_output, dtype=np.float64)


def _scale(grad_output: np.ndarray, weight: np.ndarray | None, shape) -> np.ndarray:
    """``grad_output * weight``: the gradient with respect to the normalized values."""
    return grad_output if weight is None else grad_output * np.asarray(weight, np.float64).reshape(shape)


# ---------------------------------------------------------------- validation, as the forward's


def _check_trailing(input, normalized_shape, weight, bias, eps) -> tuple[int, ...]:
    F._check_input(input, min_dim=1)
    F._check_eps(eps)
    trailing = F._trailing_shape(input, normalized_shape)
    F._check_param("weight", weight, trailing)
    F._check_param("bias", bias, trailing)
    return trailing


# ---------------------------------------------------------------- batch norm


def batch_norm_backward(
    grad_output: np.ndarray,
    input: np.ndarray,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    training: bool = False,
    eps: float = 1e-5,
    *,
    stats_in_grad: bool = True,
) -> Gradients:
    r"""The gradients of :func:`normcore.functional.batch_norm` for an upstream ``grad_output``.

    Training (Ioffe & Szegedy, 2015, §3), over each channel's set of :math:`N \cdot H \cdot W` values:

    .. math::
        \frac{\partial L}{\partial x} = \frac{\gamma}{\sigma_B}\left(dy - \mathrm{mean}(dy)
            - \hat x \, \mathrm{mean}(dy \, \hat x)\right), \quad
        \frac{\partial L}{\partial \gamma} = \sum dy \, \hat x, \quad
        \frac{\partial L}{\partial \beta} = \sum dy

    Eval: the running statistics are constants, :math:`\gamma \, dy / \sqrt{\text{running\_var} + \epsilon}`;
    no example's gradient depends on another's.

    Args:
        grad_output: :math:`dy = \partial L / \partial y`.
        input, running_mean, running_var, weight, bias, training, eps: as the forward
            (the running buffers are not updated). Default: weight, bias None; training False; eps 1e-5
        stats_in_grad: False gives the naive gradient, batch statistics held constant:
            :math:`\gamma \, dy / \sigma_B`. Default: True

    Shape:
        - Input, grad_output: :math:`(N, C, *)`; weight, bias: :math:`(C,)`
        - Output: ``Gradients`` of shapes :math:`(N, C, *)`, :math:`(C,)`, :math:`(C,)`

    >>> x, dy = np.array([[1.0], [2.0], [6.0]]), np.array([[1.0], [0.0], [0.0]])
    >>> batch_norm_backward(dy, x, None, None, training=True).grad_input.round(4).tolist()
    [[0.1763], [-0.2204], [0.0441]]
    """
    F._check_batch_norm(input, running_mean, running_var, weight, bias, training, eps)
    dy = _check_grad_output(grad_output, input)
    axes, shape = F._reduce_axes_except_channel(input), F._channel_shape(input)
    if training:
        x_hat, inv_std = standardize(input, axes, eps)
    else:
        x = input.astype(np.float64) - np.asarray(running_mean, np.float64).reshape(shape)  # (N, C, *)
        inv_std = 1.0 / np.sqrt(np.asarray(running_var, np.float64).reshape(shape) + eps)  # (1, C, 1, ...)
        x_hat = x * inv_std
    grad_input = normalize_backward(
        _scale(dy, weight, shape), x_hat, inv_std, axes, True, stats_in_grad and training
    )
    return _gradients(input, grad_input, dy, x_hat, weight, bias, axes)


def batch_renorm_backward(
    grad_output: np.ndarray,
    input: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    training: bool = False,
    eps: float = 1e-5,
    r_max: float = 3.0,
    d_max: float = 5.0,
    *,
    stats_in_grad: bool = True,
) -> Gradients:
    r"""The gradients of :func:`normcore.functional.batch_renorm`, with ``r`` and ``d`` held constant.

    Ioffe (2017), Algorithm 1: :math:`y = \gamma (\hat x \, r + d) + \beta` with :math:`\hat x` from the
    batch statistics and :math:`r, d` under a stop-gradient, so the gradient is batch norm's with
    :math:`\gamma r` in place of :math:`\gamma`:

    .. math::
        \frac{\partial L}{\partial x} = \frac{\gamma r}{\sigma_B}\left(dy - \mathrm{mean}(dy)
            - \hat x \, \mathrm{mean}(dy \, \hat x)\right), \quad
        \frac{\partial L}{\partial \gamma} = \sum dy \, (\hat x r + d), \quad
        \frac{\partial L}{\partial \beta} = \sum dy

    Eval mode is batch norm's eval mode.

    Args:
        grad_output: :math:`dy = \partial L / \partial y`.
        input, running_mean, running_var, weight, bias, training, eps, r_max, d_max: as the
            forward (buffers not updated). Default: as :func:`normcore.functional.batch_renorm`
        stats_in_grad: False holds :math:`\mu_B, \sigma_B` constant too: :math:`\gamma r \, dy / \sigma_B`.
            Default: True

    Shape:
        - as :func:`batch_norm_backward`

    >>> x, dy = np.array([[1.0], [2.0], [6.0]]), np.array([[1.0], [0.0], [0.0]])
    >>> g = batch_renorm_backward(dy, x, np.zeros(1), np.ones(1), training=True)  # r = 2.16
    >>> g.grad_input.round(4).tolist()
    [[0.381], [-0.4762], [0.0952]]
    """
    if not training:
        return batch_norm_backward(
            grad_output,
            input,
            running_mean,
            running_var,
            weight,
            bias,
            False,
            eps,
            stats_in_grad=stats_in_grad,
        )
    if r_max < 1 or d_max < 0:
        raise ValueError(f"need r_max >= 1 and d_max >= 0, got r_max={r_max}, d_max={d_max}")
    if running_mean is None or running_var is None:
        raise ValueError("batch_renorm needs running_mean and running_var in training mode")
    F._check_batch_norm(input, running_mean, running_var, weight, bias, True, eps)
    dy = _check_grad_output(grad_output, input)
    axes, shape = F._reduce_axes_except_channel(input), F._channel_shape(input)
    r, d = F.renorm_corrections(input, running_mean, running_var, eps, r_max, d_max)
    r, d = r.reshape(shape), d.reshape(shape)  # (1, C, 1, ...)
    x_hat, inv_std = standardize(input, axes, eps)
    grad_input = normalize_backward(_scale(dy, weight, shape) * r, x_hat, inv_std, axes, True, stats_in_grad)
    return _gradients(input, grad_input, dy, x_hat * r + d, weight, bias, axes)


# ---------------------------------------------------------------- per-sample norms


def layer_norm_backward(
    grad_output: np.ndarray,
    input: np.ndarray,
    normalized_shape: tuple[int, ...] | list[int] | int,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
    *,
    stats_in_grad: bool = True,
) -> Gradients:
    r"""The gradients of :func:`normcore.functional.layer_norm`: each sample's set is its trailing axes.

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{\sigma}\left(g - \mathrm{mean}(g)
            - \hat x \, \mathrm{mean}(g \hat x)\right), \quad g = \gamma \, dy

    Args:
        grad_output: :math:`dy = \partial L / \partial y`.
        input, normalized_shape, weight, bias, eps: as the forward. Default: None, None, 1e-5
        stats_in_grad: False gives the naive :math:`\gamma \, dy / \sigma`. Default: True

    Shape:
        - Input, grad_output: :math:`(N, *)` ending in ``normalized_shape``
        - Output: ``Gradients`` of the input's shape and ``normalized_shape`` (twice)

    >>> layer_norm_backward(np.array([[1.0, 1.0]]), np.array([[1.0, 3.0]]), (2,)).grad_input.tolist()
    [[0.0, 0.0]]
    """
    trailing = _check_trailing(input, normalized_shape, weight, bias, eps)
    dy = _check_grad_output(grad_output, input)
    axes = tuple(range(input.ndim - len(trailing), input.ndim))
    x_hat, inv_std = standardize(input, axes, eps)
    grad_input = normalize_backward(_scale(dy, weight, trailing), x_hat, inv_std, axes, True, stats_in_grad)
    return _gradients(input, grad_input, dy, x_hat, weight, bias, tuple(range(input.ndim - len(trailing))))


def group_norm_backward(
    grad_output: np.ndarray,
    input: np.ndarray,
    num_groups: int,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
    *,
    stats_in_grad: bool = True,
) -> Gradients:
    r"""The gradients of :func:`normcore.functional.group_norm`: each (sample, group) is one set.

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{\sigma}\left(g - \mathrm{mean}(g)
            - \hat x \, \mathrm{mean}(g \hat x)\right), \quad g = \gamma_c \, dy

    Args:
        grad_output: :math:`dy = \partial L / \partial y`.
        input, num_groups, weight, bias, eps: as the forward. Default: None, None, 1e-5
        stats_in_grad: False gives the naive :math:`\gamma \, dy / \sigma`. Default: True

    Shape:
        - Input, grad_output: :math:`(N, C, *)`; weight, bias: :math:`(C,)`

    >>> group_norm_backward(np.ones((1, 2, 2)), np.array([[[1.0, 3.0], [0.0, 4.0]]]), 2).grad_input.tolist()
    [[[0.0, 0.0], [0.0, 0.0]]]
    """
    F._check_group_norm(input, num_groups, weight, bias, eps)
    dy = _check_grad_output(grad_output, input)
    n = input.shape[0]
    x_hat, inv_std = standardize(input.reshape(n, num_groups, -1), (2,), eps)  # (N, G, C//G * spatial)
    grad_x_hat = _scale(dy, weight, F._channel_shape(input)).reshape(
        n, num_groups, -1
    )  # (N, G, C//G * spatial)
    grad_input = normalize_backward(grad_x_hat, x_hat, inv_std, (2,), True, stats_in_grad)
    grad_input, x_hat = grad_input.reshape(input.shape), x_hat.reshape(input.shape)  # (N, C, *)
    return _gradients(input, grad_input, dy, x_hat, weight, bias, F._reduce_axes_except_channel(input))


def instance_norm_backward(
    grad_output: np.ndarray,
    input: np.ndarray,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    use_input_stats: bool = True,
    eps: float = 1e-5,
    *,
    stats_in_grad: bool = True,
) -> Gradients:
    r"""The gradients of :func:`normcore.functional.instance_norm`: each (sample, channel) is one set.

    .. math::
        \frac{\partial L}{\partial x} = \frac{\gamma_c}{\sigma}\left(dy - \mathrm{mean}(dy)
            - \hat x \, \mathrm{mean}(dy \, \hat x)\right)

    Without ``use_input_stats`` the running statistics are constants: :math:`\gamma \, dy / \sigma`.

    Args:
        grad_output: :math:`dy = \partial L / \partial y`.
        input, running_mean, running_var, weight, bias, use_input_stats, eps: as the forward
            (buffers not updated). Default: None, None, None, None, True, 1e-5
        stats_in_grad: False gives the naive :math:`\gamma \, dy / \sigma`. Default: True

    Shape:
        - Input, grad_output: :math:`(N, C, L)` or :math:`(N, C, H, W)`; weight, bias: :math:`(C,)`

    >>> instance_norm_backward(np.ones((1, 1, 2)), np.array([[[1.0, 3.0]]])).grad_input.tolist()
    [[[0.0, 0.0]]]
    """
    F._check_instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, eps)
    dy = _check_grad_output(grad_output, input)
    if not use_input_stats:
        return batch_norm_backward(
            dy.astype(input.dtype), input, running_mean, running_var, weight, bias, False, eps
        )
    axes = tuple(range(2, input.ndim))
    x_hat, inv_std = standardize(input, axes, eps)
    grad_x_hat = _scale(dy, weight, F._channel_shape(input))
    grad_input = normalize_backward(grad_x_hat, x_hat, inv_std, axes, True, stats_in_grad)
    return _gradients(input, grad_input, dy, x_hat, weight, bias, F._reduce_axes_except_channel(input))


def rms_norm_backward(
    grad_output: np.ndarray,
    input: np.ndarray,
    normalized_shape: tuple[int, ...] | list[int] | int,
    weight: np.ndarray | None = None,
    eps: float | None = None,
    *,
    stats_in_grad: bool = True,
) -> Gradients:
    r"""The gradients of :func:`normcore.functional.rms_norm`: no mean, so no mean term.

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{\mathrm{rms}}
            \left(g - \hat x \, \mathrm{mean}(g \hat x)\right),
        \quad \hat x = \frac{x}{\mathrm{rms}}, \quad \mathrm{rms} = \sqrt{\mathrm{E}[x^2] + \epsilon},
        \quad g = \gamma \, dy

    The gradient does not sum to zero over a set (RMS norm does not remove the mean).

    Args:
        grad_output: :math:`dy = \partial L / \partial y`.
        input, normalized_shape, weight, eps: as the forward; eps None is ``np.finfo(dtype).eps``.
            Default: None, None
        stats_in_grad: False gives the naive :math:`\gamma \, dy / \mathrm{rms}`. Default: True

    Shape:
        - Input, grad_output: :math:`(N, *)` ending in ``normalized_shape``
        - Output: ``Gradients`` with ``grad_bias`` None

    >>> x = np.array([[3.0, 4.0]])
    >>> rms_norm_backward(x, x, 2, eps=1e-12).grad_input.round(6).tolist()  # dy along x_hat: nothing
    [[0.0, 0.0]]
    """
    F._check_input(input, min_dim=1)
    eps = float(np.finfo(input.dtype).eps) if eps is None else eps
    trailing = _check_trailing(input, normalized_shape, weight, None, eps)
    dy = _check_grad_output(grad_output, input)
    axes = tuple(range(input.ndim - len(trailing), input.ndim))
    x_hat, inv_rms = standardize(input, axes, eps, center=False)
    grad_input = normalize_backward(_scale(dy, weight, trailing), x_hat, inv_rms, axes, False, stats_in_grad)
    return _gradients(input, grad_input, dy, x_hat, weight, None, tuple(range(input.ndim - len(trailing))))


# ---------------------------------------------------------------- what a page shows


def per_set_sum(values: np.ndarray, set_index: np.ndarray) -> np.ndarray:
    """The sum of ``values`` over each set (float64); ``set_index`` broadcasts to ``values``.

    >>> per_set_sum(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0], [1]])).tolist()
    [3.0, 7.0]
    """
    index = np.broadcast_to(set_index, values.shape).ravel()
    return np.bincount(index, weights=values.astype(np.float64).ravel(), minlength=int(index.max()) + 1)


@dataclass(frozen=True)
class BackwardExplained:
    """One norm's backward on an ``(N, C, L)`` batch: the full gradient, the naive one, and checks per set.

    ``sums_*[s]`` is :math:`\\sum_{i \\in s} \\partial L / \\partial x_i` (0 for the full gradient of
    every centring norm in training), ``dots_*[s]`` is :math:`\\sum_{i \\in s} \\partial L / \\partial x_i
    \\, \\hat x_i` (0 up to the factor :math:`\\epsilon / (\\mathrm{Var} + \\epsilon)` for the full gradient).
    """

    norm: str
    x_hat: np.ndarray  # (N, C, L) from the statistics the gradient flows through (before r, d)
    set_index: np.ndarray  # broadcastable to (N, C, L), as normcore.teaching.set_index
    full: Gradients  # grad_input (N, C, L); grad_weight, grad_bias (C,) or None
    naive: Gradients  # the same with the statistics held constant
    sums_full: np.ndarray  # (S,)
    sums_naive: np.ndarray  # (S,)
    dots_full: np.ndarray  # (S,)
    dots_naive: np.ndarray  # (S,)

    @property
    def difference(self) -> np.ndarray:
        """Full minus naive ``grad_input``: what the statistics' dependence on the input contributes."""
        return self.full.grad_input - self.naive.grad_input


def explain_backward(
    input: np.ndarray,
    norm: str,
    grad_output: np.ndarray,
    *,
    num_groups: int = 1,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    training: bool = True,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    eps: float = 1e-5,
    r_max: float = 3.0,
    d_max: float = 5.0,
) -> BackwardExplained:
    """The full and the naive backward of ``norm`` for ``grad_output``, with the per-set checks.

    Arguments as :func:`normcore.teaching.explain` (per-channel ``weight``, ``bias`` for every norm);
    ``grad_output`` has the input's shape. Running buffers are read, never updated.

    >>> x = np.array([[1.0, 2.0], [3.0, 5.0], [5.0, 3.0]])
    >>> e = explain_backward(x, "batch", np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 2.0]]))
    >>> bool(np.abs(e.sums_full).max() < 1e-12), bool(np.abs(e.sums_naive).max() > 0.5)
    (True, True)
    """
    x, dy = _as_sets(input, norm, grad_output)
    c = x.shape[1]
    args = (x, norm, dy, num_groups, weight, bias, training, running_mean, running_var, eps, r_max, d_max)
    full = _backward(*args)
    x_hat, inv_std, r = _statistics(*args)
    gain = inv_std * r if weight is None else inv_std * r * np.reshape(weight, (1, c, 1))
    naive = full._replace(grad_input=(dy * gain).astype(input.dtype))  # dgamma, dbeta: no statistic in them

    def sums(values):
        return _set_sums(values, norm, num_groups)

    return BackwardExplained(
        norm,
        x_hat,
        teaching.set_index(x.shape, norm, num_groups),
        full,
        naive,
        sums(full.grad_input),
        sums(naive.grad_input),
        sums(full.grad_input * x_hat),
        sums(naive.grad_input * x_hat),
    )


def _backward(x, norm, dy, num_groups, weight, bias, training, mean, var, eps, r_max, d_max) -> Gradients:
    """The full gradients of ``norm`` on ``x`` (N, C, L) with per-channel parameters."""
    c = x.shape[1]
    if norm == "batch":
        return batch_norm_backward(dy, x, mean, var, weight, bias, training, eps)
    if norm == "batch_renorm":
        return batch_renorm_backward(dy, x, mean, var, weight, bias, training, eps, r_max, d_max)
    if norm in ("layer", "rms"):
        return _per_sample_backward(x, norm, dy, weight, bias, eps)
    if norm in ("instance", "group"):
        return group_norm_backward(dy, x, c if norm == "instance" else num_groups, weight, bias, eps)
    dy64 = dy.astype(np.float64)  # "none": the identity, then the affine step
    return _gradients(x, _scale(dy64, weight, (1, c, 1)), dy64, x.astype(np.float64), weight, bias, (0, 2))


def _per_sample_backward(x, norm, dy, weight, bias, eps) -> Gradients:
    """Layer or RMS norm over (C, L) with per-channel parameters spread over L and summed back."""
    _, c, length = x.shape
    weight_cl, bias_cl = (
        None if p is None else np.repeat(np.reshape(p, (c, 1)), length, 1) for p in (weight, bias)
    )
    if norm == "layer":
        grads = layer_norm_backward(dy, x, (c, length), weight_cl, bias_cl, eps)
    else:  # RMS norm has no bias of its own; the page's per-channel bias adds after it
        grads = rms_norm_backward(dy, x, (c, length), weight_cl, eps)
        grads = grads._replace(grad_bias=None if bias is None else dy.sum(axis=(0, 2)).astype(x.dtype))
    per_channel = [None if g is None else g.sum(axis=1) if g.ndim == 2 else g for g in grads[1:]]
    return Gradients(grads.grad_input, *per_channel)


def _statistics(x, norm, dy, num_groups, weight, bias, training, mean, var, eps, r_max, d_max):
    """``(x_hat, 1 / sigma, r)`` of ``norm`` on ``x`` (N, C, L), float64, each broadcastable to it.

    ``x_hat`` is what the gradient's orthogonality refers to: for Batch Renorm the batch-normalized
    values before ``r`` and ``d``; ``r`` is 1 for every other norm.
    """
    n, c, _ = x.shape
    if norm in teaching.BATCH_DEPENDENT and not training:
        inv_std = 1.0 / np.sqrt(np.reshape(var, (1, c, 1)) + eps)  # (1, C, 1)
        return (x - np.reshape(mean, (1, c, 1))) * inv_std, inv_std, 1.0
    if norm in teaching.BATCH_DEPENDENT:
        x_hat, inv_std = standardize(x, (0, 2), eps)
        if norm == "batch":
            return x_hat, inv_std, 1.0
        return x_hat, inv_std, F.renorm_corrections(x, mean, var, eps, r_max, d_max)[0].reshape(1, c, 1)
    if norm == "none":
        return x.astype(np.float64), 1.0, 1.0
    if norm == "rms":
        return (*standardize(x, (1, 2), eps, center=False), 1.0)
    groups = {"layer": 1, "instance": c, "group": num_groups}[norm]
    x_hat, inv_std = standardize(x.reshape(n, groups, -1), (2,), eps)  # (N, G, C//G * L), (N, G, 1)
    inv_std = np.repeat(inv_std, c // groups, axis=1)  # (N, C, 1)
    return x_hat.reshape(x.shape), inv_std, 1.0  # (N, C, L)


def _set_sums(values: np.ndarray, norm: str, num_groups: int) -> np.ndarray:
    """:func:`per_set_sum` over the sets of ``norm`` on (N, C, L), by reshaping (no index array)."""
    n, c, _ = values.shape
    if norm in teaching.BATCH_DEPENDENT:
        return values.sum(axis=(0, 2), dtype=np.float64)  # (C,)
    if norm == "none":
        return np.array([values.sum(dtype=np.float64)])
    groups = {"layer": 1, "rms": 1, "instance": c, "group": num_groups}[norm]
    return values.reshape(n, groups, -1).sum(axis=2, dtype=np.float64).ravel()  # (N * G,)


# ---------------------------------------------------------------- batch coupling


@dataclass(frozen=True)
class Coupling:
    """How ``grad_input`` moves when only example ``example``'s upstream gradient changes."""

    example: int
    change: np.ndarray  # (N, C): max over the set positions of |after - before|
    before: np.ndarray  # (N, C, L) grad_input
    after: np.ndarray  # (N, C, L)

    @property
    def affected(self) -> np.ndarray:
        """(N, C) bool: where the input gradient changed at all."""
        return self.change > 0

    @property
    def other_examples_affected(self) -> list[int]:
        """The examples other than ``example`` whose input gradient changed."""
        return [int(i) for i in np.flatnonzero(self.affected.any(axis=1)) if i != self.example]


def batch_coupling(
    input: np.ndarray,
    norm: str,
    grad_output: np.ndarray,
    example: int = 0,
    delta: np.ndarray | None = None,
    **kwargs,
) -> Coupling:
    """Change the upstream gradient of one example and see whose input gradients change.

    Under batch norm (and Batch Renorm) in training every example's gradient depends on every
    other's through the batch statistics; in eval mode, and under layer, instance, group and
    RMS norm, only the changed example's does.

    Args:
        input: activations :math:`(N, C, *)`.
        norm: one of :data:`normcore.teaching.NORMS`.
        grad_output: the upstream gradient, the input's shape.
        example: the example whose upstream gradient changes. Default: 0
        delta: the change added to ``grad_output[example]``; None draws a seeded standard
            normal. Default: None
        **kwargs: as :func:`explain_backward` (num_groups, weight, training, buffers, eps, ...).

    >>> x = np.random.default_rng(0).standard_normal((4, 3))
    >>> batch_coupling(x, "batch", np.zeros_like(x), example=1).other_examples_affected
    [0, 2, 3]
    >>> batch_coupling(x, "layer", np.zeros_like(x), example=1).other_examples_affected
    []
    """
    if not 0 <= example < input.shape[0]:
        raise ValueError(f"example must be between 0 and {input.shape[0] - 1}, got {example}")
    if delta is None:
        delta = np.random.default_rng(0).standard_normal(input.shape[1:])
    changed = np.array(grad_output, dtype=input.dtype, copy=True)
    changed[example] += np.asarray(delta, dtype=input.dtype)
    before = _full_gradient(input, norm, grad_output, **kwargs)
    after = _full_gradient(input, norm, changed, **kwargs)
    change = np.abs(after.astype(np.float64) - before).max(axis=2)
    return Coupling(example, change, before, after)


def _full_gradient(
    input,
    norm,
    grad_output,
    num_groups=1,
    weight=None,
    bias=None,
    training=True,
    running_mean=None,
    running_var=None,
    eps=1e-5,
    r_max=3.0,
    d_max=5.0,
) -> np.ndarray:
    """:func:`explain_backward`'s ``full.grad_input`` alone, (N, C, L)."""
    x, dy = _as_sets(input, norm, grad_output)
    args = (num_groups, weight, bias, training, running_mean, running_var, eps, r_max, d_max)
    return _backward(x, norm, dy, *args).grad_input


def _as_sets(input, norm, grad_output) -> tuple[np.ndarray, np.ndarray]:
    """Input and upstream gradient as (N, C, L), after checking ``norm`` and the shapes."""
    F._check_input(input)
    if norm not in teaching.NORMS:
        raise ValueError(f"unknown norm {norm!r}; expected one of {', '.join(teaching.NORMS)}")
    x = input.reshape(input.shape[0], input.shape[1], -1)  # (N, C, L)
    return x, _check_grad_output(grad_output, input).astype(input.dtype).reshape(x.shape)  # (N, C, L)
