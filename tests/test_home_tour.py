"""The home page, the guided tour's steps, presenter mode: AppTests in both languages."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from figures import home as home_figures
from figures import style
from normcore import set_index
from tests.conftest import ROOT, open_page
from tests.set_grids import assert_sets_drawn, heatmap_fills, unit_edges
from ui import overview, tour
from ui.chrome import PAGE_LABELS, PAGES
from ui.i18n import CATALOGS, translate
from ui.url import _same

HANGUL = re.compile(r"[\uac00-\ud7a3]")
LANGS = ["en", "ko"]
STEP_NUMBERS = range(1, len(tour.STEPS) + 1)


def shown_text(at: AppTest) -> str:
    parts = [
        element.value
        for kind in ("markdown", "caption", "info", "title", "header")
        for element in at.get(kind)
    ]
    return "\n".join(str(part) for part in parts)


def chart_layouts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec)["layout"] for chart in at.get("plotly_chart")]


def page_links(at: AppTest) -> list[tuple[str, str, str]]:
    """``(label, page, query string)`` of every st.page_link shown."""
    return [(link.proto.label, link.proto.page, link.proto.query_string) for link in at.get("page_link")]


def nav_queries(at: AppTest) -> str:
    return "\n".join(query for _, _, query in page_links(at))


# ---- home ----


@pytest.mark.parametrize("lang", LANGS)
def test_home_page(lang):
    at = open_page(None, {"lang": lang})
    assert not at.exception, at.exception
    headers = [header.value for header in at.header]
    assert headers == [translate(f"home.h.{part}", lang) for part in ("why", "compare", "guide", "map")]
    assert len(at.get("plotly_chart")) == 2
    titles = [layout["title"]["text"] for layout in chart_layouts(at)]
    assert titles == [translate("home.sat.title", lang), translate("home.blocks_title", lang)]
    text = shown_text(at)
    for norm in overview.COMPARED:
        assert translate(f"home.norm.{norm.code}.name", lang) in text or norm.code == "adain"
    assert bool(HANGUL.search(text)) == (lang == "ko")
    table = at.get("table")[0]
    assert len(table.value) == len(overview.COMPARED)


def test_home_presenter_mode_enlarges_charts_and_keeps_the_switch():
    normal = open_page(None, {})
    presenting = open_page(None, {"present": "true"})
    assert not presenting.exception, presenting.exception
    assert presenting.toggle(key="present").value is True
    for small, big in zip(chart_layouts(normal), chart_layouts(presenting), strict=True):
        assert big["height"] == round(small["height"] * style.PROJECTOR_SCALE)
        assert big["font"]["size"] > small["font"].get("size", 12)
    css = [m.value for m in presenting.markdown if "stMetricValue" in m.value]
    assert css and "display: none" not in css[0]  # the sidebar folds (page config), it is not removed
    assert not [m.value for m in normal.markdown if "stMetricValue" in m.value]


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_has_the_copy_link_button(lang):
    at = open_page(None, {"lang": lang})
    assert at.button(key="copy_link").label == translate("chrome.copy_link", lang)
    scripts = [element.proto.body for element in at.get("html")]
    assert any("st-key-copy_link" in body and "location.href" in body for body in scripts)


# ---- the tour ----


@pytest.mark.parametrize("lang", LANGS)
def test_tour_overview_lists_every_step(lang):
    at = open_page(tour.TOUR_PAGE, {"lang": lang})
    assert not at.exception, at.exception
    text = shown_text(at)
    for step in tour.STEPS:
        assert translate(f"tour.{step.slug}.title", lang) in text
    queries = nav_queries(at)
    for number in STEP_NUMBERS:
        assert tour.tour_url(number, lang=lang).removeprefix("Tour?") in queries


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("number", STEP_NUMBERS)
def test_tour_step(number, lang):
    """Tour?step=k opens step k: its page with the presets and the narration, or a clear note."""
    step = tour.STEPS[number - 1]
    at = open_page(tour.TOUR_PAGE, {"step": str(number), "lang": lang})
    assert not at.exception, at.exception
    text = shown_text(at)
    assert translate(f"tour.{step.slug}.title", lang) in text
    assert translate(f"tour.{step.slug}.text", lang) in text
    assert translate("tour.step_of", lang, number=number, total=len(tour.STEPS)) in text
    page_label = translate(PAGE_LABELS[step.page], lang)
    not_there = translate("tour.not_available", lang, page=page_label)
    if step.available:
        assert not_there not in text
        assert translate("tour.intro", lang) not in text  # we left the tour page
        for key, value in step.params.items():
            assert key in at.session_state, f"{step.page} has no control {key!r}"
            assert _same([value], at.session_state[key]), (key, value, at.session_state[key])
        assert not [info for info in at.info if "=" in info.value], "a preset was corrected"
    else:
        assert not_there in text
    nav = nav_queries(at)
    assert ("tour=" in nav or "step=" in nav) and ("lang=ko" in nav) == (lang == "ko")


@pytest.mark.parametrize(
    "raw", ["0", str(len(tour.STEPS) + 1), "-1", "abc", "<script>alert(1)</script>", "1e9", ""]
)
def test_tour_refuses_a_bad_step_with_a_notice(raw):
    at = open_page(tour.TOUR_PAGE, {"step": raw})
    assert not at.exception, at.exception
    assert any(str(len(tour.STEPS)) in info.value for info in at.info)
    assert translate("tour.intro", "en") in shown_text(at)
    if "<" in raw:
        assert "`<script>" in shown_text(at)  # shown as code, never as markup


@pytest.mark.parametrize("raw", ["0", "x", "<b>2</b>"])
def test_a_bad_tour_value_on_a_page_is_a_notice(raw):
    at = open_page(None, {"tour": raw})
    assert not at.exception, at.exception
    assert any("1" in info.value and str(len(tour.STEPS)) in info.value for info in at.info)
    assert not [
        m for m in at.markdown if translate("tour.step_of", "en", number=1, total=len(tour.STEPS)) in m.value
    ]


def test_presenter_mode_survives_the_tour_and_keeps_url_values():
    number = next(i for i, step in enumerate(tour.STEPS, 1) if step.available and step.params)
    step = tour.STEPS[number - 1]
    at = open_page(tour.TOUR_PAGE, {"step": str(number), "present": "true"})
    assert not at.exception, at.exception
    assert at.toggle(key="present").value is True
    for key, value in step.params.items():  # the hidden sidebar's widgets still took the link's values
        assert _same([value], at.session_state[key])
    assert "present=true" in nav_queries(at)


def test_step_links_have_previous_and_next_only_where_they_exist():
    first = [label for label, _, _ in page_links(open_page(tour.TOUR_PAGE, {"step": "1"}))]
    last = [label for label, _, _ in page_links(open_page(tour.TOUR_PAGE, {"step": str(len(tour.STEPS))}))]
    assert "Previous" not in first and "Next" in first
    assert "Previous" in last and "Next" not in last


def test_step_targets():
    for number, step in enumerate(tour.STEPS, start=1):
        page, params = tour.step_target(number, lang="ko", present=True)
        if step.available:
            assert page == step.page and params["tour"] == str(number)
        else:
            assert page == tour.TOUR_PAGE and params["step"] == str(number)
        assert params["lang"] == "ko" and params["present"] == "true"


# ---- the step definitions ----


def test_steps_point_at_listed_pages_with_narration_in_every_language():
    scripts = [script for script, _, _ in PAGES]
    assert len({step.slug for step in tour.STEPS}) == len(tour.STEPS)
    for step in tour.STEPS:
        assert step.page in scripts and step.page != tour.TOUR_PAGE
        for catalog in CATALOGS.values():
            assert catalog[f"tour.{step.slug}.title"] and catalog[f"tour.{step.slug}.text"]
        sentences = CATALOGS["en"][f"tour.{step.slug}.text"].count(". ") + 1
        assert 2 <= sentences <= 4, step.slug


def test_step_urls():
    assert tour.url_path("pages/2_Small_batches.py") == "Small_batches"
    assert tour.url_path("pages/7_Tour.py") == "Tour"
    assert tour.url_path("app.py") == ""
    assert tour.tour_url(3) == "Tour?step=3"
    assert tour.tour_url(3, lang="ko") == "Tour?step=3&lang=ko"
    explorer = next(i for i, step in enumerate(tour.STEPS, 1) if step.page == "pages/1_Explorer.py")
    url = tour.step_url(explorer, lang="ko", present=True)
    assert url.startswith("Explorer?") and f"tour={explorer}" in url
    assert url.endswith("&lang=ko&present=true")
    assert (
        tour.absolute("Tour?step=2", "https://x.org/app/Tour", tour.TOUR_PAGE)
        == "https://x.org/app/Tour?step=2"
    )
    assert tour.absolute("Tour?step=2", None, tour.TOUR_PAGE) == "Tour?step=2"
    assert [tour.step_at(raw) for raw in ["1", " 2 ", "0", "99", "x", None]] == [1, 2, None, None, None, None]


def test_home_data_has_text_in_every_language():
    keys = [
        f"home.story.{slug}.{part}" for slug, _, _ in overview.STORIES for part in ("title", "text", "link")
    ]
    keys += [
        f"home.norm.{n.code}.{part}"
        for n in overview.COMPARED
        for part in ("name", "over", "batch", "eval", "use")
    ]
    keys += [f"home.guide.{advice.slug}{part}" for advice in overview.GUIDE for part in ("", ".why")]
    keys += ["home.map." + label.removeprefix("nav.") for _, label, _ in PAGES[1:]]
    keys += [f"home.{overview.BACKWARD_STORY[0]}.{part}" for part in ("title", "text", "link")]
    for catalog in CATALOGS.values():
        assert not [key for key in keys if key not in catalog]
    codes = {n.code for n in overview.COMPARED}
    assert all(set(advice.norms) <= codes for advice in overview.GUIDE)


HOME_PRESETS = [(script, presets) for _, script, presets in overview.STORIES]
HOME_PRESETS += [(advice.page, advice.presets) for advice in overview.GUIDE]
HOME_PRESETS += [overview.BACKWARD_STORY[1:]]  # issue 14: the backward pass


@pytest.mark.parametrize(("script", "presets"), [p for p in HOME_PRESETS if p[1] and (ROOT / p[0]).exists()])
def test_home_links_preset_controls_the_page_has(script, presets):
    at = open_page(script, presets)
    assert not at.exception, at.exception
    for key, value in presets.items():
        assert key in at.session_state, f"{script} has no control {key!r}"
        assert _same([value], at.session_state[key]), (key, value, at.session_state[key])


# ---- the home figures ----


def test_blocks_figure_colours_each_shared_set():
    panels = [(n.code, overview.membership(n), "x", "y") for n in overview.COMPARED]
    fig = home_figures.norm_blocks(panels, title="t", set_label="set")
    heatmaps = [trace for trace in fig.data if trace.type == "heatmap"]
    assert len(heatmaps) == len(overview.COMPARED)
    n, c, length = overview.BLOCK_SHAPE
    bn = np.array(heatmaps[0].customdata, dtype=float)  # (C, N * (L + 1) - 1) with gap columns
    assert bn.shape == (c, n * (length + 1) - 1)
    assert np.isnan(bn[:, length]).all()
    expected = np.broadcast_to(set_index(overview.BLOCK_SHAPE, "batch"), overview.BLOCK_SHAPE)
    np.testing.assert_array_equal(bn[:, :length], expected[0])
    assert all(len(set(row[~np.isnan(row)])) == 1 for row in bn)  # one set per channel across samples
    layer = np.array(heatmaps[1].customdata, dtype=float)
    assert len(set(layer[:, :length].ravel())) == 1 and layer[0, 0] != layer[0, length + 1]


@pytest.mark.parametrize("norm", overview.COMPARED, ids=lambda n: n.code)
def test_blocks_figure_tells_every_set_apart(norm):
    """In every norm's grid, read back from the figure: neighbouring sets (across the gap between
    samples too) never share a fill, only the marked element's set is orange, every set is outlined
    and the marked set's thick outline runs exactly around it."""
    panels = [(m.code, overview.membership(m), "x", "y") for m in overview.COMPARED]
    fig = home_figures.norm_blocks(panels, title="t", set_label="set")
    axis = "x" if norm == overview.COMPARED[0] else f"x{overview.COMPARED.index(norm) + 1}"
    heatmap, boundary, outline, marker = [trace for trace in fig.data if (trace.xaxis or "x") == axis]
    grid = np.array(heatmap.customdata, dtype=float)
    np.testing.assert_array_equal(grid, home_figures.block_grid(overview.membership(norm)))
    block, row, position = home_figures.FOLLOWED
    at = (row, block * (overview.membership(norm).shape[2] + 1) + position)
    assert (marker.y[0], marker.x[0]) == at and marker.marker.symbol == "x-thin"
    assert_sets_drawn(grid, heatmap_fills(heatmap), grid[at], style.AFTER, unit_edges(boundary.x, boundary.y),
                      unit_edges(outline.x, outline.y))  # fmt: skip
    assert outline.line.color == style.REFERENCE and outline.line.width > boundary.line.width


