"""The Explorer page in AppTest: every norm and mode, hostile links, batch size 1, uploads, γ/β, code."""

from __future__ import annotations

import contextlib
import io
import json
import re

import numpy as np
import pytest

from tests.conftest import open_page
from ui import tour
from ui.i18n import translate

PAGE = "pages/1_Explorer.py"
NORMS = ["batch", "layer", "instance", "group", "rms", "batch_renorm", "none"]
CHARTS = {
    "sets": 3,
    "stats": 2,
    "downstream": 2,
    "worked": 1,
    "backward": 4,  # the scale-invariance section folded (a link with sa= or si=true opens it)
    "code": 1,
}  # the histogram and the view's
VIEWS = list(CHARTS)


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def no_errors(at) -> None:
    assert not at.exception, at.exception
    assert not at.error, texts(at.error)


def printed_value(code: str) -> float:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<page snippet>", "exec"), {})
    return float(out.getvalue().split()[-1])


def show(at, view: str):
    at.segmented_control(key="view").set_value(view).run()
    no_errors(at)
    assert len(at.get("plotly_chart")) == CHARTS[view], view
    return at


def latex_y(at) -> float:
    """The last number of the followed element's formula: y."""
    numbers = re.findall(r"= \(?(-?[\d.]+)(?: \\times 10\^\{(-?\d+)\})?\)?", at.latex[0].value)
    mantissa, exponent = numbers[-1]
    return float(mantissa) * 10 ** int(exponent or 0)


@pytest.fixture(scope="module")
def explorer():
    return open_page(PAGE, {"n": "8", "c": "4", "hw": "3"})


def test_every_norm_in_both_modes_in_every_view(explorer):
    at = explorer
    for norm in NORMS:
        at.selectbox(key="norm").set_value(norm).run()
        for mode in ["train", "eval"]:
            at.segmented_control(key="mode").set_value(mode).run()
            for view in VIEWS:
                show(at, view)
                assert not at.warning, (norm, mode, view, texts(at.warning))
            # the worked example, an (N, C) table without space, is refused for instance norm
            assert ("spatial element" in texts(show(at, "worked").info)) == (norm == "instance")
            printed = printed_value(show(at, "code").code[0].value)
            assert f"{printed:.6g}" in texts(at.caption), (norm, mode)  # the code prints what the page says
            assert printed == pytest.approx(latex_y(show(at, "stats")), rel=1e-3, abs=1e-3)


def test_only_the_chosen_view_runs_and_the_link_keeps_it():
    at = open_page(PAGE, {"n": "4", "hw": "2"})
    assert at.segmented_control(key="view").value == "sets" and "view" not in at.query_params
    assert [s.value for s in at.main.subheader] == ["Which elements share statistics"]  # over both charts
    show(at, "code")
    assert at.query_params["view"] == "code" and at.code and not at.latex and not at.data_editor
    at = open_page(PAGE, {"view": "worked", "lang": "ko"})  # a link in one language opens in another
    assert at.segmented_control(key="view").value == "worked" and len(at.dataframe) == 2


def test_eval_mode_compares_running_and_batch_statistics():
    at = open_page(PAGE, {"mode": "eval", "wb": "3", "n": "4", "hw": "2", "view": "stats"})
    no_errors(at)
    assert "Running versus this batch" in texts(at.caption)
    assert r"\mu_{\mathrm{run}}" in at.latex[0].value
    at.selectbox(key="norm").set_value("layer").run()
    assert "eval mode computes exactly what training mode does" in texts(at.caption)


@pytest.mark.parametrize("source", ["photo", "digits"])
def test_real_sources(source):
    at = open_page(PAGE, {"src": source, "n": "4", "hw": "5", "dist": "heavy", "view": "code"})
    no_errors(at)
    assert "source='" + source + "'" in at.code[0].value
    assert at.selectbox(key="dist").disabled  # the shape is the images'


def test_distribution_shapes():
    at = open_page(PAGE, {"n": "4", "hw": "2", "view": "code"})
    for shape in ["uniform", "skewed", "heavy", "outliers"]:
        at.selectbox(key="dist").set_value(shape).run()
        no_errors(at)
        assert f"shape='{shape}'" in at.code[0].value


