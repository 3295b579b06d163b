"""The Explorer's sidebar: every control bound to the URL, values checked, returned as one record."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from normcore import valid_group_counts
from normcore.explorer import ACTIVATIONS, GROUPINGS, SHAPES, SOURCES
from normcore.teaching import NORMS
from normcore.uploads import UploadError
from ui.explorer_cache import load_upload
from ui.i18n import t
from ui.url import FRESH_VISIT_KEY, UrlCheck, choice, set_param, shown

EPS_OPTIONS = ["1e-08", "1e-05", "0.001", "0.01", "0.1", "1.0"]
DEFAULT_EPS, DEFAULT_MOMENTUM, DEFAULT_WARMUP, DEFAULT_RENORM = 1e-05, 0.1, 20, (3.0, 5.0)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # N in one click; a link's other N is offered beside them
PER_CHANNEL_LIMIT = 1000.0  # |γ|, |β| typed into the table or the link


@dataclass(frozen=True)
class Inputs:
    """The sidebar's values: a change there reruns the whole page (the bar's controls rerun the stage)."""

    source: str
    c: int
    hw: int
    shape: str
    offset: float
    spread: float
    seed: int
    activation: str
    by: str
    layer_box: Any  # a sidebar container the stage fills (what it holds depends on the bar's norm and mode)
    follow: tuple[
        int, int, int
    ]  # the followed element as asked: sample (not yet bounded by N), channel, position
    upload: Any = None  # the UploadedFile, when the source is an upload
    upload_array: np.ndarray | None = None  # (N, C, H, W) if the upload was accepted
    upload_error: UploadError | None = None  # why it was refused


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
    upload_error: UploadError | None = None  # why it was refused


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


def sidebar(check: UrlCheck) -> Inputs:
    """The secondary controls: the input, its shape and drawing, and the views' options."""
    with st.sidebar:
        st.subheader(t("explorer.input_header"))
        source = _choice(st.selectbox, "source", [*SOURCES, "upload"], "src", check)
        upload, array, error = upload_input() if source == "upload" else (None, None, None)
        st.subheader(t("explorer.shape_header"))
        generated = source != "upload"
        c = _slider("channels", 1, 64, 8, "c", check, disabled=not generated)
        hw = _slider("size", 1, 32, 8, "hw", check, disabled=not generated)
        st.subheader(t("explorer.draw_header"))
        synthetic = source == "synthetic"
        shape = _choice(st.selectbox, "dist", list(SHAPES), "dist", check, disabled=not synthetic)
        offset = _slider("offset", 0.0, 5.0, 2.0, "off", check, step=0.1, disabled=not synthetic)
        spread = _slider("spread", 0.0, 1.5, 0.5, "spr", check, step=0.05, disabled=not synthetic)
        seed = st.number_input(t("explorer.seed"), 0, 9999, 0, key="seed", bind="query-params",
                               help=t("explorer.seed_help"), disabled=source == "upload")  # fmt: skip
        check.check("seed", seed)
        layer_box = st.container()
        activation = _choice(st.radio, "act", list(ACTIVATIONS), "act", check, horizontal=True)
        by = _choice(st.radio, "by", list(GROUPINGS), "sm", check, horizontal=True)
        channels, size = (
            (array.shape[1], array.shape[2] * array.shape[3]) if array is not None else (c, hw * hw)
        )
        samples = array.shape[0] if array is not None else max(BATCH_SIZES)
        follow = follow_inputs((samples, channels, size), check)
    return Inputs(source, c, hw, shape, offset, spread, int(seed), activation, by, layer_box, follow,
                  upload, array, error)  # fmt: skip


def fragment_check(page: str) -> UrlCheck:
    """A :class:`UrlCheck` that knows a rerun of a fragment alone is never the first run of a visit."""
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.fragment_ids_this_run:
        st.session_state[FRESH_VISIT_KEY] = False
    return UrlCheck(page)


@dataclass(frozen=True)
class LayerChoice:
    """The layer as the first bar row sets it (a change there reruns the whole stage)."""

    norm: str
    training: bool
    groups: int
    eps: float
    momentum: float
    warmup: int
    r_max: float
    d_max: float


def layer_bar(side: Inputs, check: UrlCheck) -> LayerChoice:
    """The norm, the mode and G, on the page; call inside the bar's first row.

    The layer's other settings go to the sidebar, only those that apply (the others leave the link)."""
    norm = _choice(st.selectbox, "norm", list(NORMS), "norm", check, width=200)
    training = (
        _choice(st.segmented_control, "mode", ["train", "eval"], "mode", check, required=True) == "train"
    )
    channels = side.upload_array.shape[1] if side.upload_array is not None else side.c
    if norm == "group":
        groups = group_choice(channels, check)
    else:  # G applies to group norm only: out of the bar and out of the link
        st.query_params.pop("g", None)
        groups = default_groups(channels)
    with side.layer_box:
        settings = layer_settings(norm, training, check)
    return LayerChoice(norm, training, groups, *settings)


def batch_bar(side: Inputs, layer: LayerChoice, check: UrlCheck) -> Controls:
    """N, γ and β, on the page; call inside the bar's second row (a change there reruns only that row and
    the charts)."""
    n = batch_choice(check, disabled=side.source == "upload")
    gamma = _slider("gamma", -3.0, 3.0, 1.0, "ga", check, step=0.05, on_change=clear_per_channel,
                    disabled=layer.norm == "none", width=220)  # fmt: skip
    beta = _slider("beta", -3.0, 3.0, 0.0, "be", check, step=0.05, on_change=clear_per_channel,
                   disabled=layer.norm in ("none", "rms"), width=220)  # fmt: skip
    return Controls(layer.norm, n, side.c, side.hw, layer.groups, layer.training, side.source, side.shape,
                    side.offset, side.spread, side.seed, layer.eps, layer.momentum, layer.warmup, layer.r_max,
                    layer.d_max, gamma, beta, side.activation, side.by, side.upload, side.upload_array,
                    side.upload_error)  # fmt: skip


