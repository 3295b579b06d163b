"""The Explorer's upload refusals in the viewer's language: every reason ``normcore.uploads`` can raise
has a key ``explorer.upload_refused.<reason>`` in both catalogs, formatted from the values the core
passes (no figure typed into the text), and a refused upload on the Korean page says why in Korean."""

from __future__ import annotations

import ast
import io
import re
import string
from pathlib import Path

import numpy as np
import pytest

from normcore import uploads
from normcore.data import MAX_ELEMENTS
from normcore.uploads import MAX_CHANNELS, MAX_UPLOAD_BYTES, UploadError, load_activations
from tests.conftest import open_page
from ui.i18n import translate
from ui.locales.en import STRINGS as EN
from ui.locales.ko import STRINGS as KO

PAGE = "pages/1_Explorer.py"
PREFIX = "explorer.upload_refused."
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def raised_reasons() -> set[str]:
    """Every reason code in normcore/uploads.py: the first argument of each UploadError(...) and the
    reasons _cell_refusal picks (``reason, advice = "csv_...", ...``)."""
    tree = ast.parse(Path(uploads.__file__).read_text())
    reasons = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "UploadError":
            first = node.args[0]
            if getattr(first, "id", None) == "reason":
                continue  # _cell_refusal's, collected from its assignments below
            assert isinstance(first, ast.Constant), ast.unparse(node)  # a reason is written out
            reasons.add(first.value)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            names = [getattr(target, "id", None) for target in getattr(node.targets[0], "elts", [])]
            if names[:1] == ["reason"]:
                reasons.add(node.value.elts[0].value)
    return reasons


def npy(array, **kwargs) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def npy_with_header(descr: str, shape: tuple) -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header += b" " * (118 - len(header)) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


# one upload for each reason a file can reach
CASES = {
    "too_large": (b"0" * (MAX_UPLOAD_BYTES + 1), "x.csv"),
    "no_suffix": (b"1,2\n", "activations"),
    "wrong_suffix": (b"1,2\n", "x.txt"),
    "npy_unreadable": (b"garbage", "x.npy"),
    "pickled": (npy(np.array([object()]), allow_pickle=True), "x.npy"),
    "npy_dtype": (npy(np.array([["a", "b"]])), "x.npy"),
    "npy_negative_shape": (npy_with_header("<f8", (-1, 2)), "x.npy"),
    "npy_too_many_values": (npy_with_header("<f8", (100_000, 100_000)), "x.npy"),
    "npy_length": (npy(np.ones((2, 2)))[:-8], "x.npy"),
    "csv_not_utf8": (b"\xff\xfe", "x.csv"),
    "csv_nul": (b"a,b\n1,2\n3,\0\n", "x.csv"),
    "csv_too_wide": (",".join(["1"] * 300).encode(), "x.csv"),
    "csv_too_many_values": (b"0\n" * 2_499_990, "x.csv"),
    "csv_no_rows": (b"a,b\n", "x.csv"),
    "csv_empty_cell": (b"a,b\n1,\n", "x.csv"),
    "csv_minus": ("\u22121,2\n3,4\n".encode(), "x.csv"),
    "csv_not_ascii": ("\uff11,2\n3,4\n".encode(), "x.csv"),
    "csv_not_number": (b"a,b\n1,x\n", "x.csv"),
    "csv_blank_line": (b"a,b\n1,2\n  \n3,4\n", "x.csv"),
    "csv_cells": (b"1,2\n3,4\n5\n", "x.csv"),
    "dimensions": (npy(np.ones(5)), "x.npy"),
    "empty": (npy(np.ones((0, 3))), "x.npy"),
    "too_many_channels": (npy(np.ones((2, 300))), "x.npy"),
    "not_finite": (npy(np.array([[1.0, np.nan], [np.inf, 2.0]])), "x.npy"),
    "beyond_float32": (npy(np.array([[1e300, 1.0]])), "x.npy"),
}
# checks no file reaches (an earlier, cheaper check refuses it first), with the values the core would pass
DEFENSIVE = {
    "not_numbers": {"dtype": "bool"},
    "too_many_values": {"values": MAX_ELEMENTS + 1, "limit": MAX_ELEMENTS},
    "csv_unreadable": {"line": 3, "detail": "could not convert string to float"},
}


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_every_reason_the_core_raises_has_a_key_in_both_catalogs():
    reasons = raised_reasons()
    assert reasons == set(CASES) | set(DEFENSIVE)  # each is reached by a case below, or listed as defensive
    keys = {key.removeprefix(PREFIX) for key in EN if key.startswith(PREFIX)}
    assert keys == reasons  # no key for a reason that no longer exists
    for reason in reasons:
        assert placeholders(EN[PREFIX + reason]) == placeholders(KO[PREFIX + reason]), reason


@pytest.mark.parametrize("reason", sorted(CASES))
def test_each_refusal_is_said_in_both_languages_with_the_cores_figures(reason):
    data, name = CASES[reason]
    with pytest.raises(UploadError) as refused:
        load_activations(data, name)
    error = refused.value
    assert isinstance(error, ValueError) and error.reason == reason
    assert set(error.values) == placeholders(EN[PREFIX + reason])  # every value is shown, none is missing
    english, korean = (translate(PREFIX + reason, lang, **error.values) for lang in ("en", "ko"))
    # every figure of the notebook message is on the page, formatted the same way
    figures = re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", str(error))
    assert all(figure in english for figure in figures), (str(error), english)
    assert HANGUL.search(korean) and not HANGUL.search(english)
    assert all(figure in korean for figure in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", english)), korean


@pytest.mark.parametrize("reason", sorted(DEFENSIVE))
def test_defensive_refusals_format_in_both_languages(reason):
    for lang in ("en", "ko"):
        assert translate(PREFIX + reason, lang, **DEFENSIVE[reason])


def test_limits_in_the_refusals_come_from_the_core():
    error = pytest.raises(UploadError, load_activations, *CASES["too_large"]).value
    assert error.values["limit"] == MAX_UPLOAD_BYTES and "(5 MB)" in translate(
        PREFIX + "too_large", "ko", **error.values
    )
    error = pytest.raises(UploadError, load_activations, *CASES["csv_too_wide"]).value
    assert error.values == {"columns": 300, "limit": MAX_CHANNELS}


def test_a_refused_upload_on_the_korean_explorer_says_why_in_korean():
    """Uploaded on the English page, then shown in Korean: AppTest formats a selectbox's value with the
    app's ``t`` outside a script run (in English), so no widget can be set once the page is Korean."""
    cases = [
        ("minus.csv", CASES["csv_minus"][0], "csv_minus", "is not a number"),
        ("nan.npy", CASES["not_finite"][0], "not_finite", "NaN or infinite"),
        ("zeros.csv", CASES["csv_too_many_values"][0], "csv_too_many_values", "use fewer rows"),
    ]
    for name, data, reason, english in cases:
        at = open_page(PAGE, {"src": "upload", "norm": "group", "view": "code"})
        at.file_uploader[0].set_value((name, data, "application/octet-stream")).run()
        assert english in "\n".join(str(w.value) for w in at.warning)
        at.radio(key="lang").set_value("ko").run()
        assert not at.exception, at.exception
        shown = "\n".join(str(w.value) for w in at.warning)
        error = pytest.raises(UploadError, load_activations, data, name).value
        said = translate(PREFIX + reason, "ko", **error.values)
        assert translate("explorer.upload_refused", "ko", error=said) in shown, shown
        assert HANGUL.search(said) and english not in shown and str(error) not in shown
        assert not at.get("plotly_chart")