def _ems(text: str) -> float:
    """A text's width in ems, roughly: a Hangul syllable is one em, anything else half of one."""
    return sum(1.0 if "\uac00" <= ch <= "\ud7a3" else 0.5 for ch in text)


def test_blocks_figure_panel_titles_fit_three_to_a_phone():
    """At 390 px a panel is ~90 px wide: every line of a panel title (13 px) and every x axis title
    (11 px) stays within 7.5 ems (~95 px and ~80 px), long titles wrapping, in both languages."""
    for lang in ("en", "ko"):
        names = [translate(f"home.norm.{n.code}.name", lang) for n in overview.COMPARED]
        panels = [
            (name, overview.membership(n), "x", "y") for name, n in zip(names, overview.COMPARED, strict=True)
        ]
        fig = home_figures.norm_blocks(panels, title="t", set_label="set")
        titles = [a.text for a in fig.layout.annotations]
        assert [t.replace("<br>", " ") for t in titles] == names
        assert max(_ems(line) for t in titles for line in t.split("<br>")) <= 7.5, (lang, titles)
        for kind in ("activations", "weights"):
            assert _ems(translate(f"home.blocks.{kind}.x", lang)) <= 7.5, (lang, kind)
    assert home_figures.wrap("Weight Standardization") == "Weight<br>Standardization"
    assert home_figures.wrap("Batch Norm") == "Batch Norm"


