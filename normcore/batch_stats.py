"""Batch statistics as estimates: how they wobble with the batch size, and what eval mode keeps.

Everything here draws batches from one fixed, seeded population and runs the
normalization functions of :mod:`normcore.functional` on them, so a page can show
(and a test can check against PyTorch) the numbers a layer really computes:

- :func:`batch_moments`: the batch mean and (biased) batch variance of many batches,
  beside the theory :func:`moment_theory`;
- :func:`example_bands`: one fixed example's normalized value across many batches it
  could have landed in, for batch, group, layer norm and batch renorm;
- :func:`running_stats`: PyTorch's running mean and variance, step by step, beside
  Keras's moving variance (:func:`variance_conventions`);
- :func:`renorm_training`: how far training-mode output is from eval-mode output, step
  by step, for Batch Norm and Batch Renorm trained on small or non-i.i.d. batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from normcore import functional as F
from normcore.data import check_size, synthetic_activations
from normcore.stats import Histogram, histogram, value_range

BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128)
POPULATION_SIZE = 4096
CHANNELS = 8
BAND_NORMS = ("batch", "batch_renorm", "group", "layer")


def population(seed: int = 0, size: int = POPULATION_SIZE, channels: int = CHANNELS) -> np.ndarray:
    """A fixed population of ``size`` examples with ``channels`` features, shape (size, C), float64."""
    x = synthetic_activations(size, channels, seed=seed, dtype=np.float64)
    return x.reshape(size, channels)  # (N, C)


def draw_batches(pop: np.ndarray, batch_size: int, num_batches: int, seed: int = 0) -> np.ndarray:
    """``num_batches`` batches drawn with replacement from ``pop`` (N, C): shape (num_batches, B, C)."""
    check_size(num_batches, batch_size, pop.shape[1])
    rows = np.random.default_rng([seed, batch_size]).integers(0, len(pop), (num_batches, batch_size))
    return pop[rows]  # (num_batches, B, C)


# ---------------------------------------------------------------- A. moments


@dataclass(frozen=True)
class Moments:
    """One feature's batch means and biased batch variances over many batches of size ``batch_size``."""

    batch_size: int
    means: np.ndarray  # (num_batches,)
    variances: np.ndarray  # (num_batches,) biased: divided by B, as BN normalizes with


def batch_moments(
    pop: np.ndarray, batch_size: int, num_batches: int, channel: int = 0, seed: int = 0
) -> Moments:
    """The mean and biased variance of feature ``channel`` in ``num_batches`` random batches."""
    batches = draw_batches(pop[:, channel : channel + 1], batch_size, num_batches, seed)[..., 0]  # (K, B)
    _, mean, var = F.normalize(batches, axes=(1,))
    return Moments(batch_size, mean.ravel(), var.ravel())


def moment_theory(pop_mean: float, pop_var: float, batch_size: int) -> dict[str, float]:
    r"""What sampling theory says about batches of ``batch_size`` drawn with replacement.

    :math:`\mathrm{E}[\mu_B] = \mu`, :math:`\mathrm{sd}[\mu_B] = \sigma / \sqrt{B}` and
    :math:`\mathrm{E}[\sigma_B^2] = \frac{B-1}{B} \sigma^2` for the biased batch variance.

    >>> moment_theory(0.0, 4.0, 4)
    {'mean': 0.0, 'mean_sd': 1.0, 'var': 3.0, 'var_bias': 0.75}
    """
    return {
        "mean": pop_mean,
        "mean_sd": float(np.sqrt(pop_var / batch_size)),
        "var": pop_var * (batch_size - 1) / batch_size,
        "var_bias": (batch_size - 1) / batch_size,
    }


def moment_histograms(
    measured: Moments, theory: dict, pop_var: float, bins: int = 40
) -> tuple[Histogram, Histogram]:
    """Binned batch means (range covering theory's 4 sd) and batch variances (range covering 0 and sigma^2)."""
    spread = 4 * theory["mean_sd"]
    mean_range = value_range(measured.means, np.array([theory["mean"] - spread, theory["mean"] + spread]))
    var_range = value_range(measured.variances, np.array([0.0, pop_var]))
    return histogram(measured.means, bins, mean_range), histogram(measured.variances, bins, var_range)


