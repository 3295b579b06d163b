"""One hostile viewer at a time: the attacks of issue 15, for ``benchmarks/load.py --phases hostile``.

Each attack is a coroutine ``attack(tabs, opts) -> str``: it acts through attacker tabs
already open on their pages (:class:`Attack` names each tab's page and query string, so
that loading them is not part of the attack) and returns what the attacker saw, e.g.
"refused: <the page's message>" or "accepted". Every attack is bounded: a count or size
from ``opts`` and ``opts.attack_seconds`` of waiting. An attack whose control is gone
from the page answers "not applicable" instead of failing. Loopback only (the
:class:`~benchmarks.viewer.Viewer` refuses any other host).

Uploads go the frontend's way: a ``file_urls_request`` BackMsg names the file, the
server's ``file_urls_response`` gives its upload URL, a multipart PUT carries the bytes
(with the ``_streamlit_xsrf`` cookie echoed in ``X-Xsrftoken``), then a rerun whose
widget state lists the file (``file_uploader_state_value``).
"""

from __future__ import annotations

import asyncio
import collections
import http.client
import json
import re
import struct
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlparse

import pyarrow as pa
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import FileUploaderState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.viewer import SUCCESS, TRIGGER, Run, Viewer

MB = 1024 * 1024
CSV_ROWS = 2_499_990  # b"0\n" * CSV_ROWS: the 5 MB one-column CSV of issue 15
UPLOAD_ENDPOINT = "/_stcore/upload_file"
READ_ONLY = 0  # Dataframe.EditingMode.READ_ONLY


# ---------------------------------------------------------------- payloads


def zeros_csv(rows: int = CSV_ROWS) -> bytes:
    """A one-column CSV of ``rows`` zeros, no header: 2 bytes a value."""
    return b"0\n" * rows