def test_weight_norm_blocks():
    ws = next(n for n in overview.COMPARED if n.code == "ws")
    sn = next(n for n in overview.COMPARED if n.code == "sn")
    ws_sets, sn_sets = overview.membership(ws), overview.membership(sn)
    c_out = overview.WEIGHT_SHAPE[0]
    assert np.unique(ws_sets).size == c_out and (ws_sets[:, 2, :] == 2).all()
    assert np.unique(sn_sets).tolist() == [0]


def test_saturation_figure_is_the_computed_histograms():
    before, after, (share_before, share_after) = overview.saturation_histograms()
    labels = {key: key for key in ["before", "after", "sigmoid", "slope", "saturated", "x", "y", "y2"]}
    fig = home_figures.saturation(before, after, title="t", labels=labels)
    bars = [trace for trace in fig.data if trace.type == "bar"]
    np.testing.assert_allclose(bars[0].y, before.density())
    np.testing.assert_allclose(bars[1].y, after.density())
    assert share_before > 0.3 and share_after < 0.05
    raw, normalized = overview.sigmoid_inputs()
    assert abs(normalized.mean()) < 1e-6 and abs(normalized.std() - 1) < 1e-3
    assert overview.saturated_share(np.array([-10.0, 0.0, 10.0])) == pytest.approx(2 / 3)


