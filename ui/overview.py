"""What the home page tells: the stories, the norms compared, the guide, the map of pages.

Data only (codes and page scripts); every visible text is a catalog key built from a
code here: ``home.story.<slug>.*``, ``home.norm.<code>.*``, ``home.guide.<slug>.*``,
``home.map.<page key>``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from normcore import batch_norm, saturation, set_index
from normcore.stats import Histogram, histogram, value_range

# The three explanations of why normalization helps, each with the page (and its preset
# URL parameters, as in ui.tour) that shows it live.
STORIES = [
    ("shift", "pages/4_Training_lab.py", {"view": "fig1"}),
    ("saturation", "pages/1_Explorer.py", {"norm": "batch", "act": "sigmoid", "view": "downstream"}),
    ("landscape", "pages/4_Training_lab.py", {"view": "lr"}),
]

# What normalization does to the gradients (issue 14), shown after the three stories: the Explorer's
# Backward view (the gradients through a norm, batch coupling, scale invariance).
BACKWARD_STORY = ("backward", "pages/1_Explorer.py", {"norm": "batch", "view": "backward"})


@dataclass(frozen=True)
class Norm:
    code: str  # catalog keys home.norm.<code>.name / .over / .batch / .eval / .use
    sets: str  # how its statistics are shared: a set_index norm, or "weight_rows" / "weight_all"
    batch_dependent: bool
    train_eval_differ: bool
    page: str  # where it is shown live


COMPARED = [
    Norm("bn", "batch", True, True, "pages/1_Explorer.py"),
    Norm("ln", "layer", False, False, "pages/1_Explorer.py"),
    Norm("in", "instance", False, False, "pages/1_Explorer.py"),
    Norm("gn", "group", False, False, "pages/1_Explorer.py"),
    Norm("rms", "rms", False, False, "pages/1_Explorer.py"),
    Norm("brn", "batch_renorm", True, True, "pages/3_Train_vs_eval.py"),
    Norm("ws", "weight_rows", False, False, "pages/6_Weight_norms.py"),
    Norm("sn", "weight_all", False, True, "pages/6_Weight_norms.py"),
    Norm("adain", "instance", False, False, "pages/5_Images.py"),
]


@dataclass(frozen=True)
class Advice:
    """One line of "which one should I use?": a situation and the norms for it."""

    slug: str  # catalog keys home.guide.<slug> and home.guide.<slug>.why
    norms: list[str]  # codes of COMPARED
    page: str  # where to try it, with these URL presets
    presets: dict[str, str]
    combined: bool = False  # the norms are used together (WS + GN), not one or the other


GUIDE = [
    Advice("large_batch_cnn", ["bn"], "pages/4_Training_lab.py", {"view": "fig1"}),
    Advice("tiny_batch", ["gn", "ln"], "pages/2_Small_batches.py", {"b": "2"}),
    Advice("transformer", ["ln", "rms"], "pages/1_Explorer.py", {"norm": "layer"}),
    Advice("style", ["in", "adain"], "pages/5_Images.py", {"norm": "instance"}),
    Advice("gan", ["sn"], "pages/6_Weight_norms.py", {}),
    Advice("bn_free", ["ws", "gn"], "pages/6_Weight_norms.py", {}, combined=True),
]

# The block drawn for every norm: N samples x C channels x L = H*W positions.
BLOCK_SHAPE = (4, 6, 4)
BLOCK_GROUPS = 3
WEIGHT_SHAPE = (6, 4, 4)  # C_out x C_in x k*k for the weight-side norms


def block_kind(norm: Norm) -> str:
    """Whether the norm's block is a batch of activations or a weight tensor."""
    return "weights" if norm.sets.startswith("weight") else "activations"


def membership(norm: Norm) -> np.ndarray:
    """The normalization set of every element of the block (activations or weights), full shape."""
    if norm.sets == "weight_rows":  # one mean and variance per output channel
        index = np.arange(WEIGHT_SHAPE[0]).reshape(-1, 1, 1)
        return np.broadcast_to(index, WEIGHT_SHAPE).transpose(1, 0, 2)  # (C_in, C_out, k*k)
    if norm.sets == "weight_all":  # one largest singular value for the whole weight
        return np.zeros(WEIGHT_SHAPE).transpose(1, 0, 2).astype(int)
    index = set_index(BLOCK_SHAPE, norm.sets, num_groups=BLOCK_GROUPS)
    return np.broadcast_to(index, BLOCK_SHAPE)


def sigmoid_inputs(samples: int = 4096, mean: float = 3.0, std: float = 2.5, seed: int = 0):
    """Pre-activations of one unit drifted off-centre, and the same after batch norm (γ=1, β=0)."""
    x = mean + std * np.random.default_rng(seed).standard_normal((samples, 1))
    normalized = batch_norm(x, None, None, training=True)
    return x.ravel(), normalized.ravel()


def saturated_share(x: np.ndarray) -> float:
    """The share of sigmoid units fed ``x`` that are saturated (:mod:`normcore.saturation`)."""
    return saturation.saturated_share(1 / (1 + np.exp(-x)), "sigmoid")


def saturation_histograms(bins: int = 60) -> tuple[Histogram, Histogram, tuple[float, float]]:
    """The home page's picture: histograms of :func:`sigmoid_inputs` on one range, and saturated shares."""
    raw, normalized = sigmoid_inputs()
    edges = value_range(raw, normalized)
    shares = (saturated_share(raw), saturated_share(normalized))
    return histogram(raw, bins, edges), histogram(normalized, bins, edges), shares


def membership_table(names: list[str]) -> dict[str, list]:
    """Every element of every norm's block with its set, for the CSV beside the picture."""
    columns = {"norm": [], "block": [], "row": [], "position": [], "set": []}
    for name, norm in zip(names, COMPARED, strict=True):
        sets = membership(norm)
        block, row, position = np.indices(sets.shape).reshape(3, -1)
        columns["norm"] += [name] * sets.size
        columns["block"] += block.tolist()
        columns["row"] += row.tolist()
        columns["position"] += position.tolist()
        columns["set"] += sets.ravel().tolist()
    return columns
