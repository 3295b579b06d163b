"""The gn-batch experiment: its command line writes one error per (norm, batch size, seed)."""

import json
import subprocess
import sys

import pytest

from normcore.experiments import discover, gn_batch
from tests.conftest import ROOT

TINY = ("--norms", "batch", "group", "--batch-sizes", "16", "32", "--epochs", "1", "--workers", "1")


def test_gn_batch_is_discovered():
    assert discover()["gn-batch"] is gn_batch


def test_cli_writes_error_per_norm_batch_size_and_seed(tmp_path):
    path = tmp_path / "gn.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "normcore.experiments",
            "gn-batch",
            *TINY,
            "--seeds",
            "2",
            "--json",
            str(path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    out = json.loads(path.read_text())
    keys = sorted((r["norm"], r["batch_size"], r["seed"]) for r in out["runs"])
    assert keys == sorted((n, b, s) for n in ("batch", "group") for b in (16, 32) for s in (0, 1))
    assert all(0 <= r["test_error"] < 0.5 for r in out["runs"])  # one epoch already learns digits
    assert {r["lr"] for r in out["runs"] if r["batch_size"] == 16} == {0.05}  # 0.1 * 16 / 32
    assert out["protocol"]["epochs"] == 1 and out["experiment"] == "gn-batch"
    assert f"{gn_batch.PROGRESS} 8/8" in completed.stderr


def test_subprocess_sweep_reports_progress():
    seen = []
    out = gn_batch.sweep_in_subprocess(
        1,
        lambda done, total: seen.append((done, total)),
        options=("--norms", "layer", "--batch-sizes", "32", "--epochs", "1"),
    )
    assert seen == [(1, 1)] and out["runs"][0]["norm"] == "layer"


@pytest.mark.parametrize("args", [["--batch-sizes", "1"], ["--seeds", "0"], ["--epochs", "0"]])
def test_bad_arguments_exit_with_a_message(args):
    completed = subprocess.run(
        [sys.executable, "-m", "normcore.experiments", "gn-batch", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2 and "error:" in completed.stderr


@pytest.mark.parametrize(
    "norm, batch_size, seed",
    [("layer", 32, 0), ("batch", 2, 0)],  # the cheapest run, and the one an earlier file got wrong
)
def test_a_shipped_run_reproduces(norm, batch_size, seed):
    """A shipped run trained again gives the same test error."""
    shipped = gn_batch.load()
    (run,) = [
        r for r in shipped["runs"] if (r["norm"], r["batch_size"], r["seed"]) == (norm, batch_size, seed)
    ]
    again = gn_batch.run_one(norm, batch_size, seed, gn_batch.Protocol(**shipped["protocol"]))
    assert abs(again["test_error"] - run["test_error"]) <= 1e-6
    assert again["lr"] == run["lr"]


def test_the_shipped_file_records_how_it_was_made():
    import numpy as np
    import torch

    from normcore.training import TRAIN_THREADS

    shipped = gn_batch.load()
    env = shipped["environment"]
    assert env["torch_threads_per_worker"] == TRAIN_THREADS == 1
    assert (env["torch"], env["numpy"]) == (torch.__version__, np.__version__)
    assert shipped["command"].startswith("python -m normcore.experiments gn-batch --seeds 5")


def test_errors_do_not_depend_on_the_worker_count():
    settings = dict(
        norms=("batch", "layer"), batch_sizes=(32,), seeds=(0, 1), protocol=gn_batch.Protocol(epochs=1)
    )
    one, two = gn_batch.sweep(**settings, workers=1), gn_batch.sweep(**settings, workers=2)
    assert (one["workers"], two["workers"]) == (1, 2)
    key = lambda r: (r["norm"], r["batch_size"], r["seed"])  # noqa: E731
    assert [(key(r), r["test_error"]) for r in one["runs"]] == [
        (key(r), r["test_error"]) for r in two["runs"]
    ]


def test_workers_within_the_memory_budget():
    assert gn_batch.workers_within(700, 2) == 1  # the documented 1 GB host minus the server
    assert gn_batch.workers_within(4000, 2) == 2 and gn_batch.workers_within(4000, 8) >= 2
    assert gn_batch.workers_within(100, 8) == 1  # never zero
