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
import platform
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

from normcore.host import kill_group, usable_cpus

NAME = "gn-batch"
HELP = "error against per-batch size for batch, group and layer norm (the GN paper's Figure 1)"
SHIPPED = Path(__file__).with_name("gn_batch.json")
NORMS = ("batch", "group", "layer")
BATCH_SIZES = (2, 4, 8, 16, 32)
SEEDS = (0, 1, 2, 3, 4)  # five: fewer gave a seed spread wider than the gaps the page states
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


# Measured peak resident memory (RSS summed over the processes, MB) of one sweep, 2026-11-28,
# docs/benchmarks.md "Recompute live: memory": 309 MB in one process, 855 MB with 2 workers.
IN_PROCESS_MB = 310  # workers=1: the runs in the child itself
PARENT_MB = 240  # workers>1: the child that only hands out runs (and multiprocessing's tracker) ...
WORKER_MB = 310  # ... and each of its worker processes


def workers_within(memory_mb: float, cpus: int) -> int:
    """The most worker processes (at most ``cpus``) whose measured peak fits in ``memory_mb``; at least 1."""
    fitting = int((memory_mb - PARENT_MB) // WORKER_MB)
    return max(1, min(cpus, fitting)) if fitting >= 2 else 1


def sweep(
    norms=NORMS,
    batch_sizes=BATCH_SIZES,
    seeds=SEEDS,
    protocol: Protocol = Protocol(),
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Every (norm, batch size, seed) run, in ``workers`` processes (default: the usable CPUs).

    ``on_progress(done, total)`` is called after each finished run. Returns
    ``{"protocol": ..., "runs": [...], "seconds": wall time, "workers": ..., "environment": ...}``.
    Each run is deterministic (its own seeded generators, one torch thread), so the errors
    do not depend on ``workers``; only the timings do.
    """
    _check(norms, batch_sizes, seeds)
    jobs = [(n, b, s, protocol) for b in sorted(batch_sizes) for n in norms for s in seeds]  # longest first
    workers = max(1, min(workers or usable_cpus(), len(jobs)))
    started = time.perf_counter()
    runs = []
    if workers == 1:  # in this process: a pool would add a second process of ~300 MB for nothing
        finished = map(_run_packed, jobs)
    else:
        pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
        finished = pool.map(_run_packed, jobs)
    for run in finished:
        runs.append(run)
        if on_progress is not None:
            on_progress(len(runs), len(jobs))
    if workers > 1:
        pool.shutdown()
    return {
        "experiment": NAME,
        "protocol": asdict(protocol),
        "runs": runs,
        "seconds": round(time.perf_counter() - started, 2),
        "workers": workers,
        "environment": environment(),
    }


def environment() -> dict:
    """The versions and thread count a sweep ran with (recorded in its JSON)."""
    import torch

    from normcore.training import TRAIN_THREADS

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "torch_threads_per_worker": TRAIN_THREADS,
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


def compare(summary: dict, first: str, second: str, batch_size: int) -> dict:
    """How two norms compare at one batch size, beyond the seed spread or not.

    Returns the min..max test error (%) over seeds of each (``first_low``, ``first_high``,
    ``second_low``, ``second_high``) and ``verdict``: ``"worse"`` if every seed of ``first``
    has a higher error than every seed of ``second``, ``"better"`` if every one a lower
    error, ``"overlap"`` if the ranges overlap (the seeds do not tell them apart).
    """
    a, b = summary[first], summary[second]
    i, j = a["batch_size"].index(batch_size), b["batch_size"].index(batch_size)
    out = {"first_low": a["low"][i], "first_high": a["high"][i], "second_low": b["low"][j]}
    out["second_high"] = b["high"][j]
    if out["first_low"] > out["second_high"]:
        out["verdict"] = "worse"
    elif out["first_high"] < out["second_low"]:
        out["verdict"] = "better"
    else:
        out["verdict"] = "overlap"
    return out


def seed_count(sweep: dict) -> int:
    """How many seeds ``sweep``'s runs hold (each point of its figure is their mean)."""
    return len({r["seed"] for r in sweep["runs"]})


def batch_sizes(sweep: dict) -> list[int]:
    """The batch sizes ``sweep``'s runs hold, ascending."""
    return sorted({r["batch_size"] for r in sweep["runs"]})


def cpu_seconds_per_seed(sweep: dict) -> float:
    """The CPU time of one seed's runs (every norm and batch size) in ``sweep``, summed over its workers."""
    return sum(r["cpu_seconds"] for r in sweep["runs"]) / seed_count(sweep)


def load(path: Path = SHIPPED) -> dict:
    """A sweep written by :func:`sweep` (by default the one shipped with the app)."""
    return json.loads(Path(path).read_text())


# ---------------------------------------------------------------- command line


def add_arguments(parser) -> None:
    parser.add_argument("--norms", nargs="+", default=list(NORMS), choices=NORMS)
    parser.add_argument("--batch-sizes", nargs="+", type=int, default=list(BATCH_SIZES))
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="number of seeds, 0..N-1")
    parser.add_argument("--epochs", type=int, default=Protocol.epochs)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: the usable CPUs)")


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
    result["command"] = command_line(args)
    return result