def progressive_jpeg(width: int = 8000, height: int = 5000, scans: int = 2_000) -> bytes:
    """A greyscale progressive JPEG (SOF2) of ``width`` x ``height`` made of ``scans`` empty scans.

    One DC scan, then ``scans - 1`` AC scans over coefficients 1-63, none with entropy-coded
    data: a decoder zero-fills every block of the image once per scan. Each scan costs
    10 bytes, so 5 MB hold about 500,000.
    """
    if scans < 1 or not (0 < width < 65536 and 0 < height < 65536):
        raise ValueError(f"scans ({scans}) must be >= 1 and width, height ({width}, {height}) in 1-65535")

    def segment(marker: int, body: bytes) -> bytes:
        return struct.pack(">HH", 0xFF00 | marker, len(body) + 2) + body

    quant = segment(0xDB, b"\x00" + b"\x01" * 64)  # table 0, every step 1
    frame = segment(0xC2, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")  # 1 component
    one_code = bytes([1] + [0] * 15) + b"\x00"  # one code of length 1, for symbol 0 (DC: 0 bits; AC: EOB)
    huffman = segment(0xC4, b"\x00" + one_code + b"\x10" + one_code)  # DC table 0, AC table 0
    dc_scan = segment(0xDA, b"\x01\x01\x00\x00\x00\x00")  # component 1, coefficients 0-0
    ac_scan = segment(0xDA, b"\x01\x01\x00\x01\x3f\x00")  # component 1, coefficients 1-63
    return b"\xff\xd8" + quant + frame + huffman + dc_scan + ac_scan * (scans - 1) + b"\xff\xd9"


def jpeg_markers(data: bytes) -> list[int]:
    """The JPEG's markers in order (0xC2 for SOF2, 0xDA for each scan), skipping entropy-coded data."""
    if not data.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG: no SOI marker")
    markers, at = [0xD8], 2
    while at + 2 <= len(data):
        if data[at] != 0xFF:
            raise ValueError(f"no marker at byte {at}")
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xD9:
            break
        if at + 4 > len(data):
            raise ValueError(f"segment {marker:#x} at byte {at} is cut short")
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
        if marker == 0xDA:  # entropy-coded data runs to the next marker that is not FF00 or RSTn
            while at + 1 < len(data) and not (
                data[at] == 0xFF and data[at + 1] not in (0x00, *range(0xD0, 0xD8))
            ):
                at += 1
    return markers


# ---------------------------------------------------------------- an attacker's tab


class Tab(Viewer):
    """A viewer that also keeps every element it was sent by id, and can upload files."""

    def __init__(self, base_url: str, page: str = "", query: str = "", timeout: float = 120):
        super().__init__(base_url, page, query, timeout)
        self.base_url = base_url.rstrip("/")
        self.elements: dict[str, tuple[str, object]] = {}  # element id -> (kind, its proto body)
        self.progress: list[str] = []  # the texts of progress bars, as they came
        self.pending: asyncio.Task | None = None

    def _read_element(self, element, run: Run, fragment_id: str = "") -> None:
        super()._read_element(element, run, fragment_id)
        kind = element.WhichOneof("type")
        body = getattr(element, kind)
        if kind == "progress":
            self.progress.append(body.text)
        if body.DESCRIPTOR.fields_by_name.get("id") and body.id:
            self.elements[body.id] = (kind, body)

    def find(self, kind: str, label: str | None = None) -> str | None:
        """The id of the first element of ``kind`` (with ``label``, if given) this tab was sent."""
        for element_id, (k, body) in self.elements.items():
            if k == kind and (label is None or getattr(body, "label", None) == label):
                return element_id
        return None

    async def send(self, message: BackMsg) -> None:
        await self._socket.send(message.SerializeToString())

    def start(self, widget: str, value) -> asyncio.Task:
        """Set ``widget`` (a key or an element id) and start the rerun, without waiting for it."""
        self.widget_values[widget] = value
        message = self._rerun_message()
        if value is TRIGGER:  # a press is sent once, as the frontend does
            del self.widget_values[widget]
        self.pending = asyncio.get_running_loop().create_task(self._run(message))
        return self.pending

    async def close(self) -> None:
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
        await super().close()

    async def upload_urls(self, names: list[str]) -> list:
        """Ask for upload URLs as the frontend does; returns the ``FileURLs`` of the response."""
        request_id = uuid.uuid4().hex
        message = BackMsg()
        message.file_urls_request.request_id = request_id
        message.file_urls_request.file_names.extend(names)
        message.file_urls_request.session_id = self.session_id
        await self.send(message)
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await asyncio.wait_for(self._socket.recv(), self.timeout))
            if reply.WhichOneof("type") == "file_urls_response":
                if reply.file_urls_response.response_id == request_id:
                    if reply.file_urls_response.error_msg:
                        raise RuntimeError(reply.file_urls_response.error_msg)
                    return list(reply.file_urls_response.file_urls)

    async def put(self, path: str, name: str, data: bytes, content_type: str) -> tuple[int, str]:
        """PUT ``data`` as one multipart file to ``path``; returns the status and the body's start."""
        return await asyncio.to_thread(_put, self.base_url, path, name, data, content_type)

    async def upload(self, widget: str, name: str, data: bytes, content_type: str) -> Run | str:
        """Put a file into the file_uploader ``widget`` and wait for the rerun; a refused PUT is a str."""
        (urls,) = await self.upload_urls([name])
        status, detail = await self.put(urls.upload_url, name, data, content_type)
        if status != 204:
            return f"PUT refused: HTTP {status} {detail}"
        state = FileUploaderState()
        info = state.uploaded_file_info.add()
        info.name, info.size, info.file_id = name, len(data), urls.file_id
        info.file_urls.CopyFrom(urls)
        return await self.start(widget, state)


