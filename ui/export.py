"""Charts with their exports: PNG from plotly's toolbar, the data behind them as CSV."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui.i18n import t


def show_chart(fig: go.Figure, *, key: str, data: pd.DataFrame | None = None, **chart_options) -> None:
    """Draw ``fig``; with ``data``, offer it as a CSV download beside the chart.

    ``chart_options`` go to ``st.plotly_chart`` (``on_select``, ``selection_mode``, ...).
    """
    config = {"toImageButtonOptions": {"format": "png", "filename": f"normcore-{key}", "scale": 2}}
    st.plotly_chart(fig, key=key, config=config, **chart_options)
    if data is not None:
        st.download_button(
            t("common.download_csv"),
            data.to_csv(index=False).encode(),
            file_name=f"normcore-{key}.csv",
            mime="text/csv",
            key=f"{key}_csv",
            help=t("common.download_csv_help"),
            icon=":material/download:",
            on_click="ignore",
        )
