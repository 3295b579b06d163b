"""The Explorer's compute: its inputs, the warm-up behind the running statistics, and the norm.

Inputs are ``(N, C, H, W)`` float32 batches drawn from a *population* fixed by a seed:
synthetic activations of a chosen distribution shape whose channels differ in mean and
scale, or the activations of a fixed, seeded random 3x3 convolution over real images
(scikit-learn's two sample photos, or its handwritten digits). ``batch`` picks which
batch of the population is drawn: batch 0 is the one shown, batches 1, 2, ... are the
training batches of the warm-up that fills Batch Norm's running statistics.

:func:`run` applies a norm as PyTorch's ``torch.nn`` module does, refusing exactly the
inputs PyTorch refuses (batch size 1 without space in training, say) with its message.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from normcore import functional as F
from normcore import saturation
from normcore.data import MAX_ELEMENTS, check_size
from normcore.stats import Histogram, grouped_histograms, histogram, value_range
from normcore.teaching import BATCH_DEPENDENT, Explained, explain, follow_element

SOURCES = ("synthetic", "photo", "digits")
SHAPES = ("normal", "uniform", "skewed", "heavy", "outliers")
ACTIVATIONS = ("relu", "sigmoid", "tanh")
GROUPINGS = ("set", "channel", "sample")  # what the small multiples are split by
WARMUP_BATCH = 32  # samples per warm-up training batch ...
WARMUP_ELEMENTS = 262_144  # ... fewer when a batch would hold more values than this
FILTER_SEED = 20_17  # the fixed random convolution over the real images
OUTLIER_SHARE = 0.01
OUTLIER_SIZE = 8.0


@dataclass(frozen=True)
class Population:
    """Where the activations come from; every batch of it is reproducible from these values.

    ``offset`` spreads the per-channel means (channel ``c`` has mean ``offset * m_c``) and
    ``spread`` the per-channel scales (``exp(spread * s_c)``) of synthetic activations.
    """

    source: str = "synthetic"
    shape: str = "normal"
    offset: float = 2.0
    spread: float = 0.5
    seed: int = 0


def fit_batch(n: int, c: int, h: int, w: int, cap: int = MAX_ELEMENTS) -> int:
    """The largest batch size up to ``n`` whose ``N * C * H * W`` stays within ``cap`` (at least 1)."""
    return max(1, min(n, cap // (c * h * w)))


def warmup_batch_size(c: int, h: int, w: int) -> int:
    """Samples per warm-up training batch: 32, fewer for large feature maps (at most 262,144 values)."""
    return fit_batch(WARMUP_BATCH, c, h, w, cap=WARMUP_ELEMENTS)


# ---------------------------------------------------------------- inputs


def make_input(n: int, c: int, h: int, w: int, population: Population, batch: int = 0) -> np.ndarray:
    """Batch ``batch`` of ``population``: float32 activations of shape (N, C, H, W).

    >>> make_input(4, 2, 3, 3, Population(shape="uniform")).shape
    (4, 2, 3, 3)
    """
    check_size(n, c, h, w)
    rng = np.random.default_rng([population.seed, batch])
    if population.source == "synthetic":
        return _synthetic(n, c, h, w, population, rng)
    if population.source in ("photo", "digits"):
        images = _image_patches(population.source, n, h + 2, w + 2, rng)  # (N, I, H + 2, W + 2)
        return _conv3x3(images, _filters(images.shape[1])[:c])
    raise ValueError(f"unknown source {population.source!r}; expected one of {', '.join(SOURCES)}")


def _synthetic(n, c, h, w, population: Population, rng) -> np.ndarray:
    channels = np.random.default_rng(population.seed)
    means = population.offset * channels.standard_normal(c)
    scales = np.exp(population.spread * channels.standard_normal(c))
    x = standard_noise(rng, (n, c, h, w), population.shape)
    x *= scales.astype(np.float32).reshape(1, c, 1, 1)
    x += means.astype(np.float32).reshape(1, c, 1, 1)
    return x


def standard_noise(rng: np.random.Generator, size: tuple[int, ...], shape: str) -> np.ndarray:
    """float32 noise of mean 0 and variance 1 (outliers: about 1.6) with the given ``shape``.

    normal; uniform on [-sqrt 3, sqrt 3]; skewed: exponential minus 1; heavy-tailed:
    Student's t with 3 degrees of freedom over sqrt 3; outliers: normal with 1% of the
    values replaced by +-8.
    """
    if shape in ("normal", "outliers"):
        x = rng.standard_normal(size, dtype=np.float32)
        if shape == "outliers":
            hit = rng.random(size, dtype=np.float32) < OUTLIER_SHARE
            x[hit] = OUTLIER_SIZE * np.sign(x[hit])
        return x
    if shape == "uniform":
        return rng.uniform(-np.sqrt(3), np.sqrt(3), size).astype(np.float32)
    if shape == "skewed":
        return rng.standard_exponential(size, dtype=np.float32) - 1
    if shape == "heavy":
        return (rng.standard_t(3, size) / np.sqrt(3)).astype(np.float32)
    raise ValueError(f"unknown distribution shape {shape!r}; expected one of {', '.join(SHAPES)}")


@lru_cache(maxsize=2)
def _images(source: str) -> np.ndarray:
    """The real images as read-only float32 (count, channels, height, width) in [0, 1]."""
    from sklearn.datasets import load_digits, load_sample_images  # ~1.5 s: only when asked for

    if source == "photo":
        images = np.stack(load_sample_images().images).transpose(0, 3, 1, 2) / 255.0  # (2, 3, 427, 640)
    else:
        images = load_digits().images[:, None] / 16.0  # (1797, 1, 8, 8)
    images = images.astype(np.float32)
    images.setflags(write=False)
    return images


def _image_patches(source: str, n: int, h: int, w: int, rng) -> np.ndarray:
    """``n`` seeded (h, w) patches: random crops of the photos, whole digits resized."""
    images = _images(source)
    count, _, height, width = images.shape
    pick = rng.integers(0, count, n)
    if source == "photo":
        rows = rng.integers(0, height - h + 1, n)[:, None] + np.arange(h)  # (N, h)
        cols = rng.integers(0, width - w + 1, n)[:, None] + np.arange(w)  # (N, w)
    else:  # nearest-neighbour resize of the 8 x 8 digit to h x w
        rows = np.broadcast_to(np.arange(h) * height // h, (n, h))
        cols = np.broadcast_to(np.arange(w) * width // w, (n, w))
    patches = images[pick[:, None, None], :, rows[:, :, None], cols[:, None, :]]  # (N, h, w, I)
    return np.ascontiguousarray(patches.transpose(0, 3, 1, 2))  # (N, I, h, w)


@lru_cache(maxsize=4)
def _filters(in_channels: int, out_channels: int = 64) -> np.ndarray:
    """The fixed random 3x3 filters (He initialization); channel c is the same filter for every C."""
    rng = np.random.default_rng(FILTER_SEED)
    filters = rng.standard_normal((out_channels, in_channels, 3, 3)) * np.sqrt(2.0 / (9 * in_channels))
    filters = filters.astype(np.float32)
    filters.setflags(write=False)
    return filters


def _conv3x3(images: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """A 'valid' 3x3 convolution (cross-correlation, as torch's conv2d): (N, I, H+2, W+2) -> (N, C, H, W)."""
    windows = np.lib.stride_tricks.sliding_window_view(images, (3, 3), axis=(2, 3))  # (N, I, H, W, 3, 3)
    out = np.tensordot(windows, filters, axes=([1, 4, 5], [1, 2, 3]))  # (N, H, W, C)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2), dtype=np.float32)  # (N, C, H, W)


def resample(array: np.ndarray, n: int, seed: int, batch: int) -> np.ndarray:
    """Batch ``batch`` of ``n`` samples drawn with replacement from ``array`` (an upload's warm-up)."""
    rows = np.random.default_rng([seed, batch]).integers(0, array.shape[0], n)
    return array[rows]


# ---------------------------------------------------------------- running statistics


def batch_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """One training batch's per-channel mean, biased variance and count of values per channel."""
    axes = (0,) + tuple(range(2, x.ndim))
    count = x.size // x.shape[1]
    if count <= 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {torch_size(x.shape)}"
        )
    return x.mean(axis=axes, dtype=np.float64), x.var(axis=axes, dtype=np.float64), count


