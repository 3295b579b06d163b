"""A chart's CSV: the frame behind it, made when the button is clicked when given as a function."""

from __future__ import annotations

import pandas as pd

from figures import style
from ui import export


def test_a_frame_given_as_a_function_is_made_on_click_only(monkeypatch):
    buttons, made = [], []

    def frame() -> pd.DataFrame:
        made.append(1)
        return pd.DataFrame({"bin_low": [0.0, 0.5], "count": [3, 4]})

    monkeypatch.setattr(export.st, "download_button", lambda label, data, **kwargs: buttons.append(data))
    fig = style.figure([dict(type="bar", x=[0, 1], y=[3, 4])], {}, title="t")
    export.show_chart(fig, key="lazy", data=frame)
    export.show_chart(fig, key="eager", data=frame())
    assert len(made) == 1 and len(buttons) == 2  # drawing the first chart did not make its frame
    assert buttons[0]() == buttons[1]() == b"bin_low,count\n0.0,3\n0.5,4\n"
    assert len(made) == 2  # the click made it
