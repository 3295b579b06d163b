"""Charts with their exports: PNG from plotly's toolbar, the data behind them as CSV."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from figures.style import for_projector
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
    title = on_phone() and fig.layout.title.text
    if title:
        with st.container(key=f"nc_ctitle_{key}"):
            st.markdown(f"**{plain(title)}**")
    if presenter_on():  # taller, larger text for a projector; the cached figure stays as it is
        fig = for_projector(fig)
    else:
        fig = cached.sendable(fig)  # a cached figure's dict, made once
    config = {"toImageButtonOptions": {"format": "png", "filename": f"normcore-{key}", "scale": 2}}
    st.plotly_chart(fig, key=key, config=config, **chart_options)
    if data is not None:
        st.download_button(
            t("common.download_csv"),
            lambda: (data() if callable(data) else data).to_csv(index=False).encode(),  # made on click only
            file_name=f"normcore-{key}.csv",
            mime="text/csv",
            key=f"{key}_csv",
            help=t("common.download_csv_help"),
            icon=":material/download:",
            on_click="ignore",
            type="tertiary",  # a small link-like button: the chart keeps the stage
        )


MARKDOWN_ACTIVE = re.compile(r"([\\`*_{}\[\]<>()#+!|~$])")


def plain(text: str) -> str:
    """``text`` with every character Markdown (or its LaTeX) would act on escaped: shown as written."""
    return MARKDOWN_ACTIVE.sub(r"\\\1", text)
