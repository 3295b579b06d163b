"""PyTorch code that reproduces the Explorer's numbers with ``torch.nn`` modules (string building only)."""

from __future__ import annotations

from dataclasses import dataclass

from normcore.backward_view import RANDOM_SEED
from normcore.explorer import WARMUP_BATCH, Population


@dataclass(frozen=True)
class Setup:
    """Everything the snippet needs to rebuild what the page shows."""

    norm: str
    shape: tuple[int, int, int, int]  # (N, C, H, W)
    population: Population | None  # None: an uploaded file
    gamma: tuple[float, ...]
    beta: tuple[float, ...]
    training: bool = True
    num_groups: int = 1
    eps: float = 1e-5
    momentum: float = 0.1
    warmup_batches: int = 20
    warmup_batch: int = WARMUP_BATCH
    r_max: float = 3.0
    d_max: float = 5.0
    upload_name: str = "activations.npy"
    follow: tuple[int, int, int, int] = (0, 0, 0, 0)  # the element the page follows
    upstream: str | None = (
        None  # the Backward view's loss (normcore.backward_view.UPSTREAMS); None: forward only
    )


def _floats(values) -> str:
    items = [repr(float(v)) for v in values]
    lines = [", ".join(items[i : i + 6]) for i in range(0, len(items), 6)]
    return (
        "torch.tensor([\n    " + ",\n    ".join(lines) + ",\n])"
        if len(lines) > 1
        else f"torch.tensor([{lines[0]}])"
    )


def _module(s: Setup) -> str:
    n, c, h, w = s.shape
    return {
        "batch": f"torch.nn.BatchNorm2d({c}, eps={s.eps!r}, momentum={s.momentum!r})",
        "batch_renorm": f"torch.nn.BatchNorm2d({c}, eps={s.eps!r}, momentum={s.momentum!r})  # its running statistics",
        "layer": f"torch.nn.LayerNorm(({c}, {h}, {w}), eps={s.eps!r})",
        "instance": f"torch.nn.InstanceNorm2d({c}, eps={s.eps!r}, affine=True)",
        "group": f"torch.nn.GroupNorm({s.num_groups}, {c}, eps={s.eps!r})",
        "rms": f"torch.nn.RMSNorm(({c}, {h}, {w}), eps={s.eps!r})",
        "none": "torch.nn.Identity()",
    }[s.norm]


def _input(s: Setup) -> list[str]:
    """The page's input, and ``batch(b)`` for the warm-up when the layer reads running statistics."""
    n, c, h, w = s.shape
    warmup = _reads_running(s)
    if s.population is None:
        lines = [
            "from pathlib import Path",
            "",
            *(["from normcore.explorer import resample"] if warmup else []),
            "from normcore.uploads import load_activations",
            "",
            f"x_np = load_activations(Path({s.upload_name!r}).read_bytes(), {s.upload_name!r})  # your file",
            "x = torch.from_numpy(x_np)  # (N, C, H, W)",
        ]
        batch = [
            "def batch(b):  # a warm-up batch: samples drawn from the file",
            f"    return torch.from_numpy(resample(x_np, {s.warmup_batch}, 0, b))",
        ]
    else:
        p = s.population
        lines = [
            "from normcore.explorer import Population, make_input  # the page's seeded input",
            "",
            f"population = Population(source={p.source!r}, shape={p.shape!r}, offset={p.offset!r}, "
            f"spread={p.spread!r}, seed={p.seed!r})",
            f"x = torch.from_numpy(make_input({n}, {c}, {h}, {w}, population))  # (N, C, H, W)",
        ]
        batch = [
            "def batch(b):  # training batch b of the same population",
            f"    return torch.from_numpy(make_input({s.warmup_batch}, {c}, {h}, {w}, population, b))",
        ]
    return lines + (["", *batch] if warmup else [])


def _reads_running(s: Setup) -> bool:
    """Whether the layer reads running statistics, filled first by warm-up batches: batch norm in eval mode,
    Batch Renorm in both."""
    return s.norm == "batch_renorm" or (s.norm == "batch" and not s.training)


def _affine(s: Setup) -> list[str]:
    if s.norm == "none":
        return []
    expand = ".view(-1, 1, 1).expand_as(layer.weight)" if s.norm in ("layer", "rms") else ""
    lines = ["with torch.no_grad():", f"    layer.weight.copy_(gamma{expand})"]
    if s.norm != "rms":  # RMSNorm has no bias
        lines.append(f"    layer.bias.copy_(beta{expand})")
    return lines


