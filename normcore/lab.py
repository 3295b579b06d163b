"""The training lab's experiments as lists of runs: shared by the page, the CLI and the benchmark.

Each ``*_configs`` function returns ``{label: TrainConfig}``; run them with
:func:`normcore.training.train` (or the page's live runner) and summarize the results
with the functions below. Defaults follow the Batch Normalization paper's §4.1:
3 hidden layers of 100 sigmoid units, batch 60, N(0, 0.1²) initial weights, plain SGD.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from normcore import saturation
from normcore.training import TrainConfig, TrainResult

FIGURE1 = TrainConfig(activation="sigmoid", depth=3, width=100, init_scale=0.1, batch_size=60, lr=0.5)
FIGURE1_STEPS = 3000
SWEEP_STEPS = 500
LR_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
INIT_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
COMPARED = ("none", "batch")  # without and with BN
TARGET_ACCURACIES = (0.9, 0.95)
WEIGHT_DECAY = 0.01  # the sweeps' weight-decay switch: large enough to act within a 500-step run at lr 0.5
SWEEP_EVALUATIONS = 10  # evaluations per sweep run: the points of its ‖W‖ and effective-step curves
SWEEPS = {"lr": ("lr", LR_GRID), "init": ("init_scale", INIT_GRID)}  # view -> (swept field, its values)
PLACEMENTS = ("none", "before", "after")  # no BN, BN before the activation, BN after it
STALLED_BELOW = 0.5  # a run that ends below this test accuracy has not learned the task
VIEWS = ("fig1", "lr", "init", "inside", "sec2", "dropout", "bias", "place")  # the Training lab's views
DROPOUT = 0.3  # the dropout view's default drop probability


def figure1_configs(base: TrainConfig = FIGURE1, steps: int = FIGURE1_STEPS) -> dict[str, TrainConfig]:
    """Figure 1: the same network without and with BN, recording the probe sigmoid's input."""
    return {norm: replace(base, norm=norm, steps=steps, record_percentiles=True) for norm in COMPARED}


