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


def test_one_viewer_holds_at_most_one_slot():
    store = RunStore(slots=2)
    assert store.enter("alice", "tab1", now=0) == "go"
    assert store.enter("alice", "tab2", now=0) == "busy"  # her second tab is told to wait for the first
    assert store.enter("alice", "tab1", now=0) == "wait"  # her own run, being stopped by a rerun
    assert store.enter("bob", "tab", now=0) == "go"  # the second slot is someone else's
    assert store.training() == 2
    store.leave("alice", "tab2")  # a tab that holds nothing gives nothing back
    assert store.training() == 2
    store.leave("alice", "tab1")
    assert store.enter("alice", "tab2", now=1) == "go"


def test_slots_go_first_come_first_served_and_a_returning_viewer_queues_behind():
    store = RunStore(slots=2)
    assert store.enter("alice", "a", now=0) == "go"
    assert store.enter("bob", "b", now=0) == "go"
    assert store.enter("carol", "c", now=1) == "wait"
    store.leave("alice", "a")  # alice's run hit the cap; she presses Train again at once
    assert store.enter("alice", "a", now=2) == "wait"  # carol asked first
    assert store.enter("carol", "c", now=2) == "go"
    assert store.enter("alice", "a", now=3) == "wait"  # both slots busy (bob, carol)
    store.leave("bob", "b")
    assert store.enter("alice", "a", now=3) == "go"


def test_a_viewer_who_stopped_asking_loses_their_place():
    store = RunStore(slots=1)
    assert store.enter("alice", "a", now=0) == "go"
    assert store.enter("bob", "b", now=0) == "wait"  # then bob closes his tab
    assert store.enter("carol", "c", now=1) == "wait"
    store.leave("alice", "a")
    assert store.enter("carol", "c", now=10) == "go"  # bob has not asked for 10 s


def test_the_server_wide_store_is_not_a_cache():
    import streamlit as st

    from ui import live, server_state

    before = live.store()
    st.cache_resource.clear()
    st.cache_data.clear()
    assert live.store() is before is server_state.RUNS


def test_tabs_of_one_browser_are_one_viewer():
    # Streamlit re-masks its XSRF cookie on every page load: the token inside is what stays.
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    from ui.server_state import viewer_id

    token = b"0123456789abcdef"
    tab1, tab2 = (generate_xsrf_token_string(token, 1700000000) for _ in range(2))
    assert tab1 != tab2
    assert viewer_id({"_streamlit_xsrf": tab1}, "s1") == viewer_id({"_streamlit_xsrf": tab2}, "s2")
    assert viewer_id({"normcore_route": "r1"}, "s1") != viewer_id({"normcore_route": "r2"}, "s1")
    assert viewer_id({}, "s1") != viewer_id({}, "s2")  # no cookies: one viewer per session
