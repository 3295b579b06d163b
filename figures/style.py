"""One look for every chart: colours, fonts that show Hangul, layout defaults."""

from __future__ import annotations

import base64
import copy
import inspect
import json
import re
import threading

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.basevalidators import CompoundArrayValidator, CompoundValidator, is_homogeneous_array
from _plotly_utils.utils import convert_to_base64, is_skipped_key, plotlyjsShortTypes, to_typed_array_spec
from plotly.basedatatypes import BaseFigure, BasePlotlyType, _check_path_in_prop_tree
from plotly.validator_cache import ValidatorCache

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

# Latin first, in the page's own font: Streamlit's theme font "sans-serif" is "Source Sans", which it
# bundles and loads on every page, so digits and Latin text in a chart match the text around it (a
# Hangul font first draws "0.5" with a wide, low dot that reads like "0,5"). Hangul falls back to a
# font a stock browser has: Windows, macOS, Linux (Noto CJK, Nanum) and Android.
FONT_FAMILY = (
    "'Source Sans', 'Source Sans 3', 'Source Sans Pro', 'Noto Sans KR', 'Noto Sans CJK KR', "
    "'Apple SD Gothic Neo', 'Malgun Gothic', 'NanumGothic', 'Source Han Sans KR', sans-serif"
)


TRACE_TYPES = ("bar", "scatter", "box", "heatmap")  # every kind of trace the figures draw
UNUSED_LAYOUT = ("polar", "ternary", "scene", "geo")  # plotly_white's settings for charts we never draw


def _compact(name: str) -> go.layout.Template:
    """Template ``name`` without its defaults for trace kinds and subplots the app never draws.

    Every figure carries its template to the browser: plotly_white whole is 7 KB per chart and
    copying it is a good part of sending a chart; this keeps the same look in 2.4 KB.
    """
    full = pio.templates[name].to_plotly_json()
    layout = {key: value for key, value in full["layout"].items() if key not in UNUSED_LAYOUT}
    data = {kind: value for kind, value in full["data"].items() if kind in TRACE_TYPES}
    return go.layout.Template(layout=layout, data=data)


# Every new figure starts from this template, applied without re-validating it; setting it per
# figure in apply() cost ~3x the rest of a small figure's construction (same JSON either way).
pio.templates["normcore"] = _compact("plotly_white")
pio.templates.default = "normcore"


# The legend sits at the bottom of the figure, below the x-axis title. Placed in container
# coordinates, plotly reserves its height under the bottom margin: however many rows it wraps into
# (a phone, long Korean names, presenter-sized text) it pushes the plot up instead of running into
# the title, the subplot titles or the axes. The title keeps the top margin to itself.
LEGEND = dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0)


def layout(*, title: str | None = None, height: int = 380) -> dict:
    """The shared layout: font stack, margins, legend below (the template is the default above)."""
    return dict(
        title=dict(text=title),
        font=dict(family=FONT_FAMILY),
        height=height,
        margin=dict(l=50, r=20, t=60 if title else 30, b=45),
        legend=dict(LEGEND),
    )


def with_subplot_titles(fig: go.Figure) -> go.Figure:
    """``fig`` with room between its title and the panels' own titles, which sit in the top margin."""
    return fig.update_layout(margin_t=SUBPLOT_TITLES_TOP)


SUBPLOT_TITLES_TOP = 85  # title at its middle, then a line of panel titles above the panels


def apply(fig: go.Figure, *, title: str | None = None, height: int = 380) -> go.Figure:
    """``fig`` with the shared layout."""
    return fig.update_layout(layout(title=title, height=height))


def figure(traces: list[dict], own_layout: dict, *, title: str | None = None, height: int = 380) -> go.Figure:
    """A figure in one call from trace dicts and its layout (over the shared one; top-level keys win).

    Plotly's per-property validation is skipped: it costs ~5x the rest of building a figure on a
    slider's path. So the dicts must be written as plotly stores them (``title=dict(text=...)``,
    not a bare string); the tests check every figure built here against a validated copy
    (tests/conftest.py). The figure is a :class:`Deferred`: plotly builds its objects on first use,
    and until then ``to_dict()`` is made straight from these dicts.
    """
    return Deferred.of(traces, {**layout(title=title, height=height), **own_layout})


