"""The hostile phase of benchmarks/load.py: its payloads are what they claim, and it runs against a served app.

No timing is asserted here (the benchmark measures; see docs/benchmarks.md).
"""

from __future__ import annotations

import io
import tomllib
from types import SimpleNamespace

import pytest
from PIL import Image

from benchmarks.attacks import CSV_ROWS, jpeg_markers, progressive_jpeg, zeros_csv
from benchmarks.load import hostile_round, stop_tree, tree_pids, tree_rss_mb
from benchmarks.viewer import run_async
from tests.conftest import ROOT, serve

SOS, SOF2 = 0xDA, 0xC2
MAX_UPLOAD_BYTES = (
    tomllib.loads((ROOT / ".streamlit/config.toml").read_text())["server"]["maxUploadSize"] * 2**20
)


def test_csv_is_one_column_of_the_stated_rows_within_the_upload_limit():
    data = zeros_csv()
    lines = data.split(b"\n")
    assert lines[-1] == b"" and len(lines) - 1 == CSV_ROWS == 2_499_990
    assert set(lines[:-1]) == {b"0"}
    assert len(data) <= MAX_UPLOAD_BYTES  # Streamlit's own per-file limit lets it through


@pytest.mark.parametrize("scans", [1, 7, 300])
def test_jpeg_is_progressive_8000_by_5000_with_the_stated_scans(scans):
    data = progressive_jpeg(scans=scans)
    markers = jpeg_markers(data)
    assert markers.count(SOS) == scans
    assert SOF2 in markers and markers[-1] == 0xD9
    image = Image.open(io.BytesIO(data))  # the header only: Pillow's own reading of the frame
    assert (image.format, image.size, image.mode) == ("JPEG", (8000, 5000), "L")
    assert image.info.get("progressive") == 1


def test_a_small_many_scan_jpeg_decodes():
    """libjpeg takes the empty scans (zero-filled blocks), so the big one costs decoding, not an error."""
    image = Image.open(io.BytesIO(progressive_jpeg(64, 48, scans=50)))
    image.load()
    assert image.size == (64, 48) and image.getextrema() == (128, 128)  # every coefficient 0: mid-grey


def test_five_megabytes_hold_half_a_million_scans():
    assert len(progressive_jpeg(scans=500_000)) <= MAX_UPLOAD_BYTES


def test_scan_count_agrees_with_a_real_progressive_encoder():
    """libjpeg's simple progression script for a colour image has 10 scans, with entropy-coded data."""
    buffer = io.BytesIO()
    Image.effect_noise((64, 64), 50).convert("RGB").save(buffer, "JPEG", progressive=True)
    assert jpeg_markers(buffer.getvalue()).count(SOS) == 10


def test_clear_cache_attack_runs_against_a_served_app_beside_a_calm_viewer():
    process, url = serve()
    try:
        args = SimpleNamespace(
            calm=1, interval=1.0, window=8.0, attack_seconds=6.0, calm_timeout=60.0, idle_wait=3.0, seed=0,
            train_query="",
        )  # fmt: skip
        row = run_async(hostile_round("clear_cache", url, process.pid, args))
        assert row.outcome.startswith("sent"), row.outcome
        assert row.calm.changes and not row.calm.errors and not row.calm.exceptions
        assert row.peak_mb >= row.idle_mb > 0
        assert tree_rss_mb(process.pid) > 0 and tree_pids(process.pid)[0] == process.pid
    finally:
        stop_tree(process)
    assert process.poll() is not None
