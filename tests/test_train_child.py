"""ui.train_child: a run in a child equals one in-process, streams, stops and leaves nothing behind."""

import os
from pathlib import Path

import numpy as np
import pytest

from normcore.training import TrainConfig, TrainResult, train
from ui import live, train_child
from ui.server_state import RunStore

SHORT = TrainConfig(norm="batch", steps=120, eval_every=20, record_layers=True, seed=3)
LONG = TrainConfig(norm="batch", steps=40_000, eval_every=20, seed=4)  # minutes: only ever stopped


def same(a: TrainResult, b: TrainResult) -> bool:
    """Every recorded number equal (the wall-clock ``seconds`` aside)."""
    first, second = a.to_dict(), b.to_dict()
    first.pop("seconds"), second.pop("seconds")
    layers = ("activation_counts", "activation_edges", "gradient_counts", "gradient_edges")
    return (
        first == second
        and all(
            all(
                np.array_equal(x, y)
                for x, y in zip(getattr(a.layers, name), getattr(b.layers, name), strict=True)
            )
            for name in layers
        )
        and (a.layers.saturated, a.layers.grad_to_data) == (b.layers.saturated, b.layers.grad_to_data)
    )


def alive(pid: int) -> bool:
    return train_child.Child(pid).is_alive()


def test_a_run_in_the_child_equals_the_same_run_in_process():
    snapshots = []
    result = train_child.train(SHORT, on_eval=lambda r, done, total: snapshots.append(done), seconds=60)
    assert same(result, train(SHORT))
    assert not result.stopped and result.steps == [0, 20, 40, 60, 80, 100, 120]
    assert snapshots and snapshots[-1] == 120  # the last evaluation always reaches the page


def test_the_child_runs_niced_and_limited_and_is_gone_after_a_stop():
    seen = {}

    def on_eval(result, done, total):
        [pid] = train_child.RUNNING
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        limits = Path(f"/proc/{pid}/limits").read_text()
        seen.update(pid=pid, nice=int(stat[16]), pgrp=int(stat[2]), limits=limits, done=done)

    result = train_child.train(LONG, on_eval=on_eval, should_stop=lambda: "pid" in seen, seconds=60)
    assert seen["nice"] == train_child.NICE and seen["pgrp"] == seen["pid"]  # its own process group
    cpu = next(line for line in seen["limits"].splitlines() if line.startswith("Max cpu time"))
    assert cpu.split()[3] != "unlimited" and "Max address space" in seen["limits"]
    assert result.stopped and result.steps[-1] >= seen["done"]  # the partial run, as in-process
    assert not alive(seen["pid"]) and not train_child.RUNNING


def test_a_script_run_interrupted_mid_run_kills_its_child():
    class ScriptStopped(Exception):  # what Streamlit raises in the script thread on a Stop click
        pass

    pids = []

    def on_eval(result, done, total):
        pids.extend(train_child.RUNNING)
        raise ScriptStopped

    with pytest.raises(ScriptStopped):
        train_child.train(LONG, on_eval=on_eval, seconds=60)
    assert pids and not alive(pids[0]) and not train_child.RUNNING


def test_the_wall_clock_cap_stops_the_child_with_its_partial_result():
    result = train_child.train(LONG, seconds=3)
    assert result.stopped and result.steps[0] == 0 and result.steps[-1] < 40_000  # the child's own stop
    assert not train_child.RUNNING


def test_a_child_over_its_memory_limit_fails_cleanly():
    with pytest.raises(
        (MemoryError, RuntimeError)
    ):  # torch's allocation failure comes back, or the child died
        train_child.train(TrainConfig(norm="batch", steps=50, width=4096, depth=4), seconds=60, memory_mb=1)
    assert not train_child.RUNNING


def test_settings_the_trainer_refuses_come_back_as_its_own_error():
    with pytest.raises(ValueError, match="batch_size must be at most"):
        train_child.train(TrainConfig(batch_size=5000, steps=10), seconds=60)


class Bar:
    def __init__(self):
        self.texts = []

    def progress(self, value, text=""):
        self.texts.append(text)


def test_a_closed_session_stops_its_run_and_stores_nothing(monkeypatch):
    runs = RunStore(slots=1)
    pids = []
    monkeypatch.setattr(live, "store", lambda: runs)
    monkeypatch.setattr(live, "_who", lambda: ("viewer", "session-1"))
    monkeypatch.setattr(live, "session_alive", lambda session: not pids)  # ends once the run has begun
    result = live._train_in_slot(LONG, lambda r, d, t: pids.extend(train_child.RUNNING), Bar())
    assert result.stopped and runs.get(LONG) is None and runs.training() == 0
    assert pids and not alive(pids[0])


def test_a_finished_run_in_a_slot_is_stored_and_frees_the_slot(monkeypatch):
    runs = RunStore(slots=1)
    monkeypatch.setattr(live, "store", lambda: runs)
    monkeypatch.setattr(live, "_who", lambda: ("viewer", "session-1"))
    result = live._train_in_slot(SHORT, None, Bar())
    assert runs.get(SHORT) is result and runs.training() == 0 and same(result, train(SHORT))


def test_the_zygote_forks_every_run_and_ends_with_the_server():
    train_child.prestart()
    zygote = train_child.ZYGOTE.process
    assert zygote.poll() is None and os.getpgid(zygote.pid) == zygote.pid
    train_child.ZYGOTE.stop()
    assert zygote.poll() is not None
    assert not train_child.train(SHORT, seconds=60).stopped  # a new zygote on the next run
