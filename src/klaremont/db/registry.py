"""Finds every capability's tables, so a new capability is a new folder and nothing else."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from functools import cache

import klaremont


@cache
def load_all_models() -> tuple[str, ...]:
    """Import ``klaremont.<capability>.models`` for every capability folder that has one."""
    loaded: list[str] = []
    for info in pkgutil.iter_modules(klaremont.__path__):
        if not info.ispkg:
            continue
        name = f"klaremont.{info.name}.models"
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name)
        loaded.append(name)
    return tuple(loaded)
