"""A small, deterministic MLP trainer on handwritten digits, for live experiments.

The network is ``depth`` hidden blocks of Linear → Norm → Activation (→ Dropout) and a
linear read-out, as in the Batch Normalization paper's §4.1 (3 hidden layers of 100
sigmoid units); the norm can also sit after the activation. :func:`train` runs plain or
momentum SGD (optionally with weight decay) on scikit-learn's digits and returns plain
numpy/python results: test accuracy per evaluation step (always in eval mode), each
hidden layer's weight norm ‖W‖ and effective step ‖ΔW‖/‖W‖, and optionally the
percentiles of one sigmoid's input, per-layer histograms, saturation and gradient
statistics.

Every random choice (initial weights, batch order, dropout masks) comes from a
:class:`torch.Generator` seeded from ``config.seed``, so a run is reproducible and
independent of other threads using torch's global generator.

>>> result = train(TrainConfig(norm="batch", steps=20, eval_every=10))
>>> result.steps
[0, 10, 20]
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from normcore import saturation
from normcore.stats import histogram, value_range

NORMS = ("none", "batch", "layer", "group", "rms", "batch_renorm", "center")
NORM_POSITIONS = ("before", "after")  # the norm before the activation (the BN paper's) or after it
BATCH_NORMS = ("batch", "batch_renorm", "center")  # a bias before them is subtracted away
ACTIVATIONS = ("sigmoid", "tanh", "relu")
NUM_CLASSES = 10
NUM_FEATURES = 64
PERCENTILES = (15, 50, 85)
HISTOGRAM_BINS = 40
MAX_STEPS = 50_000  # guards the server: the largest run any caller may ask for
TRAIN_THREADS = 1  # these matrices are tiny: one thread is fastest and leaves the other core free


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a run; frozen and hashable, so it can key a cache.

    Model:
        norm: one of :data:`NORMS`. ``"center"`` only subtracts the batch mean (the
            paper's §2 example). Default: "none"
        activation: "sigmoid", "tanh" or "relu". Default: "sigmoid"
        depth, width: hidden layers and units per layer. Default: 3, 100
        init_scale: initial weights (and linear biases) drawn from N(0, init_scale²);
            None uses PyTorch's default initialization. Default: 0.1
        num_groups: groups for ``norm="group"``; must divide ``width``. Default: 4
        r_max, d_max: Batch Renorm's bounds. Default: 3.0, 5.0
        linear_bias: keep the linear layers' bias; None drops it right before batch-type
            norms (whose mean subtraction removes it) and keeps it elsewhere. Default: None
        stats_in_grad: backpropagate through the batch statistics of "batch" and
            "center"; False treats them as constants (the paper's §2). Default: True
        dropout: drop probability after each hidden activation. Default: 0.0
        norm_position: "before" the activation (Linear → Norm → Act, the BN paper's
            layout) or "after" it (Linear → Act → Norm). Default: "before"
    Training:
        batch_size: examples per step (incomplete last batches of an epoch are dropped).
            Default: 60
        lr, momentum: SGD learning rate and momentum. Default: 0.5, 0.0
        weight_decay: SGD's L2 penalty λ on every parameter (each step subtracts
            ``lr * λ * p``, as ``torch.optim.SGD(weight_decay=λ)``). Default: 0.0
        steps: optimizer steps; ``epochs`` (if set) overrides it. Default: 3000
        epochs: passes over the training set. Default: None
        eval_every: evaluate every this many steps (and at step 0 and the end). Default: 50
        seed: fixes the initial weights, batch order and dropout masks. Default: 0
    Recording (costs time only at evaluation steps):
        record_percentiles: the 15/50/85th percentiles of the input to unit
            ``probe_unit`` of the last hidden layer on the test set. Default: False
        record_layers: per-layer histograms, saturation and gradient ratios. Default: False
    """

    norm: str = "none"
    activation: str = "sigmoid"
    depth: int = 3
    width: int = 100
    init_scale: float | None = 0.1
    num_groups: int = 4
    r_max: float = 3.0
    d_max: float = 5.0
    linear_bias: bool | None = None
    stats_in_grad: bool = True
    dropout: float = 0.0
    norm_position: str = "before"
    batch_size: int = 60
    lr: float = 0.5
    momentum: float = 0.0
    weight_decay: float = 0.0
    steps: int = 3000
    epochs: int | None = None
    eval_every: int = 50
    seed: int = 0
    record_percentiles: bool = False
    probe_unit: int = 0
    record_layers: bool = False

    def __post_init__(self):
        _validate(self)

    @property
    def has_linear_bias(self) -> bool:
        if self.linear_bias is not None:
            return self.linear_bias
        return self.norm not in BATCH_NORMS or self.norm_position == "after"  # nothing subtracts it after

    def total_steps(self, num_train: int) -> int:
        """The number of optimizer steps this config runs on ``num_train`` examples."""
        if self.epochs is None:
            return self.steps
        return self.epochs * (num_train // self.batch_size)


def _validate(config: TrainConfig) -> None:
    checks = [
        (config.norm in NORMS, f"norm must be one of {NORMS}, got {config.norm!r}"),
        (config.activation in ACTIVATIONS, f"activation must be one of {ACTIVATIONS}"),
        (config.depth >= 1 and config.width >= 1, "depth and width must be at least 1"),
        (config.init_scale is None or config.init_scale > 0, "init_scale must be positive or None"),
        (
            config.norm != "group" or (config.num_groups >= 1 and config.width % config.num_groups == 0),
            f"width ({config.width}) must be divisible by num_groups ({config.num_groups})",
        ),
        (0 <= config.dropout < 1, f"dropout must be in [0, 1), got {config.dropout}"),
        (config.batch_size >= 2 or config.norm not in BATCH_NORMS, "batch norm needs batch_size >= 2"),
        (config.batch_size >= 1, "batch_size must be at least 1"),
        (config.lr > 0 and math.isfinite(config.lr), f"lr must be positive, got {config.lr}"),
        (0 <= config.momentum < 1, f"momentum must be in [0, 1), got {config.momentum}"),
        (
            config.weight_decay >= 0 and math.isfinite(config.weight_decay),
            f"weight_decay must be 0 or positive, got {config.weight_decay}",
        ),
        (
            config.norm_position in NORM_POSITIONS,
            f"norm_position must be one of {NORM_POSITIONS}, got {config.norm_position!r}",
        ),
        (config.steps >= 1 and (config.epochs is None or config.epochs >= 1), "need at least one step"),
        (config.eval_every >= 1, "eval_every must be at least 1"),
        (0 <= config.probe_unit < config.width, f"probe_unit must be below width ({config.width})"),
        (config.r_max >= 1 and config.d_max >= 0, "need r_max >= 1 and d_max >= 0"),
    ]
    for ok, message in checks:
        if not ok:
            raise ValueError(message)


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Digits:
    """scikit-learn's 8x8 digits, pixels scaled to [0, 1], split once with a fixed seed."""

    x_train: torch.Tensor  # (1438, 64)
    y_train: torch.Tensor  # (1438,)
    x_test: torch.Tensor  # (359, 64)
    y_test: torch.Tensor  # (359,)


@lru_cache(maxsize=1)
def load_digits(test_share: float = 0.2, split_seed: int = 0) -> Digits:
    """The digits split into train and test sets (the same split for every run).

    Reads scikit-learn's ``digits.csv.gz`` as ``sklearn.datasets.load_digits`` does, without
    importing scikit-learn (and scipy): that import alone costs each sweep worker ~150 MB.
    """
    data = np.loadtxt(_sklearn_data("digits.csv.gz"), delimiter=",")  # (1797, 65): pixels, label
    x = torch.tensor(data[:, :-1] / 16.0, dtype=torch.float32)  # (1797, 64) in [0, 1]
    y = torch.tensor(data[:, -1].astype(int), dtype=torch.int64)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(split_seed))
    num_test = round(test_share * len(y))
    test, train = order[:num_test], order[num_test:]
    return Digits(x[train], y[train], x[test], y[test])


