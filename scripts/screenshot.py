"""Screenshot pages of a running app in headless Chromium, to look at them as a person would.

python scripts/screenshot.py http://127.0.0.1:8501 "Explorer?norm=group" out.png [--full]
"""

import sys

from playwright.sync_api import sync_playwright

sys.path.insert(0, ".")
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def main(base: str, path: str, out: str, full: bool) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/{path.lstrip('/')}")
        page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=120_000)
        page.wait_for_timeout(1500)
        if full:  # Streamlit scrolls inside its own container: grow the window to fit it
            height = page.evaluate(
                "() => Math.max(...Array.from(document.querySelectorAll('[data-testid=stMain], section'))"
                ".map(e => e.scrollHeight), document.body.scrollHeight)"
            )
            page.set_viewport_size({"width": 1400, "height": min(int(height) + 100, 12000)})
            page.wait_for_timeout(1500)
        page.screenshot(path=out, full_page=full)
        errors = page.locator("[data-testid=stException], [data-testid=stAlertContentError]").count()
        print(f"{out}: {errors} error element(s)")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], "--full" in sys.argv)
