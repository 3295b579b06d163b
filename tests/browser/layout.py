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