def _sklearn_data(name: str) -> str:
    """The path of a file in scikit-learn's ``datasets/data`` folder, found without importing it."""
    import importlib.util
    import os

    package = importlib.util.find_spec("sklearn").submodule_search_locations[0]
    return os.path.join(package, "datasets", "data", name)


# ---------------------------------------------------------------- norm modules


class BatchRenorm1d(nn.Module):
    r"""Batch Renormalization on ``(N, C)``, consistent with :func:`normcore.functional.batch_renorm`.

    .. math:: y = \left(\frac{x - \mu_B}{\sigma_B} r + d\right)\gamma + \beta

    ``r`` and ``d`` are clipped corrections toward the running statistics and carry no
    gradient; eval mode is batch norm's eval mode.
    """

    def __init__(self, num_features: int, eps=1e-5, momentum=0.1, r_max=3.0, d_max=5.0):
        super().__init__()
        self.eps, self.momentum, self.r_max, self.d_max = eps, momentum, r_max, d_max
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return nn.functional.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps
            )
        mean, var = x.mean(0), x.var(0, unbiased=False)
        std = torch.sqrt(var + self.eps)
        running_std = torch.sqrt(self.running_var + self.eps)
        r = (std.detach() / running_std).clamp(1 / self.r_max, self.r_max)
        d = ((mean.detach() - self.running_mean) / running_std).clamp(-self.d_max, self.d_max)
        _update_running(self, mean.detach(), var.detach(), x.shape[0])
        return ((x - mean) / std * r + d) * self.weight + self.bias


