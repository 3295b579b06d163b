"""benchmarks/stage_floor_app.py stands for the Explorer's stage: it must draw what the Explorer's default
view draws (docs/benchmarks.md compares the two), and run with and without the γ/β work."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import APPTEST_TIMEOUT, ROOT, open_page

FLOOR = str(ROOT / "benchmarks" / "stage_floor_app.py")


def drawn(at) -> dict[str, set]:
    """The keys of the widgets and charts a run drew, by kind."""
    keys = {
        "widgets": {
            w.key for kind in ("selectbox", "slider", "select_slider", "button_group") for w in at.get(kind)
        },
        "charts": {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")},
    }
    return keys


@pytest.mark.parametrize("work", [None, "figures"])
def test_the_floor_draws_the_explorers_default_stage(work):
    floor = AppTest.from_file(FLOOR, default_timeout=APPTEST_TIMEOUT)
    if work:
        floor.query_params["work"] = work
    floor.run()
    assert not floor.exception
    floor.slider(key="ga").set_value(1.5).run()
    assert not floor.exception
    explorer = open_page("pages/1_Explorer.py")
    ours, theirs = drawn(floor), drawn(explorer)
    assert ours["charts"] == theirs["charts"] == {"hist", "multiples", "block"}
    stage_widgets = {"norm", "mode", "view", "n", "ga", "be", "eps"}
    assert stage_widgets <= ours["widgets"] and stage_widgets <= theirs["widgets"]
