"""The Batch Normalization paper's Figure 1: test accuracy and a sigmoid's input percentiles, without and with BN."""

from __future__ import annotations

from dataclasses import replace

from normcore import lab
from normcore.training import PERCENTILES, train

NAME = "fig1"


def add_arguments(parser) -> None:
    parser.add_argument("--steps", type=int, default=lab.FIGURE1_STEPS, help="training steps per run")
    parser.add_argument("--seed", type=int, default=0, help="fixes weights and batch order")
    parser.add_argument("--eval-every", type=int, default=50, help="steps between evaluations")
    parser.add_argument("--lr", type=float, default=lab.FIGURE1.lr, help="SGD learning rate")


def run(args) -> dict:
    base = replace(lab.FIGURE1, seed=args.seed, eval_every=args.eval_every, lr=args.lr)
    results = {norm: train(config) for norm, config in lab.figure1_configs(base, args.steps).items()}
    return {
        "experiment": NAME,
        "percentiles": list(PERCENTILES),
        "runs": {
            norm: {
                "steps": r.steps,
                "test_accuracy": r.test_accuracy,
                "percentiles": r.percentiles,
                "seconds": round(r.seconds, 3),
                "config": r.to_dict()["config"],
            }
            for norm, r in results.items()
        },
        "steps_to_reach": lab.steps_to_reach(results),
    }
