"""Hostile and careless uploads (issue 15): judged from cheap counts before any parsing or decoding,
refused within bounded memory with a message that says what to change, and no child process left.

Legitimate uploads load exactly as the in-process code before these limits did: the references
below are that code, kept here as the oracle.
"""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import sys
import threading
import tracemalloc

import numpy as np
import pytest
from PIL import Image, ImageOps

from normcore import images as I
from normcore.data import MAX_ELEMENTS
from normcore.uploads import MAX_CHANNELS, load_activations


def peak_bytes(call, *args, **kwargs) -> tuple[object, int]:
    """``call``'s result (or the exception it raised) and the peak of Python and numpy allocations during it."""
    tracemalloc.start()
    try:
        try:
            result = call(*args, **kwargs)
        except Exception as error:  # returned, so that the caller asserts on it
            result = error
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def children() -> set[int]:
    """Processes whose parent is this one, read from /proc (zombies included)."""
    me, found = str(os.getpid()), set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me:
                found.add(int(entry))
    return found


MB = 2**20


# ---------------------------------------------------------------- .csv


def old_csv(data: bytes) -> np.ndarray:
    """The parser before issue 15 (Python lists of floats), the oracle for legitimate files."""
    lines = [line for line in data.decode("utf-8-sig").splitlines() if line.strip()]
    try:
        [float(cell) for cell in lines[0].split(",")]
    except ValueError:
        lines = lines[1:]
    return np.array([[float(cell) for cell in line.split(",")] for line in lines], dtype=np.float32)


def test_a_5_mb_csv_of_one_column_is_refused_from_its_line_count_in_bounded_memory():
    data = b"0\n" * 2_499_990  # the reproduction: the server went from 164 MB to ~1 GB
    refused, peak = peak_bytes(load_activations, data, "zeros.csv")
    assert isinstance(refused, ValueError)
    assert "2,499,990 lines of 1 column" in str(refused) and f"limit is {MAX_ELEMENTS:,}" in str(refused)
    assert peak < 1 * MB  # counted, not parsed: the old parser built ~800 MB of Python objects here


def test_a_large_csv_is_parsed_by_numpy_into_one_array_in_bounded_memory():
    rows = np.random.default_rng(0).normal(size=(100_000, 10)).round(4)  # 1,000,000 values, 6.9 MB of text
    data = b"a,b,c,d,e,f,g,h,i,j\n" + "\n".join(",".join(map(str, r)) for r in rows).encode()
    data = data[: 5 * MB]  # within the upload limit: ~75,000 whole rows and a cut last one
    data = data[: data.rindex(b"\n")]
    loaded, peak = peak_bytes(load_activations, data, "big.csv")
    assert not isinstance(loaded, Exception), loaded
    kept = data.count(b"\n")
    np.testing.assert_array_equal(loaded[:, :, 0, 0], rows[:kept].astype(np.float32))
    assert peak < 50 * MB  # float64 rows (6 MB) and their float32 copy; the old parser needed ~300 MB


def test_a_csv_wider_than_the_channel_limit_is_refused_from_its_first_row():
    data = (",".join(["1"] * 5000) + "\n") * 200  # 2 MB; 1,000,000 values would pass the value count
    refused, peak = peak_bytes(load_activations, data.encode(), "wide.csv")
    assert "has 5000 columns; the limit is 256" in str(refused) and "Transpose" in str(refused)
    assert MAX_CHANNELS == 256 and peak < 1 * MB