def test_hostile_link_values_are_replaced_with_notices():
    hostile = {
        "norm": "<script>alert(1)</script>",
        "mode": "debug",
        "n": "-5",
        "c": "abc",
        "hw": "1e9",
        "g": "3",
        "eps": "0",
        "seed": "-1",
        "mom": "NaN",
        "gc": "1,2",
        "bc": "x,y,z,w,v,u,t,s",
        "we": "1,2;3",
        "fn": "999",
        "act": "softmax",
        "sm": "everything",
        "src": "/etc/passwd",
        "view": "../../secrets",
    }
    at = open_page(PAGE, hostile)
    no_errors(at)
    notice = texts(at.info)
    for key in hostile:
        # c, hw: text Streamlit ignores; g and mom do not apply to batch norm in training: dropped, no notice
        assert f"{key}=" in notice or key in ("c", "hw", "mom", "g"), key
    assert "g" not in at.query_params and "mom" not in at.query_params
    assert "norm=`<script>alert(1)</script>`" in notice  # shown as code, never as markup
    assert len(at.get("plotly_chart")) == CHARTS["sets"]
    assert (
        at.selectbox(key="norm").value == "batch" and at.segmented_control(key="n").value == "16"
    )  # the default


def test_links_asking_for_too_many_elements_are_capped():
    at = open_page(PAGE, {"n": "256", "c": "64", "hw": "32", "norm": "group", "g": "16", "view": "code"})
    no_errors(at)
    assert "using N = 30" in texts(at.info)
    assert "30 × 64 × 32 × 32" in texts(at.caption)
    assert "make_input(30, 64, 32, 32" in at.code[0].value


def test_group_count_falls_back_when_channels_change():
    at = open_page(PAGE, {"norm": "group", "g": "4", "c": "8", "n": "4", "hw": "2", "view": "code"})
    assert at.selectbox(key="g").value == "4"
    at.slider(key="c").set_value(6).run()
    no_errors(at)
    assert "G = 4 does not divide C = 6; using G = 2" in texts(at.info)
    assert at.selectbox(key="g").options == ["1", "2", "3", "6"]
    assert "GroupNorm(2, 6" in at.code[0].value


def test_group_count_that_does_not_divide_in_the_link():
    at = open_page(PAGE, {"norm": "group", "g": "3", "c": "8"})
    no_errors(at)
    assert "g=`3`" in texts(at.info) and at.selectbox(key="g").value == "2"


def test_batch_of_one_shows_what_pytorch_does():
    at = open_page(PAGE, {"n": "1", "hw": "1"})
    no_errors(at)
    warning = texts(at.warning)
    assert (
        "Expected more than 1 value per channel when training, got input size torch.Size([1, 8, 1, 1])"
        in warning
    )
    assert "eval mode" in warning
    assert not at.get("plotly_chart")  # no views of nothing
    at.segmented_control(key="mode").set_value("eval").run()  # a trained network with one sample
    no_errors(at)
    assert not at.warning and len(at.get("plotly_chart")) == CHARTS["sets"]
    at.segmented_control(key="mode").set_value("train").run()
    at.slider(key="hw").set_value(4).run()  # (1, C, H, W): statistics over space
    no_errors(at)
    assert "H·W = 16 values" in texts(at.info) and len(at.get("plotly_chart")) == CHARTS["sets"]
    at.selectbox(key="norm").set_value("instance").run()
    at.slider(key="hw").set_value(1).run()
    assert "Expected more than 1 spatial element when training" in texts(at.warning)


def test_recover_the_input_gives_the_identity():
    at = open_page(PAGE, {"n": "6", "hw": "2", "ga": "0.5", "view": "downstream"})
    recover = next(b for b in at.button if "Recover" in b.label)
    recover.click().run()
    no_errors(at)
    assert "gc" in at.query_params and "bc" in at.query_params
    success = texts(at.success)
    assert "y = x" in success
    assert float(re.search(r"difference is ([\d.e+-]+)", success).group(1)) < 1e-5
    at.slider(key="ga").set_value(1.0).run()  # the global slider sets every channel again
    assert "gc" not in at.query_params and not at.success


