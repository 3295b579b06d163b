"""Training runs for a page: shared across viewers, bounded, streamed while they run, stoppable.

Finished runs are kept in one bounded LRU store shared by every session (keyed by the
frozen :class:`~normcore.training.TrainConfig`), so the next viewer with the same
settings gets them at once. The store lives in :mod:`ui.server_state`, where no client can
reset it. At most :data:`MAX_CONCURRENT` runs train at a time on the host, at most one per
viewer (a second tab is told to wait for its first), in the order viewers asked; a viewer
whose settings another viewer is already training waits for that run instead of starting a
second one. A run trains in a child process (:mod:`ui.train_child`: low CPU priority, one torch
thread, CPU-time and memory limits) whose snapshots the script run draws as they come. Stopping
is Streamlit's own: any click (the Stop button) reruns the script, which interrupts the wait at
its next progress update, and the child is killed; the partial curves stay on screen. A closed
session stops its run the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from normcore.training import TrainConfig, TrainResult, load_digits
from ui import train_child, warm
from ui.i18n import t
from ui.jobs import session_alive
from ui.server_state import MAX_CONCURRENT, RUNS, RunStore, viewer_id

__all__ = ["MAX_CONCURRENT", "RunStore", "cached", "run"]

MAX_RUN_SECONDS = 120  # a run still going after this is cut short (its partial result is shown)
DRAW_EVERY_SECONDS = 0.5
# Drawing the partial curves (building and serializing the page's figures) runs in the server under
# the interpreter lock every viewer needs: 342 ms a frame for the heavy preset at load average 13.
# Frames are spaced so that drawing takes at most this share of the time (docs/benchmarks.md, hostile).
DRAW_SHARE = 0.1
train_child.prestart()  # the zygote imports torch (at low priority) while the viewer sets up a run


class AlreadyTraining(Exception):
    """Another tab of this viewer holds a training slot."""


def store() -> RunStore:
    """The server-wide store (:mod:`ui.server_state`): no client can reset it."""
    return RUNS


def _who() -> tuple[str, str]:
    """(viewer, session) of the running script."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    session = ctx.session_id if ctx else ""
    return viewer_id(dict(st.context.cookies), session), session


def cached(configs: dict) -> dict[object, TrainResult] | None:
    """Every run of ``configs`` if all are stored or shipped with the app (:mod:`ui.warm`), else None."""
    results = {label: store().get(config) or warm.shipped(config) for label, config in configs.items()}
    return results if all(r is not None for r in results.values()) else None


def run(configs: dict, draw: Callable[[dict], None], *, page: str) -> dict | None:
    """Stored results at once; otherwise a Train button that trains, streaming into ``draw``.

    ``draw(results)`` gets ``{label: TrainResult}`` for the runs so far (the last one
    partial). Returns the complete results, or None while they are not all there
    (after drawing whatever partial run this session kept, or else the last complete
    result it saw on this page, captioned with the settings it is for).
    """
    if (results := cached(configs)) is not None:
        warm.remember(page, configs, results)
        return results
    partial_key = f"_lab_partial_{page}"
    partial = st.session_state.get(partial_key)
    if not st.button(t("lab.train"), type="primary", icon=":material/play_arrow:", help=t("lab.train_help")):
        if partial and partial[0] == configs:
            st.caption(t("lab.stopped"))
            draw(partial[1])
        elif (shown := warm.last(page)) is not None:
            st.info(warm.shown_for(shown[0], configs), icon=":material/history:")
            draw(shown[1])
        else:
            st.info(t("lab.press_train"), icon=":material/model_training:")
        return None
    st.button(t("lab.stop"), icon=":material/stop:", help=t("lab.stop_help"))  # any click stops the run
    results: dict = {}
    st.session_state[partial_key] = (configs, results)
    try:
        _train_all(configs, results, draw)
    except AlreadyTraining:
        st.warning(t("lab.already_training"), icon=":material/block:")
        return None
    if cached(configs) is not None:
        st.session_state.pop(partial_key, None)
    st.rerun()  # draw the finished runs through the page's normal path (with CSV downloads)


def _train_all(configs: dict, results: dict, draw: Callable[[dict], None]) -> None:
    data = load_digits()
    totals = {label: config.total_steps(len(data.y_train)) for label, config in configs.items()}
    total = sum(totals.values())
    shown = [0.0, t("lab.progress", done=0, total=total)]  # what the bar says now
    bar = st.progress(*shown)
    state = {"label": None, "before": 0, "next_draw": 0.0}

    def on_eval(result: TrainResult, done: int, steps: int) -> None:
        results[state["label"]] = result
        shown[:] = [
            min((state["before"] + done) / total, 1.0),
            t("lab.progress", done=state["before"] + done, total=total),
        ]
        bar.progress(*shown)
        if time.monotonic() > state["next_draw"] or done == steps:
            started = time.monotonic()
            draw(results)
            cost = time.monotonic() - started
            state["next_draw"] = started + max(DRAW_EVERY_SECONDS, cost / DRAW_SHARE)

    def tick() -> None:  # while waiting for the child: any st call lets a Stop click through
        bar.progress(*shown)

    for label, config in configs.items():
        state["label"] = label
        try:
            results[label] = _one_run(config, on_eval, bar, tick) or TrainResult(config)
        except train_child.TrainingFailed:
            bar.empty()
            st.warning(t("lab.child_failed"), icon=":material/error:")
            st.stop()  # not run()'s rerun: the message stays, beside the curves drawn so far
        state["before"] += totals[label]
    bar.empty()


def _one_run(config: TrainConfig, on_eval, bar, tick=None) -> TrainResult | None:
    """Train ``config`` (or wait for the viewer already training it); store it if it finished."""
    runs = store()
    while (result := runs.get(config)) is None:
        other = runs.claim(config)
        if other is not None:
            bar.progress(0.0, text=t("lab.waiting_same"))
            other.wait(timeout=1.0)
            continue
        try:
            return _train_in_slot(config, on_eval, bar, tick)
        finally:
            runs.release(config)
    return result


def _train_in_slot(config: TrainConfig, on_eval, bar, tick=None) -> TrainResult:
    """Train ``config`` in a child process once this viewer gets a slot; killed if the script run stops."""
    runs = store()
    viewer, session = _who()
    while (answer := runs.enter(viewer, session)) != "go":
        if answer == "busy":
            raise AlreadyTraining
        bar.progress(0.0, text=t("lab.waiting_slot"))  # also lets a Stop click through
        time.sleep(1.0)
    try:
        result = train_child.train(
            config,
            on_eval=on_eval,
            should_stop=lambda: not session_alive(session),  # a closed tab: stop, keep nothing
            tick=tick,
            seconds=MAX_RUN_SECONDS,
        )
    finally:
        runs.leave(viewer, session)
    if not result.stopped:
        runs.put(config, result)
    return result
