"""Real images for the convolution pages: sources, untrusted uploads, a convolution, colour spaces.

Images are float arrays of shape ``(3, H, W)`` with values in [0, 1] (RGB); a batch is
``(N, 3, H, W)``. :func:`conv2d` mirrors ``torch.nn.functional.conv2d`` (stride 1), so
the feature maps a page normalizes are the ones PyTorch would compute. Uploads are
decoded with Pillow only after their size, format and dimensions have been checked.
"""

from __future__ import annotations

import io
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from normcore import _decode
from normcore import functional as F
from normcore.data import check_size
from normcore.stats import Histogram, histogram, value_range
from normcore.uploads import UploadError

IMAGE_SIZE = 112  # every photo is centre-cropped to a square of this side; 12 maps fit one row
DIGIT_SIZE = 32  # the 8 x 8 digits, enlarged
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Read from the header, before anything is decoded. A PNG is decoded in full, at most 4 bytes a
# pixel (16 MB); a baseline JPEG in Pillow's draft mode at 1/8 scale when that suffices (under 2 MB).
MAX_UPLOAD_PIXELS = {"JPEG": 40_000_000, "PNG": 4_000_000}
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}
# A progressive JPEG costs a pass over the whole image per scan (~2.7 ms at 40 MP even for an empty
# scan); libjpeg's progressive script (Pillow's) writes 6 scans for grey, 10 for colour, 18 for CMYK,
# and a baseline JPEG has 1 to 4.
MAX_JPEG_SCANS = 40
MAX_JPEG_SEGMENTS = 1000  # markers of any kind; a camera JPEG has a few dozen
# See decode_bytes(): a 24 MP progressive 4:2:0 JPEG holds 72,000,000 bytes of DCT coefficients while decoding.
MAX_DECODE_BYTES = 96 * 2**20
DECODE_SLACK_BYTES = 32 * 2**20  # the child may map this much more: two copies of the file, libjpeg's buffers
DECODE_CPU_SECONDS = 5  # the child's CPU limit; a 40 MP baseline JPEG took 0.2 s at 1/8 scale, startup 0.12 s
DECODE_WALL_SECONDS = 30  # waiting for a decoder slot included; then the child is killed
MAX_DECODERS = 2  # children decoding at once on this host, across every session
POLL_SECONDS = 0.1  # how often a waiting call looks whether its script run was stopped
DECODER = str(Path(_decode.__file__))
_DECODERS = threading.BoundedSemaphore(MAX_DECODERS)  # server-wide on purpose, like a run cap
PIXEL_EPS = 1e-8  # AdaIN's eps for pixel statistics, small against a colour channel's variance


# ---------------------------------------------------------------- sources


class DecodeStopped(Exception):
    """The caller's run stopped while its upload was decoded; the child was killed, nothing is cached."""


@lru_cache(maxsize=1)
def _sample_photos() -> tuple[tuple[str, np.ndarray], ...]:
    from sklearn.datasets import load_sample_images

    bunch = load_sample_images()
    names = [path.rsplit("/", 1)[-1].split(".")[0] for path in bunch.filenames]
    return tuple(zip(names, bunch.images, strict=True))


def sample_photos(size: int = IMAGE_SIZE) -> dict[str, np.ndarray]:
    """scikit-learn's two sample photos (``china``, ``flower``) as ``(3, size, size)`` images."""
    return {name: _square(Image.fromarray(pixels), size) for name, pixels in _sample_photos()}