def test_recover_is_disabled_where_channels_cannot_undo_the_norm():
    at = open_page(PAGE, {"norm": "layer", "n": "4", "hw": "2", "view": "downstream"})
    assert next(b for b in at.button if "Recover" in b.label).disabled


def test_per_channel_gamma_beta_from_the_link():
    link = {
        "gc": "1,1,1,1,1,1,1,2.5",
        "bc": "0,0,0,0,0,0,0,-1",
        "fc": "7",
        "n": "4",
        "hw": "2",
        "view": "stats",
    }
    at = open_page(PAGE, link)
    no_errors(at)
    assert r"2.5 \cdot" in at.latex[0].value and "+ (-1) =" in at.latex[0].value
    assert "2.5" in show(at, "code").code[0].value
    assert list(show(at, "downstream").data_editor[0].value["γ"]) == [1, 1, 1, 1, 1, 1, 1, 2.5]


def test_worked_example_from_the_link():
    at = open_page(PAGE, {"we": "1,2,3;4,5,9", "norm": "layer", "view": "worked"})
    no_errors(at)
    steps = at.dataframe[-1].value
    assert len(steps) == 6
    np.testing.assert_allclose(steps["μ"], [2, 2, 2, 6, 6, 6])
    at = open_page(PAGE, {"norm": "instance", "view": "worked"})
    assert "Expected more than 1 spatial element" in texts(at.info)  # the (N, C) table has no space


def npy(array, **kwargs) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def test_uploads():
    at = open_page(PAGE, {"src": "upload", "norm": "group", "view": "code"})
    no_errors(at)
    assert "Choose a .npy or .csv file" in texts(at.info)
    assert "The batch has" not in texts(at.info)  # no batch yet: no followed sample to bound
    mine = np.random.default_rng(0).standard_normal((5, 6, 3, 2)).astype(np.float32)
    at.file_uploader[0].set_value(("mine.npy", npy(mine), "application/octet-stream")).run()
    no_errors(at)
    assert len(at.get("plotly_chart")) == CHARTS["code"]
    assert "5 × 6 × 3 × 2" in texts(at.caption)
    assert at.selectbox(key="g").options == ["1", "2", "3", "6"]
    assert "load_activations(Path('mine.npy')" in at.code[0].value
    at.file_uploader[0].set_value(("evil.npy", npy(np.array([object()]), allow_pickle=True), "x")).run()
    no_errors(at)
    assert "pickled data" in texts(at.warning) and not at.get("plotly_chart")
    assert "The batch has" not in texts(at.info)
    at.file_uploader[0].set_value(("minus.csv", "\u22121,2\n3,4\n".encode(), "text/csv")).run()
    assert "use ASCII '-' for minus" in texts(at.warning) and not at.get("plotly_chart")
    at.file_uploader[0].set_value(("zeros.csv", b"0\n" * 2_499_990, "text/csv")).run()
    assert "2,499,990 lines of 1 column" in texts(at.warning) and not at.get("plotly_chart")
    at.file_uploader[0].set_value(("text.npy", npy(np.array(["a" * 1000])), "x")).run()
    assert "got dtype <U1000" in texts(at.warning) and not at.get("plotly_chart")
    at.file_uploader[0].set_value(("nan.csv", b"1,2\n3,nan\n", "text/csv")).run()
    assert "NaN or infinite" in texts(at.warning) and not at.get("plotly_chart")
    at.file_uploader[0].set_value(("ok.csv", b"a,b\n1,2\n3,5\n4,4\n", "text/csv")).run()
    no_errors(at)
    assert len(at.get("plotly_chart")) == CHARTS["code"]


def test_korean():
    at = open_page(PAGE, {"norm": "group", "view": "stats"})
    at.radio(key="lang").set_value("ko").run()
    no_errors(at)
    assert at.title[0].value == "탐색기"
    assert "그룹 정규화" in at.selectbox(key="norm").options
    assert "사용된 통계" in texts(at.subheader)
    assert at.segmented_control(key="view").value == "stats"  # the code, whatever the language


