"""``python -m normcore.experiments``: discovered commands write the curves as JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from normcore.experiments import discover
from tests.conftest import ROOT


def run_cli(*args: str, tmp_path) -> dict:
    path = tmp_path / "out.json"
    completed = subprocess.run(
        [sys.executable, "-m", "normcore.experiments", *args, "--json", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(path.read_text())


def test_commands_are_discovered():
    commands = discover()
    assert {"fig1", "lr-sweep"} <= set(commands)
    assert all(callable(m.run) and callable(m.add_arguments) for m in commands.values())


def test_fig1_writes_accuracy_and_percentiles_without_and_with_bn(tmp_path):
    out = run_cli("fig1", "--steps", "200", "--seed", "3", "--eval-every", "100", tmp_path=tmp_path)
    assert set(out["runs"]) == {"none", "batch"}
    for run in out["runs"].values():
        assert run["steps"] == [0, 100, 200]
        assert len(run["test_accuracy"]) == 3 and all(0 <= a <= 1 for a in run["test_accuracy"])
        assert len(run["percentiles"]) == 3 and all(p[0] <= p[1] <= p[2] for p in run["percentiles"])
        assert run["config"]["seed"] == 3
    assert out["runs"]["batch"]["test_accuracy"][-1] > out["runs"]["none"]["test_accuracy"][-1]
    assert out["percentiles"] == [15, 50, 85]


def test_lr_sweep_writes_final_accuracy_per_learning_rate(tmp_path):
    out = run_cli("lr-sweep", "--steps", "40", "--lrs", "0.1", "1", tmp_path=tmp_path)
    assert out["lr"] == [0.1, 1.0]
    assert set(out["final_accuracy"]) == {"none", "batch"}
    assert all(len(v) == 2 for v in out["final_accuracy"].values())


def test_bad_arguments_exit_with_a_message(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "normcore.experiments", "fig1", "--steps", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert "need at least one step" in completed.stderr and "Traceback" not in completed.stderr
