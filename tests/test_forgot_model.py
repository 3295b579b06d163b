"""The "Forgot model.eval()" demo's shipped network: what retraining gives, what the page loads, and the
fallback to training when the file is missing or holds other settings."""

from __future__ import annotations

import streamlit as st
import torch

from normcore import forgot_eval
from normcore.experiments import forgot_model
from tests.conftest import open_page
from ui.i18n import translate

PAGE = "pages/3_Train_vs_eval.py"


def test_the_file_records_how_it_was_made():
    made = forgot_model.read()
    assert made["experiment"] == "forgot-model"
    assert made["command"].startswith("python -m normcore.experiments forgot-model --seed 0")
    assert {"torch", "numpy", "python", "torch_threads_per_worker"} <= set(made["environment"])


def test_the_file_holds_the_demo_model_at_the_default_seed():
    from dataclasses import asdict

    assert forgot_model.read()["config"] == asdict(forgot_eval.config(0))


def test_a_fresh_training_equals_the_shipped_model():
    """Retrained with the same seed: every parameter and buffer (BN running statistics included) and the
    test accuracy are exactly the file's."""
    shipped, shipped_accuracy = forgot_model.load(forgot_eval.config(0))
    fresh, fresh_accuracy = forgot_eval.train_model(0)
    assert fresh_accuracy == shipped_accuracy
    fresh_state, shipped_state = fresh.state_dict(), shipped.state_dict()
    assert list(fresh_state) == list(shipped_state)
    assert any("running_var" in name for name in shipped_state)
    for name, tensor in fresh_state.items():
        assert tensor.dtype == shipped_state[name].dtype, name
        assert torch.equal(tensor, shipped_state[name]), name
    assert not shipped.training  # loaded in eval mode, as the trainer leaves it


def test_a_tensor_survives_the_file_exactly():
    for tensor in [torch.randn(3, 4), torch.arange(5), torch.tensor(7), torch.randn(2, dtype=torch.float64)]:
        back = forgot_model.decode_tensor(forgot_model.encode_tensor(tensor))
        assert back.dtype == tensor.dtype and torch.equal(back, tensor)


def test_other_settings_or_no_file_fall_back_to_training(monkeypatch, tmp_path):
    trained = []
    monkeypatch.setattr(forgot_eval, "train_model", lambda seed=0: trained.append(seed) or ("model", 0.5))
    assert forgot_model.load(forgot_eval.config(1)) is None  # the file holds seed 0 only
    assert forgot_eval.trained_model(1) == ("model", 0.5) and trained == [1]
    monkeypatch.setattr(forgot_model, "SHIPPED", tmp_path / "missing.json.gz")
    assert forgot_eval.trained_model(0) == ("model", 0.5) and trained == [1, 0]


def test_first_view_draws_the_demo_from_the_file_without_training(monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("the page trained the demo's network")

    monkeypatch.setattr(forgot_eval, "train_model", no_training)
    monkeypatch.setattr(forgot_eval, "train", no_training)
    st.cache_resource.clear()  # no network left over from another test
    st.cache_data.clear()
    at = open_page(PAGE)
    assert not at.exception, at.exception
    charts = [c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")]
    assert charts == ["running_chart", "same_chart", "forgot_chart", "renorm_gap"]
    metrics = {m.label: m.value for m in at.metric}
    accuracy = forgot_model.read()["test_accuracy"]
    assert metrics[translate("tve.accuracy", "en")] == f"{100 * accuracy:.1f} %"
    assert metrics[translate("tve.wrong_eval", "en")] in {"0 / 100", "100 / 100"}
    assert translate("tve.forgot_off", "en") not in [i.value for i in at.info]


def test_the_command_writes_the_shipped_file(tmp_path):
    """``python -m normcore.experiments forgot-model`` regenerates the file: the same content, timings aside."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    path = tmp_path / "forgot_model.json.gz"
    completed = subprocess.run(
        [sys.executable, "-m", "normcore.experiments", "forgot-model", "--json", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr

    def untimed(made: dict) -> dict:
        return {k: v for k, v in made.items() if k not in ("seconds", "cpu_seconds")}

    assert untimed(forgot_model.read(path)) == untimed(forgot_model.read())


def test_predictions_table_has_one_row_per_batch_without_the_label():
    made = {"label": 7, "train_prob": torch.rand(5).numpy(), "eval_prob": torch.rand(5).numpy()}
    made |= {"train_class": torch.randint(0, 10, (5,)).numpy(), "eval_class": torch.full((5,), 7).numpy()}
    table = forgot_eval.predictions_table(made)
    assert list(table) == ["train_prob", "eval_prob", "train_class", "eval_class"]
    assert all(table[name] is made[name] for name in table)
