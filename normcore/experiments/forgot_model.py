"""The "Forgot model.eval()" demo's trained network: its state_dict (with the BN running statistics) and accuracy.

The app ships it (:data:`SHIPPED`), so that the Train vs eval page draws the demo on first view
without training in the server process. Training is deterministic (seeded generators, one torch
thread), so retraining :data:`normcore.forgot_eval.MODEL` with the same seed gives exactly these
tensors (``tests/test_forgot_model.py``). Tensors are stored as base64 of their little-endian bytes
(exact, and smaller than decimal text).

``python -m normcore.experiments forgot-model --json normcore/experiments/forgot_model.json.gz``
regenerates the file; its ``command`` and ``environment`` say how it was made.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

NAME = "forgot-model"
SHIPPED = Path(__file__).with_name("forgot_model.json.gz")


def encode_tensor(tensor) -> dict:
    """A tensor as JSON-able values that :func:`decode_tensor` turns back into the same tensor."""
    a = tensor.detach().cpu().numpy()
    little = a.astype(a.dtype.newbyteorder("<"), copy=False)
    return {
        "dtype": str(a.dtype),
        "shape": list(a.shape),
        "data": base64.b64encode(little.tobytes()).decode(),
    }


def decode_tensor(d: dict):
    import torch

    dtype = np.dtype(d["dtype"]).newbyteorder("<")
    a = np.frombuffer(base64.b64decode(d["data"]), dtype=dtype).astype(d["dtype"]).reshape(d["shape"])
    return torch.from_numpy(a.copy())


def encode(model, accuracy: float, config) -> dict:
    return {
        "config": asdict(config),
        "test_accuracy": accuracy,
        "state_dict": {name: encode_tensor(t) for name, t in model.state_dict().items()},
    }


def read(path: Path | None = None) -> dict:
    """The JSON this command wrote (gzipped if ``path`` ends in .gz; by default the shipped file), as written."""
    path = SHIPPED if path is None else path
    data = Path(path).read_bytes()
    return json.loads(gzip.decompress(data) if Path(path).suffix == ".gz" else data)


def load(config, path: Path | None = None):
    """``(model in eval mode, test accuracy)`` from the file, or None if it holds another config.

    Raises FileNotFoundError if there is no file.
    """
    import torch

    from normcore.training import MLP, TrainConfig

    stored = read(path)
    if TrainConfig(**stored["config"]) != config:
        return None
    with torch.random.fork_rng():  # the default init (overwritten below) draws from the global generator
        model = MLP(config)
    model.load_state_dict({name: decode_tensor(d) for name, d in stored["state_dict"].items()})
    return model.eval(), float(stored["test_accuracy"])


# ---------------------------------------------------------------- command line


def add_arguments(parser) -> None:
    parser.add_argument("--seed", type=int, default=0)


def run(args) -> dict:
    """Train the demo's network (:func:`normcore.forgot_eval.train_model`); the caller writes the JSON."""
    from normcore import forgot_eval
    from normcore.experiments import clock, provenance

    started = clock()
    model, accuracy = forgot_eval.train_model(args.seed)
    command = f"python -m normcore.experiments {NAME} --seed {args.seed} --json PATH"
    return {**provenance(NAME, command, started), **encode(model, accuracy, forgot_eval.config(args.seed))}
