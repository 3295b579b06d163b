"""Figures of the small-batches and train-vs-eval pages, tested by facts: traces, heights, titles."""

import numpy as np
import pytest

from figures import small_batches as sb
from figures import train_eval as te
from normcore import batch_stats as bs
from normcore.experiments import gn_batch
from normcore.stats import histogram


@pytest.fixture(scope="module")
def pop():
    return bs.population(seed=1)


def test_moment_histograms_bars_are_the_core_densities(pop):
    measured = bs.batch_moments(pop, 8, 500)
    theory = bs.moment_theory(pop[:, 0].mean(), pop[:, 0].var(), 8)
    means, variances = bs.moment_histograms(measured, theory, pop[:, 0].var())
    labels = {
        k: k.upper()
        for k in ("mean_title", "var_title", "measured", "theory", "population_var", "expected_var", "y")
    }
    fig = sb.moment_histograms(
        means, variances, theory=theory, population_var=pop[:, 0].var(), title="T", labels=labels
    )
    bars = [trace for trace in fig.data if trace.type == "bar"]
    assert len(bars) == 2 and len(fig.data) == 5
    np.testing.assert_allclose(bars[0].y, means.density())
    np.testing.assert_allclose(bars[1].y, variances.density())
    assert means.counts.sum() == 500 and variances.counts.sum() == 500
    expected = [t for t in fig.data if t.name == "EXPECTED_VAR"][0]
    assert expected.x[0] == pytest.approx(theory["var"])
    assert fig.layout.xaxis.title.text == "MEAN_TITLE" and fig.layout.title.text == "T"


def test_moment_histograms_without_theory_curve_for_b1(pop):
    measured = bs.batch_moments(pop, 1, 100)
    theory = bs.moment_theory(0.0, 0.0, 1)
    means, variances = bs.moment_histograms(measured, theory, 1.0)
    labels = dict.fromkeys(
        ("mean_title", "var_title", "measured", "theory", "population_var", "expected_var", "y"), "x"
    )
    fig = sb.moment_histograms(means, variances, theory=theory, population_var=1.0, title="T", labels=labels)
    assert len(fig.data) == 4  # no N(mu, sigma^2/B) curve when its spread is 0


def test_moments_vs_batch_size_plots_measured_and_theory(pop):
    summary = bs.moments_summary(pop, 200)
    labels = {k: k for k in ("sd_title", "var_title", "measured", "theory", "population_var", "x")}
    fig = sb.moments_vs_batch_size(summary, title="S", labels=labels)
    measured = [t for t in fig.data if t.name == "measured"]
    np.testing.assert_allclose(measured[0].y, summary["mean_sd"])
    np.testing.assert_allclose(measured[1].y, summary["var_mean"])
    assert list(fig.layout.xaxis.tickvals) == list(bs.BATCH_SIZES) and fig.layout.xaxis.type == "log"


def test_example_bands_one_band_and_median_per_norm(pop):
    values = bs.example_bands(pop, num_batches=20)
    summaries = {norm: bs.band_summary(v) for norm, v in values.items()}
    names = {norm: f"name-{norm}" for norm in summaries}
    fig = sb.example_bands(bs.BATCH_SIZES, summaries, title="B", names=names, labels={"x": "X", "y": "Y"})
    assert len(fig.data) == 3 * len(summaries)
    medians = {t.name: t for t in fig.data if t.name}
    np.testing.assert_allclose(medians["name-batch"].y, summaries["batch"]["median"])
    assert fig.layout.yaxis.title.text == "Y"