def test_the_worked_example_has_a_fixed_number_of_rows_set_by_its_own_control():
    at = open_page(PAGE, {"we": "1,2,3;4,5,9", "norm": "layer", "view": "worked"})
    no_errors(at)
    assert at.number_input(key="wr").value == 2  # the link's table brings its row count
    assert len(at.data_editor[0].value) == 2
    at.number_input(key="wr").set_value(4).run()
    no_errors(at)
    assert len(at.data_editor[0].value) == 4 and len(at.dataframe[-1].value) == 4 * 3
    # the link holds the rows (wr is then its default)
    assert at.query_params["we"] == "1,2,3;4,5,9;0,0,0;0,0,0"
    at.number_input(key="wr").set_value(1).run()
    no_errors(at)
    assert at.query_params["we"] == "1,2,3" and len(at.dataframe[-1].value) == 3


def test_a_linked_row_count_out_of_range_is_clamped_with_a_notice():
    at = open_page(PAGE, {"view": "worked", "wr": "500"})
    no_errors(at)
    assert at.number_input(key="wr").value == 4  # the rows of the table (the default one here)
    assert len(at.data_editor[0].value) == 4 and "wr=`500`" in texts(at.info)


def test_rms_norm_shows_its_rms_and_no_mean():
    at = open_page(PAGE, {"norm": "rms", "n": "4", "c": "2", "hw": "2", "view": "stats"})
    no_errors(at)
    data = at.get("plotly_chart")[-1]
    assert "mean μ" not in str(data.proto) and "RMS of each sample" in str(data.proto)
    show(at, "worked")
    columns = list(at.dataframe[-1].value.columns)
    assert "μ" not in columns and "x − μ" not in columns and "σ²" not in columns
    assert columns[2:] == ["x", "mean(x²)", "RMS = √(mean(x²) + ε)", "x̂", "y = γx̂"]


def test_worked_example_follows_the_r_max_and_d_max_sliders():
    link = {"norm": "batch_renorm", "view": "worked", "rmax": "1", "dmax": "0"}
    renorm = open_page(PAGE, link).dataframe[-1].value
    plain = open_page(PAGE, {"norm": "batch", "view": "worked"}).dataframe[-1].value
    np.testing.assert_allclose(renorm["y = γx̂ + β"], plain["y = γx̂ + β"], rtol=1e-12)
    assert set(renorm["r"]) == {1.0} and set(renorm["d"]) == {0.0}
    wide = open_page(PAGE, {"norm": "batch_renorm", "view": "worked", "rmax": "2", "dmax": "0.5"})
    assert set(wide.dataframe[-1].value["d"].abs()) == {0.5} and "[1/2.0, 2.0]" in texts(wide.caption)


def test_group_norm_refusal_does_not_offer_eval_mode():
    at = open_page(PAGE, {"norm": "group", "n": "1", "hw": "1", "c": "4", "g": "4"})
    no_errors(at)
    warning = texts(at.warning)
    assert "Expected more than 1 value" in warning and "Eval mode does not help" in warning
    assert "switch to eval mode" not in warning


# ---- backward view (issue 14) ----


def markdown_text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.mark.parametrize("norm", NORMS)
def test_backward_view_controls_in_both_modes(norm):
    at = open_page(PAGE, {"norm": norm, "n": "6", "c": "4", "hw": "2", "view": "backward"})
    no_errors(at)
    for mode in ["train", "eval"]:
        at.segmented_control(key="mode").set_value(mode).run()
        for up in ["zero", "input", "random", "class"]:
            at.segmented_control(key="up").set_value(up).run()
            no_errors(at)
            assert len(at.get("plotly_chart")) == CHARTS["backward"], (norm, mode, up)
        at.number_input(key="ex").set_value(4).run()
        at.segmented_control(key="exf").set_value("-1").run()
        no_errors(at)
        assert at.number_input(key="ex").value == 4 and at.query_params["exf"] == "-1"
        assert "example 4" in at.get("plotly_chart")[3].proto.spec  # the block marks the chosen row
        text = markdown_text(at)
        coupled = norm in ("batch", "batch_renorm") and mode == "train"
        assert ("**Coupled.**" in text) == coupled, (norm, mode, text)
        assert ("**Not coupled.**" in text) == (not coupled), (norm, mode, text)
        if norm in ("batch", "batch_renorm") and mode == "eval":
            assert "**Eval mode: the running statistics are constants.**" in text
            assert "their largest difference is 0." in text
        elif norm not in ("none", "rms"):
            assert "**The mean cannot move.**" in text and "**The scale cannot move (up to ε).**" in text
    assert not at.get("select_slider") or "sa" not in [s.key for s in at.select_slider]  # folded
    at = open_page(PAGE, {"norm": norm, "n": "6", "c": "4", "hw": "2", "view": "backward", "si": "true"})
    at.select_slider(key="sa").set_value("0.01").run()
    no_errors(at)
    assert at.query_params["sa"] == "0.01" and len(at.get("plotly_chart")) == CHARTS["backward"] + 1
    ratio = next(m for m in at.metric if "‖" in m.label)
    assert float(ratio.value) > 50  # dL/d(aW) grows as the weights shrink (1/a = 100, eps pulls it off)


