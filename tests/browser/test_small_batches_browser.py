"""Small batches and Train vs eval, served and driven in headless Chromium."""

import os
import time

import pytest

from tests.conftest import serve, wait_for_app

pytestmark = pytest.mark.browser
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"
FIRST_LOAD_MS = 180_000  # the first visit renders 4 plotly charts; the shared CI host can be very loaded


CHART_Y = (
    "(chart) => JSON.stringify(document.querySelectorAll('.js-plotly-plot')[chart]?.data?.map(t => t.y))"
)


def chart_y(page, chart: int, traces: int) -> str:
    """Every trace's y values of chart ``chart`` once it holds ``traces`` traces, serialized."""
    page.wait_for_function(
        "([chart, n]) => (document.querySelectorAll('.js-plotly-plot')[chart]?.data?.length ?? 0) >= n",
        arg=[chart, traces],
        timeout=FIRST_LOAD_MS,
    )
    return page.evaluate(CHART_Y, chart)


def wait_for_change(page, chart: int, before: str) -> None:
    page.wait_for_function(
        f"([chart, before]) => ({CHART_Y})(chart) !== before", arg=[chart, before], timeout=60_000
    )


def press(page, label: str, key: str, times: int) -> None:
    slider = page.get_by_role("slider", name=label)
    slider.focus()
    for _ in range(times):
        slider.press(key)


def test_small_batches_histogram_changes_with_the_batch_size(page, served_app):
    page.goto(f"{served_app}/Small_batches")
    wait_for_app(page, FIRST_LOAD_MS)
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot').length === 4", timeout=FIRST_LOAD_MS
    )
    before = chart_y(page, 0, 5)
    press(page, "Batch size B", "ArrowRight", 2)  # 4 -> 16
    page.wait_for_function("() => new URLSearchParams(location.search).get('b') === '16'", timeout=30_000)
    wait_for_app(page)
    wait_for_change(page, 0, before)
    assert page.locator(ERRORS).count() == 0


def test_train_vs_eval_curves_change_with_momentum_in_korean(page, served_app):
    page.goto(f"{served_app}/Train_vs_eval?lang=ko&m=0.3")
    wait_for_app(page, FIRST_LOAD_MS)
    assert page.get_by_role("heading", name="학습 vs 평가: 러닝 통계는 실제로 무엇을 하는가").is_visible()
    before = chart_y(page, 0, 10)  # 4 momenta (0.01, 0.1, 0.3, 0.5) and the population, in 2 panels
    press(page, "모멘텀 m (PyTorch)", "End", 1)  # 0.3 -> 1, the last of the log-spaced choices
    page.wait_for_function("() => new URLSearchParams(location.search).get('m') === '1'", timeout=30_000)
    wait_for_app(page)
    wait_for_change(page, 0, before)
    assert page.locator(ERRORS).count() == 0


@pytest.mark.parametrize(
    ("path", "stage", "label", "key", "moved", "chart", "traces"),
    [
        ("Small_batches", "nc_stage_moments", "Batch size B", "ArrowRight", ("b", "8"), 0, 5),
        (
            "Train_vs_eval",
            "nc_stage",
            "Momentum m (PyTorch)",
            "ArrowLeft",
            ("m", "0.03"),
            0,
            8,
        ),  # 3 momenta + population, ×2
    ],
)
def test_presenter_mode_keeps_the_controls_on_the_page(
    page, served_app, path, stage, label, key, moved, chart, traces
):
    """Presenter mode hides the sidebar; the section's control stands above its chart and redraws it."""
    page.goto(f"{served_app}/{path}?present=true")
    wait_for_app(page, FIRST_LOAD_MS)
    assert not page.locator("[data-testid=stSidebar]").is_visible()
    before = chart_y(page, chart, traces)
    slider = page.locator(f".st-key-{stage}").get_by_role("slider", name=label)
    assert slider.is_visible()
    slider.focus()
    slider.press(key)  # B: 4 -> 8; m: 0.1 -> 0.03
    param, value = moved
    page.wait_for_function(
        f"() => new URLSearchParams(location.search).get('{param}') === '{value}'", timeout=30_000
    )
    wait_for_app(page)
    wait_for_change(page, chart, before)
    assert "present=true" in page.url
    assert page.locator(ERRORS).count() == 0


def test_batch_renorm_gap_changes_with_r_max(page, served_app):
    page.goto(f"{served_app}/Train_vs_eval?rk=cluster")
    wait_for_app(page, FIRST_LOAD_MS)
    before = chart_y(page, 3, 2)  # the Batch Renorm chart (after the forgot-eval demo's): both gaps per step
    press(page, "r_max (batch renorm)", "Home", 1)  # 3 -> 1: r no longer corrects the spread
    page.wait_for_function("() => new URLSearchParams(location.search).get('rmax') === '1'", timeout=30_000)
    wait_for_app(page)
    wait_for_change(page, 3, before)
    assert page.locator(ERRORS).count() == 0


def sweep_children(server: int) -> list[int]:
    """The server's children that run a gn-batch sweep."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
            command = open(f"/proc/{entry}/cmdline").read()
        except (OSError, ValueError):
            continue
        if int(stat[1]) == server and "normcore.experiments" in command and stat[0] != "Z":
            found.append(int(entry))
    return found


def group_alive(group: int) -> bool:
    for entry in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except (OSError, ValueError):
            continue
        if int(stat[2]) == group and stat[0] != "Z":
            return True
    return False


def wait_until(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_recompute_survives_a_rerun_and_dies_with_its_tab(browser, tmp_path):
    """On a real server: a rerun keeps the viewer's sweep, closing the tab kills it and its workers."""
    server, url = serve(log=tmp_path / "streamlit.log")
    try:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{url}/Small_batches?seeds=2")
        wait_for_app(page, FIRST_LOAD_MS)
        page.get_by_role("button", name="Recompute for me (seeds: 2)").click()
        wait_until(lambda: sweep_children(server.pid), 60)
        (child,) = sweep_children(server.pid)
        page.get_by_text("Starting the training runs").or_(page.get_by_text("Training:")).first.wait_for()
        press(page, "Feature", "ArrowRight", 1)  # a rerun of the page
        page.wait_for_function("() => new URLSearchParams(location.search).get('ch') === '1'", timeout=30_000)
        wait_for_app(page)
        assert sweep_children(server.pid) == [child]  # the same sweep goes on
        context.close()  # the tab closes: its session ends
        wait_until(lambda: not group_alive(child), 60)
        assert sweep_children(server.pid) == []
    finally:
        server.terminate()
        server.wait(timeout=20)
