"""AppTest of the training lab: controls, a short live run, shared results, hostile links."""

from __future__ import annotations

from tests.conftest import open_page
from tests.stage_layout import sidebar_controls, stages

PAGE = "pages/4_Training_lab.py"
SHORT = {"steps": "100", "ssteps": "100"}


def charts(at) -> list:
    return at.get("plotly_chart")


def press_train(at):
    [train] = [b for b in at.button if b.label == "Train"]
    train.click().run()
    assert not at.exception, at.exception
    return at


def test_figure1_trains_and_the_next_viewer_gets_it_at_once():
    at = open_page(PAGE, SHORT | {"seed": "11"})
    assert not at.exception
    assert not charts(at) and "Train" in [b.label for b in at.button]
    press_train(at)
    assert len(charts(at)) == 2  # accuracy, percentiles
    assert at.table and "with BN" in str(at.table[0].value.columns.tolist())
    again = open_page(PAGE, SHORT | {"seed": "11"})
    assert len(charts(again)) == 2 and "Train" not in [b.label for b in again.button]


def test_every_view_trains_without_error():
    expected = {"sec2": 3, "dropout": 1, "bias": 2, "inside": 5, "lr": 3, "place": 3}
    for view, count in expected.items():
        at = open_page(PAGE, SHORT | {"view": view, "depth": "2", "width": "40"})
        press_train(at)
        assert len(charts(at)) == count, view


def test_main_controls_change_and_stay_valid():
    at = open_page(PAGE, SHORT | {"width": "40"})
    at.radio(key="view").set_value("inside").run()
    at.selectbox(key="act").set_value("relu").run()
    at.slider(key="depth").set_value(2).run()
    at.number_input(key="lr").set_value(0.1).run()
    assert not at.exception
    press_train(at)
    at.select_slider(key="at").set_value("30").run()
    assert not at.exception
    assert "step 30" in charts(at)[0].proto.spec  # the histograms follow the chosen evaluation


def test_hostile_link_values_are_clamped_with_a_notice():
    at = open_page(
        PAGE, {"steps": "999999", "view": "<script>", "lr": "-5", "bs": "1", "seed": "x", "wd": "maybe"}
    )
    assert not at.exception
    notices = " ".join(i.value for i in at.info)
    for param in ["steps", "view", "lr", "bs", "wd"]:
        assert f"{param}=" in notices, param
    assert at.slider(key="steps").value in (3000, 5000)  # the default or the clamp, never 999999
    assert "`<script>`" in notices  # shown as code, never as markup


def test_a_diverging_run_is_reported_not_raised():
    at = open_page(PAGE, {"steps": "100", "view": "inside", "act": "relu", "lr": "10", "init": "3"})
    press_train(at)
    assert "diverged" in at.warning[0].value
    assert len(charts(at)) == 5  # the run with BN is still drawn


def test_a_second_tab_of_a_viewer_training_is_told_to_wait(monkeypatch):
    from ui import live
    from ui.server_state import RUNS

    monkeypatch.setattr(live, "viewer_id", lambda cookies, session: "same-browser")
    RUNS.holders["same-browser"] = "the-other-tab"
    try:
        at = open_page(PAGE, SHORT | {"seed": "12"})
        press_train(at)
    finally:
        RUNS.holders.pop("same-browser", None)
    assert not charts(at)
    assert [w.value for w in at.warning] == [live.t("lab.already_training")]
    assert "Train" in [b.label for b in at.button]  # nothing trained; they can press again later


def test_the_scale_charts_follow_the_weight_decay_switch():
    at = open_page(PAGE, SHORT | {"view": "init", "depth": "1", "width": "20", "wd": "true"})
    assert at.toggle(key="wd").value and not at.toggle(key="wd").disabled
    press_train(at)
    assert not at.exception
    keys = [c.proto.id for c in charts(at)]
    assert len(keys) == 3
    effective = charts(at)[2].proto.spec
    assert "equilibrium" in effective and "0.1" in effective  # the dashed √(2ηλ) line at lr 0.5, λ 0.01
    caption = " ".join(m.value for m in at.markdown)
    assert "What these runs measured" in caption and "6 runs each" in caption
    at.toggle(key="wd").set_value(False).run()
    assert not at.exception and "Train" in [b.label for b in at.button]  # other runs: weight decay off


def test_the_placement_view_trains_three_runs_in_presenter_mode():
    at = open_page(PAGE, SHORT | {"view": "place", "depth": "1", "width": "20", "present": "true"})
    press_train(at)
    assert len(charts(at)) == 3
    names = str(at.table[0].value.columns.tolist())
    assert "BN before the activation" in names and "BN after the activation" in names
    assert "Final test accuracy:" in " ".join(m.value for m in at.markdown)
    assert at.toggle(key="wd").disabled  # weight decay belongs to the sweeps


def test_the_experiment_and_its_settings_stand_on_the_page_in_presenter_mode():
    """Presenter mode hides the sidebar: the view and every setting stand above the charts (issue 13 §1)."""
    at = open_page(PAGE, SHORT | {"depth": "1", "width": "20", "seed": "13", "present": "true"})
    assert sidebar_controls(at) == ["lang"]
    [(stage, layout)] = stages(at).items()
    assert stage == "nc_stage"
    expected = ["view", "act", "depth", "width", "bs", "steps", "ssteps", "init", "lr", "drop", "seed", "wd"]
    assert layout["controls"] == expected
    press_train(at)
    first = [c.proto.spec for c in charts(at)]
    assert len(first) == 2 and stages(at)["nc_stage"]["chart"] == charts(at)[0].key  # the bar stands above
    at.radio(key="view").set_value("bias").run()  # the experiment, chosen on the page
    press_train(at)
    assert at.query_params["view"] == "bias"
    assert len(charts(at)) == 2 and [c.proto.spec for c in charts(at)] != first