def moments_summary(pop: np.ndarray, num_batches: int, channel: int = 0, seed: int = 0) -> dict:
    """Measured against theory for every size in :data:`BATCH_SIZES`, as columns of equal length."""
    column = pop[:, channel]
    pop_mean, pop_var = float(column.mean()), float(column.var())
    rows = {"batch_size": [], "mean_sd": [], "mean_sd_theory": [], "var_mean": [], "var_theory": []}
    for b in BATCH_SIZES:
        measured = batch_moments(pop, b, num_batches, channel, seed)
        theory = moment_theory(pop_mean, pop_var, b)
        for name, value in [
            ("batch_size", b),
            ("mean_sd", float(measured.means.std())),
            ("mean_sd_theory", theory["mean_sd"]),
            ("var_mean", float(measured.variances.mean())),
            ("var_theory", theory["var"]),
        ]:
            rows[name].append(value)
    return {"population_mean": pop_mean, "population_var": pop_var, **rows}


def moment_metrics(measured: Moments, theory: dict[str, float]) -> dict[str, float]:
    r"""The measured spread of the batch means and mean batch variance, each beside its theory.

    .. math:: \mathrm{sd}[\mu_B] \text{ (over batches, } \tfrac{1}{K}\text{)}, \quad
        \sigma/\sqrt{B}, \quad \overline{\sigma_B^2}, \quad \tfrac{B-1}{B}\sigma^2

    Args:
        measured (Moments): :func:`batch_moments` of one feature (biased batch variances).
        theory (dict): :func:`moment_theory` for the same batch size.

    Returns ``sd``, ``sd_theory``, ``var``, ``var_theory``.

    Shape:
        - measured.means, measured.variances: :math:`(K,)` for K batches

    >>> m = Moments(2, np.array([0.0, 2.0]), np.array([1.0, 3.0]))
    >>> moment_metrics(m, moment_theory(1.0, 4.0, 2))
    {'sd': 1.0, 'sd_theory': 1.4142135623730951, 'var': 2.0, 'var_theory': 2.0}
    """
    return {
        "sd": float(measured.means.std()),
        "sd_theory": theory["mean_sd"],
        "var": float(measured.variances.mean()),
        "var_theory": theory["var"],
    }


def moments_table(measured: Moments) -> dict[str, np.ndarray]:
    """:func:`batch_moments` as columns, one row per batch: ``batch_mean``, ``batch_var_biased``.

    Shape:
        - each column: :math:`(K,)` for K batches

    >>> moments_table(Moments(2, np.array([0.5]), np.array([0.25])))
    {'batch_mean': array([0.5]), 'batch_var_biased': array([0.25])}
    """
    return {"batch_mean": measured.means, "batch_var_biased": measured.variances}


def summary_table(summary: dict) -> dict[str, list]:
    """:func:`moments_summary`'s per-batch-size columns (its population scalars left out).

    >>> summary_table({"population_var": 1.0, "batch_size": [1, 2], "mean_sd": [1.0, 0.7]})
    {'batch_size': [1, 2], 'mean_sd': [1.0, 0.7]}
    """
    return {name: column for name, column in summary.items() if isinstance(column, list)}


# ---------------------------------------------------------------- A. one example's band


def normalized_example(
    batch: np.ndarray,
    norm: str,
    *,
    num_groups: int = 2,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    r_max: float = 3.0,
    d_max: float = 5.0,
) -> np.ndarray:
    """Row 0 of ``batch`` (B, C) after ``norm`` in training mode; NaN where training mode is undefined.

    Batch norm and batch renorm need more than one value per channel (B > 1), as in
    PyTorch; group and layer norm only look at the example itself.
    """
    if norm in ("batch", "batch_renorm") and batch.shape[0] < 2:
        return np.full(batch.shape[1], np.nan)
    if norm == "batch":
        return F.batch_norm(batch, None, None, training=True)[0]
    if norm == "batch_renorm":
        mean, var = running_mean.copy(), running_var.copy()  # the function updates them in place
        return F.batch_renorm(batch, mean, var, training=True, r_max=r_max, d_max=d_max)[0]
    if norm == "group":
        return F.group_norm(batch, num_groups)[0]
    if norm == "layer":
        return F.layer_norm(batch, batch.shape[1:])[0]
    raise ValueError(f"unknown norm {norm!r}; expected one of {', '.join(BAND_NORMS)}")


