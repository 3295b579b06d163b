"""The Explorer's sidebar: every control bound to the URL, values checked, returned as one record."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from normcore import valid_group_counts
from normcore.explorer import ACTIVATIONS, GROUPINGS, SHAPES, SOURCES
from normcore.teaching import NORMS
from ui.explorer_cache import load_upload
from ui.i18n import t
from ui.url import UrlCheck, choice, shown

EPS_OPTIONS = ["1e-08", "1e-05", "0.001", "0.01", "0.1", "1.0"]
PER_CHANNEL_LIMIT = 1000.0  # |γ|, |β| typed into the table or the link


@dataclass(frozen=True)
class Controls:
    norm: str
    n: int
    c: int
    hw: int
    groups: int
    training: bool
    source: str
    shape: str
    offset: float
    spread: float
    seed: int
    eps: float
    momentum: float
    warmup: int
    r_max: float
    d_max: float
    gamma: float
    beta: float
    activation: str
    by: str
    upload: Any = None  # the UploadedFile, when the source is an upload
    upload_array: np.ndarray | None = None  # (N, C, H, W) if the upload was accepted
    upload_error: str | None = None  # why it was refused


def _slider(label: str, low, high, default, key: str, check: UrlCheck, step=None, **kwargs):
    value = st.slider(t(f"explorer.{label}"), low, high, default, step=step, key=key, bind="query-params",
                      help=t(f"explorer.{label}_help"), **kwargs)  # fmt: skip
    check.check(key, value)
    return value


def _choice(widget, label: str, options: list[str], key: str, check: UrlCheck, **kwargs) -> str:
    return choice(widget, t(f"explorer.{label}"), options, key=key, check=check,
                  labels=kwargs.pop("labels", lambda k: t(f"explorer.{label}.{k}")),
                  help=t(f"explorer.{label}_help"), **kwargs)  # fmt: skip


def clear_per_channel() -> None:
    """A global γ/β slider moved: it sets every channel again."""
    for key in ("gc", "bc"):
        st.query_params.pop(key, None)


def sidebar(check: UrlCheck) -> Controls:
    with st.sidebar:
        norm = _choice(st.selectbox, "norm", list(NORMS), "norm", check)
        training = _choice(st.radio, "mode", ["train", "eval"], "mode", check, horizontal=True) == "train"
        st.subheader(t("explorer.input_header"))
        source = _choice(st.selectbox, "source", [*SOURCES, "upload"], "src", check)
        upload, array, error = upload_input() if source == "upload" else (None, None, None)
        st.subheader(t("explorer.shape_header"))
        generated = source != "upload"
        n = _slider("batch", 1, 256, 16, "n", check, disabled=not generated)
        c = _slider("channels", 1, 64, 8, "c", check, disabled=not generated)
        hw = _slider("size", 1, 32, 8, "hw", check, disabled=not generated)
        channels = array.shape[1] if array is not None else c
        groups = group_choice(channels, check, disabled=norm != "group")
        st.subheader(t("explorer.draw_header"))
        synthetic = source == "synthetic"
        shape = _choice(st.selectbox, "dist", list(SHAPES), "dist", check, disabled=not synthetic)
        offset = _slider("offset", 0.0, 5.0, 2.0, "off", check, step=0.1, disabled=not synthetic)
        spread = _slider("spread", 0.0, 1.5, 0.5, "spr", check, step=0.05, disabled=not synthetic)
        seed = st.number_input(t("explorer.seed"), 0, 9999, 0, key="seed", bind="query-params",
                               help=t("explorer.seed_help"), disabled=source == "upload")  # fmt: skip
        check.check("seed", seed)
        st.subheader(t("explorer.layer_header"))
        eps = float(_choice(st.select_slider, "eps", EPS_OPTIONS, "eps", check, default="1e-05", labels=str))
        batch_family = norm in ("batch", "batch_renorm")
        momentum = _slider("momentum", 0.01, 1.0, 0.1, "mom", check, step=0.01, disabled=not batch_family)
        warmup = _slider("warmup", 0, 100, 20, "wb", check, disabled=not batch_family)
        r_max = _slider("rmax", 1.0, 5.0, 3.0, "rmax", check, step=0.1, disabled=norm != "batch_renorm")
        d_max = _slider("dmax", 0.0, 10.0, 5.0, "dmax", check, step=0.1, disabled=norm != "batch_renorm")
        gamma = _slider("gamma", -3.0, 3.0, 1.0, "ga", check, step=0.05, on_change=clear_per_channel,
                        disabled=norm == "none")  # fmt: skip
        beta = _slider("beta", -3.0, 3.0, 0.0, "be", check, step=0.05, on_change=clear_per_channel,
                       disabled=norm in ("none", "rms"))  # fmt: skip
        activation = _choice(st.radio, "act", list(ACTIVATIONS), "act", check, horizontal=True)
        by = _choice(st.radio, "by", list(GROUPINGS), "sm", check, horizontal=True)
    return Controls(norm, n, c, hw, groups, training, source, shape, offset, spread, int(seed), eps, momentum,
                    warmup, r_max, d_max, gamma, beta, activation, by, upload, array, error)  # fmt: skip


def upload_input():
    """The file uploader; returns (file, array, None), (file, None, message) or (None, None, None)."""
    file = st.file_uploader(t("explorer.upload"), type=["npy", "csv"], max_upload_size=5, key="upload",
                            help=t("explorer.upload_help"))  # fmt: skip
    if file is None:
        return None, None, None
    loaded = load_upload(file.getvalue(), file.name)
    return (file, None, loaded) if isinstance(loaded, str) else (file, loaded, None)


def follow_inputs(shape: tuple[int, int, int, int], check: UrlCheck) -> tuple[int, int, int]:
    """The followed element: sample, channel and spatial position (row-major), each within the batch."""
    n, c, h, w = shape
    with st.sidebar:
        st.subheader(t("explorer.follow_inputs"), help=t("explorer.follow_inputs_help"))
        cols = st.columns(3)
        picked = []
        for col, key, size in zip(cols, ("fn", "fc", "fp"), (n, c, h * w), strict=True):
            with col:
                value = st.number_input(t(f"explorer.{key}"), 0, max(size - 1, 0), 0, key=key,
                                        bind="query-params", help=t(f"explorer.{key}_help"))  # fmt: skip
            check.check(key, value)
            picked.append(int(min(value, max(size - 1, 0))))
    return tuple(picked)


def group_choice(c: int, check: UrlCheck, disabled: bool) -> int:
    """G among the divisors of C; a G that stopped dividing C falls back with a notice."""
    options = [str(g) for g in valid_group_counts(c)]
    default = "2" if "2" in options else "1"
    previous = st.session_state.get("g")
    groups = _choice(
        st.selectbox, "groups", options, "g", check, default=default, labels=str, disabled=disabled
    )
    if previous is not None and previous not in options:
        check.notice(t("explorer.groups_fallback", asked=previous, c=c, used=groups))
    return int(groups)


def per_channel(key: str, count: int, fallback: float, check: UrlCheck) -> list[float]:
    """Per-channel values from the URL's comma list ``key``, else ``fallback`` for every channel.

    A list of the wrong length, with text or with values beyond ±1000 is dropped with a notice.
    """
    raw = st.query_params.get(key)
    if raw is None:
        return [fallback] * count
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(v) and abs(v) <= PER_CHANNEL_LIMIT for v in values):
        check.notice(t("explorer.per_channel_dropped", param=key, asked=shown(raw), c=count))
        st.query_params.pop(key, None)
        return [fallback] * count
    return values


def store_per_channel(key: str, values, fallback: float) -> None:
    """Keep per-channel values in the URL (none when every channel has the global value)."""
    if all(v == fallback for v in values):
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = ",".join(repr(float(v)) for v in values)