class Deferred(go.Figure):
    """A ``go.Figure`` that plotly builds (``go.Figure(data, layout, _validate=False)``) on first use.

    Every attribute, property and method is plotly's: the first one that needs plotly's objects
    builds them (:meth:`__getattr__`, called only when an attribute is missing, as all of plotly's
    state is before then). Reading the layout (``fig.layout.title.text``) builds the layout alone;
    the traces wait until something reads them. Until then ``to_dict()``, all ``st.plotly_chart``
    asks of a figure, is made from the dicts directly (:func:`sent_dict`): building plotly's objects
    and then its dict costs ~10x as much on a slider's path. Copies and pickles are built plotly
    figures.
    """

    @classmethod
    def of(cls, traces: list[dict], layout: dict) -> Deferred:
        fig = object.__new__(cls)  # plotly's __init__ runs when the figure is first used
        object.__setattr__(fig, "_nc_spec", (traces, layout))
        return fig

    def __getattr__(self, name: str):
        state = self.__dict__
        if name.startswith(("__", "_nc_")):
            raise AttributeError(name)
        if "_nc_spec" not in state and "_nc_traces" not in state:
            # Built. Python calls this also when a property's getter raised AttributeError: one that ran
            # while another thread was publishing the build reads plotly's state again, now whole.
            return object.__getattribute__(self, name)
        if name not in _TRACE_STATE:
            self._nc_build_layout()
            try:
                return object.__getattribute__(self, name)
            except AttributeError:
                pass
        self._nc_build_traces()
        return object.__getattribute__(self, name)

    def _nc_build_layout(self) -> None:
        """Plotly's figure without its traces (``_TRACE_STATE`` left missing: reading it builds
        them), built aside and then published at once: a figure shared by two sessions' threads
        is never seen half built (the other thread waits on the lock)."""
        with _BUILDING:
            spec = self.__dict__.get("_nc_spec")
            if spec is None:
                return
            built = go.Figure(layout=_unshared(spec[1]), _validate=False)
            built._layout_obj._parent = self  # the one object that points back at its figure
            state = {key: value for key, value in built.__dict__.items() if key not in _TRACE_STATE}
            self.__dict__.update(state, _nc_traces=spec[0])
            del self.__dict__["_nc_spec"]

    def _nc_build_traces(self) -> None:
        """The traces, as plotly's ``__init__`` adds them (the same lines), published at once."""
        self._nc_build_layout()
        with _BUILDING:
            traces = self.__dict__.get("_nc_traces")
            if traces is None:
                return
            objects = self._data_validator.validate_coerce(
                _unshared(traces), skip_invalid=False, _validate=False
            )
            state = {
                "_data_objs": objects,
                "_data": [copy.deepcopy(trace._props) for trace in objects],
                "_data_defaults": [{} for _ in objects],
            }
            for index, trace in enumerate(objects):
                trace._parent = self
                trace._orphan_props.clear()
                trace._trace_ind = index
            self.__dict__.update(state)
            del self.__dict__["_nc_traces"]

    def to_dict(self) -> dict:
        state = self.__dict__
        if "_nc_spec" in state:
            sent = sent_dict(*state["_nc_spec"])
            if sent is not None:
                return sent
        elif "_nc_traces" in state and not self._frame_objs:  # the layout built: plotly's to_dict, in two
            data = _sent_traces(state["_nc_traces"])
            if data is not None:
                layout = copy.deepcopy(self._layout)
                convert_to_base64(layout)
                return {"data": data, "layout": layout}
        return super().to_dict()


def title_of(fig: go.Figure):
    """``fig.layout.title.text``, read from a :class:`Deferred` figure's dicts while plotly has not
    built it (reading ``fig.layout`` builds the layout: ~0.4 ms, ~1 ms more with subplots)."""
    spec = fig.__dict__.get("_nc_spec")
    if spec is None or any(key.startswith("title_") for key in spec[1]):
        return fig.layout.title.text
    title = spec[1].get("title")
    return title.get("text") if isinstance(title, dict) else fig.layout.title.text


_TRACE_STATE = ("_data_objs", "_data", "_data_defaults")  # what plotly's __init__ keeps of the traces


