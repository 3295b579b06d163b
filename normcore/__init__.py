"""normcore: normalization layers exactly as PyTorch computes them, on numpy arrays."""

from normcore.functional import (
    adain,
    batch_norm,
    batch_renorm,
    group_norm,
    instance_norm,
    layer_norm,
    normalize,
    rms_norm,
    spectral_norm,
    valid_group_counts,
    weight_standardization,
)
from normcore.teaching import NORMS, Explained, explain, set_index

__all__ = [
    "NORMS",
    "Explained",
    "adain",
    "batch_norm",
    "batch_renorm",
    "explain",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "normalize",
    "rms_norm",
    "set_index",
    "spectral_norm",
    "valid_group_counts",
    "weight_standardization",
]
