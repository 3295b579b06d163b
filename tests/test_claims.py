"""Claims the catalogs make, one test per claim, named after its catalog key (dots as underscores).

A sentence that states a figure, a threshold, a count, "exactly"/"always"/"never" or a comparison
either takes its figures from the computation (formatted into the string) or is asserted here with
the settings the page uses. Each page's claims live in their own marked section.
"""

import numpy as np
import pytest

from normcore.experiments import gn_batch

# ---------------------------------------------------------------- Small batches, section D:
# the Group Normalization paper's Figure 1 on digits (shipped normcore/experiments/gn_batch.json)


@pytest.fixture(scope="module")
def shipped():
    return gn_batch.load()


def seed_errors(sweep, norm, batch_size):
    return [
        100 * r["test_error"] for r in sweep["runs"] if (r["norm"], r["batch_size"]) == (norm, batch_size)
    ]


def test_small_gn_numbers(shipped):
    """The page prints one sentence per batch size (2, 32), chosen by gn_batch.compare from the shown
    sweep; for the shipped sweep they say: at B = 2 every BN seed is worse than every GN seed (beyond the
    seed spread), at B = 32 whatever compare finds. Check compare against the raw runs."""
    summary = gn_batch.summarize(shipped["runs"])
    for b in (2, 32):
        bn, gn = seed_errors(shipped, "batch", b), seed_errors(shipped, "group", b)
        found = gn_batch.compare(summary, "batch", "group", b)
        assert (found["first_low"], found["first_high"]) == (min(bn), max(bn))
        assert (found["second_low"], found["second_high"]) == (min(gn), max(gn))
        expected = "worse" if min(bn) > max(gn) else "better" if max(bn) < min(gn) else "overlap"
        assert found["verdict"] == expected
    assert gn_batch.compare(summary, "batch", "group", 2)["verdict"] == "worse"  # the paper's point holds
    assert len({r["seed"] for r in shipped["runs"]}) == 5


def test_small_gn_compare_worse():
    summary = gn_batch.summarize(
        [{"norm": n, "batch_size": 2, "seed": s, "test_error": e} for n, s, e in
         [("batch", 0, 0.30), ("batch", 1, 0.40), ("group", 0, 0.05), ("group", 1, 0.29)]]
    )  # fmt: skip
    assert gn_batch.compare(summary, "batch", "group", 2)["verdict"] == "worse"
    assert gn_batch.compare(summary, "group", "batch", 2)["verdict"] == "better"


def test_small_gn_compare_overlap():
    summary = gn_batch.summarize(
        [{"norm": n, "batch_size": 32, "seed": s, "test_error": e} for n, s, e in
         [("batch", 0, 0.01), ("batch", 1, 0.05), ("group", 0, 0.02), ("group", 1, 0.03)]]
    )  # fmt: skip
    assert gn_batch.compare(summary, "batch", "group", 32)["verdict"] == "overlap"


def test_small_gn_text(shipped):
    """The protocol the text states: 1438/359 digits, the same epochs at every batch size, lr = 0.1 B/32,
    G groups of the 100 features, 64 -> 100 -> 100 -> 10, momentum 0.9, test error in eval mode."""
    from normcore.training import load_digits

    data = load_digits()
    assert (len(data.y_train), len(data.y_test), data.x_train.shape[1]) == (1438, 359, 64)
    protocol = gn_batch.Protocol(**shipped["protocol"])
    assert (protocol.depth, protocol.width, protocol.momentum, protocol.base_lr) == (2, 100, 0.9, 0.1)
    assert protocol.width % protocol.num_groups == 0 and protocol.reference_batch == 32
    for run in shipped["runs"]:
        assert run["lr"] == pytest.approx(0.1 * run["batch_size"] / 32)
    assert {r["batch_size"] for r in shipped["runs"]} == set(gn_batch.BATCH_SIZES)


def test_small_gn_text_eval_mode():
    """ "test error measured in eval mode": the error run_one reports is that of the trained model in
    eval mode (Batch Norm with its running statistics), not in training mode."""
    import torch

    from normcore.training import TrainConfig, load_digits, train

    models = []
    protocol = gn_batch.Protocol(epochs=1)
    config = TrainConfig(
        norm="batch", activation="relu", depth=2, width=100, init_scale=None, num_groups=4, batch_size=32,
        lr=protocol.lr(32), momentum=0.9, epochs=1, eval_every=10**9, seed=0,
    )  # fmt: skip
    result = train(config, on_done=models.append)
    data = load_digits()
    with torch.no_grad():
        eval_accuracy = float((models[0].eval()(data.x_test).argmax(1) == data.y_test).float().mean())
        train_accuracy = float((models[0].train()(data.x_test).argmax(1) == data.y_test).float().mean())
    assert result.final_accuracy == eval_accuracy != train_accuracy
    assert 1 - result.final_accuracy == pytest.approx(
        gn_batch.run_one("batch", 32, 0, protocol)["test_error"]
    )


def test_small_gn_recompute_help(shipped):
    """ "{runs} runs per seed": every norm at every batch size."""
    seeds = {r["seed"] for r in shipped["runs"]}
    assert len(shipped["runs"]) / len(seeds) == len(gn_batch.NORMS) * len(gn_batch.BATCH_SIZES) == 15
    assert np.isclose(
        gn_batch.cpu_seconds_per_seed(shipped) * len(seeds), sum(r["cpu_seconds"] for r in shipped["runs"])
    )


def test_small_seeds_help(shipped):
    """ "The shipped result has 5" (seeds)."""
    assert sorted({r["seed"] for r in shipped["runs"]}) == [0, 1, 2, 3, 4] == list(gn_batch.SEEDS)


# ---------------------------------------------------------------- end of Small batches, section D
