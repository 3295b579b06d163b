"""Presenter mode, phones and the tour's links in a real headless Chromium (issue 13, sections 1, 4 and 5)."""

from __future__ import annotations

import pytest

from tests.browser.layout import EVERY_PAGE_KO, PHONE, as_phone
from tests.conftest import wait_for_app
from ui import tour
from ui.i18n import translate

pytestmark = pytest.mark.browser
LOAD_MS = 180_000  # a first visit computes and draws every chart; the shared host can be very loaded

PAGES = EVERY_PAGE_KO

# The computed font size (px) of every legend entry, tick label and panel title of every drawn chart.
TEXT_SIZES = """() => [...document.querySelectorAll(
  '.js-plotly-plot .legendtext, .js-plotly-plot .xtick text, .js-plotly-plot .ytick text, ' +
  '.js-plotly-plot .annotation-text, .js-plotly-plot .textpoint text'
)].map(e => parseFloat(getComputedStyle(e).fontSize))"""

SIDEBAR_FOLDED = "() => document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().right <= 0"


def load(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page, LOAD_MS)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stSkeleton]') && document.querySelectorAll("
        "'[data-testid=stPlotlyChart]').length === document.querySelectorAll('.js-plotly-plot').length",
        timeout=LOAD_MS,
    )
    page.wait_for_timeout(1000)  # plotly redraws once a chart has its final width


def test_presenter_mode_chart_text_is_large_whether_switched_on_or_linked(served_app, page):
    page.set_viewport_size({"width": 1440, "height": 900})
    load(page, f"{served_app}/Explorer")
    normal = page.evaluate(TEXT_SIZES)
    assert normal and max(normal) < 18  # the measure can tell: at a desk the text is smaller
    page.get_by_text(translate("chrome.presenter", "en")).click()
    page.wait_for_url("**present=true**")
    page.wait_for_function(SIDEBAR_FOLDED)
    wait_for_app(page, LOAD_MS)
    page.wait_for_function(
        "() => parseFloat(getComputedStyle(document.querySelector('.js-plotly-plot .xtick text')).fontSize) >= 18",
        timeout=LOAD_MS,
    )
    page.wait_for_timeout(1000)
    toggled = page.evaluate(TEXT_SIZES)
    load(page, f"{served_app}/Explorer?present=true")
    linked = page.evaluate(TEXT_SIZES)
    assert len(toggled) > 10 and min(toggled) >= 18, sorted(toggled)[:5]
    assert len(linked) > 10 and min(linked) >= 18, sorted(linked)[:5]
    assert sorted(toggled) == sorted(linked)  # one size whichever way presenter mode came on


def test_presenter_mode_folds_the_sidebar_and_its_button_opens_it(served_app, page):
    page.set_viewport_size({"width": 1440, "height": 900})
    load(page, f"{served_app}/Explorer?present=true")
    page.wait_for_function(SIDEBAR_FOLDED)
    channels = page.locator("[data-testid=stSidebar]").get_by_text(translate("explorer.channels", "en"))
    box = channels.bounding_box()
    assert box["x"] + box["width"] <= 0  # folded off the screen, so the stage is the page's
    page.locator("[data-testid=stExpandSidebarButton]").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().left >= 0"
    )
    page.wait_for_timeout(500)  # the sidebar slides in
    assert channels.bounding_box()["x"] >= 0  # a secondary control is one click away, not gone


def test_presenter_mode_metrics_grow_and_the_chrome_stays_out_of_the_way(served_app, page):
    page.set_viewport_size({"width": 1440, "height": 900})
    sizes = {}
    for mode, query in (("normal", ""), ("presenter", "&present=true")):
        load(page, f"{served_app}/Small_batches?lang=ko{query}")
        sizes[mode] = page.evaluate(
            "() => { const v = document.querySelector('[data-testid=stMetricValue]');"
            " return [v, v.querySelector('p') || v].map(e => parseFloat(getComputedStyle(e).fontSize)); }"
        )
        chrome = page.locator(".st-key-nc_chrome").bounding_box()
        title = page.locator("[data-testid=stMain] h1").first.bounding_box()
        assert chrome["height"] < 50 and chrome["y"] + chrome["height"] <= title["y"], (mode, chrome, title)
        assert page.locator(".st-key-nc_chrome").get_by_role("button").first.is_visible()
    shown = {mode: size[1] for mode, size in sizes.items()}  # the digits a reader sees
    assert shown["presenter"] > shown["normal"], sizes


