"""The guided tour: an ordered list of steps, each one page with preset controls.

A step is a page script, the URL parameters that preset its controls, and a ``slug``
naming its narration in the catalogs (``tour.<slug>.title``, ``tour.<slug>.text``).
Step ``k`` (1-based) is reachable two ways: ``Tour?step=k`` (stable, for slides; it
forwards to the step's page) and the page itself with ``tour=k`` in its URL, which makes
:func:`ui.chrome.page_setup` show the narration with previous/next links. Update a step
here when a page's parameter keys change; ``tests/test_home_tour.py`` checks that every
preset key is one the page really reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
TOUR_PAGE = "pages/7_Tour.py"
STEP_PARAM = "step"  # on the tour page: Tour?step=3
ON_PAGE_PARAM = "tour"  # on a step's page: Explorer?norm=batch&tour=2


@dataclass(frozen=True)
class Step:
    slug: str  # narration keys tour.<slug>.title and tour.<slug>.text
    page: str  # script path relative to the app root, e.g. "pages/1_Explorer.py"
    params: dict[str, str] = field(default_factory=dict)  # the preset controls
    # The key of the page's element the narration is about, when it is not at the top (a section's control
    # bar, ``nc_stage_<section>``): in presenter mode the page scrolls to it (ui.chrome.step_narration).
    focus: str = ""

    @property
    def available(self) -> bool:
        """Whether this version of the app has the step's page."""
        return (ROOT / self.page).exists()


# Keys as each page documents them: Explorer (norm, n, c, hw, g, ga, be, act, ...), Small batches (b, ...),
# Train vs eval (demo, ...), Training lab (view, act, ...), Images (norm, ...), Weight norms (iters, ...).
STEPS: list[Step] = [
    Step("shift", "pages/4_Training_lab.py", {"view": "fig1", "act": "sigmoid"}),
    Step(
        "formula", "pages/1_Explorer.py", {"norm": "batch", "n": "16", "c": "4", "hw": "4", "view": "stats"}
    ),
    Step(
        "affine",
        "pages/1_Explorer.py",
        {"norm": "batch", "ga": "2.5", "be": "1.5", "act": "sigmoid", "view": "downstream"},
    ),
    Step(
        "backward",
        "pages/1_Explorer.py",
        {"norm": "batch", "n": "8", "c": "4", "hw": "4", "view": "backward", "up": "random", "sa": "10"},
    ),
    Step("train_eval", "pages/3_Train_vs_eval.py", {"demo": "true"}, focus="nc_stage_forgot"),
    Step("small_batches", "pages/2_Small_batches.py", {"b": "2"}, focus="nc_stage_bands"),
    Step("alternatives", "pages/1_Explorer.py", {"norm": "group", "g": "4", "n": "2"}),
    Step("images", "pages/5_Images.py", {"norm": "instance"}, focus="nc_stage_in"),
    Step("weights", "pages/6_Weight_norms.py", {"iters": "5"}),
    Step("speed", "pages/4_Training_lab.py", {"view": "lr"}),
]


def step_at(raw: str | None) -> int | None:
    """The 1-based step number a URL value names, or None if it names none."""
    try:
        number = int(str(raw).strip())
    except ValueError:
        return None
    return number if 1 <= number <= len(STEPS) else None


def url_path(page: str) -> str:
    """The URL path Streamlit gives a script: ``pages/2_Small_batches.py`` -> ``Small_batches``."""
    if page == "app.py":
        return ""
    name = Path(page).stem
    prefix, _, rest = name.partition("_")
    return rest if prefix.isdigit() and rest else name


def step_params(number: int, *, lang: str = "en", present: bool = False) -> dict[str, str]:
    """The query parameters of step ``number`` on its page, with the viewer's language and mode."""
    params = dict(STEPS[number - 1].params)
    params[ON_PAGE_PARAM] = str(number)
    if lang != "en":
        params["lang"] = lang
    if present:
        params["present"] = "true"
    return params


def step_url(number: int, *, lang: str = "en", present: bool = False) -> str:
    """The relative URL of step ``number`` on its page, e.g. ``Explorer?norm=batch&tour=2``."""
    step = STEPS[number - 1]
    return f"{url_path(step.page)}?{urlencode(step_params(number, lang=lang, present=present))}"


def tour_params(number: int, *, lang: str = "en", present: bool = False) -> dict[str, str]:
    """The tour page's parameters for step ``number``: ``step=3`` (and the language, mode)."""
    params = {STEP_PARAM: str(number)}
    if lang != "en":
        params["lang"] = lang
    if present:
        params["present"] = "true"
    return params


def step_target(number: int, *, lang: str = "en", present: bool = False) -> tuple[str, dict[str, str]]:
    """Where a link to step ``number`` goes: its own page with its presets, or, while this
    version lacks that page, the tour page, which shows the narration and says so."""
    if STEPS[number - 1].available:
        return STEPS[number - 1].page, step_params(number, lang=lang, present=present)
    return TOUR_PAGE, tour_params(number, lang=lang, present=present)


def tour_url(number: int, *, lang: str = "en") -> str:
    """The stable link for slides, e.g. ``Tour?step=3&lang=ko``."""
    return f"{url_path(TOUR_PAGE)}?{urlencode(tour_params(number, lang=lang))}"


def absolute(relative: str, current_url: str | None, current_page: str) -> str:
    """``relative`` (e.g. ``Tour?step=3``) as a full address, given the page's own address
    (``st.context.url``, which is None outside a browser); relative if that is unknown."""
    if not current_url:
        return relative
    base = current_url.rstrip("/").removesuffix(url_path(current_page)).rstrip("/")
    return f"{base}/{relative}"
