"""In Korean, on a desktop and on a phone, no chart's title meets its legend, its panels' titles or its plot."""

from __future__ import annotations

import pytest

from tests.browser.layout import EVERY_PAGE_KO, as_phone, meets
from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser
LOAD_MS = 180_000  # a first visit computes and draws every chart; the shared host can be very loaded

# Every page with charts but the Training lab (not checked here) and the Tour (no charts), with each of
# the Explorer's views,
# and in presenter mode (style.for_projector: every text at least 18 px).
PAGES = [p for p in EVERY_PAGE_KO if not p.startswith(("Training_lab", "Tour"))] + [
    "Small_batches?lang=ko&present=true",  # presenter mode: larger text and margins (style.for_projector)
    "Images?lang=ko&present=true",
    "?lang=ko&present=true",
    "Explorer?lang=ko&present=true",
    "Explorer?lang=ko&view=backward&present=true",
    "Train_vs_eval?lang=ko&present=true",
    "Weight_norms?lang=ko&present=true",
]
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}

# For each drawn plotly chart: the boxes of its title, legend, plot areas, panel titles and x-axis titles.
BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(chart => {
  const box = el => { const r = el.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height}; };
  const all = sel => [...chart.querySelectorAll(sel)].map(box).filter(b => b.width > 0 && b.height > 0);
  const title = chart.querySelector('.gtitle');
  return {
    title: title && title.textContent.trim() ? box(title) : null,
    text: title ? title.textContent : '',
    legend: all('.legend .bg').concat(all('.legend .scrollbox')).slice(0, 1),
    plots: all('.nsewdrag'),
    panelTitles: all('.annotation-text-g'),
    xTitles: all('text[class^=x][class$=title]'),
  };
})"""


def collisions(chart: dict) -> list[str]:
    """Every pair of a chart's parts that overlap, named."""
    found = []
    pairs = [("legend", part) for part in ("plots", "panelTitles", "xTitles")]
    for name, boxes in [
        ("legend", chart["legend"]),
        ("plot area", chart["plots"]),
        ("panel title", chart["panelTitles"]),
    ]:
        if chart["title"] and any(meets(chart["title"], b) for b in boxes):
            found.append(f"title meets {name}")
    for one, other in pairs:
        if any(meets(a, b) for a in chart[one] for b in chart[other]):
            found.append(f"{one} meets {other}")
    return found


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("path", PAGES)
def test_no_chart_title_meets_its_legend_or_plot_in_korean(served_app, page, path, size):
    screen = dict(zip(("width", "height"), SIZES[size], strict=True))
    as_phone(page, screen) if size == "phone" else page.set_viewport_size(screen)
    page.goto(f"{served_app}/{path}")
    wait_for_app(page, LOAD_MS)
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .gtitle').length > 0", timeout=LOAD_MS
    )
    page.wait_for_timeout(1000)  # plotly redraws once a chart has its final width
    charts = page.evaluate(BOXES)
    titled = [chart for chart in charts if chart["title"]]
    assert titled, f"{path}: no chart with a title was drawn"
    assert any(chart["legend"] for chart in titled), f"{path}: no titled chart has a legend to check"
    # Latin text in the page's font: the tick labels carry the figure's own font (Streamlit's theme sets the title's)
    fonts = page.evaluate(
        "() => [document.querySelector('[data-testid=stApp]'), document.querySelector('.js-plotly-plot .xtick text')]"
        ".map(e => getComputedStyle(e).fontFamily.split(',')[0].replace(/[\"']/g, '').trim())"
    )
    assert fonts[0] == fonts[1] == "Source Sans", fonts
    problems = {chart["text"]: collisions(chart) for chart in charts}
    assert not {text: found for text, found in problems.items() if found}, f"{path} at {size}"