def drop(*keys: str) -> None:
    """Keys of controls not drawn in this run leave the link. One drawn in the last run is still bound to
    its widget: Streamlit drops that at the end of this run, and refuses a direct deletion."""
    for key in keys:
        try:
            st.query_params.pop(key, None)
        except StreamlitAPIException:
            pass


def reads_running(norm: str, training: bool) -> bool:
    """Whether the layer reads running statistics (momentum and warm-up batches then matter)."""
    return norm == "batch_renorm" or (norm == "batch" and not training)


def layer_settings(norm: str, training: bool, check: UrlCheck) -> tuple[float, float, int, float, float]:
    """ε, momentum, warm-up batches, r_max and d_max: the controls of those that apply, defaults for the rest.

    A bound control not drawn leaves the link (Streamlit drops its key); ε's key is dropped here."""
    st.subheader(t("explorer.layer_header"))
    if norm == "none":
        st.query_params.pop("eps", None)
        st.caption(t("explorer.layer_none"))
        eps = DEFAULT_EPS
    else:
        eps = float(_choice(st.select_slider, "eps", EPS_OPTIONS, "eps", check, default="1e-05", labels=str))
    momentum, warmup = DEFAULT_MOMENTUM, DEFAULT_WARMUP
    if reads_running(norm, training):
        momentum = _slider("momentum", 0.01, 1.0, DEFAULT_MOMENTUM, "mom", check, step=0.01)
        warmup = _slider("warmup", 0, 100, DEFAULT_WARMUP, "wb", check)
    else:
        drop("mom", "wb")
    r_max, d_max = DEFAULT_RENORM
    if norm == "batch_renorm":
        r_max = _slider("rmax", 1.0, 5.0, r_max, "rmax", check, step=0.1)
        d_max = _slider("dmax", 0.0, 10.0, d_max, "dmax", check, step=0.1)
    else:
        drop("rmax", "dmax")
    return eps, momentum, warmup, r_max, d_max


def batch_choice(check: UrlCheck, disabled: bool) -> int:
    """N in one click among powers of two; a link's other N (1 to 256) is kept and offered beside them."""
    options = list(BATCH_SIZES)
    for asked in (st.query_params.get("n"), st.session_state.get("n")):
        try:
            value = int(str(asked))
        except ValueError:
            continue
        if str(value) == str(asked) and 1 <= value <= max(BATCH_SIZES) and value not in options:
            options = sorted([*options, value])
    return int(choice(st.segmented_control, t("explorer.batch"), [str(v) for v in options], key="n", check=check,
                      labels=str, default="16", help=t("explorer.batch_help"), required=True, disabled=disabled))  # fmt: skip


def upload_input():
    """The file uploader; returns (file, array, None), (file, None, message) or (None, None, None)."""
    file = st.file_uploader(t("explorer.upload"), type=["npy", "csv"], max_upload_size=5, key="upload",
                            help=t("explorer.upload_help"))  # fmt: skip
    if file is None:
        return None, None, None
    loaded = load_upload(file.getvalue(), file.name)
    return (file, None, loaded) if isinstance(loaded, UploadError) else (file, loaded, None)


def follow_inputs(bounds: tuple[int, int, int], check: UrlCheck) -> tuple[int, int, int]:
    """The followed element: sample, channel and spatial position (row-major), each below its bound.

    Drawn with the page (a move in the bar does not redraw them), so the sample's bound is the largest
    batch; :func:`followed_in` keeps it within the batch the bar chose."""
    st.subheader(t("explorer.follow_inputs"), help=t("explorer.follow_inputs_help"))
    picked = []
    for col, key, size in zip(st.columns(3), ("fn", "fc", "fp"), bounds, strict=True):
        with col:
            value = st.number_input(t(f"explorer.{key}"), 0, max(size - 1, 0), 0, key=key,
                                    bind="query-params", help=t(f"explorer.{key}_help"))  # fmt: skip
        check.check(key, value)
        picked.append(int(min(value, max(size - 1, 0))))
    return tuple(picked)


def followed_in(follow: tuple[int, int, int], samples: int, check: UrlCheck) -> tuple[int, int, int]:
    """``follow`` with its sample within a batch of ``samples`` (the last one, with a notice, if beyond);
    as asked while there is no batch (``samples`` 0: an upload awaited or refused)."""
    if follow[0] < samples or samples == 0:
        return follow
    check.notice(t("explorer.follow_beyond", asked=follow[0], n=samples, used=samples - 1))
    return (samples - 1, *follow[1:])


def default_groups(c: int) -> int:
    return 2 if c % 2 == 0 else 1


def group_choice(c: int, check: UrlCheck) -> int:
    """G among the divisors of C; a G that stopped dividing C falls back with a notice."""
    options = [str(g) for g in valid_group_counts(c)]
    default = str(default_groups(c))
    previous = st.session_state.get("g")
    groups = _choice(st.selectbox, "groups", options, "g", check, default=default, labels=str, width=110)
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
    same = all(v == fallback for v in values)
    set_param(key, None if same else ",".join(repr(float(v)) for v in values))
