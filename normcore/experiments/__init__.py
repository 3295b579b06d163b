"""Command-line experiments: ``python -m normcore.experiments NAME ... --json PATH``.

Every module in this package that defines ``NAME`` (the command), ``add_arguments(parser)``
and ``run(args) -> dict`` (JSON-able) becomes a subcommand; add a module, touch nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from types import ModuleType


def discover() -> dict[str, ModuleType]:
    """``{command name: module}`` for every experiment module in this package."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if all(hasattr(module, attr) for attr in ("NAME", "add_arguments", "run")):
            found[module.NAME] = module
    return dict(sorted(found.items()))


def clock() -> tuple[float, float]:
    """Wall and CPU time now, for :func:`provenance`."""
    return time.perf_counter(), time.process_time()


def provenance(name: str, command: str, started: tuple[float, float]) -> dict:
    """The header of a shipped result: the experiment, the command that remakes it, the versions it ran
    with, and the wall and CPU seconds since ``started`` (:func:`clock`)."""
    from normcore.experiments.gn_batch import environment

    return {
        "experiment": name,
        "command": command,
        "environment": environment(),
        "seconds": round(time.perf_counter() - started[0], 2),
        "cpu_seconds": round(time.process_time() - started[1], 2),
    }
