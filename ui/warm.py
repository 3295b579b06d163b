"""A warm start for the Training lab: the shipped default runs, and the last result a viewer saw.

:func:`shipped` looks a config up among the runs shipped with the app
(:mod:`normcore.experiments.lab_defaults`), beside the server's run store: a page at its
default settings draws at once, on a server nobody has used yet. They are read once per
process and never evicted (the store is an LRU; these are few and fixed).

:func:`remember`/:func:`last` keep, per session and per view, the last complete result a
viewer saw, so that moving a slider keeps it on screen (with :func:`shown_for` saying which
settings it is for) until the new result arrives.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import streamlit as st

from ui.i18n import t

if TYPE_CHECKING:  # imports torch
    from normcore.training import TrainConfig, TrainResult

_lock = threading.Lock()
_shipped: dict | None = None

# The settings a viewer can change, as TrainConfig fields, with the catalog key that names them.
SETTINGS = {
    "activation": "lab.act",
    "depth": "lab.depth",
    "width": "lab.width",
    "init_scale": "lab.init",
    "lr": "lab.lr",
    "batch_size": "lab.bs",
    "steps": "lab.steps",
    "weight_decay": "lab.shown_wd",
    "seed": "lab.seed",
    "dropout": "lab.drop",
}


def shipped(config: TrainConfig) -> TrainResult | None:
    """The shipped run of ``config``, if the app ships one."""
    global _shipped
    if _shipped is None:
        with _lock:
            if _shipped is None:
                from normcore.experiments import lab_defaults

                try:
                    _shipped = lab_defaults.load()
                except FileNotFoundError:  # a checkout without the file: every run needs Train
                    _shipped = {}
    return _shipped.get(config)


def _key(page: str) -> str:
    return f"_lab_last_{page}"


def remember(page: str, configs: dict, results: dict) -> None:
    """Keep ``results`` (complete, for ``configs``) as this session's last result of ``page``."""
    st.session_state[_key(page)] = (configs, results)


def last(page: str) -> tuple[dict, dict] | None:
    """``(configs, results)`` this session last saw on ``page``, or None."""
    return st.session_state.get(_key(page))


def _values(configs: dict, field: str) -> str:
    values = sorted({getattr(c, field) for c in configs.values()})
    if field == "activation":
        return ", ".join(t(f"lab.act.{v}") for v in values)
    if field == "dropout":  # the view's runs without dropout are not a setting
        values = [max(values)]
    return ", ".join(f"{v:g}" for v in values)


def shown_for(shown: dict, current: dict) -> str:
    """A sentence naming the settings ``shown`` (the configs on screen) was trained with, where
    they differ from ``current`` (the widgets'), and what to press."""
    changed = [
        t("lab.shown_item", name=t(key), shown=_values(shown, field), now=_values(current, field))
        for field, key in SETTINGS.items()
        if _values(shown, field) != _values(current, field)
    ]
    return t("lab.shown_for", settings="; ".join(changed) or "—")