class BatchCentering(nn.Module):
    """Batch norm or mean-only centering, optionally with the batch statistics outside the gradient.

    ``scale=False`` only subtracts the mean (the BN paper's §2 example); with
    ``stats_in_grad=False`` the mean and variance are treated as constants in backprop,
    the naive scheme §2 shows to fail. Eval mode uses the running statistics.
    """

    def __init__(self, num_features: int, scale=True, stats_in_grad=True, eps=1e-5, momentum=0.1):
        super().__init__()
        self.scale, self.stats_in_grad, self.eps, self.momentum = scale, stats_in_grad, eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features)) if scale else None
        self.bias = nn.Parameter(torch.zeros(num_features)) if scale else None
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            mean, var = x.mean(0), x.var(0, unbiased=False)
            _update_running(self, mean.detach(), var.detach(), x.shape[0])
            if not self.stats_in_grad:
                mean, var = mean.detach(), var.detach()
        else:
            mean, var = self.running_mean, self.running_var
        if not self.scale:
            return x - mean
        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias


def _update_running(module: nn.Module, mean: torch.Tensor, var: torch.Tensor, count: int) -> None:
    """PyTorch's running update, ``new = (1 - m) * old + m * batch``, unbiased variance."""
    m = module.momentum
    module.running_mean.mul_(1 - m).add_(m * mean)
    module.running_var.mul_(1 - m).add_(m * var * count / max(count - 1, 1))


def make_norm(config: TrainConfig) -> nn.Module:
    """The normalization module placed between a hidden linear layer and its activation."""
    width = config.width
    if config.norm == "batch" and config.stats_in_grad:
        return nn.BatchNorm1d(width)
    if config.norm in ("batch", "center"):
        return BatchCentering(width, scale=config.norm == "batch", stats_in_grad=config.stats_in_grad)
    if config.norm == "batch_renorm":
        return BatchRenorm1d(width, r_max=config.r_max, d_max=config.d_max)
    if config.norm == "layer":
        return nn.LayerNorm(width)
    if config.norm == "group":
        return nn.GroupNorm(config.num_groups, width)
    if config.norm == "rms":
        return nn.RMSNorm(width)
    return nn.Identity()


ACTIVATION_MODULES = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


# ---------------------------------------------------------------- the network


