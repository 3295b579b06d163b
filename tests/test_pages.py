"""Every page in the menu renders in both languages from app.py, and the skeleton's controls work."""

import json

import plotly.io as pio
import pytest

from figures import style
from tests.conftest import ROOT, open_page
from ui.chrome import PAGES

EXISTING = [script for script, _, _ in PAGES if (ROOT / script).exists() and script != "app.py"]


def test_home_renders_in_both_languages():
    titles = set()
    for lang in ["en", "ko"]:
        at = open_page(params={"lang": lang})
        assert not at.exception
        titles.add(at.title[0].value)
    assert len(titles) == 2, "the home page's title is translated"


@pytest.mark.parametrize("script", EXISTING)
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_page_renders(script, lang):
    at = open_page(script, {"lang": lang})
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value, "every page shows its title"
    kinds = {
        trace.get("type", "scatter")
        for chart in at.get("plotly_chart")
        for trace in json.loads(chart.proto.spec)["data"]
    }
    assert kinds <= set(style.TRACE_TYPES), f"{kinds - set(style.TRACE_TYPES)}: add to the compact template"


def test_the_compact_template_keeps_plotly_white_for_what_is_drawn():
    white, compact = (pio.templates[name].to_plotly_json() for name in ("plotly_white", "normcore"))
    assert pio.templates.default == "normcore"
    assert compact["data"] == {
        kind: white["data"][kind] for kind in style.TRACE_TYPES if kind in white["data"]
    }
    assert compact["layout"] == {k: v for k, v in white["layout"].items() if k not in style.UNUSED_LAYOUT}


def test_language_switch_translates_the_page():
    # On the home page: AppTest formats selectbox labels outside a script run, so a page
    # with translated selectboxes is switched in the browser test instead.
    at = open_page(params={"lang": "ko"})
    korean = at.title[0].value
    assert any("\uac00" <= ch <= "\ud7a3" for ch in korean), "the Korean title is Hangul"
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value != korean
    assert at.query_params.get("lang") is None, "the default language leaves the URL clean"


@pytest.mark.parametrize("norm", ["batch", "layer", "instance", "group"])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_explorer_controls(norm, mode):
    at = open_page("pages/1_Explorer.py", {"norm": norm, "mode": mode})
    assert not at.exception
    assert at.selectbox(key="norm").value == norm
    assert at.segmented_control(key="mode").value == mode
    at.segmented_control(key="n").set_value("4").run()
    at.slider(key="hw").set_value(2).run()
    assert not at.exception
    assert not at.warning, [w.value for w in at.warning]


def test_explorer_batch_of_one_without_space_explains_instead_of_failing():
    at = open_page("pages/1_Explorer.py", {"norm": "batch", "n": "1", "hw": "1"})
    assert not at.exception
    assert "more than 1 value per channel" in at.warning[0].value


@pytest.mark.parametrize(
    "params",
    [
        {"n": "-5"},
        {"n": "1e12"},
        {"n": "abc"},
        {"hw": "<script>alert(1)</script>"},
        {"g": "5", "norm": "group"},  # G applies to group norm only (elsewhere it leaves the link)
        {"norm": "banana"},
        {"mode": ["train", "eval", "x"]},
        {"seed": "nan"},
        {"lang": "fr"},
    ],
)
def test_explorer_hostile_url_values_become_notices(params):
    at = open_page("pages/1_Explorer.py", params)
    assert not at.exception
    notices = " ".join(i.value for i in at.info)
    key = next(iter(params))
    if key != "lang":
        assert f"{key}=" in notices, notices
    assert "<script>" not in notices.replace("`<script>alert(1)</script>`", ""), "markup only inside code"