def test_backward_view_in_korean_and_a_hostile_link():
    at = open_page(PAGE, {"view": "backward", "lang": "ko", "up": "nonsense", "ex": "999", "sa": "7"})
    no_errors(at)
    assert at.segmented_control(key="up").value == "class"
    assert "배치 결합" in "\n".join(h.value for h in at.subheader)
    notices = texts(at.info)
    assert "nonsense" in notices and "`7`" in notices


def test_code_view_with_the_backward_loss_prints_the_pages_gradient():
    at = open_page(
        PAGE, {"n": "6", "c": "4", "hw": "2", "view": "code", "up": "random", "fn": "2", "fc": "1"}
    )
    no_errors(at)
    code = at.code[0].value
    assert "loss.backward()" in code and "x.grad[2, 1, 0, 0]" in code
    printed = printed_value(code)
    shown = float(re.search(r"this page computes (\S+)\.$", texts(at.caption)).group(1))
    assert printed == pytest.approx(shown, rel=1e-4)


# ---- the bar above the chart (issue 13 §1, §4, §5) ----

BAR_KEYS = {"norm", "mode", "n", "ga", "be", "view"}


def widget_keys(block) -> set[str]:
    kinds = ("selectbox", "radio", "segmented_control", "slider", "select_slider", "number_input", "toggle")
    return {w.key for kind in kinds for w in block.get(kind)}


@pytest.mark.parametrize("present", [False, True])
def test_the_bar_holds_the_lesson_controls_on_the_page(present):
    at = open_page(PAGE, {"norm": "group", "present": "true"} if present else {"norm": "group"})
    no_errors(at)
    assert BAR_KEYS | {"g"} <= widget_keys(at.main)  # in presenter mode too: the sidebar is hidden there
    assert not (BAR_KEYS | {"g"}) & widget_keys(at.sidebar)  # one widget per URL key, on the page
    assert {"src", "c", "hw", "eps", "seed"} <= widget_keys(at.sidebar)
    at.selectbox(key="norm").set_value("layer").run()
    assert "g" not in widget_keys(at.main) | widget_keys(at.sidebar)  # G only when it applies
    assert translate("explorer.intro", "en") in texts(at.caption)


def test_batch_size_in_one_move_among_powers_of_two():
    at = open_page(PAGE, {})
    assert at.segmented_control(key="n").options == ["1", "2", "4", "8", "16", "32", "64", "128", "256"]
    at.segmented_control(key="n").set_value("2").run()
    no_errors(at)
    assert at.query_params["n"] == "2" and "2 × 8 × 8 × 8" in texts(at.caption)


@pytest.mark.parametrize("old", ["10", "3", "200"])
def test_an_old_link_with_another_batch_size_keeps_it(old):
    at = open_page(PAGE, {"n": old, "hw": "2"})
    no_errors(at)
    assert at.segmented_control(key="n").value == old and old in at.segmented_control(key="n").options
    assert f"{old} × 8 × 2 × 2" in texts(at.caption) and not at.info  # kept, so no notice
    at.segmented_control(key="n").set_value("4").run()
    assert at.query_params["n"] == "4" and "4 × 8 × 2 × 2" in texts(at.caption)


