"""AppTests of the small-batches and train-vs-eval pages: controls, hostile links, live recompute."""

import time

import pytest

from normcore.experiments import gn_batch
from tests.conftest import open_page
from tests.stage_layout import chart_spec, sidebar_controls, stages
from ui import gn_recompute, jobs
from ui.i18n import translate

SMALL = "pages/2_Small_batches.py"
TRAIN_EVAL = "pages/3_Train_vs_eval.py"
MOMENTA = ["0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1"]


def chart_count(at) -> int:
    return len(at.get("plotly_chart"))


def test_small_batches_default_and_main_controls():
    at = open_page(SMALL)
    assert not at.exception
    assert chart_count(at) == 4 and not at.warning and not at.info
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["σ/√B (theory)"] != metrics["spread of μ_B (measured)"]
    at.select_slider(key="b").set_value("2").run()
    at.slider(key="ch").set_value(3).run()
    at.slider(key="rmax").set_value(1.0).run()
    at.slider(key="dmax").set_value(0.0).run()
    at.selectbox(key="g").set_value("4").run()
    at.number_input(key="ex").set_value(17).run()
    assert not at.exception
    assert at.query_params["b"] == "2"
    assert "Expected more than 1 value per channel" in at.code[0].value


def test_small_batches_batch_of_one():
    at = open_page(SMALL, {"b": "1"})
    assert not at.exception and chart_count(at) == 4
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["mean of σ²_B (measured)"] == "0.0000"


@pytest.mark.parametrize(
    "params",
    [
        {
            "b": "3",
            "k": "99999999",
            "ch": "-1",
            "ex": "1e12",
            "g": "7",
            "rmax": "nan",
            "dmax": "inf",
            "seeds": "50",
        },
        {"b": "<script>", "k": "abc", "seed": "-4", "lang": "xx"},
    ],
)
def test_small_batches_hostile_links_get_a_notice(params):
    at = open_page(SMALL, params)
    assert not at.exception and chart_count(at) == 4
    notices = " ".join(i.value for i in at.info)
    for key in params:
        if key != "lang":
            assert f"{key}=" in notices, key


def test_small_batches_in_korean():
    at = open_page(SMALL)
    at.radio(key="lang").set_value("ko").run()
    assert not at.exception and chart_count(at) == 4
    assert at.title[0].value.startswith("작은 배치")


TINY = ("--epochs", "1", "--batch-sizes", "2", "32", "--norms", "batch", "group", "--workers", "1")


@pytest.fixture
def sessions(monkeypatch):
    """A fresh job registry, and AppTests that stand for different browser sessions.

    Every AppTest has the same session id, so ``sessions.now`` says whose run this is.
    """

    class Sessions:
        now = "a"

    registry = jobs.Registry(is_alive=lambda session: True, tick=0.1)
    monkeypatch.setattr(jobs, "REGISTRY", registry)
    monkeypatch.setattr(jobs, "session_id", lambda: Sessions.now)
    monkeypatch.setattr(gn_recompute, "command", lambda seeds: gn_batch.sweep_command(seeds, TINY, "{out}"))
    yield Sessions
    registry.stop_all()


def texts(at) -> str:
    return " ".join(e.value for e in [*at.caption, *at.markdown, *at.warning])


def run_until(at, text: str, seconds: float = 300) -> None:
    """Rerun ``at`` (as the page's polling fragment would) until ``text`` is on the page."""
    deadline = time.monotonic() + seconds
    while text not in texts(at):
        assert time.monotonic() < deadline, texts(at)
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception


def test_recompute_is_shown_to_the_asking_session_only(sessions):
    sessions.now = "a"
    asker = open_page(SMALL, {"seeds": "2"})
    assert "The result shipped with the app (seeds: 5;" in texts(asker)
    asker.button(key="recompute").click().run()
    assert not asker.exception
    assert [p.proto.text for p in asker.get("progress")]  # progress from the first second
    sessions.now = "b"
    other = open_page(SMALL, {"seeds": "2"})
    other.button(key="recompute").click().run()  # a second session waits in line
    assert "number 1 of 1 in line" in " ".join(p.proto.text for p in other.get("progress"))
    other.button(key="recompute_cancel").click().run()
    assert "You stopped the recompute" in texts(other)
    sessions.now = "a"
    run_until(asker, "Your own recomputation")
    assert "Seeds per point in this figure: 2." in texts(asker)
    sessions.now = "b"
    other.run()
    assert "The result shipped with the app (seeds: 5;" in texts(other)  # b's figure did not change
    assert "Your own recomputation" not in texts(other)
    sessions.now = "a"
    asker.radio(key="gn_view").set_value("shipped").run()  # the way back
    assert "The result shipped with the app (seeds: 5;" in texts(asker)
    assert not asker.exception


def test_recompute_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("NORMCORE_RECOMPUTE", "off")
    at = open_page(SMALL)
    assert not at.exception
    assert "NORMCORE_RECOMPUTE=off" in texts(at)
    assert not [b for b in at.button if b.key == "recompute"]


