"""The chrome every page calls first: page config, language, presenter switch, navigation.

Pages are discovered from ``pages/`` (no ``st.navigation``: deep links must work on a
fresh server), and each page calls :func:`page_setup` itself. A page opened as a step of
the guided tour (``tour=k`` in its URL) also gets the step's narration with
previous/next links (:mod:`ui.tour`).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import hardening, tour
from ui.i18n import LANGUAGES, current_language, t
from ui.url import UrlCheck, choice, shown, start_run

ROOT = Path(__file__).resolve().parent.parent

hardening.apply()  # per-session limits for a public host; every page imports this module first

# (script, label key, icon); pages that do not exist yet are left out of the menu.
PAGES = [
    ("app.py", "nav.home", ":material/home:"),
    ("pages/1_Explorer.py", "nav.explorer", ":material/biotech:"),
    ("pages/2_Small_batches.py", "nav.small_batches", ":material/scatter_plot:"),
    ("pages/3_Train_vs_eval.py", "nav.train_vs_eval", ":material/swap_horiz:"),
    ("pages/4_Training_lab.py", "nav.training_lab", ":material/trending_up:"),
    ("pages/5_Images.py", "nav.images", ":material/image:"),
    ("pages/6_Weight_norms.py", "nav.weight_norms", ":material/tune:"),
    ("pages/7_Tour.py", "nav.tour", ":material/school:"),
]
PAGE_LABELS = {script: label_key for script, label_key, _ in PAGES}
PRESENTER_KEY = "present"

# Presenter mode folds the sidebar away (its » button still opens it: nothing becomes
# unreachable); the lesson's controls stand on the page (``nc_stage`` containers).
PRESENTER_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 1.3rem; }
[data-testid="stMain"] .block-container { max-width: 100%; padding: 2.5rem 2rem 2rem; }
[data-testid="stMain"] h1 { font-size: 2.6rem; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.3rem; }
[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMetricValue"] p { font-size: 3rem; line-height: 1.2; }
[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p { font-size: 1.3rem; }
[class*="st-key-"][class*="_csv"] [data-testid="stMarkdownContainer"] p { font-size: 1rem; }
/* the lecturer works the bar; the room reads the chart below it: a compact bar, the chart higher up */
[data-testid="stMain"] h1 { padding-top: 0; }
[class*="st-key-nc_stage"] [data-testid="stWidgetLabel"] p,
[class*="st-key-nc_stage"] [data-testid="stButtonGroup"] p,
[class*="st-key-nc_stage"] [data-testid="stRadio"] p { font-size: 1rem; }
/* a phone in presenter mode (a student following the lecturer's link): phone sizes */
@media (max-width: 640px) {
  html, body, [data-testid="stAppViewContainer"] { font-size: 1rem; }
  [data-testid="stMain"] .block-container { padding: 3.5rem 0.75rem 2rem; }
  [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.05rem; }
  [data-testid="stMain"] h1 { font-size: 1.9rem; }
}
</style>
"""

