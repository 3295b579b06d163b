"""Hostile links against every page: no exception, no markup rendered, no allocation above the cap.

Each page listed in ``ui.chrome.PAGES`` that exists is opened with AppTest; its keys are
the widgets it draws plus any query parameter its source reads by name. Every run opens
the page afresh (a shared link is read on the first run only) with a hostile value for
every key at once: one run per kind of value, then seeded random mixes, at least
VALUES_PER_PAGE values in all. Select with ``-m fuzz``.

Memory: each run's peak resident memory above its start (Linux's VmHWM, reset through
/proc/self/clear_refs) must stay below four float64 arrays at the element cap; it sees
numpy and torch alike. An array allocated but never written takes no resident memory, so
the "huge" run is repeated under tracemalloc, which counts numpy's requested bytes.
"""

from __future__ import annotations

import ast
import math
import random
import tracemalloc
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from normcore.data import MAX_ELEMENTS
from tests.conftest import APPTEST_TIMEOUT, ROOT, open_page
from ui.chrome import PAGES

pytestmark = pytest.mark.fuzz

MARKER = "normcore-fuzz"
SCRIPT = f"<script>alert('{MARKER}')</script>"
HOSTILE = {
    "negative": ["-1", "-999999999", "-1e308", "-0"],
    "huge": ["99999999999999999999", "1e308", "2147483648", "1e9", "65536"],
    "zero and tiny": ["0", "1e-320", "0.0000001"],
    "not finite": ["nan", "NaN", "inf", "-inf", "Infinity"],
    "text": [
        "abc",
        "true",
        "None",
        "[1, 2]",
        "1,2",
        "0x10",
        "1_000",
        "３",
        "💥",
        "../../etc/passwd",
        "{{7*7}}",
    ],
    "markup": [
        SCRIPT,
        f"<img src=x onerror=alert('{MARKER}')>",
        f"javascript:alert('{MARKER}')",
        f"**{MARKER}**</div><script>x</script>",
    ],
    "long": ["9" * 5000, "a" * 100_000, f"{SCRIPT} " * 200],
    "empty": ["", " ", "\x00", "%00", "\n"],
}
REPEATS = [["1", "2"], ["2", SCRIPT], ["9"] * 50, ["", ""]]
VALUES_PER_PAGE = 100
MIN_RANDOM_RUNS = 4
# Four float64 arrays at the element cap: a hostile size that got past the cap takes more.
ALLOCATION_BOUND = 4 * MAX_ELEMENTS * 8

EXISTING = [script for script, _, _ in PAGES if (ROOT / script).exists()]


def widget_keys(at) -> set[str]:
    keys, stack = set(), [at._tree]
    while stack:
        node = stack.pop()
        key = getattr(node, "key", None)
        if isinstance(key, str) and not key.startswith("$$") and not isinstance(node, Block):
            keys.add(key)  # a container's key (nc_stage, ...) is a CSS hook, never a URL parameter
        children = getattr(node, "children", None) or {}
        stack.extend(children.values() if isinstance(children, dict) else children)
    return keys


def source_keys(script: str) -> set[str]:
    """Query parameters the page reads by name: ``st.query_params["k"]``, ``.get("k")``, ``.get_all("k")``."""
    keys = set()
    for node in ast.walk(ast.parse((ROOT / script).read_text())):
        if isinstance(node, ast.Subscript):
            owner, argument = node.value, node.slice
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            owner, argument = node.func.value, node.args[0]
            if node.func.attr not in ("get", "get_all"):
                continue
        else:
            continue
        if _is_query_params(owner) and isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            keys.add(argument.value)
    return keys


def _is_query_params(node) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "query_params"


def hostile_runs(keys: list[str], seed: int) -> list[tuple[str, dict]]:
    """(name, params): every key gets one kind of value per run, then random mixes."""
    rng = random.Random(seed)
    pool = [value for values in HOSTILE.values() for value in values] + REPEATS
    runs = [(kind, {key: rng.choice(values) for key in keys}) for kind, values in HOSTILE.items()]
    runs.append(("repeated keys", {key: rng.choice(REPEATS) for key in keys}))
    mixes = max(MIN_RANDOM_RUNS, math.ceil(VALUES_PER_PAGE / len(keys)) - len(runs))
    runs += [(f"mix {i}", {key: rng.choice(pool) for key in keys}) for i in range(mixes)]
    return runs


def visit(script: str, params: dict) -> AppTest:
    """A fresh session opening ``script`` from a link with ``params``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APPTEST_TIMEOUT)
    at.query_params.update(params)
    if script != "app.py":
        at.switch_page(script)
    return at.run()


def resident_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def peak_growth(run) -> tuple[object, float]:
    """``run()``'s result and the bytes its peak resident memory rose above the start."""
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current VmRSS
    start = resident_mb("VmRSS")
    result = run()
    return result, (resident_mb("VmHWM") - start) * 2**20


def traced_growth(run) -> tuple[object, float]:
    """``run()``'s result and its peak of traced allocations above the start, in bytes."""
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        result = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - start


def rendered_markup(at) -> list[str]:
    """Bodies that the browser would render as HTML: markdown with allow_html, and st.html."""
    bodies, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        fields = proto.DESCRIPTOR.fields_by_name if hasattr(proto, "DESCRIPTOR") else {}
        if ("allow_html" in fields and proto.allow_html) or (
            proto is not None and type(proto).__name__ == "Html"
        ):
            bodies.append(proto.body)
        children = getattr(node, "children", None) or {}
        stack.extend(children.values() if isinstance(children, dict) else children)
    return bodies


@pytest.mark.parametrize("script", EXISTING)
def test_hostile_links_are_refused_calmly(script):
    keys = sorted(widget_keys(open_page(script)) | source_keys(script))
    assert keys, f"{script} has no keys to fuzz"
    runs = hostile_runs(keys, seed=len(script))
    assert sum(len(params) for _, params in runs) >= VALUES_PER_PAGE
    for name, params in runs:
        at, growth = peak_growth(lambda params=params: visit(script, params))
        check(at, growth, f"{script} with {name} values {_short(params)}")
    huge = dict(runs)["huge"]
    at, growth = traced_growth(lambda: visit(script, huge))
    check(at, growth, f"{script} with huge values {_short(huge)}, traced")


def check(at: AppTest, growth: float, context: str) -> None:
    assert not at.exception, f"{context}: {at.exception}"
    assert growth < ALLOCATION_BOUND, f"{context}: took {growth / 2**20:.0f} MB at once"
    for body in rendered_markup(at):
        assert MARKER not in body, f"{context}: a URL value was rendered as HTML: {body[:200]}"


@pytest.mark.parametrize("measure", [peak_growth, traced_growth])
def test_the_memory_checks_see_an_allocation_above_the_bound(measure):
    import numpy as np

    _, touched = measure(lambda: np.ones(5 * MAX_ELEMENTS).sum())
    assert touched >= ALLOCATION_BOUND
    if measure is traced_growth:
        _, untouched = measure(lambda: np.zeros(5 * MAX_ELEMENTS).shape)
        assert untouched >= ALLOCATION_BOUND


def _short(params: dict) -> str:
    return "{" + ", ".join(f"{k}={str(v)[:30]!r}" for k, v in params.items()) + "}"
