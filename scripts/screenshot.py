"""Screenshot pages of a running app in headless Chromium, to look at them as a person would.

python scripts/screenshot.py http://127.0.0.1:8501 "Explorer?norm=group" out.png [--full] [--phone]

--phone: a 390 x 844 window (an iPhone 12-14) instead of 1400 x 1000.
"""

import sys

from playwright.sync_api import sync_playwright

sys.path.insert(0, ".")
from tests.browser.layout import PHONE_AGENT  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PHONE = (390, 844)
DESKTOP = (1400, 1000)


def main(base: str, path: str, out: str, full: bool, phone: bool = False) -> None:
    width, height = PHONE if phone else DESKTOP
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        if phone:  # a phone's browser names itself so; the app then sends chart titles as wrapping text
            page.set_extra_http_headers({"User-Agent": PHONE_AGENT})
        page.goto(f"{base}/{path.lstrip('/')}")
        page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=120_000)
        page.wait_for_function(  # every chart drawn, no placeholder left
            "() => !document.querySelector('[data-testid=stSkeleton]') && document.querySelectorAll("
            "'[data-testid=stPlotlyChart]').length === document.querySelectorAll('.js-plotly-plot').length",
            timeout=120_000,
        )
        page.wait_for_timeout(1500)
        if full:  # Streamlit scrolls inside its own container: grow the window to fit it
            height = page.evaluate(
                "() => Math.max(...Array.from(document.querySelectorAll('[data-testid=stMain], section'))"
                ".map(e => e.scrollHeight), document.body.scrollHeight)"
            )
            page.set_viewport_size({"width": width, "height": min(int(height) + 100, 12000)})
            page.wait_for_timeout(1500)
        page.screenshot(path=out, full_page=full)
        errors = page.locator("[data-testid=stException], [data-testid=stAlertContentError]").count()
        print(f"{out}: {errors} error element(s)")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], "--full" in sys.argv, "--phone" in sys.argv)
