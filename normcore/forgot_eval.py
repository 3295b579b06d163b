""" "Forgot ``model.eval()``": in training mode a prediction depends on the rest of the batch.

A small batch-norm MLP is trained on digits with the shared trainer
(:mod:`normcore.training`). One test example is then put into many batches of other
test examples and classified twice per batch: in training mode, where every batch norm
layer uses that batch's statistics, and in eval mode, where it uses the running ones.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from normcore.training import MLP, TrainConfig, load_digits, train

MODEL = TrainConfig(
    norm="batch",
    activation="relu",
    depth=2,
    width=100,
    init_scale=None,
    batch_size=32,
    lr=0.1,
    momentum=0.9,
    epochs=4,
    eval_every=10**9,
)


def config(seed: int = 0) -> TrainConfig:
    """:data:`MODEL` with ``seed``."""
    return TrainConfig(**{**MODEL.__dict__, "seed": seed})


def train_model(seed: int = 0) -> tuple[MLP, float]:
    """The batch-norm MLP of :data:`MODEL` after training (eval mode), and its test accuracy."""
    kept = []
    result = train(config(seed), on_done=kept.append)
    return kept[0], result.final_accuracy


def trained_model(seed: int = 0) -> tuple[MLP, float]:
    """:func:`train_model`'s result, read from the shipped file if it holds this seed's model, else trained.

    The app ships the default seed's model (:mod:`normcore.experiments.forgot_model`), so the page
    needs no training; a checkout without the file, or a changed :data:`MODEL`, trains as before.
    """
    from normcore.experiments import forgot_model

    try:
        shipped = forgot_model.load(config(seed))
    except FileNotFoundError:
        shipped = None
    return shipped if shipped is not None else train_model(seed)


@torch.no_grad()
def predictions_in_batches(
    model: MLP, example: int, batch_size: int, num_batches: int = 100, seed: int = 0
) -> dict[str, np.ndarray | int]:
    """Test example ``example`` in ``num_batches`` batches of ``batch_size`` random other test examples.

    Returns, per batch, the probability the model gives the example's true class in
    training mode and in eval mode, and the predicted classes. ``model`` is not changed:
    training-mode passes run on a copy whose running statistics are restored after each
    (a forgotten ``model.eval()`` would also drift them, a second effect shown elsewhere).
    """
    data = load_digits()
    if not 0 <= example < len(data.y_test):
        raise ValueError(f"example must be in 0..{len(data.y_test) - 1}, got {example}")
    if not 2 <= batch_size <= len(data.y_test):
        raise ValueError(f"batch_size must be in 2..{len(data.y_test)}, got {batch_size}")
    others = np.delete(np.arange(len(data.y_test)), example)
    rng = np.random.default_rng([seed, example, batch_size])
    scratch, saved = copy.deepcopy(model).train(), copy.deepcopy(model.state_dict())
    model.eval()
    label = int(data.y_test[example])
    out = {"train_prob": [], "eval_prob": [], "train_class": [], "eval_class": []}
    for _ in range(num_batches):
        index = np.concatenate([[example], rng.choice(others, batch_size - 1, replace=False)])
        x = data.x_test[torch.as_tensor(index)]  # (B, 64), the example first
        for mode, net in [("train", scratch), ("eval", model)]:
            probs = torch.softmax(net(x)[0], dim=0)
            out[f"{mode}_prob"].append(float(probs[label]))
            out[f"{mode}_class"].append(int(probs.argmax()))
        scratch.load_state_dict(saved)
    return {"label": label, **{k: np.array(v) for k, v in out.items()}}


def wrong_counts(predictions: dict) -> dict[str, int]:
    """How many of :func:`predictions_in_batches`' batches classify the example wrongly, per mode."""
    return {
        mode: int((predictions[f"{mode}_class"] != predictions["label"]).sum()) for mode in ("train", "eval")
    }


def predictions_table(predictions: dict) -> dict[str, np.ndarray]:
    """:func:`predictions_in_batches` as columns, one row per batch (the example's ``label`` left out).

    >>> predictions_table({"label": 3, "train_prob": np.array([0.2]), "eval_prob": np.array([0.9])})
    {'train_prob': array([0.2]), 'eval_prob': array([0.9])}
    """
    return {name: column for name, column in predictions.items() if name != "label"}