# One constant script (no text from the page or the URL goes into HTML):
# - a link inside a container keyed ``nc_nav...`` loads its page afresh, so a tour step
#   shows exactly what its URL describes even when it is on the page already showing;
# - the copy-link button copies the address the browser shows at that moment (every
#   control is in it), without a rerun; a tick confirms it.
# - a tour step in presenter mode names the element its narration is about in its container's key
#   (nc_step_<k>_focus_<element key>): once the app has drawn it, it scrolls to the top, once per address.
# No comments inside the script: a JavaScript comment there stopped the whole script from running.
CHROME_JS = """
<style>
.nc-copied p::after { content: " ✓"; }
[data-testid="stMain"] .block-container { padding-top: 3.5rem; }
/* the presenter switch and Copy link: one small row in the header's top right, out of the title's way */
.st-key-nc_chrome { position: fixed; top: 0.6rem; right: 3.5rem; z-index: 999991; width: auto !important;
  gap: 0.75rem; background: transparent; }
.st-key-nc_chrome [data-testid="stMarkdownContainer"] p { font-size: 14px !important; }
.st-key-nc_chrome button { min-height: 0; padding: 0.1rem 0.3rem; }
/* a tour link to the page already showing looks like any other link, not like "you are here" */
[class*="st-key-nc_nav"] a[data-testid="stPageLink-NavLink"] { background-color: transparent; color: inherit; }
[class*="st-key-nc_nav"] a[data-testid="stPageLink-NavLink"]:hover { background-color: rgba(164, 164, 182, 0.15); }
[class*="st-key-nc_nav"] a[data-testid="stPageLink-NavLink"] * { font-weight: 400; color: inherit; }
/* a chart's title as text above it (ui.export.show_chart): only on a phone, where plotly's would be cut */
@media (min-width: 641px) {
  [class*="st-key-nc_ctitle"], [data-testid="stLayoutWrapper"]:has(> [class*="st-key-nc_ctitle"]),
  .stElementContainer:has(> [class*="st-key-nc_ctitle"]) { display: none; }
}
/* a tour step's section scrolled to the top stays clear of the header */
[class*="st-key-nc_stage_"] { scroll-margin-top: 4.5rem; }
/* a link on the page (Home's "see it" links, the tour's) wraps rather than being cut at the column's edge */
[data-testid="stMain"] a[data-testid="stPageLink-NavLink"] :is(span, [data-testid="stMarkdownContainer"], p) {
  white-space: normal; overflow: visible; }
/* Korean headings break between words, not inside one (a word longer than the line still breaks) */
[data-testid="stMain"] :is(h1, h2, h3, h4) { word-break: keep-all; overflow-wrap: anywhere; }
/* the on-page control bars, and their segmented choices, wrap rather than run off a narrow screen */
[class*="st-key-nc_stage"] { flex-wrap: wrap; }
[class*="st-key-nc_stage"] [data-testid=stButtonGroup] > div { flex-wrap: wrap; row-gap: 0.25rem; }
@media (max-width: 640px) {
  [data-testid="stMain"] .block-container { padding-left: 0.75rem; padding-right: 0.75rem; }
  [data-testid="stMain"] h1 { font-size: 1.9rem !important; }
  [data-testid="stMain"] h2 { font-size: 1.45rem !important; }
  [class*="st-key-nc_stage"] > * { min-width: 100% !important; flex: 1 1 100% !important; }
  :is(.st-key-nc_stage, .st-key-nc_stage_layer) > :is(.st-key-norm, .st-key-mode, .st-key-ga, .st-key-be, .st-key-g) {
    min-width: 45% !important; flex: 1 1 45% !important; }
  [data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
  [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] { min-width: 100% !important; flex: 1 1 100% !important; }
  .js-plotly-plot .modebar-container { display: none !important; }
  [class*="st-key-nc_ctitle"] { margin-bottom: -1rem; }
  .js-plotly-plot .gtitle { display: none; }
  .js-plotly-plot .annotation-text { font-size: 11px !important; }
}
</style>
<script>
(() => {
  if (window.__normcoreChrome) return;
  window.__normcoreChrome = true;
  const copyText = (text) => {
    const area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  };
  let focused = "";
  setInterval(() => {
    const step = document.querySelector('[class*="st-key-nc_step_"][class*="_focus_"]');
    const idle = document.querySelector("[data-testid=stApp][data-test-script-state=notRunning]");
    if (!step || !idle || focused === window.location.href) return;
    const name = [...step.classList].find(c => c.includes("_focus_")).split("_focus_")[1];
    const target = document.querySelector(".st-key-" + CSS.escape(name));
    if (!target || document.querySelector("[data-testid=stSkeleton]")) return;
    focused = window.location.href;
    target.scrollIntoView({block: "start"});
  }, 300);
  document.addEventListener("click", (event) => {
    const link = event.target.closest('[class*="st-key-nc_nav"] a[href]');
    if (link) {
      event.preventDefault();
      event.stopImmediatePropagation();
      window.location.assign(link.href);
      return;
    }
    const button = event.target.closest(".st-key-copy_link button");
    if (!button) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const href = window.location.href;
    const done = () => {
      button.dataset.copied = href;
      button.classList.add("nc-copied");
      setTimeout(() => button.classList.remove("nc-copied"), 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(href).then(done, () => { copyText(href); done(); });
    } else {
      copyText(href);
      done();
    }
  }, true);
})();
</script>
"""


def page_setup(title_key: str) -> bool:
    """Set up a page: title, language, menu, presenter switch, copy-link button, tour narration.

    Returns whether presenter mode is on (pages may hide secondary controls).
    """
    start_run(title_key)
    check = UrlCheck("chrome")
    with st.sidebar:
        choice(
            st.radio,
            "Language · 언어",
            list(LANGUAGES),
            key="lang",
            labels=LANGUAGES.get,
            check=check,
            horizontal=True,
            help=t("chrome.language_help"),
        )
        _menu()
    st.set_page_config(page_title=f"normcore · {t(title_key)}", layout="wide")
    with st.container(
        key="nc_chrome", horizontal=True, horizontal_alignment="right", vertical_alignment="center"
    ):
        presenter = st.toggle(
            t("chrome.presenter"), key=PRESENTER_KEY, bind="query-params", help=t("chrome.presenter_help")
        )
        st.button(
            t("chrome.copy_link"),
            key="copy_link",
            icon=":material/link:",
            type="tertiary",
            help=t("chrome.copy_link_help"),
        )
    st.html(CHROME_JS, unsafe_allow_javascript=True)
    st.set_page_config(initial_sidebar_state="collapsed" if presenter else "auto")  # calls are additive
    check.check(PRESENTER_KEY, presenter)
    _check_tour_param(check)
    check.show()
    if presenter:
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)  # our constant CSS only
    st.title(t(title_key))
    _tour_narration(presenter)
    return presenter