def command_line(args) -> str:
    """The command that reproduces a sweep (without ``--json`` and ``--workers``, which change no error)."""
    parts = ["python -m normcore.experiments", NAME, "--seeds", str(args.seeds), "--epochs", str(args.epochs)]
    parts += ["--norms", *args.norms, "--batch-sizes", *map(str, args.batch_sizes)]
    return " ".join(parts)


def sweep_command(
    seeds: int = len(SEEDS), options: tuple[str, ...] = (), path: Path | None = None
) -> list[str]:
    """The command line of a sweep (``options`` are further options, e.g. ``("--epochs", "1")``)."""
    command = [sys.executable, "-m", "normcore.experiments", NAME, "--seeds", str(seeds), *options]
    return command + ["--json", str(path) if path is not None else "-"]


def parse_progress(line: str) -> tuple[int, int] | None:
    """``(done, total)`` from one of the sweep's stderr lines, or None for any other line."""
    if not line.startswith(PROGRESS):
        return None
    done, total = map(int, line.split()[-1].split("/"))
    return done, total


def start(command: list[str], **popen) -> subprocess.Popen:
    """Start ``command`` from the project root in a session of its own (stderr piped, text).

    Its own session makes it a process group: :func:`normcore.host.kill_group` ends it and every worker it
    spawned, which a plain ``kill`` of the child would leave running.
    """
    root = Path(__file__).resolve().parents[2]
    return subprocess.Popen(
        command,
        cwd=root,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        **popen,
    )


def sweep_in_subprocess(
    seeds: int = len(SEEDS),
    on_progress: Callable[[int, int], None] | None = None,
    timeout: float = 900,
    options: tuple[str, ...] = (),
) -> dict:
    """:func:`sweep` through the command line in a child process, following its progress lines.

    The runs live outside the calling process, and a failure is an error message, not a
    crash. ``options`` are further command-line options (``("--epochs", "1")``). The child
    and its workers are killed however this call ends: finished, timed out, or interrupted
    (an exception raised in ``on_progress``, such as Streamlit stopping the script).
    The app runs sweeps through ``ui.jobs`` instead, which also ties them to a session.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gn_batch.json"
        child = start(sweep_command(seeds, options, path))
        deadline = time.monotonic() + timeout
        code = None  # None: timed out
        try:
            for line in child.stderr:
                progress = parse_progress(line)
                if progress is not None and on_progress is not None:
                    on_progress(*progress)
                if time.monotonic() > deadline:
                    break
            else:  # stderr closed: the child is exiting
                code = child.wait()
        finally:
            kill_group(child)  # its workers too, whether it finished or not
            child.stderr.close()
        if code != 0 or not path.exists():
            raise RuntimeError(
                f"the gn-batch sweep failed (exit code {code if code is not None else 'none: timed out'})"
            )
        return load(path)
