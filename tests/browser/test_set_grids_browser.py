"""The "which elements share statistics" grids as a browser draws them, on a desktop and a phone, in
English and Korean: whole-number ticks, a legend clear of the channel title, panel texts that do not meet."""

from __future__ import annotations

import pytest

from tests.browser.layout import as_phone, meets
from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser
LOAD_MS = 180_000  # the shared host can be very loaded
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}

BOXES = """(index) => { const chart = document.querySelectorAll('.js-plotly-plot')[index];
  const box = el => { const r = el.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height}; };
  const all = sel => [...chart.querySelectorAll(sel)].map(box).filter(b => b.width > 0 && b.height > 0);
  return {
    legend: all('.legend .bg'),
    plots: all('.nsewdrag'),
    panelTitles: all('.annotation-text-g'),
    xTitles: all('text[class^=x][class$=title]'),
    yTitles: all('text[class^=y][class$=title]'),
    yTicks: [...chart.querySelectorAll('.ytick text')].map(t => t.textContent),
  };
}"""


def open_chart(page, served_app: str, path: str, size: str, index: int) -> dict:
    screen = dict(zip(("width", "height"), SIZES[size], strict=True))
    as_phone(page, screen) if size == "phone" else page.set_viewport_size(screen)
    page.goto(f"{served_app}/{path}")
    wait_for_app(page, LOAD_MS)
    page.wait_for_function(
        f"() => document.querySelectorAll('.js-plotly-plot').length > {index}", timeout=LOAD_MS
    )
    page.locator(".js-plotly-plot").nth(index).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    return page.evaluate(BOXES, index)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(("n", "lang"), [(1, "en"), (2, "ko")])
def test_block_ticks_whole_samples_and_legend_clear_of_the_channel_title(page, served_app, n, lang, size):
    boxes = open_chart(page, served_app, f"Explorer?norm=instance&n={n}&lang={lang}", size, 2)
    assert boxes["yTicks"] == [str(i) for i in range(n)][::-1] or boxes["yTicks"] == [
        str(i) for i in range(n)
    ]
    (legend,), (channel_title,) = boxes["legend"], boxes["xTitles"]
    assert not meets(legend, channel_title), (legend, channel_title)
    assert legend["top"] >= channel_title["bottom"]  # below it
    assert page.locator("[data-testid=stException], [data-testid=stAlertContentError]").count() == 0


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_home_grids_texts_do_not_meet(page, served_app, lang, size):
    """Nine grids side by side in threes: no two panel titles or x titles meet, and no y title runs
    into another panel's cells."""
    boxes = open_chart(page, served_app, f"?lang={lang}", size, 1)
    assert len(boxes["plots"]) == 9 and len(boxes["panelTitles"]) == 9
    for kind in ("panelTitles", "xTitles"):
        found = boxes[kind]
        clashes = [(a, b) for i, a in enumerate(found) for b in found[i + 1 :] if meets(a, b)]
        assert not clashes, (kind, clashes)
    for title in boxes["yTitles"]:
        assert sum(meets(title, plot) for plot in boxes["plots"]) == 0, title