def test_train_vs_eval_default_and_main_controls():
    at = open_page(TRAIN_EVAL)
    assert not at.exception and chart_count(at) == 4  # the demo is on: its shipped model needs no training
    assert translate("tve.forgot_off", "en") not in [i.value for i in at.info]
    at.select_slider(key="m").set_value("0.3").run()
    at.slider(key="b").set_value(2).run()
    at.slider(key="steps").set_value(50).run()
    at.slider(key="rb").set_value(8).run()
    at.radio(key="rk").set_value("cluster").run()
    assert at.query_params["rk"] == "cluster"
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Batch Renorm: mean gap"]) < float(metrics["Batch Norm: mean gap"])
    at.slider(key="rmax").set_value(1.0).run()
    at.slider(key="dmax").set_value(0.0).run()  # no correction: Batch Renorm is Batch Norm
    assert not at.exception and chart_count(at) == 4
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["ratio B/(B − 1)"] == "2.0000"
    assert metrics["Batch Renorm: mean gap"] == metrics["Batch Norm: mean gap"]
    assert "0.3" in at.table[0].value.index.tolist()
    assert float(metrics["ratio Keras / PyTorch"]) == pytest.approx(0.5, abs=1e-3)  # B = 2, m = 0.3, 50 steps


def test_train_vs_eval_forgot_eval_demo():
    at = open_page(TRAIN_EVAL, {"demo": "true", "ex": "5", "fb": "2"}, timeout=300)
    assert not at.exception and chart_count(at) == 4
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["wrong in eval mode"] in {"0 / 100", "100 / 100"}  # eval mode: the same every batch
    assert metrics["wrong in training mode"] != metrics["wrong in eval mode"]


def test_train_vs_eval_old_links_switch_the_demo_without_a_notice():
    """demo=true (the old way to switch it on) and demo=false (off) are both still valid links."""
    off = open_page(TRAIN_EVAL, {"demo": "false"})
    assert not off.exception and chart_count(off) == 3
    assert [i.value for i in off.info] == [translate("tve.forgot_off", "en")]
    on = open_page(TRAIN_EVAL, {"demo": "true"})
    assert not on.exception and chart_count(on) == 4 and not on.info


@pytest.mark.parametrize(
    "params",
    [
        {"m": "-1", "b": "1", "steps": "1e9", "ch": "8", "rb": "abc", "rk": "sorted", "rmax": "0.5"},
        {"ex": "-3", "fb": "100000", "demo": "maybe", "seed": "nan", "dmax": "-1"},
    ],
)
def test_train_vs_eval_hostile_links_get_a_notice(params):
    at = open_page(TRAIN_EVAL, params)
    assert not at.exception and chart_count(at) == 4  # the demo is on by default
    notices = " ".join(i.value for i in at.info)
    for key in params:
        assert f"{key}=" in notices, key


def test_largest_settings_stay_under_the_element_cap():
    at = open_page(TRAIN_EVAL, {"b": "256", "steps": "1000", "m": "0.001"})
    assert not at.exception and chart_count(at) == 4
    assert not any("link asked" in i.value for i in at.info)
    at = open_page(SMALL, {"b": "128", "k": "5000"})
    assert not at.exception and chart_count(at) == 4 and not at.info


# ---- controls on the page (issue 13 §1, §4, §5)


@pytest.mark.parametrize("present", [{}, {"present": "true"}])
def test_small_batches_controls_stand_by_the_section_they_drive(present):
    at = open_page(SMALL, present)
    assert sidebar_controls(at) == ["lang"]  # nothing a lesson needs hides in the sidebar
    layout = stages(at)
    assert layout == {
        "nc_stage": {"controls": ["ch", "seed"], "chart": "moments"},  # the population: both live sections
        "nc_stage_moments": {"controls": ["b", "k"], "chart": "moments"},
        "nc_stage_bands": {"controls": ["ex", "g", "rmax", "dmax"], "chart": "bands"},
        "nc_stage_gn": {"controls": ["seeds", "recompute"], "chart": None},  # below the figure it recomputes
    }
    moments, bands = chart_spec(at, "moments"), chart_spec(at, "bands")
    at.select_slider(key="b").set_value("16").run()  # the moments bar drives the histograms only
    assert chart_spec(at, "moments") != moments and chart_spec(at, "bands") == bands
    moments = chart_spec(at, "moments")
    at.selectbox(key="g").set_value("4").run()  # the bands bar drives the bands only
    assert chart_spec(at, "bands") != bands and chart_spec(at, "moments") == moments
    bands = chart_spec(at, "bands")
    at.slider(key="ch").set_value(5).run()  # the population bar drives both
    assert chart_spec(at, "moments") != moments and chart_spec(at, "bands") != bands
    assert not at.exception