def example_bands(
    pop: np.ndarray,
    example: int = 0,
    channel: int = 0,
    num_batches: int = 200,
    *,
    num_groups: int = 2,
    r_max: float = 3.0,
    d_max: float = 5.0,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Example ``example``'s normalized feature ``channel`` across ``num_batches`` batches per size.

    For every B in :data:`BATCH_SIZES` the example is put in ``num_batches`` batches
    with B - 1 companions drawn from ``pop``; batch renorm's running statistics are the
    population's (a well-trained layer). Returns, per norm, an array of shape
    ``(len(BATCH_SIZES), num_batches)`` (NaN where B = 1 makes the norm undefined).
    """
    F._check_groups(pop.shape[1], num_groups)
    x = pop[example : example + 1]  # (1, C)
    running = pop.mean(axis=0), pop.var(axis=0, ddof=1)
    bands = {norm: np.empty((len(BATCH_SIZES), num_batches)) for norm in BAND_NORMS}
    for i, b in enumerate(BATCH_SIZES):
        companions = draw_batches(pop, max(b - 1, 1), num_batches, seed)[:, : b - 1]  # (K, B-1, C)
        batches = np.concatenate([np.broadcast_to(x, (num_batches, 1, x.shape[1])), companions], axis=1)
        for norm in BAND_NORMS:
            bands[norm][i] = _first_rows(batches, norm, num_groups, running, r_max, d_max)[:, channel]
    return bands


def _first_rows(batches: np.ndarray, norm: str, num_groups: int, running, r_max: float, d_max: float):
    """:func:`normalized_example` of every batch in ``batches`` (K, B, C) at once: shape (K, C)."""
    k, b, c = batches.shape
    if norm in ("group", "layer"):
        flat = batches.reshape(k * b, c)  # (K * B, C): per-example norms ignore the batch
        out = F.group_norm(flat, num_groups) if norm == "group" else F.layer_norm(flat, (c,))
        return out.reshape(k, b, c)[:, 0]
    if b < 2:
        return np.full((k, c), np.nan)
    x_hat, mean, var = F.normalize(batches, axes=(1,))  # each batch's own statistics, as BN in training
    if norm == "batch":
        return x_hat[:, 0]
    running_std = np.sqrt(running[1] + 1e-5)
    r = np.clip(np.sqrt(var + 1e-5) / running_std, 1.0 / r_max, r_max)  # as F.renorm_corrections
    d = np.clip((mean - running[0]) / running_std, -d_max, d_max)
    return (x_hat * r + d)[:, 0]


def near_unit_share(population: np.ndarray, num_groups: int, tol: float) -> float:
    """The share of ``population``'s group-normalized values within ``tol`` of ±1 (each example's features
    split into ``num_groups`` groups): with two features a group nearly every value is ±1."""
    out = F.group_norm(population[:, :, None], num_groups)  # (N, C, 1): each example's groups of features
    return float(np.mean(np.abs(np.abs(out) - 1) < tol))


def band_summary(values: np.ndarray, low: float = 5, high: float = 95) -> dict[str, np.ndarray]:
    """Per row of ``values`` (sizes x batches): the low/high percentiles and the median; NaN rows stay NaN."""
    rows = [np.nanpercentile(v, [low, 50, high]) if np.isfinite(v).any() else [np.nan] * 3 for v in values]
    low_q, median, high_q = np.array(rows, dtype=float).T
    return {"low": low_q, "median": median, "high": high_q}


def running_table(stats, momenta) -> dict[str, np.ndarray]:
    """:func:`running_stats`' curves as columns: ``step``, then ``mean_m<m>`` and ``var_m<m>`` per momentum."""
    columns = {"step": np.arange(stats.mean.shape[1])}
    columns |= {f"mean_m{m}": stats.mean[j] for j, m in enumerate(momenta)}
    return columns | {f"var_m{m}": stats.var[j] for j, m in enumerate(momenta)}


def bands_table(summaries: dict[str, dict[str, np.ndarray]]) -> list[dict]:
    """:func:`band_summary` of every norm as rows ``{norm, batch_size, low, median, high}``."""
    return [
        {"norm": norm, "batch_size": size, **{q: float(band[q][i]) for q in ("low", "median", "high")}}
        for norm, band in summaries.items()
        for i, size in enumerate(BATCH_SIZES)
    ]