def running_statistics(
    moments: list[tuple[np.ndarray, np.ndarray, int]], channels: int, momentum: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Batch Norm's running mean and variance after training on batches with these ``moments``.

    Starts as PyTorch's buffers do (mean 0, variance 1) and applies
    ``running = (1 - momentum) * running + momentum * batch`` per batch, with the
    unbiased batch variance.

    >>> x = np.array([[1.0, 2.0], [3.0, 6.0]])
    >>> running_statistics([batch_moments(x)], 2, momentum=1.0)
    (array([2., 4.]), array([2., 8.]))
    """
    running_mean, running_var = np.zeros(channels), np.ones(channels)
    for mean, var, count in moments:
        F._update_running(running_mean, running_var, mean, var, count, momentum)
    return running_mean, running_var


# ---------------------------------------------------------------- the norm, as PyTorch runs it


def torch_size(shape: tuple[int, ...]) -> str:
    return f"torch.Size([{', '.join(map(str, shape))}])"


def pytorch_refusal(
    shape: tuple[int, ...], norm: str, num_groups: int = 1, training: bool = True
) -> str | None:
    """The error ``torch.nn``'s module raises for this input shape, or None if it runs.

    Batch norm in training needs more than one value per channel; instance norm (which
    always uses the input's statistics) more than one spatial element; group norm more
    than one value in its ``(N * C // G, G, *)`` view.
    """
    n, c = shape[:2]
    spatial = int(np.prod(shape[2:], dtype=np.int64))
    if norm in BATCH_DEPENDENT and training and n * spatial <= 1:
        return f"Expected more than 1 value per channel when training, got input size {torch_size(shape)}"
    if norm == "instance" and spatial <= 1:
        return f"Expected more than 1 spatial element when training, got input size {torch_size(shape)}"
    if norm == "group" and c % num_groups == 0 and n * c // num_groups * spatial <= 1:
        return f"Expected more than 1 value per channel when training, got input size {list(shape)}"
    return None


def run(
    x: np.ndarray,
    norm: str,
    *,
    num_groups: int = 1,
    gamma: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    training: bool = True,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    momentum: float = 0.1,
    eps: float = 1e-5,
    r_max: float = 3.0,
    d_max: float = 5.0,
) -> Explained:
    """:func:`normcore.teaching.explain` as the ``torch.nn`` module runs it.

    Raises PyTorch's own ``ValueError`` where the module refuses the input; never
    changes the running statistics passed in. "none" has no γ/β (no layer at all) and
    RMS norm no β, as ``torch.nn.RMSNorm``.
    """
    refusal = pytorch_refusal(x.shape, norm, num_groups, training)
    if refusal:
        raise ValueError(refusal)
    copies = [None if s is None else np.array(s, dtype=np.float64) for s in (running_mean, running_var)]
    affine = {"none": {}, "rms": {"weight": gamma}}.get(norm, {"weight": gamma, "bias": beta})
    return explain(
        x,
        norm,
        num_groups=num_groups,
        training=training,
        running_mean=copies[0],
        running_var=copies[1],
        momentum=momentum,
        eps=eps,
        r_max=r_max,
        d_max=d_max,
        **affine,
    )


def with_affine(explained: Explained, gamma: np.ndarray | None, beta: np.ndarray | None) -> Explained:
    """``explained`` with its output recomputed as ``gamma[c] * x_hat + beta[c]`` (as :func:`run` does)."""
    if explained.norm == "none":
        return explained
    c = explained.x_hat.shape[1]
    bias = None if explained.norm == "rms" else beta
    return replace(explained, output=F._affine(explained.x_hat.copy(), gamma, bias, (1, c, 1)))


def recovering_affine(explained: Explained) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-channel γ, β that undo a per-channel norm exactly (γ = √(σ² + ε), β = μ), else None.

    Only Batch Norm (and Batch Renorm, whose r and d are folded in) normalizes per
    channel; other norms' sets cut across channels, so a per-channel γ/β cannot undo them.
    """
    if explained.norm not in BATCH_DEPENDENT:
        return None
    std = np.sqrt(explained.var + explained.eps)
    r, d = explained.extra.get("r", 1.0), explained.extra.get("d", 0.0)
    gamma = std / r
    return gamma, explained.mean - gamma * d


# ---------------------------------------------------------------- downstream


def activate(values: np.ndarray, activation: str) -> np.ndarray:
    """ReLU, sigmoid or tanh of ``values``."""
    if activation == "relu":
        return np.maximum(values, 0)
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-values))
    if activation == "tanh":
        return np.tanh(values)
    raise ValueError(f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}")


# Pre-activation thresholds of saturated units (normcore.saturation: slope below 10% of its peak).
SIGMOID_EDGE = saturation.sigmoid_edge()  # 3.636
TANH_EDGE = saturation.tanh_edge()  # 1.818


def stuck_share(pre_activation: np.ndarray, activation: str) -> float:
    """Share of units that pass almost no gradient: zero for ReLU (input ≤ 0), saturated for
    sigmoid and tanh (slope below :data:`normcore.saturation.SLOPE_SHARE` of its peak), decided on the input."""
    if activation == "relu":
        return float(np.count_nonzero(pre_activation <= 0) / pre_activation.size)
    edge = SIGMOID_EDGE if activation == "sigmoid" else TANH_EDGE
    return float(np.count_nonzero(np.abs(pre_activation) > edge) / pre_activation.size)


# ---------------------------------------------------------------- views


def set_grid(explained: Explained, shape: tuple[int, int]) -> np.ndarray:
    """The set of every (sample, channel) cell of the first ``shape[0]`` samples (all H*W
    elements of a cell share one set)."""
    index = explained.set_index[..., 0]  # (N or 1, C or 1)
    return np.broadcast_to(index[: shape[0]], shape)


def set_members(explained: Explained, values: np.ndarray, set_id: int) -> np.ndarray:
    """The values (shaped (N, C, L)) of the elements in normalization set ``set_id``."""
    index = np.broadcast_to(explained.set_index, values.shape)
    return values[index == set_id]


def sample_sets(explained: Explained, count: int) -> list[int]:
    """Up to ``count`` set ids spread evenly over all sets (for small multiples)."""
    total = explained.num_sets
    return sorted(set(np.linspace(0, total - 1, min(count, total)).round().astype(int).tolist()))


def worked_example(
    table: np.ndarray,
    norm: str,
    num_groups: int = 1,
    eps: float = 1e-5,
    gamma=None,
    beta=None,
    r_max: float = 3.0,
    d_max: float = 5.0,
) -> dict[str, np.ndarray]:
    """Every intermediate of ``norm`` on a small (N, C) table in training mode, element by element.

    Returns arrays of the table's shape: ``x``, ``mean``, ``var``, ``centered``
    (x - μ), ``std`` (√(σ² + ε)), ``x_hat``, ``y``. RMS Norm has no mean: it returns
    ``x``, ``mean_square`` (mean of x² over the sample), ``rms`` (√(mean_square + ε)),
    ``x_hat``, ``y``. Batch Renorm starts from fresh buffers (mean 0, variance 1), as a
    new layer does, and adds ``r`` and ``d``, clipped by ``r_max`` and ``d_max``
    (``r_max = 1, d_max = 0`` is plain Batch Norm).
    """
    x = np.asarray(table, dtype=np.float64)
    c = x.shape[1]
    running = (np.zeros(c), np.ones(c)) if norm == "batch_renorm" else (None, None)
    gamma = np.ones(c) if gamma is None else np.asarray(gamma, dtype=np.float64)
    beta = np.zeros(c) if beta is None else np.asarray(beta, dtype=np.float64)
    e = run(x, norm, num_groups=num_groups, gamma=gamma, beta=beta, running_mean=running[0],
            running_var=running[1], eps=eps, r_max=r_max, d_max=d_max)  # fmt: skip
    index = np.broadcast_to(e.set_index, x[:, :, None].shape)[:, :, 0]  # (N, C)
    mean, var = e.mean[index], e.var[index]
    if norm == "rms":  # no centring: the one statistic is the root mean square
        steps = {"x": x, "mean_square": var, "rms": np.sqrt(var + eps)}
    else:
        steps = {"x": x, "mean": mean, "var": var, "centered": x - mean, "std": np.sqrt(var + eps)}
    if norm == "batch_renorm":
        steps["r"] = np.broadcast_to(e.extra["r"], x.shape)
        steps["d"] = np.broadcast_to(e.extra["d"], x.shape)
    return steps | {"x_hat": e.x_hat[:, :, 0], "y": e.output[:, :, 0]}


@dataclass(frozen=True)
class Summary:
    """Everything the Explorer draws, small enough to cache and send: bins, not samples."""

    before: Histogram  # the input, on the range shared with ``after``
    after: Histogram  # the layer's output
    groups: list[int]  # the sets (or channels, or samples) shown as small multiples
    group_before: list[Histogram] | None  # None unless the "multiples" part was asked for
    group_after: list[Histogram] | None
    grid: np.ndarray  # (rows, C) set of each (sample, channel) cell, first rows only
    set_ids: np.ndarray  # the sets whose statistics are listed (the first ``max_sets``)
    mean: np.ndarray
    var: np.ndarray
    own_mean: np.ndarray | None  # eval mode: the batch's own statistics beside the running ones
    own_var: np.ndarray | None
    followed: dict
    # The "downstream" part (None unless asked for):
    downstream: list[Histogram] | None  # x_hat, gamma * x_hat + beta, activation of it
    stuck: float | None  # share of dead / saturated units after gamma/beta
    stuck_plain: float | None  # the same with gamma = 1, beta = 0
    identity_error: float | None  # largest |output - input|: 0 up to rounding once gamma/beta recover x


PARTS = ("multiples", "downstream")  # what summarize bins only when asked (a view that shows it)


def _range(*arrays: np.ndarray) -> tuple[float, float]:
    """:func:`normcore.stats.value_range` without its copies when every value is finite (the usual case)."""
    low, high = min(float(a.min()) for a in arrays), max(float(a.max()) for a in arrays)
    if not (np.isfinite(low) and np.isfinite(high)):
        return value_range(*arrays)
    span = high - low or 1.0
    return low - 0.05 * span, high + 0.05 * span


def group_index(explained: Explained, shape: tuple[int, int, int], by: str) -> np.ndarray:
    """Which small multiple each element of an (N, C, L) batch falls in: its set, channel or sample."""
    n, c, _ = shape
    if by == "channel":
        return np.arange(c).reshape(1, c, 1)
    if by == "sample":
        return np.arange(n).reshape(n, 1, 1)
    return explained.set_index


def summarize(
    input: np.ndarray,
    explained: Explained,
    *,
    activation: str = "relu",
    by: str = "set",
    follow: tuple[int, int, int] = (0, 0, 0),
    bins: int = 50,
    multiples: int = 8,
    max_sets: int = 128,
    block_rows: int = 16,
    parts: tuple[str, ...] = PARTS,
) -> Summary:
    """Bin and pick what the Explorer shows of ``explained`` (the norm applied to ``input``).

    The histograms, statistics, set grid and followed element always; of ``parts`` (see :data:`PARTS`)
    only those asked for: the small multiples' histograms, the downstream histograms and shares."""
    x = input.reshape(explained.output.shape)  # (N, C, L)
    y, x_hat = explained.output, explained.x_hat
    shared = _range(x, y)
    cells = np.broadcast_to(group_index(explained, x.shape, by)[..., 0], x.shape[:2])  # (N, C)
    count = int(cells.max()) + 1
    groups = sorted({int(g) for g in np.linspace(0, count - 1, min(multiples, count)).round()})
    ids = np.arange(min(explained.num_sets, max_sets))
    own = explained.batch_mean is not None and explained.mean is not explained.batch_mean
    multiples = (
        [grouped_histograms(v, cells[..., None], groups, bins // 2, shared) for v in (x, y)]
        if "multiples" in parts
        else [None, None]
    )
    return Summary(
        before=histogram(x, bins, shared),
        after=histogram(y, bins, shared),
        groups=groups,
        group_before=multiples[0],
        group_after=multiples[1],
        grid=set_grid(explained, (min(x.shape[0], block_rows), x.shape[1])).copy(),
        set_ids=ids,
        mean=explained.mean[ids],
        var=explained.var[ids],
        own_mean=explained.batch_mean[ids] if own else None,
        own_var=explained.batch_var[ids] if own else None,
        followed=follow_element(explained, x, *follow)
        | {k: float(v[follow[1]]) for k, v in explained.extra.items()},
        **(
            _downstream(x, x_hat, y, activation, bins) if "downstream" in parts else dict.fromkeys(DOWNSTREAM)
        ),
    )


DOWNSTREAM = ("downstream", "stuck", "stuck_plain", "identity_error")


def _downstream(x: np.ndarray, x_hat: np.ndarray, y: np.ndarray, activation: str, bins: int) -> dict:
    """The downstream part of a :class:`Summary`: what γ/β and the activation do to x̂."""
    activated = activate(y, activation)
    act_range = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}.get(activation)
    return dict(
        downstream=[histogram(v, bins, _range(x_hat, y)) for v in (x_hat, y)]
        + [histogram(activated, bins, act_range or _range(activated))],
        stuck=stuck_share(y, activation),
        stuck_plain=stuck_share(x_hat, activation),
        identity_error=float(np.abs(y - x).max()),
    )