class MLP(nn.Module):
    """``depth`` blocks of Linear → Norm → Activation (→ Dropout), then a linear read-out.

    With ``norm_position="after"`` each block is Linear → Activation → Norm (→ Dropout).
    ``forward(x, capture=True)`` also returns each hidden block's pre-activation (the
    input to the nonlinearity) and activation (its output, before a norm placed after it),
    for the recordings.
    """

    def __init__(self, config: TrainConfig, generator: torch.Generator | None = None):
        super().__init__()
        sizes = [NUM_FEATURES] + [config.width] * config.depth
        bias = config.has_linear_bias
        self.linears = nn.ModuleList(
            nn.Linear(a, b, bias=bias) for a, b in zip(sizes, sizes[1:], strict=False)
        )
        self.norms = nn.ModuleList(make_norm(config) for _ in range(config.depth))
        self.act = ACTIVATION_MODULES[config.activation]()
        self.norm_after = config.norm_position == "after"
        self.dropout = config.dropout
        self.generator = generator
        self.readout = nn.Linear(config.width, NUM_CLASSES)
        self._init(config)

    def _init(self, config: TrainConfig) -> None:
        """N(0, s²) weights and biases, from two generators so that dropping a bias keeps the weights."""
        if config.init_scale is None:
            return  # nn.Linear's own (kaiming uniform) init, from torch's global generator
        weights = torch.Generator().manual_seed(config.seed)
        biases = torch.Generator().manual_seed(config.seed + 1_000_003)
        with torch.no_grad():
            for linear in [*self.linears, self.readout]:
                linear.weight.copy_(torch.randn(linear.weight.shape, generator=weights) * config.init_scale)
                if linear.bias is not None:
                    linear.bias.copy_(torch.randn(linear.bias.shape, generator=biases) * config.init_scale)

    def forward(self, x: torch.Tensor, capture: bool = False):
        captured = []
        for linear, norm in zip(self.linears, self.norms, strict=True):
            if self.norm_after:  # Linear → Act → Norm: the norm's output feeds the next layer
                z = linear(x)  # (N, width): the input to the nonlinearity
                a = self.act(z)
                x = norm(a)
            else:  # Linear → Norm → Act
                z = norm(linear(x))
                x = a = self.act(z)
            if capture:
                captured.append((z, a))
            if self.dropout and self.training:
                keep = torch.rand(x.shape, generator=self.generator) >= self.dropout
                x = x * keep / (1 - self.dropout)
        logits = self.readout(x)
        return (logits, captured) if capture else logits


def build_mlp(config: TrainConfig) -> MLP:
    """The network ``config`` describes, initialized deterministically from ``config.seed``."""
    if config.init_scale is None:
        torch.manual_seed(config.seed)  # only PyTorch's default init reads the global generator
    return MLP(config, torch.Generator().manual_seed(config.seed + 2_000_003))


# ---------------------------------------------------------------- results


@dataclass
class LayerRecord:
    """Per-layer recordings at each evaluation step, on that step's training batch.

    Arrays are indexed ``[evaluation, layer, ...]``; histogram ``edges`` are shared by
    the layers of one evaluation so that they compare on one axis.
    """

    activation_counts: list[np.ndarray] = field(default_factory=list)  # (L, bins) each
    activation_edges: list[np.ndarray] = field(default_factory=list)  # (bins + 1,) each
    gradient_counts: list[np.ndarray] = field(default_factory=list)  # (L, bins): dloss/dactivation
    gradient_edges: list[np.ndarray] = field(default_factory=list)
    saturated: list[list[float]] = field(default_factory=list)  # share of saturated units
    grad_to_data: list[list[float]] = field(default_factory=list)  # |grad W| / |W|
    update_to_data: list[list[float]] = field(default_factory=list)  # |ΔW| / |W|


