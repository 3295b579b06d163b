"""Shared test fixtures: AppTest for pages, a served app and headless Chromium for browsers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

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
