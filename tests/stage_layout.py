"""Where a page's controls stand, read from an AppTest's element tree (issue 13 §1, §4).

The controls a lesson needs stand on the page, above the chart they drive, in containers keyed
``nc_stage`` or ``nc_stage_<section>`` (the presenter and phone CSS finds them by that key): the
sidebar is hidden in presenter mode and folded behind a button on a phone.
"""

from __future__ import annotations

import json

from streamlit.testing.v1.element_tree import Block

STAGE = "nc_stage"
WIDGETS = {
    "button",
    "checkbox",
    "color_picker",
    "date_input",
    "multiselect",
    "number_input",
    "radio",
    "select_slider",
    "selectbox",
    "slider",
    "text_area",
    "text_input",
    "time_input",
    "toggle",
}


def stage_key(block: Block) -> str | None:
    """``nc_stage...`` if ``block`` is a container with such a key (its id ends ``-nc_stage...``)."""
    block_id = getattr(block.proto, "id", "") or ""
    tail = block_id.rsplit("-", 1)[-1]
    return tail if tail == STAGE or tail.startswith(f"{STAGE}_") else None


def widget_keys(node) -> list[str]:
    """The keys of every widget in ``node``'s subtree, in page order."""
    if isinstance(node, Block):
        return [key for child in node.children.values() for key in widget_keys(child)]
    key = getattr(node, "key", None)
    return [key] if node.type in WIDGETS and key else []


def stages(at) -> dict[str, dict]:
    """``{stage key: {"controls": [widget keys], "chart": key of the first chart after it or None}}``."""
    found: dict[str, dict] = {}
    waiting: list[str] = []  # stages still looking for the chart below them

    def walk(node) -> None:
        if isinstance(node, Block):
            key = stage_key(node)
            if key is not None:
                found[key] = {"controls": widget_keys(node), "chart": None}
                waiting.append(key)
                return
            for child in node.children.values():
                walk(child)
        elif node.type == "plotly_chart":
            for key in waiting:
                found[key]["chart"] = node.key
            waiting.clear()

    walk(at.main)
    return found


def sidebar_controls(at) -> list[str]:
    """Widget keys in the sidebar (the chrome's language switch is expected there)."""
    return widget_keys(at.sidebar)


def chart_spec(at, key: str) -> dict:
    [chart] = [c for c in at.get("plotly_chart") if c.key == key]
    return json.loads(chart.proto.spec)["data"]
