"""The user's own activations from an uploaded ``.npy`` or ``.csv`` file, checked before any use.

Every refusal is a ``ValueError`` whose message says what to change; nothing in an
upload is executed (``.npy`` files are read with ``allow_pickle=False``) and nothing
larger than :data:`MAX_UPLOAD_BYTES` or :data:`normcore.data.MAX_ELEMENTS` is kept.
"""

from __future__ import annotations

import io

import numpy as np

from normcore.data import MAX_ELEMENTS

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_CHANNELS = 256  # the pictures show every channel
SUFFIXES = (".npy", ".csv")


def load_activations(data: bytes, name: str) -> np.ndarray:
    """An upload as float32 activations of shape (N, C, H, W).

    ``.npy``: an array of 2 to 4 dimensions, (N, C), (N, C, L) or (N, C, H, W).
    ``.csv``: a table with one row per sample and one column per channel (N, C); a
    header row is skipped. (N, C) becomes (N, C, 1, 1) and (N, C, L) becomes (N, C, L, 1).

    >>> load_activations(b"a,b\\n1,2\\n3,4\\n", "x.csv").shape
    (2, 2, 1, 1)
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"the file has {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,} (5 MB)")
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix not in SUFFIXES:
        raise ValueError(f"expected a .npy or .csv file, got {suffix or 'no file extension'}")
    array = _read_npy(data) if suffix == ".npy" else _read_csv(data)
    return _checked(array)


def _read_npy(data: bytes) -> np.ndarray:
    _check_npy_header(data)  # before np.load, which allocates whatever the header claims
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise ValueError(
                "the .npy file holds Python objects (pickled data), which are never loaded; "
                "save a plain numeric array, e.g. np.save('x.npy', x.astype('float32'))"
            ) from None
        raise ValueError(f"this is not a readable .npy file ({error})") from None
    except (OSError, EOFError) as error:
        raise ValueError(f"this is not a readable .npy file ({error})") from None


def _check_npy_header(data: bytes) -> None:
    stream = io.BytesIO(data)
    try:
        major, _ = np.lib.format.read_magic(stream)
        read_header = (
            np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read_header(stream, max_header_size=10_000)
    except (ValueError, OSError, EOFError, SyntaxError) as error:
        raise ValueError(f"this is not a readable .npy file ({error})") from None
    if dtype.hasobject:
        raise ValueError(
            "the .npy file holds Python objects (pickled data), which are never loaded; "
            "save a plain numeric array, e.g. np.save('x.npy', x.astype('float32'))"
        )
    if int(np.prod(shape, dtype=np.int64)) > MAX_ELEMENTS:
        raise ValueError(f"the array has shape {shape}, more than {MAX_ELEMENTS:,} values; make it smaller")


def _read_csv(data: bytes) -> np.ndarray:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the .csv file is not UTF-8 text") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and not _numeric_row(lines[0]):
        lines = lines[1:]  # a header row
    rows = [line.split(",") for line in lines]
    if not rows or len({len(row) for row in rows}) != 1:
        raise ValueError("the .csv file needs one row per sample, each with the same number of columns")
    try:
        return np.array([[float(cell) for cell in row] for row in rows], dtype=np.float64)
    except ValueError:
        raise ValueError(
            "every cell of the .csv file (after an optional header row) must be a number"
        ) from None


def _numeric_row(line: str) -> bool:
    try:
        [float(cell) for cell in line.split(",")]
    except ValueError:
        return False
    return True


def _checked(array: np.ndarray) -> np.ndarray:
    if array.dtype.kind not in "iuf":
        raise ValueError(f"expected numbers (integers or floats), got dtype {array.dtype}")
    if not 2 <= array.ndim <= 4:
        raise ValueError(
            f"expected 2 to 4 dimensions, (N, C), (N, C, L) or (N, C, H, W); got shape {array.shape}"
        )
    if array.size > MAX_ELEMENTS:
        raise ValueError(f"the array has {array.size:,} values; the limit is {MAX_ELEMENTS:,}")
    if array.size == 0:
        raise ValueError(f"the array is empty (shape {array.shape})")
    if array.shape[1] > MAX_CHANNELS:
        raise ValueError(
            f"the array has {array.shape[1]} channels (axis 1); the limit is {MAX_CHANNELS}. "
            "Is it stored as (N, C, ...)? Transpose it if the channels come last"
        )
    bad = ~np.isfinite(array)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"the array has {int(bad.sum()):,} NaN or infinite values (the first at index {first}); "
            "replace them with numbers"
        )
    if np.abs(array).max() > np.finfo(np.float32).max:
        raise ValueError("some values are too large for float32 (beyond ±3.4e38); rescale the data")
    x = array.astype(np.float32)
    return x.reshape(x.shape + (1,) * (4 - x.ndim))  # (N, C, H, W)
