"""Normalization layers on numpy arrays, mirroring ``torch.nn.functional``.

Every activation norm here is one primitive, :func:`normalize` ("subtract the mean and
divide by the standard deviation over these axes"), wrapped in a reshape. Names,
argument order, defaults and shape rules follow ``torch.nn.functional``; results keep
the input's dtype (float32 or float64).

Non-finite input is not rejected: a NaN or Inf propagates into the statistics of the
set it belongs to and into that set's outputs, exactly as in PyTorch (a set holding +inf
has mean +inf, variance NaN and NaN outputs). Callers that take user data (the app) check
for it before calling.

Sums that overflow float32 (squares of |x| above about 1.8e19) are redone in float64, so
float32 input up to its largest value (3.4e38) is normalized as a float64 reference
would; PyTorch's float32 kernels return 0 or NaN there. An empty input (a size-0 axis)
gives an empty output, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


# ---------------------------------------------------------------- validation


def _check_input(input: np.ndarray, min_dim: int = 2) -> None:
    if not isinstance(input, np.ndarray) or input.dtype.type not in FLOAT_DTYPES:
        got = getattr(input, "dtype", type(input).__name__)
        raise ValueError(f"expected a float32 or float64 numpy array, got {got}")
    if input.ndim < min_dim:
        raise ValueError(
            f"expected input with at least {min_dim} dimensions (N, C, *), got shape {tuple(input.shape)}"
        )


def _check_eps(eps: float) -> None:
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps}")


def _check_param(name: str, value: np.ndarray | None, shape: tuple[int, ...]) -> None:
    if value is not None and tuple(np.shape(value)) != tuple(shape):
        raise ValueError(
            f"{name} should have shape {tuple(shape)} to match the input, got {tuple(np.shape(value))}"
        )


def _check_values_per_channel(input: np.ndarray) -> None:
    """PyTorch's check: N * H * W == 1 is refused (0, an empty batch, is not)."""
    if input.shape[0] * int(np.prod(input.shape[2:], dtype=np.int64)) == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {tuple(input.shape)}"
        )


def valid_group_counts(num_channels: int) -> list[int]:
    """The group counts that divide ``num_channels``, smallest first."""
    return [g for g in range(1, num_channels + 1) if num_channels % g == 0]


def _check_groups(num_channels: int, num_groups: int) -> None:
    if num_groups < 1 or num_channels % num_groups:
        valid = ", ".join(map(str, valid_group_counts(num_channels)))
        raise ValueError(
            f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups}); valid: {valid}"
        )


# ---------------------------------------------------------------- the primitive