def _unshared(value):
    """``value`` with its own dicts and lists (arrays and the rest shared): plotly, building a figure,
    writes into the dicts it is given (``marker_color`` into ``marker``; a trace's ``type`` out and
    back), which another thread may be reading to make the figure's dict."""
    if isinstance(value, dict):
        return {key: _unshared(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unshared(item) for item in value]
    return value


_BUILDING = threading.RLock()
_SCALARS = (str, int, float, bool, type(None), np.generic)
_PLAIN = (dict, list, tuple, *_SCALARS)
_SCALAR_TYPES = {str, int, float, bool, type(None)}
_TRACES = ValidatorCache.get_validator("", "data")


def sent_dict(traces: list[dict], layout: dict) -> dict | None:
    """``go.Figure(data=traces, layout=layout, _validate=False).to_dict()``, made without plotly's objects.

    As plotly stores the dicts unvalidated: a top-level ``None`` is left out, a path such as
    ``marker_color`` is set inside ``marker``, each trace gets its ``type``, the layout the default
    template; every numpy array under a dict key is encoded as plotly encodes it (its own
    ``convert_to_base64``), everything else copied. ``None`` when the dicts hold something this
    does not follow (a plotly object, a property plotly does not know, an explicit template): the
    caller then lets plotly build the figure.
    """
    template = _default_template()
    if template is None or "template" in layout:
        return None
    data = _sent_traces(traces)
    stored_layout = _stored(layout, _LAYOUT_CLASS)
    if data is None or stored_layout is None:
        return None
    stored_layout["template"] = template
    return {"data": data, "layout": stored_layout}


def _sent_traces(traces: list[dict]) -> list[dict] | None:
    data = []
    for trace in traces:
        if not isinstance(trace, dict) or trace.get("type", "scatter") not in _TRACES.class_strs_map:
            return None
        kind = trace.get("type", "scatter")
        stored = _stored(trace, _TRACES.get_trace_class(kind), kind)
        if stored is None:
            return None
        data.append(stored)
    return data


def _stored(props: dict, cls: type, kind: str | None = None) -> dict | None:
    """``props`` as plotly stores them, copied, in an object of ``cls`` built without validation.

    In plotly's order too (the same JSON to the byte): the constructor's named properties in its
    order, a trace's ``type``, then paths such as ``marker_color`` and (a layout) subplots' axes."""
    named = _named_props(cls)
    known, paths, subplots = [], [], []
    for key, value in props.items():
        if key == "type" and kind is not None:
            continue
        if isinstance(value, BasePlotlyType) or (
            isinstance(value, (list, tuple)) and value and isinstance(value[0], BasePlotlyType)
        ):
            return None
        if key in named:
            if value is not None:
                known.append(key)
        elif cls is _LAYOUT_CLASS and _LAYOUT._subplot_re_match(key):
            if value is None or key.endswith("axis1"):
                return None  # rare, left to plotly
            subplots.append(key)
        elif path := _path(cls, key):
            paths.append((path, value))
        else:
            return None
    stored = {key: _sent_in(key, props[key]) for key in sorted(known, key=named.__getitem__)}
    if kind is not None:
        stored["type"] = kind
    for path, value in paths:
        inner = stored
        for step in path[:-1]:
            inner = inner.setdefault(step, {})
            if not isinstance(inner, dict):
                return None
        inner[path[-1]] = _sent_in(path[-1], value)
    for key in subplots:
        axis = _validated(_LAYOUT._subplot_re_match(key).group(1), props[key])
        if axis:  # plotly leaves an empty one out
            stored[key] = _sent_in(key, axis)
    return stored


def _validated(name: str, props) -> dict:
    """A subplot's ``props`` (``xaxis2``, ...) as plotly stores them: these it validates even when
    told not to (~180 µs an axis). Props written as plotly stores them (what the tests check of
    every figure) come out of validation unchanged but for the order (the constructors'), ``None``
    and empty objects left out: that is done here; anything else is left to plotly's validator."""
    validator = ValidatorCache.get_validator("layout", name)
    ordered = _in_order(props, validator.data_class)
    return copy.deepcopy(validator.validate_coerce(props)._props) if ordered is None else ordered


def _in_order(props, cls: type) -> dict | None:
    """``props`` of a ``cls`` in the order plotly stores them validated, or None where unsure."""
    if not isinstance(props, dict):
        return None
    named = _named_props(cls)
    if any(key not in named for key in props):
        return None
    ordered = {}
    for key in sorted(props, key=named.__getitem__):
        value = props[key]
        if value is None:
            continue
        kind, child = _child(cls, key)
        if kind == "compound":
            value = _in_order(value, child)
            if value is None:
                return None
            if not value:
                continue
        elif kind == "array":
            if not isinstance(value, (list, tuple)):
                return None
            value = [_in_order(item, child) for item in value]
            if not value or any(item is None for item in value):
                return None
        ordered[key] = value
    return ordered


_CHILDREN: dict[tuple[type, str], tuple[str | None, type | None]] = {}


def _child(cls: type, key: str) -> tuple[str | None, type | None]:
    """Whether property ``key`` of a ``cls`` is an object ("compound"), a list of them ("array") or a
    value (None), with the objects' class."""
    if (cls, key) not in _CHILDREN:
        validator = cls()._get_validator(key)
        if isinstance(validator, CompoundValidator):
            _CHILDREN[cls, key] = "compound", validator.data_class
        elif isinstance(validator, CompoundArrayValidator):
            _CHILDREN[cls, key] = "array", validator.data_class
        else:
            _CHILDREN[cls, key] = None, None
    return _CHILDREN[cls, key]


def _sent_in(key: str, value):
    """``value`` under the dict key ``key`` as plotly's ``to_dict`` leaves it (``convert_to_base64``
    after a deep copy): an array encoded, except under the keys plotly skips; the rest copied."""
    if _skipped(key):
        return copy.deepcopy(value)
    if type(value) is np.ndarray:
        return _encoded(value)
    if not isinstance(value, _PLAIN) and is_homogeneous_array(value):
        return to_typed_array_spec(value)
    return _sent(value)


def _sent(value):
    """``value`` copied; in a list or a tuple plotly encodes no array, only the dicts' ones."""
    if isinstance(value, dict):
        return {key: _sent_in(key, item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if set(map(type, value)) <= _SCALAR_TYPES:  # numbers and strings only (a panel's frames: hundreds)
            return value.copy() if isinstance(value, list) else value
        items = [_sent(item) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, _SCALARS):
        return value
    return copy.deepcopy(value)


def _encoded(array: np.ndarray):
    """``to_typed_array_spec(array)``: plotly's, whose look-ups (narwhals) cost 40 µs an array, for
    a non-empty array of numbers; any other array goes to plotly's own (tests/test_fast_figures.py)."""
    dtype = str(array.dtype)
    if array.size == 0 or array.dtype.kind not in "iuf":
        return to_typed_array_spec(array)
    if dtype in _NARROW:  # plotly.js has no 64-bit integers: the narrowest type that holds them
        low, high = array.min(), array.max()
        narrow = next((t for t, least, most in _NARROW[dtype] if least <= low and high <= most), None)
        if narrow is None:
            return to_typed_array_spec(array)
        array, dtype = array.astype(narrow), narrow
    if dtype not in _SHORT_TYPES:
        return to_typed_array_spec(array)
    spec = {
        "dtype": _SHORT_TYPES[dtype],
        "bdata": base64.b64encode(np.ascontiguousarray(array)).decode("ascii"),
    }
    if array.ndim > 1:
        spec["shape"] = str(array.shape)[1:-1]
    return spec


_NARROW = {
    wide: [(t, np.iinfo(t).min, np.iinfo(t).max) for t in narrow]
    for wide, narrow in [("int64", ("int8", "int16", "int32")), ("uint64", ("uint8", "uint16", "uint32"))]
}
_SKIPPED: dict[str, bool] = {}


def _skipped(key: str) -> bool:
    """Plotly's ``is_skipped_key`` (``range``, ...), remembered per key."""
    skipped = _SKIPPED.get(key)
    if skipped is None:
        skipped = _SKIPPED[key] = is_skipped_key(key)
    return skipped


_LAYOUT_CLASS = go.Layout  # a lazy attribute of go: each look-up costs
_LAYOUT = _LAYOUT_CLASS()
_NAMED: dict[type, dict[str, int]] = {}
_SHORT_TYPES = plotlyjsShortTypes
_NOT_PROPS = ("self", "arg", "kwargs", "type")
_PATHS: dict[tuple[type, str], tuple | None] = {}
_TEMPLATE: tuple[str, str] | None = None  # (name, JSON) of the default template, made once


def _named_props(cls: type) -> dict[str, int]:
    """The properties ``cls``'s constructor names, each with its place (plotly sets them in that order)."""
    if cls not in _NAMED:
        names = [name for name in inspect.signature(cls.__init__).parameters if name not in _NOT_PROPS]
        _NAMED[cls] = {name: place for place, name in enumerate(names)}
    return _NAMED[cls]


def _path(cls: type, key: str) -> tuple | None:
    """The path plotly reads in ``key`` (``marker_color``: marker, color) on a ``cls``, None if it reads none."""
    if (cls, key) not in _PATHS:
        path = BaseFigure._str_to_dict_path(key)
        _PATHS[cls, key] = path if len(path) > 1 and _check_path_in_prop_tree(cls(), key) is None else None
    return _PATHS[cls, key]


def _default_template() -> dict | None:
    """A fresh copy of the default template's JSON as plotly adds it to a figure, or None if not ours."""
    global _TEMPLATE
    name = pio.templates.default
    if not isinstance(name, str):
        return None
    if _TEMPLATE is None or _TEMPLATE[0] != name:
        _TEMPLATE = (name, json.dumps(pio.templates[name].to_plotly_json()))
    return _loads(_TEMPLATE[1])


try:  # orjson reads the template's 2 KB in ~10 µs; a deep copy of the dict takes ~100 µs
    import orjson

    _loads = orjson.loads
except ImportError:  # pragma: no cover
    _loads = json.loads

_default_template()  # the default template's JSON made once, at import


PROJECTOR_SCALE = 1.5  # presenter mode: charts this much taller, text this much larger
PROJECTOR_TEXT = 18  # presenter mode: no chart text smaller than this (px), readable from the back of a room


def for_projector(fig: go.Figure, scale: float = PROJECTOR_SCALE) -> go.Figure:
    """A copy of ``fig`` sized for a projector: taller, with larger text (``fig`` is left as is).

    Every text gets its own size (legend, ticks, axis titles, panel titles, colour bars): Streamlit's
    chart theme sets the figure-wide font size itself (from the page's root font size, which differs
    between presenter mode switched on and loaded from a link), so the layout's ``font.size`` alone
    does not reach the legend or the tick labels.
    """
    return go.Figure(projector_dict(fig.to_dict(), scale), _validate=False)


def projector_dict(sent: dict, scale: float = PROJECTOR_SCALE) -> dict:
    """:func:`for_projector` on a figure's dict (as ``fig.to_dict()`` or ``st.plotly_chart`` has it), made
    without plotly's objects: a presenter's slider move redraws each chart through it (plotly's
    ``update_*`` took ~20 ms a chart). ``sent`` is left as is; its trace arrays are shared, not copied."""
    layout = copy.deepcopy(sent.get("layout", {}))  # small: the arrays live in the traces
    text = max(round(_given(_get(layout, "font", "size"), 12) * scale), PROJECTOR_TEXT)
    layout["height"] = round(_given(layout.get("height"), 450) * scale)
    margin = layout.setdefault("margin", {})
    # plotly's default margins; t holds the title (the legend reserves its own room)
    for side, default in [("l", 80), ("t", 100), ("b", 80)]:
        margin[side] = round(_given(margin.get(side), default) * scale)
    _set(layout, ("font", "size"), text)
    _set(layout, ("legend", "font", "size"), text)
    _set(layout, ("legend", "title", "font", "size"), text)
    for axis in {"xaxis", "yaxis", *(k for k in layout if _AXIS.fullmatch(k))}:
        _set(layout, (axis, "tickfont", "size"), text)
        _set(layout, (axis, "title", "font", "size"), text)
    for note in layout.get("annotations", ()):
        _set(note, ("font", "size"), text)
    if _get(layout, "title", "text"):
        title = round(_given(_get(layout, "title", "font", "size"), 17) * scale)
        _set(layout, ("title", "font", "size"), title)
    data = [_projected_trace(trace, text) for trace in sent.get("data", ())]
    return {**sent, "data": data, "layout": layout}


def _projected_trace(trace: dict, text: int) -> dict:
    """A heat map's colour bar ticks and a trace's own text (panel titles drawn as text) at ``text`` px."""
    if trace.get("type") == "heatmap":
        trace = _with(trace, ("colorbar", "tickfont", "size"), text)
    if _get(trace, "textfont", "size") is not None:
        trace = _with(trace, ("textfont", "size"), max(trace["textfont"]["size"], text))
    return trace


PHONE_PANEL_HEIGHT = {1: 280, 2: 200}  # px a panel gets on a phone, in one column or two
PHONE_PANEL_GAP = 90  # px between rows: the upper panel's x-axis title and the lower one's title
PHONE_COLUMN_GAP = 0.08  # paper width between two columns


def stacked_dict(sent: dict) -> dict:
    """A figure's dict (as :func:`projector_dict` takes it) with side-by-side panels one under another, for a
    phone: at 390 px two panels side by side get ~150 px each and one's axis title lands on the other.

    Panels are the x/y axis pairs of the layout (``make_subplots`` or axes given domains by hand), read top
    to bottom and left to right. Up to four go in one column at full width; more (a grid of small
    histograms) in two. The panel titles (paper-positioned annotations centred over a panel) move with their
    panels. A figure whose panels are in one column already is returned as it is."""
    layout = sent.get("layout", {})
    panels = _panels(layout)
    if len({round(x[0], 3) for _, _, x, _ in panels}) < 2:
        return sent
    columns = 1 if len(panels) <= 4 else 2
    rows = -(-len(panels) // columns)
    layout = copy.deepcopy(layout)
    margin = layout.get("margin", {})
    plot_height = PHONE_PANEL_HEIGHT[columns] * rows + PHONE_PANEL_GAP * (rows - 1)
    gap, size = PHONE_PANEL_GAP / plot_height, PHONE_PANEL_HEIGHT[columns] / plot_height
    width = (1 - PHONE_COLUMN_GAP * (columns - 1)) / columns
    notes = layout.get("annotations", [])
    for index, (x_key, y_key, x_domain, y_domain) in enumerate(panels):
        row, column = divmod(index, columns)
        top, left = 1 - row * (size + gap), column * (width + PHONE_COLUMN_GAP)
        for note in notes:  # the panel's title: centred over it, at its top (as make_subplots places it)
            if _over(note, x_domain, y_domain):
                note.update(x=left + width / 2, y=top)
        layout.setdefault(x_key, {})["domain"] = [left, min(left + width, 1.0)]
        layout.setdefault(y_key, {})["domain"] = [max(top - size, 0.0), top]
    layout["height"] = round(plot_height + _given(margin.get("t"), 100) + _given(margin.get("b"), 80))
    return {**sent, "layout": layout}


def _panels(layout: dict) -> list[tuple[str, str, list, list]]:
    """(x axis key, y axis key, x domain, y domain) of each panel, top to bottom, then left to right."""
    panels = []
    for y_key in [k for k in layout if _AXIS.fullmatch(k) and k.startswith("y")] or ["yaxis"]:
        y_axis = layout.get(y_key, {})
        if y_axis.get("overlaying"):  # a second y axis on a panel counted already
            continue
        x_key = "xaxis" + (y_axis.get("anchor") or "x").removeprefix("x")
        x_domain = layout.get(x_key, {}).get("domain", [0.0, 1.0])
        panels.append((x_key, y_key, x_domain, y_axis.get("domain", [0.0, 1.0])))
    return sorted(panels, key=lambda panel: (-round(panel[3][1], 3), round(panel[2][0], 3)))


def _over(note: dict, x_domain: list, y_domain: list) -> bool:
    """Whether a paper-positioned annotation is the title over the panel with these domains."""
    if note.get("xref") != "paper" or note.get("yref") != "paper":
        return False
    centre = (x_domain[0] + x_domain[1]) / 2
    return abs(note.get("x", -1) - centre) < 0.01 and abs(note.get("y", -1) - y_domain[1]) < 0.01


_AXIS = re.compile(r"[xy]axis\d*")


def _get(tree: dict, *path: str):
    for key in path:
        tree = tree.get(key) if isinstance(tree, dict) else None
    return tree


def _set(tree: dict, path: tuple[str, ...], value) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def _with(trace: dict, path: tuple[str, ...], value) -> dict:
    """A shallow copy of ``trace`` with ``path`` set (the dicts on the path copied, the arrays shared)."""
    copied = dict(trace)
    tree = copied
    for key in path[:-1]:
        tree[key] = dict(tree.get(key) or {})
        tree = tree[key]
    tree[path[-1]] = value
    return copied


def _given(value, default):
    """A layout value, or plotly's default when the figure leaves it unset (0 is a value)."""
    return default if value is None else value
