"""ui.hardening against a served app, over Streamlit's own protocols (websocket and HTTP).

tests/apps/hardening_probe.py shows what is checked: cached values, the run store, and the
session's uploaded files. The same page served without the patches is the control: there the
attacks work, so the checks can fail.
"""

from __future__ import annotations

import asyncio

import pytest
import requests
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

from benchmarks.viewer import Viewer, run_async
from tests.conftest import serve
from ui import hardening

PROBE = "tests/apps/hardening_probe.py"


@pytest.fixture(scope="module")
def probe():
    process, url = serve(script=PROBE)
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def bare_probe(monkeypatch):
    monkeypatch.setenv("NORMCORE_PROBE_BARE", "1")
    process, url = serve(script=PROBE)
    yield url
    process.terminate()
    process.wait(timeout=20)


def shown(run) -> dict[str, str]:
    """The probe's ``name=value`` lines."""
    assert run.ok, (run.status, run.exceptions)
    return dict(text.split("=", 1) for text in run.texts if "=" in text)


async def clear_cache_attack(url: str) -> tuple[dict, dict]:
    """A viewer warms the caches, another client sends clear_cache; what the viewer sees before and after."""
    viewer, attacker = Viewer(url), Viewer(url)
    before = shown(await viewer.connect())
    await attacker.connect()
    await attacker._socket.send(BackMsg(clear_cache=True).SerializeToString())
    await attacker._rerun()  # handled in order: the clear has happened when this run ends
    after = shown(await viewer._rerun())
    await asyncio.gather(viewer.close(), attacker.close())
    return before, after


def test_a_client_cannot_clear_the_servers_caches(probe):
    before, after = run_async(clear_cache_attack(probe))
    assert after["data"] == before["data"] and after["resource"] == before["resource"]
    assert after["runs"] == before["runs"]  # the run store and its training slots


def test_without_the_patch_a_client_clears_everyones_caches(bare_probe):
    before, after = run_async(clear_cache_attack(bare_probe))
    assert after["data"] != before["data"] and after["resource"] != before["resource"]
    assert after["runs"] == before["runs"]  # ui.server_state is no cache: it survives even then


def put_files(url: str, session: str, sizes: list[int]) -> list[int]:
    """PUT one file per size, each under a new id, as a hostile client can; the HTTP statuses."""
    token = generate_xsrf_token_string(b"0123456789abcdef", 1700000000)
    statuses = []
    with requests.Session() as http:
        http.cookies.set("_streamlit_xsrf", token)
        for i, size in enumerate(sizes):
            response = http.put(
                f"{url}/_stcore/upload_file/{session}/file-{i}",
                files={"file": (f"f{i}.csv", b"1\n" * (size // 2), "text/csv")},
                headers={"X-Xsrftoken": token},
                timeout=30,
            )
            statuses.append(response.status_code)
    return statuses


async def upload_flood(url: str, sizes: list[int]) -> tuple[list[int], dict]:
    viewer = Viewer(url)
    await viewer.connect()
    statuses = await asyncio.to_thread(put_files, url, viewer.session_id, sizes)
    stored = shown(await viewer._rerun())
    await viewer.close()
    return statuses, stored


def test_a_session_keeps_a_bounded_number_of_uploaded_files(probe):
    statuses, stored = run_async(upload_flood(probe, [1000] * 30))
    assert statuses == [204] * 30  # accepted: the newest file is always kept
    assert int(stored["files"]) == hardening.MAX_FILES_PER_SESSION
    assert int(stored["bytes"]) == 1000 * hardening.MAX_FILES_PER_SESSION
    assert stored["ids"].split(",") == [f"file-{i}" for i in range(26, 30)]  # the oldest went first


def test_a_session_keeps_a_bounded_number_of_uploaded_bytes(probe):
    mb = 1024 * 1024
    statuses, stored = run_async(upload_flood(probe, [4 * mb, 4 * mb, 4 * mb, 2 * mb]))
    assert statuses == [204] * 4
    assert int(stored["bytes"]) <= hardening.MAX_BYTES_PER_SESSION
    assert stored["ids"].split(",") == ["file-1", "file-2", "file-3"]  # 10 MB; file-0 made room


def test_without_the_patch_every_upload_is_kept(bare_probe):
    statuses, stored = run_async(upload_flood(bare_probe, [1000] * 30))
    assert statuses == [204] * 30 and int(stored["files"]) == 30
