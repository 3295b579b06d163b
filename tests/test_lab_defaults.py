"""The Training lab's shipped default runs: what a fresh run gives, exactly what the page asks for,
drawn on first view, and the last result kept on screen (per session) while the settings change."""

from __future__ import annotations

import pytest

from normcore import lab
from normcore.experiments import lab_defaults
from normcore.training import train
from tests.conftest import open_page
from ui import tour
from ui.i18n import translate

PAGE = "pages/4_Training_lab.py"


@pytest.fixture(scope="module")
def shipped() -> dict:
    return lab_defaults.load()


def without_timing(run: dict) -> dict:
    return {k: v for k, v in run.items() if k != "seconds"}


def test_the_file_records_how_it_was_made():
    made = lab_defaults.read()
    assert made["experiment"] == "lab-defaults"
    assert made["command"].startswith("python -m normcore.experiments lab-defaults")
    assert {"torch", "numpy", "python", "torch_threads_per_worker"} <= set(made["environment"])


def test_the_file_holds_every_default_config_once(shipped):
    assert set(shipped) == set(lab_defaults.unique_configs())
    assert len(lab_defaults.read()["runs"]) == len(shipped)


def test_a_run_survives_the_file_exactly(shipped):
    for result in shipped.values():
        assert lab_defaults.encode(lab_defaults.decode(lab_defaults.encode(result))) == lab_defaults.encode(
            result
        )


@pytest.mark.parametrize("view", lab.VIEWS)
def test_a_fresh_run_equals_the_shipped_one(view, shipped):
    """One run of each view, retrained here: the same seed gives the same numbers as the file."""
    config = min(lab_defaults.default_configs()[view].values(), key=lambda c: c.steps)
    [stored] = [r for r in lab_defaults.read()["runs"] if lab_defaults.decode(r).config == config]
    fresh = lab_defaults.encode(train(config))
    assert without_timing(fresh) == without_timing(stored)
    assert lab_defaults.encode(shipped[config]) == stored  # and the app draws what the file holds


@pytest.fixture
def asked(monkeypatch) -> list:
    """The configs the page hands to the live runner, one dict per script run."""
    from ui import live

    calls = []
    original = live.run

    def recording(configs, draw, *, page):
        calls.append(configs)
        return original(configs, draw, page=page)

    monkeypatch.setattr(live, "run", recording)
    return calls


def landing_params() -> list[dict]:
    """Every first view of the Training lab: each view at its defaults, and each tour step on the page."""
    views = [{"view": view} for view in lab.VIEWS]
    steps = [dict(s.params, tour=str(n)) for n, s in enumerate(tour.STEPS, 1) if s.page == PAGE]
    assert steps  # the tour lands on the lab
    return views + steps


def test_every_first_view_and_tour_step_draws_at_once_from_the_file(asked, shipped):
    for params in landing_params():
        at = open_page(PAGE, params)
        assert not at.exception, at.exception
        assert "Train" not in [b.label for b in at.button], params
        assert at.get("plotly_chart"), params
    assert len(at.radio(key="view").options) == len(lab.VIEWS)  # the page offers exactly these views
    assert len(asked) == len(landing_params())
    # the file covers exactly what the page asks for by default
    assert {c for configs in asked for c in configs.values()} == set(shipped)


def test_a_changed_setting_keeps_the_last_result_captioned_until_trained():
    at = open_page(PAGE)
    assert len(at.get("plotly_chart")) == 2 and "Train" not in [b.label for b in at.button]
    at.number_input(key="lr").set_value(0.3).run()
    assert not at.exception
    assert "Train" in [b.label for b in at.button]
    assert len(at.get("plotly_chart")) == 2  # still the shipped curves
    expected = translate("lab.shown_for", "en").format(
        settings=translate("lab.shown_item", "en").format(name="Learning rate", shown="0.5", now="0.3")
    )
    assert [i.value for i in at.info] == [expected]
    at.number_input(key="lr").set_value(0.5).run()  # back to the shipped settings: no caption
    assert not at.info and "Train" not in [b.label for b in at.button]


def test_the_last_result_belongs_to_its_session():
    other = open_page(PAGE, {"lr": "0.3"})  # a new session that has seen nothing
    assert not other.get("plotly_chart")
    assert [i.value for i in other.info] == [translate("lab.press_train", "en")]


def test_the_caption_names_each_changed_setting_in_a_sweep():
    at = open_page(PAGE, {"view": "lr"})
    assert len(at.get("plotly_chart")) == 3
    at.slider(key="ssteps").set_value(200).run()
    at.selectbox(key="act").set_value("tanh").run()
    assert not at.exception and len(at.get("plotly_chart")) == 3
    [caption] = [i.value for i in at.info]
    assert "Activation sigmoid (now tanh)" in caption and "Training steps 500 (now 200)" in caption
