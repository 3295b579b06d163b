"""The served app in real headless Chromium: charts render, controls change them, no errors."""

import pytest

from tests.conftest import serve, wait_for_app

pytestmark = pytest.mark.browser
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"


HIST = ".st-key-hist .js-plotly-plot"  # the whole batch's histogram (not whichever chart plotly drew first)
AFTER_TRACE = f"document.querySelector('{HIST}').data[1].y"


def after_trace(page):
    """The "after" histogram's bar heights as plotly holds them (a serialized typed array)."""
    page.wait_for_function(f"() => document.querySelector('{HIST}')?.data", timeout=60_000)
    return page.evaluate(f"() => JSON.stringify({AFTER_TRACE})")


def drawn_bars(page):
    """How many bars of the "after" trace are drawn in the SVG."""
    return page.locator(HIST).locator(".barlayer .trace").nth(1).locator(".point").count()


def selected(page, label):
    """The option shown by the selectbox labelled ``label``."""
    return page.get_by_role("combobox", name=label).input_value()


def test_explorer_chart_changes_when_the_batch_size_changes(page, served_app):
    page.goto(f"{served_app}/Explorer?norm=batch")
    wait_for_app(page)
    before = after_trace(page)
    page.locator(".st-key-nc_stage").get_by_role("radio", name="8", exact=True).click()  # the bar's N
    page.wait_for_function("() => new URLSearchParams(location.search).get('n') === '8'", timeout=30_000)
    wait_for_app(page)
    page.wait_for_function(
        f"before => JSON.stringify({AFTER_TRACE}) !== before",
        arg=before,
        timeout=30_000,
    )
    assert page.locator(ERRORS).count() == 0


def test_switching_language_keeps_the_selection(page, served_app):
    page.goto(f"{served_app}/Explorer?lang=ko&norm=group")
    wait_for_app(page)
    assert page.get_by_role("heading", name="탐색기").is_visible()
    page.get_by_text("English", exact=True).click()
    page.wait_for_selector("h1:has-text('Explorer')", timeout=30_000)
    wait_for_app(page)
    assert selected(page, "Normalization") == "Group Norm"
    assert "norm=group" in page.url and "lang=" not in page.url
    assert page.locator(ERRORS).count() == 0


def test_deep_link_on_a_fresh_server(browser, tmp_path):
    process, url = serve(log=tmp_path / "fresh.log")  # nothing has run on this server yet
    try:
        page = browser.new_page()
        page.goto(f"{url}/Explorer?norm=layer&n=7&lang=ko")
        wait_for_app(page)
        assert page.get_by_role("heading", name="탐색기").is_visible(), "the page ran with its chrome"
        assert selected(page, "정규화") == "층 정규화"
        assert page.get_by_role("radio", name="7", exact=True).get_attribute("aria-checked") == "true"
        after_trace(page)
        assert drawn_bars(page) == 50
        assert page.locator(ERRORS).count() == 0
    finally:
        process.terminate()
        process.wait(timeout=20)