@pytest.mark.parametrize("path", PAGES)
def test_a_phone_shows_every_page_within_the_screen(served_app, page, path):
    as_phone(page)
    load(page, f"{served_app}/{path}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    charts = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].map(chart => {
          const box = chart.getBoundingClientRect(), title = chart.querySelector('.gtitle');
          const shown = title && title.checkVisibility() ? title.getBoundingClientRect() : null;
          const panels = [...chart.querySelectorAll('.nsewdrag')].map(r => Math.round(r.getBoundingClientRect().left));
          return {width: box.width, title: shown && [shown.left, shown.right], panels: panels.length,
                  columns: new Set(panels).size,
                  bar: !!chart.querySelector('.modebar-container')?.checkVisibility()}; })"""
    )
    for chart in charts:
        # side-by-side panels one under another: up to four in one column, a grid of more in two
        assert chart["columns"] <= (1 if chart["panels"] <= 4 else 2), chart
        assert chart["width"] <= PHONE["width"], chart
        assert chart["title"] is None or (chart["title"][0] >= 0 and chart["title"][1] <= PHONE["width"]), (
            chart
        )
        assert not chart["bar"], "the plotly toolbar shows on a phone"
    titles = page.evaluate(
        """() => [...document.querySelectorAll('[class*="st-key-nc_ctitle"]')].map(e => {
          const r = e.getBoundingClientRect(), p = e.querySelector('p');
          return {text: p.textContent, left: r.left, right: r.right, cut: p.scrollWidth > p.clientWidth + 1}; })"""
    )
    assert len(titles) == page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot .gtitle')].filter(t => t.textContent.trim()).length"
    )
    for title in titles:  # the chart's title as wrapping text above it, whole, on the screen
        assert title["left"] >= 0 and title["right"] <= PHONE["width"] and not title["cut"], title


@pytest.mark.parametrize("mode", ["present", "phone"])
def test_no_link_on_the_page_is_cut(served_app, page, mode):
    """Home's "see it" links are long in Korean: they wrap in presenter mode's column and on a phone."""
    if mode == "phone":
        as_phone(page)
    else:
        page.set_viewport_size({"width": 1400, "height": 1000})
    load(page, f"{served_app}/?lang=ko" + ("&present=true" if mode == "present" else ""))
    cut = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stMain] a[data-testid="stPageLink-NavLink"] p')]
          .filter(p => p.scrollWidth > p.parentElement.closest('span').clientWidth + 1).map(p => p.textContent)"""
    )
    links = page.locator("[data-testid=stMain] a[data-testid='stPageLink-NavLink']").count()
    assert links >= 4 and cut == [], cut


def test_a_phone_shows_every_column_of_the_conventions_table(served_app, page):
    """Train vs eval's text points at the table's last column: on a phone it is on the screen, not behind a
    scroll inside the table."""
    as_phone(page)
    load(page, f"{served_app}/Train_vs_eval?lang=ko")
    rights = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stTable] th')].map(h => h.getBoundingClientRect().right)"
    )
    assert len(rights) >= 4 and max(rights) <= PHONE["width"], rights


def test_a_phone_stacks_side_by_side_columns(served_app, page):
    as_phone(page)
    load(page, f"{served_app}/Explorer?lang=ko")
    columns = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stColumn]')]"
        ".map(c => c.getBoundingClientRect()).filter(r => r.width > 0).map(r => r.width)"
    )
    assert columns and min(columns) > 0.8 * (PHONE["width"] - 40), columns


def test_a_tour_link_to_the_page_showing_looks_like_any_link(served_app, page):
    # Step 2 (the Explorer): "Previous" goes to the Training lab, "Next" to the Explorer itself.
    assert tour.STEPS[1].page == tour.STEPS[2].page != tour.STEPS[0].page
    load(page, f"{served_app}/{tour.step_url(2)}")
    style = """e => { const a = e.querySelector('a'), p = a.querySelector('p');
      return [getComputedStyle(a).backgroundColor, getComputedStyle(p).fontWeight, getComputedStyle(p).color]; }"""
    previous = page.locator(".st-key-nc_nav_prev_2").evaluate(style)
    following = page.locator(".st-key-nc_nav_next_2").evaluate(style)
    assert following == previous


def test_the_tour_list_offers_an_open_step_link_and_the_slide_address(served_app, page):
    load(page, f"{served_app}/Tour?lang=ko")
    for number in (1, len(tour.STEPS)):
        row = page.locator(f".st-key-nc_nav_slide_{number}")
        link = row.locator("a")
        assert link.inner_text().strip().endswith(translate("tour.open_step", "ko", number=number))
        assert "://" not in link.inner_text()
        assert tour.tour_url(number, lang="ko") in row.locator("code").inner_text()
    with page.expect_navigation():
        page.locator(".st-key-nc_nav_slide_2 a").click()
    page.wait_for_url(f"**{tour.url_path(tour.STEPS[1].page)}?**tour=2**")