def sweep_configs(base: TrainConfig, field: str, values, steps: int = SWEEP_STEPS) -> dict:
    """One run per (norm, value) of ``field`` ("lr" or "init_scale"), without and with BN."""
    every = max(steps // SWEEP_EVALUATIONS, 1)
    return {
        (norm, value): replace(base, norm=norm, steps=steps, eval_every=every, **{field: value})
        for norm in COMPARED
        for value in values
    }


def inside_configs(base: TrainConfig, steps: int) -> dict[str, TrainConfig]:
    """Without and with BN, recording per-layer histograms, saturation and gradient ratios."""
    return {norm: replace(base, norm=norm, steps=steps, record_layers=True) for norm in COMPARED}


def section2_configs(base: TrainConfig, steps: int) -> dict[str, TrainConfig]:
    """The paper's §2: mean subtraction after a biased linear layer, statistics outside or inside the gradient."""
    return {
        name: replace(base, norm="center", linear_bias=True, stats_in_grad=inside, steps=steps)
        for name, inside in [("constant_stats", False), ("true_gradient", True)]
    }


def dropout_configs(base: TrainConfig, steps: int, dropout: float) -> dict[str, TrainConfig]:
    """BN alone, dropout alone, both, and neither."""
    return {
        "neither": replace(base, norm="none", dropout=0.0, steps=steps),
        "bn": replace(base, norm="batch", dropout=0.0, steps=steps),
        "dropout": replace(base, norm="none", dropout=dropout, steps=steps),
        "both": replace(base, norm="batch", dropout=dropout, steps=steps),
    }


def bias_configs(base: TrainConfig, steps: int) -> dict[str, TrainConfig]:
    """BN with and without the linear bias before it (identical weights otherwise)."""
    return {
        name: replace(base, norm="batch", linear_bias=keep, steps=steps)
        for name, keep in [("dropped", False), ("kept", True)]
    }


def placement_configs(base: TrainConfig, steps: int) -> dict[str, TrainConfig]:
    """No BN, BN before the activation and BN after it, recording per-layer histograms."""
    return {
        "none": replace(base, norm="none", steps=steps, record_layers=True),
        "before": replace(base, norm="batch", norm_position="before", steps=steps, record_layers=True),
        "after": replace(base, norm="batch", norm_position="after", steps=steps, record_layers=True),
    }


def equilibrium_step(lr: float, weight_decay: float, momentum: float = 0.0) -> float:
    r"""The effective step a scale-invariant weight settles at under SGD with weight decay.

    .. math:: \frac{\|\Delta W\|}{\|W\|} \to \sqrt{\frac{2 \eta \lambda}{1 + \alpha}}

    Wan et al., "Spherical Motion Dynamics" (NeurIPS 2021): the gradient of a weight followed
    by BN is orthogonal to it, so it grows ‖W‖ while weight decay shrinks it, until they balance.
    """
    return float(np.sqrt(2 * lr * weight_decay / (1 + momentum)))


def _span(values) -> tuple[float, float]:
    finite = [v for v in values if np.isfinite(v)]
    return (float(min(finite)), float(max(finite))) if finite else (float("nan"), float("nan"))


def scale_summary(results: dict, grid, layer: int = 0) -> dict[str, dict]:
    """Per norm, over a sweep's runs: ‖W‖ of hidden ``layer`` at the start and the end, its effective
    step over the second half of training, the final accuracy (each as ``(min, max)``), and counts.

    The effective step of a run is the mean of its recorded ‖ΔW‖/‖W‖ over the second half
    of its evaluations (one step is noisy). Diverged runs are only counted.
    """
    out = {}
    for norm in COMPARED:
        runs = [results[(norm, v)] for v in grid if (norm, v) in results]
        kept = [r for r in runs if not r.diverged and len(r.effective_step) >= 1]
        late = [np.mean([row[layer] for row in r.effective_step[len(r.effective_step) // 2 :]]) for r in kept]
        out[norm] = {
            "start": _span([r.weight_norm[0][layer] for r in kept]),
            "end": _span([r.weight_norm[-1][layer] for r in kept]),
            "step": _span(late),
            "accuracy": _span([r.final_accuracy for r in kept]),
            "stalled": sum(r.final_accuracy < STALLED_BELOW for r in kept),
            "diverged": sum(r.diverged for r in runs),
            "runs": len(runs),
        }
    return out


def placement_summary(results: dict[str, TrainResult], at: int) -> dict[str, float]:
    """Final accuracy of each placement run and its saturated share (mean over the hidden layers)
    at recorded evaluation ``at`` (1-based; a run that stopped earlier gives its last)."""
    out: dict[str, float] = {"step": results["before"].steps[min(at, len(results["before"].steps) - 1)]}
    for label in PLACEMENTS:
        run = results[label]
        saturated = run.layers.saturated if run.layers else []
        out[f"{label}_acc"] = run.final_accuracy
        out[f"{label}_sat"] = (
            float(np.mean(saturated[min(at, len(saturated)) - 1])) if saturated else float("nan")
        )
    return out


def steps_to_reach(results: dict[str, TrainResult], accuracies=TARGET_ACCURACIES) -> dict:
    """``{label: {accuracy: first step reaching it or None}}``."""
    return {
        label: {f"{a:.3f}": result.steps_to_reach(a) for a in accuracies} for label, result in results.items()
    }


def sweep_table(results: dict, values) -> dict[str, list[float]]:
    """Final test accuracy per norm, aligned with ``values``."""
    return {norm: [results[(norm, v)].final_accuracy for v in values] for norm in COMPARED}


def max_difference(a: TrainResult, b: TrainResult) -> float:
    """The largest gap between two runs' test accuracy curves."""
    return float(np.max(np.abs(np.subtract(a.test_accuracy, b.test_accuracy))))


def percentile_drift(result: TrainResult) -> dict:
    """The probe unit's input percentiles at the first evaluation after step 0 and at the last, and
    the activation's slope (share of its peak) at the last percentile farthest from 0: what
    Figure 1 (b, c) shows. Step 0 is skipped: a BN network in eval mode then still uses its
    initial running statistics (0 and 1)."""
    first = min(1, len(result.percentiles) - 1)
    start, last = result.percentiles[first], result.percentiles[-1]
    slopes = saturation.input_slope(np.array(last), result.config.activation)
    return {"start": result.steps[first], "first": start, "last": last, "min_slope": float(slopes.min())}


def first_layer_ratio(result: TrainResult) -> tuple[int, float, int, float]:
    """``(step, ‖∇W‖/‖W‖)`` of the first hidden layer at the first and last recorded step."""
    ratios = result.layers.grad_to_data
    return result.steps[1], ratios[0][0], result.steps[len(ratios)], ratios[-1][0]


def view_configs(view: str, base: TrainConfig, steps: int, sweep_steps: int, dropout: float) -> dict:
    """The runs the Training lab's ``view`` trains from ``base``."""
    if view in SWEEPS:
        field, grid = SWEEPS[view]
        return sweep_configs(base, field, grid, sweep_steps)
    return {
        "fig1": lambda: figure1_configs(base, steps),
        "inside": lambda: inside_configs(base, steps),
        "sec2": lambda: section2_configs(base, steps),
        "dropout": lambda: dropout_configs(base, steps, dropout),
        "bias": lambda: bias_configs(base, steps),
        "place": lambda: placement_configs(base, steps),
    }[view]()


def recorded_steps(results: dict) -> list[int]:
    """The evaluation steps (after step 0) at which every run recorded its layers; [] if none did."""
    return min(
        (r.steps[1 : len(r.layers.saturated) + 1] for r in results.values() if r.layers), key=len, default=[]
    )


def figure1_summary(results: dict[str, TrainResult]) -> dict:
    """What the Figure 1 view measured: the plain run's final accuracy (``final``), the first step at which
    the BN run reached it (``reach``, None if never), the BN run's last step (``steps``), and each run's
    :func:`percentile_drift` (``none``, ``batch``)."""
    plain, bn = results["none"], results["batch"]
    final = plain.final_accuracy
    drift = {label: percentile_drift(results[label]) for label in COMPARED}
    return {"final": final, "reach": bn.steps_to_reach(final), "steps": bn.steps[-1], **drift}


def inside_summary(results: dict[str, TrainResult]) -> dict | None:
    """The first hidden layer's ‖∇W‖/‖W‖ without and with BN at the first and last recorded step
    (:func:`first_layer_ratio`), and BN's ratio to the plain run's there (``early``, ``late``);
    None unless every run recorded its layers' ratios."""
    if not all(r.layers and r.layers.grad_to_data for r in results.values()):
        return None
    (first, none_first, last, none_last), (_, bn_first, _, bn_last) = (
        first_layer_ratio(results[label]) for label in COMPARED
    )
    return {
        "first": first,
        "last": last,
        "none_first": none_first,
        "bn_first": bn_first,
        "none_last": none_last,
        "bn_last": bn_last,
        "early": bn_first / none_first,
        "late": bn_last / none_last,
    }


def diverged_runs(results: dict) -> list:
    """The labels of the runs whose loss overflowed, in the order of ``results``."""
    return [label for label, result in results.items() if result.diverged]
