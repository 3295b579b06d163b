"""The Training lab's summaries that the page formats into its captions (normcore.lab), on hand-made runs
whose answers are known, and on one short real run of each view that uses them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from normcore import lab
from normcore.training import LayerRecord, TrainConfig, TrainResult, train


def run(norm: str, accuracy: list[float], **fields) -> TrainResult:
    config = replace(lab.FIGURE1, norm=norm)
    steps = [50 * i for i in range(len(accuracy))]
    return TrainResult(config, steps=steps, test_accuracy=accuracy, **fields)


def test_figure1_summary_finds_when_bn_reaches_the_plain_runs_final_accuracy():
    percentiles = [[9.0] * 3, [0.0, 0.1, 0.2], [-1.0, 0.0, 1.0]]
    plain = run("none", [0.1, 0.5, 0.7, 0.8], percentiles=percentiles + [[-2.0, 0.0, 2.0]])
    bn = run("batch", [0.1, 0.6, 0.8, 0.9], percentiles=percentiles + [[-0.5, 0.0, 0.5]])
    summary = lab.figure1_summary({"none": plain, "batch": bn})
    assert summary["final"] == 0.8 and summary["reach"] == 100 and summary["steps"] == 150
    assert summary["none"] == lab.percentile_drift(plain) and summary["batch"] == lab.percentile_drift(bn)
    # the slope at the outermost last percentile, as autograd computes the sigmoid's derivative
    x = torch.tensor([-2.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    torch.sigmoid(x).sum().backward()
    assert summary["none"]["min_slope"] == pytest.approx(float(x.grad.min() / x.grad.max()), rel=1e-12)


def test_figure1_summary_says_none_when_bn_never_reaches_it():
    percentiles = [[0.0, 0.1, 0.2]] * 2
    plain = run("none", [0.2, 0.9], percentiles=percentiles)
    bn = run("batch", [0.2, 0.85], percentiles=percentiles)
    assert lab.figure1_summary({"none": plain, "batch": bn})["reach"] is None


def layers(ratios: list[list[float]]) -> LayerRecord:
    return LayerRecord(grad_to_data=ratios, saturated=[[0.0] * len(ratios[0])] * len(ratios))


def test_inside_summary_compares_the_first_layers_ratios_at_the_first_and_last_recorded_step():
    plain = run("none", [0.1, 0.2, 0.3, 0.4], layers=layers([[0.01, 5.0], [0.02, 5.0], [0.04, 5.0]]))
    bn = run("batch", [0.1, 0.2, 0.3, 0.4], layers=layers([[0.05, 1.0], [0.03, 1.0], [0.06, 1.0]]))
    summary = lab.inside_summary({"none": plain, "batch": bn})
    assert summary == {
        "first": 50,
        "last": 150,
        "none_first": 0.01,
        "bn_first": 0.05,
        "none_last": 0.04,
        "bn_last": 0.06,
        "early": pytest.approx(5.0),
        "late": pytest.approx(1.5),
    }


def test_inside_summary_is_none_unless_every_run_recorded_its_ratios():
    recorded = run("batch", [0.1, 0.2], layers=layers([[0.05]]))
    assert lab.inside_summary({"none": run("none", [0.1, 0.2]), "batch": recorded}) is None
    empty = run("none", [0.1, 0.2], layers=LayerRecord())
    assert lab.inside_summary({"none": empty, "batch": recorded}) is None


def test_diverged_runs_keeps_the_order_of_the_results():
    results = {
        ("none", 3.0): run("none", [0.1], diverged=True),
        ("batch", 3.0): run("batch", [0.9]),
        ("none", 10.0): run("none", [0.1], diverged=True),
    }
    assert lab.diverged_runs(results) == [("none", 3.0), ("none", 10.0)]
    assert lab.diverged_runs({"none": run("none", [0.5])}) == []


SHORT = TrainConfig(depth=1, width=20, steps=100, eval_every=10, batch_size=60, lr=0.5, init_scale=0.1)


def test_the_summaries_of_short_real_runs_agree_with_the_runs():
    fig1 = {label: train(config) for label, config in lab.figure1_configs(SHORT, 100).items()}
    summary = lab.figure1_summary(fig1)
    final = fig1["none"].final_accuracy
    steps = np.array(fig1["batch"].steps)
    reached = steps[np.array(fig1["batch"].test_accuracy) >= final]
    assert summary["reach"] == (int(reached[0]) if reached.size else None)
    assert summary["steps"] == 100 and summary["final"] == final
    inside = {label: train(config) for label, config in lab.inside_configs(SHORT, 100).items()}
    summary = lab.inside_summary(inside)
    assert (
        summary["first"] == 10
        and summary["last"] == inside["batch"].steps[len(inside["batch"].layers.grad_to_data)]
    )
    assert summary["early"] == pytest.approx(
        inside["batch"].layers.grad_to_data[0][0] / inside["none"].layers.grad_to_data[0][0]
    )
