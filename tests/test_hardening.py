"""ui.hardening against a served app, over Streamlit's own protocols (websocket and HTTP).

tests/apps/hardening_probe.py shows what is checked: cached values, the run store, and the
session's uploaded files. The same page served without the patches is the control: there the
attacks work, so the checks can fail.
"""

from __future__ import annotations

import asyncio
import json

import pyarrow as pa
import pytest
import requests
import websockets
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


# ---- widget values a client can send that the frontend never does


class TableViewer(Viewer):
    """A viewer that also counts the rows of each table the page sends (data editors and frames)."""

    def _read_element(self, element, run, fragment_id: str = ""):
        super()._read_element(element, run, fragment_id)
        if element.WhichOneof("type") == "dataframe":
            rows = pa.ipc.open_stream(element.dataframe.arrow_data.data).read_all().num_rows
            run.texts.append(f"table rows {rows}")


MALFORMED = [
    "{not json",
    "null",
    "[]",
    '{"selection": 5}',
    '{"selection": {"points": [5]}}',
    '{"selection": {"points": [{"x": "a", "y": "b"}]}}',
    '{"selection": {"points": [{"x": 1}]}}',
    '{"selection": {"points": [{"x": 1e308, "y": -3}]}}',
    '{"edited_rows": [1, 2]}',
    '{"edited_rows": {"999": {"c0": 1}}}',
    '{"edited_rows": {"3": {"c0": 1}}}',  # a row the table does not have
    '{"edited_rows": {"0": {"γ": "abc", "c0": "abc"}}}',
    '{"edited_rows": {"0": {"nope": 1}}}',
    '{"edited_rows": {"0": {"c0": [1, 2]}}}',
    '{"deleted_rows": [99]}',
    '{"added_rows": [{"c0": 1}]}',
]


@pytest.fixture(scope="module")
def app():
    process, url = serve(script="app.py")
    yield url
    process.terminate()
    process.wait(timeout=20)


async def send_malformed(url: str, view: str, query: str) -> list[str]:
    """Each malformed value in turn to the view's editor or selectable chart; what went wrong."""
    viewer = TableViewer(url, "Explorer", query=f"view={view}&{query}")
    first = await viewer.connect()
    assert first.ok, first.exceptions
    [key] = [k for k in viewer.widget_ids if k.startswith(("block", "gb_", "we_")) and not k.endswith("_csv")]
    failures = []
    for value in MALFORMED:
        run = await viewer.change(key, value)
        if not run.ok:
            failures.append(f"{key} <- {value}: {run.status} {run.exceptions}")
    await viewer.close()
    return failures


@pytest.mark.parametrize(
    "view, query", [("sets", "n=2&c=3&hw=1"), ("downstream", "c=3"), ("worked", "we=1,2;3,4")]
)
def test_a_malformed_selection_or_table_edit_is_ignored(app, view, query):
    assert run_async(send_malformed(app, view, query)) == []


async def add_rows(url: str) -> list[list[str]]:
    viewer = TableViewer(url, "Explorer", query="view=worked&we=1,2;3,4")
    before = await viewer.connect()
    [key] = [k for k in viewer.widget_ids if k.startswith("we_")]
    after = await viewer.change(key, json.dumps({"added_rows": [{"c0": 1, "c1": 2}] * 2000}))
    await viewer.close()
    assert before.ok and after.ok, after.exceptions
    return [[t for t in run.texts if t.startswith("table rows")] for run in (before, after)]


def test_rows_a_client_adds_to_the_fixed_editor_are_not_applied(app):
    before, after = run_async(add_rows(app))
    assert before == after == ["table rows 2", "table rows 4"]  # the editor; the steps, one row per cell


# Values of a kind a widget never sends: a list for a number or a choice, a number for a list or a text.
MISTYPED = [["not", "a", "value"], 1e308, "not a value"]
PRESSES = ("button", "download_button")  # a value there is a press: no wrong kind, and it would start work


async def send_mistyped(url: str, page: str) -> list[str]:
    """Every widget of ``page``'s first run set to each mistyped value at once, then one ordinary rerun."""
    viewer = Viewer(url, page)
    first = await viewer.connect()
    assert first.ok, first.exceptions
    keys = [key for key, kind in viewer.widget_kinds.items() if kind not in PRESSES]
    assert {"lang", "present"} <= set(keys), viewer.widget_kinds  # the chrome's and the page's own
    failures = []
    for value in MISTYPED:
        viewer.widget_values.update(dict.fromkeys(keys, value))
        run = await viewer._rerun()
        if not run.ok:
            failures.append(f"{page} <- {value!r}: {run.status} {run.exceptions[:1]}")
    viewer.widget_values.clear()
    calm = await viewer._rerun()
    await viewer.close()
    return failures + ([] if calm.ok else [f"{page} afterwards: {calm.status} {calm.exceptions[:1]}"])


@pytest.mark.parametrize("page", ["", "Explorer", "Small_batches", "Train_vs_eval", "Training_lab", "Images",
                                  "Weight_norms"])  # fmt: skip
def test_a_widget_value_of_the_wrong_kind_counts_as_none(app, page):
    assert run_async(send_mistyped(app, page)) == []


# ---- server.maxMessageSize (.streamlit/config.toml)


async def send_widget_value(url: str, size: int):
    """A rerun whose one widget value is ``size`` bytes of text; the run, or the close code."""
    viewer = Viewer(url)
    await viewer.connect()
    try:
        return await viewer.change("padding", "x" * size)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None
    finally:
        await viewer.close()


def test_a_message_above_max_message_size_closes_only_its_own_connection(probe):
    limit = config_limit_bytes()
    assert run_async(send_widget_value(probe, limit + 1000)) == 1009  # "message too big"
    run = run_async(send_widget_value(probe, limit // 2))
    assert run.ok, run.exceptions  # below the limit, a message is a message


def config_limit_bytes() -> int:
    import tomllib

    from tests.conftest import ROOT

    with open(ROOT / ".streamlit" / "config.toml", "rb") as file:
        return tomllib.load(file)["server"]["maxMessageSize"] * 10**6


# ---- the patch point itself


def test_the_patches_are_applied_once_and_by_every_page():
    from streamlit.elements.widgets import data_editor
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    import ui.chrome  # noqa: F401  (every page imports it first)

    patched = (
        AppSession._handle_clear_cache_request,
        MemoryUploadedFileManager.add_file,
        data_editor.DataEditorSerde.deserialize,
        data_editor._apply_dataframe_edits,
    )
    assert patched[0] is hardening._refuse_clear_cache and patched[1] is hardening._add_file_bounded
    hardening.apply()
    again = (
        AppSession._handle_clear_cache_request,
        MemoryUploadedFileManager.add_file,
        data_editor.DataEditorSerde.deserialize,
        data_editor._apply_dataframe_edits,
    )
    assert again == patched  # not wrapped twice


def test_the_patches_refuse_a_streamlit_whose_internals_moved(monkeypatch):
    from streamlit.runtime.app_session import AppSession

    monkeypatch.delattr(AppSession, "_handle_clear_cache_request")
    with pytest.raises(RuntimeError, match="_handle_clear_cache_request"):
        hardening._check_streamlit()
