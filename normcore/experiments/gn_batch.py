"""The Group Normalization paper's Figure 1 on digits: test error against per-batch size.

The paper's protocol on a small MLP (2 hidden layers of 100, ReLU, SGD with momentum
0.9): the same number of epochs for every batch size, the learning rate scaled
linearly with the batch size (``base_lr * B / 32``), test error measured in eval mode,
one run per (norm, batch size, seed). In an MLP the batch is the only axis batch norm
averages over, so a batch of 2 really gives it two values per feature.

``python -m normcore.experiments gn-batch --json PATH`` writes every run's error; the
app ships such a file (:data:`SHIPPED`) and can recompute it live. Runs are spread over
worker processes (one torch thread each); torch is imported only when training.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

NAME = "gn-batch"
HELP = "error against per-batch size for batch, group and layer norm (the GN paper's Figure 1)"
SHIPPED = Path(__file__).with_name("gn_batch.json")
NORMS = ("batch", "group", "layer")
BATCH_SIZES = (2, 4, 8, 16, 32)
SEEDS = (0, 1)
PROGRESS = "gn-batch progress"  # the stderr line prefix :func:`sweep_in_subprocess` follows


@dataclass(frozen=True)
class Protocol:
    """Everything a sweep holds fixed; ``lr = base_lr * batch_size / reference_batch``."""

    epochs: int = 6
    base_lr: float = 0.1
    reference_batch: int = 32
    momentum: float = 0.9
    depth: int = 2
    width: int = 100
    num_groups: int = 4

    def lr(self, batch_size: int) -> float:
        return self.base_lr * batch_size / self.reference_batch


def run_one(norm: str, batch_size: int, seed: int, protocol: Protocol = Protocol()) -> dict:
    """Train one MLP with the shared trainer and return its test error (eval mode)."""
    from normcore.training import TrainConfig, train

    cpu_started = time.process_time()
    config = TrainConfig(
        norm=norm,
        activation="relu",
        depth=protocol.depth,
        width=protocol.width,
        init_scale=None,  # PyTorch's default initialization, as for any ReLU MLP
        num_groups=protocol.num_groups,
        batch_size=batch_size,
        lr=protocol.lr(batch_size),
        momentum=protocol.momentum,
        epochs=protocol.epochs,
        eval_every=10**9,  # evaluate at the start and the end only
        seed=seed,
    )
    result = train(config)
    return {
        "norm": norm,
        "batch_size": batch_size,
        "seed": seed,
        "test_error": 1.0 - result.final_accuracy,
        "lr": config.lr,
        "seconds": round(result.seconds, 3),
        "cpu_seconds": round(time.process_time() - cpu_started, 3),
    }


def _run_packed(job: tuple) -> dict:
    return run_one(*job)


def sweep(
    norms=NORMS,
    batch_sizes=BATCH_SIZES,
    seeds=SEEDS,
    protocol: Protocol = Protocol(),
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Every (norm, batch size, seed) run, in ``workers`` processes (default: the CPU count).

    ``on_progress(done, total)`` is called after each finished run. Returns
    ``{"protocol": ..., "runs": [...], "seconds": wall time, "workers": ...}``.
    """
    _check(norms, batch_sizes, seeds)
    jobs = [(n, b, s, protocol) for b in sorted(batch_sizes) for n in norms for s in seeds]  # longest first
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    started = time.perf_counter()
    runs = []
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for run in pool.map(_run_packed, jobs):
            runs.append(run)
            if on_progress is not None:
                on_progress(len(runs), len(jobs))
    return {
        "experiment": NAME,
        "protocol": asdict(protocol),
        "runs": runs,
        "seconds": round(time.perf_counter() - started, 2),
        "workers": workers,
    }


def _check(norms, batch_sizes, seeds) -> None:
    unknown = set(norms) - set(NORMS)
    if unknown or not norms:
        raise ValueError(f"norms must be among {', '.join(NORMS)}, got {sorted(unknown) or 'none'}")
    if not batch_sizes or min(batch_sizes) < 2 or max(batch_sizes) > 256:
        raise ValueError(f"batch sizes must be between 2 and 256, got {list(batch_sizes)}")
    if not seeds or len(seeds) > 10:
        raise ValueError(f"give between 1 and 10 seeds, got {len(seeds)}")


def summarize(runs: list[dict]) -> dict:
    """Per norm: batch sizes (ascending) and the mean, min and max test error (%) over seeds."""
    out = {}
    for norm in dict.fromkeys(r["norm"] for r in runs):
        sizes = sorted({r["batch_size"] for r in runs if r["norm"] == norm})
        errors = [
            [100 * r["test_error"] for r in runs if r["norm"] == norm and r["batch_size"] == b] for b in sizes
        ]
        out[norm] = {
            "batch_size": sizes,
            "mean": np.array([np.mean(e) for e in errors]),
            "low": np.array([np.min(e) for e in errors]),
            "high": np.array([np.max(e) for e in errors]),
        }
    return out


def load(path: Path = SHIPPED) -> dict:
    """A sweep written by :func:`sweep` (by default the one shipped with the app)."""
    return json.loads(Path(path).read_text())


# ---------------------------------------------------------------- command line


def add_arguments(parser) -> None:
    parser.add_argument("--norms", nargs="+", default=list(NORMS), choices=NORMS)
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=list(BATCH_SIZES))
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="number of seeds, 0..N-1")
    parser.add_argument("--epochs", type=int, default=Protocol.epochs)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: CPU count)")


def run(args) -> dict:
    """Run the sweep the arguments describe (progress on stderr); the caller writes the JSON."""
    if args.epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {args.epochs}")
    result = sweep(
        args.norms,
        args.batch_sizes,
        tuple(range(args.seeds)),
        Protocol(epochs=args.epochs),
        args.workers,
        on_progress=lambda done, total: print(f"{PROGRESS} {done}/{total}", file=sys.stderr, flush=True),
    )
    return result


def sweep_in_subprocess(
    seeds: int = len(SEEDS),
    on_progress: Callable[[int, int], None] | None = None,
    timeout: float = 900,
    options: tuple[str, ...] = (),
) -> dict:
    """:func:`sweep` through the command line in a child process, following its progress lines.

    The app uses this: the runs live outside the server process, and a failure is an
    error message, not a crashed server. ``options`` are further command-line options
    (``("--epochs", "1")``).
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gn_batch.json"
        command = [sys.executable, "-m", "normcore.experiments", NAME, "--seeds", str(seeds), *options]
        command += ["--json", str(path)]
        root = Path(__file__).resolve().parents[2]
        child = subprocess.Popen(
            command, cwd=root, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        deadline = time.monotonic() + timeout
        for line in child.stderr:
            if line.startswith(PROGRESS) and on_progress is not None:
                done, total = map(int, line.split()[-1].split("/"))
                on_progress(done, total)
            if time.monotonic() > deadline:
                child.kill()
                break
        if child.wait() != 0 or not path.exists():
            raise RuntimeError(f"the gn-batch sweep failed (exit code {child.returncode})")
        return load(path)
