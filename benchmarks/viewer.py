"""A viewer without a browser: Streamlit's websocket protocol, spoken as the frontend speaks it.

The client opens ``/_stcore/stream``, asks for a page with a ``rerun_script`` BackMsg (the
URL's query string and every widget value it holds) and reads ForwardMsgs until the
``script_finished`` one. The protobufs ship inside the streamlit package. Loopback only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import FileUploaderState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED = ForwardMsg.ScriptFinishedStatus
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
SUCCESS = ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY")  # the page, or one fragment of it
TRIGGER = object()  # a button's one-off press (``trigger_value``), as a widget value


@dataclass
class Run:
    """What one script run sent back."""

    seconds: float = 0.0
    status: str = ""
    exceptions: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    page: str = ""  # url path of the page that ran ("" for the main page)
    texts: list[str] = field(default_factory=list)  # markdown, text, headings and alert bodies
    widgets: dict[str, str] = field(default_factory=dict)  # key -> widget type
    payload_bytes: int = 0
    chart_bytes: list[int] = field(default_factory=list)  # the JSON spec of each chart sent
    query_strings: list[str] = field(default_factory=list)  # each URL update the run sent, in order

    @property
    def ok(self) -> bool:
        return self.status in SUCCESS and not self.exceptions


class Viewer:
    """One browser tab: a session on ``base_url`` showing ``page`` (its URL path, "" for home)."""

    def __init__(self, base_url: str, page: str = "", query: str = "", timeout: float = 120):
        host = urlparse(base_url).hostname
        if host not in LOOPBACK:
            raise ValueError(f"load and hostile traffic goes to loopback only, not {host}")
        self.url = base_url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
        self.page = page
        self.query = query
        self.timeout = timeout
        self.widget_ids: dict[str, str] = {}  # key -> element id
        self.widget_values: dict[str, object] = {}
        self.widget_fragments: dict[str, str] = {}  # key -> the fragment that drew the widget, if any
        self.widget_kinds: dict[str, str] = {}  # key -> widget type, as last drawn
        self.page_script_hash = ""
        self.session_id = ""
        self.cached_hashes: set[str] = set()  # messages the "browser" holds, as the frontend reports them
        self.cookies: dict[str, str] = {}
        self._socket = None

    async def connect(self, headers: dict[str, str] | None = None, resume: bool = False) -> Run:
        """Open the session and run the page once, as a fresh tab does.

        With ``resume``, ask the server for this viewer's previous session, as the frontend
        does when its websocket reconnects (the session id rides in the subprotocol header).
        """
        # Positional entries, as the frontend sends them: protocol, XSRF token, session id.
        protocols = ["streamlit", "no-xsrf-token", self.session_id] if resume else ["streamlit"]
        self._socket = await websockets.connect(
            self.url,
            subprotocols=protocols,
            additional_headers=headers or {},
            max_size=None,
            open_timeout=self.timeout,
        )
        self.cookies = _response_cookies(self._socket)
        return await self._rerun()

    async def change(self, key: str, value) -> Run:
        """Set the widget with ``key`` to ``value`` and wait for the rerun it causes.

        A widget drawn by an ``st.fragment`` reruns that fragment alone, as the frontend asks. Choices given
        as labels (``["4"]``) go to a slider as numbers, so one script times a page before and after a
        slider became a segmented choice."""
        if (
            self.widget_kinds.get(key) == "slider"
            and isinstance(value, list)
            and value
            and isinstance(value[0], str)
        ):
            value = [float(v) for v in value]
        self.widget_values[key] = value
        return await self._run(self._rerun_message(self.widget_fragments.get(key, "")))

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
            self._socket = None

    async def _rerun(self) -> Run:
        return await self._run(self._rerun_message())

    def _rerun_message(self, fragment_id: str = "") -> BackMsg:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        state.fragment_id = fragment_id
        state.page_script_hash = self.page_script_hash
        state.page_name = "" if self.page_script_hash else self.page
        state.cached_message_hashes.extend(sorted(self.cached_hashes))
        for key, value in self.widget_values.items():
            widget = state.widget_states.widgets.add()
            widget.id = self.widget_ids.get(key, key)
            _set_value(widget, value)
        return message

    async def _run(self, message: BackMsg) -> Run:
        """Send ``message`` and read up to its script_finished."""
        started = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        run = await asyncio.wait_for(self._read_until_finished(), self.timeout)
        run.seconds = time.perf_counter() - started
        if run.status == "FINISHED_SUCCESSFULLY" and run.page != self.page:  # a fragment run sends no page
            run.status = f"RAN_PAGE_{run.page or 'main'}_NOT_{self.page or 'main'}"
        return run

    async def _read_until_finished(self) -> Run:
        run = Run()
        while True:
            data = await self._socket.recv()
            run.payload_bytes += len(data)
            message = ForwardMsg()
            message.ParseFromString(data)
            if message.metadata.cacheable:
                self.cached_hashes.add(message.hash)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.session_id = message.new_session.initialize.session_id or self.session_id
            elif kind == "navigation":  # names the page this run shows; later reruns ask for it
                self.page_script_hash = message.navigation.page_script_hash
                run.page = _url_path(message.navigation)
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                self._read_element(message.delta.new_element, run, message.delta.fragment_id)
            elif kind == "page_info_changed":
                run.query_strings.append(message.page_info_changed.query_string)
            elif kind == "page_not_found":
                run.exceptions.append(f"page not found: {message.page_not_found.page_name}")
            elif kind == "script_finished":
                run.status = FINISHED.Name(message.script_finished)
                if message.script_finished != FINISHED.FINISHED_EARLY_FOR_RERUN:
                    return run

    def _read_element(self, element, run: Run, fragment_id: str = "") -> None:
        kind = element.WhichOneof("type")
        body = getattr(element, kind)
        if kind == "exception":
            run.exceptions.append(f"{body.type}: {body.message}")
        elif kind == "alert":
            run.alerts.append(body.body)
            run.texts.append(body.body)
        elif kind in ("markdown", "text", "heading"):
            run.texts.append(body.body)
        elif kind == "plotly_chart":
            run.chart_bytes.append(len(body.spec))
        widget_id = getattr(body, "id", "") if body.DESCRIPTOR.fields_by_name.get("id") else ""
        if widget_id.startswith("$$ID-") and widget_id.count("-") >= 2:
            key = widget_id.split("-", 2)[2]
            self.widget_ids[key] = widget_id
            run.widgets[key] = self.widget_kinds[key] = kind
            if fragment_id:
                self.widget_fragments[key] = fragment_id
            else:
                self.widget_fragments.pop(key, None)


def run_async(coroutine):
    """``asyncio.run`` in a thread of its own, so that it also works beside a running event
    loop (Playwright's sync API keeps one in the main thread during the browser tests)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _url_path(navigation) -> str:
    for page in navigation.app_pages:
        if page.page_script_hash == navigation.page_script_hash:
            return "" if page.is_default else page.url_pathname
    return "?"


def _set_value(widget, value) -> None:
    """Fill a WidgetState as the frontend does for each widget kind."""
    if value is TRIGGER:
        widget.trigger_value = True
    elif isinstance(value, FileUploaderState):  # the files a file_uploader holds
        widget.file_uploader_state_value.CopyFrom(value)
    elif isinstance(value, bool):
        widget.bool_value = value
    elif isinstance(value, int):
        widget.int_value = value
    elif isinstance(value, float):
        widget.double_value = value
    elif isinstance(value, str):
        widget.string_value = value
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        widget.string_array_value.data.extend(value)
    elif isinstance(value, (list, tuple)):
        widget.double_array_value.data.extend(float(v) for v in value)
    else:
        raise TypeError(f"no widget value for {value!r}")


def _response_cookies(socket) -> dict[str, str]:
    """Cookies the handshake response set (nginx's sticky-session cookie, say)."""
    cookies = {}
    for header in socket.response.headers.get_all("Set-Cookie"):
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]
    return cookies
