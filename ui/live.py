"""Training runs for a page: shared across viewers, bounded, streamed while they run, stoppable.

Finished runs are kept in one bounded LRU store shared by every session (keyed by the
frozen :class:`~normcore.training.TrainConfig`), so the next viewer with the same
settings gets them at once. At most :data:`MAX_CONCURRENT` runs train at a time on the
host; a viewer whose settings another viewer is already training waits for that run
instead of starting a second one. Stopping is Streamlit's own: any click (the Stop
button) reruns the script, which interrupts the run at its next progress update; the
partial curves stay on screen.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import streamlit as st

from normcore.training import TrainConfig, TrainResult, load_digits, train
from ui.i18n import t

MAX_STORED_RUNS = 256  # a recorded run is at most a few hundred kB
MAX_CONCURRENT = 2  # one torch thread each, on a 2-core host
MAX_RUN_SECONDS = 120  # a run still going after this is cut short (its partial result is shown)
DRAW_EVERY_SECONDS = 0.5


class RunStore:
    """A thread-safe LRU of finished runs, plus the runs in flight (for single-flight waiting)."""

    def __init__(self, max_entries: int = MAX_STORED_RUNS):
        self.max_entries = max_entries
        self.lock = threading.Lock()
        self.done: OrderedDict[TrainConfig, TrainResult] = OrderedDict()
        self.running: dict[TrainConfig, threading.Event] = {}
        self.slots = threading.BoundedSemaphore(MAX_CONCURRENT)

    def get(self, config: TrainConfig) -> TrainResult | None:
        with self.lock:
            if config in self.done:
                self.done.move_to_end(config)
                return self.done[config]
            return None

    def put(self, config: TrainConfig, result: TrainResult) -> None:
        with self.lock:
            self.done[config] = result
            self.done.move_to_end(config)
            while len(self.done) > self.max_entries:
                self.done.popitem(last=False)

    def claim(self, config: TrainConfig) -> threading.Event | None:
        """Mark ``config`` as being trained by the caller; returns another caller's event if it already is."""
        with self.lock:
            if config in self.running:
                return self.running[config]
            self.running[config] = threading.Event()
            return None

    def release(self, config: TrainConfig) -> None:
        with self.lock:
            self.running.pop(config).set()


@st.cache_resource
def store() -> RunStore:
    return RunStore()


def cached(configs: dict) -> dict[object, TrainResult] | None:
    """Every run of ``configs`` if all are stored, else None."""
    results = {label: store().get(config) for label, config in configs.items()}
    return results if all(r is not None for r in results.values()) else None


def run(configs: dict, draw: Callable[[dict], None], *, page: str) -> dict | None:
    """Stored results at once; otherwise a Train button that trains, streaming into ``draw``.

    ``draw(results)`` gets ``{label: TrainResult}`` for the runs so far (the last one
    partial). Returns the complete results, or None while they are not all there
    (after drawing whatever partial run this session kept).
    """
    if (results := cached(configs)) is not None:
        return results
    partial_key = f"_lab_partial_{page}"
    partial = st.session_state.get(partial_key)
    if not st.button(t("lab.train"), type="primary", icon=":material/play_arrow:", help=t("lab.train_help")):
        if partial and partial[0] == configs:
            st.caption(t("lab.stopped"))
            draw(partial[1])
        else:
            st.info(t("lab.press_train"), icon=":material/model_training:")
        return None
    st.button(t("lab.stop"), icon=":material/stop:", help=t("lab.stop_help"))  # any click stops the run
    results: dict = {}
    st.session_state[partial_key] = (configs, results)
    _train_all(configs, results, draw)
    if cached(configs) is not None:
        st.session_state.pop(partial_key, None)
    st.rerun()  # draw the finished runs through the page's normal path (with CSV downloads)


def _train_all(configs: dict, results: dict, draw: Callable[[dict], None]) -> None:
    data = load_digits()
    totals = {label: config.total_steps(len(data.y_train)) for label, config in configs.items()}
    total = sum(totals.values())
    bar = st.progress(0.0, text=t("lab.progress", done=0, total=total))
    state = {"label": None, "before": 0, "drawn": 0.0}

    def on_eval(result: TrainResult, done: int, steps: int) -> None:
        results[state["label"]] = result
        bar.progress(
            min((state["before"] + done) / total, 1.0),
            text=t("lab.progress", done=state["before"] + done, total=total),
        )
        if time.monotonic() - state["drawn"] > DRAW_EVERY_SECONDS or done == steps:
            draw(results)
            state["drawn"] = time.monotonic()

    for label, config in configs.items():
        state["label"] = label
        results[label] = _one_run(config, on_eval, bar) or TrainResult(config)
        state["before"] += totals[label]
    bar.empty()


def _one_run(config: TrainConfig, on_eval, bar) -> TrainResult | None:
    """Train ``config`` (or wait for the viewer already training it); store it if it finished."""
    runs = store()
    while (result := runs.get(config)) is None:
        other = runs.claim(config)
        if other is not None:
            bar.progress(0.0, text=t("lab.waiting_same"))
            other.wait(timeout=1.0)
            continue
        try:
            return _train_in_slot(config, on_eval, bar)
        finally:
            runs.release(config)
    return result


def _train_in_slot(config: TrainConfig, on_eval, bar) -> TrainResult:
    runs = store()
    while not runs.slots.acquire(timeout=1.0):
        bar.progress(0.0, text=t("lab.waiting_slot"))  # also lets a Stop click through
    try:
        deadline = time.monotonic() + MAX_RUN_SECONDS
        result = train(config, on_eval=on_eval, should_stop=lambda: time.monotonic() > deadline)
    finally:
        runs.slots.release()
    if not result.stopped:
        runs.put(config, result)
    return result
