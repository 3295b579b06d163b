"""What several browser tests share: the pages they visit and how they compare boxes on screen."""

# Every page, in Korean (the longer titles); the Explorer's views each draw other charts.
EVERY_PAGE_KO = [
    "?lang=ko",
    "Explorer?lang=ko",
    "Explorer?lang=ko&view=stats",
    "Explorer?lang=ko&view=downstream",
    "Explorer?lang=ko&view=backward",
    "Small_batches?lang=ko",
    "Train_vs_eval?lang=ko",
    "Training_lab?lang=ko",
    "Images?lang=ko",
    "Weight_norms?lang=ko",
    "Tour?lang=ko",
]


def meets(a: dict, b: dict) -> bool:
    """Whether two boxes (left, top, right, bottom) overlap."""
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


PHONE = {"width": 390, "height": 844}
# A phone's browser names itself in its User-Agent; the app sends chart titles as wrapping text to phones only.
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


def as_phone(page, size: dict | None = None) -> None:
    """``page`` as a phone shows the app: the phone's screen and its browser's User-Agent (ui.chrome.on_phone)."""
    page.set_viewport_size(size or PHONE)
    page.set_extra_http_headers({"User-Agent": PHONE_AGENT})