@dataclass
class TrainResult:
    """What a run measured, as plain python and numpy values.

    ``steps[i]`` is the number of optimizer steps taken before evaluation ``i``; the
    lists beside it are aligned with it, except ``effective_step``, aligned with
    ``steps[1:]``: the size of the update made by step ``steps[i]`` itself relative to the
    weights before it, ‖W_after − W_before‖ / ‖W_before‖, for each hidden linear layer
    (the readout is left out: no norm follows it). ``stopped`` is True when the caller stopped it,
    ``diverged`` when the loss overflowed (the evaluations after that are missing).
    """

    config: TrainConfig
    steps: list[int] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)  # mean minibatch loss since the last evaluation
    bias_norm: list[float] = field(default_factory=list)  # |b| of the first linear layer (0 if none)
    percentiles: list[list[float]] = field(default_factory=list)  # (15th, 50th, 85th) per evaluation
    weight_norm: list[list[float]] = field(default_factory=list)  # ‖W‖ per hidden layer, per evaluation
    effective_step: list[list[float]] = field(default_factory=list)  # ‖ΔW‖/‖W‖ per hidden layer (steps[1:])
    layers: LayerRecord | None = None
    stopped: bool = False
    diverged: bool = False  # the loss became NaN or infinite; training ended there
    seconds: float = 0.0

    @property
    def final_accuracy(self) -> float:
        return self.test_accuracy[-1] if self.test_accuracy else float("nan")

    def steps_to_reach(self, accuracy: float) -> int | None:
        """The first evaluation step whose test accuracy is at least ``accuracy`` (None if never)."""
        return next((s for s, a in zip(self.steps, self.test_accuracy, strict=True) if a >= accuracy), None)

    def to_dict(self) -> dict:
        """A JSON-able summary (the layer recordings are left out: they are large)."""
        out = {k: v for k, v in asdict(self).items() if k not in ("layers", "config")}
        out["config"] = asdict(self.config)
        return out


# ---------------------------------------------------------------- training


Progress = Callable[[TrainResult, int, int], None]  # (result so far, steps done, total steps)


def train(
    config: TrainConfig,
    on_eval: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    data: Digits | None = None,
    on_done: Callable[[MLP], None] | None = None,
) -> TrainResult:
    """Train the MLP ``config`` describes and return what it measured.

    Args:
        config: the run.
        on_eval: called after every evaluation with the result so far, the steps done
            and the total; for streaming progress. Default: None
        should_stop: polled every step; returning True ends the run early, with
            ``result.stopped`` set. Default: None
        data: the dataset. Default: :func:`load_digits`
        on_done: called once with the trained model (left in eval mode), for callers
            that go on using it. Default: None

    A loss that turns NaN or infinite ends the run early (the remaining evaluations are
    not recorded); accuracy is measured in eval mode on the test set. Sets torch's
    (process-wide) thread count to :data:`TRAIN_THREADS`: on a shared 2-core host two
    threads made these small runs 20 times slower, not faster.
    """
    if torch.get_num_threads() != TRAIN_THREADS:
        torch.set_num_threads(TRAIN_THREADS)
    data = data or load_digits()
    total = config.total_steps(len(data.y_train))
    if total > MAX_STEPS:
        raise ValueError(f"{total} steps is more than the {MAX_STEPS} allowed; shorten the run")
    if config.batch_size > len(data.y_train):
        raise ValueError(f"batch_size must be at most {len(data.y_train)}, the training set's size")
    started = time.perf_counter()
    model = build_mlp(config)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
    )
    batches = _batches(data, config.batch_size, torch.Generator().manual_seed(config.seed))
    result = TrainResult(config, layers=LayerRecord() if config.record_layers else None)
    loss_sum, loss_count = 0.0, 0
    _evaluate(model, data, config, result, 0, _initial_train_loss(model, data))
    for step in range(1, total + 1):
        if should_stop is not None and should_stop():
            result.stopped = True
            break
        x, y = next(batches)
        evaluating = step % config.eval_every == 0 or step == total
        before = _hidden_weights(model) if evaluating else None
        recording = config.record_layers and evaluating
        loss = _step(model, optimizer, x, y, result.layers if recording else None, config.activation)
        if not math.isfinite(loss):
            result.diverged = True
            break
        loss_sum, loss_count = loss_sum + loss, loss_count + 1
        if evaluating:
            result.effective_step.append(
                [_ratio(w - w0, w0) for w, w0 in zip(_hidden_weights(model), before, strict=True)]
            )
            _evaluate(model, data, config, result, step, loss_sum / loss_count)
            loss_sum, loss_count = 0.0, 0
            if on_eval is not None:
                on_eval(result, step, total)
    result.seconds = time.perf_counter() - started
    if on_done is not None:
        model.eval()
        on_done(model)
    return result