def batch_of_one(channels: int = 4, size: int = 3, seed: int = 0) -> dict:
    """What training-mode batch norm does with one example, as PyTorch does it.

    ``(1, C)`` has one value per channel: refused with PyTorch's message. ``(1, C, H, W)``
    has H * W values per channel: each channel is normalized over its own pixels, which
    is exactly instance norm.
    """
    flat = synthetic_activations(1, channels, seed=seed).reshape(1, channels)  # (1, C)
    try:
        F.batch_norm(flat, None, None, training=True)
        error = None
    except ValueError as refused:
        error = str(refused)
    image = synthetic_activations(1, channels, size, size, seed=seed, dtype=np.float64)  # (1, C, H, W)
    output = F.batch_norm(image, None, None, training=True)
    return {
        "flat_error": error,
        "image_input": image,
        "image_shape": image.shape,
        "image_output": output,
        "equals_instance_norm": bool(np.allclose(output, F.instance_norm(image))),
    }


# ---------------------------------------------------------------- B. running statistics


def decay_from_momentum(momentum: float) -> float:
    """Keras's / TensorFlow's decay equivalent to PyTorch's ``momentum``: ``1 - momentum``.

    PyTorch: ``new = (1 - m) * old + m * batch``, which is Batch Renorm's (Ioffe, 2017,
    Algorithm 1) ``mu := mu + alpha * (mu_B - mu)`` with ``alpha = m``. Keras
    ``BatchNormalization(momentum=decay)`` and TensorFlow: ``new = decay * old + (1 - decay) * batch``.
    The Batch Norm paper (Ioffe & Szegedy, 2015, Algorithm 2) keeps no running average:
    it averages the statistics of many mini-batches after training.

    >>> decay_from_momentum(0.1)
    0.9
    """
    return round(1.0 - momentum, 12)


def half_life(momentum: float) -> float:
    """Steps after which an old batch's weight in the running estimate has halved."""
    return float(np.log(0.5) / np.log1p(-momentum)) if 0 < momentum < 1 else 0.0


COMPARED_MOMENTA = (0.01, 0.1, 0.5)  # drawn beside the chosen momentum


def running_momenta(momentum: float, compared: tuple[float, ...] = COMPARED_MOMENTA) -> tuple[float, ...]:
    """The momenta whose running statistics are drawn: ``compared`` and ``momentum`` (to 3 decimals),
    ascending, each once.

    Args:
        momentum (float): the chosen momentum, PyTorch's convention.
        compared (tuple of float): always drawn. Default: ``(0.01, 0.1, 0.5)``

    >>> running_momenta(0.3)
    (0.01, 0.1, 0.3, 0.5)
    >>> running_momenta(0.1)
    (0.01, 0.1, 0.5)
    """
    return tuple(sorted({*compared, round(momentum, 3)}))


def population_moments(pop: np.ndarray, channel: int = 0) -> tuple[float, float]:
    r"""The mean and the unbiased variance of feature ``channel`` of ``pop``: what the running
    estimates approach (PyTorch's running variance averages unbiased batch variances).

    .. math:: \mu = \tfrac{1}{N}\sum_i x_i, \quad s^2 = \tfrac{1}{N-1}\sum_i (x_i - \mu)^2

    Args:
        pop (ndarray): the population.
        channel (int): the feature. Default: ``0``

    Shape:
        - pop: :math:`(N, C)`

    >>> population_moments(np.array([[1.0], [3.0]]))
    (2.0, 2.0)
    """
    column = pop[:, channel]  # (N,)
    return float(column.mean()), float(column.var(ddof=1))


@dataclass(frozen=True)
class RunningStats:
    """PyTorch's running buffers of one feature after each training step, for several momenta."""

    momenta: tuple[float, ...]
    mean: np.ndarray  # (M, steps + 1): step 0 is PyTorch's initial value 0
    var: np.ndarray  # (M, steps + 1): initial 1, then updated with the unbiased batch variance
    batch_mean: np.ndarray  # (steps,) the batches' own statistics
    batch_var: np.ndarray  # (steps,) biased: what the batch is normalized with
    batch_var_unbiased: np.ndarray  # (steps,) what enters the running estimate


