"""The training lab in headless Chromium: a short live run draws charts, another view redraws them."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for_app

ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"
SHORT = "steps=100&depth=2&width=40&seed=21"


def count_is(selector: str, count: int) -> str:
    return f"() => document.querySelectorAll('{selector}').length === {count}"


def train_and_wait(page, charts: int) -> None:
    """Press Train and wait for the finished view: ``charts`` charts, each with its CSV download."""
    page.wait_for_function(count_is(".js-plotly-plot", 0), timeout=60_000)  # the view waits for Train
    page.locator("button[data-testid=stBaseButton-primary]").first.click()
    page.wait_for_function(count_is("[data-testid=stDownloadButton]", charts), timeout=180_000)
    wait_for_app(page, timeout_ms=180_000)
    page.wait_for_function(
        count_is(".js-plotly-plot", charts), timeout=60_000
    )  # plotly draws after its script loads


@pytest.mark.browser
def test_a_short_run_draws_its_charts_and_another_view_redraws(served_app, page):
    page.goto(f"{served_app}/Training_lab?{SHORT}")
    wait_for_app(page)
    train_and_wait(page, 2)
    assert page.locator(".js-plotly-plot").count() == 2
    assert "Test accuracy" in page.locator(".js-plotly-plot").first.inner_text()

    page.get_by_text("§2: gradient through the statistics").click()
    wait_for_app(page)
    train_and_wait(page, 3)
    assert page.locator(".js-plotly-plot").count() == 3
    assert "bias" in page.locator(".js-plotly-plot").first.inner_text()
    assert "view=sec2" in page.url
    assert page.locator(ERRORS).count() == 0


@pytest.mark.browser
def test_korean_page_loads_without_errors(served_app, page):
    page.goto(f"{served_app}/Training_lab?lang=ko&steps=100&seed=22")  # settings no one trained
    wait_for_app(page)
    assert page.get_by_role("heading", name="학습 실험실").count() == 1
    train = page.locator("button[data-testid=stBaseButton-primary]").first
    train.wait_for(timeout=30_000)
    assert "학습" in train.inner_text()
    assert page.locator(ERRORS).count() == 0


@pytest.mark.browser
def test_stop_keeps_the_curves_so_far(served_app, page):
    page.goto(f"{served_app}/Training_lab?steps=5000&seed=23")  # long enough to be stopped mid-way
    wait_for_app(page)
    page.locator("button[data-testid=stBaseButton-primary]").first.click()
    page.wait_for_selector(".js-plotly-plot", timeout=120_000)  # the first streamed frame
    page.locator("button[data-testid=stBaseButton-secondary]", has_text="Stop").first.click()
    page.wait_for_selector("text=Stopped before the end", timeout=60_000)
    wait_for_app(page)
    assert page.locator(".js-plotly-plot").count() == 2
    assert page.locator(ERRORS).count() == 0


@pytest.mark.browser
def test_the_placement_view_trains_three_runs(served_app, page):
    page.goto(f"{served_app}/Training_lab?view=place&{SHORT}&seed=24")
    wait_for_app(page)
    train_and_wait(page, 3)
    assert "BN after the activation" in page.locator(".js-plotly-plot").first.inner_text()
    assert "view=place" in page.url
    assert page.locator(ERRORS).count() == 0
