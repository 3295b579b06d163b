"""Charts with their exports: PNG from plotly's toolbar, the data behind them as CSV."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from figures.style import title_of
from ui import cached
from ui.chrome import on_phone, presenter_on
from ui.i18n import t


def show_chart(
    fig: go.Figure,
    *,
    key: str,
    data: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    **chart_options,
) -> None:
    """Draw ``fig``; with ``data`` (a frame, or a function making it), offer it as a CSV download beside it.

    A function is called only when the button is clicked: a rerun does not build a frame nobody downloads.

    ``chart_options`` go to ``st.plotly_chart`` (``on_select``, ``selection_mode``, ...).
    """
    # Plotly draws a title on one line, cut on a phone: there (CSS in ui.chrome) this one, which wraps, stands in.
    # Sent to phones only: two more elements per chart are a good part of a slider move's cost.
    phone = on_phone()
    title = phone and title_of(fig)
    if title:
        with st.container(key=f"nc_ctitle_{key}"):
            st.markdown(f"**{plain(title)}**")
    # A cached figure's dict, made once; for a projector a taller copy with larger text, for a phone its
    # panels one under another (the figure stays as it is)
    fig = cached.for_viewer(fig, projector=presenter_on(), phone=phone)
    config = {"toImageButtonOptions": {"format": "png", "filename": f"normcore-{key}", "scale": 2}}
    st.plotly_chart(fig, key=key, config=config, **chart_options)
    if data is not None:
        _download("common.download_csv", lambda: (data() if callable(data) else data).to_csv(index=False).encode(),
                  f"normcore-{key}.csv", "text/csv", key)  # fmt: skip


def charts_data_button(frames: dict[str, Callable[[], pd.DataFrame]], *, key: str) -> None:
    """One download for several charts that redraw on every slider move: a zip of one CSV per chart.

    ``frames`` maps a chart's key to a function making its frame; whoever draws the charts refills it on
    every run, so a click gets the data of the charts on screen at that moment. Drawn outside the charts'
    fragment, the button costs a slider move nothing (three buttons were ~2 ms of an Explorer move)."""
    _download("common.download_charts_csv",
              lambda: _zipped({f"{name}.csv": make() for name, make in list(frames.items())}),
              f"normcore-{key}.zip", "application/zip", key)  # fmt: skip


def _download(label: str, make: Callable[[], bytes], file_name: str, mime: str, key: str) -> None:
    """A small link-like download button (the chart keeps the stage) labelled and explained by ``label``
    (and ``label_help``); ``make`` runs on click only."""
    st.download_button(t(label), make, file_name=file_name, mime=mime, key=f"{key}_csv", help=t(f"{label}_help"),
                       icon=":material/download:", on_click="ignore", type="tertiary")  # fmt: skip


def _zipped(tables: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in tables.items():
            archive.writestr(name, frame.to_csv(index=False))
    return buffer.getvalue()


MARKDOWN_ACTIVE = re.compile(r"([\\`*_{}\[\]<>()#+!|~$])")


def plain(text: str) -> str:
    """``text`` with every character Markdown (or its LaTeX) would act on escaped: shown as written."""
    return MARKDOWN_ACTIVE.sub(r"\\\1", text)
