"""The user's own activations from an uploaded ``.npy`` or ``.csv`` file, checked before any use.

Every refusal is an :class:`UploadError` (a ``ValueError``) whose message says what to change, with a
``reason`` code and the ``values`` a page formats into its own language; nothing in an
upload is executed (``.npy`` files are read with ``allow_pickle=False``) and nothing
larger than :data:`MAX_UPLOAD_BYTES` or :data:`normcore.data.MAX_ELEMENTS` is kept.

The cost of an upload is judged from cheap counts before it is parsed: a ``.npy`` file
from its header (dtype kind, item size, shape, and the data length those promise), a
``.csv`` file from its byte counts (lines, and commas in the first row). Only then is it
parsed, by numpy's C parsers straight into a float array, never into Python lists.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
import warnings

import numpy as np

from normcore.data import MAX_ELEMENTS

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_CHANNELS = 256  # the pictures show every channel
MIN_DIMS, MAX_DIMS = 2, 4  # (N, C) to (N, C, H, W)
SUFFIXES = (".npy", ".csv")
NPY_KINDS = "iuf"  # integers and floats; bool, complex, strings, void and objects are refused
MAX_ITEMSIZE = 8  # float64 / int64: 16 MB at MAX_ELEMENTS; float128 is refused
CSV_CHUNK_BYTES = 256 * 1024  # parsed a piece at a time (~30 ms each), so other sessions get the GIL between
# numpy's float syntax (what np.loadtxt accepts), to find the cell it refused
_NUMBER = re.compile(
    r"\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf(inity)?|nan)\s*", re.I | re.A
)
_MINUS_LIKE = "\u2212\u2010\u2011\u2012\u2013\u2014\u2015\ufe63\uff0d"  # −, hyphens and dashes, full-width -
EXAMPLE = "np.save('x.npy', x.astype('float32'))"  # how to save an array this module loads
ENCODING = "UTF-8"  # what a .csv file must be
TARGET_DTYPE = "float32"  # what every upload becomes


class UploadError(ValueError):
    """An upload refused: ``str()`` says why in English; ``reason`` and ``values`` let a page say it in its
    own language (``explorer.upload_refused.<reason>``, ``images.refused.<reason>``). It pickles whole, so a
    cached refusal or one from a child process keeps them."""

    def __init__(self, reason: str | None, message: str | None = None, **values):
        super().__init__(message or f"{reason}: {values}")
        self.reason = reason
        self.values = values

    def __reduce__(self):
        return _rebuilt, (self.reason, str(self), self.values)


def _rebuilt(reason: str | None, message: str, values: dict) -> UploadError:
    return UploadError(reason, message, **values)


def _pickled() -> UploadError:
    return UploadError(
        "pickled",
        "the .npy file holds Python objects (pickled data), which are never loaded; "
        f"save a plain numeric array, e.g. {EXAMPLE}",
        example=EXAMPLE,
    )


def _unreadable_npy(detail) -> UploadError:
    return UploadError("npy_unreadable", f"this is not a readable .npy file ({detail})", detail=str(detail))


def load_activations(data: bytes, name: str) -> np.ndarray:
    """An upload as float32 activations of shape (N, C, H, W).

    ``.npy``: an array of 2 to 4 dimensions, (N, C), (N, C, L) or (N, C, H, W).
    ``.csv``: a table with one row per sample and one column per channel (N, C); a
    header row is skipped. (N, C) becomes (N, C, 1, 1) and (N, C, L) becomes (N, C, L, 1).

    >>> load_activations(b"a,b\\n1,2\\n3,4\\n", "x.csv").shape
    (2, 2, 1, 1)
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(
            "too_large",
            f"the file has {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,} (5 MB)",
            size=len(data),
            limit=MAX_UPLOAD_BYTES,
            limit_mb=MAX_UPLOAD_BYTES / 2**20,
        )
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    if suffix not in SUFFIXES:
        if not suffix:
            raise UploadError("no_suffix", "expected a .npy or .csv file, got no file extension")
        raise UploadError("wrong_suffix", f"expected a .npy or .csv file, got {suffix}", suffix=suffix)
    array = _read_npy(data) if suffix == ".npy" else _read_csv(data)
    return _checked(array)


# ---------------------------------------------------------------- .npy


def _read_npy(data: bytes) -> np.ndarray:
    _check_npy_header(data)  # before np.load, which allocates whatever the header claims
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise _pickled() from None
        raise _unreadable_npy(error) from None
    except (OSError, EOFError) as error:
        raise _unreadable_npy(error) from None