@pytest.mark.parametrize(
    "text, message",
    [
        ("\u22121,2\n3,4\n", "cell '−1' in line 1 is not a number; use ASCII '-' for minus"),
        ("a,b\n1,\u22122\n", "cell '−2' in line 2 is not a number; use ASCII '-' for minus"),
        ("1,\u20132\n", "use ASCII '-' for minus"),  # an en dash
        ("\uff11,2\n3,4\n", "cell '１' in line 1 is not a number; write numbers with ASCII digits"),
        ("\0a,b\n1,2\n", "NUL (zero) byte in line 1"),
        ("a,b\n1,2\n3,\0\n", "NUL (zero) byte in line 3"),
        ("1,2\n3,4\n5\n", "line 3 has 1 cell and the first row 2"),
        ("a,b\n1,2\n  \n3,4\n", "line 3 holds only spaces; delete it"),
        ("a,b\n1,2,\n", "line 2 has 3 cells"),
        ("a,b\n1,\n", "line 2 has an empty cell"),
        ("x,y\n1,1_000\n", "cell '1_000' in line 2 is not a number"),
        ("a,b\n", "one row per sample"),
    ],
)
def test_csv_cells_that_are_not_numbers_are_named_with_their_line(text, message):
    with pytest.raises(ValueError) as refused:
        load_activations(text.encode(), "x.csv")
    assert message in str(refused.value)


def test_a_bad_cell_deep_in_a_large_csv_is_found_with_its_line_number():
    data = b"a,b\n" + b"1,2\n" * 300_000 + b"3,x\n"  # past the first parsed chunks
    with pytest.raises(ValueError, match="cell 'x' in line 300002 is not a number"):
        load_activations(data, "x.csv")


@pytest.mark.parametrize(
    "data",
    [
        b"a,b,c\n1,2,3\n4,5,6\n",
        b"1,2\n3,4\n\n",
        b"\xef\xbb\xbfname,value\r\n-1.5,2e3\r\n+3,.25\r\n",
        b"\n\n 1 , 2 \n3\t,4\n",
        b",a,b\n0,1,2\n1,3,4\n",  # pandas' to_csv: an index column under an empty header cell
        b"x\n1\n2\n3\n",
        b"1,2\r3,4\r",  # old Mac line endings
        "\n".join(
            ",".join(f"{v:.6g}" for v in row) for row in np.random.default_rng(1).normal(size=(300, 7))
        ).encode(),
    ],
    ids=[
        "header",
        "no-header",
        "bom-crlf-signs",
        "blank-and-spaces",
        "pandas-index",
        "one-column",
        "cr",
        "7x300",
    ],
)
def test_legitimate_csv_files_load_exactly_as_before(data):
    loaded = load_activations(data, "x.csv")
    expected = old_csv(data)
    assert loaded.shape == expected.shape + (1, 1) and loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded[:, :, 0, 0], expected)


# ---------------------------------------------------------------- .npy


def npy_with_header(descr, shape, data: bytes = b"") -> bytes:
    """A .npy file whose header says ``descr`` and ``shape``, followed by ``data`` (whatever it holds)."""
    stream = io.BytesIO()
    np.lib.format.write_array_header_1_0(stream, {"descr": descr, "fortran_order": False, "shape": shape})
    return stream.getvalue() + data


def npy_bytes(array) -> bytes:
    stream = io.BytesIO()
    np.save(stream, array)
    return stream.getvalue()


@pytest.mark.parametrize(
    "data, message",
    [
        (npy_with_header("<U2000000000", (1,)), "not a readable .npy file"),  # numpy 2 refuses this descr
        (npy_with_header("<U200000000", (1,)), "got dtype <U200000000"),  # 800 MB of text
        (npy_with_header("|V2000000000", (1,)), "got dtype |V2000000000"),
        (npy_with_header("|V16", (10,)), "got dtype |V16"),
        (npy_with_header("|b1", (2, 2), b"\0" * 4), "got dtype |b1"),
        (npy_with_header("<c8", (2, 2), b"\0" * 32), "got dtype <c8"),
        (npy_with_header("<f16", (2, 2), b"\0" * 64), "at most 64 bits"),
        (npy_with_header("<f8", (2**32, 2**32)), r"shape (4294967296, 4294967296), more than 2,000,000"),
        (
            npy_with_header("<f4", (1000, 1000)),
            "promises 4,000,000 bytes of data for shape (1000, 1000), the file holds 0",
        ),
        (
            npy_with_header("<f4", (2, 2), b"\0" * 17),
            "promises 16 bytes of data for shape (2, 2), the file holds 17",
        ),
    ],
    ids=[
        "U2e9",
        "U2e8",
        "V2e9",
        "V16",
        "bool",
        "complex",
        "float128",
        "wraps-int64",
        "no-data",
        "extra-byte",
    ],
)
def test_npy_headers_are_judged_before_np_load_allocates(data, message):
    assert len(data) <= 256  # the file was 96 bytes
    refused, peak = peak_bytes(load_activations, data, "x.npy")
    assert isinstance(refused, ValueError), refused
    assert message in str(refused)
    assert peak < 1 * MB