def digit_images(count: int, size: int = DIGIT_SIZE) -> np.ndarray:
    """The first ``count`` handwritten digits (0, 1, 2, ... in turn) as a grey ``(count, 3, size, size)`` batch."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    picked = [np.flatnonzero(digits.target == d % 10)[d // 10] for d in range(count)]
    grey = digits.images[picked] / 16.0  # (count, 8, 8) in [0, 1]
    grey = np.kron(grey, np.ones((size // 8, size // 8)))  # (count, size, size), nearest neighbour
    return np.repeat(grey[:, None], 3, axis=1).astype(np.float32)  # (count, 3, size, size)


def load_upload(
    data: bytes, size: int = IMAGE_SIZE, cancelled: Callable[[], bool] | None = None
) -> np.ndarray:
    """Decode an untrusted PNG or JPEG into a ``(3, size, size)`` image, or raise :class:`UploadError`.

    Judged before any decoding, from cheap counts: the byte count, the file signature (PNG
    or JPEG only), the header's pixel count, for a JPEG its kind, number of scans and
    segments, and the memory the decoder will hold (:func:`decode_bytes`). Then decoded in a
    child process limited to :data:`DECODE_CPU_SECONDS` of CPU and :data:`MAX_DECODE_BYTES`
    (plus :data:`DECODE_SLACK_BYTES`) of memory; a child that takes longer than :data:`DECODE_WALL_SECONDS`, or whose caller's
    ``cancelled()`` turns true (a stopped script run), is killed and :class:`DecodeStopped`
    raised. No child outlives this call.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError("too_large", size_mb=len(data) / 2**20, limit_mb=MAX_UPLOAD_BYTES / 2**20)
    format = next((f for signature, f in SIGNATURES.items() if data.startswith(signature)), None)
    if format is None:
        raise UploadError("not_image")
    header = _jpeg_header(data) if format == "JPEG" else _png_header(data)
    if header.width * header.height > MAX_UPLOAD_PIXELS[format]:
        raise _too_many_pixels(header.width * header.height, format)
    if header.scans > MAX_JPEG_SCANS:
        raise UploadError("too_many_scans", limit=MAX_JPEG_SCANS)
    cost = decode_bytes(header, size)
    if cost > MAX_DECODE_BYTES:
        raise UploadError("too_costly", need_mb=cost / 2**20, limit_mb=MAX_DECODE_BYTES / 2**20)
    pixels = _decode_in_child(data, format, size, cancelled or (lambda: False))
    square = np.frombuffer(pixels, dtype=np.uint8).reshape(size, size, 3)
    return (square.astype(np.float32) / 255.0).transpose(2, 0, 1)  # (3, size, size)


def _too_many_pixels(pixels: int, format: str) -> UploadError:
    limit = MAX_UPLOAD_PIXELS[format]
    return UploadError(
        "too_many_pixels", megapixels=max(pixels, limit) / 1e6, limit_mp=limit / 1e6, format=format
    )


@dataclass(frozen=True)
class ImageHeader:
    """What a PNG's IHDR or a JPEG's markers say, read without decoding a pixel."""

    width: int
    height: int
    sampling: tuple[tuple[int, int], ...]  # per component (horizontal, vertical); (1, 1) each for PNG
    jpeg: bool = False
    progressive: bool = False  # a JPEG of SOF2
    scans: int = 1  # JPEG SOS segments


def _png_header(data: bytes) -> ImageHeader:
    """The PNG's IHDR chunk, which the format requires first."""
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise UploadError("corrupt")
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour, 4)
    return ImageHeader(width, height, ((1, 1),) * channels)


SOF_KINDS = {0xC0: False, 0xC1: False, 0xC2: True}  # baseline, extended, progressive (Huffman, 8/12 bit)
_NEXT_MARKER = re.compile(rb"\xff[\x01-\xcf\xd8-\xfe]")  # after entropy-coded data: not FF00 nor RSTn


def _jpeg_header(data: bytes) -> ImageHeader:
    """Walk the JPEG's markers: the frame header (size, kind, components) and the number of scans.

    Stops as soon as a limit is passed, so a file of a million scans costs no more than one of
    :data:`MAX_JPEG_SCANS`. Truncation is left to the decoder, which reports it as corrupt.
    """
    frame, scans, segments, at = None, 0, 0, 2
    while at + 4 <= len(data) and scans <= MAX_JPEG_SCANS:
        if data[at] != 0xFF:  # stray bytes before a marker: libjpeg skips them with a warning, so do we
            found = data.find(b"\xff", at)
            at = found if found >= 0 else len(data)
            continue
        marker = data[at + 1]
        segments += 1  # fill bytes and stray FF00 included: the walk takes at most this many steps
        if segments > MAX_JPEG_SEGMENTS:
            raise UploadError("odd_jpeg", limit=MAX_JPEG_SEGMENTS)
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xD9:  # end of image
            break
        if 0xD0 <= marker <= 0xD7 or marker in (0x00, 0x01):  # standalone markers, stuffed zero
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        body = data[at + 4 : at + 2 + length]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame header (SOFn)
            if marker not in SOF_KINDS or frame is not None:  # lossless, hierarchical, arithmetic; two frames
                raise UploadError("odd_jpeg", limit=MAX_JPEG_SEGMENTS)
            frame = _jpeg_frame(body, progressive=SOF_KINDS[marker])
        at += 2 + length
        if marker == 0xDA:  # a scan: its entropy-coded data runs to the next real marker
            if frame is None:
                raise UploadError("corrupt")
            scans += 1
            found = _NEXT_MARKER.search(data, at)
            at = found.start() if found else len(data)
    if frame is None:
        raise UploadError("corrupt")
    return ImageHeader(frame.width, frame.height, frame.sampling, True, frame.progressive, scans)