def stage_bar(section: str, spec) -> list:
    """A bordered row of columns (``spec``: a count or widths) for a section's controls, standing on the page
    in every mode (the presenter CSS folds the sidebar; phones stack it), keyed ``nc_stage`` (``section``
    empty) or ``nc_stage_<section>`` so that the CSS above can find it."""
    key = f"nc_stage_{section}" if section else "nc_stage"
    return st.container(key=key, border=True).columns(spec)


def presenter_on() -> bool:
    """Whether the viewer has presenter mode on (after :func:`page_setup` ran)."""
    return bool(st.session_state.get(PRESENTER_KEY, False))


PHONE_AGENT_MARKS = ("Mobi", "Android", "iPhone")  # a phone's browser names itself so (MDN: "Mobi" in the UA)


def on_phone() -> bool:
    """Whether the viewer's browser says it runs on a phone (its User-Agent header)."""
    agent = (st.context.headers or {}).get("User-Agent") or ""
    return any(mark in agent for mark in PHONE_AGENT_MARKS)


def link_params() -> dict[str, str] | None:
    """The URL parameters that follow the viewer from page to page: language, presenter mode."""
    params = {"lang": current_language()} if current_language() != "en" else {}
    if presenter_on():
        params[PRESENTER_KEY] = "true"
    return params or None


def _menu() -> None:
    for script, label_key, icon in PAGES:
        if (ROOT / script).exists():
            st.page_link(script, label=t(label_key), icon=icon, query_params=link_params())


def _check_tour_param(check: UrlCheck) -> None:
    raw = check.requested.get(tour.ON_PAGE_PARAM)
    if raw and tour.step_at(raw[-1]) is None:
        check.notice(t("tour.bad_on_page", asked=shown(raw[-1]), total=len(tour.STEPS)))


def _tour_narration(presenter: bool) -> None:
    """On a page opened as tour step ``k`` (``tour=k`` in its URL): that step's narration."""
    number = tour.step_at(st.query_params.get(tour.ON_PAGE_PARAM))
    if number is not None:
        step_narration(number, presenter)


def step_narration(number: int, presenter: bool, note: str | None = None) -> None:
    """Tour step ``number``'s title, narration, an optional note, and previous/next links.

    In presenter mode the narration folds away under its title, so that the view it talks about
    is on the first screen (the lecturer says it; a click shows it); when that view is further down the
    page (the step's ``focus``), the page scrolls to it once it is drawn (:data:`CHROME_JS`).
    """
    step = tour.STEPS[number - 1]
    heading = (
        f"**{t('tour.step_of', number=number, total=len(tour.STEPS))} · {t(f'tour.{step.slug}.title')}**"
    )
    focus = f"_focus_{step.focus}" if presenter and step.focus else ""  # read by CHROME_JS from the key
    with st.container(border=True, key=f"nc_step_{number}{focus}"):
        if presenter:
            with st.expander(heading):
                st.markdown(t(f"tour.{step.slug}.text"))
        else:
            st.markdown(heading)
            st.markdown(t(f"tour.{step.slug}.text"))
        if note:
            st.info(note, icon=":material/construction:")
        step_links(number, presenter)


def step_links(number: int, presenter: bool) -> None:
    """Previous / all steps / next for step ``number`` (0: just "start the tour").

    Links in an ``nc_nav`` container load their page afresh (see :data:`CHROME_JS`).
    """
    lang = current_language()
    with st.container(key=f"nc_nav_{number}", horizontal=True):
        if number > 1:
            page, params = tour.step_target(number - 1, lang=lang, present=presenter)
            with st.container(key=f"nc_nav_prev_{number}", width="content"):
                st.page_link(
                    page, label=t("tour.previous"), icon=":material/arrow_back:", query_params=params
                )
        if number > 0:
            st.page_link(
                tour.TOUR_PAGE, label=t("tour.all_steps"), icon=":material/list:", query_params=link_params()
            )
        if number < len(tour.STEPS):
            page, params = tour.step_target(number + 1, lang=lang, present=presenter)
            label = t("tour.next") if number > 0 else t("tour.start")
            with st.container(key=f"nc_nav_next_{number}", width="content"):
                st.page_link(page, label=label, icon=":material/arrow_forward:", query_params=params)
