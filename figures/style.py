"""One look for every chart: colours, fonts that show Hangul, layout defaults."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

BEFORE = "#7f8c9a"  # grey-blue: the input
AFTER = "#e4572e"  # orange-red: the normalized output
REFERENCE = "#2b2d42"  # dark: theory and reference curves
PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
]

# Hangul renders in a stock browser on Windows, macOS, Linux (Noto CJK) and Android.
FONT_FAMILY = (
    "'Noto Sans KR', 'Noto Sans CJK KR', 'Apple SD Gothic Neo', 'Malgun Gothic', "
    "'NanumGothic', 'Source Han Sans KR', sans-serif"
)


# Every new figure starts from this template, applied without re-validating it; setting it per
# figure in apply() cost ~3x the rest of a small figure's construction (same JSON either way).
pio.templates.default = "plotly_white"


def apply(fig: go.Figure, *, title: str | None = None, height: int = 380) -> go.Figure:
    """The shared layout: font stack, margins, legend on top (the template is the default above)."""
    fig.update_layout(
        title=title,
        font_family=FONT_FAMILY,
        height=height,
        margin=dict(l=50, r=20, t=60 if title else 30, b=45),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
    )
    return fig
