"""Loads every capability's tables: the modules each capability declares as ``models``."""

from __future__ import annotations

from klaremont import capabilities


@capabilities.derived
def load_all_models() -> tuple[str, ...]:
    """Import every module the capabilities declare under ``models``; returns their names."""
    return capabilities.import_all("models")
