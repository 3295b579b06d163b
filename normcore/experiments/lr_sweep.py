"""Final test accuracy against the SGD learning rate, without and with BN."""

from __future__ import annotations

from dataclasses import replace

from normcore import lab
from normcore.training import train

NAME = "lr-sweep"


def add_arguments(parser) -> None:
    parser.add_argument("--steps", type=int, default=lab.SWEEP_STEPS, help="training steps per run")
    parser.add_argument("--seed", type=int, default=0, help="fixes weights and batch order")
    parser.add_argument(
        "--lrs", type=float, nargs="+", default=list(lab.LR_GRID), help="learning rates to try"
    )


def run(args) -> dict:
    base = replace(lab.FIGURE1, seed=args.seed)
    configs = lab.sweep_configs(base, "lr", args.lrs, args.steps)
    results = {key: train(config) for key, config in configs.items()}
    return {
        "experiment": NAME,
        "steps": args.steps,
        "seed": args.seed,
        "lr": list(args.lrs),
        "final_accuracy": lab.sweep_table(results, args.lrs),
    }
