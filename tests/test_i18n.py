"""The catalogs: every key in both languages, the same placeholders, and no t("...") in the
source that no catalog defines."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from ui.i18n import CATALOGS, DEFAULT_LANGUAGE, korean_particles, translate
from ui.locales import ko

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ["pages", "ui", "figures"]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
ENGLISH_WORD = re.compile(r"\b[a-z]{4,}\b")


def source_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for folder in SOURCE_DIRS:
        files += sorted(p for p in (ROOT / folder).rglob("*.py") if "locales" not in p.parts)
    return files


def translated_args(path: Path):
    """``(first argument, line)`` of every ``t(...)`` and ``translate(...)`` call in one module."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        name = getattr(node, "func", None) and (
            getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        )
        if isinstance(node, ast.Call) and node.args and name in ("t", "translate"):
            yield node.args[0], node.lineno


def literal_keys(path: Path) -> list[tuple[str, int]]:
    """Keys passed as string literals to ``t(...)`` or ``translate(...)`` in one module."""
    return [
        (arg.value, line)
        for arg, line in translated_args(path)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    ]


def key_prefixes(path: Path) -> list[tuple[str, int]]:
    """The constant start of keys built with f-strings, ``t(f"tour.{slug}.title")`` -> ``tour.``."""
    prefixes = []
    for arg, line in translated_args(path):
        if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
            prefixes.append((arg.values[0].value, line))
    return prefixes


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.mark.parametrize("lang", sorted(set(CATALOGS) - {DEFAULT_LANGUAGE}))
def test_every_key_in_both_languages(lang):
    english, other = set(CATALOGS[DEFAULT_LANGUAGE]), set(CATALOGS[lang])
    assert not english - other, f"missing in {lang}: {sorted(english - other)}"
    assert not other - english, f"missing in {DEFAULT_LANGUAGE}: {sorted(other - english)}"


@pytest.mark.parametrize("lang", sorted(CATALOGS))
def test_no_empty_strings(lang):
    empty = [key for key, text in CATALOGS[lang].items() if not text.strip()]
    assert not empty, f"empty in {lang}: {empty}"


def test_same_placeholders_in_every_language():
    differing = {
        key: {lang: sorted(placeholders(catalog[key])) for lang, catalog in CATALOGS.items()}
        for key in CATALOGS[DEFAULT_LANGUAGE]
        if len({frozenset(placeholders(catalog.get(key, ""))) for catalog in CATALOGS.values()}) > 1
    }
    assert not differing, f"placeholders differ: {differing}"


def test_korean_is_korean():
    """A Korean string with no Hangul may hold symbols and a name (``N(0, 1)``, ``tanh``), not a phrase."""
    untranslated = [
        key
        for key, text in CATALOGS["ko"].items()
        if not HANGUL.search(text) and len(ENGLISH_WORD.findall(text)) >= 2
    ]
    assert not untranslated, f"English left in the Korean catalog: {untranslated}"


def test_every_literal_key_in_source_is_in_the_catalog():
    missing = [
        f"{path.relative_to(ROOT)}:{line}: {key}"
        for path in source_files()
        for key, line in literal_keys(path)
        if key not in CATALOGS[DEFAULT_LANGUAGE]
    ]
    assert not missing, "t() keys in no catalog:\n" + "\n".join(missing)


def test_every_built_key_starts_like_a_catalog_key():
    keys = CATALOGS[DEFAULT_LANGUAGE]
    orphans = [
        f"{path.relative_to(ROOT)}:{line}: {prefix}..."
        for path in source_files()
        for prefix, line in key_prefixes(path)
        if not any(key.startswith(prefix) for key in keys)
    ]
    assert not orphans, "t(f...) keys that can match no catalog key:\n" + "\n".join(orphans)


def test_the_source_scan_finds_keys(tmp_path):
    """The scan above sees t("..."), translate("...") and ignores f-strings and other calls."""
    module = tmp_path / "m.py"
    module.write_text('t("a.b")\nx.t("c.d", n=1)\ntranslate("e.f", "ko")\nt(f"g.{h}")\nprint("i.j")\n')
    assert [key for key, _ in literal_keys(module)] == ["a.b", "c.d", "e.f"]
    assert [prefix for prefix, _ in key_prefixes(module)] == ["g."]
    assert any(path.name == "app.py" for path in source_files())


def test_translate_fills_placeholders_and_falls_back_to_english():
    assert "n" in translate("url.corrected", "ko", param="n", asked="`x`", used="`1`")
    assert translate("nav.home", "ko") != translate("nav.home", "en")


@pytest.mark.parametrize(
    "written, values, read",
    [
        ("G = {g}은(는) C = {c}을(를)", dict(g=2, c=8), "G = 2는 C = 8을"),
        ("{x}(으)로", dict(x=12), "12로"),
        ("{x}(으)로", dict(x=13), "13으로"),  # 삼 ends in ㅁ
        ("{x}(으)로", dict(x=17), "17로"),  # 칠 ends in ㄹ: 로, not 으로
        ("{v}이(가) 된다", dict(v="1.0022"), "1.0022가 된다"),
        ("{v}이(가) 된다", dict(v="-0.00091"), "-0.00091이 된다"),
        ("{v}이(가) 된다", dict(v=10), "10이 된다"),  # 십
        ("x[{n}, 위치 {p}]은(는)", dict(n=0, p=0), "x[0, 위치 0]은"),  # an index is read to its last digit
        ("**{v}**을(를)", dict(v=0.5), "**0.5**를"),
        ("{share}이(가)", dict(share="97%"), "97%가"),
        ("그러면 {norm}은(는)", dict(norm="배치 정규화"), "그러면 배치 정규화는"),
        (
            "그러면 {norm}은(는)",
            dict(norm="그룹 정규화 (G = 2)"),
            "그러면 그룹 정규화 (G = 2)은(는)",
        ),  # ")": kept
        ("칸 {cell}은(는)", dict(cell="'x'"), "칸 'x'은(는)"),  # a quote: kept as written
    ],
)
def test_a_korean_particle_after_a_value_takes_the_form_that_fits_it(written, values, read):
    assert korean_particles(written.format(**values)) == read


def test_the_catalog_writes_two_form_particles_right_after_a_value():
    """The resolver reads the character before a two-form particle: it must end a formatted value (``}``,
    an index's ``]`` or bold ``**`` after one), never a word of the catalog's own."""
    dual = re.compile(r"은\(는\)|이\(가\)|을\(를\)|\(으\)로")
    for key, text in ko.STRINGS.items():
        for match in dual.finditer(text):
            before = text[: match.start()].rstrip("*`]")
            assert before.endswith("}"), (key, text[max(0, match.start() - 20) : match.end()])
