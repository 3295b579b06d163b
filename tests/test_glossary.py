"""The Korean catalog uses one term per concept, as docs/glossary.md lists them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ui.locales.ko import STRINGS

GLOSSARY = Path(__file__).resolve().parent.parent / "docs" / "glossary.md"
HANGUL = "\uac00-\ud7a3"

# Keys another branch rewrites (Train vs eval's shift section, the Explorer's refusal and statistics
# help, the worked example). Their Korean still carries old terms here; each is a strict xfail,
# so once the merge brings it in line the test fails until the key is removed from this set.


def rows() -> list[dict]:
    """The glossary table as ``{concept, term, rejected, scope}`` dicts."""
    table = [line for line in GLOSSARY.read_text().splitlines() if line.startswith("| ")][2:]
    parsed = []
    for line in table:
        concept, term, rejected, scope = (cell.strip() for cell in line.strip("|").split("|"))
        parsed.append(
            {
                "concept": concept,
                "term": term.split(" (")[0],
                "rejected": [v.strip() for v in rejected.split(";") if v.strip()],
                "scope": [s.strip() for s in scope.split(";") if s.strip()],
            }
        )
    return parsed


def in_scope(scope: list[str]) -> dict[str, str]:
    return {k: v for k, v in STRINGS.items() if "*" in scope or k.startswith(tuple(scope))}


def rejected_in(text: str, variants: list[str]) -> list[str]:
    """The variants that occur in ``text`` at the start of a word."""
    return [v for v in variants if re.search(f"(?<![{HANGUL}]){re.escape(v)}", text)]


def problems(keys) -> list[tuple[str, str, list[str]]]:
    """``(key, concept, rejected variants found)`` for the given keys, over every glossary row."""
    found = []
    for row in rows():
        scoped = in_scope(row["scope"])
        for key in keys:
            if key in scoped and (hits := rejected_in(scoped[key], row["rejected"])):
                found.append((key, row["concept"], hits))
    return found


def test_the_glossary_parses():
    concepts = rows()
    assert len(concepts) >= 20
    assert all(row["term"] and row["rejected"] and row["scope"] for row in concepts)


@pytest.mark.parametrize("row", rows(), ids=lambda row: row["concept"])
def test_korean_uses_only_the_chosen_term(row):
    entries = in_scope(row["scope"])
    found = [(key, rejected_in(text, row["rejected"])) for key, text in entries.items()]
    found = [(key, hits) for key, hits in found if hits]
    assert not found, f"{row['concept']}: use {row['term']!r}, not {found}"
    assert any(row["term"] in text for text in entries.values()), f"{row['term']!r} is never used"


def test_the_rejected_variants_are_caught():
    assert rejected_in("평가 때는 이동 통계 사용", ["이동 통계"]) == ["이동 통계"]
    assert rejected_in("평행이동 보정 d", ["이동 보정"]) == []
