"""The Explorer's caches: values in, never widgets; large arrays and summaries shared read-only.

Big arrays (the batch, the normalized batch) live in :func:`ui.cached.resource` so a rerun does
not copy megabytes; they are never written to (the input is made read-only, and
:func:`normcore.explorer.with_affine` copies before applying γ/β). What is drawn comes
from :func:`ui.cached.value`: small, binned summaries, shared (Streamlit's cache hashed their
arguments object by object and handed out a copy: ~2 ms of a slider move). An upload enters as ``_upload`` (not
hashed) beside its digest in ``source``. All of it is recomputable from the settings, so it is
a cache and not a server-wide resource (those live in ui/server_state.py); no client can clear it
on this app (ui/hardening.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from normcore.explorer import (
    Population,
    Summary,
    batch_moments,
    make_input,
    resample,
    run,
    running_statistics,
    summarize,
    warmup_batch_size,
    with_affine,
)
from normcore.teaching import Explained
from normcore.uploads import UploadError, load_activations
from ui import cached


@dataclass(frozen=True)
class Layer:
    """One layer on one batch: everything the normalized output depends on except γ/β."""

    shape: tuple[int, int, int, int]  # (N, C, H, W)
    source: tuple  # ("upload", digest) or the Population's fields
    norm: str
    groups: int
    training: bool
    eps: float
    momentum: float
    warmup: int
    r_max: float
    d_max: float

    @property
    def population(self) -> Population | None:
        return None if self.source[0] == "upload" else Population(*self.source)

    @property
    def warmup_batch(self) -> int:
        return warmup_batch_size(*self.shape[1:])


@st.cache_data(max_entries=4, show_spinner=False)
def load_upload(data: bytes, name: str) -> np.ndarray | UploadError:
    """The uploaded array, or the :class:`UploadError` saying why it was refused."""
    try:
        return load_activations(data, name)
    except UploadError as error:
        return error
    except ValueError as error:  # none is known; said in the core's English rather than as a traceback
        return UploadError(None, str(error))


def batch(shape: tuple[int, int, int, int], source: tuple, _upload: np.ndarray | None = None) -> np.ndarray:
    """The input batch (read-only, shared by every session)."""
    return cached.resource(_batch, shape, source, _upload=_upload)


def _batch(shape: tuple[int, int, int, int], source: tuple, _upload: np.ndarray | None = None) -> np.ndarray:
    x = _upload.copy() if source[0] == "upload" else make_input(*shape, Population(*source))
    x.setflags(write=False)
    return x


def warmup_moments(chw: tuple[int, int, int], source: tuple, batches: int, _upload=None) -> list:
    """Mean, variance and count of each warm-up training batch (1, 2, ...) of the source.

    Cached batch by batch: moving the warm-up slider one step makes one new batch, not all of them
    (21 batches at the default size are ~23 ms to make)."""
    return [warmup_batch_moments(chw, source, b, _upload) for b in range(1, batches + 1)]


@st.cache_data(max_entries=2048, show_spinner=False)  # an entry: 2 x C float64, ~1 KB at C = 64
def warmup_batch_moments(chw: tuple[int, int, int], source: tuple, batch_number: int, _upload=None) -> tuple:
    n = warmup_batch_size(*chw)
    if source[0] == "upload":
        return batch_moments(resample(_upload, n, 0, batch_number))
    return batch_moments(make_input(n, *chw, Population(*source), batch_number))


def normalized(layer: Layer, _upload: np.ndarray | None = None) -> Explained:
    """The norm applied without γ/β (PyTorch's refusals raise ValueError), shared by every session."""
    return cached.resource(_normalized, layer, _upload=_upload)


def _normalized(layer: Layer, _upload: np.ndarray | None = None) -> Explained:
    running = (None, None)
    if layer.norm == "batch_renorm" or (layer.norm == "batch" and not layer.training):
        moments = warmup_moments(layer.shape[1:], layer.source, layer.warmup, _upload)
        running = running_statistics(moments, layer.shape[1], layer.momentum)
    return run(batch(layer.shape, layer.source, _upload), layer.norm, num_groups=layer.groups,
               training=layer.training, running_mean=running[0], running_var=running[1],
               momentum=layer.momentum, eps=layer.eps, r_max=layer.r_max, d_max=layer.d_max)  # fmt: skip


def summary(layer: Layer, gamma: tuple, beta: tuple, activation: str, by: str, follow: tuple,
            parts: tuple[str, ...], _upload: np.ndarray | None = None) -> Summary:  # fmt: skip
    """What the Explorer draws of ``layer`` with γ/β, with the optional ``parts`` a view shows (shared by
    every session; never mutate it)."""
    return cached.value(_summary, layer, gamma, beta, activation, by, follow, parts, _upload=_upload)


def _summary(layer: Layer, gamma: tuple, beta: tuple, activation: str, by: str, follow: tuple,
             parts: tuple[str, ...], _upload: np.ndarray | None = None) -> Summary:  # fmt: skip
    explained = with_affine(normalized(layer, _upload), np.array(gamma), np.array(beta))
    return summarize(batch(layer.shape, layer.source, _upload), explained, activation=activation, by=by,
                     follow=follow, parts=parts)  # fmt: skip