RENORM = '''
def batch_renorm(x, running_mean, running_var, weight, bias, eps, r_max, d_max):
    """Batch Renormalization (Ioffe, 2017) in training; torch.nn has no module for it."""
    mean = x.mean((0, 2, 3))
    std = (x.var((0, 2, 3), unbiased=False) + eps).sqrt()
    running_std = (running_var + eps).sqrt()
    r = (std / running_std).clamp(1 / r_max, r_max).detach()  # r and d: constants for the gradient
    d = ((mean - running_mean) / running_std).clamp(-d_max, d_max).detach()
    x_hat = (x - mean.view(-1, 1, 1)) / std.view(-1, 1, 1) * r.view(-1, 1, 1) + d.view(-1, 1, 1)
    return x_hat * weight.view(-1, 1, 1) + bias.view(-1, 1, 1)
'''


def _forward(s: Setup) -> list[str]:
    lines = []
    if _reads_running(s):
        lines += [
            f"# warm-up: {s.warmup_batches} training batches of {s.warmup_batch} fill the running statistics",
            "layer.train()",
            "with torch.no_grad():",
            f"    for b in range(1, {s.warmup_batches + 1}):",
            "        layer(batch(b))",
        ]
    lines.append(f"layer.{'train' if s.training else 'eval'}()")
    indent = "    "
    if s.upstream is None:
        lines.append("with torch.no_grad():")
    else:
        lines.append("x.requires_grad_(True)  # to read dL/dx after the backward pass")
        indent = ""
    if s.norm == "batch_renorm" and s.training:
        lines.append(
            f"{indent}y = batch_renorm(x, layer.running_mean, layer.running_var, gamma, beta, "
            f"{s.eps!r}, {s.r_max!r}, {s.d_max!r})"
        )
    else:
        lines.append(f"{indent}y = layer(x)")
    return lines


def _loss(s: Setup) -> list[str]:
    """The Backward view's loss on ``y`` (normcore.backward_view.upstream_gradient), mean-reduced."""
    n, c, h, w = s.shape
    if s.upstream == "class":
        return [
            f"# channel {s.follow[1]} is the right class at every (sample, position)",
            f"target = torch.full(({n}, {h}, {w}), {s.follow[1]})",
            "loss = torch.nn.functional.cross_entropy(y, target)",
        ]
    if s.upstream == "zero":
        return ["loss = 0.5 * torch.nn.functional.mse_loss(y, torch.zeros_like(y))  # squared error to 0"]
    if s.upstream == "input":
        return ["loss = 0.5 * torch.nn.functional.mse_loss(y, x.detach())  # squared error to the input"]
    return [
        "import numpy as np",
        "",
        f"r = torch.from_numpy(np.random.default_rng({RANDOM_SEED}).standard_normal({(n, c, h, w)!r}))",
        "loss = (r * y).sum() / y.numel()  # a random linear loss",
    ]


def _backward(s: Setup) -> list[str]:
    n, c, h, w = s.follow
    return [
        "",
        *_loss(s),
        "loss.backward()  # dL/dy flows back through the layer (and its statistics)",
        f"print(x.grad[{n}, {c}, {h}, {w}].item())  # dL/dx at the followed element",
    ]


def pytorch_snippet(s: Setup) -> str:
    """Runnable code: the same input through ``torch.nn``; ``y`` ends as the page's output.

    With ``upstream``, a backward pass follows: the Backward view's loss, ``loss.backward()``, and
    ``x.grad`` at the followed element, last.
    """
    n, c, h, w = s.follow
    parts = ["import torch", ""] + _input(s) + [""]
    if s.norm == "batch_renorm" and s.training:
        parts += RENORM.strip("\n").splitlines() + [""]
    if s.norm != "none":
        parts += [f"gamma = {_floats(s.gamma)}", f"beta = {_floats(s.beta)}"]
    parts += [f"layer = {_module(s)}"]
    parts += _affine(s) + [""] + _forward(s) + [""]
    parts += [f"print(y[{n}, {c}, {h}, {w}].item())  # the followed element"]
    if s.upstream is not None:
        parts += _backward(s)
    return "\n".join(parts) + "\n"
