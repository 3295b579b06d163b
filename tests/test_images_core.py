"""normcore.images against PyTorch and against the promises it makes about uploads."""

from __future__ import annotations

import io
import pickle
import struct
import zlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from normcore import functional as F
from normcore import images as I
from normcore.data import MAX_ELEMENTS


def torch_conv(x, w, b=None, padding=0):
    bias = None if b is None else torch.from_numpy(b)
    return torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), bias, padding=padding).numpy()


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 3),
    c_in=st.integers(1, 4),
    c_out=st.integers(1, 5),
    h=st.integers(3, 9),
    w=st.integers(3, 9),
    k=st.sampled_from([1, 2, 3]),
    padding=st.integers(0, 2),
    bias=st.booleans(),
    seed=st.integers(0, 10**6),
)
def test_conv2d_equals_torch(n, c_in, c_out, h, w, k, padding, bias, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c_in, h, w))
    weight = rng.standard_normal((c_out, c_in, k, k))
    b = rng.standard_normal(c_out) if bias else None
    np.testing.assert_allclose(I.conv2d(x, weight, b, padding), torch_conv(x, weight, b, padding), atol=1e-10)


def test_conv2d_on_photos_with_the_page_filters_equals_torch_in_float32():
    images = np.stack(list(I.sample_photos().values()))
    weight, _ = I.conv_filters()
    ours = I.conv2d(images, weight, padding=1)
    assert ours.dtype == np.float32 and ours.shape == (2, 12, I.IMAGE_SIZE, I.IMAGE_SIZE)
    np.testing.assert_allclose(ours, torch_conv(images, weight, padding=1), atol=2e-6)


def test_conv2d_refuses_mismatched_channels_and_oversized_outputs():
    with pytest.raises(ValueError, match="same C_in"):
        I.conv2d(np.zeros((1, 3, 4, 4)), np.zeros((2, 1, 3, 3)))
    big = np.lib.stride_tricks.as_strided(np.zeros(1), (1, 1, 2000, 2000), (0, 0, 0, 0))
    with pytest.raises(ValueError, match=f"{MAX_ELEMENTS:,}"):
        I.conv2d(big, np.zeros((1, 1, 3, 3)))


def test_hand_made_filters_see_edges_and_blur_keeps_brightness():
    weight, names = I.conv_filters(12, 3, seed=0)
    step = np.zeros((1, 3, 8, 8))
    step[..., 4:] = 1.0  # dark left half, bright right half: one vertical edge
    out = I.conv2d(step, weight)[0]  # (12, 6, 6)
    assert np.abs(out[names.index("edge_x")]).max() > 0.5
    assert np.abs(out[names.index("edge_y")]).max() == 0
    flat = np.full((1, 3, 5, 5), 0.7)
    np.testing.assert_allclose(I.conv2d(flat, weight)[0, names.index("blur")], 0.7)
    again, _ = I.conv_filters(12, 3, seed=0)
    other, _ = I.conv_filters(12, 3, seed=1)
    np.testing.assert_array_equal(weight, again)
    assert not np.array_equal(weight[4:], other[4:]) and np.array_equal(weight[:4], other[:4])


@pytest.mark.parametrize(
    "norm, torch_norm",
    [
        ("batch", lambda t, g: torch.nn.functional.batch_norm(t, None, None, training=True)),
        ("layer", lambda t, g: torch.nn.functional.layer_norm(t, t.shape[1:])),
        ("instance", lambda t, g: torch.nn.functional.instance_norm(t)),
        ("group", lambda t, g: torch.nn.functional.group_norm(t, g)),
    ],
)
@pytest.mark.parametrize("groups", [1, 3, 12])
def test_normalized_feature_maps_equal_torch(norm, torch_norm, groups):
    images = I.digit_images(4)
    features = I.conv2d(images, I.conv_filters()[0], padding=1)
    expected = torch_norm(torch.from_numpy(features), groups).numpy()
    np.testing.assert_allclose(I.normalize_features(features, norm, groups), expected, atol=1e-4)