def test_a_batch_size_out_of_range_is_a_notice():
    at = open_page(PAGE, {"n": "300"})
    no_errors(at)
    assert "n=`300`" in texts(at.info) and at.segmented_control(key="n").value == "16"


@pytest.mark.parametrize(
    ("link", "switch", "dropped"),
    [
        ({"norm": "group", "g": "8"}, ("norm", "layer"), ["g"]),
        ({"norm": "batch_renorm", "rmax": "2", "dmax": "1", "mom": "0.5", "wb": "3"}, ("norm", "batch"), ["rmax", "dmax", "mom", "wb"]),
        ({"mode": "eval", "mom": "0.5", "wb": "3"}, ("mode", "train"), ["mom", "wb"]),
        ({"eps": "0.1"}, ("norm", "none"), ["eps"]),
    ],
)  # fmt: skip
def test_keys_that_no_longer_apply_leave_the_link(link, switch, dropped):
    at = open_page(PAGE, {**link, "hw": "2"})
    no_errors(at)
    assert all(key in at.query_params for key in dropped), at.query_params
    key, value = switch
    (at.selectbox if key == "norm" else at.segmented_control)(key=key).set_value(value).run()
    no_errors(at)
    assert not [key for key in dropped if key in at.query_params], at.query_params
    assert not set(dropped) & (widget_keys(at.main) | widget_keys(at.sidebar))


def test_momentum_and_warm_up_apply_where_running_statistics_are_read():
    for link, shown in [({}, False), ({"mode": "eval"}, True), ({"norm": "batch_renorm"}, True),
                        ({"norm": "layer", "mode": "eval"}, False)]:  # fmt: skip
        at = open_page(PAGE, {**link, "hw": "2"})
        assert ({"mom", "wb"} <= widget_keys(at.sidebar)) == shown, link


def first_chart_title(at) -> str:
    return json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]


@pytest.mark.parametrize("present", [False, True])
def test_a_tour_step_shows_its_view_before_the_whole_batch_histogram(present):
    """Step 3 (γ/β) opens the Downstream view, step 4 the Backward view: that view's chart comes first, the
    whole-batch histogram after it; step 7 opens the default view, which keeps the histogram first."""
    hist = translate("explorer.hist_title", "en", norm=translate("explorer.norm.batch", "en"))
    firsts = {3: translate("explorer.downstream_title", "en"), 4: translate("backward.pair_title", "en")}
    for number, first in firsts.items():
        assert tour.STEPS[number - 1].page == "pages/1_Explorer.py"
        at = open_page("pages/1_Explorer.py", tour.step_params(number, present=present))
        no_errors(at)
        titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
        assert titles[0] == first and hist in titles[1:], (number, titles)
    at = open_page("pages/1_Explorer.py", tour.step_params(7, present=present))
    no_errors(at)
    assert first_chart_title(at) == translate(
        "explorer.hist_title", "en", norm=translate("explorer.norm.group", "en")
    )
    at = open_page("pages/1_Explorer.py", dict(tour.STEPS[2].params))  # the same link, not as a tour step
    assert first_chart_title(at) == hist


def test_a_followed_sample_beyond_the_batch_follows_its_last_sample_with_a_notice():
    at = open_page(PAGE, {"n": "4", "hw": "2", "fn": "20", "view": "stats"})
    no_errors(at)
    assert translate("explorer.follow_beyond", "en", asked=20, n=4, used=3) in texts(at.info)
    assert "x[3, 0" in texts(at.caption)  # the step-by-step view follows sample 3
    at.segmented_control(key="n").set_value("32").run()  # a batch that holds sample 20
    no_errors(at)
    assert "x[20, 0" in texts(at.caption) and "following sample" not in texts(at.info)


def test_the_stuck_share_says_what_its_change_is_against_and_shows_none_for_no_change():
    at = open_page(PAGE, {"view": "downstream", "act": "sigmoid"})
    no_errors(at)
    [metric] = at.metric
    assert not metric.delta  # γ = 1, β = 0: the reference itself, no arrow
    at.slider(key="ga").set_value(2.5).run()
    [metric] = at.metric
    assert metric.delta.startswith("+") and metric.delta.endswith("against γ = 1, β = 0"), metric.delta