def running_stats(
    pop: np.ndarray, momenta: tuple[float, ...], batch_size: int, steps: int, channel: int = 0, seed: int = 0
) -> RunningStats:
    """Run ``steps`` training-mode batch norm steps on batches from ``pop`` (N, C), one run per momentum.

    Every run sees the same batches, and each step is :func:`normcore.functional.batch_norm`
    with the running buffers passed in and updated in place, as ``nn.BatchNorm1d`` does.
    """
    if batch_size < 2:
        raise ValueError(f"training-mode batch norm needs batch_size >= 2, got {batch_size}")
    check_size(len(momenta), steps + 1)
    batches = draw_batches(pop[:, channel : channel + 1], batch_size, steps, seed)  # (steps, B, 1)
    mean, var = np.zeros((len(momenta), steps + 1)), np.ones((len(momenta), steps + 1))
    for j, momentum in enumerate(momenta):
        running_mean, running_var = np.zeros(1), np.ones(1)
        for step, batch in enumerate(batches, start=1):
            F.batch_norm(batch, running_mean, running_var, training=True, momentum=momentum)
            mean[j, step], var[j, step] = running_mean[0], running_var[0]
    values = batches[..., 0]  # (steps, B)
    return RunningStats(
        tuple(momenta),
        mean,
        var,
        values.mean(axis=1),
        values.var(axis=1),
        values.var(axis=1, ddof=1),
    )


def moving_average_keras(batch_values: np.ndarray, decay: float, initial: float) -> np.ndarray:
    """The same running estimate written the paper's / Keras's way: ``alpha * old + (1 - alpha) * batch``."""
    out = np.empty(len(batch_values) + 1)
    out[0] = initial
    for step, value in enumerate(batch_values, start=1):
        out[step] = decay * out[step - 1] + (1 - decay) * value
    return out


def variance_conventions(stats: RunningStats, momentum: float, batch_size: int) -> dict[str, float]:
    """PyTorch's running variance beside Keras's moving variance after the same batches.

    Both start at 1 and use ``decay = 1 - momentum``; PyTorch averages the batches' unbiased
    variances, Keras the biased ones its ``ops.moments`` returns. Since biased = (B - 1)/B *
    unbiased, ``keras = (B - 1)/B * pytorch + (1 - m)^steps / B`` exactly.
    """
    j = stats.momenta.index(momentum)
    keras = moving_average_keras(stats.batch_var, decay_from_momentum(momentum), 1.0)[-1]
    pytorch = float(stats.var[j, -1])
    steps = len(stats.batch_var)
    return {
        "pytorch": pytorch,
        "keras": float(keras),
        "ratio": float(keras) / pytorch,
        "bias_factor": (batch_size - 1) / batch_size,
        "initial_left": (1 - momentum) ** steps / batch_size,
    }


def conventions(stats: RunningStats) -> dict[str, list]:
    """Each momentum beside its decay, half-life, and the largest gap between the two ways of writing it.

    The gap is between PyTorch's running mean (from :func:`running_stats`) and the same
    batches averaged the Keras way with ``alpha = 1 - momentum``: zero up to rounding.
    """
    table = {"momentum": [], "decay": [], "half_life": [], "max_difference": []}
    for j, momentum in enumerate(stats.momenta):
        alpha = decay_from_momentum(momentum)
        keras = moving_average_keras(stats.batch_mean, alpha, 0.0)
        table["momentum"].append(momentum)
        table["decay"].append(alpha)
        table["half_life"].append(half_life(momentum))
        table["max_difference"].append(float(np.abs(keras - stats.mean[j]).max()))
    return table


def unbiased_factor(batch_size: int) -> float:
    r"""The unbiased batch variance over the biased one, :math:`\frac{B}{B-1}` (Bessel's correction).

    Training-mode batch norm normalizes with the biased variance (divided by B) and puts the
    unbiased one (divided by B - 1) into ``running_var``.

    Args:
        batch_size (int): B, at least 2.

    >>> unbiased_factor(4)
    1.3333333333333333
    """
    if batch_size < 2:
        raise ValueError(f"the unbiased variance needs batch_size >= 2, got {batch_size}")
    return batch_size / (batch_size - 1)


# ---------------------------------------------------------------- C. train versus eval


