"""Small batches and Train vs eval, served and driven in headless Chromium."""

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser
ERRORS = "[data-testid=stException], [data-testid=stAlertContentError]"
FIRST_LOAD_MS = 180_000  # the first visit renders 4 plotly charts; the shared CI host can be very loaded


def trace(page, chart: int, index: int) -> str:
    """Trace ``index`` of chart ``chart``'s y values as plotly holds them, serialized."""
    script = f"() => JSON.stringify(document.querySelectorAll('.js-plotly-plot')[{chart}].data[{index}].y)"
    page.wait_for_function(
        f"() => document.querySelectorAll('.js-plotly-plot')[{chart}]?.data", timeout=60_000
    )
    return page.evaluate(script)


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
    before = trace(page, 0, 0)
    press(page, "Batch size B", "ArrowRight", 2)  # 4 -> 16
    page.wait_for_function("() => new URLSearchParams(location.search).get('b') === '16'", timeout=30_000)
    wait_for_app(page)
    page.wait_for_function(
        "before => JSON.stringify(document.querySelectorAll('.js-plotly-plot')[0].data[0].y) !== before",
        arg=before,
        timeout=30_000,
    )
    assert page.locator(ERRORS).count() == 0


def test_train_vs_eval_curves_change_with_momentum_in_korean(page, served_app):
    page.goto(f"{served_app}/Train_vs_eval?lang=ko&m=0.2")
    wait_for_app(page, FIRST_LOAD_MS)
    assert page.get_by_role("heading", name="학습 vs 평가: 이동 통계는 실제로 무엇을 하는가").is_visible()
    before = trace(page, 0, 2)  # the line of the user's momentum (sorted among 0.01, 0.1, 0.2, 0.5)
    press(page, "모멘텀 m (PyTorch)", "End", 1)  # 0.2 -> 1.0
    page.wait_for_function("() => new URLSearchParams(location.search).get('m') === '1'", timeout=30_000)
    wait_for_app(page)
    page.wait_for_function(
        "before => JSON.stringify(document.querySelectorAll('.js-plotly-plot')[0].data[3].y) !== before",
        arg=before,
        timeout=30_000,
    )
    assert page.locator(ERRORS).count() == 0