def test_small_batches_groups_caption_says_what_is_drawn():
    """The bands' G is their own (default 2: four features a group); the caption relates it to the training
    figure's G (the shipped sweep's 4) and to the paper's 32, and says why not G = 4 of 8 features."""
    at = open_page(SMALL)
    assert at.selectbox(key="g").value == "2"
    caption = " ".join(c.value for c in at.caption)
    shipped = gn_batch.load()["protocol"]
    assert "G = 2 groups of 4" in caption and "at G = 4 each group holds two features" in caption
    assert f"uses {shipped['num_groups']} groups of its {shipped['width']} hidden features" in caption
    assert "Group Norm (G = 2)" in [trace.get("name") for trace in chart_spec(at, "bands")]
    assert "Group Norm (G = 4)" in [trace.get("name") for trace in chart_spec(at, "gn_chart")]
    at.selectbox(key="g").set_value("4").run()
    assert "G = 4 groups of 2" in " ".join(c.value for c in at.caption)
    assert "Group Norm (G = 4)" in [trace.get("name") for trace in chart_spec(at, "bands")]


@pytest.mark.parametrize("present", [{}, {"present": "true"}])
def test_train_vs_eval_controls_stand_above_their_charts(present):
    at = open_page(TRAIN_EVAL, present)
    assert sidebar_controls(at) == ["lang"]
    layout = stages(at)
    assert layout["nc_stage"] == {"controls": ["m", "b", "steps", "ch", "seed"], "chart": "running_chart"}
    assert layout["nc_stage_forgot"]["controls"] == ["demo", "ex", "fb"]
    assert layout["nc_stage_renorm"] == {"controls": ["rb", "rk", "rmax", "dmax"], "chart": "renorm_gap"}
    running, renorm = chart_spec(at, "running_chart"), chart_spec(at, "renorm_gap")
    at.select_slider(key="m").set_value("0.3").run()  # a curve beside the compared 0.01, 0.1, 0.5
    assert chart_spec(at, "running_chart") != running
    at.slider(key="rmax").set_value(1.0).run()
    assert chart_spec(at, "renorm_gap") != renorm
    assert not at.exception
    assert "sidebar" not in " ".join(i.value for i in at.info)  # "switch on ... above"


def test_momentum_offers_log_spaced_choices():
    at = open_page(TRAIN_EVAL)
    assert at.select_slider(key="m").options == MOMENTA and at.select_slider(key="m").value == "0.1"
    values = [float(m) for m in MOMENTA]
    ratios = [b / a for a, b in zip(values, values[1:], strict=False)]
    assert all(3 - 1e-9 <= r <= 10 / 3 + 1e-9 for r in ratios)  # 1-3-10: every step a factor of about √10
    at.select_slider(key="m").set_value("0.001").run()
    assert at.query_params["m"] == "0.001" and not at.exception
    assert "0.001" in at.table[0].value.index.tolist()


@pytest.mark.parametrize(
    ("asked", "shown", "notice"),
    [
        ("0.2", "0.3", "nearest"),  # between 0.1 and 0.3, nearer 0.3 on a log scale
        ("0.5", "0.3", "nearest"),  # a compared momentum, no longer a choice
        ("0.04", "0.03", "nearest"),
        ("0.0012", "0.001", "nearest"),
        ("1.0", "1", None),  # the same number, written as the old slider wrote it
        ("0.100", "0.1", None),
        ("-1", "0.1", "not allowed"),  # no positive number: the default
        ("abc", "0.1", "not allowed"),
        ("inf", "0.1", "not allowed"),
    ],
)
def test_old_momentum_links_show_the_nearest_choice(asked, shown, notice):
    at = open_page(TRAIN_EVAL, {"m": asked})
    assert not at.exception
    assert at.select_slider(key="m").value == shown
    notices = " ".join(i.value for i in at.info if "m=" in i.value)
    if notice is None:
        assert not notices
    else:
        assert notice in notices and f"`{asked}`" in notices


def test_the_sweeps_facts_and_sentences_come_from_its_runs():
    """A sweep's seed count and batch sizes (gn_batch) and ui.gn_recompute's comparison, on the shipped sweep and a part of it."""
    sweep = gn_batch.load()
    assert gn_batch.seed_count(sweep) == len(gn_batch.SEEDS)
    assert gn_batch.batch_sizes(sweep) == list(gn_batch.BATCH_SIZES)
    part = {"runs": [r for r in sweep["runs"] if r["batch_size"] != 32 and r["seed"] < 2]}
    assert gn_batch.seed_count(part) == 2 and gn_batch.batch_sizes(part) == [2, 4, 8, 16]
    summary = gn_batch.summarize(part["runs"])
    found = gn_batch.compare(summary, "batch", "group", 2)
    ranges = {k: f"{v:.1f}" for k, v in found.items() if k != "verdict"}
    assert gn_recompute.comparison(summary, 2) == " ".join(
        [
            translate("small.gn_numbers", "en", seeds=2),
            translate(f"small.gn_compare.{found['verdict']}", "en", b=2, **ranges),
        ]
    )  # batch 32 is not in the part: no sentence about it
