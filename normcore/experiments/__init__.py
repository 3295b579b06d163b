"""Command-line experiments: ``python -m normcore.experiments NAME ... --json PATH``.

Every module in this package that defines ``NAME`` (the command), ``add_arguments(parser)``
and ``run(args) -> dict`` (JSON-able) becomes a subcommand; add a module, touch nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
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