def test_error_vs_batch_size_uses_the_summary_and_reversed_axis():
    runs = [
        {"norm": n, "batch_size": b, "seed": s, "test_error": 0.01 * (b + s + (n == "batch"))}
        for n in ("batch", "group")
        for b in (2, 4)
        for s in (0, 1)
    ]
    summary = gn_batch.summarize(runs)
    np.testing.assert_allclose(summary["batch"]["mean"], [3.5, 5.5])
    np.testing.assert_allclose(summary["group"]["low"], [2.0, 4.0])
    labels = {"x": "X", "y": "Y", "spread": "seeds"}
    fig = sb.error_vs_batch_size(
        summary, (2, 4), title="E", names={"batch": "BN", "group": "GN"}, labels=labels
    )
    lines = {t.name: t for t in fig.data if t.name}
    np.testing.assert_allclose(lines["BN"].y, [3.5, 5.5])
    assert fig.layout.xaxis.autorange == "reversed"
    high, low, line = fig.data[:3]  # Batch Norm's band (upper edge, lower edge filled to it), then its line
    np.testing.assert_allclose(high.y, [4.0, 6.0])  # the worse seed: 0.01 * (b + 1 + 1)
    np.testing.assert_allclose(low.y, [3.0, 5.0])  # the better seed
    assert low.fill == "tonexty" and line is lines["BN"]
    np.testing.assert_allclose(line.customdata, [[3.0, 4.0], [5.0, 6.0]])
    assert "seeds" in line.hovertemplate


def test_shipped_sweep_has_every_run():
    sweep = gn_batch.load()
    keys = {(r["norm"], r["batch_size"], r["seed"]) for r in sweep["runs"]}
    assert keys == {(n, b, s) for n in gn_batch.NORMS for b in gn_batch.BATCH_SIZES for s in gn_batch.SEEDS}
    assert all(0 <= r["test_error"] <= 1 for r in sweep["runs"])


def test_running_curves_one_line_per_momentum_per_panel(pop):
    stats = bs.running_stats(pop, (0.1, 0.5), 8, 20)
    labels = {"mean": "M", "var": "V", "population": "P", "x": "X"}
    fig = te.running_curves(
        stats.mean,
        stats.var,
        names=["a", "b"],
        population_mean=0.0,
        population_var=1.0,
        title="R",
        labels=labels,
    )
    assert len(fig.data) == 6
    np.testing.assert_allclose(fig.data[1].y, stats.mean[1])
    np.testing.assert_allclose(fig.data[4].y, stats.var[1])
    assert fig.layout.yaxis2.title.text == "V"


def test_train_vs_eval_points_and_shared_ranges():
    train, evaluated = np.array([[1.0, -1.0]]), np.array([[0.5, -0.2]])
    labels = {"x": "E", "y": "T", "points": "p", "diagonal": "d"}
    fig = te.train_vs_eval(train, evaluated, title="S", labels=labels)
    np.testing.assert_allclose(fig.data[1].x, [0.5, -0.2])
    np.testing.assert_allclose(fig.data[1].y, [1.0, -1.0])
    assert list(fig.layout.xaxis.range) == list(fig.layout.yaxis.range)


def test_renorm_gaps_and_prediction_spread(pop):
    run = bs.renorm_training(pop, 4, 30, 0.1, 3.0, 5.0)
    fig = te.renorm_gaps(run.gap_batch, run.gap_batch_renorm, title="G", names={"batch": "BN", "batch_renorm": "BRN"},
                         labels={"x": "X", "y": "Y"})  # fmt: skip
    np.testing.assert_allclose(fig.data[0].y, run.gap_batch)
    np.testing.assert_allclose(fig.data[1].y, run.gap_batch_renorm)
    assert list(fig.data[0].x) == list(range(1, 31)) and [d.name for d in fig.data] == ["BN", "BRN"]
    assert fig.layout.xaxis.title.text == "X" and fig.layout.yaxis.title.text == "Y"
    hist = histogram(np.array([0.1, 0.2, 0.9]), 10, (0.0, 1.0))
    fig = te.prediction_spread(
        hist, 0.95, title="P", labels={"train": "tr", "eval": "ev", "x": "X", "y": "Y"}
    )
    assert fig.data[0].y.sum() == 3 and fig.data[1].x[0] == 0.95
