"""One viewer's failure never affects another's session: two websocket viewers on one served app."""

from __future__ import annotations

import asyncio
import urllib.request

import websockets

from benchmarks.viewer import Viewer, run_async
from tests.test_fuzz_urls import SCRIPT

HOSTILE_QUERY = f"n=-5&n=99999999999&hw=nan&seed=1e308&norm={SCRIPT}&g=0&mode=&lang=xx&present=maybe"


async def hostile_viewer(url: str) -> list[str]:
    """Everything a broken or malicious tab can send; returns what happened to it."""
    outcomes = []
    viewer = Viewer(url, "Explorer", query=HOSTILE_QUERY)
    run = await viewer.connect()
    outcomes.append(f"hostile link: {run.status}, {len(run.exceptions)} exception(s)")
    viewer.widget_values["c"] = ["not a number"]  # a string array for a slider (change() would convert it)
    run = await viewer._rerun()
    outcomes.append(f"wrong widget type: {run.status}, {len(run.exceptions)} exception(s)")
    run = await viewer.change("n", [float("nan")])
    outcomes.append(f"NaN slider: {run.status}")
    await viewer._socket.send(b"\xff\x00 not a protobuf")
    outcomes.append(f"garbage frame: closed {await _closed(viewer._socket)}")
    viewer = Viewer(url, "Explorer")
    await viewer.connect()
    await viewer._socket.send("text frames are refused")
    outcomes.append(f"text frame: closed {await _closed(viewer._socket)}")
    viewer = Viewer(url, "No_such_page")
    run = await viewer.connect()
    outcomes.append(f"unknown page: {run.exceptions}")
    await viewer.close()
    return outcomes


async def _closed(socket) -> bool:
    """Whether the server closes the connection (messages still in flight are read first)."""
    try:
        async with asyncio.timeout(20):
            while True:
                await socket.recv()
    except websockets.ConnectionClosed:
        return True
    except TimeoutError:
        return False


async def two_viewers(url: str) -> tuple[list, list[str]]:
    calm = Viewer(url, "Explorer")
    runs = [await calm.connect()]
    session = calm.session_id
    hostile = asyncio.create_task(hostile_viewer(url))
    for n in ("2", "4", "8", "32", "64", "128"):  # moving the bar's N while the other tab misbehaves
        runs.append(await calm.change("n", [n]))
        await asyncio.sleep(0.2)
    outcomes = await hostile
    runs.append(await calm.change("seed", 42))  # and after it has done everything
    assert calm.session_id == session
    await calm.close()
    return runs, outcomes


def test_a_hostile_viewer_does_not_disturb_another(served_app):
    runs, outcomes = run_async(two_viewers(served_app))
    # The hostile tab's wrong widget type counts as no value (ui.hardening), its frames close its own
    # connections (so the test exercises something) ...
    assert outcomes[1] == "wrong widget type: FINISHED_SUCCESSFULLY, 0 exception(s)", outcomes
    assert "closed True" in outcomes[3] and "closed True" in outcomes[4], outcomes
    # ... and the calm one never noticed.
    for run in runs:
        assert run.ok, (run.status, run.exceptions, outcomes)  # ok includes "the Explorer ran"
        assert not run.alerts, run.alerts
    with urllib.request.urlopen(f"{served_app}/_stcore/health", timeout=10) as response:
        assert response.read() == b"ok"
