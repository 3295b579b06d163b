r"""Batch norm makes a layer indifferent to the scale of its weights (Ioffe & Szegedy, 2015, §3.3).

A linear layer :math:`x = Wu` on a fixed batch of digits :math:`u`, then batch norm in
training mode, then a fixed linear read-out and cross-entropy against the digit labels.
Scaling the weights by :math:`a` changes nothing downstream, and the paper's §3.3 states
what that means for the backward pass:

.. math::
    \mathrm{BN}(Wu) = \mathrm{BN}((aW)u), \quad
    \frac{\partial \mathrm{BN}((aW)u)}{\partial u} = \frac{\partial \mathrm{BN}(Wu)}{\partial u}, \quad
    \frac{\partial \mathrm{BN}((aW)u)}{\partial (aW)}
        = \frac{1}{a} \cdot \frac{\partial \mathrm{BN}(Wu)}{\partial W}

Here :math:`u` is the layer's *input*: the gradient that flows on to earlier layers does
not change, and the weights' own gradient shrinks as they grow. (The gradient with respect
to the pre-normalization activations :math:`(aW)u` scales by :math:`1/a` as well.)

Everything is computed by torch autograd. The invariance is exact only for
:math:`\epsilon = 0`: with :math:`\epsilon`, scaling by :math:`a` is the same as keeping
:math:`W` and using :math:`\epsilon / a^2`, so it holds to about
:math:`\epsilon / (2 a^2 \mathrm{Var}[Wu])` and fails once :math:`a^2 \mathrm{Var}[Wu]`
approaches :math:`\epsilon`. On the default batch (the per-unit variances of :math:`Wu` are
0.040 to 0.161) with :math:`\epsilon = 10^{-5}`, measured against :math:`a = 1` in float32:
every quantity within 1.4e-4 of its size for :math:`a` from 3 to 1000, 1.4e-3 at 0.3,
1.3e-2 at 0.1, and 0.39 to 0.49 at 0.01 (``tests/test_scale_invariance.py`` asserts the bounds).
With :math:`\epsilon = 10^{-15}` in float64 it holds to 1.4e-12 at :math:`a = 0.1`.
torch is imported here only, as in :mod:`normcore.training`.

>>> one, ten = (scaled_layer(a, eps=1e-15, dtype="float64") for a in (1.0, 10.0))
>>> bool(np.abs(ten.grad_weight * 10 - one.grad_weight).max() < 1e-12 * np.abs(one.grad_weight).max())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as TF

from normcore.training import load_digits

DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class ScaledLayer:
    """One forward and backward pass of ``u -> (aW)u -> BN -> read-out -> cross-entropy``."""

    scale: float  # a
    output: np.ndarray  # (B, units): BN((aW)u)
    grad_input: np.ndarray  # (B, 64): dL/du, unchanged by a
    grad_weight: np.ndarray  # (units, 64): dL/d(aW), scales by 1/a
    grad_pre_norm: np.ndarray  # (B, units): dL/d((aW)u), scales by 1/a
    loss: float
    weight_norm: float  # ||aW||, Frobenius


def scaled_layer(
    scale: float = 1.0,
    *,
    batch_size: int = 64,
    units: int = 16,
    seed: int = 0,
    eps: float = 1e-5,
    dtype: str = "float32",
) -> ScaledLayer:
    r"""Run the layer with weights :math:`aW` and return its output and gradients (torch autograd).

    Args:
        scale: :math:`a`, the factor on the weights; positive.
        batch_size: the first ``batch_size`` training digits (the fixed split of
            :func:`normcore.training.load_digits`) form the batch, at least 2. Default: 64
        units: the layer's output features. Default: 16
        seed: fixes :math:`W` (:math:`N(0, 1/64)`) and the read-out (:math:`N(0, 1/\text{units})`). Default: 0
        eps: batch norm's :math:`\epsilon`, positive (as PyTorch requires in training). Default: 1e-5
        dtype: "float32" or "float64". Default: "float32"

    Shape:
        - output, grad_pre_norm: :math:`(B, \text{units})`; grad_input: :math:`(B, 64)`;
          grad_weight: :math:`(\text{units}, 64)`

    >>> round(scaled_layer(1.0).loss, 4) == round(scaled_layer(10.0).loss, 4)
    True
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    digits = load_digits()
    if not 2 <= batch_size <= len(digits.y_train):
        raise ValueError(f"batch_size must be between 2 and {len(digits.y_train)}, got {batch_size}")
    torch_dtype = DTYPES[dtype]
    generator = torch.Generator().manual_seed(seed)
    weight = torch.randn(units, 64, generator=generator, dtype=torch.float64) / 8.0  # (units, 64)
    readout = torch.randn(10, units, generator=generator, dtype=torch.float64) / units**0.5  # (10, units)
    u = digits.x_train[:batch_size].to(torch_dtype).requires_grad_(True)  # (B, 64)
    scaled = (scale * weight).to(torch_dtype).requires_grad_(True)  # aW, the parameter as it now is
    pre_norm = u @ scaled.T  # (B, units)
    pre_norm.retain_grad()
    output = TF.batch_norm(pre_norm, None, None, training=True, eps=eps)
    loss = TF.cross_entropy(output @ readout.to(torch_dtype).T, digits.y_train[:batch_size])
    loss.backward()
    return ScaledLayer(
        float(scale),
        output.detach().numpy(),
        u.grad.numpy(),
        scaled.grad.numpy(),
        pre_norm.grad.numpy(),
        float(loss.detach()),
        float(torch.linalg.norm(scaled.detach())),
    )


def invariance_errors(scales, **kwargs) -> dict[float, dict[str, float]]:
    """How far each quantity at scale :math:`a` is from its value at :math:`a = 1`, relative to its size.

    For each ``a``: ``output`` and ``grad_input`` compare as they are (the paper: unchanged),
    ``grad_weight`` and ``grad_pre_norm`` after multiplying by ``a`` (the paper: scale by ``1/a``).
    Each entry is ``max |value(a) - value(1)| / max |value(1)|``. ``**kwargs`` as :func:`scaled_layer`.

    >>> errors = invariance_errors([0.1, 10.0], dtype="float64")
    >>> errors[10.0]["grad_input"] < 2e-4 < 1e-3 < errors[0.1]["grad_input"] < 2e-2
    True
    """
    reference = scaled_layer(1.0, **kwargs)
    result = {}
    for a in scales:
        layer = scaled_layer(a, **kwargs)
        result[a] = {
            name: _relative(
                getattr(layer, name) * (a if name in ("grad_weight", "grad_pre_norm") else 1.0), ref
            )
            for name, ref in [
                (n, getattr(reference, n)) for n in ("output", "grad_input", "grad_weight", "grad_pre_norm")
            ]
        }
    return result


def _relative(value: np.ndarray, reference: np.ndarray) -> float:
    return float(np.abs(value.astype(np.float64) - reference).max() / np.abs(reference).max())
