"""AppTests of the Images and Weight norms pages: controls, hostile links and untrusted uploads."""

from __future__ import annotations

import pickle
import re

import numpy as np
import pytest
from PIL import Image

from normcore import images as I
from tests.conftest import open_page
from tests.stage_layout import chart_spec, sidebar_controls, stages
from tests.test_images_core import encoded, noise, png_header_only
from tests.test_uploads_hostile import many_scans

IMAGES = "pages/5_Images.py"
WEIGHTS = "pages/6_Weight_norms.py"


def picture_urls(at) -> list[str]:
    return [element.proto.imgs[0].url for element in at.get("image")]


def markdown_with(at, text: str) -> str:
    found = [m.value for m in at.markdown if text in m.value]
    assert found, f"no markdown containing {text!r}"
    return found[0]


def bold_numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"\*\*(-?[\d.e+-]+)%?\*\*", text)]


def test_images_page_shows_every_stage_and_group_norm_meets_layer_and_instance_norm():
    at = open_page(IMAGES)
    assert not at.exception
    assert len(at.get("image")) == 3 + 4 + 3  # stages, instance norm, AdaIN
    assert all(url.endswith(".jpg") for url in picture_urls(at))
    assert len(at.get("plotly_chart")) == 3
    layer, instance = bold_numbers(markdown_with(at, "Group Norm differs"))
    assert layer > 0.1 and instance > 0.1
    stages = picture_urls(at)[:3]

    at.select_slider(key="g").set_value("1").run()
    assert not at.exception and at.query_params["g"] == "1"
    assert bold_numbers(markdown_with(at, "Group Norm differs"))[0] < 1e-4  # G = 1 is Layer Norm
    assert picture_urls(at)[1] != stages[1] and picture_urls(at)[0] == stages[0]

    at.select_slider(key="g").set_value("12").run()
    assert bold_numbers(markdown_with(at, "Group Norm differs"))[1] < 1e-4  # G = 12 is Instance Norm

    at.radio(key="norm").set_value("batch").run()
    assert not at.exception and at.select_slider(key="g").disabled
    assert not [m for m in at.markdown if "Group Norm differs" in m.value]
    assert at.query_params["norm"] == "batch"


def test_images_page_other_sources_images_and_adain_choices():
    at = open_page(IMAGES)
    at.selectbox(key="img").set_value("flower").run()
    assert not at.exception and at.query_params["img"] == "flower"
    at.radio(key="src").set_value("digits").run()
    assert not at.exception
    assert at.selectbox(key="img").options == [f"digit {d}" for d in range(8)]
    at.selectbox(key="img").set_value("3").run()
    at.slider(key="contrast").set_value(2.0).run()
    at.slider(key="bright").set_value(-0.2).run()
    difference = bold_numbers(markdown_with(at, "Largest difference"))[0]
    assert not at.exception and difference < 1e-2
    before = picture_urls(at)[-1]
    at.selectbox(key="content").set_value("flower").run()
    at.selectbox(key="style").set_value("china").run()
    assert not at.exception and picture_urls(at)[-1] != before
    assert at.query_params["content"] == "flower" and at.query_params["style"] == "china"


def in_korean(at):
    at.radio(key="lang").set_value("ko").run()
    return at


def test_images_page_in_korean():
    at = in_korean(open_page(IMAGES))
    assert not at.exception
    assert at.title[0].value == "이미지와 AdaIN"
    assert at.radio(key="norm").options == ["배치 정규화", "층 정규화", "인스턴스 정규화", "그룹 정규화"]


HOSTILE_IMAGES = {
    "g": "7",
    "norm": "<script>alert(1)</script>",
    "bright": "nan",
    "contrast": "1e309",
    "seed": "-1",
    "img": "../../etc/passwd",
    "src": "upload",
    "content": "x" * 5000,
    "style": "upload",
}


def test_images_page_corrects_a_hostile_link_with_notices():
    at = open_page(IMAGES, HOSTILE_IMAGES)
    assert not at.exception
    notices = " ".join(info.value for info in at.info)
    for key in ("g", "norm", "bright", "contrast", "seed", "img", "content", "style"):
        assert f"{key}=" in notices, key
    assert "<script>" not in notices.replace("`<script>", "")  # shown only as code
    assert "x" * 100 not in notices  # long values are cut
    assert at.radio(key="norm").value == "group" and at.select_slider(key="g").value == "3"
    assert 0 <= at.number_input(key="seed").value <= 9999


def png(image: Image.Image) -> bytes:
    return encoded(image, "PNG")


UPLOADS = [
    ("oversize.png", b"\x89PNG\r\n\x1a\n" + bytes(I.MAX_UPLOAD_BYTES + 1), "limit is 5 MB"),
    ("notes.png", b"these are my lecture notes\n", "not a PNG or JPEG"),
    ("weights.png", pickle.dumps({"w": np.ones(3)}), "not a PNG or JPEG"),
    ("cut.png", png(noise())[:3000], "truncated or damaged"),
    ("big.png", png_header_only(4000, 4000), "16 million pixels; at most 4 million are allowed for a PNG"),
    ("bomb.png", png_header_only(30000, 30000), "900 million pixels"),
    ("scans.jpg", many_scans(8000, 5000, 100_000), "made of more than 40 scans"),
    ("cmyk.jpg", many_scans(8000, 5000, 1, mode="CMYK"), "about 312 MB of memory on the server"),
    (
        "lossless.jpg",
        encoded(Image.new("RGB", (16, 16)), "JPEG").replace(b"\xff\xc0", b"\xff\xc3", 1),
        "lossless",
    ),
]