def _jpeg_frame(body: bytes, progressive: bool) -> ImageHeader:
    if len(body) < 6:
        raise UploadError("corrupt")
    _, height, width, count = struct.unpack(">BHHB", body[:6])  # precision, then the size
    components = body[6 : 6 + 3 * count]
    if count == 0 or len(components) < 3 * count:
        raise UploadError("corrupt")
    sampling = tuple((components[i + 1] >> 4, components[i + 1] & 15) for i in range(0, 3 * count, 3))
    if min(min(hv) for hv in sampling) < 1:
        raise UploadError("corrupt")
    return ImageHeader(width, height, sampling, True, progressive)


def decode_bytes(header: ImageHeader, size: int = IMAGE_SIZE) -> int:
    """An upper estimate of the memory Pillow and libjpeg/zlib hold while decoding this image.

    A progressive or multi-scan JPEG keeps every DCT coefficient of the whole image until
    the last scan (libjpeg's whole-image buffer): 64 coefficients of 2 bytes per 8 x 8 block
    of each component, at its sampling (a 40 MP progressive CMYK JPEG: 320,000,000 bytes). A
    single-scan JPEG is decoded row by row at 1/8 to 1 scale (Pillow's draft mode); a PNG in
    full. Both then hold the picture about three times over (decoded, converted, thumbnail).
    """
    width, height = max(header.width, 1), max(header.height, 1)
    coefficients = 0
    if header.progressive or header.scans > 1:
        h_max = max(h for h, _ in header.sampling)
        v_max = max(v for _, v in header.sampling)
        blocks = sum(
            _ceil(_ceil(width * h, h_max), 8) * _ceil(_ceil(height * v, v_max), 8) for h, v in header.sampling
        )
        coefficients = blocks * 64 * 2
    scale = 1
    if header.jpeg:  # Pillow's draft: the largest of 1/8, 1/4, 1/2 that keeps both sides >= size
        ratio = min(width // size, height // size)
        scale = next((s for s in (8, 4, 2) if ratio >= s), 1)
    picture = (
        -(-width // scale) * -(-height // scale) * 4
    )  # Pillow holds RGB, CMYK and 16-bit grey in 4 bytes
    return coefficients + 3 * picture


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _decode_in_child(
    data: bytes, format: str, size: int, cancelled: Callable[[], bool], memory: int | None = None
) -> bytes:
    """The decoder's output, from a child process that never outlives this call (files, not pipes: no
    buffer to fill and no thread to feed it)."""
    memory = MAX_DECODE_BYTES + DECODE_SLACK_BYTES if memory is None else memory
    deadline = time.monotonic() + DECODE_WALL_SECONDS
    while not _DECODERS.acquire(timeout=POLL_SECONDS):  # at most MAX_DECODERS children on the host
        if cancelled():
            raise DecodeStopped("the script run stopped while the upload waited to be decoded")
        if time.monotonic() > deadline:
            raise UploadError("busy")
    try:
        command = [
            sys.executable,
            "-I",
            DECODER,
            format,
            str(size),
            str(DECODE_CPU_SECONDS),
            str(memory),
        ]
        with tempfile.TemporaryFile() as source, tempfile.TemporaryFile() as sink:
            source.write(data)
            source.seek(0)
            child = subprocess.Popen(command, stdin=source, stdout=sink, stderr=subprocess.DEVNULL)
            try:
                _wait(child, deadline, cancelled, memory)
            finally:
                if child.poll() is None:
                    child.kill()  # a stopped run, a passed deadline or an error here: the child goes too
                child.wait()
            sink.seek(0)
            output = sink.read(size * size * 3 + 1)
    finally:
        _DECODERS.release()
    if child.returncode == _decode.CORRUPT:
        raise UploadError("corrupt")
    if child.returncode != 0 or len(output) != size * size * 3:  # out of memory, or killed at its CPU limit
        raise UploadError("decode_limit", seconds=DECODE_CPU_SECONDS, limit_mb=memory / 2**20)
    return output


def _wait(child: subprocess.Popen, deadline: float, cancelled: Callable[[], bool], memory: int) -> None:
    """Wait for the child, looking up every :data:`POLL_SECONDS` whether to stop waiting."""
    while True:
        try:
            child.wait(timeout=POLL_SECONDS)
            return
        except subprocess.TimeoutExpired:
            pass
        if cancelled():
            raise DecodeStopped("the script run stopped while the upload was being decoded")
        if time.monotonic() > deadline:
            raise UploadError("decode_limit", seconds=DECODE_WALL_SECONDS, limit_mb=memory / 2**20)


def _square(image: Image.Image, size: int) -> np.ndarray:
    """Centre-crop to a square, resize to ``size`` and return ``(3, size, size)`` in [0, 1]."""
    square = ImageOps.fit(image.convert("RGB"), (size, size), Image.Resampling.LANCZOS)
    return (np.asarray(square, dtype=np.float32) / 255.0).transpose(2, 0, 1)  # (3, size, size)


# ---------------------------------------------------------------- convolution


def conv2d(
    input: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, padding: int = 0
) -> np.ndarray:
    r"""2-D cross-correlation with stride 1, as ``torch.nn.functional.conv2d`` computes it.

    .. math:: y_{n,o} = b_o + \sum_{c} w_{o,c} \star x_{n,c}

    Args:
        input: images or feature maps.
        weight: filters.
        bias: per-output-channel bias, shape (C_out,). Default: None
        padding: zeros added on every side. Default: 0

    Shape:
        - Input: :math:`(N, C_{in}, H, W)`; Weight: :math:`(C_{out}, C_{in}, k_H, k_W)`
        - Output: :math:`(N, C_{out}, H + 2p - k_H + 1, W + 2p - k_W + 1)`

    >>> conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))).tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
    """
    if input.ndim != 4 or weight.ndim != 4 or input.shape[1] != weight.shape[1]:
        raise ValueError(
            f"expected input (N, C_in, H, W) and weight (C_out, C_in, kH, kW) with the same C_in, "
            f"got {tuple(input.shape)} and {tuple(weight.shape)}"
        )
    n, _, h, w = input.shape
    out_channels, _, kh, kw = weight.shape
    check_size(n, out_channels, h + 2 * padding, w + 2 * padding)
    padded = np.pad(input, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = np.lib.stride_tricks.sliding_window_view(
        padded, (kh, kw), axis=(2, 3)
    )  # (N, C, H', W', kH, kW)
    output = np.tensordot(windows, weight, axes=([1, 4, 5], [1, 2, 3]))  # (N, H', W', C_out)
    output = output.transpose(0, 3, 1, 2)  # (N, C_out, H', W')
    if bias is not None:
        output = output + np.asarray(bias).reshape(1, -1, 1, 1)
    return np.ascontiguousarray(output, dtype=np.result_type(input, weight))


SOBEL = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]) / 4
HAND_MADE = {
    "edge_x": SOBEL,  # vertical edges
    "edge_y": SOBEL.T,  # horizontal edges
    "blur": np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16,
    "centre": np.array([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]]) / 2,
}