def _put(base_url: str, path: str, name: str, data: bytes, content_type: str) -> tuple[int, str]:
    address = urlparse(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
    try:
        connection.request("GET", "/_stcore/health")  # sets the XSRF cookie, as the page's load does
        response = connection.getresponse()
        response.read()
        cookie = re.search(r"_streamlit_xsrf=([^;]+)", response.getheader("Set-Cookie") or "")
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if cookie:
            headers |= {"Cookie": f"_streamlit_xsrf={cookie.group(1)}", "X-Xsrftoken": cookie.group(1)}
        connection.request("PUT", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(200).decode(errors="replace").strip()
    finally:
        connection.close()


def _get(base_url: str, path: str) -> tuple[int, str]:
    address = urlparse(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def describe(result: Run | str) -> str:
    """What the attacker's page said after its rerun: the first notice or error, or "accepted"."""
    if isinstance(result, str):
        return result
    took = f" ({result.seconds:.1f} s)"
    if result.exceptions:
        return f"exception: {result.exceptions[0][:90]}{took}"
    if result.alerts:
        return f"page says: {_one_line(result.alerts[0])}{took}"
    if result.status not in SUCCESS:
        return f"run ended {result.status}{took}"
    return f"accepted, no notice{took}"


def _one_line(text: str, limit: int = 90) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"[*_`:]|material/\w+", "", text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def bounded(run: Awaitable, seconds: float) -> Run | str:
    """``run`` if it ends within ``seconds``, else a note that it is still running (it goes on)."""
    task = asyncio.ensure_future(run)
    try:
        return await asyncio.wait_for(asyncio.shield(task), seconds)
    except TimeoutError:
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # its end is nobody's business
        return f"still running after {seconds:.0f} s"


# ---------------------------------------------------------------- the attacks


async def csv_upload(tabs: list[Tab], opts) -> str:
    """(a) The 5 MB one-column CSV into the Explorer's uploader."""
    (tab,) = tabs
    uploader = tab.widget_ids.get("upload")
    if uploader is None:
        return "not applicable: no uploader keyed 'upload' on Explorer?src=upload"
    data = zeros_csv()
    result = await bounded(tab.upload(uploader, "zeros.csv", data, "text/csv"), opts.attack_seconds)
    return f"{len(data) / MB:.1f} MB CSV: {describe(result)}"


async def clear_cache(tabs: list[Tab], opts) -> str:
    """(b) ``BackMsg(clear_cache=True)``: the menu item a viewer toolbar hides, sent anyway.

    The tab is on the Images page, whose cached functions the calm viewers (on the Explorer)
    never call: a cache that vanishes from /_stcore/metrics was emptied by the message.
    """
    (tab,) = tabs
    before = await cached_functions(tab.base_url)
    message = BackMsg()
    message.clear_cache = True
    await tab.send(message)
    await asyncio.sleep(min(6.0, opts.attack_seconds))  # /_stcore/metrics recomputes cache sizes every 5 s
    after = await cached_functions(tab.base_url)
    if before is None or after is None:
        return "sent (caches not readable from /_stcore/metrics)"
    gone = sorted(before - after)
    if not gone:
        return f"sent; all {len(before)} cached functions kept their entries"
    return f"sent; {len(gone)} of {len(before)} cached functions emptied (e.g. {gone[0]})"


async def cached_functions(base_url: str) -> set[str] | None:
    """The st.cache_data and st.cache_resource functions holding entries, from /_stcore/metrics."""
    status, text = await asyncio.to_thread(_get, base_url, "/_stcore/metrics?families=cache_memory_bytes")
    if status != 200:
        return None
    return set(
        re.findall(
            r'^cache_memory_bytes\{cache_type="st_cache_(?:data|resource)",cache="([^"]*)"', text, re.M
        )
    )


async def upload_flood(tabs: list[Tab], opts) -> str:
    """(c) ``opts.puts`` PUTs of ``opts.put_mb`` MB each, every one to a new file id of the own session."""
    (tab,) = tabs
    data = bytes(
        int(opts.put_mb * 1e6)
    )  # 5 MB as 5,000,000 bytes: under maxUploadSize (5 MiB) with its framing
    statuses: collections.Counter = collections.Counter()
    details: dict[int, str] = {}
    deadline = time.monotonic() + opts.attack_seconds
    for _ in range(opts.puts):
        if time.monotonic() > deadline:
            break
        path = f"{UPLOAD_ENDPOINT}/{tab.session_id}/{uuid.uuid4()}"
        status, detail = await tab.put(path, "x.npy", data, "application/octet-stream")
        statuses[status] += 1
        details.setdefault(status, detail)
    sent = sum(statuses.values())
    refused = "; ".join(
        f"{n} got HTTP {s} {_one_line(details[s], 60)}" for s, n in statuses.items() if s != 204
    )
    return f"{statuses[204]} of {sent} PUTs of {opts.put_mb:g} MB accepted" + (
        f"; {refused}" if refused else ""
    )


async def editor_rows(tabs: list[Tab], opts) -> str:
    """(d) One data_editor message adding rows to the worked example, ``opts.editor_kb`` kB of JSON."""
    (tab,) = tabs
    editor = next(
        (
            i
            for i, (kind, body) in tab.elements.items()
            if kind == "dataframe" and body.editing_mode != READ_ONLY
        ),
        None,
    )
    if editor is None:
        return "not applicable: no editable table on Explorer?view=worked"
    columns = [c for c in pa.ipc.open_stream(tab.elements[editor][1].arrow_data.data).schema.names]
    columns = [c for c in columns if not c.startswith("__index_level_")]
    row = {c: 1.5 for c in columns}
    size = len(json.dumps(row)) + 2
    rows = max(1, int(opts.editor_kb * 1024) // size)
    state = json.dumps({"edited_rows": {}, "added_rows": [row] * rows, "deleted_rows": []})
    sent = len(state)  # the frontend sends its edits as a JSON string
    result = await bounded(tab.start(editor, state), opts.attack_seconds)
    return f"{rows:,} rows in {sent / 1024:.0f} kB: {describe(result)}"


async def recompute(tabs: list[Tab], opts) -> str:
    """(e) Press "Recompute live" on Small batches (the button keyed ``recompute``)."""
    (tab,) = tabs
    button = tab.widget_ids.get("recompute")
    if button is None or tab.elements.get(button, ("",))[0] != "button":
        return "not applicable: no button keyed 'recompute' on Small batches"
    result = await bounded(tab.start(button, TRIGGER), opts.attack_seconds)
    last = f"; last progress: {_one_line(tab.progress[-1], 50)}" if tab.progress else ""
    return f"pressed: {describe(result)}" + last


async def jpeg_scans(tabs: list[Tab], opts) -> str:
    """(f) A progressive 8000x5000 JPEG of ``opts.jpeg_scans`` empty scans into the Images uploader."""
    (tab,) = tabs
    uploader = tab.find("file_uploader")
    if uploader is None:
        return "not applicable: no file uploader on Images"
    data = progressive_jpeg(scans=opts.jpeg_scans)
    result = await bounded(tab.upload(uploader, "scans.jpg", data, "image/jpeg"), opts.attack_seconds)
    return f"{opts.jpeg_scans:,} scans in {len(data) / MB:.2f} MB: {describe(result)}"


async def two_trainings(tabs: list[Tab], opts) -> str:
    """(g) Train in two tabs of one viewer with two seeds: both of the host's training slots."""
    from ui.locales.en import STRINGS

    buttons = [tab.find("button", STRINGS["lab.train"]) for tab in tabs]
    if None in buttons:
        return "not applicable: no Train button on Training lab"
    started = time.perf_counter()
    runs = [tab.start(button, TRIGGER) for tab, button in zip(tabs, buttons, strict=True)]
    await asyncio.wait(runs, timeout=opts.attack_seconds)
    said = []
    for tab, run in zip(tabs, runs, strict=True):
        if run.done() and run.exception():
            said.append(f"failed: {type(run.exception()).__name__}: {run.exception()}")
        elif run.done():
            said.append(describe(run.result()))
        else:
            last = _one_line(tab.progress[-1], 40) if tab.progress else "no progress shown"
            said.append(f"still running after {time.perf_counter() - started:.0f} s ({last})")
    return "; ".join(f"tab {i + 1}: {s}" for i, s in enumerate(said))


@dataclass(frozen=True)
class Attack:
    name: str
    run: Callable[[list[Tab], object], Awaitable[str]]
    tabs: tuple[tuple[str, str], ...]  # (page, query string) of each attacker tab, opened beforehand


def attacks(opts) -> dict[str, Attack]:
    """Every attack, in the order the hostile phase runs them."""
    heavy = opts.train_query
    return {
        a.name: a
        for a in [
            Attack("csv", csv_upload, (("Explorer", "src=upload"),)),
            Attack("clear_cache", clear_cache, (("Images", ""),)),
            Attack("upload_flood", upload_flood, (("Explorer", ""),)),
            Attack("editor", editor_rows, (("Explorer", "view=worked"),)),
            Attack("recompute", recompute, (("Small_batches", ""),)),
            Attack("jpeg", jpeg_scans, (("Images", ""),)),
            Attack(
                "training",
                two_trainings,
                (("Training_lab", f"{heavy}&seed=1"), ("Training_lab", f"{heavy}&seed=2")),
            ),
        ]
    }