def test_images_page_takes_valid_uploads_and_refuses_bad_ones_with_a_clear_message():
    at = open_page(IMAGES, {"src": "upload"})
    assert "No usable upload" in at.info[0].value
    for name, data, message in UPLOADS:
        at.file_uploader[0].set_value((name, data, "image/png")).run()
        assert not at.exception, name
        assert len(at.warning) == 1 and message in at.warning[0].value, (name, [w.value for w in at.warning])
        assert "upload" not in at.selectbox(key="content").options

    photo = Image.fromarray((I.sample_photos()["flower"].transpose(1, 2, 0) * 255).astype(np.uint8))
    for name, data, mime in [
        ("grey16.png", png(Image.fromarray(np.full((64, 64), 30000, dtype=np.uint16))), "image/png"),
        ("flower.png", png(photo.resize((300, 200))), "image/png"),
        ("flower.jpg", encoded(photo.resize((200, 300)), "JPEG"), "image/jpeg"),
    ]:
        at.file_uploader[0].set_value((name, data, mime)).run()
        assert not at.exception and not at.warning, name
        assert at.selectbox(key="img").options[0] == "Your upload"
        assert "Your upload" in at.selectbox(key="content").options
    at.selectbox(key="content").set_value("upload").run()
    at.selectbox(key="img").set_value("upload").run()
    assert not at.exception and not at.info

    at.file_uploader[0].clear().run()  # the upload is removed while it is selected everywhere
    assert not at.exception and "No usable upload" in at.info[0].value
    assert at.selectbox(key="content").value == "china" and at.selectbox(key="img").value == "china"


def test_weight_norms_page_controls():
    at = open_page(WEIGHTS)
    assert not at.exception
    assert len(at.get("plotly_chart")) == 5
    low, high = bold_numbers(markdown_with(at, "After standardization"))[1:]
    assert 0.99 < low <= high <= 1.0
    steps, estimate, exact, _ = bold_numbers(markdown_with(at, "step(s)"))
    assert steps == 5 and estimate <= exact

    at.slider(key="iters").set_value(100).run()
    at.slider(key="decay").set_value(0.2).run()
    steps, estimate, exact, _ = bold_numbers(markdown_with(at, "step(s)"))
    assert steps == 100 and estimate == pytest.approx(exact, rel=1e-5)
    before, after, bound = bold_numbers(markdown_with(at, "Largest stretch"))
    assert after <= bound == pytest.approx(1.0, abs=1e-4) and before <= exact

    at.slider(key="drift").set_value(0.0).run()
    at.slider(key="out").set_value(64).run()
    at.slider(key="in").set_value(2).run()
    at.number_input(key="seed").set_value(42).run()
    assert not at.exception
    assert at.slider(key="out").value == 64 and at.number_input(key="seed").value == 42


def test_weight_norms_page_in_korean_and_with_a_hostile_link():
    hostile = {
        "lang": "ko",
        "out": "100000",
        "in": "-5",
        "iters": "1e9",
        "decay": "nan",
        "drift": "inf",
        "seed": "x",
    }
    at = open_page(WEIGHTS, hostile)
    assert not at.exception
    notices = " ".join(info.value for info in at.info)
    for key in ("out", "in", "iters", "decay", "drift", "seed"):
        assert f"{key}=" in notices, key
    assert at.slider(key="out").value <= 64 and at.slider(key="iters").value <= 100
    in_korean(at)
    assert not at.exception and at.title[0].value == "가중치 기반 정규화"


@pytest.mark.parametrize("present", [{}, {"present": "true"}])
def test_images_controls_stand_above_what_they_drive(present):
    """Presenter mode hides the sidebar: the source, the upload and every section's controls stand on
    the page, above the pictures and charts they drive (issue 13 §1)."""
    at = open_page(IMAGES, present)
    assert sidebar_controls(at) == ["lang"]
    assert at.main.get("file_uploader")  # the upload too, folded on the page
    layout = stages(at)
    assert {key: value["controls"] for key, value in layout.items()} == {
        "nc_stage": ["src", "seed"],
        "nc_stage_conv": ["norm", "g", "img"],
        "nc_stage_in": ["bright", "contrast"],
        "nc_stage_adain": ["content", "style"],
    }
    assert layout["nc_stage_conv"]["chart"] == "channel_hist"
    histograms, pictures = chart_spec(at, "channel_hist"), picture_urls(at)
    at.radio(key="src").set_value("digits").run()  # the top bar: another batch
    assert chart_spec(at, "channel_hist") != histograms and picture_urls(at)[:3] != pictures[:3]
    histograms = chart_spec(at, "channel_hist")
    at.select_slider(key="g").set_value("2").run()  # the conv bar: the histograms below it
    assert chart_spec(at, "channel_hist") != histograms
    assert not at.exception


@pytest.mark.parametrize("present", [{}, {"present": "true"}])
def test_weight_norms_controls_stand_above_what_they_drive(present):
    at = open_page(WEIGHTS, present)
    assert sidebar_controls(at) == ["lang"]
    layout = stages(at)
    assert layout == {
        "nc_stage": {"controls": ["drift", "seed"], "chart": "ws_weights"},
        "nc_stage_sn": {"controls": ["out", "in", "decay", "iters"], "chart": "power"},
    }
    weights, power = chart_spec(at, "ws_weights"), chart_spec(at, "power")
    at.slider(key="drift").set_value(0.9).run()
    assert chart_spec(at, "ws_weights") != weights and chart_spec(at, "power") == power
    at.slider(key="iters").set_value(9).run()
    assert chart_spec(at, "power") != power
    assert not at.exception
