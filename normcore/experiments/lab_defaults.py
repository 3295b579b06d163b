"""The Training lab's default runs: every view's runs at the page's default settings.

The app ships them (:data:`SHIPPED`), so that the Training lab (and the tour's steps on it)
draws a result on first view without anyone pressing Train. Each run is stored whole
(every curve and layer recording the page draws), exactly as :func:`normcore.training.train`
returns it: a run is deterministic (its own seeded generators, one torch thread), so a
fresh run of the same config gives the same numbers (``tests/test_lab_defaults.py``).

``python -m normcore.experiments lab-defaults --json normcore/experiments/lab_defaults.json.gz``
regenerates the file; its ``command`` and ``environment`` say how it was made.
"""

from __future__ import annotations

import gzip
import json
import sys
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np

from normcore import lab

NAME = "lab-defaults"
SHIPPED = Path(__file__).with_name("lab_defaults.json.gz")  # gzipped JSON: 0.3 MB instead of 1.3
SERIES = (
    "steps",
    "test_accuracy",
    "test_loss",
    "train_loss",
    "bias_norm",
    "percentiles",
    "weight_norm",
    "effective_step",
)


def default_configs() -> dict[str, dict]:
    """``{view: {label: TrainConfig}}``: the runs each view of the Training lab trains at the page's defaults."""
    return {
        view: lab.view_configs(view, lab.FIGURE1, lab.FIGURE1_STEPS, lab.SWEEP_STEPS, lab.DROPOUT)
        for view in lab.VIEWS
    }


def unique_configs() -> list:
    """Every default config once, in the order the views list them."""
    return list(dict.fromkeys(c for configs in default_configs().values() for c in configs.values()))


# ---------------------------------------------------------------- encoding


def _array(a: np.ndarray) -> dict:
    return {"dtype": str(a.dtype), "shape": list(a.shape), "data": a.ravel().tolist()}


def _unarray(d: dict) -> np.ndarray:
    return np.array(d["data"], dtype=d["dtype"]).reshape(d["shape"])


def encode(result) -> dict:
    """A :class:`~normcore.training.TrainResult` as JSON-able values (floats round-trip exactly)."""
    out = {"config": asdict(result.config), **{k: getattr(result, k) for k in SERIES}}
    out.update(stopped=result.stopped, diverged=result.diverged, seconds=round(result.seconds, 3))
    if result.layers is not None:
        out["layers"] = {
            f.name: [_array(a) if isinstance(a, np.ndarray) else a for a in getattr(result.layers, f.name)]
            for f in fields(result.layers)
        }
    return out


def decode(d: dict):
    """The :class:`~normcore.training.TrainResult` :func:`encode` wrote."""
    from normcore.training import LayerRecord, TrainConfig, TrainResult

    layers = None
    if "layers" in d:
        layers = LayerRecord(
            **{
                name: [_unarray(a) if isinstance(a, dict) else a for a in values]
                for name, values in d["layers"].items()
            }
        )
    series = {k: d[k] for k in SERIES}
    return TrainResult(
        TrainConfig(**d["config"]),
        **series,
        layers=layers,
        stopped=d["stopped"],
        diverged=d["diverged"],
        seconds=d["seconds"],
    )


def read(path: Path = SHIPPED) -> dict:
    """The JSON this command wrote (gzipped if ``path`` ends in .gz), as written."""
    data = Path(path).read_bytes()
    return json.loads(gzip.decompress(data) if Path(path).suffix == ".gz" else data)


def load(path: Path = SHIPPED) -> dict:
    """``{TrainConfig: TrainResult}`` of a file written by this command (by default the shipped one)."""
    runs = (decode(r) for r in read(path)["runs"])
    return {r.config: r for r in runs}


# ---------------------------------------------------------------- command line


def add_arguments(parser) -> None:
    parser.add_argument("--views", nargs="+", default=list(lab.VIEWS), choices=lab.VIEWS)


def run(args) -> dict:
    """Train every default run of the chosen views (progress on stderr); the caller writes the JSON."""
    from normcore.experiments import clock, provenance
    from normcore.training import train

    wanted = [c for view in args.views for c in default_configs()[view].values()]
    configs = list(dict.fromkeys(wanted))
    started = clock()
    runs = []
    for done, config in enumerate(configs, 1):
        runs.append(encode(train(config)))
        print(f"{NAME} progress {done}/{len(configs)}", file=sys.stderr, flush=True)
    command = f"python -m normcore.experiments {NAME} --views {' '.join(args.views)} --json PATH"
    return {**provenance(NAME, command, started), "runs": runs}
