"""Two replicas behind nginx (deploy/nginx.conf): sessions stick to their replica, both serve.

Runs in the normal suite; select it alone with ``-m replicas``. Without nginx it fails and
says how to install it (scripts/test and .ci/run do).
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from collections import defaultdict

import pytest
from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

from benchmarks.viewer import Viewer, run_async
from deploy.replicas import nginx_binary, replicas

pytestmark = pytest.mark.replicas
TRIVIAL_PAGE = "benchmarks/trivial_app.py"
BROWSERS = 20  # nginx picks each route at random: all 20 on one replica has odds 2 * 2**-20
ROUTE_COOKIE = "normcore_route"


def open_browser(url: str) -> str:
    """Load the page as a browser does first (plain HTTP); returns the route cookie nginx set."""
    with urllib.request.urlopen(f"{url}/", timeout=30) as response:
        assert response.status == 200
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name == ROUTE_COOKIE:
                return rest.split(";", 1)[0]
    raise AssertionError(f"nginx set no {ROUTE_COOKIE} cookie")


def get(url: str, path: str, route: str) -> None:
    request = urllib.request.Request(f"{url}{path}", headers={"Cookie": f"{ROUTE_COOKIE}={route}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200, path


async def session(url: str, route: str, n: int) -> tuple[str, str]:
    """A tab through nginx: run the page, move its slider, lose the connection, reconnect."""
    headers = {"Cookie": f"{ROUTE_COOKIE}={route}"}
    viewer = Viewer(url, "")
    first = await viewer.connect(headers=headers)
    assert first.ok, first.exceptions
    changed = await viewer.change("x", [n])
    assert changed.ok, changed.exceptions
    before = viewer.session_id
    await viewer.close()
    resumed = await viewer.connect(headers=headers, resume=True)
    await viewer.close()
    assert resumed.ok, resumed.exceptions
    return before, viewer.session_id


async def sessions(url: str, routes: list[str]) -> list[tuple[str, str]]:
    return await asyncio.gather(*(session(url, route, 2 + i) for i, route in enumerate(routes)))


def test_nginx_is_installed():
    nginx_binary()  # raises with the install command when missing


def test_sessions_stick_to_their_replica_and_both_replicas_serve(tmp_path):
    # Stickiness is nginx's doing, whatever the page: the replicas serve the one-slider page so
    # that 20 concurrent sessions do not queue behind the Explorer's reruns on 2 cores. The real
    # app goes through nginx in test_a_real_browser_works_through_nginx.
    with replicas(script=TRIVIAL_PAGE, log_dir=tmp_path) as running:
        routes = [open_browser(running.url) for _ in range(BROWSERS)]
        assert len(set(routes)) == BROWSERS, "each browser gets its own route"
        for route in routes:
            get(running.url, "/_stcore/health", route)
            get(running.url, "/_stcore/host-config", route)
        ids = run_async(sessions(running.url, routes))
        logged = running.routes()

    # A reconnect reached the replica that holds the session: Streamlit resumed it.
    for route, (before, after) in zip(routes, ids, strict=True):
        assert before and after == before, f"route {route}: session {before} was not resumed ({after})"

    served_by = defaultdict(set)
    for route, upstream in logged:
        served_by[route].add(upstream)
    for route in routes:
        # page, health, host-config, two websockets
        assert len([r for r, _ in logged if r == route]) >= 5, f"route {route} missing from the log"
        assert len(served_by[route]) == 1, f"route {route} was served by {served_by[route]}"
    used = set().union(*(served_by[route] for route in routes))
    expected = {url.removeprefix("http://") for url in running.replica_urls}
    assert used == expected, f"replicas used: {used}, started: {expected}"


@pytest.mark.browser
def test_a_real_browser_works_through_nginx(page, tmp_path):
    """Chromium sends an Origin header and the route cookie: the websocket must still be accepted."""
    from tests.conftest import wait_for_app

    with replicas(log_dir=tmp_path) as running:
        page.goto(f"{running.url}/Explorer?n=7")
        wait_for_app(page)
        assert page.locator("h1").first.inner_text().strip()
        page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=60_000)  # drawn after the run
        assert page.locator("[data-testid=stException], [data-testid=stAlertContentError]").count() == 0
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        assert ROUTE_COOKIE in cookies
        logged = running.routes()
    upstreams = {upstream for route, upstream in logged if route == cookies[ROUTE_COOKIE]}
    assert len(upstreams) == 1, upstreams


SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def fetch(url: str, headers: dict | None = None, method: str = "GET", data=None) -> tuple[int, dict]:
    """Status and headers, for error statuses too."""
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_nginx_hides_the_metrics_and_sends_security_headers(tmp_path):
    with replicas(script=TRIVIAL_PAGE, log_dir=tmp_path) as running:
        replica_metrics, _ = fetch(f"{running.replica_urls[0]}/_stcore/metrics")
        answers = {
            path: fetch(f"{running.url}{path}")
            for path in [
                "/",
                "/_stcore/health",
                "/_stcore/host-config",
                "/_stcore/metrics",
                "/no-such-file.js",
            ]
        }
    assert replica_metrics == 200  # Streamlit serves them to anyone who asks it directly
    assert answers["/_stcore/metrics"][0] == 404
    for path, (status, headers) in answers.items():
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name) == value, f"{path} ({status}): {name} = {headers.get(name)!r}"


def put_uploads(url: str, route: str, session: str, count: int) -> list[int]:
    token = generate_xsrf_token_string(b"0123456789abcdef", 1700000000)
    body = b"--b\r\nContent-Disposition: form-data; name=file; filename=x.csv\r\n\r\n1\n\r\n--b--\r\n"
    headers = {
        "Cookie": f"{ROUTE_COOKIE}={route}; _streamlit_xsrf={token}",
        "X-Xsrftoken": token,
        "Content-Type": "multipart/form-data; boundary=b",
    }
    return [fetch(f"{url}/_stcore/upload_file/{session}/f{i}", headers, "PUT", body)[0] for i in range(count)]


async def upload_flood(url: str, hostile: str, calm: str) -> tuple[list[int], list[int]]:
    """Two browsers with open sessions; one PUTs 12 files at once, then the other PUTs one."""
    viewers = {route: Viewer(url, "") for route in (hostile, calm)}
    for route, viewer in viewers.items():
        run = await viewer.connect(headers={"Cookie": f"{ROUTE_COOKIE}={route}"})
        assert run.ok, run.exceptions
    flood = await asyncio.to_thread(put_uploads, url, hostile, viewers[hostile].session_id, 12)
    other = await asyncio.to_thread(put_uploads, url, calm, viewers[calm].session_id, 1)
    for viewer in viewers.values():
        await viewer.close()
    return flood, other


def test_nginx_rate_limits_uploads_per_browser(tmp_path):
    with replicas(script=TRIVIAL_PAGE, log_dir=tmp_path) as running:
        hostile, calm = open_browser(running.url), open_browser(running.url)
        flood, other = run_async(upload_flood(running.url, hostile, calm))
    # one request, then a burst of 5, then one per 10 s: the 12 PUTs take well under a second
    assert flood[:6] == [204] * 6 and flood[6:].count(429) >= 5, flood
    assert other == [204]  # another browser behind the same address is not held back
