"""The Explorer served and driven in headless Chromium: controls change the charts, links restore them."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from normcore.explorer import Population, make_input, run, with_affine
from normcore.stats import histogram, value_range
from tests.browser.layout import as_phone
from tests.conftest import serve, wait_for_app

pytestmark = pytest.mark.browser
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"
WAIT_MS = 180_000  # two shared cores: a rerun plus five charts can take a while


def chart(key: str) -> str:
    """The selector of the chart drawn with ``key`` (plotly initialises charts in no fixed order)."""
    return f".st-key-{key} .js-plotly-plot"


# Empty while plotly redraws the chart (the element is briefly absent), never an error in wait_for_function.
AFTER = f"Array.from(document.querySelector('{chart('hist')}')?._fullData?.[1]?.y ?? [])"
UPSTREAM = f"Array.from(document.querySelector('{chart('bw_grads')}')?._fullData?.[0]?.y ?? [])"


def trace_values(page, key: str, trace: int) -> list[float]:
    """The y values of one trace of the chart ``key``, as plotly drew them (decoded from the sent typed array)."""
    script = f"() => document.querySelector('{chart(key)}')?._fullData?.[{trace}]?.y"
    page.wait_for_function(script, timeout=WAIT_MS)
    return page.evaluate(f"() => Array.from(({script})())")


def param(page, key: str) -> str | None:
    return page.evaluate(f"() => new URLSearchParams(location.search).get('{key}')")


def test_gamma_slider_changes_the_histograms(page, served_app):
    page.goto(f"{served_app}/Explorer?n=8&hw=4&view=downstream")
    wait_for_app(page, WAIT_MS)
    after, downstream = trace_values(page, "hist", 1), trace_values(page, "downstream", 1)
    page.evaluate(f"() => {{ window.afterBefore = JSON.stringify({AFTER}); }}")
    gamma = page.get_by_role("slider", name="γ (every channel)")
    gamma.focus()
    for _ in range(6):
        gamma.press("ArrowRight")
    # γ grew (1.3 after six steps of 0.05; a key press can be lost while a loaded server reruns)
    page.wait_for_function(
        "() => Number(new URLSearchParams(location.search).get('ga')) > 1", timeout=WAIT_MS
    )
    page.wait_for_function(f"() => JSON.stringify({AFTER}) !== window.afterBefore", timeout=WAIT_MS)
    wait_for_app(page, WAIT_MS)
    assert trace_values(page, "hist", 1) != after
    assert trace_values(page, "downstream", 1) != downstream  # γ·x̂ + β widened
    assert page.locator(ERRORS).count() == 0


def test_clicking_the_block_follows_that_element(page, served_app):
    page.goto(f"{served_app}/Explorer?norm=group&n=4&hw=2")
    wait_for_app(page, WAIT_MS)
    trace_values(page, "block", 0)  # the block is drawn
    block = page.locator(chart("block"))
    block.scroll_into_view_if_needed()
    points = block.locator(".scatterlayer .trace").first.locator(".point")
    points.last.click(force=True)
    page.wait_for_function("() => new URLSearchParams(location.search).get('fn') === '3'", timeout=WAIT_MS)
    wait_for_app(page, WAIT_MS)
    assert param(page, "fc") == "7"
    page.get_by_role("radio", name="Statistics", exact=True).click()  # the view that follows it step by step
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('view') === 'stats'", timeout=WAIT_MS
    )
    wait_for_app(page, WAIT_MS)
    assert "x[3, 7" in str(page.locator("[data-testid=stCaptionContainer]").all_inner_texts())
    assert page.locator(ERRORS).count() == 0


def test_chart_data_downloads_as_csv(page, served_app):
    page.goto(f"{served_app}/Explorer?n=4&c=2&hw=2")
    wait_for_app(page, WAIT_MS)
    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name="Charts' data (CSV)").click()  # made when clicked, not every rerun
    assert download.value.suggested_filename == "normcore-explorer.zip"
    with zipfile.ZipFile(download.value.path()) as archive:  # one CSV per chart on screen
        assert sorted(archive.namelist()) == ["block.csv", "hist.csv", "multiples.csv"]
        lines = archive.read("hist.csv").decode().splitlines()
    assert lines[0] == "bin_low,bin_high,before,after" and len(lines) == 51  # 50 bins
    assert sum(int(line.split(",")[2]) for line in lines[1:]) == 4 * 2 * 2 * 2  # every value counted once


def test_deep_link_restores_the_same_picture_on_a_fresh_server(browser, tmp_path):
    link = "Explorer?norm=group&g=4&c=8&n=7&hw=5&dist=skewed&seed=3&ga=1.5&be=0.25&fn=2&fc=5&sm=channel"
    process, url = serve(log=tmp_path / "fresh.log")  # nothing has run on this server yet
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/{link}")
        wait_for_app(page, WAIT_MS)
        assert page.get_by_role("combobox", name="Normalization").input_value() == "Group Norm"
        assert page.get_by_role("combobox", name="Groups G").input_value() == "4"
        assert page.get_by_role("radio", name="7", exact=True).get_attribute("aria-checked") == "true"  # kept
        assert page.get_by_role("combobox", name="Distribution shape").input_value() == "skewed (exponential)"
        # The bars are the core's numbers for exactly these settings.
        x = make_input(7, 8, 5, 5, Population(shape="skewed", seed=3))
        y = with_affine(run(x, "group", num_groups=4), np.full(8, 1.5), np.full(8, 0.25)).output
        after = histogram(y, 50, value_range(x, y))
        np.testing.assert_allclose(trace_values(page, "hist", 1), after.density(), rtol=1e-6)
        assert page.locator(chart("multiples")).locator(".textpoint").first.text_content() == "channel 0"
        assert page.locator(ERRORS).count() == 0
        page.close()
    finally:
        process.terminate()
        process.wait(timeout=20)


# ---- backward view (issue 14) ----


def test_backward_view_upstream_source_changes_the_gradients(page, served_app):
    page.goto(f"{served_app}/Explorer?n=8&hw=4&view=backward")
    wait_for_app(page, WAIT_MS)
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length === 4", timeout=WAIT_MS)
    upstream, grad = trace_values(page, "bw_grads", 0), trace_values(page, "bw_grads", 1)  # dL/dy and dL/dx
    assert sum(upstream) == sum(grad) == 8 * 8 * 4 * 4  # every value of the batch, binned
    page.evaluate(f"() => {{ window.upstreamBefore = JSON.stringify({UPSTREAM}); }}")
    page.get_by_role("radio", name="Squared error to the input").click()
    page.wait_for_function(
        "() => new URLSearchParams(location.search).get('up') === 'input'", timeout=WAIT_MS
    )
    page.wait_for_function(f"() => JSON.stringify({UPSTREAM}) !== window.upstreamBefore", timeout=WAIT_MS)
    wait_for_app(page, WAIT_MS)
    assert trace_values(page, "bw_grads", 0) != upstream
    charts = page.locator(".js-plotly-plot").count()
    assert charts == 4  # the batch; dy, dx, naive, difference; per-set sums; the block (scale section folded)
    assert "Coupled." in page.locator("[data-testid=stMarkdownContainer]").all_inner_texts().__str__()
    assert page.locator(ERRORS).count() == 0


# ---- the bar above the chart (issue 13) ----


@pytest.mark.parametrize("present", [False, True])
def test_batch_size_two_in_one_click_in_the_bar_redraws_the_chart(page, served_app, present):
    page.goto(f"{served_app}/Explorer?hw=4" + ("&present=true" if present else ""))
    wait_for_app(page, WAIT_MS)
    after = trace_values(page, "hist", 1)
    page.evaluate(f"() => {{ window.afterBefore = JSON.stringify({AFTER}); }}")
    bar = page.locator(".st-key-nc_stage")
    assert bar.is_visible()  # on the page, presenter mode (no sidebar) included
    bar.get_by_role("radio", name="2", exact=True).click()  # one action
    page.wait_for_function("() => new URLSearchParams(location.search).get('n') === '2'", timeout=WAIT_MS)
    page.wait_for_function(f"() => JSON.stringify({AFTER}) !== window.afterBefore", timeout=WAIT_MS)
    wait_for_app(page, WAIT_MS)
    assert trace_values(page, "hist", 1) != after
    x = make_input(2, 8, 4, 4, Population())
    y = run(x, "batch").output
    np.testing.assert_allclose(
        trace_values(page, "hist", 1), histogram(y, 50, value_range(x, y)).density(), rtol=1e-6
    )
    assert page.locator(ERRORS).count() == 0


def test_the_bar_fits_a_phone(browser, served_app):
    page = browser.new_page()
    as_phone(page)
    page.goto(f"{served_app}/Explorer")
    wait_for_app(page, WAIT_MS)
    for row, name in [
        ("nc_stage", "256"),
        ("nc_stage_layer", "PyTorch code"),
    ]:  # each choice's last, on screen
        box = page.locator(f".st-key-{row}").get_by_role("radio", name=name, exact=True).bounding_box()
        assert box and box["x"] + box["width"] <= 390, (name, box)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.close()