def trained_running_stats(
    pop: np.ndarray, batch_size: int = 32, steps: int = 200, momentum: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature running mean and variance after ``steps`` training-mode steps on ``pop``."""
    running_mean, running_var = np.zeros(pop.shape[1]), np.ones(pop.shape[1])
    for batch in draw_batches(pop, batch_size, steps, seed + 1):
        F.batch_norm(batch, running_mean, running_var, training=True, momentum=momentum)
    return running_mean, running_var


def trained_then_evaluated(
    pop: np.ndarray, batch_size: int, steps: int, momentum: float, seed: int = 0
) -> dict:
    """:func:`train_and_eval` on a fresh batch of ``pop`` after ``steps`` training steps of 32 (a trained layer)."""
    running_mean, running_var = trained_running_stats(pop, 32, steps, momentum, seed)
    return train_and_eval(draw_batches(pop, batch_size, 1, seed + 7)[0], running_mean, running_var)


def train_and_eval(batch: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray) -> dict:
    """One batch (B, C) through batch norm in training mode (batch statistics) and in eval mode (running)."""
    train = F.batch_norm(batch, running_mean.copy(), running_var.copy(), training=True)
    evaluated = F.batch_norm(batch, running_mean, running_var, training=False)
    return {"train": train, "eval": evaluated, "difference": train - evaluated}


def max_abs_difference(result: dict) -> float:
    r"""The largest gap between training-mode and eval-mode output in :func:`train_and_eval`'s ``result``:
    :math:`\max_{b,c} |y^{train}_{b,c} - y^{eval}_{b,c}|`.

    Shape:
        - result["difference"]: :math:`(B, C)`

    >>> max_abs_difference({"difference": np.array([[0.5, -2.0], [1.0, 0.0]])})
    2.0
    """
    return float(np.abs(result["difference"]).max())


def train_eval_table(result: dict) -> dict[str, np.ndarray]:
    r""":func:`train_and_eval`'s outputs as two columns, one row per value (row-major: example, then feature).

    Shape:
        - result["train"], result["eval"]: :math:`(B, C)`; each column: :math:`(B \cdot C,)`

    >>> train_eval_table({"train": np.array([[1.0, 2.0]]), "eval": np.array([[0.5, 1.5]])})
    {'train': array([1., 2.]), 'eval': array([0.5, 1.5])}
    """
    return {"train": result["train"].ravel(), "eval": result["eval"].ravel()}


def clustered_batches(
    pop: np.ndarray, batch_size: int, num_batches: int, channel: int = 0, clusters: int = 8, seed: int = 0
) -> np.ndarray:
    """Non-i.i.d. batches: each drawn from one of ``clusters`` equal slices of ``pop`` sorted by
    feature ``channel`` (like a batch holding one class). Shape (num_batches, B, C)."""
    check_size(num_batches, batch_size, pop.shape[1])
    order = np.argsort(pop[:, channel], kind="stable").reshape(clusters, -1)  # (K, N / K) rows by slice
    rng = np.random.default_rng([seed, batch_size, clusters])
    which = rng.integers(0, clusters, num_batches)
    picks = rng.integers(0, order.shape[1], (num_batches, batch_size))
    return pop[order[which[:, None], picks]]  # (num_batches, B, C)


BATCH_KINDS = ("random", "cluster")


@dataclass(frozen=True)
class RenormRun:
    """Batch Norm and Batch Renorm trained on the same batches; per step, for one feature."""

    gap_batch: np.ndarray  # (steps,) mean |train-mode output - eval-mode output| over the batch
    gap_batch_renorm: np.ndarray  # (steps,)
    clipped: np.ndarray  # (steps,) bool: r or d of this feature was clipped
    r: np.ndarray  # (steps,) clipped, as used
    d: np.ndarray  # (steps,)
    running_std: np.ndarray  # (steps,) sqrt(running_var + eps) after each step (this app, PyTorch-style)
    paper_std: np.ndarray  # (steps,) the paper's running sigma, sigma := sigma + alpha * (sigma_B - sigma)


def renorm_training(
    pop: np.ndarray,
    batch_size: int,
    steps: int,
    momentum: float,
    r_max: float,
    d_max: float,
    kind: str = "random",
    channel: int = 0,
    seed: int = 0,
    eps: float = 1e-5,
) -> RenormRun:
    """Train the running statistics on ``steps`` batches of ``pop`` and compare the modes at every step.

    At each step the batch goes through training-mode Batch Norm (batch statistics) and
    training-mode Batch Renorm (batch statistics corrected by r and d), and through eval
    mode (the running statistics as they are before this step's update, the ones r and d
    use); the gap is the mean |train - eval| of feature ``channel`` over the batch. Both
    layers start from PyTorch's buffers (0, 1) and see the same batches, so they keep the
    same running statistics. ``kind``: "random" (i.i.d.) or "cluster" (:func:`clustered_batches`).
    """
    if batch_size < 2:
        raise ValueError(f"training-mode batch norm needs batch_size >= 2, got {batch_size}")
    if kind == "random":
        batches = draw_batches(pop, batch_size, steps, seed + 1)
    elif kind == "cluster":
        batches = clustered_batches(pop, batch_size, steps, channel, seed=seed + 1)
    else:
        raise ValueError(f"unknown batch kind {kind!r}; expected one of {', '.join(BATCH_KINDS)}")
    x_hat, batch_mean, batch_var = F.normalize(batches, axes=(1,), eps=eps)  # training-mode BN, every step
    batch_mean, batch_var = batch_mean[:, 0], batch_var[:, 0]  # (steps, C)
    c = pop.shape[1]
    running_mean, running_var = np.empty((steps + 1, c)), np.empty((steps + 1, c))  # before step t: row t
    mean, var = np.zeros(c), np.ones(c)  # PyTorch's initial buffers
    for step in range(steps):  # the only sequential part: the running update, as F.batch_norm makes it
        running_mean[step], running_var[step] = mean, var
        F._update_running(mean, var, batch_mean[step], batch_var[step], batch_size, momentum)
    running_mean[steps], running_var[steps] = mean, var
    std = np.sqrt(running_var + eps)  # (steps + 1, C)
    mu, sigma = running_mean[:-1, channel, None], std[:-1, channel, None]  # (steps, 1): what eval mode uses
    x = batches[:, :, channel]  # (steps, B)
    evaluated = (x - mu) / sigma
    bn = x_hat[:, :, channel]
    sigma_b = np.sqrt(batch_var[:, channel] + eps)  # Algorithm 1's sigma_B: biased, eps inside
    r_free = sigma_b / sigma[:, 0]
    d_free = (batch_mean[:, channel] - mu[:, 0]) / sigma[:, 0]
    r, d = np.clip(r_free, 1.0 / r_max, r_max), np.clip(d_free, -d_max, d_max)  # as F.renorm_corrections
    renorm = bn * r[:, None] + d[:, None]
    paper_std = np.empty(steps)
    sigma_paper = np.sqrt(1.0 + eps)  # the paper's running sigma, from the same initial variance 1
    for step in range(steps):
        sigma_paper += momentum * (sigma_b[step] - sigma_paper)
        paper_std[step] = sigma_paper
    out = {
        "gap_batch": np.abs(bn - evaluated).mean(axis=1),
        "gap_batch_renorm": np.abs(renorm - evaluated).mean(axis=1),
        "r": r,
        "d": d,
        "running_std": std[1:, channel],
        "paper_std": paper_std,
    }
    clipped = (r != r_free) | (d != d_free)
    return RenormRun(clipped=clipped, **out)


def renorm_table(run: RenormRun) -> dict[str, np.ndarray]:
    """A :class:`RenormRun` per step as columns (steps counted from 1)."""
    columns = {"step": np.arange(1, len(run.gap_batch) + 1), "gap_batch": run.gap_batch}
    return columns | {
        "gap_batch_renorm": run.gap_batch_renorm,
        "r": run.r,
        "d": run.d,
        "clipped": run.clipped,
    }


def renorm_summary(run: RenormRun) -> dict[str, float]:
    """Means over the second half of the steps (after the running statistics have settled)."""
    half = slice(len(run.gap_batch) // 2, None)
    return {
        "steps": len(run.gap_batch) - len(run.gap_batch) // 2,
        "gap_batch": float(run.gap_batch[half].mean()),
        "gap_batch_renorm": float(run.gap_batch_renorm[half].mean()),
        "clipped_share": float(run.clipped[half].mean()),
        "running_std": float(run.running_std[-1]),
        "paper_std": float(run.paper_std[-1]),
    }