def conv_filters(out_channels: int = 12, in_channels: int = 3, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Hand-made 3 x 3 filters (edges, blur, centre-surround) followed by seeded random ones.

    The hand-made filters act on the mean of the input channels (brightness); the random
    ones are He-initialised, as a fresh ``nn.Conv2d`` followed by ReLU would be.
    Returns ``(weight, names)`` with weight of shape ``(out_channels, in_channels, 3, 3)``.
    """
    if out_channels < len(HAND_MADE):
        raise ValueError(f"out_channels must be at least {len(HAND_MADE)}, got {out_channels}")
    hand_made = np.stack([np.repeat(k[None] / in_channels, in_channels, 0) for k in HAND_MADE.values()])
    count = out_channels - len(HAND_MADE)
    fan_in = in_channels * 9
    random = np.random.default_rng(seed).standard_normal((count, in_channels, 3, 3)) * np.sqrt(2 / fan_in)
    names = list(HAND_MADE) + [f"random_{i + 1}" for i in range(count)]
    return np.concatenate([hand_made, random]).astype(np.float32), names


# ---------------------------------------------------------------- norms on feature maps

FEATURE_NORMS = ("batch", "layer", "instance", "group")


def normalize_features(features: np.ndarray, norm: str, num_groups: int = 1) -> np.ndarray:
    """Apply one activation norm (training mode, no affine) to ``(N, C, H, W)`` feature maps."""
    if norm == "batch":
        return F.batch_norm(features, None, None, training=True)
    if norm == "layer":
        return F.layer_norm(features, features.shape[1:])
    if norm == "instance":
        return F.instance_norm(features)
    if norm == "group":
        return F.group_norm(features, num_groups)
    raise ValueError(f"unknown norm {norm!r}; expected one of {', '.join(FEATURE_NORMS)}")


def channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and (biased) standard deviation of one ``(C, H, W)`` image or feature map."""
    flat = x.reshape(x.shape[0], -1).astype(np.float64)  # (C, H * W)
    return flat.mean(axis=1), flat.std(axis=1)


@dataclass(frozen=True)
class ConvStages:
    """A batch through Conv -> Norm -> ReLU, and how far Group Norm is from Layer and Instance Norm."""

    features: np.ndarray  # (N, C, H, W) convolution output
    normalized: np.ndarray  # (N, C, H, W)
    relu: np.ndarray  # (N, C, H, W)
    names: list[str]  # one per filter
    group_to_layer: float  # max |GN(G) - LN| over the batch
    group_to_instance: float  # max |GN(G) - IN| over the batch


def conv_norm_relu(
    images: np.ndarray, norm: str, num_groups: int, channels: int = 12, seed: int = 0
) -> ConvStages:
    """Convolve ``(N, 3, H, W)`` images with :func:`conv_filters`, normalize, apply ReLU."""
    weight, names = conv_filters(channels, images.shape[1], seed)
    features = conv2d(images, weight, padding=1)  # (N, C, H, W)
    normalized = normalize_features(features, norm, num_groups)
    grouped = normalize_features(features, "group", num_groups)
    to_layer = float(np.abs(grouped - normalize_features(features, "layer")).max())
    to_instance = float(np.abs(grouped - normalize_features(features, "instance")).max())
    return ConvStages(features, normalized, np.maximum(normalized, 0), names, to_layer, to_instance)


def channel_histograms(
    before: np.ndarray, after: np.ndarray, bins: int = 40
) -> tuple[list[Histogram], list[Histogram]]:
    r"""Each channel's values over the batch before and after a norm, binned on one range shared by all.

    Args:
        before: feature maps before the norm.
        after: the same maps after it.
        bins: bins per histogram. Default: 40

    Shape:
        - before, after: :math:`(N, C, H, W)`; one histogram per channel, over :math:`N \times H \times W` values

    >>> stages = conv_norm_relu(np.stack(list(sample_photos().values())), "batch", 1)
    >>> b, a = channel_histograms(stages.features, stages.normalized)
    >>> len(b), int(b[0].counts.sum()) == stages.features[:, 0].size
    (12, True)
    """
    edges = value_range(before, after)
    per_channel = [x.transpose(1, 0, 2, 3) for x in (before, after)]  # (C, N, H, W)
    return tuple([histogram(values, bins, edges) for values in x] for x in per_channel)


def histogram_table(
    names: list[str], before: list[Histogram], after: list[Histogram]
) -> dict[str, np.ndarray]:
    """One row per (channel, bin): the bin's edges and its counts before and after (for a CSV)."""
    bins = before[0].counts.size
    return {
        "channel": np.repeat(np.array(names, dtype=object), bins),
        "low": np.concatenate([b.edges[:-1] for b in before]),
        "high": np.concatenate([b.edges[1:] for b in before]),
        "before": np.concatenate([b.counts for b in before]),
        "after": np.concatenate([a.counts for a in after]),
    }


def stats_table(channels: list[str], series: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, object]:
    """One row per channel: each series' mean and standard deviation, as ``<name>_mean``, ``<name>_std``."""
    columns = {
        f"{name}_{stat}": values[i]
        for name, values in series.items()
        for i, stat in enumerate(["mean", "std"])
    }
    return {"channel": channels, **columns}


def stage_grids(stages: ConvStages, index: int, tile: int = 96) -> list[np.ndarray]:
    """Image ``index``'s channels after each stage, one row each; the norm and ReLU share a colour scale."""
    scale = max(1, tile // stages.features.shape[-1])
    channels = stages.features.shape[1]
    limits = [robust_limit(stages.features)] + [robust_limit(stages.normalized)] * 2
    maps = [stages.features, stages.normalized, stages.relu]
    return [
        feature_grid(m[index], channels, limit, scale=scale) for m, limit in zip(maps, limits, strict=True)
    ]


def brightness_contrast(image: np.ndarray, brightness: float, contrast: float) -> np.ndarray:
    """``(image - 0.5) * contrast + 0.5 + brightness``, not clipped: the layer sees every value."""
    return (image - 0.5) * contrast + 0.5 + brightness


@dataclass(frozen=True)
class Invariance:
    """An image, the same with brightness and contrast changed, each after Instance Norm, and their gap."""

    original: np.ndarray  # (3, H, W)
    adjusted: np.ndarray
    normalized: np.ndarray  # (2, 3, H, W): the original's and the adjusted one's, per image and colour
    difference: float  # largest |normalized[0] - normalized[1]|: rounding and ε only


def instance_norm_invariance(image: np.ndarray, brightness: float, contrast: float) -> Invariance:
    """What Instance Norm does to a brightness and contrast change of ``image`` (3, H, W): it undoes it."""
    adjusted = brightness_contrast(image, brightness, contrast)
    normalized = F.instance_norm(np.stack([image, adjusted]))  # (2, 3, H, W)
    return Invariance(image, adjusted, normalized, float(np.abs(normalized[0] - normalized[1]).max()))


# ---------------------------------------------------------------- colour: Ruderman's l-alpha-beta

# Reinhard et al. (2001), "Color Transfer between Images": RGB -> LMS cone space, log10,
# then a rotation into l (achromatic), alpha (yellow-blue), beta (red-green), three axes that
# are nearly decorrelated for natural images, so each can be shifted and scaled alone.
RGB_TO_LMS = np.array([[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]])
LMS_TO_LAB = np.diag([1 / np.sqrt(3), 1 / np.sqrt(6), 1 / np.sqrt(2)]) @ np.array(
    [[1.0, 1.0, 1.0], [1.0, 1.0, -2.0], [1.0, -1.0, 0.0]]
)
LMS_FLOOR = 1 / 255  # log10 needs positive values: black is lifted to the darkest 8-bit level


def rgb_to_lab(image: np.ndarray) -> np.ndarray:
    """RGB ``(3, H, W)`` in [0, 1] to l-alpha-beta ``(3, H, W)``, in float64."""
    lms = np.einsum("ij,jhw->ihw", RGB_TO_LMS, image.astype(np.float64))
    return np.einsum("ij,jhw->ihw", LMS_TO_LAB, np.log10(np.maximum(lms, LMS_FLOOR)))


def lab_to_rgb(image: np.ndarray) -> np.ndarray:
    """The inverse of :func:`rgb_to_lab` (values may leave [0, 1]; clip to show them)."""
    lms = 10.0 ** np.einsum("ij,jhw->ihw", np.linalg.inv(LMS_TO_LAB), image)
    return np.einsum("ij,jhw->ihw", np.linalg.inv(RGB_TO_LMS), lms)


def channel_correlation(image: np.ndarray) -> np.ndarray:
    """The 3 x 3 correlation matrix between the channels of one ``(3, H, W)`` image."""
    return np.corrcoef(image.reshape(image.shape[0], -1))


@dataclass(frozen=True)
class StyleTransfer:
    """AdaIN of a content image with a style image, on pixels and on convolution features."""

    result: np.ndarray  # (3, H, W) RGB in [0, 1], for display
    pixel_stats: list  # [(mean, std)] of content, style, result in l-alpha-beta, (3,) each
    feature_stats: list  # [(mean, std)] of content, style, result features, (C,) each


def style_transfer(content: np.ndarray, style: np.ndarray, weight: np.ndarray) -> StyleTransfer:
    """AdaIN on pixels (in l-alpha-beta) and on the features of ``conv2d(., weight)``."""
    result_lab, result_rgb = adain_pixels(content, style)
    pixels = [rgb_to_lab(content), rgb_to_lab(style), result_lab]
    content_features = conv2d(content[None], weight, padding=1)  # (1, C, H, W)
    style_features = conv2d(style[None], weight, padding=1)
    features = [content_features[0], style_features[0], F.adain(content_features, style_features)[0]]
    return StyleTransfer(result_rgb, [channel_stats(x) for x in pixels], [channel_stats(x) for x in features])


def adain_pixels(content: np.ndarray, style: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AdaIN on pixels in l-alpha-beta: the content's colour statistics replaced by the style's.

    Returns ``(result_lab, result_rgb)``: the AdaIN output in l-alpha-beta (whose channel
    statistics are the style's) and the same image in RGB clipped to [0, 1] for display.
    """
    content_lab, style_lab = rgb_to_lab(content)[None], rgb_to_lab(style)[None]  # (1, 3, H, W)
    result_lab = F.adain(content_lab, style_lab, eps=PIXEL_EPS)[0]  # (3, H, W)
    return result_lab, np.clip(lab_to_rgb(result_lab), 0.0, 1.0)


# ---------------------------------------------------------------- display

DISPLAY_STD = 0.2  # a standardized image is shown as 0.5 + 0.2 * x_hat: +-2.5 std fill the range


def standardized_to_rgb(x_hat: np.ndarray) -> np.ndarray:
    """Show a zero-mean, unit-variance image: the same fixed mapping for every image."""
    return np.clip(0.5 + DISPLAY_STD * x_hat, 0.0, 1.0)


NEGATIVE = np.array([0.23, 0.42, 0.71])  # blue
ZERO = np.array([1.0, 1.0, 1.0])  # white
POSITIVE = np.array([0.89, 0.34, 0.18])  # orange-red, figures.style.AFTER


def diverging(values: np.ndarray, limit: float) -> np.ndarray:
    """Blue for negative, white for zero, orange-red for positive; ``limit`` and beyond saturate."""
    scaled = np.clip(values / max(limit, 1e-12), -1.0, 1.0)[..., None]
    colour = np.where(scaled < 0, ZERO + (ZERO - NEGATIVE) * scaled, ZERO + (POSITIVE - ZERO) * scaled)
    return (colour * 255).round().astype(np.uint8)


def robust_limit(values: np.ndarray, quantile: float = 0.99) -> float:
    """A symmetric colour limit that a few extreme values cannot wash out."""
    return float(np.quantile(np.abs(values), quantile)) or 1.0


GAP_GREY = 200  # between tiles, so that white (zero) maps keep their edges


def feature_grid(maps: np.ndarray, columns: int, limit: float, gap: int = 3, scale: int = 1) -> np.ndarray:
    """Tile ``(C, H, W)`` feature maps into one ``(rows*H, columns*W, 3)`` uint8 picture on one colour scale."""
    c, h, w = maps.shape
    rows = -(-c // columns)
    tiles = diverging(maps, limit).repeat(scale, axis=1).repeat(scale, axis=2)  # (C, sH, sW, 3)
    th, tw = h * scale, w * scale
    grid = np.full((rows * (th + gap) - gap, columns * (tw + gap) - gap, 3), GAP_GREY, dtype=np.uint8)
    for index in range(c):
        top, left = (index // columns) * (th + gap), (index % columns) * (tw + gap)
        grid[top : top + th, left : left + tw] = tiles[index]
    return grid


def encode(image: np.ndarray, format: str = "JPEG", quality: int = 85) -> bytes:
    """JPEG (or PNG) bytes of an ``(H, W, 3)`` uint8 picture or a ``(3, H, W)`` float image in [0, 1]."""
    if image.dtype != np.uint8:
        image = (np.clip(image, 0.0, 1.0).transpose(1, 2, 0) * 255).round().astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format=format, quality=quality)
    return buffer.getvalue()
