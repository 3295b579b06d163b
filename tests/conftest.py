"""Shared test fixtures: AppTest for pages, a served app and headless Chromium for browsers."""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from figures import style

np.set_printoptions(precision=17, floatmode="maxprec")  # falsifying examples print exactly

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
APPTEST_TIMEOUT = 60  # importing torch alone takes ~3 s here; a loaded CI machine more

# The hosted config hides exception messages from viewers; a failing AppTest should show them.
config.set_option("client.showErrorDetails", "full")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the groups
def pytest_collection_modifyitems(items):
    """With ``-n 2 --dist loadgroup`` (scripts/test), the browser tests run in one worker, one at a
    time (one served app and one Chromium between them), beside every other test in the other worker."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(autouse=True)
def validated_figures(monkeypatch):
    """``figures.style.figure`` skips plotly's validation when served. In tests, every figure it
    builds (directly or through a page) is checked against a validated copy: a misspelt property
    raises, a value plotly would have coerced differs in the JSON."""
    fast = style.figure

    def checked(*args, **kwargs):
        fig = fast(*args, **kwargs)
        assert_sent_as_plotly_would(fig)
        validated = go.Figure(fig.to_dict())
        as_sent, as_validated = (json.loads(pio.to_json(f, validate=False)) for f in (fig, validated))
        assert as_sent == as_validated, (
            f"stored differently once validated: {first_difference(as_sent, as_validated)}"
        )
        return fig

    monkeypatch.setattr(style, "figure", checked)


def assert_sent_as_plotly_would(fig: go.Figure) -> None:
    """``fig``'s dict, made from its trace and layout dicts while plotly has not built it
    (``style.Deferred``), is the JSON plotly's own ``to_dict()`` gives for the built figure, to the byte."""
    spec = fig.__dict__.get("_nc_spec")
    sent = None if spec is None else style.sent_dict(*spec)
    if sent is None:  # built by plotly, or dicts it leaves to plotly: the dict is plotly's own
        return
    fig.to_dict()
    assert "_nc_spec" in fig.__dict__, "to_dict() made plotly build the figure"
    built = go.Figure(data=copy.deepcopy(spec[0]), layout=copy.deepcopy(spec[1]), _validate=False)
    as_sent, as_built = (pio.to_json(d, validate=False) for d in (sent, built.to_dict()))
    assert as_sent == as_built, (
        f"sent differently from plotly: {first_difference(json.loads(as_sent), json.loads(as_built))}"
    )


def first_difference(a, b, path="") -> str:
    """Where two JSON values first differ, as ``layout.xaxis.title: 'x' != {'text': 'x'}``."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys()):
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{path}.{key}".lstrip("."))
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {a!r:.80} != {b!r:.80}"


def open_page(
    page: str | None = None, params: dict | None = None, timeout: float = APPTEST_TIMEOUT
) -> AppTest:
    """Run ``app.py``, then switch to ``page`` (e.g. ``"pages/1_Explorer.py"``) with URL ``params``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params.update(params or {})  # as a deep link: the URL is there before the first run
    at.run()
    assert not at.exception, at.exception
    if page and page != "app.py":
        at.query_params.update(params or {})
        at.switch_page(page)
        at.run()
    return at


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not become healthy in {seconds} s")


def serve(
    port: int | None = None, log: Path | None = None, script: str = "app.py"
) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run <script>`` on loopback; returns the process and its base URL."""
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / script),
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    output = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
    except Exception:
        process.kill()
        raise
    return process, url


@pytest.fixture(scope="session")
def served_app(tmp_path_factory):
    """A fresh server for the browser tests of this session."""
    process, url = serve(log=tmp_path_factory.mktemp("server") / "streamlit.log")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script has finished running (Streamlit's own browser tests do this)."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout_ms)
    page.wait_for_timeout(300)
