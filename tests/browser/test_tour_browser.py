"""The tour, presenter mode and the share link in a real headless Chromium."""

from __future__ import annotations

import re

import pytest

from tests.conftest import wait_for_app
from ui import tour
from ui.i18n import translate

pytestmark = pytest.mark.browser

HANGUL = re.compile(r"[\uac00-\ud7a3]")
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"


def follow(page, link) -> None:
    """Click a plain link and wait for the new page's script to finish."""
    with page.expect_navigation():
        link.click()
    wait_for_app(page)


def nav_link(page, label: str):
    return page.locator('[class*="st-key-nc_nav"] a', has_text=label)


def main_text(page) -> str:
    return page.locator("[data-testid=stMain]").inner_text()


def test_walk_the_tour_in_korean(served_app, page):
    page.goto(f"{served_app}/Tour?lang=ko")
    wait_for_app(page)
    follow(page, nav_link(page, translate("tour.start", "ko")))
    for number, step in enumerate(tour.STEPS, start=1):
        title = translate(f"tour.{step.slug}.title", "ko")
        page.get_by_text(title).first.wait_for()
        text = main_text(page)
        assert title in text, (number, page.url)
        assert HANGUL.search(text)
        assert "lang=ko" in page.url
        assert page.locator(ERRORS).count() == 0, page.url
        if step.available:
            assert f"tour={number}" in page.url
        if number < len(tour.STEPS):
            follow(page, nav_link(page, translate("tour.next", "ko")))
    assert nav_link(page, translate("tour.next", "ko")).count() == 0
    follow(page, nav_link(page, translate("tour.previous", "ko")))
    previous = tour.STEPS[-2]
    page.get_by_text(translate(f"tour.{previous.slug}.title", "ko")).first.wait_for()


def test_presenter_mode_hides_the_sidebar_and_enlarges_the_chart(served_app, page):
    page.goto(f"{served_app}/?lang=ko")
    wait_for_app(page)
    sidebar = page.locator("[data-testid=stSidebar]")
    chart = page.locator("[data-testid=stPlotlyChart]").first
    assert sidebar.is_visible()
    normal_height = chart.bounding_box()["height"]
    page.get_by_text(translate("chrome.presenter", "ko")).click()  # the switch stays in the main area
    page.wait_for_timeout(500)
    wait_for_app(page)
    assert "present=true" in page.url
    assert not sidebar.is_visible()
    assert chart.is_visible()
    assert chart.bounding_box()["height"] > 1.3 * normal_height
    assert page.get_by_text(translate("chrome.presenter", "ko")).is_visible()
    assert page.locator(ERRORS).count() == 0


def test_language_survives_the_menu_and_the_link_is_shareable(served_app, browser):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{served_app}/?lang=ko")
    wait_for_app(page)
    page.locator("[data-testid=stSidebar]").get_by_text(translate("nav.tour", "ko")).click()
    page.wait_for_url(re.compile(r"/Tour\?.*lang=ko"))
    wait_for_app(page)
    assert translate("tour.intro", "ko") in main_text(page)
    button = page.get_by_role("button", name=translate("chrome.copy_link", "ko"))
    button.click()
    page.wait_for_function("() => document.querySelector('.nc-copied')")
    assert page.evaluate("navigator.clipboard.readText()") == page.url
    context.close()


def test_a_tour_step_opens_in_presenter_mode(served_app, page):
    number = next(i for i, step in enumerate(tour.STEPS, start=1) if step.available)
    step = tour.STEPS[number - 1]
    page.goto(f"{served_app}/Tour?step={number}&present=true&lang=ko")
    page.wait_for_url(re.compile(rf"/{tour.url_path(step.page)}\?.*tour={number}"))  # switched to its page
    wait_for_app(page)
    page.get_by_text(translate(f"tour.{step.slug}.title", "ko")).first.wait_for()
    assert page.locator(ERRORS).count() == 0
    assert "present=true" in page.url
    assert not page.locator("[data-testid=stSidebar]").is_visible()


def test_a_tour_step_in_presenter_mode_scrolls_to_the_section_it_is_about(served_app, page):
    """Step 5 is about the forgotten model.eval() demo, some 4,000 px down the page: in presenter mode the page
    scrolls it to the top; without presenter mode the narration stays in view at the top."""
    number = next(i for i, step in enumerate(tour.STEPS, start=1) if step.focus == "nc_stage_forgot")
    top = "() => document.querySelector('.st-key-nc_stage_forgot')?.getBoundingClientRect().top ?? -1"
    page.goto(f"{served_app}/Tour?step={number}&present=true&lang=ko")
    wait_for_app(page)
    page.wait_for_function(f"() => {{ const y = ({top})(); return y >= 0 && y < 300; }}", timeout=60_000)
    assert page.locator(ERRORS).count() == 0
    page.goto(f"{served_app}/Tour?step={number}&lang=ko")
    wait_for_app(page)
    page.wait_for_timeout(3000)
    assert page.evaluate(top) > 1000
