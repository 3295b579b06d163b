"""The shared run store behind the training lab: bounded, least recently used out, single flight."""

from __future__ import annotations

from dataclasses import replace

from normcore import lab
from normcore.training import TrainResult
from ui.live import RunStore

CONFIGS = [replace(lab.FIGURE1, seed=s) for s in range(4)]


def test_the_store_keeps_the_most_recently_used_runs():
    store = RunStore(max_entries=2)
    for config in CONFIGS[:2]:
        store.put(config, TrainResult(config))
    assert store.get(CONFIGS[0]) is not None  # now the most recent
    store.put(CONFIGS[2], TrainResult(CONFIGS[2]))
    assert store.get(CONFIGS[1]) is None
    assert store.get(CONFIGS[0]) is not None and store.get(CONFIGS[2]) is not None


def test_a_second_claim_of_the_same_run_waits_for_the_first():
    store = RunStore()
    assert store.claim(CONFIGS[0]) is None
    waiting = store.claim(CONFIGS[0])
    assert waiting is not None and not waiting.is_set()
    assert store.claim(CONFIGS[1]) is None  # other settings train in parallel
    store.release(CONFIGS[0])
    assert waiting.is_set() and store.claim(CONFIGS[0]) is None