def test_group_norm_meets_layer_norm_at_one_group_and_instance_norm_at_c_groups():
    features = I.conv2d(np.stack(list(I.sample_photos().values())), I.conv_filters()[0], padding=1)
    layer = I.normalize_features(features, "layer")
    instance = I.normalize_features(features, "instance")
    np.testing.assert_allclose(I.normalize_features(features, "group", 1), layer, atol=1e-5)
    np.testing.assert_allclose(I.normalize_features(features, "group", 12), instance, atol=1e-5)
    assert np.abs(I.normalize_features(features, "group", 3) - instance).max() > 0.1


def test_instance_norm_removes_brightness_and_contrast():
    photo = I.sample_photos()["china"][None]
    adjusted = 0.4 * photo + 0.3
    # equal up to eps, which weighs more in the low-contrast copy
    np.testing.assert_allclose(F.instance_norm(adjusted), F.instance_norm(photo), atol=2e-3)
    assert np.abs(F.instance_norm(adjusted) - F.instance_norm(photo[:, ::-1])).max() > 1


def test_adain_on_pixels_gives_the_style_statistics_in_lab():
    photos = I.sample_photos()
    result_lab, result_rgb = I.adain_pixels(photos["china"], photos["flower"])
    mean, std = I.channel_stats(result_lab)
    style_mean, style_std = I.channel_stats(I.rgb_to_lab(photos["flower"]))
    np.testing.assert_allclose(mean, style_mean, atol=1e-10)
    np.testing.assert_allclose(std, style_std, rtol=1e-4)  # content var / (var + eps) ~ 1
    assert result_rgb.shape == (3, I.IMAGE_SIZE, I.IMAGE_SIZE)
    assert 0 <= result_rgb.min() and result_rgb.max() <= 1


def test_adain_on_features_equals_torch_instance_norm_rescaled():
    photos = I.sample_photos()
    weight, _ = I.conv_filters()
    content = I.conv2d(photos["china"][None], weight, padding=1).astype(np.float64)
    style = I.conv2d(photos["flower"][None], weight, padding=1).astype(np.float64)
    t_content, t_style = torch.from_numpy(content), torch.from_numpy(style)
    s_mean = t_style.mean(dim=(2, 3), keepdim=True)
    s_std = (t_style.var(dim=(2, 3), keepdim=True, unbiased=False) + 1e-5).sqrt()
    expected = torch.nn.functional.instance_norm(t_content, eps=1e-5) * s_std + s_mean
    result = F.adain(content, style)
    np.testing.assert_allclose(result, expected.numpy(), atol=1e-10)
    np.testing.assert_allclose(I.channel_stats(result[0])[0], I.channel_stats(style[0])[0], atol=1e-10)
    np.testing.assert_allclose(I.channel_stats(result[0])[1], I.channel_stats(style[0])[1], rtol=1e-3)


def test_lab_round_trips_and_decorrelates_the_photos():
    for photo in I.sample_photos().values():
        lifted = np.maximum(photo, 0.02)  # above the log's floor for every cone response
        np.testing.assert_allclose(I.lab_to_rgb(I.rgb_to_lab(lifted)), lifted, atol=1e-6)
        off_diagonal = ~np.eye(3, dtype=bool)
        rgb = np.abs(I.channel_correlation(photo)[off_diagonal]).mean()
        lab = np.abs(I.channel_correlation(I.rgb_to_lab(photo))[off_diagonal]).mean()
        assert lab < rgb