def test_for_projector_copies_and_enlarges():
    fig = style.apply(home_figures.go.Figure(), title="t", height=300)
    big = style.for_projector(fig)
    assert fig.layout.height == 300 and big.layout.height == 450
    assert big.layout.font.size > (fig.layout.font.size or 12)


def test_membership_table_lists_every_element():
    table = overview.membership_table([n.code for n in overview.COMPARED])
    sizes = [overview.membership(n).size for n in overview.COMPARED]
    assert len(table["set"]) == sum(sizes)
    bn_rows = [
        (r, s) for name, r, s in zip(table["norm"], table["row"], table["set"], strict=True) if name == "bn"
    ]
    assert all(row == set_ for row, set_ in bn_rows)  # batch norm: one set per channel


@pytest.mark.parametrize("lang", LANGS)
def test_tour_list_offers_an_open_step_link_per_step_and_its_address_as_text(lang):
    at = open_page(tour.TOUR_PAGE, {"lang": lang})
    assert not at.exception, at.exception
    opened = {
        label: query for label, page, query in page_links(at) if page.endswith("Tour.py") or "Tour" in page
    }
    for number in STEP_NUMBERS:
        label = translate("tour.open_step", lang, number=number)
        assert label in opened, label
        assert opened[label] == tour.tour_url(number, lang=lang).removeprefix("Tour?")
    assert not [
        label for label, _, _ in page_links(at) if "://" in label or "?" in label
    ]  # no raw URL as a label
    codes = [code.value for code in at.code]
    assert all(any(tour.tour_url(number, lang=lang) in code for code in codes) for number in STEP_NUMBERS)


