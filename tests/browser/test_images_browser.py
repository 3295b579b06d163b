"""The Images and Weight norms pages in headless Chromium: move a control, see the picture change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"


def slider_thumb(page, label: str):
    return page.locator("[data-testid=stSlider]").filter(has_text=label).locator("input[type=range]").first


def test_images_page_group_slider_changes_the_normalized_feature_maps(served_app, page):
    page.goto(f"{served_app}/Images")
    wait_for_app(page)
    pictures = page.locator("[data-testid=stImage] img")
    expect(pictures).to_have_count(10, timeout=60_000)
    conv, normalized = pictures.nth(0).get_attribute("src"), pictures.nth(1).get_attribute("src")
    natural_width = pictures.nth(1).evaluate("img => img.naturalWidth")
    assert natural_width > 1000  # a real picture arrived, twelve maps wide

    slider_thumb(page, "Groups G").press("ArrowLeft")  # G: 3 -> 2
    expect(pictures.nth(1)).not_to_have_attribute("src", normalized, timeout=60_000)
    wait_for_app(page)
    assert pictures.nth(0).get_attribute("src") == conv  # the convolution did not change
    expect(page.get_by_text("With G = 2")).to_be_visible()
    assert "g=2" in page.url
    assert page.locator(ERRORS).count() == 0
    assert page.locator(".js-plotly-plot").count() == 3


def test_weight_norms_page_power_iteration_slider_updates_the_estimate(served_app, page):
    page.goto(f"{served_app}/Weight_norms?lang=ko")
    wait_for_app(page)
    expect(page.get_by_role("heading", name="가중치 기반 정규화")).to_be_visible(timeout=60_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(5, timeout=60_000)
    slider_thumb(page, "거듭제곱 반복 횟수").press("ArrowRight")  # 5 -> 6 steps
    expect(page.get_by_text("6번 반복한 뒤")).to_be_visible(timeout=60_000)
    wait_for_app(page)
    assert "iters=6" in page.url
    assert page.locator(ERRORS).count() == 0