def center(input: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(input - mean, mean, var)`` over ``axes``: the corrected two-pass algorithm.

    The values are centred on a rough mean taken from a small sample, then the mean of
    the centred values corrects it, so the mean is accurate to rounding of the *spread*,
    not of the values' magnitude. ``mean`` and ``var`` (biased) are float64 with the
    reduced axes kept as size 1; the centred values keep the input's dtype.
    """
    count = int(np.prod([input.shape[a] for a in axes]))
    sample = input[tuple(slice(0, 16) if a in axes else slice(None) for a in range(input.ndim))]
    mean = sample.mean(axis=axes, dtype=np.float64, keepdims=True)
    centered = input - mean.astype(input.dtype)
    correction = _sum(centered, axes) / count
    centered -= correction.astype(input.dtype)
    var = _sum_of_squares(centered, axes) / count
    mean = mean + correction
    if not np.isfinite(mean).all():  # an inf in the sample: inf - inf made the correction NaN
        mean = np.where(
            np.isfinite(mean), mean, input.sum(axis=axes, dtype=np.float64, keepdims=True) / count
        )
    return centered, mean, var


def moments(input: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and biased variance over ``axes`` (float64, reduced axes kept as size 1)."""
    _, mean, var = center(input, axes)
    return mean, var


def _sum(input: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Sum over ``axes`` with reduced axes kept: pairwise along the contiguous tail in the
    input's precision (error O(eps log n), and SIMD-fast), then the rest in float64."""
    axes = tuple(sorted(a % input.ndim for a in axes))
    tail = 0
    while tail < len(axes) and axes[-1 - tail] == input.ndim - 1 - tail:
        tail += 1
    partial = input
    if tail:
        partial = input.reshape(input.shape[: input.ndim - tail] + (-1,)).sum(axis=-1)
    rest = axes[: len(axes) - tail]
    total = partial.sum(axis=rest, dtype=np.float64) if rest else partial.astype(np.float64)
    kept = tuple(1 if a in axes else size for a, size in enumerate(input.shape))
    if not np.isfinite(total).all():  # overflow in the input's precision, or non-finite input
        return input.sum(axis=axes, dtype=np.float64).reshape(kept)
    return total.reshape(kept)


DOT_BLOCK = 256  # float32 dot products this long round at ~1e-8; blocks are summed in float64


def _sum_of_squares(input: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Sum of squares over ``axes`` with reduced axes kept: dot products of 256-value blocks
    along the contiguous tail where it divides into them (no temporary), else square and sum."""
    axes = tuple(sorted(a % input.ndim for a in axes))
    tail = 0
    while tail < len(axes) and axes[-1 - tail] == input.ndim - 1 - tail:
        tail += 1
    length = int(np.prod(input.shape[input.ndim - tail :]))
    with np.errstate(over="ignore"):  # an overflow is caught below
        if not tail or length % DOT_BLOCK:
            total = _sum(np.square(input), axes)
        else:
            blocks = input.reshape(input.shape[: input.ndim - tail] + (-1, DOT_BLOCK))  # (..., L // 256, 256)
            partial = np.vecdot(blocks, blocks).sum(axis=-1, dtype=np.float64)
            rest = axes[: len(axes) - tail]
            total = (partial.sum(axis=rest) if rest else partial).reshape(
                tuple(1 if a in axes else size for a, size in enumerate(input.shape))
            )
    if np.isfinite(total).all():
        return total
    # squares above float32's 3.4e38 (|x| > 1.8e19) became inf: square in float64 (a rare, slower path)
    return np.square(input, dtype=np.float64).sum(axis=axes, keepdims=True)


def scale_shift(
    centered: np.ndarray,
    var: np.ndarray,
    eps: float,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
) -> np.ndarray:
    r"""``centered * weight / sqrt(var + eps) + bias``, in place on ``centered``.

    The scale :math:`\gamma / \sqrt{\sigma^2 + \epsilon}` is formed once per set in the
    input's precision, as PyTorch's kernels do. ``var``, ``weight`` and ``bias``
    broadcast against ``centered``.
    """
    dtype = centered.dtype
    alpha = (1.0 / np.sqrt(var + eps)).astype(dtype)
    if weight is not None:
        alpha = alpha * np.asarray(weight, dtype=dtype)
    centered *= alpha
    if bias is not None:
        centered += np.asarray(bias, dtype=dtype)
    return centered


def normalize(
    input: np.ndarray, axes: tuple[int, ...], eps: float = 1e-5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Normalize ``input`` over ``axes``: :math:`\hat x = (x - \mu) / \sqrt{\sigma^2 + \epsilon}`.

    The variance is the biased one (divide by the number of elements), as PyTorch uses
    for normalizing; see :func:`center` for how the statistics are accumulated.

    Args:
        input: array of any shape.
        axes: the axes that share one mean and variance.
        eps: added to the variance for numerical stability. Default: 1e-5

    Returns:
        ``(x_hat, mean, var)``; ``mean`` and ``var`` keep the reduced axes as size 1.

    >>> x_hat, mean, var = normalize(np.array([[1.0, 2.0], [3.0, 4.0]]), axes=(0,))
    >>> mean.ravel().tolist(), var.ravel().tolist()
    ([2.0, 3.0], [1.0, 1.0])
    """
    centered, mean, var = center(input, axes)
    return scale_shift(centered, var, eps), mean, var


def _affine(x_hat: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, shape) -> np.ndarray:
    """``weight * x_hat + bias`` with parameters reshaped to ``shape`` (in place)."""
    if weight is not None:
        x_hat *= np.asarray(weight, dtype=x_hat.dtype).reshape(shape)
    if bias is not None:
        x_hat += np.asarray(bias, dtype=x_hat.dtype).reshape(shape)
    return x_hat


def _check_batch_norm(input, running_mean, running_var, weight, bias, training, eps) -> None:
    """:func:`batch_norm`'s arguments, as PyTorch checks them (its backward checks the same)."""
    _check_input(input)
    _check_eps(eps)
    channels = (input.shape[1],)
    for name, value in [("running_mean", running_mean), ("running_var", running_var)]:
        _check_param(name, value, channels)
    _check_param("weight", weight, channels)
    _check_param("bias", bias, channels)
    if not training and (running_mean is None or running_var is None):
        raise ValueError("running_mean and running_var must be given in eval mode")
    if training:
        _check_values_per_channel(input)


def _check_group_norm(input, num_groups, weight, bias, eps) -> None:
    """:func:`group_norm`'s arguments, as PyTorch checks them (its backward checks the same)."""
    _check_input(input)
    _check_eps(eps)
    n, c = input.shape[:2]
    _check_groups(c, num_groups)
    _check_param("weight", weight, (c,))
    _check_param("bias", bias, (c,))
    if n * c // num_groups * int(np.prod(input.shape[2:], dtype=np.int64)) == 1:  # PyTorch's own check
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {tuple(input.shape)}"
        )


def _check_instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, eps) -> None:
    """:func:`instance_norm`'s arguments, as PyTorch checks them (its backward checks the same)."""
    _check_input(input, min_dim=3)
    _check_eps(eps)
    for name, value in [("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                        ("bias", bias)]:  # fmt: skip
        _check_param(name, value, (input.shape[1],))
    if not use_input_stats and (running_mean is None or running_var is None):
        raise ValueError("running_mean and running_var must be given when use_input_stats=False")
    if use_input_stats and int(np.prod(input.shape[2:], dtype=np.int64)) == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {tuple(input.shape)}"
        )


def _per_channel(value: np.ndarray | None, input: np.ndarray) -> np.ndarray | None:
    return None if value is None else np.asarray(value).reshape(_channel_shape(input))


def _channel_shape(input: np.ndarray) -> tuple[int, ...]:
    return (1, input.shape[1]) + (1,) * (input.ndim - 2)  # (1, C, 1, ...)


def _reduce_axes_except_channel(input: np.ndarray) -> tuple[int, ...]:
    return (0,) + tuple(range(2, input.ndim))


def _update_running(
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    mean: np.ndarray,
    var: np.ndarray,
    count: int,
    momentum: float,
) -> None:
    """PyTorch's in-place update: ``new = (1 - m) * old + m * batch``, unbiased variance."""
    if running_mean is not None:
        running_mean *= 1.0 - momentum
        running_mean += momentum * mean.ravel()
    if running_var is not None:
        running_var *= 1.0 - momentum
        running_var += momentum * var.ravel() * count / (count - 1)


# ---------------------------------------------------------------- batch norm


def batch_norm(
    input: np.ndarray,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> np.ndarray:
    r"""Batch Normalization: each channel normalized over the batch and spatial axes.

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    In training mode the batch's statistics are used (biased variance) and, when
    running buffers are given, they are updated in place with the *unbiased* batch
    variance: ``running = (1 - momentum) * running + momentum * batch``. In eval mode
    the running statistics are used.

    Args:
        input: activations.
        running_mean, running_var: per-channel running estimates, shape (C,), or None.
        weight, bias: per-channel :math:`\gamma`, :math:`\beta`, shape (C,). Default: None
        training: use batch statistics and update the running ones. Default: False
        momentum: weight of the new batch in the running update. Default: 0.1
        eps: added to the variance. Default: 1e-5

    Shape:
        - Input: :math:`(N, C)`, :math:`(N, C, L)` or :math:`(N, C, H, W)`
        - Output: same shape as the input

    >>> x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    >>> round(float(batch_norm(x, None, None, training=True)[0, 0]), 4)
    -1.3416
    """
    _check_batch_norm(input, running_mean, running_var, weight, bias, training, eps)
    channels = (input.shape[1],)
    if input.size == 0:
        return np.empty_like(input)  # as PyTorch: an empty result, running statistics untouched
    if training:
        centered, mean, var = center(input, _reduce_axes_except_channel(input))
        _update_running(running_mean, running_var, mean, var, input.size // channels[0], momentum)
    else:
        centered, var = _center_with_running(input, running_mean, running_var)
    return scale_shift(centered, var, eps, _per_channel(weight, input), _per_channel(bias, input))


def _center_with_running(
    input: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``input`` centred on the running mean, and the running variance, per channel."""
    shape = _channel_shape(input)
    centered = input - np.asarray(running_mean).reshape(shape).astype(input.dtype)
    return centered, np.asarray(running_var, dtype=np.float64).reshape(shape)


def batch_renorm(
    input: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    r_max: float = 3.0,
    d_max: float = 5.0,
) -> np.ndarray:
    r"""Batch Renormalization (Ioffe, 2017): batch norm corrected toward the running statistics.

    .. math::
        \hat x = \frac{x - \mu_B}{\sigma_B} r + d, \quad
        r = \mathrm{clip}\left(\frac{\sigma_B}{\sigma}, \frac{1}{r_{max}}, r_{max}\right), \quad
        d = \mathrm{clip}\left(\frac{\mu_B - \mu}{\sigma}, -d_{max}, d_{max}\right)

    with :math:`\sigma_B = \sqrt{\mathrm{Var}_B[x] + \epsilon}` (biased) and
    :math:`\sigma = \sqrt{\text{running\_var} + \epsilon}`; ``r`` and ``d`` are constants
    for the gradient. Running statistics are updated as :func:`batch_norm` does: a running
    *variance* of the unbiased batch variances, where the paper's Algorithm 1 keeps a
    running :math:`\sigma` of the biased :math:`\sigma_B` (``mu += m * (mu_B - mu)`` is the
    paper's form of the mean update). ``r_max=1, d_max=0`` is plain batch norm; eval mode
    is batch norm's eval mode.

    Args:
        as :func:`batch_norm`, with running buffers required, and
        r_max: bound on the scale correction, at least 1. Default: 3.0
        d_max: bound on the shift correction, at least 0. Default: 5.0

    Shape:
        - Input: :math:`(N, C)`, :math:`(N, C, L)` or :math:`(N, C, H, W)`
        - Output: same shape as the input

    >>> x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    >>> y = batch_renorm(x, np.zeros(2), np.ones(2), training=True, r_max=1.0, d_max=0.0)
    >>> round(float(y[0, 0]), 4)
    -1.3416
    """
    if r_max < 1 or d_max < 0:
        raise ValueError(f"need r_max >= 1 and d_max >= 0, got r_max={r_max}, d_max={d_max}")
    if not training:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    if running_mean is None or running_var is None:
        raise ValueError("batch_renorm needs running_mean and running_var in training mode")
    if input.size == 0:  # as batch_norm: an empty result, running statistics untouched
        return batch_norm(input, running_mean, running_var, weight, bias, True, momentum, eps)
    r, d = renorm_corrections(input, running_mean, running_var, eps, r_max, d_max)
    shape = _channel_shape(input)
    x_hat = batch_norm(input, running_mean, running_var, None, None, True, momentum, eps)
    x_hat = (x_hat * r.reshape(shape) + d.reshape(shape)).astype(input.dtype)
    return _affine(x_hat, weight, bias, shape)


def renorm_corrections(
    input: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    eps: float = 1e-5,
    r_max: float = 3.0,
    d_max: float = 5.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Batch Renormalization's per-channel ``(r, d)`` for this batch, before any update."""
    axes = _reduce_axes_except_channel(input)
    batch_mean = input.mean(axis=axes, dtype=np.float64)
    batch_std = np.sqrt(input.var(axis=axes, dtype=np.float64) + eps)
    running_std = np.sqrt(np.asarray(running_var, dtype=np.float64) + eps)
    r = np.clip(batch_std / running_std, 1.0 / r_max, r_max)
    d = np.clip((batch_mean - running_mean) / running_std, -d_max, d_max)
    return r, d


# ---------------------------------------------------------------- per-sample norms


def layer_norm(
    input: np.ndarray,
    normalized_shape: tuple[int, ...] | list[int] | int,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    r"""Layer Normalization: each sample normalized over its last ``len(normalized_shape)`` axes.

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    Args:
        input: activations.
        normalized_shape: the trailing shape to normalize over, e.g. ``(C, H, W)``.
        weight, bias: elementwise :math:`\gamma`, :math:`\beta` of shape ``normalized_shape``.
            Default: None
        eps: added to the (biased) variance. Default: 1e-5

    Shape:
        - Input: :math:`(N, *)` ending in ``normalized_shape``
        - Output: same shape as the input

    >>> layer_norm(np.array([[1.0, 3.0]]), (2,)).round(4).tolist()
    [[-1.0, 1.0]]
    """
    _check_input(input, min_dim=1)
    _check_eps(eps)
    normalized_shape = _trailing_shape(input, normalized_shape)
    _check_param("weight", weight, normalized_shape)
    _check_param("bias", bias, normalized_shape)
    if input.size == 0:
        return np.empty_like(input)  # as PyTorch
    axes = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    x_hat, _, _ = normalize(input, axes, eps)
    return _affine(x_hat, weight, bias, normalized_shape)


def _trailing_shape(input: np.ndarray, normalized_shape) -> tuple[int, ...]:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or input.shape[input.ndim - len(shape) :] != shape:
        raise ValueError(
            f"normalized_shape {shape} must match the trailing dimensions of the "
            f"input, got input shape {tuple(input.shape)}"
        )
    return shape


def group_norm(
    input: np.ndarray,
    num_groups: int,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    eps: float = 1e-5,
) -> np.ndarray:
    r"""Group Normalization: each sample's channels split into groups, each group normalized.

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    ``num_groups=1`` is layer norm over ``(C, *)``; ``num_groups=C`` is instance norm.

    Args:
        input: activations.
        num_groups: number of groups; must divide C.
        weight, bias: per-channel :math:`\gamma`, :math:`\beta`, shape (C,). Default: None
        eps: added to the (biased) variance. Default: 1e-5

    Shape:
        - Input: :math:`(N, C, *)`
        - Output: same shape as the input

    >>> group_norm(np.array([[1.0, 3.0, 0.0, 4.0]]), 2).round(4).tolist()
    [[-1.0, 1.0, -1.0, 1.0]]
    """
    _check_group_norm(input, num_groups, weight, bias, eps)
    n, c = input.shape[:2]
    if input.size == 0:
        return np.empty_like(input)  # as PyTorch
    grouped = input.reshape(n, num_groups, -1)  # (N, G, C//G * spatial)
    centered, _, var = center(grouped, (2,))  # var: (N, G, 1)
    centered = centered.reshape(input.shape)  # (N, C, *)
    var = np.repeat(var, c // num_groups, axis=1).reshape((n, c) + (1,) * (input.ndim - 2))  # (N, C, 1, ...)
    return scale_shift(centered, var, eps, _per_channel(weight, input), _per_channel(bias, input))


def instance_norm(
    input: np.ndarray,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    weight: np.ndarray | None = None,
    bias: np.ndarray | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> np.ndarray:
    r"""Instance Normalization: each (sample, channel) normalized over its spatial axes.

    .. math:: y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta

    With ``use_input_stats`` and running buffers, the buffers are updated in place with
    the per-instance statistics averaged over the batch (unbiased variance), as PyTorch
    does; without ``use_input_stats`` the running statistics are used.

    Args:
        input: activations.
        running_mean, running_var: per-channel running estimates, shape (C,). Default: None
        weight, bias: per-channel :math:`\gamma`, :math:`\beta`, shape (C,). Default: None
        use_input_stats: normalize with each instance's own statistics. Default: True
        momentum: weight of the new batch in the running update. Default: 0.1
        eps: added to the (biased) variance. Default: 1e-5

    Shape:
        - Input: :math:`(N, C, L)` or :math:`(N, C, H, W)`
        - Output: same shape as the input

    >>> instance_norm(np.array([[[1.0, 3.0], [0.0, 4.0]]])).round(4).tolist()
    [[[-1.0, 1.0], [-1.0, 1.0]]]
    """
    _check_instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, eps)
    weight, bias = _per_channel(weight, input), _per_channel(bias, input)
    if not use_input_stats:
        return scale_shift(*_center_with_running(input, running_mean, running_var), eps, weight, bias)
    spatial = int(np.prod(input.shape[2:], dtype=np.int64))
    if input.size == 0:
        if input.shape[0] == 0 and spatial:  # PyTorch averages over no instances: NaN buffers
            for buffer in (running_mean, running_var):
                if buffer is not None:
                    buffer[...] = np.nan
        return np.empty_like(input)
    centered, mean, var = center(input, tuple(range(2, input.ndim)))
    _update_running(running_mean, running_var, mean.mean(axis=0), var.mean(axis=0), spatial, momentum)
    return scale_shift(centered, var, eps, weight, bias)


def rms_norm(
    input: np.ndarray,
    normalized_shape: tuple[int, ...] | list[int] | int,
    weight: np.ndarray | None = None,
    eps: float | None = None,
) -> np.ndarray:
    r"""Root Mean Square Normalization: rescale by the RMS over the last axes, no centring.

    .. math:: y = \frac{x}{\sqrt{\mathrm{E}[x^2] + \epsilon}} \gamma

    Args:
        input: activations.
        normalized_shape: the trailing shape to normalize over.
        weight: elementwise :math:`\gamma` of shape ``normalized_shape``. Default: None
        eps: added to the mean square; None means ``np.finfo(input.dtype).eps``, as in
            PyTorch. Default: None

    Shape:
        - Input: :math:`(N, *)` ending in ``normalized_shape``
        - Output: same shape as the input

    >>> rms_norm(np.array([[3.0, 4.0]]), (2,), eps=0.0 + 1e-12).round(4).tolist()
    [[0.8485, 1.1314]]
    """
    _check_input(input, min_dim=1)
    eps = float(np.finfo(input.dtype).eps) if eps is None else eps
    _check_eps(eps)
    normalized_shape = _trailing_shape(input, normalized_shape)
    _check_param("weight", weight, normalized_shape)
    if input.size == 0:
        return np.empty_like(input)  # as PyTorch
    axes = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    mean_square = np.square(input, dtype=np.float64).mean(axis=axes, keepdims=True)
    output = input * (1.0 / np.sqrt(mean_square + eps)).astype(input.dtype)
    return _affine(output, weight, None, normalized_shape)


# ---------------------------------------------------------------- style and weights


def adain(content: np.ndarray, style: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    r"""Adaptive Instance Normalization (Huang & Belongie, 2017).

    .. math:: y = \sigma(s) \frac{c - \mu(c)}{\sigma(c)} + \mu(s)

    Statistics per (sample, channel) over the spatial axes, with
    :math:`\sigma = \sqrt{\mathrm{Var}[x] + \epsilon}` (biased variance).

    Args:
        content: the activations whose statistics are replaced.
        style: the activations whose statistics are imposed; same N (or N=1) and C, any
            spatial size.
        eps: added to both variances. Default: 1e-5

    Shape:
        - Content: :math:`(N, C, *)`; Style: :math:`(N \text{ or } 1, C, *)`
        - Output: the content's shape

    >>> adain(np.array([[[0.0, 2.0]]]), np.array([[[10.0, 30.0]]])).round(3).tolist()
    [[[10.0, 30.0]]]
    """
    _check_input(content, min_dim=3)
    _check_input(style, min_dim=3)
    _check_eps(eps)
    if style.shape[1] != content.shape[1] or style.shape[0] not in (1, content.shape[0]):
        raise ValueError(
            f"style must have the content's channels and batch size (or batch 1), "
            f"got content {tuple(content.shape)} and style {tuple(style.shape)}"
        )
    normalized, _, _ = normalize(content, tuple(range(2, content.ndim)), eps)
    style_axes = tuple(range(2, style.ndim))
    style_mean = style.mean(axis=style_axes, dtype=np.float64, keepdims=True)
    style_std = np.sqrt(style.var(axis=style_axes, dtype=np.float64, keepdims=True) + eps)
    style_shape = style.shape[:2] + (1,) * (content.ndim - 2)  # (N, C, 1, ...)
    return (normalized * style_std.reshape(style_shape) + style_mean.reshape(style_shape)).astype(
        content.dtype
    )


def weight_standardization(weight: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    r"""Weight Standardization (Qiao et al., 2019): standardize each output channel's weights.

    .. math:: \hat W_i = \frac{W_i - \mathrm{E}[W_i]}{\sqrt{\mathrm{Var}[W_i] + \epsilon}}

    Biased statistics over every axis but the first (output channels).

    Args:
        weight: a linear or convolution weight.
        eps: added to the variance. Default: 1e-5

    Shape:
        - Weight: :math:`(C_{out}, *)`
        - Output: same shape

    >>> weight_standardization(np.array([[1.0, 3.0]])).round(4).tolist()
    [[-1.0, 1.0]]
    """
    _check_input(weight)
    _check_eps(eps)
    standardized, _, _ = normalize(weight, tuple(range(1, weight.ndim)), eps)
    return standardized


def spectral_norm(
    weight: np.ndarray,
    u: np.ndarray | None = None,
    n_power_iterations: int = 1,
    eps: float = 1e-12,
) -> tuple[np.ndarray, float, np.ndarray]:
    r"""Spectral Normalization (Miyato et al., 2018): divide the weight by its largest singular value.

    :math:`\sigma` is estimated by power iteration on ``W = weight.reshape(out, -1)``:
    :math:`v \leftarrow W^\top u / \lVert W^\top u \rVert`,
    :math:`u \leftarrow W v / \lVert W v \rVert`, :math:`\sigma = u^\top W v`,
    as ``torch.nn.utils.spectral_norm`` does. With enough iterations :math:`\sigma`
    equals the largest singular value.

    Args:
        weight: a linear or convolution weight.
        u: the left singular vector estimate to start from, shape (out,); None starts
            from a fixed seeded random vector. Default: None
        n_power_iterations: power-iteration steps. Default: 1
        eps: guards the vector normalization. Default: 1e-12

    Returns:
        ``(weight / sigma, sigma, u)`` with ``u`` the updated estimate, to pass back in.

    Shape:
        - Weight: :math:`(C_{out}, *)`; u: :math:`(C_{out},)`

    >>> _, sigma, _ = spectral_norm(np.diag([3.0, 1.0]), n_power_iterations=20)
    >>> round(sigma, 6)
    3.0
    """
    _check_input(weight)
    _check_eps(eps)
    if n_power_iterations < 0:
        raise ValueError(f"n_power_iterations must be at least 0, got {n_power_iterations}")
    matrix = weight.reshape(weight.shape[0], -1).astype(np.float64)  # (out, in * k * k)
    if u is None:
        u = np.random.default_rng(0).standard_normal(matrix.shape[0])
    _check_param("u", u, (matrix.shape[0],))
    u = _unit(np.asarray(u, dtype=np.float64), eps)
    v = _unit(matrix.T @ u, eps)
    for _ in range(n_power_iterations):
        v = _unit(matrix.T @ u, eps)
        u = _unit(matrix @ v, eps)
    sigma = float(u @ matrix @ v)
    return (weight / sigma).astype(weight.dtype), sigma, u


def _unit(vector: np.ndarray, eps: float) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), eps)