def test_presenter_mode_folds_a_tour_steps_narration_under_its_title():
    number = 3
    step = tour.STEPS[number - 1]
    heading = translate("tour.step_of", "en", number=number, total=len(tour.STEPS))
    for present, folded in (({}, False), ({"present": "true"}, True)):
        at = open_page(tour.TOUR_PAGE, {"step": str(number), **present})
        assert not at.exception, at.exception
        expanders = [e for e in at.expander if heading in e.label]
        assert bool(expanders) == folded
        if folded:
            assert translate(f"tour.{step.slug}.text", "en") in [m.value for m in expanders[0].markdown]
            assert expanders[0].proto.expanded is False  # the view comes first; the narration is a click away
        assert translate(f"tour.{step.slug}.text", "en") in shown_text(at)


def test_every_titled_chart_has_its_title_as_text_on_a_phone_and_only_there(monkeypatch):
    from ui import export

    for phone in (True, False):  # a phone's browser names itself in its User-Agent (ui.chrome.on_phone)
        monkeypatch.setattr(export, "on_phone", lambda phone=phone: phone)
        at = open_page("pages/6_Weight_norms.py", {"lang": "ko"})
        assert not at.exception, at.exception
        titles = [
            layout["title"]["text"] for layout in chart_layouts(at) if layout.get("title", {}).get("text")
        ]
        keyed = [m.value for m in at.markdown if m.value.startswith("**")]
        assert titles
        for title in titles:
            shown = any(value.replace("\\", "") == f"**{title}**" for value in keyed)
            assert shown == phone, (phone, title)


def test_every_step_focus_is_a_section_its_page_draws():
    """A step's ``focus`` (presenter mode scrolls to it) is the key of a control bar its page draws."""
    focused = [step for step in tour.STEPS if step.focus]
    assert len(focused) >= 3
    for step in focused:
        section = step.focus.removeprefix("nc_stage_")
        assert f'stage_bar("{section}"' in (ROOT / step.page).read_text(), step