def test_sources_have_the_documented_shapes():
    photos = I.sample_photos()
    assert list(photos) == ["china", "flower"]
    for photo in photos.values():
        assert photo.shape == (3, I.IMAGE_SIZE, I.IMAGE_SIZE) and photo.dtype == np.float32
        assert 0 <= photo.min() and photo.max() <= 1 and photo.std() > 0.1
    digits = I.digit_images(12)
    assert digits.shape == (12, 3, I.DIGIT_SIZE, I.DIGIT_SIZE) and digits.max() == 1.0
    np.testing.assert_array_equal(digits[:, 0], digits[:, 2])  # grey
    assert not np.array_equal(digits[0], digits[10])  # two different zeros


# ---------------------------------------------------------------- uploads


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def gradient(width=60, height=40, mode="RGB") -> Image.Image:
    x = np.linspace(0, 255, width, dtype=np.uint8)
    pixels = np.broadcast_to(x[None, :, None], (height, width, 3)).copy()
    pixels[..., 1] = np.linspace(0, 255, height, dtype=np.uint8)[:, None]
    return Image.fromarray(pixels).convert(mode)


def noise(width=64, height=64) -> Image.Image:
    return Image.fromarray(np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8))


def jpeg_header_only(width: int, height: int) -> bytes:
    """A JPEG whose frame header (SOF0) claims ``width`` x ``height``, cut off right after it."""
    data = encoded(Image.new("RGB", (16, 16)), "JPEG")
    at = data.index(b"\xff\xc0") + 5  # marker, length (2), precision (1), then height, width
    return data[:at] + struct.pack(">HH", height, width) + data[at + 4 :]


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` with no real pixel data behind it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.mark.parametrize(
    "data",
    [
        encoded(gradient(), "PNG"),
        encoded(gradient(mode="RGBA"), "PNG"),
        encoded(gradient(mode="P"), "PNG"),
        encoded(gradient(mode="L"), "PNG"),
        encoded(gradient(), "JPEG", quality=90),
        encoded(gradient(3000, 2000), "JPEG"),
    ],
    ids=["png", "rgba", "palette", "grey", "jpeg", "large-jpeg"],
)
def test_valid_uploads_become_square_rgb_images(data):
    image = I.load_upload(data)
    assert image.shape == (3, I.IMAGE_SIZE, I.IMAGE_SIZE) and image.dtype == np.float32
    assert 0 <= image.min() and image.max() <= 1 and image.std() > 0.05


def test_upload_keeps_the_picture():
    image = I.load_upload(encoded(gradient(200, 200), "PNG"))
    assert image[0, :, -1].mean() > image[0, :, 0].mean() + 0.8  # red grows left to right
    assert image[1, -1].mean() > image[1, 0].mean() + 0.8  # green grows top to bottom


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(I.MAX_UPLOAD_BYTES), "too_large"),
        (b"just some text, not a picture\n", "not_image"),
        (pickle.dumps({"payload": np.arange(10)}), "not_image"),
        (encoded(gradient(), "GIF"), "not_image"),
        (encoded(noise(), "PNG")[:4000], "corrupt"),
        (encoded(noise(), "JPEG")[:2000], "corrupt"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "corrupt"),
        (png_header_only(4000, 3001), "too_many_pixels"),
        (png_header_only(40000, 40000), "too_many_pixels"),
        (jpeg_header_only(8000, 5001), "too_many_pixels"),
    ],
    ids=[
        "oversize",
        "text",
        "pickle",
        "gif",
        "truncated-png",
        "truncated-jpeg",
        "garbage",
        "12MP",
        "bomb",
        "40MP-jpeg",
    ],
)
def test_bad_uploads_are_refused_with_a_reason(data, reason):
    with pytest.raises(I.UploadError) as refused:
        I.load_upload(data)
    assert refused.value.reason == reason


def test_pixel_limits_allow_a_phone_photo_and_a_screenshot_and_name_the_numbers():
    assert I.load_upload(encoded(gradient(4000, 3000), "JPEG")).shape == (3, I.IMAGE_SIZE, I.IMAGE_SIZE)
    assert I.load_upload(encoded(gradient(2560, 1440), "PNG")).shape == (3, I.IMAGE_SIZE, I.IMAGE_SIZE)
    with pytest.raises(I.UploadError) as refused:
        I.load_upload(png_header_only(30000, 30000))  # Pillow itself refuses this one before we look
    assert refused.value.values == {"megapixels": 900.0, "limit_mp": 4.0, "format": "PNG"}


def test_feature_grid_tiles_channels_on_one_colour_scale():
    maps = np.zeros((5, 4, 6))
    maps[1] = 2.0
    maps[2] = -2.0
    grid = I.feature_grid(maps, columns=3, limit=2.0, gap=1, scale=2)
    assert grid.shape == (2 * 8 + 1, 3 * 12 + 2, 3) and grid.dtype == np.uint8
    assert tuple(grid[0, 0]) == (255, 255, 255)  # zero is white
    assert tuple(grid[0, 12]) == (I.GAP_GREY,) * 3
    assert tuple(grid[0, 13]) == tuple((I.POSITIVE * 255).round().astype(int))
    assert tuple(grid[0, 26]) == tuple((I.NEGATIVE * 255).round().astype(int))
    decoded = np.asarray(Image.open(io.BytesIO(I.encode(grid, "PNG"))))
    np.testing.assert_array_equal(decoded, grid)


def test_conv_norm_relu_stages_and_their_grids():
    images = np.stack(list(I.sample_photos().values()))
    stages = I.conv_norm_relu(images, "batch", 3, channels=12, seed=0)
    weight, names = I.conv_filters(12, 3, 0)
    features = torch_conv(images, weight, padding=1)
    np.testing.assert_allclose(stages.features, features, atol=2e-6)
    # Against PyTorch in float64: channel 3 (mean 0.007, sd 0.097) reaches 8.5 sd, where float32
    # PyTorch is off by 4e-5 and normcore (float64 sums) by 3e-6.
    as64 = torch.from_numpy(features.astype(np.float64))
    expected = torch.nn.functional.batch_norm(as64, None, None, training=True).numpy()
    np.testing.assert_allclose(stages.normalized, expected, atol=1e-5)
    np.testing.assert_array_equal(stages.relu, np.maximum(stages.normalized, 0))
    assert stages.names == names
    assert stages.group_to_layer > 0.1 and stages.group_to_instance > 0.1
    assert I.conv_norm_relu(images, "group", 1).group_to_layer < 1e-5
    assert I.conv_norm_relu(images, "group", 12).group_to_instance < 1e-5
    grids = I.stage_grids(stages, index=1)
    size = I.IMAGE_SIZE
    assert [g.shape for g in grids] == [(size, 12 * (size + 3) - 3, 3)] * 3
    relu_grid = grids[2][:, :size]
    assert (relu_grid[..., 2] <= relu_grid[..., 0]).all()  # ReLU leaves no negative (blue) pixel


def test_style_transfer_reports_the_statistics_it_produced():
    photos = I.sample_photos()
    weight, _ = I.conv_filters(12, 3, 5)
    transfer = I.style_transfer(photos["flower"], photos["china"], weight)
    (_, _), (style_mean, style_std), (result_mean, result_std) = transfer.pixel_stats
    np.testing.assert_allclose(result_mean, style_mean, atol=1e-10)
    np.testing.assert_allclose(result_std, style_std, rtol=1e-4)
    content_features = I.conv2d(photos["flower"][None], weight, padding=1)[0]
    np.testing.assert_allclose(transfer.feature_stats[0][0], I.channel_stats(content_features)[0])
    np.testing.assert_allclose(transfer.feature_stats[2][0], transfer.feature_stats[1][0], atol=1e-5)
    np.testing.assert_allclose(transfer.feature_stats[2][1], transfer.feature_stats[1][1], rtol=1e-3)
    assert transfer.result.shape == photos["china"].shape


def test_brightness_and_contrast_are_not_clipped_and_jpeg_keeps_the_picture():
    image = I.sample_photos()["china"]
    adjusted = I.brightness_contrast(image, 0.5, 2.0)
    assert adjusted.max() > 1.2
    np.testing.assert_allclose(I.brightness_contrast(image, 0.0, 1.0), image, atol=1e-6)
    decoded = np.asarray(Image.open(io.BytesIO(I.encode(image)))) / 255.0
    assert decoded.shape == (I.IMAGE_SIZE, I.IMAGE_SIZE, 3)
    assert np.abs(decoded - image.transpose(1, 2, 0)).mean() < 0.02


def test_instance_norm_undoes_a_brightness_and_contrast_change_as_torch_computes_it():
    photo = next(iter(I.sample_photos().values())).astype(np.float64)  # (3, H, W)
    result = I.instance_norm_invariance(photo, 0.2, 1.5)
    np.testing.assert_allclose(result.adjusted, (photo - 0.5) * 1.5 + 0.7)
    both = torch.from_numpy(np.stack([photo, result.adjusted]))
    np.testing.assert_allclose(
        result.normalized, torch.nn.functional.instance_norm(both).numpy(), rtol=1e-6, atol=1e-6
    )
    assert result.difference == float(np.abs(result.normalized[0] - result.normalized[1]).max()) < 1e-3


def test_channel_histograms_bin_each_channel_on_one_shared_range_as_numpy_does():
    images = np.stack(list(I.sample_photos().values()))
    stages = I.conv_norm_relu(images, "group", 3, channels=12, seed=1)
    before, after = I.channel_histograms(stages.features, stages.normalized, bins=25)
    assert len(before) == len(after) == 12
    edges = before[0].edges
    assert edges.size == 26 and edges[0] < min(stages.features.min(), stages.normalized.min())
    assert edges[-1] > max(stages.features.max(), stages.normalized.max())
    for channel, (b, a) in enumerate(zip(before, after, strict=True)):
        np.testing.assert_array_equal(b.edges, edges)
        np.testing.assert_array_equal(a.edges, edges)
        for hist, maps in [(b, stages.features), (a, stages.normalized)]:
            counts, _ = np.histogram(maps[:, channel], bins=25, range=(edges[0], edges[-1]))
            np.testing.assert_array_equal(hist.counts, counts)
            assert hist.counts.sum() == maps[:, channel].size  # every value of the batch, N * H * W


def test_histogram_table_has_one_row_per_channel_and_bin():
    images = np.stack(list(I.sample_photos().values()))
    stages = I.conv_norm_relu(images, "layer", 1, channels=4, seed=0)
    before, after = I.channel_histograms(stages.features, stages.normalized, bins=10)
    table = I.histogram_table(stages.names, before, after)
    assert list(table) == ["channel", "low", "high", "before", "after"]
    assert {len(column) for column in table.values()} == {40}
    for row in (0, 9, 10, 39):
        channel, index = divmod(row, 10)
        assert table["channel"][row] == stages.names[channel]
        assert (table["low"][row], table["high"][row]) == tuple(before[channel].edges[index : index + 2])
        assert (table["before"][row], table["after"][row]) == (
            before[channel].counts[index],
            after[channel].counts[index],
        )


def test_stats_table_names_each_series_mean_and_std():
    series = {"content": (np.array([1.0, 2.0]), np.array([3.0, 4.0])), "style": (np.zeros(2), np.ones(2))}
    table = I.stats_table(["r", "g"], series)
    assert list(table) == ["channel", "content_mean", "content_std", "style_mean", "style_std"]
    assert table["channel"] == ["r", "g"]
    np.testing.assert_array_equal(table["content_std"], [3.0, 4.0])
    np.testing.assert_array_equal(table["style_mean"], [0.0, 0.0])


def test_the_docstring_examples_run():
    import doctest

    results = doctest.testmod(I, extraglobs={"np": np})
    assert results.attempted >= 4 and results.failed == 0
