"""The Train vs eval page's glue: its cached core calls, the translated texts of its figures, its metrics.

``normcore.forgot_eval`` imports torch: it is imported inside the functions that need it, only when the
"Forgot model.eval()" demo is switched on.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from normcore import batch_stats as bs
from ui.i18n import t, texts


@st.cache_data(max_entries=64)
def running(momenta: tuple, batch_size: int, steps: int, channel: int, seed: int):
    """The running statistics, and the population's mean and variance of ``channel`` they approach."""
    pop = bs.population(seed)
    return bs.running_stats(pop, momenta, batch_size, steps, channel, seed), *bs.population_moments(
        pop, channel
    )


@st.cache_data(max_entries=64)
def same_batch(batch_size: int, steps: int, momentum: float, seed: int):
    return bs.trained_then_evaluated(bs.population(seed), batch_size, steps, momentum, seed)


@st.cache_data(max_entries=64)
def renorm_demo(batch_size: int, steps: int, momentum: float, r_max: float, d_max: float, kind: str,
                channel: int, seed: int):  # fmt: skip
    run = bs.renorm_training(
        bs.population(seed), batch_size, steps, momentum, r_max, d_max, kind, channel, seed
    )
    return run, bs.renorm_summary(run)


@st.cache_resource(max_entries=1)  # recomputable (seeded), so a cache; no client can clear it (ui.hardening)
def bn_model():
    """The shipped trained network (normcore/experiments/forgot_model.json.gz); trained here only without it."""
    from normcore import forgot_eval  # imports torch: only when the demo is switched on

    return forgot_eval.trained_model()


@st.cache_data(max_entries=64)
def predictions(example: int, batch_size: int, batches: int):
    from normcore import forgot_eval

    return forgot_eval.predictions_in_batches(bn_model()[0], example, batch_size, batches)


def running_labels() -> dict[str, str]:
    """The texts of ``figures.train_eval.running_curves``."""
    return texts(mean="tve.running_mean", var="tve.running_var", population="tve.population", x="tve.x_steps")


def conventions_table(stats: bs.RunningStats) -> pd.DataFrame:
    """:func:`normcore.batch_stats.conventions` as shown: formatted as text (a static table prints floats
    with four decimals), its columns translated, the momentum labelling the rows."""
    formats = {"momentum": "{:g}", "decay": "{:g}", "half_life": "{:.1f}", "max_difference": "{:.1e}"}
    table = pd.DataFrame({name: [formats[name].format(v) for v in values]
                          for name, values in bs.conventions(stats).items()})  # fmt: skip
    table = table.rename(columns={c: t(f"tve.col_{c}") for c in table.columns})
    return table.set_index(table.columns[0])


def keras_metrics(keras: dict[str, float], batch_size: int, steps: int) -> None:
    """PyTorch's running variance, Keras's moving variance and their ratio, in a row."""
    cols = st.columns(3)
    cols[0].metric(t("tve.keras_pytorch"), f"{keras['pytorch']:.4f}")
    cols[1].metric(t("tve.keras_keras"), f"{keras['keras']:.4f}")
    cols[2].metric(t("tve.keras_ratio"), f"{keras['ratio']:.4f}",
                   help=t("tve.keras_ratio_help", b=batch_size, factor=f"{keras['bias_factor']:.4f}",
                          rest=f"{keras['initial_left']:.2g}", steps=steps))  # fmt: skip


def variance_metrics(stats: bs.RunningStats, batch_size: int) -> None:
    """The last batch's biased and unbiased variance and their ratio, in a row."""
    cols = st.columns(3)
    cols[0].metric(t("tve.biased"), f"{stats.batch_var[-1]:.4f}", help=t("tve.biased_help"))
    cols[1].metric(t("tve.unbiased"), f"{stats.batch_var_unbiased[-1]:.4f}", help=t("tve.unbiased_help"))
    cols[2].metric(
        t("tve.ratio"), f"{bs.unbiased_factor(batch_size):.4f}", help=t("tve.ratio_help", b=batch_size)
    )


def same_labels() -> dict[str, str]:
    """The texts of ``figures.train_eval.train_vs_eval``."""
    return texts(x="tve.eval_out", y="tve.train_out", points="tve.points", diagonal="tve.diagonal")


def forgot_labels(result: dict) -> dict[str, str]:
    """The texts of ``figures.train_eval.prediction_spread``."""
    return {
        "train": t("tve.forgot_train"),
        "eval": t("tve.forgot_eval", p=f"{result['eval_prob'][0]:.3f}"),
        "x": t("tve.forgot_x"),
        "y": t("common.count"),
    }


def forgot_metrics(result: dict, accuracy: float, batches: int) -> None:
    """How many of the ``batches`` batches classify the example wrongly, per mode, and the test accuracy."""
    from normcore.forgot_eval import wrong_counts  # imports torch: only with the demo on

    cols = st.columns(3)
    changed = wrong_counts(result)
    cols[0].metric(t("tve.wrong_train"), f"{changed['train']} / {batches}", help=t("tve.wrong_help"))
    cols[1].metric(t("tve.wrong_eval"), f"{changed['eval']} / {batches}", help=t("tve.wrong_help"))
    cols[2].metric(t("tve.accuracy"), f"{100 * accuracy:.1f} %", help=t("tve.accuracy_help"))


def renorm_metrics(summary: dict[str, float]) -> None:
    """Batch Norm's and Batch Renorm's mean gap, and the share of clipped steps, in a row."""
    cols = st.columns(3)
    last = summary["steps"]
    cols[0].metric(t("tve.gap_bn"), f"{summary['gap_batch']:.3f}", help=t("tve.gap_help", n=last))
    cols[1].metric(t("tve.gap_brn"), f"{summary['gap_batch_renorm']:.3f}", help=t("tve.gap_help", n=last))
    cols[2].metric(
        t("tve.clipped"), f"{100 * summary['clipped_share']:.0f} %", help=t("tve.clipped_help", n=last)
    )