def _check_npy_header(data: bytes) -> None:
    """Refuse from the header alone: the dtype's kind and size, the shape, and the data length promised."""
    stream = io.BytesIO(data)
    try:
        major, _ = np.lib.format.read_magic(stream)
        read_header = (
            np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read_header(stream, max_header_size=10_000)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as error:
        raise _unreadable_npy(error) from None
    if dtype.hasobject:
        raise _pickled()
    if dtype.kind not in NPY_KINDS or dtype.itemsize > MAX_ITEMSIZE or dtype.subdtype is not None:
        raise UploadError(
            "npy_dtype",
            f"expected numbers (integers or floats of at most {MAX_ITEMSIZE * 8} bits), got dtype {dtype.str} "
            f"({dtype.name}); save the array as {TARGET_DTYPE}, e.g. {EXAMPLE}",
            dtype=dtype.str,
            name=dtype.name,
            bits=MAX_ITEMSIZE * 8,
            target=TARGET_DTYPE,
            example=EXAMPLE,
        )
    if any(size < 0 for size in shape):
        raise UploadError(
            "npy_negative_shape",
            f"this is not a readable .npy file (negative size in shape {shape})",
            shape=shape,
        )
    count = math.prod(shape)  # Python integers: a product of huge sizes cannot wrap around
    if count > MAX_ELEMENTS:
        raise UploadError(
            "npy_too_many_values",
            f"the array has shape {shape}, more than {MAX_ELEMENTS:,} values; make it smaller",
            shape=shape,
            limit=MAX_ELEMENTS,
        )
    promised, held = count * dtype.itemsize, len(data) - stream.tell()
    if promised != held:
        raise UploadError(
            "npy_length",
            f"this is not a readable .npy file (its header promises {promised:,} bytes of data for shape "
            f"{shape}, the file holds {held:,}); save it again with np.save",
            promised=promised,
            shape=shape,
            held=held,
        )


# ---------------------------------------------------------------- .csv


def _read_csv(data: bytes) -> np.ndarray:
    """Judge the table from byte counts, then parse it with numpy's C parser a chunk at a time."""
    data = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark
    try:
        data.isascii() or data.decode("utf-8")  # validation only; the text is not kept
    except UnicodeDecodeError:
        raise UploadError(
            "csv_not_utf8", f"the .csv file is not {ENCODING} text", encoding=ENCODING
        ) from None
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise UploadError(
            "csv_nul",
            f"the .csv file holds a NUL (zero) byte in line {line}, so it is not plain text "
            f"(UTF-16?); save it again as CSV in {ENCODING}",
            line=line,
            guess="UTF-16",
            encoding=ENCODING,
        )
    if b"\r" in data and b"\n" not in data:
        data = data.replace(b"\r", b"\n")  # old Mac line endings
    start, end, first = _first_line(data)
    columns = first.count(b",") + 1
    if columns > MAX_CHANNELS:
        raise UploadError(
            "csv_too_wide",
            f"the first row of the .csv file has {columns} columns; the limit is {MAX_CHANNELS} channels. "
            "Is it stored with one column per sample? Transpose it: one row per sample",
            columns=columns,
            limit=MAX_CHANNELS,
        )
    if _is_header(first):
        start = end
    rows = data.count(b"\n", start) + (not data.endswith(b"\n"))  # an upper bound: blank lines count too
    if rows * columns > MAX_ELEMENTS:
        raise UploadError(
            "csv_too_many_values",
            f"the .csv file has {rows:,} lines of {columns} column{'s' * (columns > 1)}, up to "
            f"{rows * columns:,} values; the limit is {MAX_ELEMENTS:,}: use fewer rows",
            rows=rows,
            columns=columns,
            values=rows * columns,
            limit=MAX_ELEMENTS,
        )
    return _parse_csv(data, start, rows, columns)


def _first_line(data: bytes) -> tuple[int, int, bytes]:
    """Where the first line that is not blank starts and where the next begins, and its bytes."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end + 1
        line = data[start:end].rstrip(b"\r\n")
        if line.strip():
            return start, end, line
        start = end
    raise _no_rows()


def _is_header(line: bytes) -> bool:
    """True for a row of names; a row of numbers is data; a row that looks like numbers but isn't is refused."""
    cells = line.decode("utf-8").split(",")
    if all(_NUMBER.fullmatch(cell) for cell in cells):
        return False
    for cell in cells:
        if not _NUMBER.fullmatch(cell) and _almost_number(cell):
            raise _cell_refusal(cell, 1)
    return True


def _almost_number(cell: str) -> bool:
    """A number written with a non-ASCII minus, dash or digits, or with control characters."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\r" for ch in cell):
        return True
    ascii_cell = unicodedata.normalize("NFKC", cell).translate({ord(ch): "-" for ch in _MINUS_LIKE})
    return _NUMBER.fullmatch(ascii_cell) is not None


def _no_rows() -> UploadError:
    return UploadError(
        "csv_no_rows", "the .csv file needs one row per sample, each with the same number of columns"
    )


def _cell_refusal(cell: str, line: int) -> UploadError:
    shown = cell.strip()
    if not shown:
        return UploadError(
            "csv_empty_cell",
            f"line {line} has an empty cell; every cell after an optional header row must be a number",
            line=line,
        )
    reason, advice = "csv_not_number", "every cell after an optional header row must be a number"
    if any(ch in _MINUS_LIKE for ch in shown):
        reason, advice = "csv_minus", "use ASCII '-' for minus"
    elif _almost_number(cell):
        reason, advice = "csv_not_ascii", "write numbers with ASCII digits, '.', '-' and 'e' only"
    quoted = repr(shown[:20])
    return UploadError(
        reason, f"cell {quoted} in line {line} is not a number; {advice}", cell=quoted, line=line
    )


def _parse_csv(data: bytes, start: int, rows: int, columns: int) -> np.ndarray:
    """Rows of floats into one preallocated (rows, columns) array; numpy's loadtxt on each chunk."""
    out = np.empty((rows, columns))  # at most MAX_ELEMENTS float64: 16 MB
    filled = 0
    while start < len(data):
        end = data.find(b"\n", start + CSV_CHUNK_BYTES)
        end = len(data) if end < 0 else end + 1
        chunk = data[start:end]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # a chunk of blank lines only: no data
                part = np.loadtxt(io.BytesIO(chunk), delimiter=",", comments=None, ndmin=2, encoding="utf-8")
        except ValueError as error:
            raise _diagnose(chunk, data.count(b"\n", 0, start) + 1, columns, error) from None
        if part.size and part.shape[1] != columns:
            raise _diagnose(chunk, data.count(b"\n", 0, start) + 1, columns, None)
        out[filled : filled + len(part)] = part
        filled += len(part)
        start = end
    if filled == 0:
        raise _no_rows()
    return out[:filled]


def _diagnose(chunk: bytes, first_line: int, columns: int, error: Exception | None) -> UploadError:
    """Why numpy refused this chunk, with the line number and cell a person can find in an editor."""
    for number, line in enumerate(chunk.decode("utf-8").split("\n"), first_line):
        line = line.rstrip("\r")
        if not line:
            continue  # numpy skips empty lines
        if not line.strip():
            return UploadError("csv_blank_line", f"line {number} holds only spaces; delete it", line=number)
        cells = line.split(",")
        if len(cells) != columns:
            return UploadError(
                "csv_cells",
                f"line {number} has {len(cells)} cell{'s' * (len(cells) > 1)} and the first row {columns}: "
                "the .csv file needs "
                "one row per sample, each with the same number of columns",
                line=number,
                cells=len(cells),
                columns=columns,
            )
        for cell in cells:
            if not _NUMBER.fullmatch(cell):
                return _cell_refusal(cell, number)
    return UploadError(
        "csv_unreadable",
        f"the .csv file could not be read as numbers near line {first_line} ({error})",
        line=first_line,
        detail=str(error),
    )


# ---------------------------------------------------------------- checks


def _checked(array: np.ndarray) -> np.ndarray:
    if array.dtype.kind not in "iuf":
        raise UploadError(
            "not_numbers",
            f"expected numbers (integers or floats), got dtype {array.dtype}",
            dtype=str(array.dtype),
        )
    if not MIN_DIMS <= array.ndim <= MAX_DIMS:
        raise UploadError(
            "dimensions",
            f"expected 2 to 4 dimensions, (N, C), (N, C, L) or (N, C, H, W); got shape {array.shape}",
            low=MIN_DIMS,
            high=MAX_DIMS,
            shape=array.shape,
        )
    if array.size > MAX_ELEMENTS:
        raise UploadError(
            "too_many_values",
            f"the array has {array.size:,} values; the limit is {MAX_ELEMENTS:,}",
            values=array.size,
            limit=MAX_ELEMENTS,
        )
    if array.size == 0:
        raise UploadError("empty", f"the array is empty (shape {array.shape})", shape=array.shape)
    if array.shape[1] > MAX_CHANNELS:
        raise UploadError(
            "too_many_channels",
            f"the array has {array.shape[1]} channels (axis 1); the limit is {MAX_CHANNELS}. "
            "Is it stored as (N, C, ...)? Transpose it if the channels come last",
            channels=array.shape[1],
            axis=1,
            limit=MAX_CHANNELS,
        )
    bad = ~np.isfinite(array)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise UploadError(
            "not_finite",
            f"the array has {int(bad.sum()):,} NaN or infinite values (the first at index {first}); "
            "replace them with numbers",
            count=int(bad.sum()),
            index=first,
        )
    if np.abs(array).max() > np.finfo(np.float32).max:
        raise UploadError(
            "beyond_float32",
            "some values are too large for float32 (beyond ±3.4e38); rescale the data",
            target=TARGET_DTYPE,
            limit=float(np.finfo(np.float32).max),
        )
    x = array.astype(np.float32)
    return x.reshape(x.shape + (1,) * (4 - x.ndim))  # (N, C, H, W)