def test_the_string_dtype_message_says_what_to_change():
    with pytest.raises(ValueError, match=r"save the array as float32, e.g. np.save\('x.npy', x.astype"):
        load_activations(npy_with_header("<U200000000", (1,)), "x.npy")


@pytest.mark.parametrize("shape", [(6, 3), (6, 3, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("dtype", ["<f4", ">f4", "<f8", "<i4", "|u1", "<f2"])
def test_numeric_npy_of_each_allowed_rank_loads_exactly_as_before(shape, dtype):
    array = np.random.default_rng(2).normal(0, 50, shape).astype(dtype)
    loaded = load_activations(npy_bytes(array), "x.npy")
    assert loaded.shape == shape + (1,) * (4 - len(shape)) and loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded.reshape(shape), array.astype(np.float32))


def test_a_fortran_ordered_npy_keeps_its_values():
    array = np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    np.testing.assert_array_equal(load_activations(npy_bytes(array), "x.npy")[..., 0], array)


# ---------------------------------------------------------------- images: judged before decoding


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def many_scans(width: int, height: int, scans: int, mode: str = "RGB") -> bytes:
    """A progressive JPEG whose frame claims ``width`` x ``height`` and whose last scan is repeated
    ``scans`` times: each repeat is a few bytes, and each costs the decoder a pass over the whole frame."""
    small = encoded(Image.new(mode, (16, 16)), "JPEG", progressive=True)
    frame = small.index(b"\xff\xc2") + 5  # marker, length (2), precision (1), then height, width
    small = small[:frame] + struct.pack(">HH", height, width) + small[frame + 4 :]
    last_scan = small[small.rindex(b"\xff\xda") : -2]  # up to the end-of-image marker
    return small[:-2] + last_scan * scans + b"\xff\xd9"


def no_decoding(*args, **kwargs):
    raise AssertionError("a child decoder was started for an upload that should be refused before")


def test_a_5_mb_jpeg_of_half_a_million_scans_is_refused_from_its_markers(monkeypatch):
    data = many_scans(8000, 5000, 500_000)[: I.MAX_UPLOAD_BYTES - 2] + b"\xff\xd9"  # the issue's ~24 min
    monkeypatch.setattr(I.subprocess, "Popen", no_decoding)
    refused, peak = peak_bytes(I.load_upload, data)
    assert isinstance(refused, I.UploadError) and refused.reason == "too_many_scans"
    assert refused.values == {"limit": I.MAX_JPEG_SCANS}
    assert peak < 1 * MB  # the markers are walked in place; the walk stops at the 41st scan


def test_a_progressive_40_mp_cmyk_jpeg_is_refused_for_the_memory_its_decoder_would_hold(monkeypatch):
    data = many_scans(8000, 5000, 1, mode="CMYK")  # 18 + 1 scans, a few hundred bytes
    monkeypatch.setattr(I.subprocess, "Popen", no_decoding)
    refused, peak = peak_bytes(I.load_upload, data)
    assert isinstance(refused, I.UploadError) and refused.reason == "too_costly"
    coefficients = 4 * (8000 // 8) * (5000 // 8) * 64 * 2  # four full-size components, 2 bytes a coefficient
    assert refused.values["need_mb"] > coefficients / MB == pytest.approx(305.2, abs=0.1)
    assert refused.values["limit_mb"] == I.MAX_DECODE_BYTES / MB and peak < 1 * MB


def test_the_decoder_memory_estimate_for_colour_jpegs():
    header = I.ImageHeader(6000, 4000, ((2, 2), (1, 1), (1, 1)), jpeg=True, progressive=True, scans=10)
    coefficients = (750 * 500 + 2 * 375 * 250) * 64 * 2  # 8 x 8 blocks: Y in full, Cb and Cr at half size
    picture = 750 * 500 * 4  # Pillow's draft decodes at 1/8 scale; held about three times
    assert I.decode_bytes(header) == coefficients + 3 * picture
    assert coefficients == 72_000_000 and I.decode_bytes(header) <= I.MAX_DECODE_BYTES  # accepted
    baseline = I.ImageHeader(8000, 5000, ((2, 2), (1, 1), (1, 1)), jpeg=True)
    assert I.decode_bytes(baseline) == 3 * 1000 * 625 * 4  # no coefficient buffer, 1/8 scale


@pytest.mark.parametrize(
    "marker, reason",
    [(b"\xff\xc3", "odd_jpeg"), (b"\xff\xc9", "odd_jpeg"), (b"\xff\xc5", "odd_jpeg")],
    ids=["lossless", "arithmetic", "hierarchical"],
)
def test_rare_jpeg_kinds_are_refused_before_decoding(monkeypatch, marker, reason):
    data = encoded(Image.new("RGB", (16, 16)), "JPEG").replace(b"\xff\xc0", marker, 1)
    monkeypatch.setattr(I.subprocess, "Popen", no_decoding)
    with pytest.raises(I.UploadError) as refused:
        I.load_upload(data)
    assert refused.value.reason == reason and refused.value.values == {"limit": I.MAX_JPEG_SEGMENTS}


@pytest.mark.parametrize(
    "filler",
    [b"\xff\xfe\x00\x02", b"\xff", b"\xff\x00", b"\xff\xd0"],
    ids=["empty-comments", "fill-bytes", "stuffed-zeros", "restart-markers"],
)
def test_a_jpeg_of_many_segments_is_refused_before_decoding(monkeypatch, filler):
    data = encoded(Image.new("RGB", (16, 16)), "JPEG")
    data = data[:2] + filler * (4 * MB // len(filler)) + data[2:]  # 4 MB of steps for the marker walk
    monkeypatch.setattr(I.subprocess, "Popen", no_decoding)
    refused, peak = peak_bytes(I.load_upload, data)
    assert isinstance(refused, I.UploadError) and refused.reason == "odd_jpeg" and peak < 1 * MB


def test_the_marker_walk_counts_the_scans_of_pillows_progressive_jpeg():
    data = encoded(Image.new("RGB", (64, 48)), "JPEG", progressive=True)
    header = I._jpeg_header(data)
    assert (header.width, header.height, header.progressive, header.scans) == (64, 48, True, 10)


# ---------------------------------------------------------------- images: the child decoder


def test_a_decode_beyond_the_cpu_limit_is_killed_and_refused_with_no_child_left(monkeypatch):
    data = many_scans(4000, 3000, 8000)  # 36 MB of coefficients, allowed; ~8000 passes over 12 MP
    monkeypatch.setattr(I, "MAX_JPEG_SCANS", 10**6)
    monkeypatch.setattr(I, "MAX_JPEG_SEGMENTS", 10**6)
    monkeypatch.setattr(I, "DECODE_CPU_SECONDS", 1)
    before = children()
    with pytest.raises(I.UploadError) as refused:
        I.load_upload(data)
    assert refused.value.reason == "decode_limit" and refused.value.values["seconds"] == 1
    assert children() == before


def test_the_child_memory_limit_holds_even_if_the_estimate_were_wrong(monkeypatch):
    ramp = np.linspace(0, 255, 2000, dtype=np.uint8)
    data = encoded(Image.fromarray(np.stack([np.tile(ramp, (2000, 1))] * 4, -1)), "PNG")  # 4 MP RGBA
    assert len(data) < I.MAX_UPLOAD_BYTES
    monkeypatch.setattr(I, "decode_bytes", lambda header, size=I.IMAGE_SIZE: 0)
    monkeypatch.setattr(I, "MAX_DECODE_BYTES", 0)
    monkeypatch.setattr(I, "DECODE_SLACK_BYTES", 8 * MB)  # the 16 MB picture does not fit
    before = children()
    with pytest.raises(I.UploadError) as refused:
        I.load_upload(data)
    assert refused.value.reason == "decode_limit" and refused.value.values["limit_mb"] == 8.0
    assert children() == before


def test_a_stopped_script_run_kills_its_decoder_at_once(monkeypatch):
    data = many_scans(4000, 3000, 8000)  # seconds of work
    monkeypatch.setattr(I, "MAX_JPEG_SCANS", 10**6)
    monkeypatch.setattr(I, "MAX_JPEG_SEGMENTS", 10**6)
    before = children()
    polls = []
    with pytest.raises(I.DecodeStopped):
        I.load_upload(data, cancelled=lambda: polls.append(1) or len(polls) > 2)
    assert len(polls) == 3 and children() == before


def test_uploads_wait_for_a_decoder_slot_and_stop_waiting_when_their_run_stops(monkeypatch):
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(I, "_DECODERS", slots)
    data = encoded(Image.new("RGB", (32, 32)), "PNG")
    assert slots.acquire(timeout=1)  # another session is decoding
    try:
        with pytest.raises(I.DecodeStopped):
            I.load_upload(data, cancelled=lambda: True)
        monkeypatch.setattr(I, "DECODE_WALL_SECONDS", 0.3)
        with pytest.raises(I.UploadError) as refused:
            I.load_upload(data)
        assert refused.value.reason == "busy"
    finally:
        slots.release()
    monkeypatch.setattr(I, "DECODE_WALL_SECONDS", 30)
    assert I.load_upload(data).shape == (3, I.IMAGE_SIZE, I.IMAGE_SIZE)  # the slot is free again


def test_images_refused_too_costly():
    """The catalog's claim: a progressive JPEG is held whole while it is decoded, a baseline one is not.

    The same 12 MP picture, decoded by the child under the same memory limit (the slack alone,
    28 MB): the baseline file fits, the progressive one (36.5 MB of coefficients) does not."""
    from sklearn.datasets import load_sample_images

    picture = Image.fromarray(load_sample_images().images[0]).resize((4000, 3000))
    baseline, progressive = encoded(picture, "JPEG"), encoded(picture, "JPEG", progressive=True)
    assert I.decode_bytes(I._jpeg_header(progressive)) / MB == pytest.approx(36.5, abs=0.1)
    results = {}
    for name, data in {"baseline": baseline, "progressive": progressive}.items():
        try:
            results[name] = I._decode_in_child(data, "JPEG", I.IMAGE_SIZE, lambda: False, memory=28 * MB)
        except I.UploadError as error:
            results[name] = error.reason
    assert len(results["baseline"]) == I.IMAGE_SIZE**2 * 3
    assert results["progressive"] in (
        "corrupt",
        "decode_limit",
    )  # Pillow reports libjpeg's failed allocation as a broken stream


# ---------------------------------------------------------------- images: legitimate uploads


def old_load_upload(data: bytes, size: int = I.IMAGE_SIZE) -> np.ndarray:
    """The in-process decoder before issue 15, the oracle for legitimate images."""
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", (size, size))
    image.load()
    image.thumbnail((8 * size, 8 * size))
    square = ImageOps.fit(
        ImageOps.exif_transpose(image).convert("RGB"), (size, size), Image.Resampling.LANCZOS
    )
    return (np.asarray(square, dtype=np.float32) / 255.0).transpose(2, 0, 1)


def photo(width: int = 640, height: int = 427) -> Image.Image:
    from sklearn.datasets import load_sample_images

    return Image.fromarray(load_sample_images().images[1]).resize((width, height))


def rotated_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to show
    return encoded(photo(300, 200), "JPEG", exif=exif)


def stray_bytes(jpeg: bytes) -> bytes:
    """Three bytes of junk before the first quantization table, which libjpeg skips with a warning."""
    at = jpeg.index(b"\xff\xdb")
    return jpeg[:at] + b"abc" + jpeg[at:]


@pytest.mark.parametrize(
    "make",
    [
        lambda: encoded(photo(), "PNG"),
        lambda: encoded(photo().convert("RGBA"), "PNG"),
        lambda: encoded(photo().convert("P"), "PNG"),
        lambda: encoded(photo().convert("L"), "PNG"),
        lambda: encoded(photo(), "JPEG", quality=90),
        lambda: encoded(photo(), "JPEG", progressive=True),
        lambda: encoded(photo().convert("L"), "JPEG", progressive=True),
        lambda: encoded(photo().convert("CMYK"), "JPEG"),
        lambda: encoded(photo(4000, 3000), "JPEG"),
        rotated_jpeg,
        lambda: stray_bytes(encoded(photo(), "JPEG")),
    ],
    ids=[
        "png",
        "rgba",
        "palette",
        "grey",
        "jpeg",
        "progressive",
        "grey-progressive",
        "cmyk",
        "12mp",
        "exif-rotated",
        "stray-bytes",
    ],
)
def test_legitimate_images_load_exactly_as_before(make):
    data = make()
    np.testing.assert_array_equal(I.load_upload(data), old_load_upload(data))


def test_a_16_bit_greyscale_png_is_scaled_to_8_bits_not_clipped_white():
    ramp = np.linspace(0, 65535, I.IMAGE_SIZE).round().astype(np.uint16)
    pixels = np.tile(ramp, (I.IMAGE_SIZE, 1))  # dark on the left, white on the right
    image = Image.fromarray(pixels)
    assert image.mode == "I;16"
    data = encoded(image, "PNG")
    assert data[24] == 16  # the IHDR's bit depth
    loaded = I.load_upload(data)
    np.testing.assert_allclose(loaded, np.broadcast_to(pixels / 65535, loaded.shape), atol=1 / 255)
    assert loaded.mean() == pytest.approx(0.5, abs=0.01)  # before: 0.99, clipped at 255 of 65535
    assert old_load_upload(data).mean() > 0.95


# ---------------------------------------------------------------- the page's stop check


def test_stop_requested_follows_streamlits_script_requests(monkeypatch):
    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData, ScriptRequests

    from ui import script_run

    assert script_run.stop_requested()() is False  # outside a script run

    class Context:
        script_requests = ScriptRequests()

    monkeypatch.setattr(script_run, "get_script_run_ctx", lambda suppress_warning=False: Context)
    stopped = script_run.stop_requested()
    assert stopped() is False
    Context.script_requests.request_rerun(RerunData())
    assert stopped() is True
    Context.script_requests = ScriptRequests()
    stopped = script_run.stop_requested()
    Context.script_requests.request_stop()
    assert stopped() is True


def test_deploy_doc_states_the_decoder_limits():
    from pathlib import Path

    text = " ".join((Path(__file__).parent.parent / "docs" / "deploy.md").read_text().split())
    memory = (I.MAX_DECODE_BYTES + I.DECODE_SLACK_BYTES) // MB
    assert f"limited to {I.DECODE_CPU_SECONDS} s of CPU and {memory} MB of memory beyond" in text
    assert f"at most {I.MAX_DECODERS} at once on a host, killed after {I.DECODE_WALL_SECONDS} s" in text
    script = f"import runpy; d = runpy.run_path({I.DECODER!r}); "  # the child's imports, then its measure
    script += "from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin; print(d['_mapped_bytes']())"
    child = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, check=True)
    mapped = int(child.stdout) / MB
    stated = re.search(r"beyond the ~(\d+) MB that Python and Pillow map", text)
    assert stated and abs(int(stated.group(1)) - mapped) < 4, (stated, mapped)
    assert f"under {I.MAX_DECODERS} x 160 MB" in text and memory + mapped < 160
