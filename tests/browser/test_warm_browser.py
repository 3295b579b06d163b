"""A server nobody has used yet: the tour's first slide (the Training lab) shows its charts without a click."""

from __future__ import annotations

import pytest

from tests.conftest import serve, wait_for_app
from ui.i18n import translate

pytestmark = pytest.mark.browser
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"


@pytest.fixture
def fresh_server(tmp_path):
    """Its own server, so that no other test has trained anything on it."""
    process, url = serve(log=tmp_path / "streamlit.log")
    yield url
    process.terminate()
    process.wait(timeout=20)


def test_the_first_tour_step_shows_its_charts_without_a_click(fresh_server, page):
    page.goto(f"{fresh_server}/Tour?step=1")
    page.wait_for_url("**/Training_lab?**", timeout=90_000)
    wait_for_app(page)
    charts = page.locator("[data-testid=stPlotlyChart]")
    charts.first.wait_for(timeout=90_000)
    # Both charts, drawn by the tour's redirected run (the first can arrive before the second on a loaded host)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stPlotlyChart]').length >= 2",
                           timeout=90_000)  # fmt: skip
    assert charts.count() == 2  # Figure 1: accuracy, percentiles
    main = page.locator("[data-testid=stMain]")
    assert main.get_by_role("button", name=translate("lab.train", "en"), exact=True).count() == 0
    assert translate("lab.press_train", "en")[:20] not in main.inner_text()
    assert page.locator(ERRORS).count() == 0


def test_a_changed_setting_keeps_the_charts_under_a_note_and_the_train_button(fresh_server, page):
    page.goto(f"{fresh_server}/Training_lab")
    wait_for_app(page)
    charts = page.locator("[data-testid=stPlotlyChart]")
    charts.first.wait_for(timeout=90_000)
    lr = page.locator(".st-key-nc_stage input[type=number]").nth(1)  # σ, then the learning rate
    lr.fill("0.3")
    lr.press("Enter")
    note = page.locator("[data-testid=stMain] [data-testid=stAlert]", has_text="Learning rate 0.5 (now 0.3)")
    note.wait_for(timeout=90_000)
    wait_for_app(page)
    train = page.locator("[data-testid=stMain]").get_by_role(
        "button", name=translate("lab.train", "en"), exact=True
    )
    assert train.count() == 1 and charts.count() == 2
    top = lambda locator: locator.bounding_box()["y"]  # noqa: E731
    assert top(train) < top(note) < top(charts.first)  # the button and the note above the kept charts
