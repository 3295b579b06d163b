"""A chart's CSV: the frame behind it, made when the button is clicked when given as a function."""

from __future__ import annotations

import io
import zipfile

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


def test_the_charts_data_button_zips_the_frames_on_screen_when_clicked(monkeypatch):
    buttons, made = [], []
    monkeypatch.setattr(
        export.st, "download_button", lambda label, data, **kwargs: buttons.append((data, kwargs))
    )
    frames = {}
    export.charts_data_button(frames, key="page")
    frames["hist"] = lambda: made.append("hist") or pd.DataFrame({"bin_low": [0.0], "count": [3]})
    frames["block"] = lambda: made.append("block") or pd.DataFrame({"set": [1, 2]})
    assert not made  # drawing the button made nothing
    data, kwargs = buttons[0]
    with zipfile.ZipFile(io.BytesIO(data())) as archive:
        assert archive.read("hist.csv") == b"bin_low,count\n0.0,3\n"
        assert archive.read("block.csv") == b"set\n1\n2\n"
    assert made == ["hist", "block"] and kwargs["file_name"] == "normcore-page.zip"