def _batches(data: Digits, batch_size: int, generator: torch.Generator):
    """Endless shuffled batches, a new order every epoch; the incomplete last batch is dropped."""
    n = len(data.y_train)
    while True:
        order = torch.randperm(n, generator=generator)
        for start in range(0, n - batch_size + 1, batch_size):
            index = order[start : start + batch_size]
            yield data.x_train[index], data.y_train[index]


def _step(model: MLP, optimizer, x, y, record: LayerRecord | None, activation: str) -> float:
    model.train()
    optimizer.zero_grad(set_to_none=True)
    if record is None:
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    logits, captured = model(x, capture=True)
    for _, a in captured:
        a.retain_grad()
    loss = nn.functional.cross_entropy(logits, y)
    loss.backward()
    before = [linear.weight.detach().clone() for linear in model.linears]
    optimizer.step()
    if math.isfinite(loss.item()):  # a diverged step is not evaluated, so not recorded either
        _record_layers(record, model, captured, before, activation)
    return loss.item()


def _record_layers(record: LayerRecord, model: MLP, captured, before, activation: str) -> None:
    activations = [a.detach().numpy() for _, a in captured]
    gradients = [a.grad.numpy() * len(a) for _, a in captured]  # per-example gradient scale
    for values, counts, edges in [
        (activations, record.activation_counts, record.activation_edges),
        (gradients, record.gradient_counts, record.gradient_edges),
    ]:
        bins = value_range(*values, pad=0.0)
        hists = [histogram(v, HISTOGRAM_BINS, bins) for v in values]
        counts.append(np.stack([h.counts for h in hists]))
        edges.append(hists[0].edges)
    record.saturated.append([saturated_share(a, activation) for a in activations])
    record.grad_to_data.append(
        [_ratio(linear.weight.grad, w) for linear, w in zip(model.linears, before, strict=True)]
    )
    record.update_to_data.append(
        [_ratio(linear.weight.detach() - w, w) for linear, w in zip(model.linears, before, strict=True)]
    )


def _hidden_weights(model: MLP) -> list[torch.Tensor]:
    """A copy of each hidden linear layer's weight matrix."""
    return [linear.weight.detach().clone() for linear in model.linears]


def _ratio(numerator: torch.Tensor, denominator: torch.Tensor) -> float:
    return float(numerator.norm() / denominator.norm().clamp_min(1e-12))


def saturated_share(activations: np.ndarray, activation: str) -> float:
    """The share of saturated units (:mod:`normcore.saturation`: slope below 10% of the peak);
    for ReLU, the share with output 0 (no gradient)."""
    return saturation.saturated_share(activations, activation)


@torch.no_grad()
def _initial_train_loss(model: MLP, data: Digits) -> float:
    """The loss on the whole training set before any step (there is no minibatch average yet)."""
    model.eval()
    return float(nn.functional.cross_entropy(model(data.x_train), data.y_train))


@torch.no_grad()
def _evaluate(model: MLP, data: Digits, config: TrainConfig, result: TrainResult, step: int, train_loss):
    model.eval()
    logits, captured = model(data.x_test, capture=True)
    result.steps.append(step)
    result.test_accuracy.append(float((logits.argmax(1) == data.y_test).float().mean()))
    result.test_loss.append(float(nn.functional.cross_entropy(logits, data.y_test)))
    result.train_loss.append(float(train_loss))
    result.weight_norm.append([float(linear.weight.norm()) for linear in model.linears])
    first_bias = model.linears[0].bias
    result.bias_norm.append(float(first_bias.norm()) if first_bias is not None else 0.0)
    if config.record_percentiles:
        probe = captured[-1][0][:, config.probe_unit].numpy()
        result.percentiles.append([float(v) for v in np.percentile(probe, PERCENTILES)])
