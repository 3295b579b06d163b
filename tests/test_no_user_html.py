"""No user string is ever rendered as HTML: the only HTML the app sends is constant text.

A scan of app.py, pages/ and ui/: every ``unsafe_allow_html=True`` call and every ``st.html`` /
``components.html`` call must pass a string literal, or a module-level name bound to one.
The fuzz test (test_fuzz_urls.py) checks the rendered output of every page for hostile markup.
"""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT

SOURCES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")])
HTML_CALLS = {"html"}  # st.html, components.html, st.components.v1.html


def constant_names(tree: ast.Module) -> set[str]:
    """Module-level names assigned exactly once, to a string literal."""
    assigned: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            assigned.setdefault(node.target.id, []).append(node.value)
    return {
        name
        for name, values in assigned.items()
        if len(values) == 1 and isinstance(values[0], ast.Constant) and isinstance(values[0].value, str)
    }


def html_uses(source: str, filename: str = "<source>") -> list[str]:
    """Calls that would render a non-constant string as HTML, as ``file:line: code``."""
    tree = ast.parse(source)
    constants = constant_names(tree)

    def constant(node: ast.expr | None) -> bool:
        return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or (
            isinstance(node, ast.Name) and node.id in constants
        )

    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        flag = next((k.value for k in node.keywords if k.arg == "unsafe_allow_html"), None)
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        renders_html = name in HTML_CALLS or (
            flag is not None and not (isinstance(flag, ast.Constant) and flag.value is False)
        )
        body = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "body"), None)
        if renders_html and not constant(body):
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node)[:120]}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_html_is_only_ever_constant(path):
    assert not html_uses(path.read_text(), str(path.relative_to(ROOT)))


@pytest.mark.parametrize(
    "snippet",
    [
        "st.markdown(f'<b>{name}</b>', unsafe_allow_html=True)",
        "st.markdown(text, unsafe_allow_html=allow)",
        "st.html(st.query_params['x'])",
        "components.html(body=page)",
        "CSS = '<style>'\nCSS = user\nst.markdown(CSS, unsafe_allow_html=True)",
    ],
)
def test_the_scan_finds_html_from_variables(snippet):
    assert html_uses(snippet)


def test_the_scan_allows_constants():
    assert not html_uses(
        "CSS = '<style></style>'\nst.markdown(CSS, unsafe_allow_html=True)\nst.html('<b>x</b>')"
    )
    assert not html_uses("st.markdown(user_text)")
